#include "report/timeline.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <string_view>
#include <vector>

#include "report/svg_text.h"
#include "report/timeline_draw.h"
#include "report/timeline_model.h"

namespace crashdiff {
namespace {

constexpr double kLeft = 120;  // room for the lane labels
constexpr double kTail = 24;   // the final states continue a little past the end of the run
constexpr double kRight = 24;
constexpr double kMinWidth = 900;  // room for the header and the legend
constexpr double kMargin = 12;     // left and right of the header lines
constexpr double kTitleSize = 15;  // font sizes of the header's title and of everything else
constexpr double kTextSize = 11;
constexpr double kTitleLineH = 18;  // the header's line heights: title, then subtitle and summary
constexpr double kTextLineH = 16;
// Rows below a one-line title and subtitle; a longer header moves them down (Layout::header_extra).
constexpr double kWitnessRowY = 76;   // the witness label
constexpr double kHandoverRowY = 92;  // the hand-over label
constexpr double kStripY = 106;       // machine-wide events
constexpr double kLanesTop = 118;
constexpr double kLaneH = 26;
constexpr double kLaneGap = 6;

struct Layout {
  double plot_w;            // axis width plus the tail
  double header_extra = 0;  // height of the header's wrapped lines beyond one title and one subtitle line
  double lanes_bottom;
  double axis_y;
  double width;
  double height;
  double WitnessRowY() const { return header_extra + kWitnessRowY; }
  double HandoverRowY() const { return header_extra + kHandoverRowY; }
  double StripY() const { return header_extra + kStripY; }
  double LanesTop() const { return header_extra + kLanesTop; }
  double Lane(uint32_t cpu) const { return LanesTop() + cpu * (kLaneH + kLaneGap); }
};

// Markers closer than a few pixels are drawn once, with every hover line.
void DrawMarks(std::string& out, const std::vector<Mark>& marks, const TimeAxis& axis, double y) {
  struct Group {
    double x;
    std::vector<std::string> lines;
  };
  std::map<std::pair<int, long>, Group> groups;  // (kind, pixel bucket): ordered, so output is deterministic
  for (const Mark& m : marks) {
    const double x = kLeft + axis.X(m.time_ns);
    Group& g =
        groups.try_emplace({static_cast<int>(m.kind), std::lround(std::floor(x / 4))}, Group{x, {}}).first->second;
    g.lines.push_back(m.text);
  }
  for (const auto& [key, g] : groups) {
    const auto kind = static_cast<MarkKind>(key.first);
    out += MarkShape(kind, g.x, y) + Title(g.lines) + std::string(CloseTag(kind)) + "\n";
  }
}

void DrawWrites(std::string& out, const std::vector<Mark>& writes, const TimeAxis& axis, double lane_top) {
  std::map<long, std::pair<double, std::vector<std::string>>> groups;
  for (const Mark& w : writes) {
    const double x = kLeft + axis.X(w.time_ns);
    auto& g = groups.try_emplace(std::lround(std::floor(x / 3)), x, std::vector<std::string>{}).first->second;
    g.second.push_back(w.text);
  }
  for (const auto& [bucket, g] : groups) {
    out += "<rect" + Attr("class", "write") + Attr("x", g.first - 1) + Attr("y", lane_top + kLaneH - 7) +
           Attr("width", 2) + Attr("height", 7) + Attr("fill", kInk) + ">" + Title(g.second) + "</rect>\n";
  }
}

void DrawLane(std::string& out, const Lane& lane, const RunResult& run, const TimeAxis& axis, const Layout& lay,
              const std::optional<Witness>& witness) {
  const double top = lay.Lane(lane.cpu);
  const CpuResult& cr = run.cpus[lane.cpu];
  const std::string name = "cpu" + std::to_string(lane.cpu);
  out += "<g" + Attr("class", "lane") + Attr("id", "lane-" + name) + ">\n";
  std::vector<std::string> about = {name + ": final " + std::string(Name(cr.final))};
  if (run.handed_over) about.push_back("at hand-over: " + std::string(Name(cr.at_handover)));
  about.push_back("saves " + std::to_string(cr.saves) + " (+" + std::to_string(cr.invalid_saves) +
                  " with NULL regs), responses " + std::to_string(cr.responses));
  const bool is_witness = witness && witness->cpu == lane.cpu;
  out += "<text" + Attr("x", kLeft - 10) + Attr("y", top + kLaneH / 2 + 4) + Attr("text-anchor", "end") +
         Attr("font-weight", "bold") + Attr("fill", is_witness ? kWitnessColour : kInk) + ">" + XmlEscape(name) +
         Title(about) + "</text>\n";
  for (const Span& s : lane.spans) {
    const double x0 = kLeft + axis.X(s.from_ns);
    const double x1 = kLeft + (s.to_ns >= axis.end_ns() ? lay.plot_w : axis.X(s.to_ns));
    const LocationInfo& info = Info(s.location);
    std::vector<std::string> lines = {
        name + " " + std::string(info.name) + ": " + std::string(info.meaning),
        FormatNs(s.from_ns) + " .. " + FormatNs(s.to_ns) + "  (" + FormatNs(s.to_ns - s.from_ns) + ")"};
    lines.insert(lines.end(), s.notes.begin(), s.notes.end());
    out += "<rect" + Attr("class", "span") + Attr("x", x0) + Attr("y", top) + Attr("width", std::max(x1 - x0, 0.0)) +
           Attr("height", kLaneH) + Attr("fill", info.colour) + ">" + Title(lines) + "</rect>\n";
    if (x1 - x0 >= static_cast<double>(info.name.size()) * kCharW + 8) {
      Text(out, x0 + 4, top + kLaneH / 2 + 4, info.name,
           Attr("font-size", 10) + Attr("fill", TextColourOn(info.colour)) + Attr("pointer-events", "none"));
    }
  }
  // Idle stretches are hatched over the spans (which continue underneath), below the markers.
  for (const AxisBreak& b : axis.breaks()) {
    out += "<rect" + Attr("class", "idle") + Attr("x", kLeft + b.x0) + Attr("y", top) + Attr("width", b.x1 - b.x0) +
           Attr("height", kLaneH) + Attr("fill", "url(#crashdiff-break)") + Attr("pointer-events", "none") + "/>\n";
  }
  DrawWrites(out, lane.writes, axis, top);
  DrawMarks(out, lane.marks, axis, top + 7);
  out += "</g>\n";
}

// Labels that must not overlap: kept if their [x0, x1] interval is free.
class LabelRow {
 public:
  bool Take(double x0, double x1) {
    for (const auto& [a, b] : used_) {
      if (x0 < b + 6 && a < x1 + 6) return false;
    }
    used_.emplace_back(x0, x1);
    return true;
  }

