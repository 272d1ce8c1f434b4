// The simulator's contracts (ARCHITECTURE §4): determinism, discrete time, schedule policies, latch semantics, the
// step budget. The CPU programs here are small ones of the tests' own, not real targets.
#include <gtest/gtest.h>

#include <set>

#include "sim/events.h"
#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

// Two CPUs: cpu0 waits up to 10 s for flag, cpu1 does a few private steps and then sets it.
struct FlagHandshake {
  Var* flag = nullptr;
  uint64_t waited_until = 0;
  bool satisfied = false;
  LambdaProgram program;

  explicit FlagHandshake(Machine& m, int writer_steps) {
    flag = &m.NewVar("flag", 0);
    program.start = [this, &m, writer_steps](Cpu& cpu) -> Task<> {
      if (cpu.id() == 0) return Waiter(cpu, m);
      return Writer(cpu, writer_steps);
    };
  }
  Task<> Waiter(Cpu& cpu, Machine& m) {
    satisfied = co_await cpu.wait_until([this] { return flag->value == 1; }, 10 * kSec, "W1");
    waited_until = m.now();
  }
  Task<> Writer(Cpu& cpu, int steps) {
    for (int i = 0; i < steps; ++i) co_await cpu.local("X1");
    co_await cpu.write(*flag, 1, "X2");
  }
};

TEST(Time, TenSecondWaitWithNothingElseRunnableTakesAHandfulOfSteps) {
  const pb::Scenario s = ScenarioFromText(testing::kTwoCpuPpc);
  Machine m(s);
  Var& never = m.NewVar("never", 0);
  uint64_t woke_at = 0;
  bool result = true;
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() != 0) return LambdaProgram::Nothing();
    return [](Cpu& c, Var& v, uint64_t& at, bool& r) -> Task<> {
      r = co_await c.wait_until([&v] { return v.value != 0; }, 10 * kSec, "T1");
      at = c.machine().now();
    }(cpu, never, woke_at, result);
  };
  const RunResult r = m.Run(p);
  EXPECT_FALSE(result);
  EXPECT_GE(woke_at, 10 * kSec);
  EXPECT_LT(woke_at, 10 * kSec + 10);
  EXPECT_LE(r.steps, 5u);
  EXPECT_EQ(r.end, EndReason::kQuiescent);
}

TEST(Time, WaitSatisfiedByAWriteWakesAtThatWrite) {
  const pb::Scenario s = ScenarioFromText(testing::kTwoCpuPpc);
  Machine m(s);
  FlagHandshake h(m, 5);
  const RunResult r = m.Run(h.program);
  EXPECT_TRUE(h.satisfied);
  // The writer needs 6 steps; the waiter wakes right after, long before the 10 s deadline.
  EXPECT_LT(h.waited_until, 20u);
  // The wake entry follows the write entry directly for cpu0.
  bool saw_write = false;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kWrite && e.label == "X2") saw_write = true;
    if (e.kind == TraceKind::kWake && e.label == "W1") {
      EXPECT_TRUE(saw_write);
    }
  }
  EXPECT_TRUE(saw_write);
}

// A program with enough interleaving freedom that different schedules give different traces.
struct Racers {
  Var* counter;
  LambdaProgram program;
  explicit Racers(Machine& m) {
    counter = &m.NewVar("counter", 0);
    program.start = [this](Cpu& cpu) -> Task<> { return Race(cpu); };
  }
  Task<> Race(Cpu& cpu) {
    for (int i = 0; i < 4; ++i) {
      const int64_t v = co_await cpu.read(*counter, "R");
      co_await cpu.write(*counter, v + 1, "W");
    }
  }
};

uint64_t RunRacers(const std::string& text, RunResult* out = nullptr) {
  const pb::Scenario s = ScenarioFromText(text);
  Machine m(s);
  Racers r(m);
  RunResult res = m.Run(r.program);
  const uint64_t h = res.trace_hash;
  if (out) *out = std::move(res);
  return h;
}

const char* kRacersRandom = R"pb(
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 }
  schedule { policy: RANDOM seed: 42 }
)pb";

TEST(Determinism, SameScenarioSameTraceHashOnHundredRuns) {
  const uint64_t first = RunRacers(kRacersRandom);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(RunRacers(kRacersRandom), first) << "run " << i;
}

