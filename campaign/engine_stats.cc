#include "campaign/engine_stats.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <system_error>

namespace crashdiff::campaign {

namespace fs = std::filesystem;

uint64_t LibFuzzerExecsPerSec(const fs::path& log) {
  std::ifstream in(log);
  std::string line;
  uint64_t rate = 0;
  while (std::getline(in, line)) {
    const size_t at = line.rfind("exec/s: ");
    if (at != std::string::npos) rate = std::strtoull(line.c_str() + at + 8, nullptr, 10);
  }
  return rate;
}

uint64_t LibFuzzerExecs(const fs::path& log) {
  static constexpr std::string_view kFinal = "stat::number_of_executed_units: ";
  std::ifstream in(log);
  std::string line;
  uint64_t done = 0;     // processes that ended
  uint64_t current = 0;  // the running one's last "#N"
  while (std::getline(in, line)) {
    if (line.rfind("INFO: Seed: ", 0) == 0) {  // a new process: the previous one died without final stats
      done += current;
      current = 0;
    } else if (line.size() > 1 && line[0] == '#' && std::isdigit(static_cast<unsigned char>(line[1]))) {
      current = std::strtoull(line.c_str() + 1, nullptr, 10);
    } else if (line.rfind(kFinal, 0) == 0) {
      done += std::strtoull(line.c_str() + kFinal.size(), nullptr, 10);
      current = 0;
    }
  }
  return done + current;
}

std::map<std::string, std::string> AflStats(const fs::path& stats) {
  std::map<std::string, std::string> out;
  std::ifstream in(stats);
  std::string line;
  while (std::getline(in, line)) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon), value = line.substr(colon + 1);
    key.erase(key.find_last_not_of(' ') + 1);
    value.erase(0, value.find_first_not_of(' '));
    out[key] = value;
  }
  return out;
}

size_t CountFiles(const fs::path& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_regular_file(ec) && it->path().filename().string()[0] != '.') ++n;
  }
  return n;
}

}  // namespace crashdiff::campaign
