// The one engine launcher: what a campaign's engine processes are told (command line and environment) and how they
// are started. `crashdiff fuzz` (campaign/campaign.cc) and the rediscovery benchmark (bench/libfuzzer_campaign.h)
// both start libFuzzer through it, so the two cannot drift apart; the corpus merge and afl-fuzz workers too.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "campaign/worker_process.h"

namespace crashdiff::campaign {

// libFuzzer flags every campaign process shares: scenarios are small (binary protobuf, max 4 KiB), and an input
// that runs 20 s is a hang of the harness.
inline constexpr int kMaxInputBytes = 4096;
inline constexpr int kInputTimeoutSeconds = 20;

// The harness's configuration (fuzz/harness_core.h reads these variables).
struct HarnessEnv {
  std::filesystem::path findings;  // CRASHDIFF_FINDINGS_DIR: campaign mode (empty: OSS-Fuzz mode)
  bool deterministic = false;      // CRASHDIFF_DETERMINISTIC=1: no wall-clock time in finding headers
  std::string family;              // CRASHDIFF_FAMILY; "": every family
  std::string target;              // CRASHDIFF_TARGET; "": every target of the family
  std::filesystem::path seeds;     // CRASHDIFF_SEEDS: step labels from these seeds
  bool bytes = false;              // CRASHDIFF_MUTATOR=bytes: libFuzzer's own byte-level mutations only
};
// "NAME=value" for each variable env sets, paths made absolute.
std::vector<std::string> HarnessEnvironment(const HarnessEnv& env);
// The harness's variables env does not set (for a process that must not inherit them from this one).
std::vector<std::string> HarnessVariablesUnset(const HarnessEnv& env);

// One libFuzzer process (a campaign worker).
struct LibFuzzerRun {
  std::filesystem::path fuzzer;     // the libFuzzer harness
  std::filesystem::path dict;       // -dict=; empty: none
  int seconds = 1;                  // -max_total_time (at least 1)
  uint64_t seed = 0;                // -seed
  std::optional<int> runs;          // -runs (-1: until the time ends); unset: not passed
  std::optional<bool> reload;       // -reload (re-read the corpus each second: parallel jobs); unset: not passed
  std::filesystem::path artifacts;  // -artifact_prefix=<dir>/: crashes of the harness
  std::vector<std::filesystem::path> corpus;  // corpus directories; libFuzzer writes new inputs into the first
};
std::vector<std::string> LibFuzzerArgv(const LibFuzzerRun& run);

// `fuzzer -merge=1 merged corpus`: keeps the inputs of corpus that keep every feature, in merged.
std::vector<std::string> LibFuzzerMergeArgv(const std::filesystem::path& fuzzer, const std::filesystem::path& control,
                                            const std::filesystem::path& artifacts, const std::filesystem::path& merged,
                                            const std::filesystem::path& corpus);

// One afl-fuzz process with the structure-aware custom mutator (worker 0 the main one, -M; the others -S).
struct AflRun {
  std::filesystem::path afl_fuzz;  // the afl-fuzz binary
  std::filesystem::path harness;   // the AFL-instrumented harness
  std::filesystem::path mutator;   // AFL_CUSTOM_MUTATOR_LIBRARY
  int seconds = 1;                 // -V
  std::filesystem::path seeds;     // -i
  std::filesystem::path out;       // -o
  int index = 0;                   // worker w<index>
};
std::vector<std::string> AflArgv(const AflRun& run);
// The AFL_* variables (afl-fuzz's own settings; the harness's come from HarnessEnvironment).
std::vector<std::string> AflEnvironment(const AflRun& run);

// A whole engine process: the spawn (argv, environment, log) of a libFuzzer or afl-fuzz worker.
struct EngineProcess {
  HarnessEnv harness;
  bool isolated = false;  // unset the harness variables harness does not set (HarnessVariablesUnset)
  std::filesystem::path log;
  std::filesystem::path working_dir;  // empty: this process's
  bool fixed_addresses = false;       // WorkerSpawn::fixed_addresses (a deterministic campaign)
};
WorkerSpawn LibFuzzerSpawn(const LibFuzzerRun& run, const EngineProcess& process);
WorkerSpawn AflSpawn(const AflRun& run, const EngineProcess& process);

}  // namespace crashdiff::campaign
