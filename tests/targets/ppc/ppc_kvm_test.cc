// POWER8 KVM HV on offline secondary threads (targets/ppc/kvm.cc, machine.kvm_hv): the host grabs the threads
// (hwthread_req), a grabbed thread's nap wakeup goes to kvm_start_guest instead of the offline loop, runs the guest
// until an exit the host must handle (a host IPI, KVM_EXIT), spins in kvm_no_guest until released, and only then
// returns to the offline loop with SRR1 = 0. Without kvm_hv the idle path takes no KVM step.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sim/validate.h"
#include "tests/fixtures/ppc_test_util.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

constexpr const char* kGuestOnSecondaries = R"pb(
  machine {
    family: PPC
    platform: POWER8_XICS
    cores: 2
    threads_per_core: 4
    offline: [ 1, 2, 3 ]
    kvm_hv: true
  }
  events {
    kind: KVM_ENTER
    cpus: [ 0, 1, 2 ]
    trigger { at_time_ns: 1000 }
  }
)pb";

// The first entry of cpu with kind, label, a variable whose name contains var, and value; nullptr if none.
const TraceEntry* FindAccess(const RunResult& r, uint32_t cpu, TraceKind kind, std::string_view label,
                             std::string_view var, int64_t value) {
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == cpu && e.kind == kind && e.label == label && e.detail.find(var) != std::string::npos &&
        e.value == value) {
      return &e;
    }
  }
  return nullptr;
}

// The step at which cpu first executes label (kind), or UINT64_MAX.
uint64_t StepOf(const RunResult& r, uint32_t cpu, TraceKind kind, std::string_view label) {
  const TraceEntry* e = FindEntry(r, cpu, kind, label);
  return e == nullptr ? UINT64_MAX : e->step;
}

TEST(PpcKvm, AGrabbedThreadRunsTheGuestUntilKvmExitThenReturnsToTheOfflineLoop) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", std::string(kGuestOnSecondaries) + R"pb(
    events {
      kind: KVM_EXIT
      cpus: 1
      trigger { at_time_ns: 5000 }
    }
  )pb");
  // Settled asleep with hwthread_state = IN_IDLE; grabbed; woken by the start doorbell into kvm_start_guest.
  EXPECT_NE(FindAccess(r, 1, TraceKind::kWrite, "KV0", "hwthread_state[1]", 1), nullptr);
  EXPECT_NE(FindAccess(r, 0, TraceKind::kWrite, "KR1", "hwthread_req[1]", 1), nullptr);
  EXPECT_NE(FindAccess(r, 1, TraceKind::kWrite, "KV2", "hwthread_state[1]", 2), nullptr);
  const uint64_t in_guest = StepOf(r, 1, TraceKind::kBlock, "KG1");
  ASSERT_NE(in_guest, UINT64_MAX);
  // KVM_EXIT: thread 1 starts the vcore's exit and interrupts the others.
  EXPECT_NE(FindEntry(r, 1, TraceKind::kHw, "KG4", "msgsnd cpu0"), nullptr);
  EXPECT_NE(FindEntry(r, 1, TraceKind::kHw, "KG4", "msgsnd cpu2"), nullptr);
  // Released by the primary, then back in the offline loop (L3 after the release), asleep again.
  const uint64_t released = StepOf(r, 0, TraceKind::kWrite, "KR4");
  ASSERT_NE(released, UINT64_MAX);
  bool loop_after_release = false;
  for (const TraceEntry& e : r.trace.entries()) {
    loop_after_release |= e.cpu == 1 && e.label == "L3" && e.step > released;
  }
  EXPECT_TRUE(loop_after_release);
  EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw);
  EXPECT_EQ(r.cpus[2].final, Location::kStoppedHw);
  EXPECT_EQ(r.cpus[0].final, Location::kRunOld);
}

// The crash's NMI IPI (ICP, host_ipi set) reaches the online primary in its guest: kvmppc_read_intr leaves it for
// the host, and the primary's exit interrupts the guest threads (the exit bit, no host_ipi). kvmppc_run_core then
// enables interrupts BEFORE it releases its threads (book3s_hv.c, read at 00608e1f007e): the primary takes the crash
// IPI there, enters crash_ipi_callback and never releases them; they spin in kvm_no_guest (hwthread_req still set)
// and never reach the offline loop's kdump check. (Written first with the release before the enable, from memory.)
TEST(PpcKvm, ACrashIpiToAThreadInTheGuestMakesItExitAndThePrimaryTakesItBeforeTheRelease) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", std::string(kGuestOnSecondaries) + R"pb(
    events {
      kind: PANIC
      cpus: 4
      trigger { at_time_ns: 100000 }
    }
  )pb");
  EXPECT_NE(FindAccess(r, 0, TraceKind::kRead, "KG2", "host_ipi[0]", 1), nullptr);
  EXPECT_NE(FindEntry(r, 1, TraceKind::kHw, "KG1", "H_DOORBELL"), nullptr);
  EXPECT_NE(FindEntry(r, 0, TraceKind::kLocal, "KR5", "local_irq_restore"), nullptr);
  EXPECT_EQ(FindEntry(r, 0, TraceKind::kWrite, "KR4"), nullptr);  // never released
  EXPECT_EQ(r.cpus[0].saves, 1u);
  for (uint32_t c : {1u, 2u}) {
    EXPECT_EQ(r.cpus[c].saves, 0u) << c;
    EXPECT_EQ(r.cpus[c].final, Location::kOfflineLoop) << c << " " << Name(r.cpus[c].final);
  }
}

