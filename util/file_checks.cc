#include "util/file_checks.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace crashdiff {
namespace {

// What a path that is not a regular file is, for the message.
std::string KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "is a directory";
  if (S_ISFIFO(mode)) return "not a regular file (a FIFO)";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "not a regular file (a device)";
  if (S_ISSOCK(mode)) return "not a regular file (a socket)";
  return "not a regular file";
}

std::string TooLarge(size_t max_bytes) {
  return max_bytes == (size_t{1} << 20) ? "file is larger than 1 MiB"
                                        : "file is larger than " + std::to_string(max_bytes) + " bytes";
}

}  // namespace

FileContents ReadRegularFile(const std::string& path, size_t max_bytes) {
  FileContents out;
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    out.error = std::string("cannot open file: ") + std::strerror(errno);
    return out;
  }
  if (!S_ISREG(st.st_mode)) {
    out.error = KindOf(st.st_mode);
    return out;
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    out.error = TooLarge(max_bytes);
    return out;
  }
  // O_NONBLOCK: should the path have been swapped for a FIFO since stat(), open() still does not hang; fstat()
  // then refuses it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    out.error = std::string("cannot open file: ") + std::strerror(errno);
    return out;
  }
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out.error = KindOf(st.st_mode);
    ::close(fd);
    return out;
  }
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      out.error = std::string("cannot read file: ") + std::strerror(errno);
      break;
    }
    if (n == 0) break;
    if (out.data.size() + static_cast<size_t>(n) > max_bytes) {  // it grew since stat()
      out.error = TooLarge(max_bytes);
      break;
    }
    out.data.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (!out.error.empty()) out.data.clear();
  return out;
}

bool StripUtf8Bom(std::string& text) {
  if (text.rfind("\xEF\xBB\xBF", 0) != 0) return false;
  text.erase(0, 3);
  return true;
}

}  // namespace crashdiff
