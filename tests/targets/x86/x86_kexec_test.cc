// x86 normal kexec (DOMAIN §3.8, §3.9, §7 row H): relocation vs offline CPUs in mwait_play_dead, the fixed kick
// handshake, and INIT parking.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "diff/differential.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

// Row H: CPU 2 is offline in mwait_play_dead; CPU 0 (boot) starts a normal kexec.
const char* kRowH = R"pb(
  machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 2 kexec_image_loaded: true }
  events {
    kind: KEXEC
    cpus: 0
    trigger { at_time_ns: 1000 }
  }
)pb";

TEST(X86MwaitPrefix, RelocationStoreToMonitoredLineResumesOfflineCpuIntoReplacedText) {
  const RunResult r = RunTarget("x86-mwait-prefix", kRowH);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kDeadCorrupt);
  EXPECT_EQ(r.cpus[2].final, Location::kDeadCorrupt);
  // DOMAIN §3.8's interleaving: O sleeps in MWAIT; K3 overwrites text, then data (the monitored thread flags); the
  // store wakes O, whose next instruction is in the replaced text.
  const TraceEntry* text = FindEntry(r, 0, TraceKind::kOverwrite, "old-kernel-text");
  const TraceEntry* flags = FindEntry(r, 0, TraceKind::kWrite, "relocate", "idle_thread_flags[2]");
  const TraceEntry* wake = FindEntry(r, 2, TraceKind::kWake, "O3d", "monitor");
  const TraceEntry* dead = FindEntry(r, 2, TraceKind::kCorrupt, "DEAD", "old-kernel-text");
  ASSERT_NE(text, nullptr);
  ASSERT_NE(flags, nullptr);
  ASSERT_NE(dead, nullptr);
  EXPECT_LT(text->step, flags->step);
  EXPECT_LE(flags->step, dead->step);
  EXPECT_TRUE(wake == nullptr || wake->step >= flags->step);  // it slept until the relocation store
  // Online CPUs were stopped by the reboot vector and halt: weakly parked, intact until an NMI/SMI/MCE.
  EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedHlt);
  EXPECT_EQ(r.cpus[3].at_handover, Location::kParkedHlt);
  EXPECT_EQ(CountDiagnostics(r, "stuck in mwait_play_dead"), 0);
}

TEST(X86MwaitFixed, KickParksTheSameCpuInHltBeforeRelocation) {
  const RunResult r = RunTarget("x86-mwait-fixed", kRowH);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedHlt);
  EXPECT_EQ(r.cpus[2].final, Location::kParkedHlt);
  // The acknowledgement (status = KEXEC_HLT) precedes the first relocation write.
  const TraceEntry* ack = FindEntry(r, 2, TraceKind::kWrite, "O4", "mwait_cpu_dead.status[2]");
  const TraceEntry* text = FindEntry(r, 0, TraceKind::kOverwrite, "old-kernel-text");
  ASSERT_NE(ack, nullptr);
  ASSERT_NE(text, nullptr);
  EXPECT_EQ(ack->value, 0x4A17DEAD);
  EXPECT_LT(ack->step, text->step);
  EXPECT_EQ(CountDiagnostics(r, "stuck in mwait_play_dead"), 0);
  // PR8: <= 5 ms per offline CPU + 1 s stop.
  EXPECT_LE(r.handover_time_ns, 5 * kMs + kSec);
}

TEST(X86MwaitFixed, HltAfterRelocationIsWeakAgainstNmi) {
  const std::string text = std::string(kRowH) + R"pb(
    events {
      kind: NMI
      cpus: 2
      trigger { after_handover_ns: 1000 }
    })pb";
  const RunResult r = RunTarget("x86-mwait-fixed", text);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedHlt);
  EXPECT_EQ(r.cpus[2].final, Location::kDeadCorrupt);  // PR2: the NMI vector is replaced memory
}

