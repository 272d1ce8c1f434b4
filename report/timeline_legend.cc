// The legend under the time axis: one row per location state that occurs, then the marker symbols, wrapped.
#include <functional>

#include "report/svg_text.h"
#include "report/timeline_draw.h"

namespace crashdiff {
namespace {

constexpr double kRowH = 17;

struct KeyItem {
  double symbol_w;
  std::function<std::string(double x, double y)> symbol;  // draws the symbol with its left edge at x, baseline y
  std::string text;
};

std::vector<KeyItem> KeyItems() {
  std::vector<KeyItem> items;
  for (size_t i = 0; i < std::size(kMarkKindInfo); ++i) {
    const auto k = static_cast<MarkKind>(i);
    items.push_back({10, [k](double x, double y) { return MarkShape(k, x + 5, y - 4) + std::string(CloseTag(k)); },
                     std::string(Info(k).legend)});
  }
  items.push_back({4,
                   [](double x, double y) {
                     return "<rect" + Attr("x", x + 1) + Attr("y", y - 9) + Attr("width", 2) + Attr("height", 9) +
                            Attr("fill", kInk) + "/>";
                   },
                   "shared write"});
  items.push_back({6,
                   [](double x, double y) {
                     return "<line" + Attr("x1", x + 3) + Attr("y1", y - 12) + Attr("x2", x + 3) + Attr("y2", y + 3) +
                            Attr("stroke", "#000000") + Attr("stroke-width", 2.5) + "/>";
                   },
                   "hand-over"});
  items.push_back({14,
                   [](double x, double y) {
                     return "<circle" + Attr("cx", x + 7) + Attr("cy", y - 4) + Attr("r", 6) + Attr("fill", "none") +
                            Attr("stroke", kWitnessColour) + Attr("stroke-width", 2.5) + "/>";
                   },
                   "divergence witness"});
  items.push_back({14,
                   [](double x, double y) {
                     return "<rect" + Attr("x", x) + Attr("y", y - 11) + Attr("width", 14) + Attr("height", 14) +
                            Attr("fill", "#9e9e9e") + "/><rect" + Attr("x", x) + Attr("y", y - 11) + Attr("width", 14) +
                            Attr("height", 14) + Attr("fill", "url(#crashdiff-break)") + "/>";
                   },
                   "idle time, drawn compressed (real length under the axis)"});
  return items;
}

}  // namespace

double DrawLegend(std::string& out, const std::vector<Location>& states, double x0, double y, double max_x) {
  out += "<g" + Attr("class", "legend") + ">\n";
  for (const Location l : states) {
    const LocationInfo& info = Info(l);
    out += "<rect" + Attr("class", "swatch") + Attr("x", x0) + Attr("y", y - 10) + Attr("width", 22) +
           Attr("height", 12) + Attr("fill", info.colour) + Attr("stroke", "#757575") + Attr("stroke-width", 0.5) +
           "/>\n";
    Text(out, x0 + 30, y, info.name, Attr("font-weight", "bold"));
    Text(out, x0 + 30 + 18 * kCharW, y, info.meaning);
    y += kRowH;
  }
  y += 8;
  double x = x0;
  for (const KeyItem& item : KeyItems()) {
    const double w = item.symbol_w + 6 + static_cast<double>(item.text.size()) * kCharW;
    if (x > x0 && x + w > max_x) {
      x = x0;
      y += kRowH + 2;
    }
    out += item.symbol(x, y) + "\n";
    Text(out, x + item.symbol_w + 6, y, item.text);
    x += w + 24;
  }
  out += "</g>\n";
  return y + kRowH;
}

}  // namespace crashdiff
