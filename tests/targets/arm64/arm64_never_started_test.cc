// arm64 PSCI CPU_ON of a never-started CPU (targets/arm64/arm64_cpu_up.cc): a CPU maxcpus= left to firmware is
// PSCI OFF, runs nothing until a cpu_up's CPU_ON, then starts at secondary_entry and comes online like a CPU that
// had called CPU_OFF (its cpuhp sync state is still DEAD; arm64_cpu_up_test.cc runs the shared path for both). The
// crash stop only reaches online CPUs: a CPU whose CPU_ON is in flight when the stop snapshots the mask is neither
// stopped nor counted.
#include <gtest/gtest.h>

#include "fuzz/mutator/fix.h"
#include "sim/machine.h"
#include "sim/validate.h"
#include "targets/arm64/arm64_kernel.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

TEST(Arm64NeverStarted, StaysInFirmwareWithoutCpuOn) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 never_started: 3 }
    events {
      kind: PANIC
      cpus: 1
      trigger { at_time_ns: 1000 }
    }
  )pb");
  EXPECT_EQ(r.settled[3], Location::kNeverStarted);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[3].at_handover, Location::kNeverStarted);  // still PSCI OFF: the kdump kernel can CPU_ON it
  EXPECT_FALSE(r.cpus[3].woken);                              // not online: no IPI_CPU_CRASH_STOP
  EXPECT_EQ(FindEntry(r, 3, TraceKind::kLocal, "AS0"), nullptr);
}

TEST(Arm64NeverStarted, PsciCpuOnOfANeverStartedCoreSucceedsThenIsPending) {
  Machine m(ScenarioFromText(R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 1 threads_per_core: 2 never_started: 1 }
  )pb"));
  Cpu& held = m.cpu(1);
  held.set_in_firmware(FwReset::kHolds);  // as Start's firmware hold leaves it at settle time
  EXPECT_EQ(arm64::PsciCpuOn(m, 1), arm64::kPsciSuccess);
  EXPECT_TRUE(held.firmware_start_queued());
  EXPECT_EQ(arm64::PsciCpuOn(m, 1), arm64::kPsciOnPending);  // a second CPU_ON before it runs: ON_PENDING
  EXPECT_EQ(arm64::PsciToLinuxErrno(arm64::kPsciOnPending), -22);
}

// crash_smp_send_stop() snapshots cpu_online_mask; the CPU whose CPU_ON the panicking requester just issued is
// not in it, so it is not sent the stop IPI, not counted in waiting_for_crash_ipi, and not saved. Where it is at
// hand-over (still pending in firmware, or executing the old kernel's secondary_entry) is the schedule's business.
TEST(Arm64NeverStarted, ACrashWithCpuOnInFlightNeitherStopsNorCountsIt) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 never_started: 3 }
    events {
      kind: HOTPLUG_UP
      cpus: [ 0, 3 ]
      trigger { at_time_ns: 0 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { on_label { cpu: 0 label: "HU2" } }
    }
    schedule {
      choices {
        cpu: 3
        hold: true
        steps: 1000
        after { cpu: 0 label: "HU2" }
      }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  ASSERT_NE(FindEntry(r, 3, TraceKind::kEvent, "FW_START_JOB"), nullptr);  // CPU_ON accepted before the panic
  EXPECT_FALSE(r.cpus[3].woken);
  EXPECT_EQ(r.cpus[3].saves, 0u);
  EXPECT_EQ(r.cpus[3].responses, 0u);
  EXPECT_NE(r.cpus[3].at_handover, Location::kParkedFw);  // nothing handed it back to firmware
  EXPECT_TRUE(r.cpus[1].woken);                           // the CPUs online at the snapshot were stopped
  // Firmware still carries out the accepted CPU_ON: the core starts at the old kernel's secondary_entry.
  EXPECT_NE(FindEntry(r, 3, TraceKind::kEvent, "FW_START"), nullptr);
  EXPECT_EQ(r.cpus[3].final, Location::kRunOld);
}

TEST(Arm64NeverStarted, ValidationLetsACpuUpStartANeverStartedPsciCpu) {
  const std::string psci = R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 1 threads_per_core: 2 never_started: 1 }
    events {
      kind: HOTPLUG_UP
      cpus: [ 0, 1 ]
      trigger { at_time_ns: 0 }
    }
    events {
      kind: PANIC
      cpus: 1
      trigger { at_time_ns: 1000000 }
    })pb";
  EXPECT_TRUE(Validate(UnvalidatedScenarioFromText(psci)).empty());
  // Without the cpu_up, the CPU never runs kernel code; on spin-table cpu_up is refused altogether.
  pb::Scenario no_up = UnvalidatedScenarioFromText(psci);
  no_up.mutable_events()->DeleteSubrange(0, 1);
  EXPECT_FALSE(CannotRunKernelCode(no_up, 1).empty());
  pb::Scenario spin = UnvalidatedScenarioFromText(psci);
  spin.mutable_machine()->set_platform(pb::ARM64_SPIN_TABLE);
  EXPECT_EQ(CannotRunKernelCode(spin, 1), "but it never started (firmware holds it)");
}

// The mutator's repair keeps a software event on a never-started PSCI CPU that a HOTPLUG_UP starts, and moves it
// once the platform is spin-table (where cpu_up is refused).
TEST(Arm64NeverStarted, MutatorFixKeepsEventsOnAStartedPsciCpuOnly) {
  pb::Scenario s = UnvalidatedScenarioFromText(R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 1 threads_per_core: 2 never_started: 1 }
    events {
      kind: HOTPLUG_UP
      cpus: [ 0, 1 ]
      trigger { at_time_ns: 0 }
    }
    events {
      kind: OOPS
      cpus: 1
      trigger { at_time_ns: 1000000 }
    })pb");
  fuzz::Fix(s);
  EXPECT_EQ(s.events(1).cpus(0), 1u);
  s.mutable_machine()->set_platform(pb::ARM64_SPIN_TABLE);
  EXPECT_TRUE(fuzz::Fix(s));
  ASSERT_EQ(s.events_size(), 2);
  EXPECT_EQ(s.events(1).cpus(0), 0u);  // moved to the boot CPU
  EXPECT_TRUE(Validate(s).empty());
}

}  // namespace
}  // namespace crashdiff::testing
