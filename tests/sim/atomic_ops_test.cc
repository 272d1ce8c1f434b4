// Result-less atomics and one-bit reads (Cpu::atomic_add, set_bit, clear_bit, test_bit; docs/EXPLORE.md,
// "Commuting atomics"): what they do to the variable, what their entries show (the operand, never the value another
// CPU left), that a value change wakes a waiter as a store does, that they commit the store buffer first as fetch_add
// does, and that a one-bit read notes no read of the whole word in the step's access log.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

pb::Scenario TwoCpus(const std::string& schedule, const char* memory_model = "") {
  return ScenarioFromText(
      std::string("machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 ") + memory_model +
      " } schedule { " + schedule + " }");
}

// The memory entries of one CPU, as (kind, label, value, access, bit).
struct Seen {
  TraceKind kind;
  std::string label;
  int64_t value;
  WordAccess access;
  uint8_t bit;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> MemoryEntries(const RunResult& r, uint32_t cpu) {
  std::vector<Seen> out;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu != cpu || (e.kind != TraceKind::kRead && e.kind != TraceKind::kWrite && e.kind != TraceKind::kRmw)) {
      continue;
    }
    out.push_back(Seen{e.kind, std::string(e.label), e.value, e.tags.access, e.tags.bit});
  }
  return out;
}

// Each CPU adds its own amount and sets its own bit; the other CPU's update comes first in one schedule and last in
// the other: the values are the same, and so is everything each CPU's entries show.
struct Updates {
  Var* count = nullptr;
  Var* mask = nullptr;
  LambdaProgram program;
  explicit Updates(Machine& m) {
    count = &m.NewVar("count", 10);
    mask = &m.NewVar("mask", 0b1000);
    program.start = [this](Cpu& cpu) -> Task<> { return Run(cpu, *count, *mask); };
  }
  static Task<> Run(Cpu& cpu, Var& count, Var& mask) {
    co_await cpu.atomic_add(count, cpu.id() == 0 ? 1 : -3, "A");
    co_await cpu.set_bit(mask, cpu.id(), "S");
  }
};

TEST(ResultlessAtomics, ValuesAreTheSumAndTheEntriesShowTheOperandInEitherOrder) {
  std::vector<std::vector<Seen>> cpu0, cpu1;
  for (const char* order : {"choices { cpu: 0 steps: 2 } choices { cpu: 1 steps: 2 }",
                            "choices { cpu: 1 steps: 2 } choices { cpu: 0 steps: 2 }"}) {
    Machine m(TwoCpus(order));
    Updates u(m);
    const RunResult r = m.Run(u.program);
    EXPECT_EQ(u.count->value.raw(), 10 + 1 - 3) << order;
    EXPECT_EQ(u.mask->value.raw(), 0b1011) << order;
    cpu0.push_back(MemoryEntries(r, 0));
    cpu1.push_back(MemoryEntries(r, 1));
  }
  EXPECT_EQ(cpu0[0], cpu0[1]);  // what cpu0 did does not show what cpu1 did before it
  EXPECT_EQ(cpu1[0], cpu1[1]);
  const std::vector<Seen> want0 = {{TraceKind::kRmw, "A", 1, WordAccess::kAdd, 0},
                                   {TraceKind::kRmw, "S", 0b1, WordAccess::kSetBit, 0}};
  const std::vector<Seen> want1 = {{TraceKind::kRmw, "A", -3, WordAccess::kAdd, 0},
                                   {TraceKind::kRmw, "S", 0b10, WordAccess::kSetBit, 1}};
  EXPECT_EQ(cpu0[0], want0);
  EXPECT_EQ(cpu1[0], want1);
}

// fetch_add, in contrast, hands back (and its entry shows) what the other CPU left.
TEST(ResultlessAtomics, FetchAddShowsTheOrder) {
  std::vector<int64_t> seen;
  for (const char* order : {"choices { cpu: 0 steps: 1 } choices { cpu: 1 steps: 1 }",
                            "choices { cpu: 1 steps: 1 } choices { cpu: 0 steps: 1 }"}) {
    Machine m(TwoCpus(order));
    Var& count = m.NewVar("count", 0);
    int64_t old0 = -1;
    LambdaProgram p;
    p.start = [&count, &old0](Cpu& cpu) -> Task<> {
      return [](Cpu& c, Var& v, int64_t& out) -> Task<> {
        const int64_t old = co_await c.fetch_add(v, 1, "F");
        if (c.id() == 0) out = old;
      }(cpu, count, old0);
    };
    m.Run(p);
    seen.push_back(old0);
  }
  EXPECT_EQ(seen, (std::vector<int64_t>{0, 1}));
}