// PR11: CPU 1's first control write lands while MONITOR is not armed, so MWAIT does not see it; the kicker's
// rewrite 5 us later wakes the CPU. Offline CPU 1 starts in MWAIT (settled); a spurious wake sends it round its
// loop. Schedule: CPU 0 blocks in idle; CPU 1 wakes, reads control (O4) and reaches O3a, which triggers the
// kexec; CPU 0 then runs K0..K2b's first write (16 steps) before CPU 1 re-arms the monitor.
TEST(X86MwaitFixed, ControlWriteBeforeMonitorIsArmedIsRecoveredByARewrite) {
  const RunResult r = RunTarget("x86-mwait-fixed", R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 2 offline: 1 kexec_image_loaded: true }
    events {
      kind: SPURIOUS_WAKE
      cpus: 1
      trigger { at_step: 0 }
    }
    events {
      kind: KEXEC
      cpus: 0
      trigger { on_label { cpu: 1 label: "O3a" } }
    }
    schedule {
      choices { cpu: 0 steps: 1 }
      choices { cpu: 1 steps: 3 }
      choices { cpu: 0 steps: 16 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  const TraceEntry* first_kick = FindEntry(r, 0, TraceKind::kWrite, "K2b", "mwait_cpu_dead.control[1]");
  // The re-arm after the spurious wake (the first O3b was settling's, before step 0).
  const TraceEntry* armed = nullptr;
  bool woke = false;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == 1 && e.kind == TraceKind::kWake && e.label == "O3d") woke = true;
    if (woke && armed == nullptr && e.cpu == 1 && e.kind == TraceKind::kLocal && e.label == "O3b") armed = &e;
  }
  ASSERT_NE(first_kick, nullptr);
  ASSERT_NE(armed, nullptr);
  EXPECT_LT(first_kick->step, armed->step) << "the first kick must land before MONITOR is armed";
  EXPECT_GE(CountEntries(r, 0, TraceKind::kWrite, "K2b"), 2) << "recovered by a rewrite";
  EXPECT_NE(FindEntry(r, 1, TraceKind::kWake, "O3d", "monitor"), nullptr);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedHlt);
  EXPECT_EQ(CountDiagnostics(r, "stuck in mwait_play_dead"), 0);
  EXPECT_LE(r.handover_time_ns, 5 * kMs + kSec);
}

// kernel_kexec re-enables CPU hotplug before machine_shutdown, so a cpu_up of CPU 3 can run while the kicker
// works: the kicker reads status = WAIT, then CPU 3 is INIT/STARTUP-ed and its smp_callin mops status up to 0, so
// it never acknowledges: 1000 x 5 us of kicks and the once-only diagnostic, for a CPU that is actually coming up.
TEST(X86MwaitFixed, CpuUpRacingTheKickEmitsTheStuckDiagnosticOnce) {
  const RunResult r = RunTarget("x86-mwait-fixed", R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 3 kexec_image_loaded: true }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: HOTPLUG_UP
      cpus: 1
      cpus: 3
      trigger { on_label { cpu: 0 label: "K1" occurrence: 9 } }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(CountDiagnostics(r, "CPU3 is stuck in mwait_play_dead()"), 1);
  EXPECT_EQ(CountEntries(r, 0, TraceKind::kWrite, "K2b"), 1000);
  EXPECT_GE(r.handover_time_ns, 5 * kMs);
  EXPECT_LE(r.handover_time_ns, 5 * kMs + kSec);  // PR8 still holds
  EXPECT_NE(FindEntry(r, 3, TraceKind::kWrite, "HU2", "cpu_online[3]"), nullptr) << "CPU 3 came online";
  EXPECT_EQ(r.cpus[3].at_handover, Location::kParkedHlt);  // then stopped by the reboot vector
}

