// The structure-aware scenario mutator shared by the libFuzzer harness, the AFL++ custom mutator and the tests.
// Each mutation strategy is one named row of a table (libFuzzer's style), so statistics name them; every mutant
// goes through Fix() and is valid. Deterministic: the same scenario and the same Rng state give the same mutant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/mutator/label_pool.h"
#include "proto/scenario.pb.h"
#include "sim/rng.h"

namespace crashdiff::fuzz {

struct MutatorOptions {
  const LabelPool* labels = nullptr;  // step labels for on_label triggers; null = the DOMAIN.md step ids
  // When set, mutants stay in this family (campaigns restricted with --family): ChangeFamily does not apply and
  // seeds of other families are moved into it by Fix.
  pb::Family only_family = pb::FAMILY_UNSPECIFIED;
  int max_events = 32;  // soft caps for fuzzing (the hard limits are in sim/validate.h)
  int max_choices = 64;
  int max_depth = 6;  // bound on the reflection walk's nesting
  int max_stack = 4;  // up to this many strategies are stacked per Mutate call
};

struct MutationContext {
  const MutatorOptions& options;
  Rng& rng;
};

// One mutation strategy. Returns false when it does not apply (e.g. deleting from an empty list).
struct Strategy {
  std::string_view name;
  uint32_t weight;
  bool (*apply)(pb::Scenario& scenario, MutationContext& ctx);
};

const std::vector<Strategy>& Strategies();

struct StrategyStats {
  std::string_view name;
  uint64_t applied = 0;
};

class Mutator {
 public:
  explicit Mutator(MutatorOptions options = {});

  // Mutates scenario in place (1..max_stack stacked strategies) and repairs it: the result is valid.
  void Mutate(pb::Scenario& scenario, Rng& rng);
  // Crossover: out gets a's machine and a splice of both event lists and schedules; then Fix.
  void CrossOver(const pb::Scenario& a, const pb::Scenario& b, pb::Scenario& out, Rng& rng);
  // Brings a scenario the strategies did not make (a byte-level mutant, an input to mutate) within the mutants'
  // limits: the campaign's family, Fix's repairs and its machine size cap (kMaxMutantCpus).
  void Fit(pb::Scenario& scenario) const;

  // Names of the strategies the last Mutate applied, e.g. "InsertEvent-RetimeEvent".
  const std::string& last() const { return last_; }
  const std::vector<StrategyStats>& stats() const { return stats_; }
  const MutatorOptions& options() const { return options_; }

 private:
  void StayInFamily(pb::Scenario& scenario) const;

  MutatorOptions options_;
  uint64_t total_weight_ = 0;
  std::vector<StrategyStats> stats_;
  std::string last_;
};

// The family a campaign is restricted to: $CRASHDIFF_FAMILY (ppc | x86 | arm64, any case; `crashdiff fuzz --family`
// sets it for every engine). Both engines' mutators read it here, the libFuzzer harness and the AFL++ custom
// mutator (which runs inside afl-fuzz, not in the harness), so both keep mutants in the family the harness accepts.
// Unset or unknown: FAMILY_UNSPECIFIED (every family).
pb::Family FamilyFromEnvironment();

// A fresh, valid scenario of family with a single PANIC: what the mutator starts from when it has nothing.
pb::Scenario MinimalScenario(pb::Family family);

}  // namespace crashdiff::fuzz
