// Items joined by a separator ("a, b, c"): what a report line or a guarantee sentence lists.
#pragma once

#include <string>
#include <string_view>

namespace crashdiff {

// Each item through to_text (anything a std::string can be appended with: a string, a view, a C string).
template <typename Range, typename ToText>
std::string Join(const Range& items, std::string_view separator, ToText to_text) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += to_text(item);
  }
  return out;
}

template <typename Range>
std::string Join(const Range& items, std::string_view separator) {
  return Join(items, separator, [](const auto& item) -> const auto& { return item; });
}

}  // namespace crashdiff
