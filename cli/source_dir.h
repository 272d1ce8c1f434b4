// The source tree whose corpus/ (triage records, regression corpus, seeds, dictionary) the commands read:
// $CRASHDIFF_SOURCE_DIR (the ./crashdiff script sets it); else the current directory if it holds corpus/; else the
// tree the running binary was built in (ROOT/<build dir>/crashdiff) if that holds corpus/; else the current
// directory. Without the middle step a `build/crashdiff run FILE` from another directory judged every triaged
// finding NEW, silently.
#pragma once

#include <filesystem>
#include <string>

namespace crashdiff::cli {

std::filesystem::path SourceDir();

// A note for stderr when dir has no triage records to judge by (empty when it has).
std::string NoTriageNote(const std::filesystem::path& triage_dir);

}  // namespace crashdiff::cli
