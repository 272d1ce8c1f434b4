// x86 kdump (DOMAIN §3.10, §4, §7 rows A, C, J): the NMI shootdown of online CPUs, losers, offline CPUs.
#include <gtest/gtest.h>

#include <string>

#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

// Row A: X = CPU 2 offline in MWAIT; CPU 1 panics; a broadcast MCE after the hand-over.
const char* kRowA = R"pb(
  machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 2 }
  events {
    kind: PANIC
    cpus: 1
    trigger { at_time_ns: 1000 }
  }
  events {
    kind: MCE
    all_cpus: true
    trigger { after_handover_ns: 1000 }
  }
)pb";

TEST(X86Kdump, RowAOfflineCpuStaysInMwaitOnIntactMemoryAndMceResumesTheOldLoop) {
  for (const char* target : kX86Targets) {
    SCOPED_TRACE(target);
    const RunResult r = RunTarget(target, kRowA);
    ASSERT_TRUE(r.handed_over);
    EXPECT_EQ(r.handover_cpu, 1u);
    // Offline CPUs are neither woken nor counted: MWAIT at H, no save, no response.
    EXPECT_EQ(r.cpus[2].at_handover, Location::kStoppedHw);
    EXPECT_EQ(r.cpus[2].saves, 0u);
    EXPECT_EQ(r.cpus[2].responses, 0u);
    // kdump overwrote nothing of the old kernel: the MCE runs the old handler and MWAIT is re-entered.
    EXPECT_EQ(r.cpus[2].final, Location::kStoppedHw);
    EXPECT_GE(CountEntries(r, 2, TraceKind::kLocal, "O3b"), 2);
    // Online targets: saved once, counted, halted.
    for (uint32_t c : {0u, 3u}) {
      EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedHlt) << c;
      EXPECT_EQ(r.cpus[c].saves, 1u) << c;
      EXPECT_EQ(r.cpus[c].responses, 1u) << c;
      // The MCE resumes their one HLT; they then spin in cpu_relax() in (intact) old-kernel text.
      EXPECT_EQ(r.cpus[c].final, Location::kLoserSpin) << c;
    }
    EXPECT_EQ(r.cpus[1].saves, 1u);
    EXPECT_EQ(r.cpus[1].shutdowns, 1u);
    EXPECT_LE(r.handover_time_ns, 1000 + kSec);  // PR8: x86 kdump ~ 1 s
  }
}

// Row C: two CPUs panic at once; the loser spins in panic_smp_self_stop and is collected by the crash NMI.
TEST(X86Kdump, RowCLoserIsCollectedByTheCrashNmi) {
  for (const char* target : kX86Targets) {
    SCOPED_TRACE(target);
    const RunResult r = RunTarget(target, R"pb(
      machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 }
      events {
        kind: PANIC
        cpus: 1
        trigger { at_time_ns: 1000 }
      }
      events {
        kind: PANIC
        cpus: 2
        trigger { at_time_ns: 1000 }
      }
    )pb");
    ASSERT_TRUE(r.handed_over);
    const uint32_t initiator = r.handover_cpu;
    const uint32_t loser = initiator == 1 ? 2 : 1;
    EXPECT_TRUE(r.cpus[loser].entered_panic);
    EXPECT_EQ(r.cpus[loser].shutdowns, 0u);  // PR9
    EXPECT_EQ(r.cpus[loser].saves, 1u);
    EXPECT_EQ(r.cpus[loser].at_handover, Location::kParkedHlt);
    EXPECT_EQ(r.cpus[0].saves, 1u);
    EXPECT_EQ(r.cpus[3].saves, 1u);
    EXPECT_LT(r.handover_time_ns, 1000 + kSec) << "every online CPU answered: no 1 s timeout";
  }
}

// cpu1 panics while cpu2 is inside an NMI handler, where a second event (kind) lands on cpu2.
RunResult SecondCrashInsideAnNmiHandler(const std::string& kind) {
  const std::string machine_and_nmi = R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 }
    events {
      kind: PANIC
      cpus: 1
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: NMI
      cpus: 2
      trigger { at_time_ns: 1000 }
    }
  )pb";
  // The second crash (kind) starts inside cpu2's NMI handler, at its first step.
  const std::string second = "events { kind: " + kind + " cpus: 2 trigger { on_label { cpu: 2 label: \"N0\" } } }";
  return RunTarget("x86-nmi-shootdown", machine_and_nmi + second);
}

// DOMAIN §4: a CPU panicking in an NMI handler cannot take the crash NMI; nmi_panic_self_stop runs the callback.
TEST(X86Kdump, LoserInNmiContextRunsTheCallbackItself) {
  const RunResult r = SecondCrashInsideAnNmiHandler("PANIC");
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 1u);
  EXPECT_NE(FindEntry(r, 2, TraceKind::kWake, "X0"), nullptr) << "polled crash_ipi_issued";
  EXPECT_EQ(r.cpus[2].saves, 1u);
  EXPECT_EQ(r.cpus[2].responses, 1u);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedHlt);
  EXPECT_TRUE(r.cpus[2].entered_panic);
}

