// Load->load reordering and non-multi-copy atomicity (docs/SIMULATOR.md "Invalidate queues"): on powerpc and arm64
// each CPU's view of a variable may lag memory until its invalidate queue applies the entry a store left there, or a
// read barrier, acquire, full barrier or value-returning atomic drains the queue. The classic litmus tests (message
// passing, CoRR, IRIW) on small programs of the test's own, with explicit schedules.
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

constexpr const char* kPpc = "family: PPC platform: POWER9_DOORBELL_XIVE";
constexpr const char* kArm64 = "family: ARM64 platform: ARM64_PSCI";
constexpr const char* kX86 = "family: X86 platform: X86_INTEL_MWAIT";

pb::Scenario Weak(const char* machine, const std::string& schedule, int cores = 2, const std::string& extra = "") {
  return ScenarioFromText(std::string("machine { ") + machine + " cores: " + std::to_string(cores) +
                          " threads_per_core: 1 memory_model: ARCHITECTURE " + extra + " } schedule { " + schedule +
                          " }");
}

// What the reader puts between its two loads (or how it makes them).
enum class Reader { kPlain, kReadBarrier, kFullBarrier, kAcquire, kDependent, kWriteBarrier };

// Message passing: cpu0 stores the data x, then the flag y, with a write barrier between them; cpu1 loads the flag,
// then the data. flag = 1, data = 0 is the load->load reordering (the data's invalidation not yet applied).
struct MessagePassing {
  Var* x = nullptr;
  Var* y = nullptr;
  int64_t flag = -1, data = -1;
  LambdaProgram program;

  MessagePassing(Machine& m, Reader reader) {
    x = &m.NewVar("x", 0);
    y = &m.NewVar("y", 0);
    program.start = [this, reader](Cpu& cpu) -> Task<> {
      return cpu.id() == 0 ? Writer(cpu, *x, *y) : Read(cpu, *x, *y, reader, flag, data);
    };
  }
  static Task<> Writer(Cpu& cpu, Var& x, Var& y) {
    co_await cpu.write(x, 1, "W1");
    co_await cpu.write_barrier("W2");
    co_await cpu.write(y, 1, "W3");
  }
  static Task<> Read(Cpu& cpu, Var& x, Var& y, Reader reader, int64_t& flag, int64_t& data) {
    flag = co_await (reader == Reader::kAcquire ? cpu.read_acquire(y, "R1") : cpu.read(y, "R1"));
    if (reader == Reader::kReadBarrier) co_await cpu.read_barrier("R2");
    if (reader == Reader::kFullBarrier) co_await cpu.barrier("R2");
    if (reader == Reader::kWriteBarrier) co_await cpu.write_barrier("R2");
    data = co_await (reader == Reader::kDependent ? cpu.read_ordered(x, "R3") : cpu.read(x, "R3"));
  }
};

// cpu0 executes its three steps, its buffer commits both stores in order (cpu1's queue now holds x and y), cpu1's
// queue applies y's invalidation only, then cpu1 executes.
std::string FlagSeenDataStale(int reader_steps) {
  return "choices { cpu: 0 steps: 3 } choices { cpu: 0 store_buffer: true steps: 2 } "
         "choices { cpu: 1 invalidate_queue: true invalidate: \"y\" } choices { cpu: 1 steps: " +
         std::to_string(reader_steps) + " }";
}

TEST(LoadOrder, MessagePassingWithoutAReadBarrierSeesTheFlagAndStaleData) {
  for (const char* machine : {kPpc, kArm64}) {
    const pb::Scenario s = Weak(machine, FlagSeenDataStale(2));
    ASSERT_TRUE(Validate(s).empty()) << Validate(s).front().reason;
    Machine m(s);
    EXPECT_TRUE(m.queues_invalidates());
    EXPECT_EQ(m.num_agents(), 6u);
    MessagePassing mp(m, Reader::kPlain);
    const RunResult r = m.Run(mp.program);
    EXPECT_EQ(mp.flag, 1) << machine;
    EXPECT_EQ(mp.data, 0) << machine;
    EXPECT_EQ(mp.x->value.raw(), 1) << machine;  // memory holds the data: cpu1's view lagged
    // The stale read is tagged, and the applied entry is in the trace under cpu1.
    bool stale = false, applied = false;
    for (const TraceEntry& e : r.trace.entries()) {
      if (e.kind == TraceKind::kRead && e.label == "R3") stale = e.tags.mark == TraceMark::kStale && e.value == 0;
      if (e.kind == TraceKind::kInvalidate && e.cpu == 1 && e.detail == "y") applied = true;
    }
    EXPECT_TRUE(stale) << machine;
    EXPECT_TRUE(applied) << machine;
    EXPECT_EQ(r.end, EndReason::kQuiescent);
    EXPECT_TRUE(m.cpu(1).invalidate_queue().empty());  // a run ends with every queue applied
  }
}