TEST(Schedule, ExplicitChoicesAreFollowedExactly) {
  RunResult r;
  RunRacers(R"pb(
              machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
              schedule {
                choices { cpu: 1 steps: 3 }
                choices { cpu: 0 steps: 2 }
                choices { cpu: 1 steps: 1 }
              }
            )pb",
            &r);
  std::vector<uint32_t> order;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kRead || e.kind == TraceKind::kWrite) order.push_back(e.cpu);
  }
  ASSERT_GE(order.size(), 6u);
  EXPECT_EQ(std::vector<uint32_t>(order.begin(), order.begin() + 6), (std::vector<uint32_t>{1, 1, 1, 0, 0, 1}));
}

std::vector<uint32_t> MemoryOrder(const RunResult& r) {
  std::vector<uint32_t> order;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kRead || e.kind == TraceKind::kWrite) order.push_back(e.cpu);
  }
  return order;
}

// A preemption point: round robin until cpu0's second W, then cpu1 runs three steps in a row.
TEST(Schedule, AnchoredChoiceStartsRightAfterItsLabel) {
  RunResult r;
  RunRacers(R"pb(
              machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
              schedule {
                choices {
                  cpu: 1
                  steps: 3
                  after { cpu: 0 label: "W" occurrence: 2 }
                }
              }
            )pb",
            &r);
  const std::vector<uint32_t> order = MemoryOrder(r);
  ASSERT_GE(order.size(), 10u);
  EXPECT_EQ(std::vector<uint32_t>(order.begin(), order.begin() + 10),
            (std::vector<uint32_t>{0, 1, 0, 1, 0, 1, 0, 1, 1, 1}));
}

// A hold: cpu0 is delayed right after its first W; cpu1 runs meanwhile.
TEST(Schedule, HoldDelaysItsCpuAndRunsTheOthers) {
  RunResult r;
  RunRacers(R"pb(
              machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
              schedule {
                choices {
                  cpu: 0
                  steps: 2
                  hold: true
                  after { cpu: 0 label: "W" }
                }
              }
            )pb",
            &r);
  const std::vector<uint32_t> order = MemoryOrder(r);
  ASSERT_GE(order.size(), 6u);
  EXPECT_EQ(std::vector<uint32_t>(order.begin(), order.begin() + 6), (std::vector<uint32_t>{0, 1, 0, 1, 1, 0}));
}

// Holding the only CPU that can run does not stall the run: the hold ends and that CPU runs.
TEST(Schedule, HoldEndsWhenNoOtherCpuCanRun) {
  RunResult r;
  RunRacers(R"pb(
              machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
              schedule { choices { cpu: 1 steps: 1000 hold: true } }
            )pb",
            &r);
  const std::vector<uint32_t> order = MemoryOrder(r);
  ASSERT_EQ(order.size(), 16u);  // both CPUs finish their four read-write rounds
  EXPECT_EQ(std::vector<uint32_t>(order.begin(), order.begin() + 8), std::vector<uint32_t>(8, 0));
  EXPECT_EQ(std::vector<uint32_t>(order.begin() + 8, order.end()), std::vector<uint32_t>(8, 1));
}

// An anchor the run never reaches leaves the policy in charge of the whole run, later choices included.
TEST(Schedule, AnchoredChoiceNeverReachedIsNeverFollowed) {
  RunResult anchored;
  RunRacers(R"pb(
              machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
              schedule {
                choices {
                  cpu: 1
                  steps: 3
                  after { cpu: 0 label: "NOT-A-STEP" }
                }
                choices { cpu: 0 steps: 8 }
              }
            )pb",
            &anchored);
  RunResult plain;
  RunRacers(R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 })pb", &plain);
  EXPECT_EQ(MemoryOrder(anchored), MemoryOrder(plain));
  EXPECT_EQ(anchored.trace_hash, plain.trace_hash);
}

TEST(Schedule, SeededRandomReplaysFromItsSeedAndDiffersAcrossSeeds) {
  std::set<uint64_t> hashes;
  for (int seed = 0; seed < 8; ++seed) {
    const std::string text = std::string(R"pb(
                               machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 }
                               schedule { policy: RANDOM seed:)pb") +
                             std::to_string(seed) + " }";
    const uint64_t h = RunRacers(text);
    EXPECT_EQ(RunRacers(text), h);
    hashes.insert(h);
  }
  EXPECT_GT(hashes.size(), 4u);
}

TEST(Schedule, RoundRobinAlternatesRunnableCpus) {
  RunResult r;
  RunRacers(R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 })pb", &r);
  std::vector<uint32_t> order;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kRead || e.kind == TraceKind::kWrite) order.push_back(e.cpu);
  }
  ASSERT_GE(order.size(), 4u);
  EXPECT_EQ(std::vector<uint32_t>(order.begin(), order.begin() + 4), (std::vector<uint32_t>{0, 1, 0, 1}));
}

