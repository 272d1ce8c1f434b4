// cpu_down's stop_machine (targets/common/stop_machine.h), on every family: take_cpu_down runs only
// once every online CPU's stopper has turned interrupts off, and a CPU that never runs its stopper holds the others
// where they still take interrupts.
#include <gtest/gtest.h>

#include <string>

#include "diff/differential.h"
#include "tests/fixtures/hotplug_scenarios.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

// The step of the first entry of cpu with kind, label and detail; UINT64_MAX if none.
uint64_t StepOf(const RunResult& r, uint32_t cpu, TraceKind kind, std::string_view label, std::string_view detail) {
  const TraceEntry* e = FindEntry(r, cpu, kind, label, detail);
  return e == nullptr ? UINT64_MAX : e->step;
}

TEST(StopMachine, TakeCpuDownRunsOnlyOnceEveryOnlineCpuHasTurnedInterruptsOff) {
  struct Case {
    const char* target;
    const char* family;
    const char* platform;
    const char* take_down;  // the dying CPU's label for set_cpu_online(false)
    const char* online;     // the online mask's variable (x86 and arm64: one per CPU; powerpc: a bitmask word)
    Location dead;          // where it ends
  };
  for (const Case& c : {Case{"x86-mwait-fixed", "X86", "X86_INTEL_MWAIT", "HD2", "cpu_online[2]", Location::kStoppedHw},
                        Case{"arm64-psci", "ARM64", "ARM64_PSCI", "HP2", "cpu_online[2]", Location::kParkedFw},
                        Case{"ppc-upstream-clear-then-check", "PPC", "POWER9_DOORBELL_XIVE", "D2", "cpu_online_mask",
                             Location::kStoppedHw}}) {
    const RunResult r = RunTarget(c.target, "machine { family: " + std::string(c.family) + " platform: " + c.platform +
                                                " cores: 4 threads_per_core: 1 }\n"
                                                "events { kind: HOTPLUG_DOWN cpus: 0 cpus: 2 "
                                                "trigger { at_time_ns: 100 } }\n");
    const uint64_t offline = StepOf(r, 2, TraceKind::kWrite, c.take_down, c.online);
    ASSERT_NE(offline, UINT64_MAX) << c.target << ": CPU 2 never went down";
    for (uint32_t cpu = 0; cpu < 4; ++cpu) {
      const uint64_t irqs_off = StepOf(r, cpu, TraceKind::kLocal, "SM2", "");
      const uint64_t irqs_on = StepOf(r, cpu, TraceKind::kLocal, "SM4", "");
      EXPECT_LT(irqs_off, offline) << c.target << ": cpu" << cpu << " had not turned interrupts off";
      EXPECT_NE(irqs_on, UINT64_MAX) << c.target << ": cpu" << cpu << " never left its stopper";
      EXPECT_GT(irqs_on, offline) << c.target << ": cpu" << cpu << " left before take_cpu_down";
    }
    EXPECT_EQ(r.cpus[2].final, c.dead) << c.target;
  }
}

// kernel_kexec() enabled hotplug again before machine_shutdown(); a cpu_down of CPU 1 takes the lock as the kexec
// (moved to CPU 0) turns interrupts off, and CPU 0 is held there until every other stopper has started. CPU 0 never
// runs its own, so nobody leaves MULTI_STOP_PREPARE, interrupts on: each takes the kexec's REBOOT vector and stops,
// and the kexec hands over. Before the rendezvous was modelled, CPU 1 went down alone, played dead out of the stop
// mask's reach and the kexec waited for it for ever (an open "PR8 never hands over" on x86-mwait-fixed and
// x86-nmi-shootdown; x86-mwait-prefix's shorter stop path sends its vector before any stopper starts).
TEST(StopMachine, AKexecCpuWithInterruptsOffHoldsTheStoppersWhereTheyTakeItsStop) {
  const std::string text = KexecBesideCpuDown("X86", "X86_INTEL_MWAIT", 1, 2, 1, 19) +
                           "schedule { choices { cpu: 0 hold: true steps: 60 "
                           "after { cpu: 0 label: \"K2\" occurrence: 2 } } }\n";
  for (const char* target : {"x86-init-park", "x86-mwait-fixed", "x86-nmi-shootdown"}) {
    const RunResult r = RunTargetOnOwnLabel(target, text);
    for (uint32_t cpu = 1; cpu < 4; ++cpu) {
      EXPECT_NE(FindEntry(r, cpu, TraceKind::kWrite, "SM1", "cpu_stopper.work"), nullptr)
          << target << ": cpu" << cpu << " never joined";
      EXPECT_EQ(FindEntry(r, cpu, TraceKind::kLocal, "SM2"), nullptr) << target << ": cpu" << cpu << " left PREPARE";
      EXPECT_TRUE(Info(r.cpus[cpu].final).parked) << target << ": cpu" << cpu << " not stopped";
    }
    EXPECT_EQ(FindEntry(r, 0, TraceKind::kWrite, "SM1"), nullptr) << target << ": the kexec CPU joined";
    ASSERT_TRUE(r.handed_over) << target;
    EXPECT_EQ(r.handover_cpu, 0u) << target;
  }
  for (const Divergence& d : RunDifferential(UnvalidatedScenarioFromText(text)).divergences) {
    ADD_FAILURE() << d.signature;
  }
}

}  // namespace
}  // namespace crashdiff::testing
