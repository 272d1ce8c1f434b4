#include "util/atomic_file.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace crashdiff {

namespace {

// Writes content to a fresh temporary next to path (".<name>.tmp-<pid>-XXXXXX", synced, with the usual permissions)
// and returns its name in *tmp; "" on success, else a message naming path and the reason.
std::string WriteTemporary(const std::string& path, std::string_view content, std::string* tmp) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  *tmp = (dir / ("." + target.filename().string() + ".tmp-" + std::to_string(getpid()) + "-XXXXXX")).string();
  const int fd = mkstemp(tmp->data());
  if (fd < 0) return path + ": cannot create a temporary file in " + dir.string() + ": " + std::strerror(errno);
  const auto fail = [&](const char* what) {
    std::string msg = path + ": " + what + ": " + std::strerror(errno);
    close(fd);
    std::remove(tmp->c_str());
    return msg;
  };
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write failed");
    }
    done += static_cast<size_t>(n);
  }
  // mkstemp creates the file 0600; an output file should have the usual permissions.
  const mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0 || fsync(fd) != 0) return fail("cannot finish the file");
  if (close(fd) != 0) {
    std::remove(tmp->c_str());
    return path + ": close failed: " + std::strerror(errno);
  }
  return "";
}

}  // namespace

std::string WriteFileAtomically(const std::string& path, std::string_view content) {
  std::string tmp;
  if (std::string error = WriteTemporary(path, content, &tmp); !error.empty()) return error;
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string msg = path + ": cannot rename the temporary file into place: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return msg;
  }
  return "";
}

CreateResult CreateFileAtomically(const std::string& path, std::string_view content, std::string* error) {
  std::string tmp;
  std::string why = WriteTemporary(path, content, &tmp);
  CreateResult result = CreateResult::kFailed;
  if (why.empty()) {
    // link() never replaces: it fails with EEXIST when another writer created path first.
    if (::link(tmp.c_str(), path.c_str()) == 0) {
      result = CreateResult::kCreated;
    } else if (errno == EEXIST) {
      result = CreateResult::kExists;
    } else {
      why = path + ": cannot link the temporary file into place: " + std::strerror(errno);
    }
    std::remove(tmp.c_str());
  }
  if (error != nullptr) *error = why;
  return result;
}

namespace {

bool IsAlnum(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) != 0; });
}

// Whether name is one of WriteFileAtomically's temporaries whose writer is gone.
bool IsStaleTemporary(const std::string& name) {
  const size_t at = name.rfind(".tmp-");
  if (name.size() < 2 || name[0] != '.' || at == std::string::npos || at == 0) return false;
  const std::string tail = name.substr(at + 5);  // "<pid>-XXXXXX" or "XXXXXX"
  if (tail.size() == 6) return IsAlnum(tail);    // no pid: an earlier version's, not being written now
  const size_t dash = tail.find('-');
  if (dash == std::string::npos || dash == 0 || tail.size() - dash - 1 != 6 || !IsAlnum(tail.substr(dash + 1))) {
    return false;
  }
  const std::string pid = tail.substr(0, dash);
  if (pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) return false;
  // kill(pid, 0) probes without signalling: ESRCH means no such process (EPERM: it runs, as another user).
  return kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH;
}

}  // namespace

size_t RemoveStaleTemporaries(const std::string& dir) {
  namespace fs = std::filesystem;
  size_t removed = 0;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (!it->is_regular_file(ec) || !IsStaleTemporary(it->path().filename().string())) continue;
    if (fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

}  // namespace crashdiff