TEST(LoadOrder, AReadBarrierAcquireFullBarrierOrDependentLoadForbidsIt) {
  for (const char* machine : {kPpc, kArm64}) {
    for (const Reader reader : {Reader::kReadBarrier, Reader::kFullBarrier, Reader::kAcquire, Reader::kDependent}) {
      const int steps = reader == Reader::kAcquire || reader == Reader::kDependent ? 2 : 3;
      for (const std::string& schedule : {FlagSeenDataStale(steps), std::string("policy: RANDOM seed: 5"),
                                          std::string("policy: RANDOM seed: 11"), std::string("policy: PCT seed: 7")}) {
        const pb::Scenario s = Weak(machine, schedule);
        Machine m(s);
        MessagePassing mp(m, reader);
        m.Run(mp.program);
        EXPECT_FALSE(mp.flag == 1 && mp.data == 0) << machine << " " << static_cast<int>(reader) << " " << schedule;
      }
      // The explicit schedule does reach flag = 1: the barrier, not the schedule, keeps the data fresh.
      const pb::Scenario s = Weak(machine, FlagSeenDataStale(steps));
      Machine m(s);
      MessagePassing mp(m, reader);
      m.Run(mp.program);
      EXPECT_EQ(mp.flag, 1) << machine << " " << static_cast<int>(reader);
      EXPECT_EQ(mp.data, 1) << machine << " " << static_cast<int>(reader);
    }
  }
}

// powerpc's smp_wmb is lwsync, which orders load->load as well; arm64's dmb ishst orders stores only.
TEST(LoadOrder, AWriteBarrierInTheReaderOrdersLoadsOnPowerpcOnly) {
  for (const char* machine : {kPpc, kArm64}) {
    const pb::Scenario s = Weak(machine, FlagSeenDataStale(3));
    Machine m(s);
    MessagePassing mp(m, Reader::kWriteBarrier);
    m.Run(mp.program);
    EXPECT_EQ(mp.flag, 1) << machine;
    EXPECT_EQ(mp.data, machine == kPpc ? 1 : 0) << machine;
  }
}

TEST(LoadOrder, X86NeverReadsAStaleView) {
  for (int seed = 0; seed < 20; ++seed) {
    const pb::Scenario s = Weak(kX86, "policy: RANDOM seed: " + std::to_string(seed));
    Machine m(s);
    EXPECT_FALSE(m.queues_invalidates());
    EXPECT_EQ(m.num_agents(), 4u);
    MessagePassing mp(m, Reader::kPlain);
    const RunResult r = m.Run(mp.program);
    EXPECT_FALSE(mp.flag == 1 && mp.data == 0) << seed;
    for (const TraceEntry& e : r.trace.entries()) EXPECT_NE(e.kind, TraceKind::kInvalidate);
  }
  // And a queue choice is refused there.
  EXPECT_FALSE(Validate(testing::UnvalidatedScenarioFromText(
                            std::string("machine { ") + kX86 +
                            " cores: 2 threads_per_core: 1 memory_model: ARCHITECTURE } schedule { choices { cpu: 1 "
                            "invalidate_queue: true } }"))
                   .empty());
}

