// Writing an output file atomically: a reader (or a crash midway) never sees a half-written file.
#pragma once

#include <string>
#include <string_view>

namespace crashdiff {

// Writes content to a temporary file in path's directory, then renames it over path. Returns "" on success, else
// a message naming the path and the reason.
std::string WriteFileAtomically(const std::string& path, std::string_view content);

}  // namespace crashdiff
