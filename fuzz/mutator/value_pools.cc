#include "fuzz/mutator/value_pools.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <array>
#include <span>

#include "sim/cpu.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {

const std::vector<uint64_t>& Timeouts() {
  static const std::vector<uint64_t> kTimeouts = {5 * kUs, 5 * kMs, 500 * kMs, 1 * kSec, 10 * kSec};
  return kTimeouts;
}

const std::vector<uint64_t>& MeaningfulTimes() {
  static const std::vector<uint64_t> kTimes = [] {
    std::vector<uint64_t> out = {0, 1, 2, 10, 100, 1000};
    for (uint64_t t : Timeouts()) {
      for (uint64_t d : {t - kUs, t - 1, t, t + 1, t + kUs}) out.push_back(d);
    }
    return out;
  }();
  return kTimes;
}

uint64_t PickTime(Rng& rng) {
  const auto& times = MeaningfulTimes();
  switch (rng.Below(4)) {
    case 0: return rng.Below(1000);  // the first steps: the crash is still starting
    case 1: {                        // near a timeout, within a few steps
      const uint64_t t = Timeouts()[rng.Below(Timeouts().size())];
      return t - 8 + rng.Below(17);
    }
    default: return times[rng.Below(times.size())];
  }
}

uint64_t PickStep(Rng& rng, uint64_t budget) {
  uint64_t s = 0;
  switch (rng.Below(4)) {
    case 0: s = rng.Below(16); break;
    case 1: s = rng.Below(200); break;
    case 2: s = rng.Below(2000); break;
    default: s = rng.Below(budget + 1); break;
  }
  return s > budget ? budget : s;
}

uint32_t NumCpus(const pb::Machine& m) {
  return m.cores() * m.threads_per_core();
}

uint32_t PickCores(Rng& rng, uint32_t old) {
  static constexpr uint32_t kSmall[] = {1, 1, 2, 2, 2, 3, 4, 4};
  if (old == 0 || rng.Chance(1, 2)) return kSmall[rng.Below(std::size(kSmall))];
  uint64_t out = old;
  switch (rng.Below(4)) {
    case 0: out = old + 1; break;
    case 1: out = old - 1; break;
    case 2: out = uint64_t{old} * 2; break;
    default: out = old / 2; break;
  }
  return static_cast<uint32_t>(std::clamp<uint64_t>(out, 1, kMaxCores));
}

uint32_t PickThreadsPerCore(Rng& rng) {
  static constexpr uint32_t kThreads[] = {1, 1, 1, 2, 2, 2, 4, 4, 8};
  return kThreads[rng.Below(std::size(kThreads))];
}

uint32_t PickCpu(Rng& rng, const pb::Machine& m) {
  const uint32_t n = NumCpus(m) == 0 ? 1 : NumCpus(m);
  switch (rng.Below(6)) {
    case 0:
      if (m.offline_size() > 0) return m.offline(static_cast<int>(rng.Below(m.offline_size()))) % n;
      break;
    case 1:
      if (m.never_started_size() > 0) return m.never_started(static_cast<int>(rng.Below(m.never_started_size()))) % n;
      break;
    case 2: return m.boot_cpu() % n;
    default: break;
  }
  return static_cast<uint32_t>(rng.Below(n));
}

std::string PickLabel(Rng& rng, const LabelPool* labels, pb::Family family) {
  const auto& pool = labels ? labels->Labels(family) : LabelPool::SpecLabels(family);
  if (pool.empty()) return "E1";
  return pool[rng.Below(pool.size())];
}

std::string PickStepLabel(Rng& rng, const LabelPool* labels, pb::Family family) {
  // Half the time a shared-memory read: the check of a check-then-act window is where delays matter most.
  const bool read = labels != nullptr && !labels->ReadLabels(family).empty() && rng.Chance(1, 2);
  const auto& pool = read     ? labels->ReadLabels(family)
                     : labels ? labels->StepLabels(family)
                              : LabelPool::SpecLabels(family);
  if (pool.empty()) return "E1";
  return pool[rng.Below(pool.size())];
}

uint64_t PickOfflineDecNs(Rng& rng) {
  static constexpr uint64_t kPool[] = {1 * kMs, 4 * kMs, 10 * kMs, 100 * kUs, 2 * kSec, kMaxOfflineDecNs};
  if (rng.Chance(1, 3)) return 0;
  return kPool[rng.Below(std::size(kPool))];
}

uint64_t PickTickNs(Rng& rng) {
  // HZ 100 twice as often as HZ 250 or 1000: a CPU running a task with interrupts on through a crash's long waits
  // costs 4 steps a period (an idle one is tickless), so HZ 1000 can run a 25 s hang out of the default step budget.
  static constexpr uint64_t kPool[] = {10 * kMs, 10 * kMs, 4 * kMs, 1 * kMs};
  if (!rng.Chance(1, 4)) return 0;
  return kPool[rng.Below(std::size(kPool))];
}

