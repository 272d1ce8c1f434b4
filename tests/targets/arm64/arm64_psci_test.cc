// arm64 (DOMAIN §3.11, §4, §7 rows A, C, H, J): PSCI CPU_OFF finality, the crash stop with IPI then pseudo-NMI,
// the loser's self-offline, spin-table systems and CPU_OFF failures.
#include <gtest/gtest.h>

#include "diff/differential.h"
#include "tests/fixtures/hotplug_scenarios.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

TEST(Arm64Psci, RowAOfflineCpuInFirmwareSurvivesEveryPostHandoverEvent) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 offline: 2 }
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
    events {
      kind: NMI
      all_cpus: true
      trigger { after_handover_ns: 2000 }
    }
    events {
      kind: SPURIOUS_WAKE
      cpus: 2
      trigger { after_handover_ns: 3000 }
    }
    events {
      kind: DEVICE_IRQ
      cpus: 2
      vector: 40
      trigger { after_handover_ns: 4000 }
    }
    events {
      kind: OPERATOR_RESET
      trigger { after_handover_ns: 5000 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedFw);
  EXPECT_EQ(r.cpus[2].final, Location::kParkedFw);
  EXPECT_EQ(r.cpus[2].saves, 0u);
  // Online targets were crash-stopped into firmware too: saved once, then equally immune.
  for (uint32_t c : {0u, 3u}) {
    EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << c;
    EXPECT_EQ(r.cpus[c].final, Location::kParkedFw) << c;
    EXPECT_EQ(r.cpus[c].saves, 1u) << c;
  }
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == 2 && e.time_ns > r.handover_time_ns) ADD_FAILURE() << "CPU 2 did something after H: " << e.detail;
  }
  EXPECT_EQ(CountDiagnostics(r, "Some CPUs may be stale"), 0);
  EXPECT_LE(r.handover_time_ns, 1000 + kSec + 10 * kMs);
}

TEST(Arm64Psci, RowCLoserSelfOfflinesAndIsNotSaved) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 }
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
  const uint32_t loser = r.handover_cpu == 1 ? 2 : 1;
  EXPECT_TRUE(r.cpus[loser].entered_panic);
  EXPECT_EQ(r.cpus[loser].at_handover, Location::kLoserSpin);
  EXPECT_EQ(r.cpus[loser].saves, 0u);
  EXPECT_EQ(r.cpus[loser].responses, 0u);
  EXPECT_EQ(r.cpus[0].saves, 1u);
  EXPECT_EQ(r.cpus[0].at_handover, Location::kParkedFw);
  EXPECT_EQ(CountDiagnostics(r, "Some CPUs may be stale"), 0) << "the loser left the online mask itself";
}

// Row J: CPU 2 oopses while CPU 1 (oopsing, holding die_lock) crashes: CPU 2 spins for die_lock with interrupts
// masked. Without pseudo-NMI it never stops: bounded 1 s wait, warnings, hand-over with CPU 2 in kernel code.
const char* kRowJ = R"pb(
  machine {
    family: ARM64
    platform: ARM64_PSCI
    cores: 2
    threads_per_core: 2
    panic_timeout: 0
    firmware { pseudo_nmi: %s }
  }
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
)pb";

std::string RowJ(bool pseudo_nmi) {
  std::string s = kRowJ;
  s.replace(s.find("%s"), 2, pseudo_nmi ? "true" : "false");
  return s;
}

TEST(Arm64Psci, RowJWithoutPseudoNmiBoundedWithStaleCpuWarning) {
  const RunResult r = RunTarget("arm64-psci", RowJ(false));
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 1u);
  EXPECT_GE(r.handover_time_ns, kSec);
  EXPECT_LE(r.handover_time_ns, 1000 + kSec + 10 * kMs);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kRunOld);
  EXPECT_EQ(r.cpus[2].saves, 0u);
  EXPECT_EQ(CountDiagnostics(r, "SMP: failed to stop secondary CPUs 2"), 1);
  EXPECT_EQ(CountDiagnostics(r, "Some CPUs may be stale, kdump will be unreliable."), 1);
}

