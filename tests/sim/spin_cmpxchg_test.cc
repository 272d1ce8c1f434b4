// Cpu::spin_cmpxchg, a spin lock's acquire loop as one operation: it excludes as the cmpxchg loop it replaces does,
// it lets every contender be the one that gets the lock next (the same acquisition orders as the loop, under random
// schedules), a spinner's failed retries are not steps (one failed attempt per contender, however many releases it
// waits through, where the loop's herd grows with the square of the contenders), and a spinner takes an interrupt.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

pb::Scenario Contenders(uint32_t threads, const std::string& schedule) {
  return ScenarioFromText("machine { family: PPC platform: POWER9_DOORBELL_XIVE threads_per_core: 1 cores: " +
                          std::to_string(threads) + " } schedule { " + schedule + " }");
}

// Every CPU takes the lock, increments `count` with a plain read and write, appends its id to `order` (one base-8
// digit per acquisition) and releases. A lost increment would show a broken exclusion.
struct Contention {
  Var* lock = nullptr;
  Var* count = nullptr;
  Var* order = nullptr;
  LambdaProgram program;
  Contention(Machine& m, bool as_loop) {
    lock = &m.NewVar("lock", 0);
    count = &m.NewVar("count", 0);
    order = &m.NewVar("order", 0);
    program.start = [this, as_loop](Cpu& cpu) -> Task<> { return Run(cpu, *lock, *count, *order, as_loop); };
  }
  static Task<> Run(Cpu& cpu, Var& lock, Var& count, Var& order, bool as_loop) {
    co_await cpu.local("L0", "before the lock");
    if (as_loop) {
      while (co_await cpu.cmpxchg(lock, 0, 1, "L1") != 0) {
        co_await cpu.wait_until([&lock] { return lock.value == 0; }, kForever, "L1");
      }
    } else {
      co_await cpu.spin_cmpxchg(lock, 0, 1, "L1");
    }
    const int64_t n = co_await cpu.read(count, "C1");
    co_await cpu.write(count, n + 1, "C2");
    const int64_t o = co_await cpu.read(order, "C3");
    co_await cpu.write(order, o * 8 + cpu.id() + 1, "C4");
    co_await cpu.store_release(lock, 0, "U1");
  }
};

struct Outcome {
  int64_t count;
  int64_t order;
  size_t failed_attempts;  // cmpxchg entries on the lock that did not take it
  uint64_t steps;
};

Outcome RunContention(uint32_t threads, const std::string& schedule, bool as_loop) {
  Machine m(Contenders(threads, schedule));
  Contention c(m, as_loop);
  const RunResult r = m.Run(c.program);
  Outcome o{c.count->value.raw(), c.order->value.raw(), 0, 0};
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kRmw && e.label == "L1") ++o.failed_attempts;
    o.steps = std::max(o.steps, e.step);
  }
  return o;
}

TEST(SpinCmpxchg, ExcludesAndReachesTheLoopsAcquisitionOrders) {
  std::set<int64_t> loop_orders;
  std::set<int64_t> op_orders;
  for (uint64_t seed = 1; seed <= 400; ++seed) {
    const std::string schedule = "policy: RANDOM seed: " + std::to_string(seed);
    const Outcome loop = RunContention(3, schedule, true);
    const Outcome op = RunContention(3, schedule, false);
    EXPECT_EQ(loop.count, 3) << seed;
    EXPECT_EQ(op.count, 3) << seed;
    loop_orders.insert(loop.order);
    op_orders.insert(op.order);
  }
  EXPECT_EQ(op_orders.size(), 6u);  // every permutation of the three CPUs
  EXPECT_EQ(op_orders, loop_orders);
}

// Round robin keeps every contender spinning through every release: the loop wakes each spinner, fails it and blocks
// it again at every release; the operation lets the first runnable spinner take the lock and the others stay blocked.
TEST(SpinCmpxchg, ASpinnersFailedRetriesAreNotSteps) {
  constexpr uint32_t kThreads = 8;
  const Outcome loop = RunContention(kThreads, "policy: ROUND_ROBIN", true);
  const Outcome op = RunContention(kThreads, "policy: ROUND_ROBIN", false);
  EXPECT_EQ(loop.count, kThreads);
  EXPECT_EQ(op.count, kThreads);
  // Each CPU's one successful cmpxchg is recorded as a store, not an Rmw entry: what is counted failed.
  EXPECT_LE(op.failed_attempts, kThreads - 1);
  EXPECT_GT(loop.failed_attempts, 2 * kThreads);
  EXPECT_LT(op.steps, loop.steps);
}

// A spinner with interrupts enabled takes one (a doorbell the holder sends while it spins), runs its handler and goes
// back to spinning; it gets the lock once the holder releases it.
TEST(SpinCmpxchg, ASpinnerTakesAnInterruptAndThenTheLock) {
  Machine m(ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
  )pb"));
  Var& lock = m.NewVar("lock", 1);  // cpu0 holds it from the start
  Var& handled = m.NewVar("handled", 0);
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Var& lk) -> Task<> {
      if (c.id() == 0) {
        for (int i = 0; i < 10; ++i) co_await c.local("H", "holding");
        Cpu& spinner = c.machine().cpu(1);
        co_await c.hw_op("S", "msgsnd to the spinner", [&spinner] { spinner.hw().doorbell = true; });
        for (int i = 0; i < 10; ++i) co_await c.local("H", "holding");
        co_await c.store_release(lk, 0, "U1");
      } else {
        co_await c.irq_enable("E");
        co_await c.spin_cmpxchg(lk, 0, 1, "L1");
        co_await c.local("IN", "in the critical section");
      }
    }(cpu, lock);
  };
  p.interrupt = [&](Cpu& cpu, Source) -> Task<> {
    return [](Cpu& c, Var& h) -> Task<> { co_await c.write(h, 1, "IRQ"); }(cpu, handled);
  };
  const RunResult r = m.Run(p);
  EXPECT_EQ(handled.value.raw(), 1);
  EXPECT_EQ(lock.value.raw(), 1);  // cpu1 took it after cpu0's release
  bool in = false;
  for (const TraceEntry& e : r.trace.entries()) in |= e.cpu == 1 && e.label == "IN";
  EXPECT_TRUE(in);
}

}  // namespace
}  // namespace crashdiff