namespace {

struct IdleStateRow {
  const char* name;
  uint32_t flags;
  uint64_t psscr_val;
  uint64_t psscr_mask;
  uint32_t residency_ns;
};

// skiboot hw/slw.c: flags (OPAL_PM_*) and PSSCR (RL | MTL << 4 | TR 3 << 8 | EC | ESL) of its POWER9 states.
constexpr IdleStateRow kPower9States[] = {
    {"stop0_lite", 0x100000, 0x330, 0x3F03FF, 10000},  {"stop0", 0x101000, 0x300330, 0x3F03FF, 20000},
    {"stop1", 0x101000, 0x300331, 0x3F03FF, 50000},    {"stop2", 0x101000, 0x300332, 0x3F03FF, 100000},
    {"stop4", 0x207000, 0x300374, 0x3F03FF, 10000000}, {"stop5", 0x207000, 0x300375, 0x3F03FF, 20000000},
    {"stop8", 0x207003, 0x3003B8, 0x3F03FF, 20000000}, {"stop11", 0x207003, 0x3003BB, 0x3F03FF, 100000000},
};
// Older firmware: only RL with mask 0xF (the kernel supplies ESL | EC | ...): the mambo table's shape.
constexpr IdleStateRow kPower9OldStates[] = {
    {"stop0", 0x101000, 0x0, 0xF, 20000},
    {"stop1", 0x101000, 0x1, 0xF, 50000},
    {"stop4", 0x207003, 0x4, 0xF, 1000000},
};
constexpr IdleStateRow kPower8States[] = {
    {"nap", 0x11000, 0, 0, 100000},
    {"fastsleep_", 0x81003, 0, 0, 300000000},
    {"winkle", 0x47003, 0, 0, 1000000000},
};

void AddState(pb::Firmware& fw, const IdleStateRow& r) {
  pb::IdleState& st = *fw.add_idle_states();
  st.set_name(r.name);
  st.set_flags(r.flags);
  if (r.psscr_val != 0 || r.psscr_mask != 0) {
    st.set_psscr_val(r.psscr_val);
    st.set_psscr_mask(r.psscr_mask);
  }
  st.set_residency_ns(r.residency_ns);
}

}  // namespace

void PickIdleStates(Rng& rng, pb::Platform platform, pb::Firmware& fw) {
  fw.clear_idle_states();
  fw.clear_stop_loses_state();
  fw.clear_idle_state_usable();
  std::span<const IdleStateRow> table = platform == pb::POWER8_XICS ? std::span<const IdleStateRow>(kPower8States)
                                        : rng.Chance(1, 5)          ? std::span<const IdleStateRow>(kPower9OldStates)
                                                                    : std::span<const IdleStateRow>(kPower9States);
  switch (rng.Below(3)) {
    case 0:  // the whole table
      for (const IdleStateRow& r : table) AddState(fw, r);
      break;
    case 1: {  // a prefix: the deep states disabled (OPAL's stop-state limit, a PEF machine)
      const size_t n = 1 + rng.Below(table.size());
      for (size_t i = 0; i < n; ++i) AddState(fw, table[i]);
      break;
    }
    default:  // one state
      AddState(fw, table[rng.Below(table.size())]);
      break;
  }
}

uint64_t Tweak(Rng& rng, uint64_t v, uint64_t lo, uint64_t hi) {
  uint64_t out = v;
  switch (rng.Below(6)) {
    case 0: out = v + 1; break;
    case 1: out = v == 0 ? 0 : v - 1; break;
    case 2: out = v * 2; break;
    case 3: out = v / 2; break;
    case 4: out = rng.Chance(1, 2) ? lo : hi; break;
    default: out = lo + rng.Below(hi - lo + 1 == 0 ? hi : hi - lo + 1); break;
  }
  if (out < lo) out = lo;
  if (out > hi) out = hi;
  return out;
}