// CoRR: two loads of one variable never see its values out of order, whatever the schedule.
TEST(LoadOrder, ReadsOfOneVariableNeverGoBackInTime) {
  for (const char* machine : {kPpc, kArm64}) {
    for (int seed = 0; seed < 40; ++seed) {
      const pb::Scenario s =
          Weak(machine, std::string(seed % 2 ? "policy: RANDOM" : "policy: PCT") + " seed: " + std::to_string(seed));
      Machine m(s);
      Var& x = m.NewVar("x", 0);
      std::vector<int64_t> seen;
      LambdaProgram program;
      program.start = [&](Cpu& cpu) -> Task<> {
        if (cpu.id() == 0) {
          return [](Cpu& c, Var& v) -> Task<> {
            for (int i = 1; i <= 3; ++i) co_await c.write(v, i, "W");
          }(cpu, x);
        }
        return [](Cpu& c, Var& v, std::vector<int64_t>& out) -> Task<> {
          for (int i = 0; i < 6; ++i) out.push_back(co_await c.read(v, "R"));
        }(cpu, x, seen);
      };
      m.Run(program);
      for (size_t i = 1; i < seen.size(); ++i) EXPECT_LE(seen[i - 1], seen[i]) << machine << " seed " << seed;
    }
  }
}

// IRIW: cpu0 stores x, cpu1 stores y; cpu2 loads x then y, cpu3 loads y then x. Without barriers the readers may
// see the two stores in opposite orders (x = 1, y = 0 and y = 1, x = 0): not multi-copy atomic. A full barrier
// between each reader's loads forbids it.
struct Iriw {
  Var* x = nullptr;
  Var* y = nullptr;
  int64_t r[4] = {-1, -1, -1, -1};  // cpu2: x, y; cpu3: y, x
  LambdaProgram program;

  Iriw(Machine& m, bool barrier) {
    x = &m.NewVar("x", 0);
    y = &m.NewVar("y", 0);
    program.start = [this, barrier](Cpu& cpu) -> Task<> {
      switch (cpu.id()) {
        case 0: return Write(cpu, *x);
        case 1: return Write(cpu, *y);
        case 2: return ReadTwo(cpu, *x, *y, barrier, r[0], r[1]);
        default: return ReadTwo(cpu, *y, *x, barrier, r[2], r[3]);
      }
    };
  }
  static Task<> Write(Cpu& cpu, Var& v) { co_await cpu.write(v, 1, "W"); }
  static Task<> ReadTwo(Cpu& cpu, Var& a, Var& b, bool barrier, int64_t& ra, int64_t& rb) {
    ra = co_await cpu.read(a, "R1");
    if (barrier) co_await cpu.barrier("R2");
    rb = co_await cpu.read(b, "R3");
  }
  bool Disagree() const { return r[0] == 1 && r[1] == 0 && r[2] == 1 && r[3] == 0; }
};

// Both stores become visible; cpu2's queue applies x only, cpu3's applies y only; then the readers run.
std::string IriwSchedule(int reader_steps) {
  const std::string n = std::to_string(reader_steps);
  return "choices { cpu: 0 } choices { cpu: 0 store_buffer: true } choices { cpu: 1 } "
         "choices { cpu: 1 store_buffer: true } "
         "choices { cpu: 2 invalidate_queue: true invalidate: \"x\" } "
         "choices { cpu: 3 invalidate_queue: true invalidate: \"y\" } "
         "choices { cpu: 2 steps: " +
         n + " } choices { cpu: 3 steps: " + n + " }";
}

TEST(LoadOrder, IriwReadersMaySeeTwoStoresInOppositeOrders) {
  for (const char* machine : {kPpc, kArm64}) {
    const pb::Scenario s = Weak(machine, IriwSchedule(2), 4);
    ASSERT_TRUE(Validate(s).empty());
    Machine m(s);
    Iriw t(m, /*barrier=*/false);
    m.Run(t.program);
    EXPECT_TRUE(t.Disagree()) << machine << " " << t.r[0] << t.r[1] << t.r[2] << t.r[3];
  }
}

TEST(LoadOrder, IriwWithAFullBarrierInBothReadersIsForbidden) {
  for (const char* machine : {kPpc, kArm64}) {
    for (const std::string& schedule : {IriwSchedule(3), std::string("policy: RANDOM seed: 3"),
                                        std::string("policy: PCT seed: 9"), std::string("policy: ROUND_ROBIN")}) {
      const pb::Scenario s = Weak(machine, schedule, 4);
      Machine m(s);
      Iriw t(m, /*barrier=*/true);
      m.Run(t.program);
      EXPECT_FALSE(t.Disagree()) << machine << " " << schedule;
    }
  }
}