TEST(Arm64Psci, RowJWithPseudoNmiTheSpinnerIsStopped) {
  const RunResult r = RunTarget("arm64-psci", RowJ(true));
  ASSERT_TRUE(r.handed_over);
  EXPECT_LE(r.handover_time_ns, 1000 + kSec + 10 * kMs);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedFw);
  EXPECT_EQ(r.cpus[2].saves, 1u);
  EXPECT_EQ(CountDiagnostics(r, "SMP: retry stop with NMI for CPUs 2"), 1);
  EXPECT_EQ(CountDiagnostics(r, "Some CPUs may be stale"), 0);
}

TEST(Arm64Psci, SpinTableKdumpWarnsAndKexecIsRefused) {
  const RunResult dump = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_SPIN_TABLE cores: 1 threads_per_core: 4 offline: 3 }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
  )pb");
  ASSERT_TRUE(dump.handed_over);
  EXPECT_EQ(dump.cpus[3].at_handover, Location::kOfflineLoop);  // stuck in the kernel, cannot be offlined
  EXPECT_EQ(dump.cpus[1].at_handover, Location::kLoserSpin);    // no cpu_die: cpu_park_loop
  EXPECT_EQ(dump.cpus[1].saves, 1u);
  EXPECT_EQ(CountDiagnostics(dump, "Some CPUs may be stale, kdump will be unreliable."), 1);

  const RunResult kexec = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_SPIN_TABLE cores: 1 threads_per_core: 2 kexec_image_loaded: true }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
  )pb");
  EXPECT_FALSE(kexec.handed_over);
  EXPECT_EQ(CountDiagnostics(kexec, "Can't kexec: CPUs are stuck in the kernel."), 1);
}

// ipi_cpu_crash_stop(): a CPU_OFF that returns there (__cpu_try_die) ends in cpu_park_loop() in kernel text.
TEST(Arm64Psci, CrashStopCpuOffFailureParksInKernelText) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine {
      family: ARM64
      platform: ARM64_PSCI
      cores: 1
      threads_per_core: 4
      offline: 3
      firmware { cpu_off_fails_for: 1 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[3].at_handover, Location::kParkedFw);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kLoserSpin);
  EXPECT_EQ(r.cpus[1].saves, 1u);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedFw);
  // It left the online mask before trying CPU_OFF, so the stop did not fail: no warning.
  EXPECT_EQ(CountDiagnostics(r, "Some CPUs may be stale"), 0);
}

// The receiver's only acknowledgement is leaving the online mask, which precedes CPU_OFF: the initiator can hand
// over while the receiver is still in kernel text (TRANSIT at H); it reaches firmware afterwards.
TEST(Arm64Psci, InitiatorCanHandOverWhileAReceiverIsStillOnItsWayToFirmware) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 1 threads_per_core: 2 }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
    schedule {
      choices { cpu: 0 steps: 1 }
      choices { cpu: 1 steps: 1 }
      choices { cpu: 0 steps: 20 }
      choices { cpu: 1 steps: 6 }
      choices { cpu: 0 steps: 30 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[1].saves, 1u);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kTransit);
  EXPECT_EQ(r.cpus[1].final, Location::kParkedFw);
  EXPECT_EQ(CountDiagnostics(r, "Some CPUs may be stale"), 0);
}

TEST(Arm64Psci, NormalKexecTakesEveryOtherCpuDownToFirmware) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 offline: 2 kexec_image_loaded: true }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: NMI
      all_cpus: true
      trigger { after_handover_ns: 1000 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  for (uint32_t c : {1u, 2u, 3u}) {
    EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << c;
    EXPECT_EQ(r.cpus[c].final, Location::kParkedFw) << c;
  }
}