// Counts the context switches between CPUs in the racers' accesses.
int Switches(const RunResult& r) {
  int switches = 0;
  uint32_t last = kNoCpu;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind != TraceKind::kRead && e.kind != TraceKind::kWrite) continue;
    if (last != kNoCpu && e.cpu != last) ++switches;
    last = e.cpu;
  }
  return switches;
}

TEST(Schedule, PctRespectsItsDepth) {
  // PCT runs the highest-priority CPU until it finishes or a change point demotes it: with depth d, at most
  // d-1 preemptions plus one switch per CPU that finishes.
  for (uint32_t depth = 1; depth <= 4; ++depth) {
    for (int seed = 0; seed < 20; ++seed) {
      RunResult r;
      RunRacers(std::string(R"pb(
                  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 }
                  schedule { policy: PCT pct_horizon: 30 seed:)pb") +
                    std::to_string(seed) + " pct_depth: " + std::to_string(depth) + " }",
                &r);
      EXPECT_LE(Switches(r), static_cast<int>(depth - 1) + 3) << "depth " << depth << " seed " << seed;
    }
  }
  // Depth 1 is sequential: each CPU runs to completion.
  RunResult r;
  RunRacers(R"pb(
              machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 }
              schedule { policy: PCT pct_depth: 1 seed: 7 }
            )pb",
            &r);
  EXPECT_EQ(Switches(r), 3);
}

// A model that spins forever: the budget ends its run. budget 0: none set (the machine's own).
RunResult RunSpinner(uint64_t budget) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 1 }
  )pb");
  pb::Scenario with_budget = s;
  if (budget != 0) with_budget.mutable_schedule()->set_step_budget(budget);
  Machine m(with_budget);
  Var& v = m.NewVar("spin", 0);
  LambdaProgram p;
  p.start = [&v](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Var& var) -> Task<> {
      for (;;) co_await c.read(var, "SPIN");
    }(cpu, v);
  };
  return m.Run(p);
}

TEST(StepBudget, ALivelockingModelEndsAsLivelockNotACrash) {
  const RunResult r = RunSpinner(kLivelockEvidenceSteps);
  EXPECT_EQ(r.end, EndReason::kStepBudget);
  EXPECT_EQ(Name(r.end), "livelock");
  EXPECT_EQ(r.steps, kLivelockEvidenceSteps);
}

// A budget below the evidence a livelock needs bounds the run; the run is cut, not called a livelock.
TEST(StepBudget, ASmallBudgetCutsTheRunWithoutCallingItALivelock) {
  const RunResult r = RunSpinner(500);
  EXPECT_EQ(r.end, EndReason::kBudgetCut);
  EXPECT_EQ(Name(r.end), "cut");
  EXPECT_EQ(r.steps, 500u);
}

// The field's default (the range of at_step triggers, explore's window) is the evidence; a schedule that leaves it
// unset gets kWaitingBudgetFactor times as many steps from the machine (WaitingForTimeIsNotALivelock).
TEST(StepBudget, TheFieldDefaultsToTheEvidenceALivelockNeeds) {
  EXPECT_EQ(pb::Schedule().step_budget(), kLivelockEvidenceSteps);
  EXPECT_FALSE(pb::Schedule().has_step_budget());
}

// A model that waits `waits` times for 1 ms (a stuck CPU's callin timeout, a udelay loop) with a read between the
// waits; waits = 0: for ever. No step_budget: the machine's own.
RunResult RunWaiter(uint64_t waits) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 1 }
  )pb");
  Machine m(s);
  Var& v = m.NewVar("flag", 0);
  LambdaProgram p;
  p.start = [&v, waits](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Var& var, uint64_t n) -> Task<> {
      for (uint64_t i = 0; n == 0 || i < n; ++i) {
        co_await c.wait_until([&var] { return var.value != 0; }, 1'000'000, "WAIT");
        co_await c.read(var, "WAIT");
      }
    }(cpu, v, waits);
  };
  return m.Run(p);
}

// A run whose CPUs keep waiting for time is not a livelock however many steps its waits take: one that ends after
// more steps than the evidence ends (quiescent), and the default budget bounds an endless one as cut (undecided).
TEST(StepBudget, WaitingForTimeIsNotALivelock) {
  const uint64_t waits = kLivelockEvidenceSteps;  // at least one step each: more steps than the evidence
  const RunResult finite = RunWaiter(waits);
  EXPECT_EQ(finite.end, EndReason::kQuiescent);
  EXPECT_GT(finite.steps, kLivelockEvidenceSteps);
  EXPECT_GE(finite.end_time_ns, waits * 1'000'000);
  const RunResult endless = RunWaiter(0);
  EXPECT_EQ(endless.end, EndReason::kBudgetCut);
  EXPECT_EQ(endless.steps, kWaitingBudgetFactor * kLivelockEvidenceSteps);
}