// One writer, one reader held (with its queue) for longer than kMaxBufferedSteps: the entry applies anyway, at the
// step it becomes overdue, before the reader executes anything.
TEST(LoadOrder, AnOverdueEntryAppliesAtTheNextStep) {
  const pb::Scenario s = Weak(kPpc,
                              "choices { cpu: 0 } choices { cpu: 0 store_buffer: true } "
                              "choices { cpu: 1 hold: true steps: 1500 }");
  Machine m(s);
  Var& x = m.NewVar("x", 0);
  int64_t seen = -1;
  LambdaProgram program;
  program.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) {
      return [](Cpu& c, Var& v) -> Task<> {
        co_await c.write(v, 1, "W");
        for (int i = 0; i < 1400; ++i) co_await c.local("L");
      }(cpu, x);
    }
    return [](Cpu& c, Var& v, int64_t& out) -> Task<> { out = co_await c.read(v, "R"); }(cpu, x, seen);
  };
  const RunResult r = m.Run(program);
  uint64_t queued = 0, applied = 0, read = 0;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kWrite && e.tags.mark == TraceMark::kCommit) queued = e.step;
    if (e.kind == TraceKind::kInvalidate && e.cpu == 1) applied = e.step;
    if (e.kind == TraceKind::kRead && e.cpu == 1) read = e.step;
  }
  EXPECT_EQ(applied - queued, kMaxBufferedSteps);
  EXPECT_GT(read, applied);
  EXPECT_EQ(seen, 1);
}

// A CPU held by a choice keeps its queue: no entry applies while the hold lasts (it is not overdue).
TEST(LoadOrder, HoldingACpuHoldsItsQueue) {
  const pb::Scenario s = Weak(kArm64,
                              "choices { cpu: 0 } choices { cpu: 0 store_buffer: true } "
                              "choices { cpu: 1 hold: true steps: 20 } choices { cpu: 1 }");
  Machine m(s);
  Var& x = m.NewVar("x", 0);
  int64_t seen = -1;
  LambdaProgram program;
  program.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) {
      return [](Cpu& c, Var& v) -> Task<> {
        co_await c.write(v, 1, "W");
        for (int i = 0; i < 30; ++i) co_await c.local("L");
      }(cpu, x);
    }
    return [](Cpu& c, Var& v, int64_t& out) -> Task<> { out = co_await c.read(v, "R"); }(cpu, x, seen);
  };
  m.Run(program);
  EXPECT_EQ(seen, 0);  // read before its queue ran: the held queue kept the stale view
}

// Settling ends with every queue empty: an offline CPU's start-up stores are long visible everywhere at step 0.
TEST(LoadOrder, SettlingLeavesNoEntries) {
  const pb::Scenario s = Weak(kPpc, "choices { cpu: 0 }", 2, "offline: 1");
  Machine m(s);
  Var& x = m.NewVar("x", 0);
  int64_t seen = -1;
  LambdaProgram program;
  program.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 1) {
      return [](Cpu& c, Var& v) -> Task<> {
        co_await c.write(v, 1, "S1");
        co_await c.park(Location::kOfflineLoop, "S2");
      }(cpu, x);
    }
    return [](Cpu& c, Var& v, int64_t& out) -> Task<> { out = co_await c.read(v, "R"); }(cpu, x, seen);
  };
  m.Run(program);
  EXPECT_EQ(seen, 1);
}

