// arm64 cpu_up (targets/arm64/arm64_cpu_up.cc): PSCI CPU_ON starts an offline or never-started core afresh at
// secondary_entry; it runs kernel code, goes online, and a later crash stops it like any other online CPU. CPU_ON of a
// core that is on changes nothing (ALREADY_ON); spin-table refuses cpu_up.
#include <gtest/gtest.h>

#include "sim/machine.h"
#include "targets/arm64/arm64_kernel.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

bool BookedOnline(const RunResult& r, uint32_t cpu) {
  for (const BookEntry& b : r.book) {
    if (b.cpu == cpu && b.kind == BookKind::kOnline) return true;
  }
  return false;
}

// The core cpu_up starts: one that went offline (CPU_OFF: PSCI OFF) or one the kernel never started (maxcpus=:
// PSCI OFF from boot, cpuhp sync state DEAD from the start). Both take the same path from CPU_ON on.
struct DownCore {
  const char* machine;  // the Machine field that puts CPU 2 down
  Location settled;
};

class Arm64CpuUpFrom : public ::testing::TestWithParam<DownCore> {
 protected:
  RunResult Run(const char* more_events) const {
    return RunTarget("arm64-psci", std::string("machine { family: ARM64 platform: ARM64_PSCI cores: 2 "
                                               "threads_per_core: 2 ") +
                                       GetParam().machine +
                                       " }\n"
                                       "events { kind: HOTPLUG_UP cpus: [ 0, 2 ] trigger { at_time_ns: 1000 } }\n" +
                                       more_events);
  }
};

TEST_P(Arm64CpuUpFrom, CpuOnStartsTheCoreAtItsEntryWhichRunsKernelCodeAndGoesOnline) {
  const RunResult r = Run("");
  EXPECT_EQ(r.settled[2], GetParam().settled);
  const TraceEntry* on = FindEntry(r, 0, TraceKind::kHw, "HU2", "PSCI CPU_ON");
  ASSERT_NE(on, nullptr);
  // Nothing runs on CPU 2 before firmware accepts the CPU_ON: it is held, not executing kernel code.
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == 2 && e.step > 0 && e.step < on->step) ADD_FAILURE() << "CPU 2 ran at step " << e.step;
  }
  EXPECT_EQ(CountDiagnostics(r, "bringup refused"), 0);  // cpuhp_can_boot_ap: sync state DEAD
  const TraceEntry* start = FindEntry(r, 2, TraceKind::kEvent, "FW_START");
  ASSERT_NE(start, nullptr);
  EXPECT_GE(start->step, on->step);
  EXPECT_NE(FindEntry(r, 2, TraceKind::kLocal, "AS0"), nullptr);  // secondary_entry -> secondary_startup
  EXPECT_NE(FindEntry(r, 2, TraceKind::kLocal, "AS1"), nullptr);  // secondary_start_kernel: kernel code
  EXPECT_TRUE(BookedOnline(r, 2));
  EXPECT_EQ(r.cpus[2].final, Location::kRunOld);  // idle, interrupts on
  EXPECT_EQ(CountDiagnostics(r, "CPU2: Booted secondary processor"), 1);
  EXPECT_EQ(CountDiagnostics(r, "failed"), 0);
  EXPECT_NE(FindEntry(r, 0, TraceKind::kWrite, "HU4"), nullptr);  // the requester finished (done_up completed)
}

TEST_P(Arm64CpuUpFrom, ACrashAfterTheCpuCameUpStopsItLikeAnyOnlineCpu) {
  const RunResult r = Run("events { kind: PANIC cpus: 1 trigger { at_time_ns: 1000000 } }\n");
  ASSERT_TRUE(r.handed_over);
  EXPECT_TRUE(r.cpus[2].woken);  // IPI_CPU_STOP: it is in the online mask the crash stop snapshots
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedFw);
  EXPECT_EQ(r.cpus[2].saves, 1u);  // crash-stopped: ipi_cpu_crash_stop saved it, then CPU_OFF
  EXPECT_EQ(CountDiagnostics(r, "failed to stop secondary CPUs"), 0);
}

INSTANTIATE_TEST_SUITE_P(Down, Arm64CpuUpFrom,
                         ::testing::Values(DownCore{"offline: 2", Location::kParkedFw},
                                           DownCore{"never_started: 2", Location::kNeverStarted}),
                         [](const ::testing::TestParamInfo<DownCore>& i) {
                           return i.param.settled == Location::kParkedFw ? "Offline" : "NeverStarted";
                         });

TEST(Arm64CpuUp, TheCpuBroughtUpCanItselfCrash) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 1 threads_per_core: 2 offline: 1 }
    events {
      kind: HOTPLUG_UP
      cpus: [ 0, 1 ]
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: PANIC
      cpus: 1
      trigger { at_time_ns: 1000000 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 1u);
  EXPECT_TRUE(r.cpus[1].entered_panic);
  EXPECT_EQ(r.cpus[0].at_handover, Location::kParkedFw);
}

TEST(Arm64CpuUp, PsciCpuOnOfACoreThatIsOnReturnsAlreadyOnAndChangesNothing) {
  Machine m(ScenarioFromText(R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 1 threads_per_core: 2 }
  )pb"));
  Cpu& on = m.cpu(1);
  EXPECT_EQ(arm64::PsciCpuOn(m, 1), arm64::kPsciAlreadyOn);
  EXPECT_FALSE(on.firmware_start_queued());
  EXPECT_FALSE(on.in_firmware());
  EXPECT_EQ(arm64::PsciToLinuxErrno(arm64::kPsciAlreadyOn), -22);  // "CPU1: failed to boot: -22"

  on.set_in_firmware(FwReset::kHolds);  // after CPU_OFF: off
  EXPECT_EQ(arm64::PsciCpuOn(m, 1), arm64::kPsciSuccess);
  EXPECT_TRUE(on.firmware_start_queued());
  EXPECT_EQ(arm64::PsciCpuOn(m, 1), arm64::kPsciOnPending);  // not started yet
}

TEST(Arm64CpuUp, SpinTableRefusesCpuUp) {
  const RunResult r = RunTarget("arm64-psci", R"pb(
    machine { family: ARM64 platform: ARM64_SPIN_TABLE cores: 1 threads_per_core: 2 offline: 1 }
    events {
      kind: HOTPLUG_UP
      cpus: [ 0, 1 ]
      trigger { at_time_ns: 1000 }
    }
  )pb");
  EXPECT_EQ(FindEntry(r, 0, TraceKind::kRead, "HU0"), nullptr);
  EXPECT_FALSE(BookedOnline(r, 1));
  EXPECT_EQ(r.cpus[1].final, Location::kOfflineLoop);  // still stuck in cpu_park_loop
}

}  // namespace
}  // namespace crashdiff::testing
