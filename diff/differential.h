// The differential engine's interface (ARCHITECTURE §6-§7): run a scenario on every target of its family and on the
// family's reference model, compare outcomes, check properties, and name each divergence with a stable,
// digit-free signature. Implemented in diff/; used by the fuzzers, the minimizer and the CLI.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "diff/signature.h"
#include "oracle/facts.h"
#include "oracle/outcome.h"
#include "oracle/properties.h"
#include "proto/scenario.pb.h"
#include "sim/machine.h"
#include "targets/target.h"

namespace crashdiff {

struct DiffOptions {
  std::string only_target;   // empty: every target of the family that supports the platform
  bool keep_traces = false;  // keep full traces in the report (explain, timeline); off for fuzzing speed
  bool hash_traces = true;   // each run's trace hash (run's output, JSON); the fuzz harness needs none
  // Run this target instead of the registered ones (a patch under test that is not registered; tests).
  const TargetSpec* target_override = nullptr;
};

// One divergence of one target from the reference (or one failed property).
struct Divergence {
  // Stable and digit-free: "<PRn|OUTCOME> <short-name>: <role> <what> [<target>/<platform>]".
  std::string signature;
  std::string target;
  std::string property;  // "PR1".."PR11" or "OUTCOME"
  bool known = false;    // matches a KnownDivergence the target declares
  std::string known_as;  // when known: Describe() of the first mechanism that matches (what a bug list keys on)
  std::string witness;   // CPU, step label, model time: for --explain and reproducer headers
  // The parts the signature is made of, and the witness as data.
  std::string short_name;  // property short name, or the outcome field ("handover-location", ...)
  std::string role;        // "initiator", "online-target", ...
  std::string what;
  std::string severity;  // "critical", "error", "warning"
  Witness at;
  uint32_t cpu = kNoCpu;  // the CPU it is about (OUTCOME: the CPU whose outcome differs)
  // The bug this divergence is a symptom of, without target, platform or role: "<PRn> <short-name> @<where>".
  // Platform partitions and role variants of one cause share it (RootCauseKey).
  std::string root_cause;
  // The step label of the witness of the divergence whose root cause it carries: its own, or its cause's when it is
  // a consequence (TakeCause). A triage record's witness labels are checked against this: they describe the cause.
  std::string_view cause_label;
  pb::Platform platform = pb::PLATFORM_UNSPECIFIED;
  uint64_t scenario_events = 0;  // the event kinds of the scenario it was seen in (EventKindsOf)
  // An outcome difference (property "OUTCOME") with no property violated: information, never a bug by itself.
  bool difference() const { return property == "OUTCOME"; }
};

struct TargetReport {
  std::string target;
  RunResult result;  // result.trace is empty unless keep_traces
  Outcome outcome;
  std::vector<Divergence> divergences;  // this target's, deduplicated by signature, sorted
  // "new" (a violation no known mechanism explains), "known" (only documented violations, maybe differences too),
  // "differs" (only outcome differences), "cut" (nothing, on a run its step budget cut: undecided), "ok" (nothing).
  std::string_view verdict() const;
  const Divergence* Find(std::string_view signature) const;  // this target's divergence so named, or null
};

struct DiffReport {
  RunResult reference;
  Outcome reference_outcome;
  // The reference's own property failures, target "reference": hazards inherent to the machine (a target
  // violation identical to one of these is not a divergence), or an oracle defect. Not in `divergences`.
  std::vector<Divergence> reference_violations;
  std::vector<TargetReport> targets;
  std::vector<Divergence> divergences;  // all targets, deduplicated by signature, sorted
  // A property violation of some target that no known mechanism explains (differences do not count).
  bool has_new() const {
    for (const Divergence& d : divergences) {
      if (!d.known && !d.difference()) return true;
    }
    return false;
  }
  const Divergence* Find(std::string_view signature) const;  // the divergence so named, or null
  bool Shows(std::string_view signature) const { return Find(signature) != nullptr; }
  // Shows signature through root_cause (any root cause when it is empty): one signature can show through several
  // mechanisms, and a minimization that keeps only the signature may trade one for another.
  bool ShowsThrough(std::string_view signature, std::string_view root_cause) const;
};

// scenario must be valid.
DiffReport RunDifferential(const pb::Scenario& scenario, const DiffOptions& options = {});

// Whether the documented mechanism k explains d (field by field; an empty field matches anything).
bool MatchesKnown(const KnownDivergence& k, const Divergence& d);
// The same for one run's violation on a scenario of platform p (explore's counterexamples, which have no reference
// run to diverge from).
bool MatchesKnown(const KnownDivergence& k, const Violation& v, pb::Platform p);

// Signature parts (diff/signature.cc), shared with tests and tools.
std::string PlatformTag(const pb::Scenario& scenario);  // e.g. "doorbell", "doorbell+nmi-sysreset", "mwait"
// The root-cause key of a divergence: its property and where the bug shows: the step label of its witness (the
// stop a lost wake sleeps in, the read without a barrier), or for PR1 / PR2 the location at hand-over / the park
// left (diff/signature.cc says why).
std::string RootCauseKey(std::string_view property, std::string_view short_name, std::string_view witness_label,
                         std::string_view what);
std::string MakeSignature(std::string_view property, std::string_view short_name, std::string_view role,
                          std::string_view what, std::string_view target, std::string_view platform_tag);

}  // namespace crashdiff
