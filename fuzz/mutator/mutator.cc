#include "fuzz/mutator/mutator.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>

#include "fuzz/mutator/fix.h"
#include "proto/family_name.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {

pb::Family FamilyFromEnvironment() {
  const char* v = std::getenv("CRASHDIFF_FAMILY");
  if (v == nullptr) return pb::FAMILY_UNSPECIFIED;
  return ParseFamilyName(v, /*any_case=*/true).value_or(pb::FAMILY_UNSPECIFIED);
}

Mutator::Mutator(MutatorOptions options) : options_(options) {
  for (const Strategy& s : Strategies()) {
    total_weight_ += s.weight;
    stats_.push_back({s.name, 0});
  }
}

void Mutator::StayInFamily(pb::Scenario& scenario) const {
  const pb::Family f = options_.only_family;
  if (f == pb::FAMILY_UNSPECIFIED || scenario.machine().family() == f) return;
  scenario.mutable_machine()->set_family(f);
  scenario.mutable_machine()->set_platform(PlatformsOf(f).front());
}

void Mutator::Fit(pb::Scenario& scenario) const {
  StayInFamily(scenario);
  Fix(scenario, options_.labels);
}

void Mutator::Mutate(pb::Scenario& scenario, Rng& rng) {
  Fit(scenario);  // the strategies assume a valid starting point (CPU count, family)
  MutationContext ctx{options_, rng};
  last_.clear();
  const pb::Scenario input = scenario;
  // Applies one drawn strategy; false when it changed nothing (it drew the value already there, or Fix took its
  // change back): such a draw does not count, an unchanged mutant would spend an execution on what the engine
  // has just run.
  const auto apply_one = [&]() {
    uint64_t pick = rng.Below(total_weight_);
    size_t i = 0;
    while (pick >= Strategies()[i].weight) pick -= Strategies()[i++].weight;
    const pb::Scenario before = scenario;
    if (!Strategies()[i].apply(scenario, ctx)) return false;
    Fix(scenario, options_.labels);
    if (!IsValid(scenario)) {  // never expected; keep the invariant "every mutant is valid" regardless
      scenario = before;
      return false;
    }
    if (google::protobuf::util::MessageDifferencer::Equals(before, scenario)) return false;
    ++stats_[i].applied;
    if (!last_.empty()) last_ += '-';
    last_ += Strategies()[i].name;
    return true;
  };
  // Stack 1..max_stack strategies, fewer more often (libFuzzer's MutationDispatcher does the same).
  const int stack = 1 + static_cast<int>(rng.Below(rng.Below(static_cast<uint64_t>(options_.max_stack)) + 1));
  int tries = 0;
  for (int applied = 0; applied < stack && tries < 4 * stack + 8; ++tries) applied += apply_one() ? 1 : 0;
  // Two stacked strategies can undo each other (insert then delete the same event): keep going until the
  // mutant differs from its input.
  while (tries++ < 4 * stack + 24 && google::protobuf::util::MessageDifferencer::Equals(input, scenario)) apply_one();
}

void Mutator::CrossOver(const pb::Scenario& a, const pb::Scenario& b, pb::Scenario& out, Rng& rng) {
  pb::Scenario child = a;
  StayInFamily(child);
  // Events: a prefix of a's list, then a suffix of b's (a splice at two random cut points).
  const int cut_a = static_cast<int>(rng.Below(static_cast<uint64_t>(a.events_size()) + 1));
  const int cut_b = static_cast<int>(rng.Below(static_cast<uint64_t>(b.events_size()) + 1));
  child.mutable_events()->DeleteSubrange(cut_a, a.events_size() - cut_a);
  for (int i = cut_b; i < b.events_size() && child.events_size() < options_.max_events; ++i) {
    *child.add_events() = b.events(i);
  }
  // Schedule: either b's policy with a's choices, or a splice of both choice lists.
  if (b.has_schedule()) {
    pb::Schedule& s = *child.mutable_schedule();
    if (rng.Chance(1, 2)) {
      s.set_policy(b.schedule().policy());
      s.set_seed(b.schedule().seed());
      s.set_pct_depth(b.schedule().pct_depth());
    } else {
      const int keep = static_cast<int>(rng.Below(static_cast<uint64_t>(s.choices_size()) + 1));
      s.mutable_choices()->DeleteSubrange(keep, s.choices_size() - keep);
      const int from = static_cast<int>(rng.Below(static_cast<uint64_t>(b.schedule().choices_size()) + 1));
      for (int i = from; i < b.schedule().choices_size() && s.choices_size() < options_.max_choices; ++i) {
        *s.add_choices() = b.schedule().choices(i);
      }
    }
  }
  // b's events may come from another family or a bigger machine: Fix maps and trims them.
  Fix(child, options_.labels);
  if (!IsValid(child)) child = a;
  out = std::move(child);
}

pb::Scenario MinimalScenario(pb::Family family) {
  pb::Scenario s;
  pb::Machine& m = *s.mutable_machine();
  m.set_family(family);
  m.set_platform(PlatformsOf(family).front());
  m.set_cores(1);
  m.set_threads_per_core(2);
  m.add_offline(1);
  pb::Event& e = *s.add_events();
  e.set_kind(pb::PANIC);
  e.add_cpus(0);
  e.mutable_trigger()->set_at_step(0);
  return s;
}

}  // namespace crashdiff::fuzz
