// SVG drawing primitives shared by the timeline's parts: attributes, text, hover titles, marker shapes, colours.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "report/timeline_model.h"

namespace crashdiff {

inline constexpr double kCharW = 6.7;  // advance of an 11px monospace glyph (DejaVu Sans Mono), for layout only
inline constexpr size_t kMaxHoverLines = 14;
inline constexpr std::string_view kWitnessColour = "#ff1744";
inline constexpr std::string_view kEventColour = "#6a1b9a";
inline constexpr std::string_view kInk = "#212121";

// ` name="value"` with the value escaped; numbers with one decimal.
std::string Attr(std::string_view name, std::string_view value);
std::string Attr(std::string_view name, double value);
// A <title> element (hover text) of at most kMaxHoverLines lines.
std::string Title(const std::vector<std::string>& lines);
void Text(std::string& out, double x, double y, std::string_view text, std::string_view extra = {});
// Attributes giving text a white halo, so a label stays readable where it crosses a line.
std::string Halo();
// Black or white, whichever reads better on a "#rrggbb" background.
std::string_view TextColourOn(std::string_view bg);
// Opens the marker's element centred on (x, y); the caller appends a <title> if any, then CloseTag(k).
std::string MarkShape(MarkKind k, double x, double y);
std::string_view CloseTag(MarkKind k);

// Draws the legend (the states that occur, with their meaning, then every marker) from (x, y), wrapping at
// max_x; returns the y below it.
double DrawLegend(std::string& out, const std::vector<Location>& states, double x, double y, double max_x);

}  // namespace crashdiff
