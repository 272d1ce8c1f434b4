// Running the crashdiff binary from tests: exit code and output, with files in a fresh temporary directory.
#pragma once

#include <sys/wait.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>

namespace crashdiff::testing {

// Polls ready every 50 ms for up to seconds (a background campaign reaching a state); true once it holds.
inline bool WaitFor(const std::function<bool()>& ready, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return ready();
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// env: "NAME=value ..." assignments for the command's environment (empty: inherit). timeout_seconds > 0: the
// command is killed after that long (exit code 124), for cases that would otherwise hang the suite.
inline CommandResult RunCrashdiff(const std::string& args, const std::string& env = "", int timeout_seconds = 0) {
  const std::string cmd = (timeout_seconds > 0 ? "timeout -k 5 " + std::to_string(timeout_seconds) + " " : "") +
                          (env.empty() ? "" : "env " + env + " ") + std::string(CRASHDIFF_BINARY) + " " + args +
                          " 2>&1";
  CommandResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "crashdiff-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace crashdiff::testing
