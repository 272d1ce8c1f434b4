// Store buffers (machine.memory_model ARCHITECTURE, docs/SIMULATOR.md "Store buffers"): the litmus tests that
// define the memory model the simulator offers, on small programs of the tests' own. Each outcome is checked
// against the same schedule under sequential consistency, where it must not happen.
#include <gtest/gtest.h>

#include <string>

#include "sim/machine.h"
#include "sim/validate.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

pb::Scenario TwoCpus(bool buffered, const std::string& schedule) {
  return ScenarioFromText(std::string("machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 1") +
                          (buffered ? " memory_model: ARCHITECTURE" : "") + " } schedule { " + schedule + " }");
}

// Store buffering (Dekker): cpu0 stores x and loads y, cpu1 stores y and loads x, with or without a full barrier
// between the store and the load.
struct StoreBuffering {
  Var* x = nullptr;
  Var* y = nullptr;
  int64_t r0 = -1, r1 = -1;
  LambdaProgram program;

  StoreBuffering(Machine& m, bool fenced) {
    x = &m.NewVar("x", 0);
    y = &m.NewVar("y", 0);
    program.start = [this, fenced](Cpu& cpu) -> Task<> {
      return cpu.id() == 0 ? Side(cpu, *x, *y, r0, fenced) : Side(cpu, *y, *x, r1, fenced);
    };
  }
  static Task<> Side(Cpu& cpu, Var& mine, Var& theirs, int64_t& r, bool fenced) {
    co_await cpu.write(mine, 1, "S1");
    if (fenced) co_await cpu.barrier("S2");
    r = co_await cpu.read(theirs, "S3");
  }
};

// cpu0 runs its store and its load, then cpu1 does the same: nothing has committed cpu0's store in between.
constexpr const char* kEachRunsTwoSteps = "choices { cpu: 0 steps: 2 } choices { cpu: 1 steps: 2 }";
constexpr const char* kEachRunsThreeSteps = "choices { cpu: 0 steps: 3 } choices { cpu: 1 steps: 3 }";

TEST(StoreBuffer, BothLoadsMayPassTheirStoresOnlyWithStoreBuffers) {
  {
    const pb::Scenario s = TwoCpus(true, kEachRunsTwoSteps);
    Machine m(s);
    StoreBuffering sb(m, false);
    const RunResult r = m.Run(sb.program);
    EXPECT_EQ(sb.r0, 0);
    EXPECT_EQ(sb.r1, 0);              // x86-TSO's one relaxation
    EXPECT_EQ(sb.x->value.raw(), 1);  // every store is visible once the run is over
    EXPECT_EQ(sb.y->value.raw(), 1);
    EXPECT_EQ(r.end, EndReason::kQuiescent);
  }
  {
    const pb::Scenario s = TwoCpus(false, kEachRunsTwoSteps);
    Machine m(s);
    StoreBuffering sb(m, false);
    m.Run(sb.program);
    EXPECT_EQ(sb.r0, 0);
    EXPECT_EQ(sb.r1, 1);
  }
}

TEST(StoreBuffer, AFullBarrierCommitsTheBufferUnderEverySchedule) {
  for (const char* schedule : {kEachRunsThreeSteps, "policy: RANDOM seed: 1", "policy: RANDOM seed: 2",
                               "policy: PCT seed: 3", "policy: ROUND_ROBIN"}) {
    const pb::Scenario s = TwoCpus(true, schedule);
    Machine m(s);
    StoreBuffering sb(m, true);
    m.Run(sb.program);
    EXPECT_FALSE(sb.r0 == 0 && sb.r1 == 0) << schedule;
  }
}

TEST(StoreBuffer, ALoadSeesItsOwnBufferedStoreAndOthersSeeMemoryMarkedStale) {
  const pb::Scenario s = TwoCpus(true, "choices { cpu: 0 steps: 2 } choices { cpu: 1 steps: 1 }");
  Machine m(s);
  Var& x = m.NewVar("x", 0);
  int64_t own = -1, other = -1;
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) {
      return [](Cpu& c, Var& v, int64_t& r) -> Task<> {
        co_await c.write(v, 7, "W");
        r = co_await c.read(v, "R0");
      }(cpu, x, own);
    }
    return [](Cpu& c, Var& v, int64_t& r) -> Task<> { r = co_await c.read(v, "R1"); }(cpu, x, other);
  };
  const RunResult r = m.Run(p);
  EXPECT_EQ(own, 7);
  EXPECT_EQ(other, 0);
  bool stale = false, own_stale = false, committed = false;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kRead && e.label == "R1") stale = e.tags.mark == TraceMark::kStale;
    if (e.kind == TraceKind::kRead && e.label == "R0") own_stale = e.tags.mark == TraceMark::kStale;
    if (e.kind == TraceKind::kWrite && e.label == "W") committed = e.tags.mark == TraceMark::kCommit && e.cpu == 0;
  }
  EXPECT_TRUE(stale);
  EXPECT_FALSE(own_stale);
  EXPECT_TRUE(committed);
}

