#include "util/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace crashdiff {

std::string WriteFileAtomically(const std::string& path, std::string_view content) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return path + ": cannot create a temporary file in " + dir.string() + ": " + std::strerror(errno);
  const auto fail = [&](const char* what) {
    const std::string msg = path + ": " + what + ": " + std::strerror(errno);
    close(fd);
    std::remove(tmp.c_str());
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
    std::remove(tmp.c_str());
    return path + ": close failed: " + std::strerror(errno);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string msg = path + ": cannot rename the temporary file into place: " + std::strerror(errno);
    std::remove(tmp.c_str());
    return msg;
  }
  return "";
}

}  // namespace crashdiff
