#include "minimize/retune.h"

#include <functional>
#include <vector>

#include "sim/validate.h"

namespace crashdiff {
namespace {

// One anchor of the scenario: its name, its value, and how to set it on a copy.
struct Anchor {
  std::string field;
  uint64_t value;
  std::function<void(pb::Scenario&, uint64_t)> set;
};

std::vector<Anchor> TriggerAnchors(const pb::Scenario& s) {
  std::vector<Anchor> out;
  for (int i = 0; i < s.events_size(); ++i) {
    const pb::Trigger& t = s.events(i).trigger();
    const std::string prefix = "events[" + std::to_string(i) + "].trigger.";
    switch (t.when_case()) {
      case pb::Trigger::kAtTimeNs:
        out.push_back({prefix + "at_time_ns", t.at_time_ns(), [i](pb::Scenario& c, uint64_t v) {
                         c.mutable_events(i)->mutable_trigger()->set_at_time_ns(v);
                       }});
        break;
      case pb::Trigger::kAtStep:
        out.push_back({prefix + "at_step", t.at_step(),
                       [i](pb::Scenario& c, uint64_t v) { c.mutable_events(i)->mutable_trigger()->set_at_step(v); }});
        break;
      case pb::Trigger::kAfterHandoverNs:
        out.push_back({prefix + "after_handover_ns", t.after_handover_ns(), [i](pb::Scenario& c, uint64_t v) {
                         c.mutable_events(i)->mutable_trigger()->set_after_handover_ns(v);
                       }});
        break;
      default: break;
    }
  }
  return out;
}

bool SeededSchedule(const pb::Scenario& s) {
  return s.has_schedule() && (s.schedule().policy() == pb::RANDOM || s.schedule().policy() == pb::PCT);
}

}  // namespace

Retuned Retune(const pb::Scenario& input, const KeepsProperty& keeps, const RetuneOptions& options) {
  Retuned r;
  r.scenario = input;
  const auto stopped = [&] { return options.stop != nullptr && options.stop->load(); };
  // A candidate counts only if it is valid (a moved trigger can leave its range) and keeps the property.
  const auto try_variant = [&](const pb::Scenario& candidate) {
    if (!IsValid(candidate)) return false;
    ++r.runs;
    return keeps(candidate);
  };
  ++r.runs;
  if (keeps(input)) {
    r.found = true;
    return r;
  }
  // Nearest first over every trigger at once: distance 1 on each anchor, then distance 2, ...
  const std::vector<Anchor> anchors = TriggerAnchors(input);
  for (uint64_t d = 1; d <= options.window && !anchors.empty() && !stopped(); ++d) {
    for (const Anchor& a : anchors) {
      for (const bool up : {true, false}) {
        if (!up && a.value < d) continue;
        const uint64_t v = up ? a.value + d : a.value - d;
        pb::Scenario candidate = input;
        a.set(candidate, v);
        if (!try_variant(candidate)) continue;
        r = Retuned{true, std::move(candidate), a.field, a.value, v, r.runs};
        return r;
      }
    }
  }
  if (SeededSchedule(input)) {
    for (uint64_t seed = 1; seed <= options.seeds && !stopped(); ++seed) {
      if (seed == input.schedule().seed()) continue;
      pb::Scenario candidate = input;
      candidate.mutable_schedule()->set_seed(seed);
      if (!try_variant(candidate)) continue;
      r = Retuned{true, std::move(candidate), "schedule.seed", input.schedule().seed(), seed, r.runs};
      return r;
    }
  }
  return r;
}

}  // namespace crashdiff