// kernel_kexec() disables hotplug before migrate_to_reboot_cpu() and enables it again only on the reboot CPU, so a
// cpu_down of the reboot CPU asked for between the move and the moved task's start is refused (-EBUSY): the kexec
// runs on CPU 0 and parks the others. While arm64 folded the disable / enable pair, that cpu_down took CPU 0 down
// with the queued kexec task on it, and the kexec never ran.
TEST(Arm64Psci, ACpuDownOfTheRebootCpuDuringTheMoveIsRefused) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 4 threads_per_core: 1 kexec_image_loaded: true }
    events {
      kind: KEXEC
      cpus: 2
      trigger { at_time_ns: 0 }
    }
    events {
      kind: HOTPLUG_DOWN
      cpus: 1
      cpus: 0
      trigger { at_time_ns: 8 }
    }
  )pb");
  const size_t refused = testing::FirstEntry(r, 1, "HP0", TraceKind::kRead, 1, "cpu_hotplug_disabled");
  EXPECT_NE(refused, SIZE_MAX);
  EXPECT_EQ(testing::FirstEntry(r, 1, "HP1", TraceKind::kWrite), SIZE_MAX);  // no stop request
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 0u);
  for (uint32_t c : {1u, 2u, 3u}) EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << c;
}

// After cpu_hotplug_enable() on the reboot CPU, a cpu_down of that CPU takes cpu_add_remove_lock first; the kexec
// task sleeps on it in smp_shutdown_nonboot_cpus() and the CPU goes down under it. The scheduler wakes the task on
// the first online CPU, where the shutdown goes on and hands over. Without the move the kexec was lost with the
// CPU and the run showed `PR8 never hands over`.
TEST(Arm64Psci, TheKexecTaskAsleepOnACpuTakenDownGoesOnElsewhere) {
  const std::string text = KexecBesideCpuDown("ARM64", "ARM64_PSCI", 1, 2, 0, 16);
  const RunResult r = RunTarget("arm64-psci", text);
  ASSERT_NE(FindEntry(r, 0, TraceKind::kHw, "HP2", "select_fallback_rq"), nullptr) << "the scenario lost its window";
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 1u);
  EXPECT_EQ(r.cpus[0].at_handover, Location::kParkedFw);
  EXPECT_EQ(r.cpus[0].shutdowns, 0u);  // the shutdown went with the task
  EXPECT_EQ(r.cpus[1].shutdowns, 1u);
  EXPECT_TRUE(RunDifferential(ScenarioFromText(text)).divergences.empty());
}

// The same wake from the other sleeping wait: kernel_kexec() on cpu1 sleeps in cpu_hotplug_disable() behind a
// cpu_down of cpu1. The task goes on on cpu0, which is the reboot CPU, and the kexec hands over from there.
TEST(Arm64Psci, AKexecAsleepInCpuHotplugDisableGoesOnWhenItsCpuIsTakenDown) {
  const std::string text = KexecBesideCpuDown("ARM64", "ARM64_PSCI", 1, 2, 1, 5);
  const RunResult r = RunTarget("arm64-psci", text);
  ASSERT_NE(FindEntry(r, 1, TraceKind::kHw, "HP2", "select_fallback_rq"), nullptr) << "the scenario lost its window";
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 0u);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw);
  EXPECT_TRUE(RunDifferential(ScenarioFromText(text)).divergences.empty());
}

// smp_send_stop() counts the others with num_other_online_cpus() (d0bab0c39e32): a CPU that oopses while it is
// being taken down (out of the online mask, in take_cpu_down) still stops the CPU that is online. Counting itself
// as the one CPU left, the old model skipped the stop and let CPU 0 start a normal kexec 10 s later, relocating
// over the CPU halted in panic (campaign finding, PR1 @PANIC_HALT / PR10 @PANIC_HALT on an offline target).
TEST(Arm64Psci, PanicOnACpuBeingTakenDownStillStopsTheOnlineCpus) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine {
      family: ARM64
      platform: ARM64_PSCI
      threads_per_core: 1
      crash_kexec_post_notifiers: true
      crash_image_loaded: false
      kexec_image_loaded: true
    }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_time_ns: 10000000000 }
    }
    events {
      kind: OOPS
      cpus: 1
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: HOTPLUG_DOWN
      cpus: 0
      cpus: 1
      trigger { at_time_ns: 487 }
    }
    events {
      kind: OOPS
      cpus: 1
      trigger { at_time_ns: 500 }
    }
    schedule {
      choices { cpu: 0 steps: 1 }
      policy: ROUND_ROBIN
    }
  )pb");
  EXPECT_FALSE(r.handed_over) << "no crash image; CPU 0 was stopped before its kexec";
  EXPECT_EQ(r.cpus[1].final, Location::kPanicHalt);
  EXPECT_EQ(r.cpus[0].saves, 1u) << "CPU 0 took the crash stop";
  EXPECT_EQ(CountDiagnostics(r, "SMP: stopping secondary CPUs"), 1);
  EXPECT_EQ(CountDiagnostics(r, "kexec_core: Starting new kernel"), 0);
}

