#include "oracle/outcome.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "oracle/properties.h"

namespace crashdiff {

std::string_view LocationClass(Location l) {
  if (l == Location::kLoserSpin || !Info(l).parked) return Name(l);
  return Info(l).strict ? "parked" : "parked-weak";
}

std::string ReplaceDigits(std::string_view text) {
  std::string out;
  for (char ch : text) {
    const bool digit = ch >= '0' && ch <= '9';
    if (digit && !out.empty() && out.back() == '#') continue;
    out += digit ? '#' : ch;
  }
  return out;
}

namespace {

std::string_view SavesClass(uint32_t n) {
  return n == 0 ? "none" : n == 1 ? "once" : "twice-or-more";
}

auto Key(const CpuOutcome& c) {
  return std::tie(c.role, c.at_handover, c.final, c.saves, c.invalid_save, c.responded);
}

std::string_view Timing(const pb::Scenario& scenario, const RunResult& result, const Facts& facts) {
  if (!result.handed_over) return "none";
  const uint32_t i = result.handover_cpu;
  const CpuFacts& f = facts.cpus[i];
  const bool kexec = !f.panicked && f.kexec_event;
  const uint64_t start = f.panicked ? f.panic_time_ns : f.kexec_event ? KexecStartNs(f) : 0;
  const uint64_t took = result.handover_time_ns - std::min(start, result.handover_time_ns);
  if (took <= 2 * kSec) return "prompt";
  return took <= InitiatorBoundNs(scenario, kexec) ? "after-timeout" : "late";
}

}  // namespace

Outcome ComputeOutcome(const pb::Scenario& scenario, const RunResult& result, const Facts& facts) {
  Outcome o;
  o.family = scenario.machine().family();
  o.handed_over = result.handed_over;
  o.timing = Timing(scenario, result, facts);
  o.end = result.end;
  const std::vector<Role> roles = RolesOf(scenario, result);
  o.cpus.reserve(result.cpus.size());
  for (uint32_t c = 0; c < result.cpus.size(); ++c) {
    const CpuResult& r = result.cpus[c];
    const CpuFacts& f = facts.cpus[c];
    CpuOutcome co;
    co.role = roles[c];
    co.at_handover = LocationClass(r.at_handover);
    co.final = LocationClass(r.final);
    const uint32_t saves = result.handed_over ? f.saves_before_handover : r.saves;
    co.saves = SavesClass(saves);
    co.invalid_save = (result.handed_over ? f.invalid_saves_before_handover : r.invalid_saves) > 0;
    co.responded = (result.handed_over ? f.responses_before_handover : r.responses) > 0;
    co.cpu = c;
    o.cpus.push_back(co);
  }
  std::sort(o.cpus.begin(), o.cpus.end(), [](const CpuOutcome& a, const CpuOutcome& b) {
    return Key(a) != Key(b) ? Key(a) < Key(b) : a.cpu < b.cpu;
  });
  for (const Diagnostic& d : result.diagnostics) o.diagnostics.push_back(ReplaceDigits(d.text));
  return o;
}

namespace {

auto Fields(const CpuOutcome& c) {
  return std::tie(c.at_handover, c.final, c.saves, c.invalid_save, c.responded);
}

// The CPUs of a group of roles, sorted by the compared fields (not by role).
void OfGroup(const Outcome& o, const std::vector<Role>& group, std::vector<const CpuOutcome*>& out) {
  out.clear();
  for (const CpuOutcome& c : o.cpus) {
    if (std::find(group.begin(), group.end(), c.role) != group.end()) out.push_back(&c);
  }
  std::sort(out.begin(), out.end(), [](const CpuOutcome* a, const CpuOutcome* b) {
    return Fields(*a) != Fields(*b) ? Fields(*a) < Fields(*b) : a->cpu < b->cpu;
  });
}

std::string Responds(bool r) {
  return r ? "responds" : "does not respond";
}

}  // namespace

std::vector<OutcomeDifference> CompareOutcomes(const Outcome& target, const Outcome& reference) {
  std::vector<OutcomeDifference> out;
  // A run its step budget cut has no end to compare: its last states are wherever the cut found the CPUs.
  if (target.end == EndReason::kBudgetCut || reference.end == EndReason::kBudgetCut) return out;
  const uint32_t initiator_cpu = [&] {
    for (const CpuOutcome& c : target.cpus) {
      if (c.role == Role::kInitiator) return c.cpu;
    }
    return kNoCpu;
  }();
  if (target.handed_over != reference.handed_over) {
    out.push_back({Role::kInitiator, "hand-over",
                   target.handed_over ? "hands over, reference does not" : "never hands over, reference does",
                   initiator_cpu});
  } else if (target.timing != reference.timing) {
    out.push_back({Role::kInitiator, "timing",
                   "hands over " + std::string(target.timing) + ", reference " + std::string(reference.timing),
                   initiator_cpu});
  }
  if (target.end != reference.end) {
    out.push_back({Role::kInitiator, "end",
                   "run ends " + std::string(Name(target.end)) + ", reference " + std::string(Name(reference.end)),
                   initiator_cpu});
  }
  // Without a hand-over on either side there is no dump to compare CPU by CPU: where idle or offline CPUs
  // happen to be is an implementation detail, and the properties (PR8 hang, PR9 losers) judge such runs.
  if (!target.handed_over && !reference.handed_over) return out;
  // With a hand-over on one side only, every CPU difference is a consequence of that one.
  if (target.handed_over != reference.handed_over) return out;
  // Online targets and losers are one group: which online CPUs happen to call panic() depends on timing,
  // and a loser that ends unlike the reference's online targets shows as a difference of its fields.
  // Built once (a campaign compares millions of outcomes); the two lists are reused across groups.
  static const std::vector<std::vector<Role>> groups = {
      {Role::kInitiator}, {Role::kOnlineTarget, Role::kLoser}, {Role::kOfflineTarget}, {Role::kNeverStarted}};
  std::vector<const CpuOutcome*> t;
  std::vector<const CpuOutcome*> ref;
  for (const std::vector<Role>& group : groups) {
    OfGroup(target, group, t);
    OfGroup(reference, group, ref);
    const size_t common = std::min(t.size(), ref.size());
    // Both lists are sorted by the compared fields, so pairing them in order matches like with like.
    std::map<std::string, OutcomeDifference> seen;  // one difference per role, field and value pair
    auto add = [&](Role role, const std::string& field, const std::string& what, uint32_t cpu) {
      seen.emplace(std::string(Name(role)) + field + what, OutcomeDifference{role, field, what, cpu});
    };
    for (size_t k = 0; k < common; ++k) {
      const CpuOutcome& a = *t[k];
      const CpuOutcome& b = *ref[k];
      if (a.at_handover != b.at_handover && target.handed_over && reference.handed_over) {
        add(a.role, "handover-location",
            std::string(a.at_handover) + " at hand-over, reference " + std::string(b.at_handover), a.cpu);
      }
      if (a.final != b.final) {
        add(a.role, "final-location", std::string(a.final) + " at the end, reference " + std::string(b.final), a.cpu);
      }
      // Only powerpc collects offline CPUs into the crash path (DOMAIN §6 R*); elsewhere whether an offline CPU
      // that a hotplug request brought online in time got saved is not part of the protocol's outcome.
      const bool dump_fields = a.role != Role::kOfflineTarget || target.family == pb::PPC;
      if (!dump_fields) continue;
      if (a.saves != b.saves) {
        add(a.role, "saves", "saved " + std::string(a.saves) + ", reference " + std::string(b.saves), a.cpu);
      }
      if (a.invalid_save != b.invalid_save) {
        add(a.role, "saves", a.invalid_save ? "saved with NULL registers" : "no NULL-register save, reference has one",
            a.cpu);
      }
      if (a.responded != b.responded) {
        add(a.role, "response", Responds(a.responded) + ", reference " + Responds(b.responded), a.cpu);
      }
    }
    // Group sizes differ only when the initiator came from another group (e.g. an offline thread that a system
    // reset drove into panic won arbitration): which CPU wins is timing, not a divergence; the extra CPU is
    // left unpaired.
    for (auto& [key, d] : seen) out.push_back(std::move(d));
  }
  return out;
}

std::string OutcomeSummary(const Outcome& outcome) {
  std::string out;
  const CpuOutcome* prev = nullptr;
  int run = 0;
  auto flush = [&] {
    if (prev == nullptr) return;
    if (!out.empty()) out += "; ";
    out += std::string(Name(prev->role));
    if (run > 1) out += " x" + std::to_string(run);
    out += " " + std::string(prev->at_handover);
    if (prev->final != prev->at_handover) out += "->" + std::string(prev->final);
    out += " saved:" + std::string(prev->saves);
    if (prev->invalid_save) out += "+NULL";
    if (prev->responded) out += " responded";
  };
  for (const CpuOutcome& c : outcome.cpus) {
    if (prev != nullptr && Key(*prev) == Key(c)) {
      ++run;
      continue;
    }
    flush();
    prev = &c;
    run = 1;
  }
  flush();
  // A cut run's states are a snapshot, not an end: say so before them.
  if (outcome.end == EndReason::kBudgetCut) out = "(cut by its step budget) " + out;
  return out;
}

}  // namespace crashdiff
