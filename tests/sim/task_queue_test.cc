// A task moved to another CPU's runqueue (Cpu::QueueTask: set_cpus_allowed_ptr, as migrate_to_reboot_cpu uses it)
// starts there as a frame of its own only when that CPU is in task context: its base frame, interrupts on, running
// ordinary kernel code. A CPU with interrupts off runs it once they are back on; a CPU that never returns to task
// context never runs it. The runnable set is checked against a full evaluation at every step.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

enum class Target { kIdle, kBusyWithIrqsOff, kHalted };

Task<> Moved(Cpu& c, size_t& frames_at_start) {
  frames_at_start = c.frames().size();
  co_await c.local("MOVED");
}

Task<> Destination(Cpu& c, Target how) {
  if (how != Target::kIdle) co_await c.irq_disable("OFF");
  if (how == Target::kBusyWithIrqsOff) {
    co_await c.delay(5000, "BUSY");
    co_await c.irq_enable("ON");
  }
  co_await c.park(how == Target::kHalted ? Location::kPanicHalt : Location::kRunOld, "IDLE");
}

std::optional<uint64_t> StepOf(const RunResult& r, uint32_t cpu, std::string_view label) {
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == cpu && e.label == label) return e.step;
  }
  return std::nullopt;
}

RunResult RunWithTarget(Target how, size_t& frames_at_start) {
  const pb::Scenario s = ScenarioFromText(R"pb(machine { family: X86 platform: X86_HLT cores: 2 })pb");
  Machine m(s, RunOptions{.verify_runnable = true});
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 1) return Destination(cpu, how);
    return [](Cpu& c, size_t& frames) -> Task<> {
      co_await c.delay(1000, "WORK");
      co_await c.hw_op("QUEUE", "set_cpus_allowed_ptr", [&c, &frames] {
        c.machine().cpu(1).QueueTask(Moved(c.machine().cpu(1), frames), TraceMark::kKexecRequest);
      });
      co_await c.park(Location::kRunOld, "IDLE");
    }(cpu, frames_at_start);
  };
  return m.Run(p);
}

TEST(TaskQueue, AMovedTaskRunsOnAnIdleCpuAsAFrameOfItsOwn) {
  size_t frames = 0;
  const RunResult r = RunWithTarget(Target::kIdle, frames);
  ASSERT_TRUE(StepOf(r, 1, "MOVED").has_value());
  EXPECT_GT(*StepOf(r, 1, "MOVED"), *StepOf(r, 0, "QUEUE"));
  EXPECT_EQ(frames, 2u);  // on top of the idle frame
  EXPECT_EQ(StepOf(r, 0, "MOVED"), std::nullopt);
  const auto& entries = r.trace.entries();
  const auto start =
      std::find_if(entries.begin(), entries.end(), [](const TraceEntry& e) { return e.cpu == 1 && e.label == "TASK"; });
  ASSERT_NE(start, entries.end());
  EXPECT_EQ(start->tags.mark, TraceMark::kKexecRequest);  // the mark the queuer asked for
}

TEST(TaskQueue, ACpuWithInterruptsOffRunsItOnlyOnceTheyAreBackOn) {
  size_t frames = 0;
  const RunResult r = RunWithTarget(Target::kBusyWithIrqsOff, frames);
  ASSERT_TRUE(StepOf(r, 1, "MOVED").has_value());
  EXPECT_LT(*StepOf(r, 0, "QUEUE"), *StepOf(r, 1, "ON"));  // queued while interrupts were off
  EXPECT_GT(*StepOf(r, 1, "MOVED"), *StepOf(r, 1, "ON"));
}

TEST(TaskQueue, ACpuThatNeverReturnsToTaskContextNeverRunsIt) {
  size_t frames = 0;
  const RunResult r = RunWithTarget(Target::kHalted, frames);
  EXPECT_EQ(StepOf(r, 1, "MOVED"), std::nullopt);
  EXPECT_EQ(StepOf(r, 1, "TASK"), std::nullopt);
  EXPECT_EQ(r.cpus[1].final, Location::kPanicHalt);
}

}  // namespace
}  // namespace crashdiff
