// cpu_add_remove_lock on powerpc (targets/ppc/hotplug.cc, kexec.cc): cpu_down, cpu_up and a kexec's
// cpu_hotplug_disable / enable take it, so they run one at a time as kernel/cpu.c has them. Checked on the order of
// the lock's acquisitions and releases in the trace, and on where the CPUs end.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "diff/runner.h"
#include "tests/fixtures/hotplug_scenarios.h"
#include "tests/fixtures/ppc_test_util.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

using testing::FirstEntry;
using testing::kCpuDownDuringCpuUp;
using testing::kKexecDuringCpuDown;
using testing::RunOn;

constexpr const char* kTargets[] = {"ppc-prefix-nowake", "ppc-v1-check-before-clear", "ppc-upstream-clear-then-check",
                                    "ppc-sreset-dump"};

// Index of the first write of cpu_add_remove_lock by cpu at label with this value (the owner's id when it takes the
// lock, -1 when it releases it; a failed attempt is an rmw), or SIZE_MAX.
size_t LockWrite(const RunResult& r, uint32_t cpu, std::string_view label, int64_t value) {
  return FirstEntry(r, cpu, label, TraceKind::kWrite, value, "cpu_add_remove_lock");
}

// The kexec's cpu_hotplug_disable (KX1) takes the lock only after the cpu_down released it (HD4), so thread 2 is
// dead before the kexec looks at the online mask: wake_offline_cpus brings it back and the kexec_smp_down round
// parks it with the others. Without the lock the kexec ran beside the cpu_down and could leave thread 2 asleep in a
// stop at the relocation (the interleaving the campaign of 2026-12-03 first found, which the kernel rules out).
TEST(PpcHotplugLock, AKexecWaitsForACpuDownInProgress) {
  const pb::Scenario s = testing::ScenarioFromText(kKexecDuringCpuDown);
  for (const char* target : kTargets) {
    const RunResult r = RunOn(target, s);
    const size_t down_release = LockWrite(r, 3, "HD4", -1);
    const size_t kexec_takes = LockWrite(r, 0, "KX1", 0);
    ASSERT_NE(down_release, SIZE_MAX) << target;
    ASSERT_NE(kexec_takes, SIZE_MAX) << target;
    EXPECT_LT(LockWrite(r, 3, "HD0", 3), kexec_takes) << target;  // the cpu_down held it first
    EXPECT_LT(down_release, kexec_takes) << target;
    EXPECT_LT(FirstEntry(r, 2, "D2", TraceKind::kWrite), kexec_takes) << target;  // thread 2 left the online mask
    ASSERT_TRUE(r.handed_over) << target;
    for (uint32_t c = 1; c < 4; ++c) EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << target << " cpu" << c;
  }
}

// A cpu_down of a thread another CPU is bringing up waits until cpu_up released the lock (HU4, after the callin
// wait), then finds it online and takes it down: thread 3 ends offline. Without the lock the cpu_down read the online
// mask before thread 3 had set its bit, returned, and thread 3 stayed online.
TEST(PpcHotplugLock, ACpuDownWaitsForTheCpuUpOfTheSameThread) {
  const pb::Scenario s = testing::ScenarioFromText(kCpuDownDuringCpuUp);
  for (const char* target : kTargets) {
    const RunResult r = RunOn(target, s);
    const size_t up_release = LockWrite(r, 1, "HU4", -1);
    const size_t down_takes = LockWrite(r, 2, "HD0", 2);
    ASSERT_NE(up_release, SIZE_MAX) << target;
    ASSERT_NE(down_takes, SIZE_MAX) << target;
    EXPECT_LT(up_release, down_takes) << target;
    const size_t stop_machine = FirstEntry(r, 2, "SM0", TraceKind::kWrite);
    ASSERT_NE(stop_machine, SIZE_MAX) << target;  // the cpu_down went ahead: thread 3 was online by then
    EXPECT_GT(stop_machine, down_takes) << target;
    EXPECT_NE(FirstEntry(r, 3, "D2", TraceKind::kWrite), SIZE_MAX) << target;  // and thread 3 left the online mask
  }
}

// The kexec's task slept on `dying`, which a cpu_down took away: take_cpu_down woke it on `to` (D4), `dying` went on
// to cpu_die (D7), and the kexec handed over from `to` within a millisecond, with no "didn't die".
void ExpectTheKexecWentOnElsewhere(const RunResult& r, const char* target, uint32_t dying, uint32_t to) {
  const size_t moved = FirstEntry(r, dying, "D4", TraceKind::kHw);
  ASSERT_NE(moved, SIZE_MAX) << target << ": no window";
  EXPECT_EQ(r.trace.entries()[moved].value, to) << target;  // select_fallback_rq
  EXPECT_GT(FirstEntry(r, dying, "D7"), moved) << target;
  ASSERT_TRUE(r.handed_over) << target;
  EXPECT_EQ(r.handover_cpu, to) << target;
  EXPECT_LT(r.handover_time_ns, kMs) << target;
  for (const Diagnostic& d : r.diagnostics) EXPECT_EQ(d.text.find("didn't die"), std::string::npos) << target;
}

// A normal kexec on cpu1 sleeps in cpu_hotplug_disable (KX1) behind a cpu_down of cpu1 itself. take_cpu_down wakes
// the task on cpu0 (D4), cpu1 returns to its idle loop and dies (D7), and the kexec hands over from cpu0 within
// microseconds. Before, cpu1's idle loop sat under the sleeping task: it never died, the cpu_down gave up after its
// ten-second wait ("CPU1 didn't die..."), and only then did the kexec go on, on a CPU outside the online mask.
TEST(PpcHotplugLock, AKexecAsleepBehindACpuDownOfItsCpuGoesOnElsewhere) {
  const pb::Scenario s =
      testing::ScenarioFromText(testing::KexecBesideCpuDown("PPC", "POWER9_DOORBELL_XIVE", 1, 2, 1, 5));
  for (const char* target : kTargets) ExpectTheKexecWentOnElsewhere(RunOn(target, s), target, 1, 0);
}

// Hotplug is enabled again when machine_kexec's wake_offline_cpus runs cpu_up, so a cpu_down of the kexec's own CPU
// can hold cpu_add_remove_lock first: the task asleep in cpu_up is woken on cpu1 (D4), cpu0 dies (D7), and
// machine_kexec starts over on cpu1, which wakes cpu0 and cpu3 and hands over at once. Without the move cpu0 never
// died: "CPU0 didn't die..." after 10 s, then the kexec went on on cpu0.
TEST(PpcHotplugLock, AKexecAsleepInWakeOfflineCpusBehindACpuDownOfItsCpuGoesOnElsewhere) {
  const pb::Scenario s = testing::ScenarioFromText(testing::kCpuDownOfTheKexecCpuInWakeOfflineCpus);
  for (const char* target : kTargets) {
    const RunResult r = RunOn(target, s);
    ExpectTheKexecWentOnElsewhere(r, target, 0, 1);
    const auto woke_cpu0 = [](const Diagnostic& d) { return d.cpu == 1 && d.text == "kexec: Waking offline cpu 0."; };
    EXPECT_TRUE(std::any_of(r.diagnostics.begin(), r.diagnostics.end(), woke_cpu0)) << target;
  }
}

}  // namespace
}  // namespace crashdiff
