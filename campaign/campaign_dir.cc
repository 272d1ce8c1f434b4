#include "campaign/campaign_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace crashdiff::campaign {

namespace fs = std::filesystem;

CampaignDir::~CampaignDir() {
  if (fd_ >= 0) close(fd_);
}

std::string CampaignDir::Open(const fs::path& dir, bool create, const std::vector<std::string>& subdirs) {
  const std::string name = "--out " + dir.string();
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) return name + ": exists and is not a directory";
  if (create && !fs::create_directories(dir, ec) && ec) return name + ": cannot create it: " + ec.message();
  if (!fs::is_directory(dir, ec)) return name + ": no such directory";
  // O_CLOEXEC: the workers must not inherit the lock, or a dead campaign's workers would keep it.
  fd_ = open((dir / kCampaignLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return name + ": cannot write in it: " + std::strerror(errno);
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char pid[32] = {};
    const ssize_t n = pread(fd_, pid, sizeof pid - 1, 0);
    close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) return name + ": cannot lock it: " + std::strerror(err);
    return name + ": in use by another crashdiff fuzz" + (n > 0 ? " (pid " + std::string(pid) + ")" : "") +
           "; wait for it to end, or choose another --out";
  }
  const std::string me = std::to_string(getpid());
  if (ftruncate(fd_, 0) != 0 || pwrite(fd_, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
    return name + ": cannot write in it: " + std::strerror(errno);
  }
  for (const std::string& s : subdirs) {
    fs::create_directories(dir / s, ec);
    if (!fs::is_directory(dir / s, ec)) return std::string(name).append(": cannot create ").append(s).append("/ in it");
  }
  return "";
}

}  // namespace crashdiff::campaign
