// The source tree whose corpus/ (triage records, regression corpus, seeds, dictionary) the commands read:
// $CRASHDIFF_SOURCE_DIR (the ./crashdiff script sets it), else the current directory.
#pragma once

#include <cstdlib>
#include <filesystem>

namespace crashdiff::cli {

inline std::filesystem::path SourceDir() {
  const char* v = std::getenv("CRASHDIFF_SOURCE_DIR");
  return v != nullptr && *v != '\0' ? std::filesystem::path(v) : std::filesystem::current_path();
}

}  // namespace crashdiff::cli