 private:
  std::vector<std::pair<double, double>> used_;
};

// The smallest of 1, 2, 5, 10, 20, 50 ... ns that is at least min_ns.
uint64_t NiceStep(double min_ns) {
  for (uint64_t decade = 1;; decade *= 10) {
    for (const uint64_t m : {1, 2, 5}) {
      if (static_cast<double>(m * decade) >= min_ns || decade >= 1000000000000ull) return m * decade;
    }
  }
}

void DrawAxis(std::string& out, const TimeAxis& axis, const Layout& lay) {
  const double y = lay.axis_y;
  out += "<g" + Attr("class", "axis") + ">\n";
  out += "<line" + Attr("x1", kLeft) + Attr("y1", y) + Attr("x2", kLeft + lay.plot_w) + Attr("y2", y) +
         Attr("stroke", kInk) + "/>\n";
  LabelRow ticks;
  const auto tick = [&](uint64_t t) {
    const double x = kLeft + axis.X(t);
    const std::string label = FormatNs(t);
    const double w = static_cast<double>(label.size()) * kCharW;
    if (!ticks.Take(x - w / 2, x + w / 2)) return;
    out += "<line" + Attr("x1", x) + Attr("y1", y) + Attr("x2", x) + Attr("y2", y + 4) + Attr("stroke", kInk) + "/>\n";
    Text(out, x, y + 15, label, Attr("text-anchor", "middle") + Attr("font-size", 10));
  };
  const auto stretches = axis.LinearStretches();
  for (const auto& s : stretches) tick(s.from_ns);
  tick(axis.end_ns());
  for (const auto& s : stretches) {
    if (s.to_ns <= s.from_ns) continue;
    const double px_per_ns = (axis.X(s.to_ns) - axis.X(s.from_ns)) / static_cast<double>(s.to_ns - s.from_ns);
    const uint64_t step = NiceStep(110 / px_per_ns);
    for (uint64_t t = (s.from_ns / step + 1) * step; t < s.to_ns; t += step) tick(t);
  }
  for (const AxisBreak& b : axis.breaks()) {
    const double x0 = kLeft + b.x0;
    const double x1 = kLeft + b.x1;
    out += "<g" + Attr("class", "break") + ">" +
           Title({"idle (no step on any CPU) " + FormatNs(b.from_ns) + " .. " + FormatNs(b.to_ns) + ": " +
                  FormatNs(b.to_ns - b.from_ns) + ", drawn compressed"});
    out += "<rect" + Attr("x", x0) + Attr("y", y - 4) + Attr("width", x1 - x0) + Attr("height", 8) +
           Attr("fill", "#ffffff") + Attr("stroke", kInk) + Attr("stroke-dasharray", "2,2") + "/></g>\n";
  }
  // Duration labels, longest break first, so the waits that matter keep theirs when neighbours crowd.
  std::vector<AxisBreak> by_length = axis.breaks();
  std::sort(by_length.begin(), by_length.end(), [](const AxisBreak& a, const AxisBreak& b) {
    const uint64_t la = a.to_ns - a.from_ns;
    const uint64_t lb = b.to_ns - b.from_ns;
    return la != lb ? la > lb : a.from_ns < b.from_ns;
  });
  LabelRow durations;
  for (const AxisBreak& b : by_length) {
    const std::string label = "~" + FormatNsShort(b.to_ns - b.from_ns);
    const double cx = kLeft + (b.x0 + b.x1) / 2;
    const double w = static_cast<double>(label.size()) * kCharW;
    if (durations.Take(cx - w / 2, cx + w / 2)) {
      Text(out, cx, y + 29, label,
           Attr("class", "break-length") + Attr("text-anchor", "middle") + Attr("font-size", 10) +
               Attr("fill", "#616161"));
    }
  }
  out += "</g>\n";
}

// Both lines first, then both labels, so each label (with its halo) reads cleanly over the other's line.
void DrawHandoverAndWitness(std::string& out, const RunResult& run, const TimeAxis& axis, const Layout& lay,
                            const std::optional<Witness>& witness) {
  std::string labels;
  const auto label_at = [&](double x, double y, const std::string& text, std::string_view cls,
                            std::string_view colour) {
    const bool anchor_end = x + static_cast<double>(text.size()) * kCharW + 5 > lay.width;
    Text(labels, anchor_end ? x - 5 : x + 5, y, text,
         Attr("class", cls) + Attr("fill", colour) + Attr("font-weight", "bold") + Halo() +
             (anchor_end ? Attr("text-anchor", "end") : ""));
  };
  if (run.handed_over) {
    const double x = kLeft + axis.X(run.handover_time_ns);
    const std::string label = "hand-over by cpu" + std::to_string(run.handover_cpu);
    out +=
        "<g" + Attr("class", "handover") + ">" +
        Title({label + " at " + FormatNs(run.handover_time_ns) + " (step " + std::to_string(run.handover_step) + ")"}) +
        "<line" + Attr("x1", x) + Attr("y1", lay.HandoverRowY() - 10) + Attr("x2", x) +
        Attr("y2", lay.lanes_bottom + 4) + Attr("stroke", "#000000") + Attr("stroke-width", 2.5) + "/></g>\n";
    label_at(x, lay.HandoverRowY(), label, "handover-label", "#000000");
  }
  if (witness && witness->set()) {
    const double x = kLeft + axis.X(witness->time_ns);
    const bool on_lane = witness->cpu < run.cpus.size();
    const double cy = on_lane ? lay.Lane(witness->cpu) + kLaneH / 2 : lay.StripY();
    const std::string label = "witness: cpu" + std::to_string(witness->cpu) + " " + std::string(witness->label) +
                              " @ " + FormatNs(witness->time_ns);
    out += "<g" + Attr("class", "witness") + ">" + Title({label + " (step " + std::to_string(witness->step) + ")"}) +
           "<line" + Attr("x1", x) + Attr("y1", lay.WitnessRowY() + 4) + Attr("x2", x) + Attr("y2", cy - 9) +
           Attr("stroke", kWitnessColour) + Attr("stroke-width", 2) + Attr("stroke-dasharray", "4,2") + "/><circle" +
           Attr("cx", x) + Attr("cy", cy) + Attr("r", 9) + Attr("fill", "none") + Attr("stroke", kWitnessColour) +
           Attr("stroke-width", 3) + "/></g>\n";
    label_at(x, lay.WitnessRowY(), label, "witness-label", kWitnessColour);
  }
  out += labels;
}

// The states that occur in the run (in table order) with their meaning, then the marker shapes.
std::vector<Location> UsedStates(const TimelineModel& model) {
  std::vector<bool> used(kLocationInfo.size(), false);
  for (const Lane& lane : model.lanes) {
    for (const Span& s : lane.spans) used[static_cast<size_t>(s.location)] = true;
  }
  std::vector<Location> out;
  for (size_t i = 0; i < used.size(); ++i) {
    if (used[i]) out.push_back(static_cast<Location>(i));
  }
  return out;
}

std::string Summary(const RunResult& run) {
  std::string s = std::to_string(run.cpus.size()) + " cpus | " + std::string(Name(run.end)) + " after " +
                  std::to_string(run.steps) + " steps, " + FormatNs(run.end_time_ns) + " model time | ";
  if (run.handed_over) {
    s += "hand-over by cpu" + std::to_string(run.handover_cpu) + " at " + FormatNs(run.handover_time_ns);
  } else {
    s += "no hand-over";
  }
  return s + " | " + std::to_string(run.diagnostics.size()) + " console line(s)";
}

// The header's text wrapped to the frame: a long title (a long file name) or subtitle must not run out of it.
struct Header {
  std::vector<std::string> title;
  std::vector<std::string> subtitle;
  std::vector<std::string> summary;
  double extra() const {
    const auto more = [](const std::vector<std::string>& lines) {
      return static_cast<double>(std::max<size_t>(lines.size(), 1) - 1);
    };
    return more(title) * kTitleLineH + (more(subtitle) + more(summary)) * kTextLineH;
  }
};

// How many characters of a font size fit between the margins of a frame width wide.
size_t CharsThatFit(double width, double font_size) {
  const double char_w = kCharW * font_size / kTextSize;
  return static_cast<size_t>(std::max(std::floor((width - 2 * kMargin) / char_w), 1.0));
}

Header WrapHeader(const TimelineOptions& options, const RunResult& run, double width) {
  const std::string title = options.title.empty() ? "crashdiff timeline" : options.title;
  const size_t text_chars = CharsThatFit(width, kTextSize);
  return {WrapText(title, CharsThatFit(width, kTitleSize)), WrapText(options.subtitle, text_chars),
          WrapText(Summary(run), text_chars)};
}

// Draws the header's lines from the top; the subtitle's first line is where it always was (y 40), below a
// one-line title.
void DrawHeader(std::string& out, const Header& h) {
  double y = 22;
  for (const std::string& line : h.title) {
    Text(out, kMargin, y, line, Attr("class", "title") + Attr("font-size", kTitleSize) + Attr("font-weight", "bold"));
    y += kTitleLineH;
  }
  for (const std::string& line : h.subtitle) {
    Text(out, kMargin, y, line, Attr("class", "subtitle"));
    y += kTextLineH;
  }
  if (h.subtitle.empty()) y += kTextLineH;
  for (const std::string& line : h.summary) {
    Text(out, kMargin, y, line, Attr("class", "summary") + Attr("fill", "#424242"));
    y += kTextLineH;
  }
}

constexpr std::string_view kSvgStyle =
    ".span:hover,.mark:hover,.write:hover{stroke:#000000;stroke-width:1.5}"
    ".break:hover rect{stroke:#000000}";

}  // namespace

std::string RenderTimelineSvg(const RunResult& run, const TimelineOptions& options) {
  const TimelineModel model = BuildTimelineModel(run);
  std::vector<uint64_t> times = model.times;
  if (options.witness && options.witness->set()) times.push_back(options.witness->time_ns);
  const TimeAxis axis(std::move(times), options.axis);

  Layout lay;
  lay.plot_w = axis.width() + kTail;
  const auto lanes = static_cast<uint32_t>(model.lanes.size());
  lay.width = std::max(kLeft + lay.plot_w + kRight, kMinWidth);
  const Header header = WrapHeader(options, run, lay.width);
  lay.header_extra = header.extra();
  lay.lanes_bottom = lanes == 0 ? lay.LanesTop() : lay.Lane(lanes) - kLaneGap;
  lay.axis_y = lay.lanes_bottom + 12;
  std::string legend;
  lay.height = DrawLegend(legend, UsedStates(model), kLeft, lay.axis_y + 60, lay.width - kRight) + 8;

  std::string out;
  out += "<svg xmlns=\"http://www.w3.org/2000/svg\"" + Attr("width", lay.width) + Attr("height", lay.height) +
         Attr("viewBox", "0 0 " + Px(lay.width) + " " + Px(lay.height)) + Attr("font-family", "monospace") +
         Attr("font-size", 11) + ">\n";
  out += "<style>" + std::string(kSvgStyle) + "</style>\n";
  out +=
      "<defs><pattern id=\"crashdiff-break\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
      "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#ffffff\" fill-opacity=\"0.45\"/>"
      "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#616161\" stroke-width=\"1\"/></pattern></defs>\n";
  out += "<rect" + Attr("width", lay.width) + Attr("height", lay.height) + Attr("fill", "#ffffff") + "/>\n";
  DrawHeader(out, header);
  Text(out, kLeft - 10, lay.StripY() + 4, "events", Attr("text-anchor", "end") + Attr("fill", "#616161"));

  for (const Mark& e : model.machine_events) {
    const double x = kLeft + axis.X(e.time_ns);
    out += "<line" + Attr("class", "event-guide") + Attr("x1", x) + Attr("y1", lay.StripY() + 5) + Attr("x2", x) +
           Attr("y2", lay.lanes_bottom) + Attr("stroke", kEventColour) + Attr("stroke-opacity", 0.5) +
           Attr("stroke-dasharray", "2,3") + "/>\n";
  }
  for (const Lane& lane : model.lanes) DrawLane(out, lane, run, axis, lay, options.witness);
  DrawMarks(out, model.machine_events, axis, lay.StripY());
  DrawAxis(out, axis, lay);
  DrawHandoverAndWitness(out, run, axis, lay, options.witness);
  out += legend;
  out += "</svg>\n";
  return out;
}

std::string RenderTimelineHtml(const RunResult& run, const TimelineOptions& options) {
  const std::string title = options.title.empty() ? "crashdiff timeline" : options.title;
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>" +
                    XmlEscape(title) + "</title>\n";
  out +=
      "<style>body{margin:16px;font-family:sans-serif;color:#212121;background:#fafafa}"
      "p{font-size:13px;max-width:72em;line-height:1.4}svg{display:block;background:#ffffff;"
      "border:1px solid #e0e0e0}</style>\n</head>\n<body>\n";
  out +=
      "<p>One lane per CPU; colour = location state (legend below). Hatched bands are idle stretches drawn "
      "compressed, with their real length under the axis. Hover over a span, a marker or a write tick for "
      "details.</p>\n";
  out += RenderTimelineSvg(run, options);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace crashdiff
