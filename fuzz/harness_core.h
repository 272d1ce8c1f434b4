// What every fuzzing engine's entry points share: reading an input, running it through the differential engine,
// turning the outcome into coverage features, recording or reporting divergences, and mutating with the
// structure-aware mutator. The libFuzzer harness and the AFL++ build link this; the engine files only adapt the
// calling conventions.
//
// Configuration is read from the environment once (engines own argv):
//   CRASHDIFF_FINDINGS_DIR  campaign mode: record each new signature (atomically) with its input and keep going.
//                           Unset: OSS-Fuzz mode: abort, with the signature as the message, on a new divergence
//                           that no target declares as known.
//   CRASHDIFF_FAMILY        ppc | x86 | arm64: inputs of other families are rejected, mutants stay in it.
//   CRASHDIFF_TARGET        run only this target (and the reference).
//   CRASHDIFF_SEEDS         directory of seed scenarios whose traces supply step labels (besides corpus dirs).
//   CRASHDIFF_MUTATOR=bytes libFuzzer's byte-level mutations only (baseline; arbitrary-bytes robustness test).
//   CRASHDIFF_EDGE_COUNTS=1 edge coverage with libFuzzer's hit-count buckets. Default (unset or 0): without them,
//                           each SanitizerCoverage counter the run set becomes 1 before the engine reads it
//                           (features.h SaturateCounters); docs/PERFORMANCE.md "Re-measured 2026-12-04 (harness
//                           features)" has what it gains and costs.
//   CRASHDIFF_EDGE_FEATURES=0  no edge coverage at all: the counters are cleared, only the model features count
//                           (an experiment of the same section: the search loses the v1 lost wake).
//   CRASHDIFF_COUNT_FEATURES=1 prints, every 5,000 executions, the mean number of edge and model counters an
//                           execution sets (what libFuzzer's per-execution bookkeeping walks).
//   CRASHDIFF_DETERMINISTIC=1  a campaign that must repeat byte for byte (crashdiff fuzz --runs N --jobs 1):
//                           findings leave out "# found-after-ms", the one header line that depends on the clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "diff/differential.h"
#include "diff/finding.h"
#include "fuzz/mutator/input.h"
#include "fuzz/mutator/mutator.h"
#include "proto/scenario.pb.h"

namespace crashdiff::fuzz {

// What the engine gets from SanitizerCoverage's edge counters besides the model features.
enum class EdgeFeatures { kWithCounts, kWithoutCounts, kNone };

struct HarnessConfig {
  std::string findings_dir;  // empty: OSS-Fuzz mode
  pb::Family family = pb::FAMILY_UNSPECIFIED;
  std::string target;
  std::vector<std::string> seed_dirs;
  bool deterministic = false;  // no wall-clock time in what the harness writes
  // Hit counts of edges cost a third of a campaign's time in engine bookkeeping for no measured gain in search
  // (docs/PERFORMANCE.md "Re-measured 2026-12-04 (harness features)").
  EdgeFeatures edges = EdgeFeatures::kWithoutCounts;
  bool count_features = false;  // CRASHDIFF_COUNT_FEATURES

  static HarnessConfig FromEnvironment();
};

// Runs scenarios on every target of their family with traces on and adds each executed step label to pool.
void LearnLabels(const std::vector<pb::Scenario>& scenarios, LabelPool& pool);

class Harness {
 public:
  explicit Harness(HarnessConfig config);

  // Learns step labels from the seed directories (config and extra, e.g. libFuzzer's corpus arguments).
  void Initialize(const std::vector<std::string>& extra_dirs);

  // Runs one input. Returns -1 when the input is rejected (unparsable, invalid, wrong family), else 0. In
  // OSS-Fuzz mode it aborts on a new unexpected divergence.
  int Run(const uint8_t* data, size_t size);

  // Structure-aware mutation into data (capacity max_size). Returns the new size.
  size_t Mutate(uint8_t* data, size_t size, size_t max_size, uint64_t seed);
  size_t CrossOver(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size, uint8_t* out, size_t max_size,
                   uint64_t seed);
  // A mutant made outside the structure-aware mutator (libFuzzer's byte-level mutations), fitted in place within
  // the mutants' limits (Mutator::Fit). Returns its new size, or 0 when it is not a scenario or does not fit.
  size_t FitMutant(uint8_t* data, size_t size, size_t max_size) const;

  const HarnessConfig& config() const { return config_; }
  Mutator& mutator() { return mutator_; }
  uint64_t divergences_recorded() const { return recorded_; }
  uint64_t executions() const { return executions_; }

 private:
  void RecordFeatures(const pb::Scenario& scenario, const DiffReport& report);
  void Report(const pb::Scenario& scenario, const DiffReport& report);
  void CountFeatures();

  HarnessConfig config_;
  LabelPool labels_;
  Mutator mutator_;
  std::vector<std::string> seen_;   // signatures already handled by this process (sorted)
  std::vector<uint64_t> features_;  // RecordFeatures' buffer, reused across executions
  uint64_t recorded_ = 0;
  uint64_t executions_ = 0;  // calls of Run(), rejected inputs included
  uint64_t counted_ = 0, edge_counters_ = 0, model_counters_ = 0;  // CountFeatures' sums
  // When Run() was first called: findings say how long after it they were found (bench metadata, never traced).
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

// RecordFinding and FoundAfter (diff/finding.h) write what Run() finds.

}  // namespace crashdiff::fuzz
