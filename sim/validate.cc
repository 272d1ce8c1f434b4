#include "sim/validate.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <set>

#include "sim/events.h"
#include "sim/memory_model.h"
#include "sim/trigger_points.h"

namespace crashdiff {
namespace {

using google::protobuf::FieldDescriptor;

// A field name as a template argument (Validator::Fd): a string literal copied into a structural type.
template <size_t N>
struct FieldName {
  constexpr FieldName(const char (&s)[N]) { std::copy_n(s, N, text); }  // NOLINT(google-explicit-constructor)
  char text[N] = {};
};

class Validator {
 public:
  std::vector<ValidationError> Run(const pb::Scenario& s) {
    if (s.name().size() > kMaxNameLength) Fail({F<"name">(s)}, "at most 200 characters");
    if (!s.has_machine()) {
      Fail({F<"machine">(s)}, "required: the machine to simulate");
      return std::move(errors_);
    }
    Machine(s.machine(), {F<"machine">(s)});
    if (!errors_.empty()) return std::move(errors_);  // CPU-id checks below need a sane topology
    n_ = s.machine().cores() * s.machine().threads_per_core();
    Schedule(s.schedule(), {F<"schedule">(s)});
    if (s.events_size() > kMaxEvents) {
      Fail({F<"events">(s)},
           "at most " + std::to_string(kMaxEvents) + " events, got " + std::to_string(s.events_size()));
    }
    for (int i = 0; i < s.events_size(); ++i) {
      Event(s.events(i), s.machine().family(), s.schedule().step_budget(), {FieldStep{Fd<"events">(s), i}});
      SoftwareEventCpu(s, s.events(i), {FieldStep{Fd<"events">(s), i}});
      if (s.events(i).kind() == pb::KVM_ENTER && s.events(i).cpus_size() > 0) {
        const std::string why = KvmEnterProblem(s, s.events(i));
        if (!why.empty()) Fail({FieldStep{Fd<"events">(s), i}, F<"cpus">(s.events(i))}, why);
      }
    }
    return std::move(errors_);
  }

 private:
  // A field's descriptor, looked up by name once per message type and name: every fuzzing input is validated, and
  // the lookup by name cost more than the checks themselves.
  template <FieldName name, typename M>
  static const FieldDescriptor* Fd(const M& /*message*/) {
    static const FieldDescriptor* const field = M::descriptor()->FindFieldByName(name.text);
    return field;
  }
  template <FieldName name, typename M>
  static FieldStep F(const M& m) {
    return FieldStep{Fd<name>(m), -1};
  }
  static FieldPath Join(FieldPath p, FieldStep s) {
    p.push_back(s);
    return p;
  }
  void Fail(FieldPath p, std::string reason) { errors_.push_back(ValidationError{std::move(p), std::move(reason)}); }

  template <FieldName field, typename M>
  void CpuList(const M& m, const google::protobuf::RepeatedField<uint32_t>& cpus, const FieldPath& base) {
    std::set<uint32_t> seen;
    for (int i = 0; i < cpus.size(); ++i) {
      if (cpus[i] >= n_) {
        Fail(Join(base, FieldStep{Fd<field>(m), i}),
             "CPU " + std::to_string(cpus[i]) + " does not exist (" + std::to_string(n_) + " CPUs)");
      }
      if (!seen.insert(cpus[i]).second) {
        Fail(Join(base, FieldStep{Fd<field>(m), i}), "CPU " + std::to_string(cpus[i]) + " listed twice");
      }
    }
  }

