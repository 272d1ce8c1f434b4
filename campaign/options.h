// The options of a fuzz campaign, declared once: the fields, the command-line flags that set them (with their
// ranges), and the usage text. `crashdiff fuzz` (cli/fuzz_command.cc) reads its arguments through this table;
// campaign/campaign.cc runs what they say.
#pragma once

#include <filesystem>
#include <string>

namespace crashdiff::campaign {

struct FuzzOptions {
  int seconds = 120;
  int runs = 0;  // > 0: each worker stops after this many inputs (libFuzzer -runs; deterministic with one job)
  int jobs = 1;
  std::string family;  // "", ppc, x86, arm64 (proto/family_name.h)
  std::string target;
  std::string engine = "libfuzzer";
  std::filesystem::path out = "fuzz-out";
  std::filesystem::path seeds;
  std::filesystem::path fuzzer;       // libFuzzer binary, or the AFL-instrumented harness
  std::filesystem::path afl_mutator;  // AFL++ custom mutator .so
  std::filesystem::path dict;         // libFuzzer dictionary; empty: none
  bool json = false;
  bool report = false;     // re-judge a finished campaign, do not fuzz
  bool fresh = false;      // start the work directory's campaign over
  int minimize = 10;       // new findings handed to the minimizer at the end (0: none)
  int merge_every = 3600;  // seconds between corpus merges, and a merge at resume (0: never); libFuzzer only
  // Hybrid mode: > 0 starts one more worker that explores up to this many schedules of each new corpus unit on each
  // target (campaign/explore_worker.h); libFuzzer only. crashdiff: the binary that runs it (`explore-worker`).
  int explore = 0;
  std::filesystem::path crashdiff;

  // One job and a run count: the campaign is documented as deterministic (same seeds, same corpus and findings).
  bool deterministic() const { return runs > 0 && jobs == 1; }
};

// The numeric flags: --flag N with N in [min, max].
struct NumberOption {
  const char* flag;
  int min;
  int max;
  int FuzzOptions::* field;
};
inline constexpr NumberOption kNumberOptions[] = {
    {"--time", 1, 1000000, &FuzzOptions::seconds},
    {"--runs", 1, 2000000000, &FuzzOptions::runs},
    {"--jobs", 1, 1024, &FuzzOptions::jobs},
    {"--minimize", 0, 1000000, &FuzzOptions::minimize},
    {"--merge-every", 0, 1000000000, &FuzzOptions::merge_every},
    {"--explore", 0, 1000000, &FuzzOptions::explore},
};
// The other flags with a value, and the flags without one.
inline constexpr const char* kTextOptions[] = {"--family", "--target", "--out", "--engine", "--seeds", "--fuzzer"};
inline constexpr const char* kSwitchOptions[] = {"--json", "--report", "--fresh"};

inline constexpr const char* kFuzzUsage =
    "usage: crashdiff fuzz [--time S] [--jobs N] [--family ppc|x86|arm64] [--target T]\n"
    "                      [--out DIR] [--engine libfuzzer|afl] [--seeds DIR] [--fuzzer PATH] [--runs N]\n"
    "                      [--minimize N] [--merge-every S] [--explore N] [--fresh] [--json]\n";

// The checks that need neither the file system nor the targets: "" when the options are consistent, else the usage
// error ("--engine is libfuzzer or afl", ...).
std::string CheckFuzzOptions(const FuzzOptions& options);

}  // namespace crashdiff::campaign