// Before 1f5e7eb7868e the stopper waits on num_online_cpus(), which stop_this_cpu() decrements before it disables
// the APIC and reaches HLT. Schedule: CPU 1 takes the reboot vector and leaves the online mask (4 steps), then
// CPU 0 runs through relocation; CPU 1 resumes inside stop_this_cpu from replaced text.
const char* kStopRace = R"pb(
  machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 2 kexec_image_loaded: true }
  events {
    kind: KEXEC
    cpus: 0
    trigger { at_time_ns: 1000 }
  }
  schedule {
    choices { cpu: 0 steps: 1 }
    choices { cpu: 1 steps: 1 }
    choices { cpu: 0 steps: 16 }
    choices { cpu: 1 steps: 4 }
    choices { cpu: 0 steps: 30 }
  }
)pb";

TEST(X86MwaitPrefix, StopperSeesTheOnlineBitClearBeforeTheTargetHalts) {
  const RunResult r = RunTarget("x86-mwait-prefix", kStopRace);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kTransit) << "still in stop_this_cpu";
  EXPECT_EQ(r.cpus[1].final, Location::kDeadCorrupt);
  EXPECT_NE(FindEntry(r, 1, TraceKind::kCorrupt, "DEAD", "old-kernel-text"), nullptr);
}

TEST(X86MwaitFixed, StopMaskWaitsUntilTheTargetReachesHlt) {
  const RunResult r = RunTarget("x86-mwait-fixed", kStopRace);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedHlt);
  EXPECT_EQ(r.cpus[1].final, Location::kParkedHlt);
}

TEST(X86MwaitFixed, HltPlatformNeedsNoKick) {
  std::string text = kRowH;
  text.replace(text.find("X86_INTEL_MWAIT"), 15, "X86_HLT");
  const RunResult r = RunTarget("x86-mwait-fixed", text);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedHlt);
  EXPECT_EQ(CountEntries(r, 0, TraceKind::kWrite, "K2b"), 0);
}

TEST(X86InitPark, BootCpuParksEveryOtherBootedCpuInInit) {
  const std::string text = std::string(kRowH) + R"pb(
    events {
      kind: NMI
      all_cpus: true
      trigger { after_handover_ns: 1000 }
    }
    events {
      kind: SMI
      all_cpus: true
      trigger { after_handover_ns: 2000 }
    })pb";
  const RunResult r = RunTarget("x86-init-park", text);
  ASSERT_TRUE(r.handed_over);
  for (uint32_t c : {1u, 2u, 3u}) {
    EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedInit) << c;
    EXPECT_EQ(r.cpus[c].final, Location::kParkedInit) << "INIT holds NMI and SMI, cpu " << c;
  }
}

// An SMI enters SMM through firmware, not the kernel's vectors, and returns to the interrupted instruction: on the
// kexec CPU while it relocates (running from the control page) it changes nothing. (The simulator once routed it
// through the replaced IDT and called the kexec CPU dead; the reference self-check found it.)
TEST(X86Kexec, SmiOnTheKexecCpuDuringRelocationIsHarmless) {
  const char* text = R"pb(
    machine {
      family: X86
      platform: X86_INTEL_MWAIT
      cores: 2
      threads_per_core: 1
      never_started: 1
      kexec_image_loaded: true
    }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_time_ns: 0 }
    }
    events {
      kind: SMI
      cpus: 0
      trigger { at_time_ns: 9 }
    }
  )pb";
  for (const char* target : kX86Targets) {
    const RunResult r = RunTarget(target, text);
    EXPECT_TRUE(r.handed_over) << target;
    EXPECT_EQ(r.cpus[0].at_handover, Location::kNextKernel) << target;
  }
  const crashdiff::DiffReport d = crashdiff::RunDifferential(ScenarioFromText(text));
  EXPECT_TRUE(d.reference_violations.empty()) << d.reference_violations.front().signature;
}

TEST(X86InitPark, BroadcastMceAfterRelocationHitsInitParkedCpus) {
  const std::string text = std::string(kRowH) + R"pb(
    events {
      kind: MCE
      all_cpus: true
      trigger { after_handover_ns: 1000 }
    })pb";
  const RunResult r = RunTarget("x86-init-park", text);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedInit);
  EXPECT_EQ(r.cpus[2].final, Location::kDeadCorrupt);
}

