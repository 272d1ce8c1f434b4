// Store->store reordering (docs/SIMULATOR.md "Store buffers"): on powerpc and arm64 a buffered store may become
// visible before an older store to another variable when the schedule names it (Choice.commit), unless a write
// barrier or a release store separates them; x86-TSO never reorders. The message-passing litmus test shows each
// rule on small programs of the test's own.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/machine.h"
#include "sim/validate.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

constexpr const char* kPpc = "family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 1";
constexpr const char* kArm64 = "family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 1";
constexpr const char* kX86 = "family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 1";

pb::Scenario Buffered(const char* machine, const std::string& schedule) {
  return ScenarioFromText(std::string("machine { ") + machine + " memory_model: ARCHITECTURE } schedule { " + schedule +
                          " }");
}

enum class Order { kNone, kWriteBarrier, kRelease };

// Message passing: cpu0 stores the data x, then the flag y; cpu1 loads the flag, then the data. The outcome
// flag = 1, data = 0 means the flag became visible first.
struct MessagePassing {
  Var* x = nullptr;
  Var* y = nullptr;
  int64_t flag = -1, data = -1;
  LambdaProgram program;

  MessagePassing(Machine& m, Order order) {
    x = &m.NewVar("x", 0);
    y = &m.NewVar("y", 0);
    program.start = [this, order](Cpu& cpu) -> Task<> {
      return cpu.id() == 0 ? Writer(cpu, *x, *y, order) : Reader(cpu, *x, *y, flag, data);
    };
  }
  static Task<> Writer(Cpu& cpu, Var& x, Var& y, Order order) {
    co_await cpu.write(x, 1, "W1");
    if (order == Order::kWriteBarrier) co_await cpu.write_barrier("W2");
    if (order == Order::kRelease) {
      co_await cpu.store_release(y, 1, "W3");
    } else {
      co_await cpu.write(y, 1, "W3");
    }
  }
  static Task<> Reader(Cpu& cpu, Var& x, Var& y, int64_t& flag, int64_t& data) {
    flag = co_await cpu.read(y, "R1");
    data = co_await cpu.read(x, "R2");
  }
};

// cpu0 executes its program, its buffer commits the flag, then (powerpc, arm64) cpu1's invalidate queue applies the
// flag's entry (docs/SIMULATOR.md "Invalidate queues": else cpu1 still reads the flag's old value), then cpu1 reads
// both.
std::string CommitFlagFirst(int writer_steps, bool queues = true) {
  return "choices { cpu: 0 steps: " + std::to_string(writer_steps) +
         " } choices { cpu: 0 store_buffer: true commit: \"y\" } " +
         (queues ? "choices { cpu: 1 invalidate_queue: true } " : "") + "choices { cpu: 1 steps: 2 }";
}

TEST(StoreOrder, AFlagMayBecomeVisibleBeforeItsDataOnPowerpcAndArm64) {
  for (const char* machine : {kPpc, kArm64}) {
    const pb::Scenario s = Buffered(machine, CommitFlagFirst(2));
    Machine m(s);
    MessagePassing mp(m, Order::kNone);
    const RunResult r = m.Run(mp.program);
    EXPECT_EQ(mp.flag, 1) << machine;
    EXPECT_EQ(mp.data, 0) << machine;
    EXPECT_EQ(mp.x->value.raw(), 1) << machine;  // the data commits later: nothing is lost
    EXPECT_EQ(r.end, EndReason::kQuiescent);
  }
}

TEST(StoreOrder, X86KeepsStoresInOrder) {
  const pb::Scenario s = Buffered(kX86, CommitFlagFirst(2, /*queues=*/false));
  Machine m(s);
  MessagePassing mp(m, Order::kNone);
  m.Run(mp.program);
  EXPECT_EQ(mp.flag, 0);  // the named commit made the data visible, the flag is still buffered
}

TEST(StoreOrder, AWriteBarrierOrAReleaseStoreKeepsTheFlagBehindItsData) {
  for (const char* machine : {kPpc, kArm64}) {
    for (const Order order : {Order::kWriteBarrier, Order::kRelease}) {
      const int steps = order == Order::kWriteBarrier ? 3 : 2;
      for (const std::string& schedule :
           {CommitFlagFirst(steps), std::string("policy: RANDOM seed: 5"), std::string("policy: PCT seed: 7")}) {
        const pb::Scenario s = Buffered(machine, schedule);
        Machine m(s);
        MessagePassing mp(m, order);
        m.Run(mp.program);
        EXPECT_FALSE(mp.flag == 1 && mp.data == 0) << machine << " " << schedule;
      }
    }
  }
}

// Two stores to one variable never swap: naming it commits the older one.
TEST(StoreOrder, StoresToOneVariableCommitInProgramOrder) {
  const pb::Scenario s =
      Buffered(kPpc, "choices { cpu: 0 steps: 3 } choices { cpu: 0 store_buffer: true commit: \"x\" }");
  Machine m(s);
  Var& x = m.NewVar("x", 0);
  Var& z = m.NewVar("z", 0);
  std::vector<int64_t> seen;
  LambdaProgram program;
  program.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() != 0)
      return [](Cpu& c, Var& xv, std::vector<int64_t>& out) -> Task<> { out.push_back(co_await c.read(xv, "R1")); }(
                                                                cpu, x, seen);
    return [](Cpu& c, Var& xv, Var& zv) -> Task<> {
      co_await c.write(zv, 1, "W1");
      co_await c.write(xv, 1, "W2");
      co_await c.write(xv, 2, "W3");
    }(cpu, x, z);
  };
  const RunResult r = m.Run(program);
  EXPECT_EQ(x.value.raw(), 2);  // the run ends with everything committed, newest value last
  // The named commit made x = 1 visible while z and x = 2 were still buffered: the trace's first commit says so.
  bool first_commit_seen = false;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.tags.mark != TraceMark::kCommit) continue;
    EXPECT_EQ(e.label, "W2");
    EXPECT_EQ(e.value, 1);
    first_commit_seen = true;
    break;
  }
  EXPECT_TRUE(first_commit_seen);
}

TEST(StoreOrder, ACommitNameNeedsARunningStoreBufferChoice) {
  const std::string machine = std::string("machine { ") + kPpc + " memory_model: ARCHITECTURE } ";
  for (const char* choice : {"choices { cpu: 0 commit: \"x\" }",
                             "choices { cpu: 0 store_buffer: true hold: true "
                             "commit: \"x\" }",
                             "choices { cpu: 0 store_buffer: true commit: \"\" }"}) {
    const std::vector<ValidationError> errors =
        Validate(testing::UnvalidatedScenarioFromText(machine + "schedule { " + choice + " }"));
    ASSERT_EQ(errors.size(), 1u) << choice;
    const std::string path = PathToString(errors[0].path);
    EXPECT_NE(path.find("commit"), std::string::npos) << path;
  }
  EXPECT_TRUE(Validate(Buffered(kPpc, "choices { cpu: 0 store_buffer: true commit: \"crashing_cpu\" }")).empty());
}

}  // namespace
}  // namespace crashdiff
