// What a `crashdiff fuzz` campaign reads from its engines while they run: libFuzzer's worker logs and afl-fuzz's
// fuzzer_stats files, and file counts of its directories.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace crashdiff::campaign {

// The last "exec/s: N" libFuzzer printed in its log (0 before its first status line).
uint64_t LibFuzzerExecsPerSec(const std::filesystem::path& log);

// The inputs executed by every libFuzzer process that wrote to the log (a worker restarted after a crash or a
// corpus merge appends to its log): each finished one's final stats (stat::number_of_executed_units), and the last
// "#N" status line of one still running, or killed before printing them.
uint64_t LibFuzzerExecs(const std::filesystem::path& log);

// afl-fuzz's fuzzer_stats: "key : value" lines.
std::map<std::string, std::string> AflStats(const std::filesystem::path& stats);

// Regular files in dir whose names do not start with '.' (a corpus, crashes/).
size_t CountFiles(const std::filesystem::path& dir);

}  // namespace crashdiff::campaign