  void Machine(const pb::Machine& m, const FieldPath& base) {
    if (m.family() == pb::FAMILY_UNSPECIFIED) Fail(Join(base, F<"family">(m)), "required: PPC, X86 or ARM64");
    if (m.platform() == pb::PLATFORM_UNSPECIFIED) {
      Fail(Join(base, F<"platform">(m)), "required");
    } else if (m.family() != pb::FAMILY_UNSPECIFIED && !PlatformInFamily(m.platform(), m.family())) {
      Fail(Join(base, F<"platform">(m)),
           pb::Platform_Name(m.platform()) + " is not a " + pb::Family_Name(m.family()) + " platform");
    }
    if (m.cores() < 1 || m.cores() > kMaxTopologyCores) {
      Fail(Join(base, F<"cores">(m)),
           "must be in [1, " + std::to_string(kMaxTopologyCores) + "], got " + std::to_string(m.cores()));
    }
    const uint32_t t = m.threads_per_core();
    if (t != 1 && t != 2 && t != 4 && t != 8) {
      Fail(Join(base, F<"threads_per_core">(m)), "must be 1, 2, 4 or 8, got " + std::to_string(t));
    }
    if (!errors_.empty()) return;
    n_ = m.cores() * t;
    if (n_ > kMaxCpus) {
      Fail(Join(base, F<"threads_per_core">(m)),
           "cores * threads_per_core must be at most " + std::to_string(kMaxCpus) + ", got " + std::to_string(n_));
      return;
    }
    if (m.boot_cpu() >= n_)
      Fail(Join(base, F<"boot_cpu">(m)), "CPU " + std::to_string(m.boot_cpu()) + " does not exist");
    CpuList<"offline">(m, m.offline(), base);
    CpuList<"never_started">(m, m.never_started(), base);
    const std::set<uint32_t> offline(m.offline().begin(), m.offline().end());
    for (int i = 0; i < m.offline_size(); ++i) {
      if (m.offline(i) == m.boot_cpu())
        Fail(Join(base, FieldStep{Fd<"offline">(m), i}), "the boot CPU cannot be offline");
    }
    for (int i = 0; i < m.never_started_size(); ++i) {
      const FieldPath p = Join(base, FieldStep{Fd<"never_started">(m), i});
      if (m.never_started(i) == m.boot_cpu()) Fail(p, "the boot CPU has started");
      if (offline.count(m.never_started(i))) Fail(p, "CPU " + std::to_string(m.never_started(i)) + " is also offline");
    }
    weak_memory_ = BuffersStores(m);
    queues_ = QueuesInvalidates(m);
    if (m.panic_timeout() < -1 || m.panic_timeout() > 3600) {
      Fail(Join(base, F<"panic_timeout">(m)), "must be in [-1, 3600], got " + std::to_string(m.panic_timeout()));
    }
    if (m.kvm_hv() && !PlatformInFamily(m.platform(), pb::PPC)) {
      Fail(Join(base, F<"kvm_hv">(m)),
           "KVM HV (CONFIG_KVM_BOOK3S_HV_POSSIBLE) is a powerpc setting: PPC platforms only");
    }
    if (m.has_subcores_per_core()) {
      const uint32_t sc = m.subcores_per_core();
      const FieldPath p = Join(base, F<"subcores_per_core">(m));
      if (sc != 1 && sc != 2 && sc != 4) {
        Fail(p, "must be 1, 2 or 4, got " + std::to_string(sc));
      } else if (sc != 1 && m.platform() != pb::POWER8_XICS) {
        Fail(p, "split-core mode is modelled on POWER8_XICS only");
      } else if (sc > m.threads_per_core()) {
        Fail(p, "must not exceed threads_per_core (" + std::to_string(m.threads_per_core()) + ")");
      }
    }
    if (m.offline_dec_ns() > kMaxOfflineDecNs) {
      Fail(Join(base, F<"offline_dec_ns">(m)), "must be in [0, " + std::to_string(kMaxOfflineDecNs) +
                                                   "] (DECREMENTER_MAX at 512 MHz), got " +
                                                   std::to_string(m.offline_dec_ns()));
    }
    if (m.tick_ns() != 0) {
      const FieldPath p = Join(base, F<"tick_ns">(m));
      if (m.family() != pb::PPC) {
        Fail(p, "the online decrementer tick is modelled on PPC only");
      } else if (m.tick_ns() < kMinTickNs || m.tick_ns() > kMaxOfflineDecNs) {
        Fail(p, "must be 0 or in [" + std::to_string(kMinTickNs) + ", " + std::to_string(kMaxOfflineDecNs) +
                    "] (HZ 1000 to DECREMENTER_MAX at 512 MHz), got " + std::to_string(m.tick_ns()));
      }
    }
    if (m.has_firmware()) {
      const FieldPath fw = Join(base, F<"firmware">(m));
      if (m.firmware().system_reset_supported() && m.platform() == pb::POWER8_XICS) {
        // skiboot registers OPAL_SIGNAL_SYSTEM_RESET in direct_controls_init on POWER9 and later only, so a
        // POWER8 kernel never finds the token (pnv_smp_init's opal_check_token) and sends no system-reset IPI.
        Fail(Join(fw, F<"system_reset_supported">(m.firmware())),
             "OPAL_SIGNAL_SYSTEM_RESET exists on POWER9 and later only, not on POWER8_XICS");
      }
      CpuList<"system_reset_fails_for">(m.firmware(), m.firmware().system_reset_fails_for(), fw);
      CpuList<"cpu_off_fails_for">(m.firmware(), m.firmware().cpu_off_fails_for(), fw);
      for (int i = 0; i < m.firmware().cpu_off_fails_for_size(); ++i) {
        const uint32_t c = m.firmware().cpu_off_fails_for(i);
        // An offline CPU got there through cpu_die's CPU_OFF; one that returns ends in BUG(), not offline.
        if (offline.count(c)) {
          Fail(Join(fw, FieldStep{Fd<"cpu_off_fails_for">(m.firmware()), i}),
               "CPU " + std::to_string(c) + " is offline, so its CPU_OFF succeeded (a failed one BUG()s in cpu_die)");
        }
      }
      IdleStates(m, fw);
    }
  }

