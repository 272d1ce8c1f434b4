// The differential engine's interface (DESIGN §6-§7): run a scenario on every target of its family and on the
// family's reference model, compare outcomes, check properties, and name each divergence with a stable,
// digit-free signature. Implemented in diff/; used by the fuzzers, the minimizer and the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/scenario.pb.h"
#include "sim/machine.h"

namespace crashdiff {

struct DiffOptions {
  std::string only_target;   // empty: every target of the family that supports the platform
  bool keep_traces = false;  // keep full traces in the report (explain, timeline); off for fuzzing speed
};

// One divergence of one target from the reference (or one failed property).
struct Divergence {
  // Stable and digit-free: "<PRn|OUTCOME> <short-name>: <role> <what> [<target>/<platform>]".
  std::string signature;
  std::string target;
  std::string property;  // "PR1".."PR11" or "OUTCOME"
  bool known = false;    // matches a KnownDivergence the target declares
  std::string witness;   // CPU, step label, model time: for --explain and reproducer headers
};

struct TargetReport {
  std::string target;
  RunResult result;  // result.trace is empty unless keep_traces
  std::vector<Divergence> divergences;
};

struct DiffReport {
  RunResult reference;
  std::vector<TargetReport> targets;
  std::vector<Divergence> divergences;  // all targets, deduplicated by signature, sorted
  bool has_new() const {
    for (const Divergence& d : divergences) {
      if (!d.known) return true;
    }
    return false;
  }
};

// scenario must be valid.
DiffReport RunDifferential(const pb::Scenario& scenario, const DiffOptions& options = {});

}  // namespace crashdiff
