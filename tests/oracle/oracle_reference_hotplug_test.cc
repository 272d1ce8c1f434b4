// Hotplug in the reference (oracle/reference.cc): cpu_down and cpu_up run one at a time under the hotplug lock, and
// a normal kexec waits for the operation in progress before it collects the CPUs, as every family's kernel does
// (kernel/cpu.c cpu_add_remove_lock; kernel_kexec's cpu_hotplug_disable / enable). Checked on the order of the
// lock's acquisitions and releases in the reference's trace and on where the CPUs end.
#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <utility>

#include "diff/runner.h"
#include "tests/fixtures/hotplug_scenarios.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::FirstEntry;
using testing::kCpuDownDuringCpuUp;
using testing::kKexecDuringCpuDown;

// Index of the first write of the hotplug lock by cpu at label with this value (the owner's id when it takes it,
// -1 when it releases it), or SIZE_MAX.
size_t LockWrite(const RunResult& r, uint32_t cpu, std::string_view label, int64_t value) {
  return FirstEntry(r, cpu, label, TraceKind::kWrite, value, "hotplug_lock");
}

// The kexec (cpu0) owns the machine at once but starts collecting (crashing_cpu, I2) only after the cpu_down
// released the lock: thread 2 is offline by then, and the collection wakes it from its offline loop and parks it.
// Without the lock the collection started beside the cpu_down, as no kernel lets it.
TEST(ReferenceHotplug, AKexecWaitsForTheCpuDownInProgress) {
  const RunResult r = RunReference(testing::ScenarioFromText(kKexecDuringCpuDown));
  const size_t collection = FirstEntry(r, 0, "I2", TraceKind::kWrite);
  const size_t dead = FirstEntry(r, 2, "E3", TraceKind::kWrite, 1, "cpu_dead");
  ASSERT_NE(collection, SIZE_MAX);
  ASSERT_NE(dead, SIZE_MAX);
  EXPECT_LT(dead, collection);  // thread 2 was in its offline loop before the collection started
  ASSERT_TRUE(r.handed_over);
  for (uint32_t c = 1; c < 4; ++c) EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << "cpu" << c;
  const size_t down_takes = LockWrite(r, 3, "HD0", 3);
  const size_t down_release = LockWrite(r, 3, "HD4", -1);
  const size_t kexec_takes = LockWrite(r, 0, "KX1", 0);
  ASSERT_NE(down_takes, SIZE_MAX);
  ASSERT_NE(down_release, SIZE_MAX);
  ASSERT_NE(kexec_takes, SIZE_MAX);
  EXPECT_LT(down_takes, kexec_takes);
  EXPECT_LT(down_release, kexec_takes);
  EXPECT_LT(kexec_takes, collection);
}

// A cpu_down of a thread another CPU is bringing up waits until the cpu_up released the lock (HU4, after the wait
// for the thread to be online), then finds it online and takes it down again: thread 3 ends asleep in its offline
// loop.
// Without the lock the cpu_down read the online set before thread 3 joined it and did nothing.
TEST(ReferenceHotplug, ACpuDownWaitsForTheCpuUpOfTheSameThread) {
  const RunResult r = RunReference(testing::ScenarioFromText(kCpuDownDuringCpuUp));
  const size_t stop_request = FirstEntry(r, 2, "HD1", TraceKind::kWrite, 1, "cpu_down_request");
  const size_t left = FirstEntry(r, 3, "D2", TraceKind::kWrite, 0, "cpu_online");
  EXPECT_NE(stop_request, SIZE_MAX);  // thread 3 was online when the cpu_down looked
  EXPECT_NE(left, SIZE_MAX);
  EXPECT_LT(stop_request, left);
  EXPECT_EQ(r.cpus[3].final, Location::kStoppedHw);
  const size_t up_release = LockWrite(r, 1, "HU4", -1);
  const size_t down_takes = LockWrite(r, 2, "HD0", 2);
  ASSERT_NE(up_release, SIZE_MAX);
  ASSERT_NE(down_takes, SIZE_MAX);
  EXPECT_LT(up_release, down_takes);
  EXPECT_LT(down_takes, stop_request);
}

// kernel_kexec disables hotplug before it chooses the reboot CPU: the cpu_down of the boot CPU in progress ends
// first (cpu0 dies into its offline loop), and the kexec then moves to cpu1, the first online CPU, which hands over
// at once. Choosing first sent the kexec to cpu0, which waited 10 s for a CPU that could no longer die, and handed
// over from a CPU every target had taken down.
class ReferenceRebootCpu : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(ReferenceRebootCpu, IsChosenOnceTheCpuDownInProgressEnds) {
  const auto [family, platform] = GetParam();
  const RunResult r = RunReference(testing::ScenarioFromText(testing::KexecWhileTheBootCpuGoesDown(family, platform)));
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 1u);
  EXPECT_LT(r.handover_time_ns, 1 * kMs);
  EXPECT_EQ(r.cpus[0].shutdowns, 0u);
  // Labels differ by family (the reference runs the family's hotplug and kexec labels): any label.
  const size_t dead = FirstEntry(r, 0, {}, TraceKind::kWrite, 1, "cpu_dead");
  const size_t released = FirstEntry(r, 1, {}, TraceKind::kWrite, -1, "hotplug_lock");
  const size_t moved = FirstEntry(r, 2, {}, TraceKind::kHw, {}, "move to the reboot CPU");
  ASSERT_NE(dead, SIZE_MAX);
  ASSERT_NE(released, SIZE_MAX);
  ASSERT_NE(moved, SIZE_MAX);
  EXPECT_LT(dead, moved);
  EXPECT_LT(released, moved);
  EXPECT_EQ(r.cpus[0].final, Location::kParkedFw);  // offline at the kexec, then collected
}

INSTANTIATE_TEST_SUITE_P(Families, ReferenceRebootCpu,
                         ::testing::Values(std::pair{"PPC", "POWER9_DOORBELL_XIVE"}, std::pair{"ARM64", "ARM64_PSCI"}));

}  // namespace
}  // namespace crashdiff
