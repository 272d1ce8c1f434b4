#include "report/timeline_draw.h"

#include <string>

#include "report/svg_text.h"

namespace crashdiff {

std::string Attr(std::string_view name, std::string_view value) {
  return " " + std::string(name) + "=\"" + XmlEscape(value) + "\"";
}
std::string Attr(std::string_view name, double value) {
  return " " + std::string(name) + "=\"" + Px(value) + "\"";
}

std::string Title(const std::vector<std::string>& lines) {
  std::string t;
  for (size_t i = 0; i < lines.size() && i < kMaxHoverLines; ++i) t += (i ? "\n" : "") + lines[i];
  if (lines.size() > kMaxHoverLines) t += "\n... and " + std::to_string(lines.size() - kMaxHoverLines) + " more";
  return "<title>" + XmlEscape(t) + "</title>";
}

void Text(std::string& out, double x, double y, std::string_view text, std::string_view extra) {
  out += "<text" + Attr("x", x) + Attr("y", y) + std::string(extra) + ">" + XmlEscape(text) + "</text>\n";
}

std::string Halo() {
  return Attr("paint-order", "stroke") + Attr("stroke", "#ffffff") + Attr("stroke-width", 3) +
         Attr("stroke-linejoin", "round");
}

// Black or white, whichever reads better on a "#rrggbb" background.
std::string_view TextColourOn(std::string_view bg) {
  if (bg.size() != 7) return kInk;
  const auto channel = [&](size_t i) { return std::stoi(std::string(bg.substr(i, 2)), nullptr, 16); };
  const double luma = 0.299 * channel(1) + 0.587 * channel(3) + 0.114 * channel(5);
  return luma > 140 ? kInk : "#ffffff";
}

// Opens the marker's element (the caller appends the <title> and the closing tag).
std::string MarkShape(MarkKind k, double x, double y) {
  const auto pts = [](std::initializer_list<std::pair<double, double>> ps) {
    std::string s;
    for (const auto& [px, py] : ps) s += (s.empty() ? "" : " ") + Px(px) + "," + Px(py);
    return Attr("points", s);
  };
  const std::string cls = Attr("class", "mark " + std::string(Info(k).name));
  switch (k) {
    case MarkKind::kWake:
      return "<circle" + cls + Attr("cx", x) + Attr("cy", y) + Attr("r", 3.5) + Attr("fill", "#ffffff") +
             Attr("stroke", kInk) + Attr("stroke-width", 1.4) + ">";
    case MarkKind::kIrq:
      return "<polygon" + cls + pts({{x - 4, y - 3.5}, {x + 4, y - 3.5}, {x, y + 3.5}}) + Attr("fill", kInk) + ">";
    case MarkKind::kEvent:
    case MarkKind::kEventIgnored: {
      const bool ignored = k == MarkKind::kEventIgnored;
      return "<polygon" + cls + pts({{x, y - 4.5}, {x + 4.5, y}, {x, y + 4.5}, {x - 4.5, y}}) +
             Attr("fill", ignored ? "#ffffff" : kEventColour) + Attr("stroke", kEventColour) +
             Attr("stroke-width", 1.4) + ">";
    }
    case MarkKind::kDiag:
      return "<rect" + cls + Attr("x", x - 3) + Attr("y", y - 3) + Attr("width", 6) + Attr("height", 6) +
             Attr("fill", "#455a64") + ">";
  }
  return "<g>";
}

std::string_view CloseTag(MarkKind k) {
  switch (k) {
    case MarkKind::kWake: return "</circle>";
    case MarkKind::kDiag: return "</rect>";
    default: return "</polygon>";
  }
}

}  // namespace crashdiff