// A thread that wakes from a state-losing stop reads memory: its queue drained at the wake. The same schedule with a
// state-keeping stop reads the stale value.
TEST(LoadOrder, AStateLosingWakeDrainsTheQueue) {
  for (bool loses : {true, false}) {
    const pb::Scenario s = Weak(kPpc,
                                "choices { cpu: 0 } choices { cpu: 0 store_buffer: true } choices { cpu: 1 } "
                                "choices { cpu: 0 } choices { cpu: 1 steps: 2 }");
    Machine m(s);
    Var& x = m.NewVar("x", 0);
    int64_t seen = -1;
    LambdaProgram program;
    program.start = [&](Cpu& cpu) -> Task<> {
      if (cpu.id() == 0) {
        return [](Cpu& c, Machine& mm, Var& v) -> Task<> {
          co_await c.write(v, 1, "W");
          co_await c.hw_op("D", "doorbell", [&mm] { mm.cpu(1).hw().doorbell = true; });
        }(cpu, m, x);
      }
      return [](Cpu& c, Var& v, bool lose, int64_t& out) -> Task<> {
        co_await c.enter_stop(Bit(Source::kHdoorbell), lose, "S");
        out = co_await c.read(v, "R");
      }(cpu, x, loses, seen);
    };
    m.Run(program);
    EXPECT_EQ(seen, loses ? 1 : 0) << loses;
  }
}

// A wait reads memory: once it saw the new value, a plain load of the variable cannot read the old one (coherence).
TEST(LoadOrder, AWaitThatSawANewValueLeavesNoStaleEntryForIt) {
  const pb::Scenario s = Weak(kArm64,
                              "choices { cpu: 1 } choices { cpu: 0 } choices { cpu: 0 store_buffer: true } "
                              "choices { cpu: 1 steps: 2 }");
  Machine m(s);
  Var& x = m.NewVar("x", 0);
  int64_t seen = -1;
  LambdaProgram program;
  program.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) return [](Cpu& c, Var& v) -> Task<> { co_await c.write(v, 1, "W"); }(cpu, x);
    return [](Cpu& c, Var& v, int64_t& out) -> Task<> {
      co_await c.wait_until([&v] { return v.value != 0; }, kForever, "WAIT");
      out = co_await c.read(v, "R");
    }(cpu, x, seen);
  };
  m.Run(program);
  EXPECT_EQ(seen, 1);
}

// A value-returning atomic drains the queue; a result-less one drops only its own variable's entry.
TEST(LoadOrder, AtomicsDrainOrDropTheirOwnEntry) {
  for (bool fetch : {true, false}) {
    const pb::Scenario s = Weak(kPpc,
                                "choices { cpu: 0 steps: 2 } choices { cpu: 0 store_buffer: true steps: 2 } "
                                "choices { cpu: 1 steps: 2 }");
    Machine m(s);
    Var& x = m.NewVar("x", 0);
    Var& c = m.NewVar("c", 0);
    int64_t seen = -1;
    LambdaProgram program;
    program.start = [&](Cpu& cpu) -> Task<> {
      if (cpu.id() == 0) {
        return [](Cpu& cc, Var& xv, Var& cv) -> Task<> {
          co_await cc.write(xv, 1, "W1");
          co_await cc.write(cv, 1, "W2");
        }(cpu, x, c);
      }
      return [](Cpu& cc, Var& xv, Var& cv, bool f, int64_t& out) -> Task<> {
        if (f) {
          co_await cc.fetch_add(cv, 1, "A");
        } else {
          co_await cc.atomic_add(cv, 1, "A");
        }
        out = co_await cc.read(xv, "R");
      }(cpu, x, c, fetch, seen);
    };
    m.Run(program);
    EXPECT_EQ(seen, fetch ? 1 : 0) << fetch;
    EXPECT_EQ(c.value.raw(), 2);
  }
}

TEST(LoadOrder, QueueChoicesAreValidatedWithTheirFieldPaths) {
  const std::string ppc = std::string("machine { ") + kPpc + " cores: 2 threads_per_core: 1 ";
  struct Case {
    std::string text;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {ppc + "} schedule { choices { cpu: 1 invalidate_queue: true } }", "invalidate_queue"},
           {ppc + "memory_model: ARCHITECTURE } schedule { choices { cpu: 1 invalidate: \"x\" } }", "invalidate"},
           {ppc + "memory_model: ARCHITECTURE } schedule { choices { cpu: 1 invalidate_queue: true hold: true "
                  "invalidate: \"x\" } }",
            "invalidate"},
           {ppc + "memory_model: ARCHITECTURE } schedule { choices { cpu: 1 invalidate_queue: true store_buffer: "
                  "true } }",
            "invalidate_queue"},
           {ppc +
                "memory_model: ARCHITECTURE } schedule { choices { cpu: 1 invalidate_queue: true invalidate: \"\" } }",
            "invalidate"},
       }) {
    const std::vector<ValidationError> errors = Validate(testing::UnvalidatedScenarioFromText(c.text));
    ASSERT_FALSE(errors.empty()) << c.text;
    EXPECT_EQ(PathToString(errors.front().path), "schedule.choices[0]." + c.field) << errors.front().reason;
  }
  EXPECT_TRUE(Validate(ScenarioFromText(ppc + "memory_model: ARCHITECTURE } schedule { choices { cpu: 1 "
                                              "invalidate_queue: true invalidate: \"x\" } }"))
                  .empty());
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