TEST(PpcKvm, AnIcpIpiWithoutHostIpiIsTheGuestsAndKeepsItInTheGuest) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", std::string(kGuestOnSecondaries) + R"pb(
    events {
      kind: STALE_ICP_IPI
      cpus: 1
      trigger { at_time_ns: 5000 }
    }
  )pb");
  // kvmppc_read_intr: host_ipi clear, the IPI is accepted (MFRR cleared) and host_ipi read again: the guest's.
  EXPECT_NE(FindAccess(r, 1, TraceKind::kRead, "KG2", "host_ipi[1]", 0), nullptr);
  EXPECT_NE(FindEntry(r, 1, TraceKind::kHw, "KG2", "MFRR = 0xff"), nullptr);
  EXPECT_EQ(FindEntry(r, 1, TraceKind::kRmw, "KG4"), nullptr);  // no exit begun
  EXPECT_EQ(r.cpus[1].final, Location::kRunOld);               // still in the guest
}

// kvmppc_run_core (book3s_hv.c, read at 00608e1f007e): after the vcore returns, local_irq_enable() comes before
// "Let secondaries go back to the offline loop" (kvmppc_release_hwthread): the host interrupt that ended the guest
// is taken while the grabbed threads are still held.
TEST(PpcKvm, InterruptsComeOnBeforeTheRelease) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", std::string(kGuestOnSecondaries) + R"pb(
    events {
      kind: KVM_EXIT
      cpus: 1
      trigger { at_time_ns: 5000 }
    }
  )pb");
  const size_t enable = FirstStep(r, 0, "KR5", "local_irq_restore");
  const size_t release = FirstStep(r, 0, "KR4", "hwthread_req");
  ASSERT_LT(enable, r.trace.entries().size());
  ASSERT_LT(release, r.trace.entries().size());
  EXPECT_LT(enable, release);
}

TEST(PpcKvm, ASystemResetInTheGuestIsReplayedByThePrimaryBeforeItReleasesItsThreads) {
  // A reset from outside (POWER8 firmware has no OPAL_SIGNAL_SYSTEM_RESET: the crash's own NMI IPIs are plain IPIs).
  const std::string text = R"pb(
    machine {
      family: PPC
      platform: POWER8_XICS
      cores: 2
      threads_per_core: 4
      offline: [ 1, 2, 3 ]
      kvm_hv: true
    }
    events {
      kind: KVM_ENTER
      cpus: [ 0, 1, 2, 3 ]
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: SYSTEM_RESET
      cpus: 0
      trigger { at_time_ns: 100000 }
    }
  )pb";
  for (const char* target : {"ppc-prefix-nowake", "ppc-upstream-clear-then-check"}) {
    const RunResult r = RunTarget(target, text);
    // The reset exits the guest (held from the host's vector meanwhile) and set_irq_happened replays it into the
    // crash path: the primary never reaches kvmppc_release_hwthread.
    EXPECT_NE(FindEntry(r, 0, TraceKind::kHw, "KG1", "system reset in the guest"), nullptr) << target;
    EXPECT_NE(FindEntry(r, 0, TraceKind::kLocal, "KR3", "replay_system_reset"), nullptr) << target;
    EXPECT_EQ(FindEntry(r, 0, TraceKind::kWrite, "KR4"), nullptr) << target;
    for (uint32_t c : {1u, 2u, 3u}) EXPECT_EQ(r.cpus[c].saves, 0u) << target << " cpu" << c;
  }
  // v4.14 sends no wake to offline threads: the grabbed threads spin in kvm_no_guest through the hand-over.
  const RunResult old = RunTarget("ppc-prefix-nowake", text);
  ASSERT_TRUE(old.handed_over);
  EXPECT_EQ(old.cpus[0].saves, 1u);
  for (uint32_t c : {1u, 2u, 3u}) EXPECT_EQ(old.cpus[c].at_handover, Location::kOfflineLoop) << c;
}

TEST(PpcKvm, WithoutKvmHvTheIdlePathTakesNoKvmStep) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", R"pb(
    machine {
      family: PPC
      platform: POWER8_XICS
      cores: 2
      threads_per_core: 4
      offline: [ 1, 2, 3 ]
    }
    events {
      kind: KVM_EXIT
      cpus: 1
      trigger { at_time_ns: 5000 }
    }
  )pb");
  for (const TraceEntry& e : r.trace.entries()) {
    const std::string_view prefix = e.label.substr(0, 2);
    EXPECT_TRUE(prefix != "KV" && prefix != "KG" && prefix != "KR") << e.label;
  }
  EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw);  // the SRR1 = 0 wake: back to sleep
}

TEST(PpcKvm, ValidationRefusesKvmEnterWithoutKvmHvAndOffItsCore) {
  const auto errors = [](const std::string& text) { return Validate(UnvalidatedScenarioFromText(text)); };
  EXPECT_FALSE(errors(R"pb(
                 machine {
                   family: PPC
                   platform: POWER8_XICS
                   cores: 2
                   threads_per_core: 4
                   offline: [ 1, 2, 3 ]
                 }
                 events {
                   kind: KVM_ENTER
                   cpus: [ 0, 1 ]
                   trigger { at_time_ns: 1 }
                 }
               )pb")
                   .empty());
  EXPECT_FALSE(errors(R"pb(
                 machine { family: X86 platform: X86_HLT kvm_hv: true }
               )pb")
                   .empty());
  EXPECT_FALSE(errors(R"pb(
                 machine {
                   family: PPC
                   platform: POWER8_XICS
                   cores: 2
                   threads_per_core: 4
                   offline: [ 1, 2, 3 ]
                   kvm_hv: true
                 }
                 events {
                   kind: KVM_ENTER
                   cpus: [ 0, 5 ]
                   trigger { at_time_ns: 1 }
                 }
               )pb")
                   .empty());
  EXPECT_TRUE(errors(std::string(kGuestOnSecondaries)).empty());
}

}  // namespace
}  // namespace crashdiff::testing