  // Firmware.idle_states / stop_api_fails (powerpc): the device tree's idle-state table. States the kernel itself
  // rejects (ESL != EC, full-context loss with ESL = 0) are valid input: the kernel skips them at boot.
  void IdleStates(const pb::Machine& m, const FieldPath& fw_path) {
    const pb::Firmware& fw = m.firmware();
    const bool p8 = m.platform() == pb::POWER8_XICS;
    if (fw.idle_states_size() > kMaxIdleStates) {
      Fail(Join(fw_path, F<"idle_states">(fw)), "at most " + std::to_string(kMaxIdleStates) + " idle states");
    }
    if (fw.idle_states_size() > 0 && (fw.has_stop_loses_state() || fw.has_idle_state_usable())) {
      Fail(Join(fw_path, F<"idle_states">(fw)),
           "describes the idle states itself: leave stop_loses_state and idle_state_usable unset");
    }
    if (fw.stop_api_fails() && (p8 || fw.idle_states_size() == 0)) {
      Fail(Join(fw_path, F<"stop_api_fails">(fw)), "modelled on the POWER9 platforms, with idle_states only");
    }
    for (int i = 0; i < fw.idle_states_size(); ++i) {
      const pb::IdleState& st = fw.idle_states(i);
      const FieldPath p = Join(fw_path, FieldStep{Fd<"idle_states">(fw), i});
      if (st.name().size() > kMaxIdleStateName) Fail(Join(p, F<"name">(st)), "at most 15 characters");
      if (st.flags() & ~kIdleStateFlagBits) {
        Fail(Join(p, F<"flags">(st)),
             "only OPAL_PM_* bits (mask " + Hex(kIdleStateFlagBits) + "), got " + Hex(st.flags()));
      }
      if (p8 && (st.flags() & kIdleStateP9OnlyFlags)) {
        Fail(Join(p, F<"flags">(st)), "OPAL_PM_STOP_INST_* on POWER8_XICS (POWER8 has nap / sleep / winkle)");
      }
      if (!p8 && (st.flags() & kIdleStateP8OnlyFlags)) {
        Fail(Join(p, F<"flags">(st)), "OPAL_PM_NAP/SLEEP/WINKLE on a POWER9 platform (POWER9 has stop levels)");
      }
      if (st.psscr_val() & ~kIdleStatePsscrBits) {
        Fail(Join(p, F<"psscr_val">(st)), "only PSSCR RL | MTL | TR | PSLL | EC | ESL bits (mask " +
                                              Hex(kIdleStatePsscrBits) + "), got " + Hex(st.psscr_val()));
      }
      if (st.psscr_mask() & ~kIdleStatePsscrBits) {
        Fail(Join(p, F<"psscr_mask">(st)), "only PSSCR RL | MTL | TR | PSLL | EC | ESL bits (mask " +
                                               Hex(kIdleStatePsscrBits) + "), got " + Hex(st.psscr_mask()));
      }
    }
  }
  static std::string Hex(uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
  }