// A completion barrier makes the executing CPU's stores observed by every CPU: powerpc's sync (smp_mb) and the dsb an
// arm64 IPI send starts with (Cpu::ordered_hw_op) apply the entries those stores queued elsewhere; arm64's dmb ish
// (smp_mb) only commits them. cpu0 stores x, then its barrier; cpu1 (queue never run) reads x.
TEST(LoadOrder, ACompletionBarrierMakesTheStoresVisibleEverywhere) {
  enum class Fence { kFullBarrier, kOrderedHwOp };
  for (const char* machine : {kPpc, kArm64}) {
    for (const Fence fence : {Fence::kFullBarrier, Fence::kOrderedHwOp}) {
      const pb::Scenario s = Weak(machine, "choices { cpu: 0 steps: 2 } choices { cpu: 1 }");
      Machine m(s);
      Var& x = m.NewVar("x", 0);
      int64_t seen = -1;
      LambdaProgram program;
      program.start = [&](Cpu& cpu) -> Task<> {
        if (cpu.id() == 0) {
          return [](Cpu& c, Var& v, Fence f) -> Task<> {
            co_await c.write(v, 1, "W");
            if (f == Fence::kFullBarrier) {
              co_await c.barrier("B");
            } else {
              co_await c.ordered_hw_op("B", "dsb; IPI", [] {});
            }
          }(cpu, x, fence);
        }
        return [](Cpu& c, Var& v, int64_t& out) -> Task<> { out = co_await c.read(v, "R"); }(cpu, x, seen);
      };
      m.Run(program);
      const bool completes = machine == kPpc || fence == Fence::kOrderedHwOp;
      EXPECT_EQ(seen, completes ? 1 : 0) << machine << " " << static_cast<int>(fence);
    }
  }
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

// Determinism: the same scenario gives the same trace, also on a reused machine (Machine::Reset), with the queues'
// agents drawn by RANDOM and PCT, and the runs do read stale values (else the test would prove nothing).
TEST(LoadOrder, RunsWithQueuesAreDeterministic) {
  for (const char* machine : {kPpc, kArm64}) {
    for (const char* policy : {"policy: RANDOM seed: 21", "policy: PCT seed: 4", "policy: ROUND_ROBIN"}) {
      const pb::Scenario s = Weak(machine, policy, 4);
      uint64_t hash = 0;
      Machine reused(s);
      for (int run = 0; run < 3; ++run) {
        if (run > 0) reused.Reset(s);
        Iriw t(reused, /*barrier=*/false);
        const RunResult r = reused.Run(t.program);
        if (run == 0) hash = r.trace_hash;
        EXPECT_EQ(r.trace_hash, hash) << machine << " " << policy << " run " << run;
        Machine fresh(s);
        Iriw u(fresh, /*barrier=*/false);
        EXPECT_EQ(fresh.Run(u.program).trace_hash, hash) << machine << " " << policy;
      }
    }
  }
  // Some draw reads a stale value.
  bool stale = false;
  for (int seed = 0; seed < 20 && !stale; ++seed) {
    const pb::Scenario s = Weak(kPpc, "policy: RANDOM seed: " + std::to_string(seed), 4);
    Machine m(s);
    Iriw t(m, /*barrier=*/false);
    const RunResult r = m.Run(t.program);  // kept: the loop reads its trace
    for (const TraceEntry& e : r.trace.entries()) stale = stale || e.tags.mark == TraceMark::kStale;
  }
  EXPECT_TRUE(stale);
}

}  // namespace
}  // namespace crashdiff