// cpu_down's requester does not relocate over a CPU that reported dead but has not reached PSCI CPU_OFF yet:
// arch_cpuhp_cleanup_dead_cpu() -> op_cpu_kill() polls AFFINITY_INFO (<= 100 ms) until the firmware says it is
// off. Without it the old model relocated while CPU 2 was between cpuhp_ap_report_dead and CPU_OFF (campaign
// finding, PR9 @AD2: "loser keeps running in OFFLINE_LOOP", then DEAD_CORRUPT). cpu1, the kexec's CPU, is the boot
// CPU, so kernel_kexec stays there (migrate_to_reboot_cpu).
TEST(Arm64Psci, KexecWaitsUntilTheFirmwareReportsTheDyingCpuOff) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine {
      family: ARM64
      platform: ARM64_PSCI
      cores: 2
      threads_per_core: 2
      boot_cpu: 1
      never_started: 3
      kexec_image_loaded: true
    }
    events {
      kind: HOTPLUG_DOWN
      cpus: 0
      cpus: 2
      trigger { at_time_ns: 0 }
    }
    events {
      kind: KEXEC
      cpus: 1
      trigger { at_time_ns: 0 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 0 }
    }
    events {
      kind: OOPS
      cpus: 0
      trigger { at_step: 4 }
    }
    events {
      kind: PANIC
      cpus: 2
      trigger { at_step: 13 }
    }
    schedule {
      choices { cpu: 1 steps: 4 }
      policy: PCT
      seed: 16339971389629466382
      pct_depth: 3
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  for (uint32_t c : {0u, 2u}) {
    EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << c;
    EXPECT_EQ(r.cpus[c].final, Location::kParkedFw) << c;
  }
  EXPECT_EQ(CountDiagnostics(r, "may not have shut down cleanly"), 0);
}

// set_cpu_online(cpu, false) moves __num_online_cpus only if the bit was set: a CPU taken out of the mask by
// take_cpu_down that then panics and self-stops (local_cpu_stop) does not count itself out a second time, which
// would end the panicking CPU's stop wait with an online CPU still running. cpu1 panics once it has left its
// stopper (its third SM4 step); cpu2, out of the mask and held just past stop_machine's EXIT (its second SM4 step),
// panics after it and loses.
TEST(Arm64Psci, ACpuAlreadyOutOfTheOnlineMaskIsNotCountedOutTwice) {
  const TargetSpec* spec = FindTarget("arm64-psci");
  ASSERT_NE(spec, nullptr);
  const RunResult r = RunOnTarget(*spec, UnvalidatedScenarioFromText(R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 1 threads_per_core: 4 }
    events {
      kind: HOTPLUG_DOWN
      cpus: 0
      cpus: 2
      trigger { at_time_ns: 500 }
    }
    events {
      kind: PANIC
      cpus: 1
      trigger { on_label { cpu: 1 label: "SM4" occurrence: 3 } }
    }
    events {
      kind: PANIC
      cpus: 2
      trigger { on_label { cpu: 1 label: "P2" } }
    }
    schedule {
      choices {
        cpu: 2
        hold: true
        steps: 8
        after { cpu: 2 label: "SM4" occurrence: 2 }
      }
    }
  )pb"));
  for (const TraceEntry& e : r.trace.entries()) {
    // CPU 1 panics and stays online until hand-over: the count never drops below 1.
    if (e.detail == "num_online_cpus" && e.value < 1) {
      ADD_FAILURE() << "step " << e.step << " cpu" << e.cpu << ": num_online_cpus = " << e.value;
    }
  }
  EXPECT_TRUE(r.cpus[2].entered_panic);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kLoserSpin);
}

