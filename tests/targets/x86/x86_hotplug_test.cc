// CPU hotplug on x86 and arm64: a CPU unplugged at run time parks like one that started offline; a CPU brought
// back online through INIT/STARTUP becomes a crash responder again.
#include <gtest/gtest.h>

#include "diff/differential.h"
#include "tests/fixtures/hotplug_scenarios.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

const char* kUnplugThenKexec = R"pb(
  machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 kexec_image_loaded: true }
  events {
    kind: HOTPLUG_DOWN
    cpus: 0
    cpus: 2
    trigger { at_time_ns: 500 }
  }
  events {
    kind: KEXEC
    cpus: 0
    trigger { at_time_ns: 100000000 }
  }
)pb";

TEST(X86Hotplug, UnpluggedCpuMeetsTheSameRelocationFateAsABootOfflineOne) {
  const RunResult prefix = RunTarget("x86-mwait-prefix", kUnplugThenKexec);
  EXPECT_NE(FindEntry(prefix, 2, TraceKind::kWrite, "O1", "cpuhp_dead[2]"), nullptr) << "it played dead";
  EXPECT_EQ(prefix.cpus[2].at_handover, Location::kDeadCorrupt);
  const RunResult fixed = RunTarget("x86-mwait-fixed", kUnplugThenKexec);
  EXPECT_EQ(fixed.cpus[2].at_handover, Location::kParkedHlt);
  EXPECT_EQ(CountDiagnostics(fixed, "didn't die"), 0);
}

// native_cpu_disable() soft-disables the local APIC in take_cpu_down, right after fixup_irqs, not when the idle task
// reaches play_dead: a REBOOT_VECTOR that a panic's stop sends while the dying CPU is between the two is dropped by
// its APIC (no wake sent, no IRR bit). Every other CPU is in its stopper with interrupts off until stop_machine's
// EXIT, so cpu1 panics once it has left its own (its third SM4 step signals done), while cpu2 is held at its first.
TEST(X86Hotplug, TheDyingCpusApicIsOffFromTakeCpuDownOn) {
  for (const char* target : kX86Targets) {
    const RunResult r = RunTargetOnOwnLabel(target, R"pb(
      machine { family: X86 platform: X86_HLT cores: 3 threads_per_core: 1 crash_image_loaded: false }
      events {
        kind: HOTPLUG_DOWN
        cpus: [ 0, 2 ]
        trigger { at_time_ns: 0 }
      }
      events {
        kind: PANIC
        cpus: 1
        trigger { on_label { cpu: 1 label: "SM4" occurrence: 3 } }
      }
      schedule {
        choices {
          cpu: 2
          hold: true
          steps: 40
          after { cpu: 2 label: "SM4" occurrence: 1 }
        }
      }
    )pb");
    ASSERT_NE(FindEntry(r, 2, TraceKind::kLocal, "HD2", "apic_soft_disable"), nullptr) << target;
    ASSERT_NE(FindEntry(r, 1, TraceKind::kHw, "K2d", "REBOOT_VECTOR"), nullptr) << target << ": the stop was sent";
    EXPECT_FALSE(r.cpus[2].woken) << target << ": the dying CPU's APIC took the vector";
    EXPECT_EQ(r.cpus[0].final, Location::kParkedHlt) << target << ": the online requester was stopped";
  }
}

// A CPU that starts offline went through native_cpu_disable() in its earlier life: its APIC is already off, so
// with the IPI shorthand the stop's REBOOT_VECTOR does not reach it (the NMI fallback still would).
TEST(X86Hotplug, AnOfflineCpuStartsWithItsApicOff) {
  const RunResult r = RunTarget("x86-mwait-fixed", R"pb(
    machine { family: X86 platform: X86_HLT cores: 1 threads_per_core: 2 offline: 1 crash_image_loaded: false }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
  )pb");
  EXPECT_FALSE(r.cpus[1].woken);
}

