// The work directory of a `crashdiff fuzz` campaign (--out): made ready with clear errors, and locked.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace crashdiff::campaign {

// The lock file inside the work directory; it holds the pid of the campaign that has it.
inline constexpr const char* kCampaignLockFile = ".crashdiff-fuzz.lock";

// Holds an exclusive flock() on DIR/.crashdiff-fuzz.lock while it lives. Two campaigns on one directory would
// delete each other's seeds and logs and mix their corpora: the second one stops with a clear error instead. The
// lock is the kernel's, so a killed campaign (kill -9) never leaves it stale.
class CampaignDir {
 public:
  CampaignDir() = default;
  CampaignDir(const CampaignDir&) = delete;
  CampaignDir& operator=(const CampaignDir&) = delete;
  ~CampaignDir();

  // Creates dir (create: also its parents, and subdirs inside it) and takes the lock. "" on success, else why
  // not: "--out X: exists and is not a directory", "...: cannot create it: <reason>", "...: in use by another
  // crashdiff fuzz (pid N)".
  std::string Open(const std::filesystem::path& dir, bool create, const std::vector<std::string>& subdirs);

 private:
  int fd_ = -1;
};

}  // namespace crashdiff::campaign