// b1472a60a584: only the boot CPU sends INIT. A normal kexec asked for on cpu1 moves to the boot CPU first
// (migrate_to_reboot_cpu), so it parks the others in INIT; a panic's stop on cpu1 falls back to HLT.
TEST(X86InitPark, AKexecRequestedElsewhereParksInInitFromTheBootCpu) {
  std::string text = kRowH;
  text.replace(text.find("cpus: 0"), 7, "cpus: 1");
  const RunResult r = RunTarget("x86-init-park", text);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 0u);
  ASSERT_NE(FindEntry(r, 0, TraceKind::kEvent, "TASK"), nullptr) << "the kexec task did not move to cpu0";
  for (uint32_t c : {1u, 2u, 3u}) EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedInit) << c;
}

TEST(X86InitPark, NoInitWhenNotOnTheBootCpuFallsBackToHlt) {
  const RunResult r = RunTarget("x86-init-park", R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 4 threads_per_core: 1 crash_image_loaded: false }
    events {
      kind: PANIC
      cpus: 1
      trigger { at_time_ns: 1000 }
    }
  )pb");
  ASSERT_NE(FindEntry(r, 1, TraceKind::kHw, "K2d", "REBOOT_VECTOR"), nullptr) << "cpu1 did not stop the others";
  for (uint32_t c : {0u, 2u, 3u}) EXPECT_EQ(r.cpus[c].final, Location::kParkedHlt) << "b1472a60a584: " << c;
}

// kernel_kexec() re-enables hotplug before machine_shutdown(), and the kernel lets a cpu_down run in that window.
// It cannot lose the kexec: migrate_to_reboot_cpu() moved the task to the boot CPU, which is not hot-pluggable, so
// a cpu_down of it there is refused; a cpu_down of the CPU the kexec was asked for on, once the task left it, takes
// an idle CPU down. (When the model ran the kexec on the requesting CPU, a take-down in that window abandoned the
// kexec frame: a campaign's `PR8 @P9`, a model artifact.)
TEST(X86Kexec, CpuDownAfterTheMoveToTheBootCpuCannotLoseTheKexec) {
  struct Down {
    uint32_t target;     // the CPU cpu_down asks for
    uint32_t after_cpu;  // fired after that CPU's occurrence-th K1 step
    uint32_t occurrence;
  };
  // cpu1's sixth K1 step is the move; cpu0's first four are syscore_shutdown and cpu_hotplug_enable.
  const Down downs[] = {{1, 1, 6}, {0, 0, 1}, {0, 0, 2}, {0, 0, 3}, {0, 0, 4}};
  for (const char* target : kX86Targets) {
    for (const Down& d : downs) {
      const std::string down = "events { kind: HOTPLUG_DOWN cpus: [ 2, " + std::to_string(d.target) +
                               " ] trigger { on_label { cpu: " + std::to_string(d.after_cpu) +
                               " label: \"K1\" occurrence: " + std::to_string(d.occurrence) + " } } }";
      const RunResult r = RunTarget(
          target, R"pb(
                        machine { family: X86 platform: X86_HLT cores: 3 threads_per_core: 1 kexec_image_loaded: true }
                        events {
                          kind: KEXEC
                          cpus: 1
                          trigger { at_time_ns: 0 }
                        }
                      )pb" +
                      down);
      const std::string where = std::string(target) + " down cpu" + std::to_string(d.target) + " after cpu" +
                                std::to_string(d.after_cpu) + " K1#" + std::to_string(d.occurrence);
      const auto& entries = r.trace.entries();
      ASSERT_TRUE(std::any_of(
          entries.begin(), entries.end(),
          [](const TraceEntry& e) { return e.cpu == 2 && e.kind == TraceKind::kEvent && e.detail == "HOTPLUG_DOWN"; }))
          << where << ": the request never came";
      EXPECT_TRUE(r.handed_over) << where;
      EXPECT_EQ(r.handover_cpu, 0u) << where;
    }
  }
}