TEST(ResultlessAtomics, ClearBitAndTestBitTouchOneBit) {
  Machine m(TwoCpus("choices { cpu: 0 steps: 4 }"));
  Var& mask = m.NewVar("mask", 0b0110);
  std::vector<bool> tested;
  LambdaProgram p;
  p.start = [&mask, &tested](Cpu& cpu) -> Task<> {
    if (cpu.id() != 0) return LambdaProgram::Nothing();
    return [](Cpu& c, Var& v, std::vector<bool>& out) -> Task<> {
      out.push_back(co_await c.test_bit(v, 2, "T"));
      co_await c.clear_bit(v, 2, "C");
      out.push_back(co_await c.test_bit(v, 2, "T"));
      out.push_back(co_await c.test_bit(v, 1, "T"));
    }(cpu, mask, tested);
  };
  const RunResult r = m.Run(p);
  EXPECT_EQ(mask.value.raw(), 0b0010);
  EXPECT_EQ(tested, (std::vector<bool>{true, false, true}));
  // A bit read shows the value masked to its bit; a clear shows the mask it ANDs with.
  const std::vector<Seen> want = {{TraceKind::kRead, "T", 0b100, WordAccess::kTestBit, 2},
                                  {TraceKind::kRmw, "C", ~int64_t{0b100}, WordAccess::kClearBit, 2},
                                  {TraceKind::kRead, "T", 0, WordAccess::kTestBit, 2},
                                  {TraceKind::kRead, "T", 0b10, WordAccess::kTestBit, 1}};
  EXPECT_EQ(MemoryEntries(r, 0), want);
}

// Bit 63 is the sign bit of the word (ppc has up to 64 CPUs in a cpumask word).
TEST(ResultlessAtomics, Bit63) {
  Machine m(TwoCpus("choices { cpu: 0 steps: 2 }"));
  Var& mask = m.NewVar("mask", 0);
  bool tested = false;
  LambdaProgram p;
  p.start = [&mask, &tested](Cpu& cpu) -> Task<> {
    if (cpu.id() != 0) return LambdaProgram::Nothing();
    return [](Cpu& c, Var& v, bool& out) -> Task<> {
      co_await c.set_bit(v, 63, "S");
      out = co_await c.test_bit(v, 63, "T");
    }(cpu, mask, tested);
  };
  m.Run(p);
  EXPECT_TRUE(tested);
  EXPECT_EQ(static_cast<uint64_t>(mask.value.raw()), uint64_t{1} << 63);
}

// A waiter on the variable sees an atomic's new value as it sees a store's.
TEST(ResultlessAtomics, AChangeWakesAWaiter) {
  Machine m(TwoCpus(""));  // the default policy: cpu0 blocks until cpu1 has added
  Var& count = m.NewVar("count", 0);
  bool woke = false;
  LambdaProgram p;
  p.start = [&count, &woke](Cpu& cpu) -> Task<> {
    if (cpu.id() == 1) {
      return [](Cpu& c, Var& v) -> Task<> { co_await c.atomic_add(v, 2, "A"); }(cpu, count);
    }
    return [](Cpu& c, Var& v, bool& out) -> Task<> {
      out = co_await c.wait_until([&v] { return v.value == 2; }, kForever, "W");
    }(cpu, count, woke);
  };
  const RunResult r = m.Run(p);
  EXPECT_TRUE(woke);
  EXPECT_EQ(r.end, EndReason::kQuiescent);
}

// With store buffers a result-less atomic commits the CPU's buffered stores first, as fetch_add does (stronger than
// the kernel's unordered atomic_inc: kept so that no outcome changes).
TEST(ResultlessAtomics, CommitTheStoreBufferFirst) {
  Machine m(TwoCpus("choices { cpu: 0 steps: 2 }", "memory_model: ARCHITECTURE"));
  Var& x = m.NewVar("x", 0);
  Var& count = m.NewVar("count", 0);
  LambdaProgram p;
  p.start = [&x, &count](Cpu& cpu) -> Task<> {
    if (cpu.id() != 0) return LambdaProgram::Nothing();
    return [](Cpu& c, Var& a, Var& n) -> Task<> {
      co_await c.write(a, 7, "W");
      co_await c.atomic_add(n, 1, "A");
    }(cpu, x, count);
  };
  m.Run(p);
  EXPECT_EQ(x.value.raw(), 7);
  EXPECT_EQ(count.value.raw(), 1);
}

// Explore's footprints: a one-bit read and the atomics read the word raw, so the step's access log (what DPOR reads
// besides the entries) holds no read of the whole word; a plain read does.
TEST(ResultlessAtomics, NoWholeWordReadInTheAccessLog) {
  for (bool plain : {false, true}) {
    StepAccess access;
    RunOptions o;
    o.access = &access;
    Machine m(TwoCpus("choices { cpu: 0 steps: 3 }"), o);
    Var& mask = m.NewVar("mask", 0);
    LambdaProgram p;
    p.start = [&mask, plain](Cpu& cpu) -> Task<> {
      if (cpu.id() != 0) return LambdaProgram::Nothing();
      return [](Cpu& c, Var& v, bool whole) -> Task<> {
        if (whole) {
          co_await c.read(v, "R");
        } else {
          co_await c.test_bit(v, 0, "T");
        }
        co_await c.set_bit(v, 1, "S");
        co_await c.atomic_add(v, 4, "A");
      }(cpu, mask, plain);
    };
    m.Run(p);
    const bool read_mask =
        std::find(access.reads.vars.begin(), access.reads.vars.end(), mask.id) != access.reads.vars.end();
    EXPECT_EQ(read_mask, plain);
  }
}

}  // namespace
}  // namespace crashdiff
