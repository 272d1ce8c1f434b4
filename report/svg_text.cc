#include "report/svg_text.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace crashdiff {
namespace {

struct Unit {
  uint64_t ns;
  const char* name;
};
// "us" rather than the micro sign: labels stay ASCII, which every viewer and terminal shows the same way.
constexpr std::array<Unit, 4> kUnits = {{{1000000000ull, "s"}, {1000000ull, "ms"}, {1000ull, "us"}, {1, "ns"}}};

const Unit& UnitFor(uint64_t ns) {
  for (const Unit& u : kUnits) {
    if (ns >= u.ns) return u;
  }
  return kUnits.back();
}

// Where to end the next line of a text longer than max_chars: at its last space (dropped; it may sit just past the
// limit) unless that leaves the line less than half full, else after its last '/', '-' or '_', else at the
// limit.
size_t BreakAt(std::string_view text, size_t max_chars) {
  size_t space = 0;
  for (size_t i = max_chars; i >= 1 && space == 0; --i) space = text[i] == ' ' ? i : 0;
  size_t punct = 0;
  for (size_t i = max_chars; i >= 2 && punct == 0; --i) {
    punct = std::string_view("/-_").find(text[i - 1]) != std::string_view::npos ? i : 0;
  }
  if (space > max_chars / 2 || (space > 0 && punct == 0)) return space;
  if (punct > 0) return punct;
  // Anywhere, but not inside a UTF-8 sequence (a file name may hold any bytes); bytes count as characters, so
  // such a line is only ever narrower.
  size_t cut = max_chars;
  while (cut > 1 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

}  // namespace

std::vector<std::string> WrapText(std::string_view text, size_t max_chars) {
  max_chars = std::max<size_t>(max_chars, 1);
  std::vector<std::string> lines;
  while (text.size() > max_chars) {
    const size_t cut = BreakAt(text, max_chars);
    lines.emplace_back(text.substr(0, cut));
    text.remove_prefix(cut);
    if (text.starts_with(' ')) text.remove_prefix(1);
  }
  if (!text.empty()) lines.emplace_back(text);
  return lines;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\n': out += '\n'; break;
      case '\t': out += ' '; break;
      default: out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    }
  }
  return out;
}

std::string Px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return std::string(buf) == "-0.0" ? "0.0" : buf;
}

std::string FormatNs(uint64_t ns) {
  const Unit& u = UnitFor(ns);
  const uint64_t whole = ns / u.ns;
  const uint64_t rest = ns % u.ns;
  if (rest == 0) return std::to_string(whole) + " " + u.name;
  // A remainder that fits in three decimals of the unit reads better as a decimal ("1.5 ms").
  if (u.ns >= 1000 && rest % (u.ns / 1000) == 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, "%03llu", static_cast<unsigned long long>(rest / (u.ns / 1000)));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    return std::to_string(whole) + "." + f + " " + u.name;
  }
  return std::to_string(whole) + " " + u.name + " +" + FormatNs(rest);
}

std::string FormatNsShort(uint64_t ns) {
  size_t unit = 0;
  while (kUnits[unit].ns > ns && unit + 1 < kUnits.size()) ++unit;
  // 999.7 us rounds to "1e+03 us" in three digits; say "1 ms" instead.
  if (unit > 0 && static_cast<double>(ns) / static_cast<double>(kUnits[unit].ns) >= 999.5) --unit;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g %s", static_cast<double>(ns) / static_cast<double>(kUnits[unit].ns),
                kUnits[unit].name);
  return buf;
}

}  // namespace crashdiff