// cpu_die(): a PSCI CPU_OFF that returns ends in BUG() (arch/arm64/kernel/smp.c, v6.7): die() on the dying CPU,
// whose idle task makes kexec_should_crash() hold, so crash_kexec() and then the common panic path. Here nothing
// else is crashing: the dying CPU wins panic_cpu, stops the requester (still waiting in op_cpu_kill with interrupts
// on) and takes the dump itself.
TEST(Arm64Psci, CpuOffReturningInCpuDieIsABugThatCrashes) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine {
      family: ARM64
      platform: ARM64_PSCI
      cores: 1
      threads_per_core: 2
      crash_image_loaded: true
      firmware { cpu_off_fails_for: 1 }
    }
    events {
      kind: HOTPLUG_DOWN
      cpus: [ 0, 1 ]
      trigger { at_time_ns: 0 }
    }
  )pb");
  ASSERT_NE(FindEntry(r, 1, TraceKind::kLocal, "D2"), nullptr) << "die() ran on the dying CPU";
  EXPECT_TRUE(r.cpus[1].entered_panic);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 1u);
  EXPECT_EQ(r.cpus[0].saves, 1u) << "the requester was collected by the crash stop";
}

// The same BUG during a normal kexec's smp_shutdown_nonboot_cpus(): the dying CPU's crash_kexec and panic find
// kexec_lock held by kernel_kexec(), so no dump; its panic stops the kexec CPU (interrupts still on in op_cpu_kill)
// and halts. The kexec never relocates over a CPU left in kernel text.
TEST(Arm64Psci, KexecTakingDownACpuWhoseCpuOffFailsEndsInThatCpusPanic) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine {
      family: ARM64
      platform: ARM64_PSCI
      cores: 1
      kexec_image_loaded: true
      firmware { cpu_off_fails_for: 1 }
    }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_time_ns: 0 }
    }
  )pb");
  EXPECT_FALSE(r.handed_over);
  EXPECT_TRUE(r.cpus[1].entered_panic);
  EXPECT_EQ(r.cpus[1].final, Location::kPanicHalt);
  EXPECT_EQ(CountDiagnostics(r, "may not have shut down cleanly"), 0);
}

// The same BUG while another CPU's oops holds die_lock (record arm64-cpu-off-bug-spins-on-die-lock): die() keeps the
// lock through crash_kexec and panic, so the dying CPU (offline, DAIF masked, never stopped) spins on it for good;
// the oopsing CPU's panic parks the kexec CPU and halts. The oops starts once cpu1 is in cpu_die (after
// stop_machine, which in the kernel needs cpu2 too).
TEST(Arm64Psci, CpuOffBugBehindAnotherCpusOopsSpinsOnDieLockForGood) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine {
      family: ARM64
      platform: ARM64_PSCI
      kexec_image_loaded: true
      firmware { cpu_off_fails_for: 1 }
    }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_step: 0 }
    }
    events {
      kind: OOPS
      cpus: 2
      trigger { on_label { cpu: 1 label: "AD1" } }
    }
  )pb");
  EXPECT_FALSE(r.handed_over);
  EXPECT_EQ(r.end, EndReason::kQuiescent);
  ASSERT_NE(FindEntry(r, 1, TraceKind::kLocal, "AD3", "BUG()"), nullptr);
  EXPECT_TRUE(r.cpus[1].entered_panic);
  // cpu1 never gets past die_lock: its last step is the D1 wait, and it never reaches __die or panic.
  const TraceEntry* last = nullptr;
  for (const TraceEntry& e : r.trace.entries()) last = e.cpu == 1 ? &e : last;
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->kind, TraceKind::kBlock);
  EXPECT_EQ(last->label, "D1");
  EXPECT_EQ(FindEntry(r, 1, TraceKind::kLocal, "D2"), nullptr);
  EXPECT_EQ(r.cpus[1].final, Location::kOfflineLoop);
  EXPECT_EQ(r.cpus[2].final, Location::kPanicHalt);
  EXPECT_EQ(r.cpus[0].final, Location::kLoserSpin) << "the kexec CPU was stopped by cpu2's panic";
  EXPECT_EQ(r.cpus[3].final, Location::kLoserSpin);
}

}  // namespace
}  // namespace crashdiff::testing
