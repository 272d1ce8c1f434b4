// Running the crashdiff binary from tests: exit code and output, with files in a fresh temporary directory.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace crashdiff::testing {

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