// ... while a CPU that can always run is a livelock after the evidence, with or without a budget of its own.
TEST(StepBudget, ABusyRunIsALivelockAfterTheEvidenceWhateverTheBudget) {
  for (const uint64_t budget : {uint64_t{0}, kLivelockEvidenceSteps, 3 * kLivelockEvidenceSteps}) {
    const RunResult r = RunSpinner(budget);
    EXPECT_EQ(r.end, EndReason::kStepBudget) << budget;
    EXPECT_EQ(r.steps, kLivelockEvidenceSteps) << budget;
  }
}

// A system call (hotplug, kexec) starts only from task context: on a CPU that is inside panic() it is ignored,
// while a second panic may still nest there (an oops in the panic path). Both run on an idle CPU.
TEST(Events, SystemCallsNeedTaskContextPanicsDoNot) {
  const pb::Scenario s = ScenarioFromText(std::string(testing::kTwoCpuPpc) + R"pb(
    events {
      kind: PANIC
      trigger { at_time_ns: 10 }
      cpus: 0
    }
    events {
      kind: HOTPLUG_DOWN
      trigger { at_time_ns: 20 }
      cpus: 0
      cpus: 1
    }
    events {
      kind: OOPS
      trigger { at_time_ns: 30 }
      cpus: 0
    }
    events {
      kind: KEXEC
      trigger { at_time_ns: 40 }
      cpus: 1
    }
  )pb");
  Machine m(s);
  std::vector<std::string> ran;
  LambdaProgram p;
  p.start = [](Cpu& cpu) -> Task<> {
    return [](Cpu& c) -> Task<> { co_await c.wait_until([] { return false; }, kForever, "IDLE"); }(cpu);
  };
  p.software = [&ran](Cpu& cpu, const pb::Event& e) -> Task<> {
    ran.push_back(std::to_string(cpu.id()) + ":" + std::string(EventName(e.kind())));
    if (e.kind() != pb::PANIC) return LambdaProgram::Nothing();
    return [](Cpu& c) -> Task<> { co_await c.wait_until([] { return false; }, kForever, "P2"); }(cpu);
  };
  const RunResult r = m.Run(p);
  EXPECT_EQ(ran, (std::vector<std::string>{"0:PANIC", "0:OOPS", "1:KEXEC"}));
  int refused = 0;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kEventIgnored && e.detail.find("not in task context") != std::string::npos) ++refused;
  }
  EXPECT_EQ(refused, 1);
}

// A scenario's PANIC stands for unmodelled code that faults; inside a modelled critical section (a raw spinlock the
// model takes with Cpu::enter_critical) there is none, so the event is refused there, and runs once the section is
// left. A later PANIC, after the unlock, runs on the same CPU.
TEST(Events, NoSoftwareEventStartsInsideAModelledCriticalSection) {
  const pb::Scenario s = ScenarioFromText(std::string(testing::kTwoCpuPpc) + R"pb(
    events {
      kind: PANIC
      trigger { at_time_ns: 5 }
      cpus: 0
    }
    events {
      kind: PANIC
      trigger { at_time_ns: 50 }
      cpus: 0
    }
  )pb");
  Machine m(s);
  std::vector<uint64_t> panicked_at;
  LambdaProgram p;
  p.start = [](Cpu& cpu) -> Task<> {
    return [](Cpu& c) -> Task<> {
      c.enter_critical();
      for (int i = 0; i < 20; ++i) co_await c.local("LOCKED");  // 20 steps inside the section: past t = 5 ns
      c.leave_critical();
      co_await c.wait_until([] { return false; }, kForever, "IDLE");
    }(cpu);
  };
  p.software = [&panicked_at, &m](Cpu& cpu, const pb::Event& /*e*/) -> Task<> {
    panicked_at.push_back(m.clock());
    return [](Cpu& c) -> Task<> { co_await c.local("P1"); }(cpu);
  };
  const RunResult r = m.Run(p);
  int refused = 0;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kEventIgnored && e.detail.find("modelled critical section") != std::string::npos) {
      ++refused;
    }
  }
  EXPECT_EQ(refused, 1);
  ASSERT_EQ(panicked_at.size(), 1u);
  EXPECT_GE(panicked_at[0], 50u);
}

}  // namespace
}  // namespace crashdiff