  void Schedule(const pb::Schedule& s, const FieldPath& base) {
    if (s.step_budget() < kMinStepBudget || s.step_budget() > kMaxStepBudget) {
      Fail(Join(base, F<"step_budget">(s)), "must be in [100, 10000000], got " + std::to_string(s.step_budget()));
    }
    if (s.pct_depth() < 1 || s.pct_depth() > kMaxPctDepth) {
      Fail(Join(base, F<"pct_depth">(s)), "must be in [1, 16], got " + std::to_string(s.pct_depth()));
    }
    if (s.pct_horizon() < 1 || s.pct_horizon() > kMaxStepBudget) {
      Fail(Join(base, F<"pct_horizon">(s)), "must be in [1, 10000000], got " + std::to_string(s.pct_horizon()));
    }
    if (s.choices_size() > kMaxChoices) Fail(Join(base, F<"choices">(s)), "at most 10000 choices");
    for (int i = 0; i < s.choices_size(); ++i) {
      const pb::Choice& c = s.choices(i);
      const FieldPath p = Join(base, FieldStep{Fd<"choices">(s), i});
      if (c.cpu() >= n_) Fail(Join(p, F<"cpu">(c)), "CPU " + std::to_string(c.cpu()) + " does not exist");
      if (c.steps() < 1 || c.steps() > kMaxChoiceSteps) {
        Fail(Join(p, F<"steps">(c)), "must be in [1, 10000], got " + std::to_string(c.steps()));
      }
      if (c.has_after()) LabelAnchor(c.after(), Join(p, F<"after">(c)));
      if (c.store_buffer() && !weak_memory_) {
        Fail(Join(p, F<"store_buffer">(c)),
             "needs machine.memory_model ARCHITECTURE (only then do CPUs buffer stores)");
      }
      if (c.has_commit()) CommitName(c, p);
      if (c.invalidate_queue() && !queues_) {
        Fail(Join(p, F<"invalidate_queue">(c)),
             "needs machine.memory_model ARCHITECTURE on PPC or ARM64 (only then do CPUs have invalidate queues)");
      }
      if (c.invalidate_queue() && c.store_buffer()) {
        Fail(Join(p, F<"invalidate_queue">(c)),
             "a choice is about a CPU's store buffer or its invalidate queue, not both");
      }
      if (c.has_invalidate()) InvalidateName(c, p);
    }
  }

  // Choice.invalidate names a variable whose pending invalidation a running queue choice applies.
  void InvalidateName(const pb::Choice& c, const FieldPath& p) {
    if (!c.invalidate_queue() || c.hold()) {
      Fail(Join(p, F<"invalidate">(c)),
           "needs invalidate_queue: true without hold (only a running queue applies an invalidation)");
    }
    if (!ValidCommitName(c.invalidate())) {
      Fail(Join(p, F<"invalidate">(c)), "must be 1..64 printable ASCII characters (a variable's trace name)");
    }
  }

  // Choice.commit names a buffered store: only a running store-buffer choice commits one.
  void CommitName(const pb::Choice& c, const FieldPath& p) {
    if (!c.store_buffer() || c.hold()) {
      Fail(Join(p, F<"commit">(c)), "needs store_buffer: true without hold (only a running buffer commits)");
    }
    if (!ValidCommitName(c.commit())) {
      Fail(Join(p, F<"commit">(c)), "must be 1..64 printable ASCII characters (a buffered store's trace name)");
    }
  }

  static bool LabelChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.';
  }

  void Trigger(const pb::Trigger& t, uint64_t budget, const FieldPath& base) {
    switch (t.when_case()) {
      case pb::Trigger::WHEN_NOT_SET:
        Fail(base, "required: at_step, at_time_ns, on_label or after_handover_ns");
        return;
      case pb::Trigger::kAtStep:
        if (t.at_step() > budget)
          Fail(Join(base, F<"at_step">(t)), "beyond the step budget (" + std::to_string(budget) + ")");
        return;
      case pb::Trigger::kAtTimeNs:
        if (t.at_time_ns() > kMaxTimeNs) Fail(Join(base, F<"at_time_ns">(t)), "must be at most 3600 s (3.6e12 ns)");
        return;
      case pb::Trigger::kAfterHandoverNs:
        if (t.after_handover_ns() > kMaxTimeNs) {
          Fail(Join(base, F<"after_handover_ns">(t)), "must be at most 3600 s (3.6e12 ns)");
        }
        return;
      case pb::Trigger::kOnLabel: LabelAnchor(t.on_label(), Join(base, F<"on_label">(t))); return;
    }
  }