// An oops inside an NMI handler reaches panic() through oops_end ("Fatal exception in interrupt"), not nmi_panic():
// the loser stops in the generic panic_smp_self_stop and never polls crash_ipi_issued. With its crash NMI latched
// behind the NMI in progress it never answers: the shootdown gives up after its 1 s and hands over without it.
TEST(X86Kdump, OopsInNmiContextStopsInTheGenericSelfStop) {
  const RunResult r = SecondCrashInsideAnNmiHandler("OOPS");
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 1u);
  EXPECT_EQ(FindEntry(r, 2, TraceKind::kWake, "X0"), nullptr) << "polled crash_ipi_issued";
  EXPECT_EQ(r.cpus[2].saves, 0u);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kLoserSpin);
  EXPECT_TRUE(r.cpus[2].entered_panic);
}

// crash_nmi_callback never returns and calls neither panic nor die: a PANIC or OOPS meant for a CPU that is
// already inside it (past the crashing_cpu check) cannot start, so nmi_panic_self_stop never runs the callback a
// second time. Before the fix the CPU counted as ordinary kernel code until X5 and was saved twice.
TEST(X86Kdump, NoPanicInsideTheCrashCallbackSoEachResponderIsSavedOnce) {
  for (const char* kind : {"PANIC", "OOPS"}) {
    for (const char* target : kX86Targets) {
      SCOPED_TRACE(std::string(target) + " " + kind);
      const RunResult r =
          RunTargetOnOwnLabel(target, std::string(R"pb(
                                        machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 }
                                        events {
                                          kind: PANIC
                                          cpus: 1
                                          trigger { at_time_ns: 1000 }
                                        }
                                        events { kind:)pb") +
                                          kind + R"pb(
          cpus: 2
          trigger { on_label { cpu: 2 label: "X4" } }
        }
          )pb");
      ASSERT_TRUE(r.handed_over);
      EXPECT_EQ(r.handover_cpu, 1u);
      EXPECT_EQ(r.cpus[2].saves, 1u);
      EXPECT_EQ(r.cpus[2].responses, 1u);
      EXPECT_FALSE(r.cpus[2].entered_panic);
      EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedHlt);
      EXPECT_EQ(CountEntries(r, 2, TraceKind::kRead, "X1"), 1) << "the callback ran once";
    }
  }
}

// Row J: panic_timeout 0; CPU 2 oopses while CPU 1 holds die_lock and crashes. CPU 2 spins for die_lock with
// interrupts off, yet the NMI reaches it: the dump is bounded, no operator wait, the spinner is saved.
TEST(X86Kdump, RowJBoundedWithoutOperatorWait) {
  for (const char* target : kX86Targets) {
    SCOPED_TRACE(target);
    const RunResult r = RunTarget(target, R"pb(
      machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 3 panic_timeout: 0 }
      events {
        kind: OOPS
        cpus: 1
        trigger { at_time_ns: 1000 }
      }
      events {
        kind: OOPS
        cpus: 2
        trigger { on_label { cpu: 1 label: "D2" } }
      }
    )pb");
    ASSERT_TRUE(r.handed_over);
    EXPECT_EQ(r.handover_cpu, 1u);
    EXPECT_EQ(r.end, EndReason::kQuiescent);
    EXPECT_LE(r.handover_time_ns, 1000 + kSec);
    EXPECT_EQ(r.cpus[2].saves, 1u);
    EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedHlt);
    EXPECT_EQ(r.cpus[3].at_handover, Location::kStoppedHw);  // offline: not a responder on x86
    for (uint32_t c = 0; c < 4; ++c) EXPECT_NE(r.cpus[c].final, Location::kWaitingOperator);
  }
}

TEST(X86Kdump, CrashSmpSendStopShootsDownOnceWithPostNotifiers) {
  const RunResult r = RunTarget("x86-nmi-shootdown", R"pb(
    machine { family: X86 platform: X86_HLT cores: 1 threads_per_core: 2 crash_kexec_post_notifiers: true }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[1].saves, 1u);
  EXPECT_EQ(CountEntries(r, 0, TraceKind::kHw, "C6"), 1) << "crash_smp_send_stop runs the shootdown once";
}

TEST(X86Kdump, NoCrashImageStopsOthersAndHaltsInPanic) {
  const RunResult r = RunTarget("x86-mwait-prefix", R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 2 crash_image_loaded: false }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
  )pb");
  EXPECT_FALSE(r.handed_over);
  EXPECT_EQ(r.cpus[0].final, Location::kPanicHalt);
  EXPECT_EQ(r.cpus[1].final, Location::kParkedHlt);  // reboot vector -> stop_this_cpu
}

}  // namespace
}  // namespace crashdiff::testing
