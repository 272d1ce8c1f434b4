#include "fuzz/mutator/fix.h"

#include <algorithm>
#include <set>

#include "sim/events.h"
#include "sim/memory_model.h"
#include "sim/trigger_points.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {
namespace {

template <typename T>
T Clamp(T v, T lo, T hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// Keeps the first occurrence of each id below n that keep() accepts, in order. Returns true if it removed any.
template <typename Keep>
bool FilterCpus(google::protobuf::RepeatedField<uint32_t>* cpus, uint32_t n, Keep keep) {
  std::set<uint32_t> seen;
  google::protobuf::RepeatedField<uint32_t> out;
  for (uint32_t c : *cpus) {
    if (c < n && keep(c) && seen.insert(c).second) out.Add(c);
  }
  if (out.size() == cpus->size()) return false;
  cpus->Swap(&out);
  return true;
}

// The family's equivalent of an event kind that does not exist on it (a reset on ppc is an NMI on x86, ...).
// EVENT_UNSPECIFIED means: no equivalent, drop the event.
pb::EventKind Equivalent(pb::EventKind kind, pb::Family family) {
  const EventInfo* info = FindEventInfo(kind);
  if (info != nullptr && (info->families & (1u << family))) return kind;
  switch (kind) {
    case pb::SYSTEM_RESET:
    case pb::HMI: return family == pb::PPC ? pb::SYSTEM_RESET : pb::NMI;
    case pb::NMI:
    case pb::SMI: return family == pb::PPC ? pb::SYSTEM_RESET : pb::NMI;
    case pb::STRAY_DOORBELL:
    case pb::STALE_ICP_IPI:
    case pb::XIVE_IPI:
    case pb::KVM_EXIT: return family == pb::X86 ? pb::MONITOR_WRITE : pb::SPURIOUS_WAKE;
    case pb::MONITOR_WRITE: return family == pb::PPC ? pb::STRAY_DOORBELL : pb::SPURIOUS_WAKE;
    default: return pb::EVENT_UNSPECIFIED;
  }
}

class Fixer {
 public:
  explicit Fixer(const LabelPool* labels) : labels_(labels) {}

  bool Run(pb::Scenario& s) {
    if (s.name().size() > kMaxNameLength) Change([&] { s.mutable_name()->resize(kMaxNameLength); });
    if (!s.has_machine()) Change([&] { s.mutable_machine(); });
    MachineFix(*s.mutable_machine());
    const pb::Machine& m = s.machine();
    n_ = m.cores() * m.threads_per_core();
    buffered_ = BuffersStores(m);
    queues_ = QueuesInvalidates(m);
    family_ = m.family();
    ScheduleFix(*s.mutable_schedule());
    if (s.events_size() > kMaxEvents) {
      Change([&] { s.mutable_events()->DeleteSubrange(kMaxEvents, s.events_size() - kMaxEvents); });
    }
    const uint64_t budget = s.schedule().step_budget();
    for (int i = 0; i < s.events_size();) {
      if (EventFix(*s.mutable_events(i), budget)) {
        ++i;
      } else {
        Change([&] { s.mutable_events()->DeleteSubrange(i, 1); });
      }
    }
    // After every other repair: which CPUs a HOTPLUG_UP brings online is only final once the events are.
    for (int i = 0; i < s.events_size();) {
      if (SoftwareCpuFix(s, *s.mutable_events(i)) && KvmEnterFix(s, *s.mutable_events(i))) {
        ++i;
      } else {
        Change([&] { s.mutable_events()->DeleteSubrange(i, 1); });
      }
    }
    return changed_;
  }

 private:
  template <typename F>
  void Change(F f) {
    f();
    changed_ = true;
  }

  void MachineFix(pb::Machine& m) {
    if (m.family() == pb::FAMILY_UNSPECIFIED) {
      const pb::Family from_platform = m.platform() == pb::PLATFORM_UNSPECIFIED ? pb::PPC : FamilyOf(m.platform());
      Change([&] { m.set_family(from_platform); });
    }
    if (!PlatformInFamily(m.platform(), m.family())) {
      Change([&] { m.set_platform(PlatformsOf(m.family()).front()); });
    }
    if (m.cores() < 1 || m.cores() > kMaxCores) Change([&] { m.set_cores(Clamp<uint32_t>(m.cores(), 1, kMaxCores)); });
    uint32_t t = m.threads_per_core();
    if (t != 1 && t != 2 && t != 4 && t != 8) {
      uint32_t fixed = 1;
      while (fixed * 2 <= t && fixed < 8) fixed *= 2;  // the largest valid value not above t
      Change([&] { m.set_threads_per_core(fixed); });
    }
    while (m.cores() * m.threads_per_core() > kMaxMutantCpus) {
      Change([&] { m.set_threads_per_core(m.threads_per_core() / 2); });
    }
    const uint32_t n = m.cores() * m.threads_per_core();
    if (m.boot_cpu() >= n) Change([&] { m.set_boot_cpu(m.boot_cpu() % n); });
    const uint32_t boot = m.boot_cpu();
    if (FilterCpus(m.mutable_offline(), n, [&](uint32_t c) { return c != boot; })) changed_ = true;
    const std::set<uint32_t> offline(m.offline().begin(), m.offline().end());
    if (FilterCpus(m.mutable_never_started(), n, [&](uint32_t c) { return c != boot && !offline.count(c); })) {
      changed_ = true;
    }
    if (m.panic_timeout() < -1 || m.panic_timeout() > 3600) {
      Change([&] { m.set_panic_timeout(Clamp<int32_t>(m.panic_timeout(), -1, 3600)); });
    }
    if (m.kvm_hv() && !PlatformInFamily(m.platform(), pb::PPC)) Change([&] { m.clear_kvm_hv(); });
    if (m.offline_dec_ns() > kMaxOfflineDecNs) Change([&] { m.set_offline_dec_ns(kMaxOfflineDecNs); });
    if (m.tick_ns() != 0) {  // powerpc only; 0 or [1 ms, DECREMENTER_MAX]
      if (m.family() != pb::PPC) {
        Change([&] { m.clear_tick_ns(); });
      } else if (m.tick_ns() < kMinTickNs || m.tick_ns() > kMaxOfflineDecNs) {
        Change([&] { m.set_tick_ns(Clamp<uint64_t>(m.tick_ns(), kMinTickNs, kMaxOfflineDecNs)); });
      }
    }
    if (m.has_subcores_per_core()) {  // 1, 2 or 4, at most threads_per_core, POWER8 only
      uint32_t sc = m.subcores_per_core() >= 4 ? 4 : m.subcores_per_core() >= 2 ? 2 : 1;
      while (sc > m.threads_per_core()) sc /= 2;
      if (m.platform() != pb::POWER8_XICS || sc == 1) {
        if (m.subcores_per_core() != 1) Change([&] { m.clear_subcores_per_core(); });
      } else if (sc != m.subcores_per_core()) {
        Change([&] { m.set_subcores_per_core(sc); });
      }
    }
    if (m.has_firmware()) {
      pb::Firmware& fw = *m.mutable_firmware();
      if (fw.system_reset_supported() && m.platform() == pb::POWER8_XICS)
        Change([&] { fw.clear_system_reset_supported(); });
      if (FilterCpus(fw.mutable_system_reset_fails_for(), n, [](uint32_t) { return true; })) changed_ = true;
      if (FilterCpus(fw.mutable_cpu_off_fails_for(), n, [&](uint32_t c) { return !offline.count(c); })) changed_ = true;
      IdleStatesFix(fw, m.platform());
    }
  }

  // Firmware.idle_states: the table replaces the one-bit description; bits outside the schema's are dropped, and
  // flags of the other POWER generation removed (the platform may have changed under the table).
  void IdleStatesFix(pb::Firmware& fw, pb::Platform platform) {
    const bool p8 = platform == pb::POWER8_XICS;
    if (fw.idle_states_size() > kMaxIdleStates) {
      Change([&] { fw.mutable_idle_states()->DeleteSubrange(kMaxIdleStates, fw.idle_states_size() - kMaxIdleStates); });
    }
    if (fw.idle_states_size() > 0 && (fw.has_stop_loses_state() || fw.has_idle_state_usable())) {
      Change([&] {
        fw.clear_stop_loses_state();
        fw.clear_idle_state_usable();
      });
    }
    if (fw.stop_api_fails() && (p8 || fw.idle_states_size() == 0)) Change([&] { fw.clear_stop_api_fails(); });
    for (pb::IdleState& st : *fw.mutable_idle_states()) {
      if (st.name().size() > kMaxIdleStateName) Change([&] { st.mutable_name()->resize(kMaxIdleStateName); });
      const uint32_t other = p8 ? kIdleStateP9OnlyFlags : kIdleStateP8OnlyFlags;
      const uint32_t flags = st.flags() & kIdleStateFlagBits & ~other;
      if (flags != st.flags()) Change([&] { st.set_flags(flags); });
      if (st.psscr_val() & ~kIdleStatePsscrBits)
        Change([&] { st.set_psscr_val(st.psscr_val() & kIdleStatePsscrBits); });
      if (st.psscr_mask() & ~kIdleStatePsscrBits) {
        Change([&] { st.set_psscr_mask(st.psscr_mask() & kIdleStatePsscrBits); });
      }
    }
  }

  static pb::Family FamilyOf(pb::Platform p) {
    for (pb::Family f : {pb::PPC, pb::X86, pb::ARM64}) {
      if (PlatformInFamily(p, f)) return f;
    }
    return pb::PPC;
  }

  void ScheduleFix(pb::Schedule& s) {
    if (s.step_budget() < kMinStepBudget || s.step_budget() > kMaxStepBudget) {
      Change([&] { s.set_step_budget(Clamp<uint64_t>(s.step_budget(), kMinStepBudget, kMaxStepBudget)); });
    }
    if (s.pct_depth() < 1 || s.pct_depth() > kMaxPctDepth) {
      Change([&] { s.set_pct_depth(Clamp<uint32_t>(s.pct_depth(), 1, kMaxPctDepth)); });
    }
    if (s.pct_horizon() < 1 || s.pct_horizon() > kMaxStepBudget) {
      Change([&] { s.set_pct_horizon(Clamp<uint64_t>(s.pct_horizon(), 1, kMaxStepBudget)); });
    }
    if (s.choices_size() > kMaxChoices) {
      Change([&] { s.mutable_choices()->DeleteSubrange(kMaxChoices, s.choices_size() - kMaxChoices); });
    }
    for (pb::Choice& c : *s.mutable_choices()) {
      if (c.cpu() >= n_) Change([&] { c.set_cpu(c.cpu() % n_); });
      if (c.steps() < 1 || c.steps() > kMaxChoiceSteps) {
        Change([&] { c.set_steps(Clamp<uint32_t>(c.steps(), 1, kMaxChoiceSteps)); });
      }
      if (c.has_after()) AnchorFix(*c.mutable_after());
      // Store buffers exist only in the ARCHITECTURE memory model.
      if (c.store_buffer() && !buffered_) Change([&] { c.clear_store_buffer(); });
      // A named commit belongs to a running store-buffer choice, with a name validation accepts.
      if (c.has_commit() && (!c.store_buffer() || c.hold() || !ValidCommitName(c.commit()))) {
        Change([&] { c.clear_commit(); });
      }
      // Invalidate queues exist only on powerpc / arm64 in the ARCHITECTURE model; a choice is about one agent.
      if (c.invalidate_queue() && (!queues_ || c.store_buffer())) Change([&] { c.clear_invalidate_queue(); });
      if (c.has_invalidate() && (!c.invalidate_queue() || c.hold() || !ValidCommitName(c.invalidate()))) {
        Change([&] { c.clear_invalidate(); });
      }
    }
  }

  // A CPU and a well-formed label (any step label: a choice's preemption point need not be a trigger point).
  template <typename Anchor>
  void AnchorFix(Anchor& on) {
    if (on.cpu() >= n_) Change([&] { on.set_cpu(on.cpu() % n_); });
    if (!IsValidLabel(on.label())) {
      std::string cleaned;
      for (char c : on.label()) {
        if (IsValidLabel(std::string_view(&c, 1)) && cleaned.size() < kMaxLabelLength) cleaned += c;
      }
      if (cleaned.empty()) cleaned = FallbackLabel();
      Change([&] { on.set_label(cleaned); });
    }
    if (on.occurrence() < 1 || on.occurrence() > kMaxOccurrence) {
      Change([&] { on.set_occurrence(Clamp<uint32_t>(on.occurrence(), 1, kMaxOccurrence)); });
    }
  }

  std::string FallbackLabel() const {
    const auto& pool = labels_ ? labels_->Labels(family_) : LabelPool::SpecLabels(family_);
    return pool.empty() ? std::string("E1") : pool.front();
  }

  void TriggerFix(pb::Trigger& t, uint64_t budget) {
    switch (t.when_case()) {
      case pb::Trigger::WHEN_NOT_SET: Change([&] { t.set_at_step(0); }); return;
      case pb::Trigger::kAtStep:
        if (t.at_step() > budget) Change([&] { t.set_at_step(budget); });
        return;
      case pb::Trigger::kAtTimeNs:
        if (t.at_time_ns() > kMaxTimeNs) Change([&] { t.set_at_time_ns(kMaxTimeNs); });
        return;
      case pb::Trigger::kAfterHandoverNs:
        if (t.after_handover_ns() > kMaxTimeNs) Change([&] { t.set_after_handover_ns(kMaxTimeNs); });
        return;
      case pb::Trigger::kOnLabel: {
        pb::OnLabel& on = *t.mutable_on_label();
        AnchorFix(on);
        if (!IsTriggerPoint(family_, on.label())) {
          Change([&] { on.set_label(std::string(NearestTriggerPoint(family_, on.label()))); });
        }
        return;
      }
    }
  }

  // Returns false when the event cannot be repaired (then it is dropped).
  bool EventFix(pb::Event& e, uint64_t budget) {
    const pb::EventKind kind = Equivalent(e.kind(), family_);
    if (kind == pb::EVENT_UNSPECIFIED) return false;
    if (kind != e.kind()) Change([&] { e.set_kind(kind); });
    const EventInfo& info = *FindEventInfo(kind);
    if (info.min_cpus > n_) return false;
    if (!e.has_trigger()) Change([&] { e.mutable_trigger()->set_at_step(0); });
    TriggerFix(*e.mutable_trigger(), budget);
    if (e.all_cpus() && !info.allows_all) Change([&] { e.set_all_cpus(false); });
    if (e.all_cpus() && e.cpus_size() > 0) Change([&] { e.clear_cpus(); });
    if (FilterCpus(e.mutable_cpus(), n_, [](uint32_t) { return true; })) changed_ = true;
    if (!e.all_cpus()) {
      if (static_cast<uint32_t>(e.cpus_size()) > info.max_cpus)
        Change([&] { e.mutable_cpus()->Truncate(info.max_cpus); });
      for (uint32_t c = 0; static_cast<uint32_t>(e.cpus_size()) < info.min_cpus && c < n_; ++c) {
        if (std::find(e.cpus().begin(), e.cpus().end(), c) == e.cpus().end()) Change([&] { e.add_cpus(c); });
      }
    }
    if (e.vector() < 16 || e.vector() > 1023) Change([&] { e.set_vector(Clamp<uint32_t>(e.vector(), 16, 1023)); });
    return true;
  }

  // KVM_ENTER runs on the first thread of cpus[0]'s core, with guest threads among that core's others; it needs a
  // POWER8_XICS machine with kvm_hv. Returns false when it cannot be made to fit (then dropped).
  bool KvmEnterFix(const pb::Scenario& s, pb::Event& e) {
    if (e.kind() != pb::KVM_ENTER || e.cpus_size() == 0) return true;
    if (KvmEnterProblem(s, e).empty()) return true;
    const uint32_t tpc = s.machine().threads_per_core();
    const uint32_t primary = e.cpus(0) - e.cpus(0) % tpc;
    if (primary != e.cpus(0)) Change([&] { e.set_cpus(0, primary); });
    google::protobuf::RepeatedField<uint32_t> guests(e.cpus().begin() + 1, e.cpus().end());
    if (FilterCpus(&guests, n_, [&](uint32_t c) { return c > primary && c < primary + tpc; })) {
      Change([&] {
        e.mutable_cpus()->Truncate(1);
        for (uint32_t c : guests) e.add_cpus(c);
      });
    }
    return KvmEnterProblem(s, e).empty() && CannotRunKernelCode(s, primary).empty();
  }

  // A software event whose cpus[0] can never run kernel code (never started or offline, with nothing bringing it
  // online) moves to the boot CPU, or to the lowest initially online CPU when cpus[1] is the boot CPU. Moving it
  // cannot invalidate another event: a HOTPLUG_UP's cpus[1] stays. Returns false when no CPU fits (then dropped).
  bool SoftwareCpuFix(const pb::Scenario& s, pb::Event& e) {
    const EventInfo* info = FindEventInfo(e.kind());
    if (info == nullptr || !info->software || e.cpus_size() == 0) return true;
    if (CannotRunKernelCode(s, e.cpus(0)).empty()) return true;
    const pb::Machine& m = s.machine();
    auto usable = [&](uint32_t c) {
      const bool other = e.cpus_size() < 2 || e.cpus(1) != c;
      // Running from the start: not offline, and not never-started (on PPC and ARM64_PSCI one a HOTPLUG_UP starts
      // can run, but only once started).
      return other && CannotRunKernelCode(s, c).empty() &&
             std::find(m.offline().begin(), m.offline().end(), c) == m.offline().end() &&
             std::find(m.never_started().begin(), m.never_started().end(), c) == m.never_started().end();
    };
    uint32_t to = m.boot_cpu();
    for (uint32_t c = 0; !usable(to) && c < n_; ++c) to = c;
    if (!usable(to)) return false;
    Change([&] { e.set_cpus(0, to); });
    return true;
  }

  const LabelPool* labels_;
  uint32_t n_ = 1;
  bool buffered_ = false;  // machine.memory_model ARCHITECTURE
  bool queues_ = false;    // ... on powerpc / arm64: CPUs have invalidate queues
  pb::Family family_ = pb::PPC;
  bool changed_ = false;
};

// Validation accepts machines of real size (kMaxCpus); a mutant's is held to the sizes the mutator draws.
bool MutantSized(const pb::Machine& m) {
  return m.cores() <= kMaxCores && m.cores() * m.threads_per_core() <= kMaxMutantCpus;
}

}  // namespace

const std::vector<pb::Platform>& PlatformsOf(pb::Family family) {
  static const std::vector<pb::Platform> kPpc = {pb::POWER8_XICS, pb::POWER9_DOORBELL_XIVE, pb::POWER9_XIVE_IPI,
                                                 pb::POWER9_ICP_OPAL};
  static const std::vector<pb::Platform> kX86 = {pb::X86_INTEL_MWAIT, pb::X86_HLT};
  static const std::vector<pb::Platform> kArm64 = {pb::ARM64_PSCI, pb::ARM64_SPIN_TABLE};
  switch (family) {
    case pb::X86: return kX86;
    case pb::ARM64: return kArm64;
    default: return kPpc;
  }
}

bool Fix(pb::Scenario& scenario, const LabelPool* labels) {
  // The no-op guarantee does not depend on every repair being exact.
  if (IsValid(scenario) && MutantSized(scenario.machine())) return false;
  return Fixer(labels).Run(scenario);
}

}  // namespace crashdiff::fuzz