// native_machine_shutdown() quiets the IO-APIC before it turns interrupts off and stops the others (reboot.c, erratum
// AVR31: before any local APIC goes off).
TEST(X86Kexec, MachineShutdownClearsTheIoApicBeforeInterruptsGoOffAndTheStop) {
  for (const char* target : kX86Targets) {
    const RunResult r = RunTarget(target, R"pb(
      machine { family: X86 platform: X86_HLT cores: 1 threads_per_core: 2 kexec_image_loaded: true }
      events {
        kind: KEXEC
        cpus: 0
        trigger { at_time_ns: 0 }
      }
    )pb");
    ASSERT_TRUE(r.handed_over) << target;
    const TraceEntry* ioapic = FindEntry(r, 0, TraceKind::kLocal, "K2", "clear_IO_APIC");
    const TraceEntry* irq_off = FindEntry(r, 0, TraceKind::kLocal, "K2", "irq-disable");
    const TraceEntry* stop = FindEntry(r, 0, TraceKind::kHw, "K2d", "REBOOT_VECTOR");
    ASSERT_NE(ioapic, nullptr) << target;
    ASSERT_NE(irq_off, nullptr) << target;
    ASSERT_NE(stop, nullptr) << target;
    EXPECT_LT(ioapic, irq_off) << target;
    EXPECT_LT(irq_off, stop) << target;
  }
}

// A panic that supersedes a normal kexec: cpu1's kexec is still before native_machine_shutdown's interrupts-off
// when cpu0 panics; the panic wins the stop, halts cpu1 with REBOOT_VECTOR and, with no crash image, ends in
// panic()'s halt. No hand-over, and none owed: PR8 does not call it a hung kexec. With a crash image the same race
// loses the dump (the kexec holds kexec_lock): no kernel starts, and PR8 says so (x86-kexec-reboot-stops-panic).
TEST(X86Kexec, APanicThatStopsTheKexecCpuIsNoHungKexec) {
  const std::string text = R"pb(
    machine { family: X86 platform: X86_HLT cores: 1 kexec_image_loaded: true crash_image_loaded: false }
    events {
      kind: KEXEC
      cpus: 1
      trigger { at_time_ns: 990 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
    schedule { policy: PCT pct_horizon: 1 }
  )pb";
  const RunResult r = RunTarget("x86-mwait-fixed", text);
  ASSERT_FALSE(r.handed_over);
  ASSERT_EQ(r.cpus[0].final, Location::kPanicHalt);
  ASSERT_EQ(r.cpus[1].final, Location::kParkedHlt) << "the panic's stop halted the kexec CPU";
  for (const Divergence& d : RunDifferential(ScenarioFromText(text)).divergences) {
    EXPECT_NE(d.property, "PR8") << d.signature;
  }
  std::string with_image = text;
  with_image.replace(with_image.find("crash_image_loaded: false"), 25, "crash_image_loaded: true");
  bool hang = false;
  for (const Divergence& d : RunDifferential(ScenarioFromText(with_image)).divergences) hang |= d.property == "PR8";
  EXPECT_TRUE(hang) << "with a crash image the lost dump stays visible";
}

TEST(X86Kexec, NeverStartedCpusStayWithFirmware) {
  const RunResult r = RunTarget("x86-init-park", R"pb(
    machine {
      family: X86
      platform: X86_INTEL_MWAIT
      cores: 2
      threads_per_core: 2
      never_started: 3
      kexec_image_loaded: true
    }
    events {
      kind: KEXEC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
  )pb");
  EXPECT_EQ(r.cpus[3].at_handover, Location::kNeverStarted);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedInit);
}

}  // namespace
}  // namespace crashdiff::testing