// A hold on cpu0's buffer keeps its store invisible while cpu1 polls; a run choice on the buffer commits it.
TEST(StoreBuffer, TheScheduleDecidesWhenABufferCommits) {
  for (const bool hold : {true, false}) {
    const std::string schedule =
        std::string("choices { cpu: 0 steps: 1 } choices { cpu: 0 store_buffer: true steps: 5") +
        (hold ? " hold: true" : "") + " } choices { cpu: 1 steps: 1 }";
    const pb::Scenario s = TwoCpus(true, schedule);
    Machine m(s);
    Var& x = m.NewVar("x", 0);
    int64_t seen = -1;
    LambdaProgram p;
    p.start = [&](Cpu& cpu) -> Task<> {
      if (cpu.id() == 0) return [](Cpu& c, Var& v) -> Task<> { co_await c.write(v, 1, "W"); }(cpu, x);
      return [](Cpu& c, Var& v, int64_t& r) -> Task<> {
        for (int i = 0; i < 3; ++i) co_await c.local("L");
        r = co_await c.read(v, "R");
      }(cpu, x, seen);
    };
    m.Run(p);
    EXPECT_EQ(seen, hold ? 0 : 1) << "hold " << hold;
  }
}

// A store stays buffered at most kMaxBufferedSteps scheduled steps from when its CPU executed it, whatever the
// schedule asks: counted from its own step, not from the start of the run (a store executed late in a long run is
// not overdue at once).
TEST(StoreBuffer, AHeldStoreCommitsWhenItHasBeenBufferedForTheBound) {
  constexpr int kBefore = 1'500;  // steps cpu0 runs before its store: more than the bound
  const pb::Scenario s = TwoCpus(true, "choices { cpu: 0 steps: " + std::to_string(kBefore + 1) +
                                           " } choices { cpu: 0 store_buffer: true hold: true steps: 5000 }");
  Machine m(s);
  Var& x = m.NewVar("x", 0);
  int first_seen = -1;
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) {
      return [](Cpu& c, Var& v) -> Task<> {
        for (int i = 0; i < kBefore; ++i) co_await c.local("L");
        co_await c.write(v, 1, "W");
      }(cpu, x);
    }
    return [](Cpu& c, Var& v, int& seen) -> Task<> {
      for (int i = 0; i < 2 * static_cast<int>(kMaxBufferedSteps); ++i) {
        if (co_await c.read(v, "R") == 1) {
          seen = i;
          co_return;
        }
      }
    }(cpu, x, first_seen);
  };
  m.Run(p);
  // cpu1's reads are the only other steps: the store commits after about kMaxBufferedSteps of them.
  EXPECT_GE(first_seen, static_cast<int>(kMaxBufferedSteps) - 2);
  EXPECT_LE(first_seen, static_cast<int>(kMaxBufferedSteps) + 2);
}

// Holding a CPU holds its store buffer too (the stall a hold stands for delays its stores as well).
TEST(StoreBuffer, HoldingACpuHoldsItsBuffer) {
  const pb::Scenario s = TwoCpus(true, "choices { cpu: 0 steps: 1 } choices { cpu: 0 hold: true steps: 5 }");
  Machine m(s);
  Var& x = m.NewVar("x", 0);
  int64_t seen = -1;
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) {
      return [](Cpu& c, Var& v) -> Task<> {
        co_await c.write(v, 1, "W");
        co_await c.local("L");
      }(cpu, x);
    }
    return [](Cpu& c, Var& v, int64_t& r) -> Task<> {
      co_await c.local("L");
      r = co_await c.read(v, "R");
    }(cpu, x, seen);
  };
  m.Run(p);
  EXPECT_EQ(seen, 0);
}

// A store-like hardware write (msgclr) takes effect when committed, after a later load; an RMW commits first.
TEST(StoreBuffer, HardwareStoresWaitInTheBufferAndAtomicsCommitIt) {
  const pb::Scenario s = TwoCpus(true, "choices { cpu: 0 steps: 5 }");
  Machine m(s);
  Var& counter = m.NewVar("counter", 0);
  Var& flag = m.NewVar("flag", 0);
  bool doorbell_before = false, doorbell_after_rmw = true;
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() != 0) return LambdaProgram::Nothing();
    return [](Cpu& c, Var& counter, Var& flag, bool& before, bool& after_rmw) -> Task<> {
      co_await c.irq_disable("D");  // the latch stays pending instead of being taken
      c.hw().doorbell = true;
      co_await c.hw_store("H", "msgclr", [&c] { c.hw().doorbell = false; });
      co_await c.write(flag, 1, "W");
      before = c.hw().doorbell;
      co_await c.fetch_add(counter, 1, "A");
      after_rmw = c.hw().doorbell;
    }(cpu, counter, flag, doorbell_before, doorbell_after_rmw);
  };
  m.Run(p);
  EXPECT_TRUE(doorbell_before);
  EXPECT_FALSE(doorbell_after_rmw);
  EXPECT_EQ(flag.value.raw(), 1);
}

TEST(StoreBuffer, TheSameScenarioGivesTheSameTrace) {
  uint64_t hash[2] = {};
  for (uint64_t& h : hash) {
    const pb::Scenario s = TwoCpus(true, "policy: RANDOM seed: 11");
    Machine m(s);
    StoreBuffering sb(m, false);
    h = m.Run(sb.program).trace_hash;
  }
  EXPECT_EQ(hash[0], hash[1]);
}

TEST(StoreBuffer, AStoreBufferChoiceNeedsTheArchitectureModel) {
  const pb::Scenario s = testing::UnvalidatedScenarioFromText(
      "machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 1 } "
      "schedule { choices { cpu: 1 store_buffer: true hold: true } }");
  const std::vector<ValidationError> errors = Validate(s);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].reason.find("memory_model ARCHITECTURE"), std::string::npos) << errors[0].reason;
  EXPECT_TRUE(Validate(TwoCpus(true, "choices { cpu: 1 store_buffer: true hold: true }")).empty());
}

}  // namespace
}  // namespace crashdiff
