// The minimizer (ARCHITECTURE §9): keeps a property of a scenario (normally "still shows signature S") and removes
// everything else. First ddmin (Zeller & Hildebrandt 2002) over the events and the schedule choices, to
// 1-minimality; then simplification passes (fewer CPUs, default policy, earlier triggers, cleared fields, smaller
// numbers), repeated to a fixpoint, ending with a ddmin pass so the result stays 1-minimal. Deterministic: the
// same input and predicate give the same output.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "proto/scenario.pb.h"

namespace crashdiff {

// Does the candidate still show what we are minimizing for? Called only on valid scenarios.
using KeepsProperty = std::function<bool(const pb::Scenario&)>;

struct MinimizeOptions {
  uint64_t max_runs = 50'000;                            // predicate calls at most
  const std::atomic<bool>* stop = nullptr;               // set from a signal handler: return the best so far
  std::function<void(const std::string&)> progress;      // one line per accepted reduction
  std::function<void(const pb::Scenario&)> on_improved;  // e.g. write the best so far atomically
};

struct MinimizeStats {
  uint64_t runs = 0;      // predicate calls
  uint64_t accepted = 0;  // reductions kept
  bool interrupted = false;
  bool budget_exhausted = false;
};

// input must be valid and keeps(input) must hold; returns a valid scenario for which keeps holds.
pb::Scenario Minimize(const pb::Scenario& input, const KeepsProperty& keeps, const MinimizeOptions& options = {},
                      MinimizeStats* stats = nullptr);

// True if removing any single event or schedule choice loses the property (the corpus invariant).
bool IsOneMinimal(const pb::Scenario& scenario, const KeepsProperty& keeps);

}  // namespace crashdiff