TEST(X86Hotplug, ReplugViaInitAndStartupMakesTheCpuACrashResponderAgain) {
  const RunResult r = RunTarget("x86-nmi-shootdown", R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 3 }
    events {
      kind: HOTPLUG_UP
      cpus: 0
      cpus: 3
      trigger { at_time_ns: 500 }
    }
    events {
      kind: PANIC
      cpus: 1
      trigger { at_time_ns: 100000000 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  EXPECT_NE(FindEntry(r, 3, TraceKind::kLocation, "PARKED_INIT"), nullptr) << "INIT came first";
  EXPECT_EQ(r.cpus[3].at_handover, Location::kParkedHlt);
  EXPECT_EQ(r.cpus[3].saves, 1u);
  EXPECT_EQ(r.cpus[3].responses, 1u);
}

TEST(X86Hotplug, APanicWithoutImageStopsTheUnplugRequesterMidWait) {
  const RunResult r = RunTarget("x86-mwait-fixed", R"pb(
    machine { family: X86 platform: X86_HLT cores: 1 threads_per_core: 2 crash_image_loaded: false }
    events {
      kind: OOPS
      cpus: 1
      trigger { at_time_ns: 100 }
    }
    events {
      kind: HOTPLUG_DOWN
      cpus: 0
      cpus: 1
      trigger { at_time_ns: 100 }
    }
  )pb");
  // CPU 1 oopses with interrupts off, so the stop_machine IPI never gets in; its panic's smp_send_stop then takes
  // the requester, blocked in its 10 s wait with interrupts on, into stop_this_cpu.
  EXPECT_EQ(r.cpus[1].final, Location::kPanicHalt);
  EXPECT_EQ(r.cpus[0].final, Location::kParkedHlt);
  EXPECT_EQ(CountDiagnostics(r, "didn't die"), 0);
}

// A crash entry counts once its first step ran. Here cpu2's cpu_down has sent cpu1 its stop_machine vector when
// cpu1 calls panic(): the pending interrupt is taken before panic()'s local_irq_disable and never returns (cpu1
// plays dead). The kernel would migrate the panicking task and go on elsewhere; the model has no migration, so
// cpu1 is simply no crash entry, not an initiator that never hands over (PR8), nor the start of a later crash.
TEST(X86Hotplug, APanicPreemptedByItsCpusTakeDownBeforeItsFirstStepIsNoCrashEntry) {
  const char* text = R"pb(
    machine { family: X86 platform: X86_HLT cores: 3 threads_per_core: 1 }
    events {
      kind: HOTPLUG_DOWN
      cpus: [ 2, 1 ]
      trigger { at_time_ns: 0 }
    }
    events {
      kind: PANIC
      cpus: 1
      trigger { on_label { cpu: 2 label: "HD1" occurrence: 4 } }
    }
  )pb";
  for (const char* target : kX86Targets) {
    const RunResult r = RunTarget(target, text);
    ASSERT_NE(FindEntry(r, 1, TraceKind::kWrite, "HD2", "cpu_online[1]"), nullptr) << target << ": not taken down";
    EXPECT_EQ(CountEntries(r, 1, TraceKind::kLocal, "P1"), 0) << target;
    EXPECT_FALSE(r.cpus[1].entered_panic) << target;
  }
  EXPECT_TRUE(RunDifferential(ScenarioFromText(text)).divergences.empty());
}

// A normal kexec on cpu1 sleeps on cpu_add_remove_lock (cpu_hotplug_disable) behind a cpu_down of cpu1 itself. The
// take-down wakes the task on the first online CPU, where it goes on and hands over; mwait-prefix then shows its
// documented relocation bug on the CPU that went down. Without the move the kexec was lost with cpu1 (an "initiator
// never hands over" outcome difference).
TEST(X86Hotplug, AKexecAsleepBehindACpuDownOfItsCpuGoesOnElsewhere) {
  const std::string text = KexecBesideCpuDown("X86", "X86_INTEL_MWAIT", 1, 2, 1, 5);
  for (const char* target : kX86Targets) {
    const RunResult r = RunTarget(target, text);
    ASSERT_NE(FindEntry(r, 1, TraceKind::kHw, "HD2", "select_fallback_rq"), nullptr) << target << ": no window";
    ASSERT_TRUE(r.handed_over) << target;
    EXPECT_EQ(r.handover_cpu, 0u) << target;
  }
  for (const Divergence& d : RunDifferential(ScenarioFromText(text)).divergences) {
    EXPECT_EQ(d.target, "x86-mwait-prefix") << d.signature;
    EXPECT_TRUE(d.known) << d.signature;
  }
}

TEST(Arm64Hotplug, UnpluggedCpuGoesToFirmwareAndSpinTableRefuses) {
  const RunResult psci = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 1 threads_per_core: 2 }
    events {
      kind: HOTPLUG_DOWN
      cpus: 0
      cpus: 1
      trigger { at_time_ns: 500 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 100000000 }
    }
  )pb");
  ASSERT_TRUE(psci.handed_over);
  EXPECT_EQ(psci.cpus[1].at_handover, Location::kParkedFw);
  EXPECT_EQ(psci.cpus[1].saves, 0u);

  const RunResult spin = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_SPIN_TABLE cores: 1 threads_per_core: 2 }
    events {
      kind: HOTPLUG_DOWN
      cpus: 0
      cpus: 1
      trigger { at_time_ns: 500 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 100000000 }
    }
  )pb");
  ASSERT_TRUE(spin.handed_over);
  EXPECT_EQ(spin.cpus[1].at_handover, Location::kLoserSpin) << "still online at the crash, then cpu_park_loop";
  EXPECT_EQ(spin.cpus[1].saves, 1u);
}

}  // namespace
}  // namespace crashdiff::testing