  // A CPU and one of its step labels (an on_label trigger, a choice's preemption point).
  template <typename Anchor>
  void LabelAnchor(const Anchor& on, const FieldPath& p) {
    if (on.cpu() >= n_) Fail(Join(p, F<"cpu">(on)), "CPU " + std::to_string(on.cpu()) + " does not exist");
    if (on.label().empty() || on.label().size() > kMaxLabelLength) {
      Fail(Join(p, F<"label">(on)), "must be a step label of 1 to 32 characters");
    } else if (!std::all_of(on.label().begin(), on.label().end(), LabelChar)) {
      Fail(Join(p, F<"label">(on)), "step labels use only letters, digits, '_', '-' and '.'");
    }
    if (on.occurrence() < 1 || on.occurrence() > kMaxOccurrence) {
      Fail(Join(p, F<"occurrence">(on)), "must be in [1, 1000], got " + std::to_string(on.occurrence()));
    }
  }

  // A label trigger must name one of its family's trigger points (sim/trigger_points.h).
  void TriggerPointCheck(const pb::Trigger& t, pb::Family family, const FieldPath& base) {
    if (!t.has_on_label()) return;
    const std::string& label = t.on_label().label();
    if (label.empty() || label.size() > kMaxLabelLength || !std::all_of(label.begin(), label.end(), LabelChar)) {
      return;  // already refused as a malformed label
    }
    const std::string why = TriggerPointError(family, t.on_label().label());
    if (!why.empty()) Fail(Join(Join(base, F<"on_label">(t)), F<"label">(t.on_label())), why);
  }

  void Event(const pb::Event& e, pb::Family family, uint64_t budget, const FieldPath& base) {
    const EventInfo* info = FindEventInfo(e.kind());
    if (info == nullptr) {
      Fail(Join(base, F<"kind">(e)), "required: one of the EventKind values");
      return;
    }
    const std::string name(EventName(e.kind()));
    if (!(info->families & (1u << family))) {
      Fail(Join(base, F<"kind">(e)), name + " does not exist on " + pb::Family_Name(family));
    }
    if (!e.has_trigger()) {
      Fail(Join(base, F<"trigger">(e)), "required: when the event happens");
    } else {
      Trigger(e.trigger(), budget, Join(base, F<"trigger">(e)));
      TriggerPointCheck(e.trigger(), family, Join(base, F<"trigger">(e)));
    }
    if (e.all_cpus() && !info->allows_all) Fail(Join(base, F<"all_cpus">(e)), name + " cannot target all CPUs");
    const uint32_t count = static_cast<uint32_t>(e.cpus_size());
    if (!e.all_cpus() && (count < info->min_cpus || count > info->max_cpus)) {
      const std::string want = info->min_cpus == info->max_cpus
                                   ? std::to_string(info->min_cpus)
                                   : std::to_string(info->min_cpus) + " to " + std::to_string(info->max_cpus);
      Fail(Join(base, F<"cpus">(e)), name + " takes " + want + " CPU(s), got " + std::to_string(count));
    }
    if (e.all_cpus() && count > 0) Fail(Join(base, F<"cpus">(e)), "give either cpus or all_cpus, not both");
    CpuList<"cpus">(e, e.cpus(), base);
    if (e.vector() < 16 || e.vector() > 1023) {
      Fail(Join(base, F<"vector">(e)), "must be in [16, 1023], got " + std::to_string(e.vector()));
    }
  }

  // A software event runs kernel code on cpus[0] (sim/machine_events.cc): refuse one whose CPU never can.
  // Whether it is running kernel code when the event fires is decided at run time (RUN_OLD, or ignored).
  void SoftwareEventCpu(const pb::Scenario& s, const pb::Event& e, const FieldPath& base) {
    const EventInfo* info = FindEventInfo(e.kind());
    if (info == nullptr || !info->software || e.cpus_size() == 0 || e.cpus(0) >= n_) return;
    const std::string why = CannotRunKernelCode(s, e.cpus(0));
    if (!why.empty()) {
      Fail(Join(base, FieldStep{Fd<"cpus">(e), 0}), std::string(EventName(e.kind())) + " needs CPU " +
                                                        std::to_string(e.cpus(0)) + " to run kernel code, " + why);
    }
  }

  uint32_t n_ = 0;
  bool weak_memory_ = false;  // machine.memory_model is ARCHITECTURE
  bool queues_ = false;       // ... on PPC or ARM64: CPUs have invalidate queues
  std::vector<ValidationError> errors_;
};

}  // namespace

