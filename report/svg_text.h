// Text for SVG/HTML output: escaping, fixed-precision numbers and human-readable model times. Everything here is
// locale-free and deterministic, so the same run always renders to the same bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crashdiff {

// Escapes the five XML special characters, and replaces control characters (not allowed in XML 1.0) with '?'.
std::string XmlEscape(std::string_view text);

// Splits text into lines of at most max_chars characters (max_chars >= 1) for a frame of fixed width: at a space
// (dropped), else after a '/', '-' or '_' (file names and signatures read well split there), else anywhere.
// Joining the lines with the dropped spaces gives text back; a text that fits is one line ("" is no line).
std::vector<std::string> WrapText(std::string_view text, size_t max_chars);

// A coordinate with one decimal ("12.5", "-3.0").
std::string Px(double v);

// An exact model time or duration: "0 ns", "120 ns", "1.5 us", "10 s", "10 s +120 ns".
std::string FormatNs(uint64_t ns);

// A duration rounded to three significant digits for a label: "10 s", "1.23 ms", "450 ns".
std::string FormatNsShort(uint64_t ns);

}  // namespace crashdiff
