// Shared by the tests that drive the fuzzer binaries: where the libFuzzer harness is (skipped when it is not
// built), scratch directories, shell commands and whole-file reads.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace crashdiff::fuzz::testing {

// $CRASHDIFF_FUZZER, else build-fuzz/fuzz/crashdiff_fuzzer in the source tree; empty when neither exists.
inline std::filesystem::path FuzzerBinary() {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("CRASHDIFF_FUZZER"); e != nullptr && fs::exists(e)) return e;
  const fs::path p = fs::path(CRASHDIFF_SOURCE_DIR) / "build-fuzz/fuzz/crashdiff_fuzzer";
  return fs::exists(p) ? p : fs::path();
}

// A fresh, empty directory under the system's temporary directory, unique to this process.
inline std::filesystem::path ScratchDir(const std::string& name) {
  namespace fs = std::filesystem;
  const fs::path d = fs::temp_directory_path() / ("crashdiff-" + name + "-" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Runs cmd with /bin/sh; its exit code (128 when it did not exit normally).
inline int RunShell(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

// A documented bug regardless of platform: the signature without the "/platform" of "[target/platform]".
inline std::string BugKey(const std::string& signature) {
  const size_t open = signature.rfind('[');
  const size_t slash = signature.find('/', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || slash == std::string::npos) return signature;
  return signature.substr(0, slash) + "]";
}

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace crashdiff::fuzz::testing