bool PlatformInFamily(pb::Platform platform, pb::Family family) {
  switch (platform) {
    case pb::POWER8_XICS:
    case pb::POWER9_DOORBELL_XIVE:
    case pb::POWER9_XIVE_IPI:
    case pb::POWER9_ICP_OPAL: return family == pb::PPC;
    case pb::X86_INTEL_MWAIT:
    case pb::X86_HLT: return family == pb::X86;
    case pb::ARM64_PSCI:
    case pb::ARM64_SPIN_TABLE: return family == pb::ARM64;
    case pb::PLATFORM_UNSPECIFIED: return false;
  }
  return false;
}

std::string PathToString(const FieldPath& path) {
  std::string out;
  for (const FieldStep& s : path) {
    if (!out.empty()) out += '.';
    out += s.field->name();
    if (s.index >= 0) out += "[" + std::to_string(s.index) + "]";
  }
  return out;
}

std::string CannotRunKernelCode(const pb::Scenario& scenario, uint32_t cpu) {
  const pb::Machine& m = scenario.machine();
  auto listed = [cpu](const auto& list) { return std::find(list.begin(), list.end(), cpu) != list.end(); };
  const bool never_started = listed(m.never_started());
  // powerpc (pnv_smp_kick_cpu -> opal_start_cpu) and arm64 PSCI (cpu_psci_cpu_boot -> CPU_ON) start a CPU firmware
  // holds on cpu_up; x86 does not model it, and arm64 spin-table refuses every cpu_up.
  const bool firmware_starts = m.family() == pb::PPC || m.platform() == pb::ARM64_PSCI;
  if (never_started && !firmware_starts) return "but it never started (firmware holds it)";
  if (!never_started && !listed(m.offline())) return {};
  // arm64 spin-table: no CPU can be offlined (no cpu_die), so none is hotpluggable and cpu_up is refused.
  if (m.platform() == pb::ARM64_SPIN_TABLE) return "but it is offline on ARM64_SPIN_TABLE, where cpu_up is refused";
  for (const pb::Event& up : scenario.events()) {
    if (up.kind() == pb::HOTPLUG_UP && up.cpus_size() == 2 && up.cpus(1) == cpu) return {};
  }
  if (never_started) return "but it never started (firmware holds it) and no HOTPLUG_UP starts it";
  return "but it is offline from the start and no HOTPLUG_UP brings it online";
}

std::string KvmEnterProblem(const pb::Scenario& scenario, const pb::Event& e) {
  const pb::Machine& m = scenario.machine();
  if (m.platform() != pb::POWER8_XICS || !m.kvm_hv()) return "KVM_ENTER needs a POWER8_XICS machine with kvm_hv";
  const uint32_t tpc = m.threads_per_core();
  const uint32_t n = m.cores() * tpc;
  if (e.cpus_size() == 0 || e.cpus(0) >= n) return "KVM_ENTER needs cpus[0], an existing CPU";
  const uint32_t primary = e.cpus(0);
  if (primary % tpc != 0)
    return "KVM_ENTER runs on the first thread of a core (on_primary_thread), not CPU " + std::to_string(primary);
  for (int i = 1; i < e.cpus_size(); ++i) {
    const uint32_t t = e.cpus(i);
    if (t <= primary || t >= primary + tpc) {
      return "KVM_ENTER guest thread " + std::to_string(t) + " is not another thread of CPU " +
             std::to_string(primary) + "'s core";
    }
  }
  return {};
}

std::vector<ValidationError> Validate(const pb::Scenario& scenario) {
  return Validator().Run(scenario);
}

bool ValidCommitName(std::string_view name) {
  const bool printable = std::all_of(name.begin(), name.end(), [](char ch) { return ch >= ' ' && ch < 127; });
  return !name.empty() && name.size() <= kMaxCommitName && printable;
}

uint64_t EventKindsOf(const pb::Scenario& scenario) {
  static_assert(pb::EventKind_MAX < 64, "EventKindsOf keeps one bit per kind");
  uint64_t kinds = 0;
  for (const pb::Event& e : scenario.events()) kinds |= uint64_t{1} << e.kind();
  return kinds;
}

std::vector<std::string> EventKindNames(uint64_t kinds) {
  std::vector<std::string> out;
  for (int k = 0; k < 64; ++k) {
    if (((kinds >> k) & 1) != 0 && pb::EventKind_IsValid(k)) {
      out.push_back(pb::EventKind_Name(static_cast<pb::EventKind>(k)));
    }
  }
  return out;
}

}  // namespace crashdiff
