// Text: a step's description (the detail of its trace entry) as model code passes it: a view of a string literal,
// or an owned string when the code builds one. Most descriptions are literals, and copying each into a std::string
// cost an allocation per step once it outgrew the small-string buffer; a view costs nothing. A view must outlive
// the operation: an operation is awaited in the full-expression that creates it, so any temporary it views does.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace crashdiff {

class Text {
 public:
  Text() = default;
  Text(const char* literal) : view_(literal) {}  // NOLINT(google-explicit-constructor): call sites pass literals
  Text(std::string_view view) : view_(view) {}   // NOLINT(google-explicit-constructor)
  Text(std::string&& s) : owned_(std::move(s)), owns_(true) {}  // NOLINT(google-explicit-constructor)
  Text(const std::string& s) : owned_(s), owns_(true) {}        // NOLINT(google-explicit-constructor)

  std::string_view view() const { return owns_ ? std::string_view(owned_) : view_; }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  bool empty() const { return view().empty(); }

 private:
  std::string owned_;
  std::string_view view_;
  bool owns_ = false;
};

}  // namespace crashdiff
