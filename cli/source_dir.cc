#include "cli/source_dir.h"

#include <cstdlib>
#include <string>
#include <system_error>

namespace crashdiff::cli {

namespace fs = std::filesystem;

namespace {

bool HoldsCorpus(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "corpus", ec);
}

}  // namespace

fs::path SourceDir() {
  if (const char* v = std::getenv("CRASHDIFF_SOURCE_DIR"); v != nullptr && *v != '\0') return v;
  std::error_code ec;
  fs::path cwd = fs::current_path(ec);
  if (HoldsCorpus(cwd)) return cwd;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.has_parent_path() && HoldsCorpus(exe.parent_path().parent_path())) {
    return exe.parent_path().parent_path();
  }
  return cwd;
}

std::string NoTriageNote(const fs::path& triage_dir) {
  std::error_code ec;
  if (fs::is_directory(triage_dir, ec)) return "";
  return "note: no triage records (" + triage_dir.string() +
         " not found): a violation its target does not document shows as NEW; run from the source tree or set "
         "CRASHDIFF_SOURCE_DIR\n";
}

}  // namespace crashdiff::cli