FieldPolicy PolicyFor(const google::protobuf::FieldDescriptor* field) {
  using K = ValueKind;
  // Weights favour what decides interleavings (triggers, targets, schedule) over what is mostly noise (name).
  static constexpr std::array kTable = {
      FieldPolicy{"crashdiff.pb.Scenario.name", K::kName, 0},
      FieldPolicy{"crashdiff.pb.Machine.family", K::kEnum, 0},  // changed only with the platform (ChangeFamily)
      FieldPolicy{"crashdiff.pb.Machine.platform", K::kEnum, 2},
      FieldPolicy{"crashdiff.pb.Machine.cores", K::kCores, 2},
      FieldPolicy{"crashdiff.pb.Machine.threads_per_core", K::kThreads, 2},
      FieldPolicy{"crashdiff.pb.Machine.offline", K::kCpuId, 3},
      FieldPolicy{"crashdiff.pb.Machine.never_started", K::kCpuId, 2},
      FieldPolicy{"crashdiff.pb.Machine.boot_cpu", K::kCpuId, 1},
      FieldPolicy{"crashdiff.pb.Machine.panic_timeout", K::kPanicTimeout, 2},
      FieldPolicy{"crashdiff.pb.Machine.offline_dec_ns", K::kDecNs, 1},
      FieldPolicy{"crashdiff.pb.Machine.tick_ns", K::kTickNs, 1},  // Fix clears it off powerpc
      FieldPolicy{"crashdiff.pb.Machine.crash_kexec_post_notifiers", K::kBool, 1},
      FieldPolicy{"crashdiff.pb.Machine.crash_image_loaded", K::kBool, 1},
      FieldPolicy{"crashdiff.pb.Machine.kexec_image_loaded", K::kBool, 1},
      FieldPolicy{"crashdiff.pb.Machine.kvm_hv", K::kBool, 1},
      // 1, 2, 4 (8 is brought back to 4, and to threads_per_core, by Fix; non-POWER8 back to 1).
      FieldPolicy{"crashdiff.pb.Machine.subcores_per_core", K::kThreads, 1},
      FieldPolicy{"crashdiff.pb.Firmware.system_reset_fails_for", K::kCpuId, 2},
      FieldPolicy{"crashdiff.pb.Firmware.cpu_off_fails_for", K::kCpuId, 2},
      // The idle-state table is changed whole, from skiboot's tables (ChangeFirmware), not field by field.
      FieldPolicy{"crashdiff.pb.IdleState.name", K::kName, 0},
      FieldPolicy{"crashdiff.pb.IdleState.flags", K::kOther, 0},
      FieldPolicy{"crashdiff.pb.IdleState.psscr_val", K::kOther, 0},
      FieldPolicy{"crashdiff.pb.IdleState.psscr_mask", K::kOther, 0},
      FieldPolicy{"crashdiff.pb.IdleState.residency_ns", K::kOther, 0},
      FieldPolicy{"crashdiff.pb.Event.kind", K::kEnum, 4},
      FieldPolicy{"crashdiff.pb.Event.cpus", K::kCpuId, 6},
      FieldPolicy{"crashdiff.pb.Event.all_cpus", K::kBool, 2},
      FieldPolicy{"crashdiff.pb.Event.vector", K::kVector, 1},
      FieldPolicy{"crashdiff.pb.Trigger.at_step", K::kStepIndex, 6},
      FieldPolicy{"crashdiff.pb.Trigger.at_time_ns", K::kTimeNs, 6},
      FieldPolicy{"crashdiff.pb.Trigger.after_handover_ns", K::kTimeNs, 4},
      FieldPolicy{"crashdiff.pb.OnLabel.cpu", K::kCpuId, 6},
      FieldPolicy{"crashdiff.pb.OnLabel.label", K::kLabel, 8},
      FieldPolicy{"crashdiff.pb.OnLabel.occurrence", K::kOccurrence, 3},
      FieldPolicy{"crashdiff.pb.PreemptionPoint.cpu", K::kCpuId, 4},
      FieldPolicy{"crashdiff.pb.PreemptionPoint.label", K::kStepLabel, 6},
      FieldPolicy{"crashdiff.pb.PreemptionPoint.occurrence", K::kOccurrence, 2},
      FieldPolicy{"crashdiff.pb.Choice.cpu", K::kCpuId, 4},
      FieldPolicy{"crashdiff.pb.Choice.steps", K::kChoiceSteps, 3},
      FieldPolicy{"crashdiff.pb.Schedule.policy", K::kEnum, 3},
      FieldPolicy{"crashdiff.pb.Schedule.seed", K::kSeed, 4},
      FieldPolicy{"crashdiff.pb.Schedule.pct_depth", K::kPctDepth, 2},
      // Not mutated: the budget is the simulator's resource bound, not part of the scenario. A budget smaller than
      // a model needs only cuts its run short (EndReason::kBudgetCut: undecided), which spends executions on runs
      // that show less (every livelock in a 300-unit sample of an early campaign corpus came from budgets of 100 or
      // 1,000 the mutator had chosen, judged then as livelocks).
      FieldPolicy{"crashdiff.pb.Schedule.step_budget", K::kOther, 0},
      FieldPolicy{"crashdiff.pb.Schedule.pct_horizon", K::kPctHorizon, 1},
  };
  for (const FieldPolicy& p : kTable) {
    if (p.full_name == field->full_name()) return p;
  }
  using FD = google::protobuf::FieldDescriptor;
  switch (field->cpp_type()) {
    case FD::CPPTYPE_BOOL: return {field->full_name(), K::kBool, 1};
    case FD::CPPTYPE_ENUM: return {field->full_name(), K::kEnum, 1};
    case FD::CPPTYPE_STRING: return {field->full_name(), K::kName, 0};
    default: return {field->full_name(), K::kOther, 1};
  }
}

}  // namespace crashdiff::fuzz
