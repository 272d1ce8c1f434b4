// The simulator's incremental structures (sim/machine.cc, "Event schedule" and "Runnable set") keep the semantics
// of a full scan: events due together fire in scenario order, label triggers count occurrences per CPU and label,
// and the runnable set the scheduler sees is exactly the CPUs that can run (checked at every step by
// verify_runnable, which aborts on a difference).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::UnvalidatedScenarioFromText;

// Every CPU runs n private steps labelled "S".
Task<> Steps(Cpu& cpu, int n) {
  for (int i = 0; i < n; ++i) co_await cpu.local("S");
}

std::vector<std::string> EventDetails(const RunResult& r) {
  std::vector<std::string> out;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kEvent) out.push_back(std::to_string(e.time_ns) + " " + e.detail);
  }
  return out;
}

TEST(EventSchedule, EventsDueTogetherFireInScenarioOrderAndTimedOnesInTimeOrder) {
  const pb::Scenario s = UnvalidatedScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 }
    events {
      kind: HMI
      cpus: 3
      trigger { at_time_ns: 9 }
    }
    events {
      kind: STRAY_DOORBELL
      cpus: 2
      trigger { at_time_ns: 5 }
    }
    events {
      kind: HMI
      cpus: 1
      trigger { at_time_ns: 5 }
    }
    events {
      kind: SPURIOUS_WAKE
      cpus: 0
      trigger { at_step: 5 }
    }
    events {
      kind: STRAY_DOORBELL
      cpus: 3
      trigger { at_step: 2 }
    }
  )pb");
  Machine m(s, RunOptions{.verify_runnable = true});
  LambdaProgram p;
  p.start = [](Cpu& cpu) -> Task<> { return Steps(cpu, cpu.id() == 0 ? 20 : 0); };
  const RunResult r = m.Run(p);
  // Step n runs at time n (one CPU runs): at time 5 the at_step 5 event and both at_time 5 events are due
  // together and fire in scenario order.
  EXPECT_EQ(EventDetails(r), (std::vector<std::string>{"2 STRAY_DOORBELL cpu3", "5 STRAY_DOORBELL cpu2", "5 HMI cpu1",
                                                       "5 SPURIOUS_WAKE cpu0", "9 HMI cpu3"}));
}

TEST(EventSchedule, LabelTriggersCountOccurrencesOfTheirOwnCpuAndLabel) {
  const pb::Scenario s = UnvalidatedScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
    events {
      kind: SPURIOUS_WAKE
      cpus: 1
      trigger { on_label { cpu: 1 label: "S" occurrence: 3 } }
    }
    events {
      kind: SPURIOUS_WAKE
      cpus: 0
      trigger { on_label { cpu: 0 label: "S" occurrence: 2 } }
    }
    events {
      kind: SPURIOUS_WAKE
      cpus: 1
      trigger { on_label { cpu: 1 label: "T" occurrence: 1 } }
    }
    schedule { policy: ROUND_ROBIN }
  )pb");
  Machine m(s, RunOptions{.verify_runnable = true});
  LambdaProgram p;
  p.start = [](Cpu& cpu) -> Task<> { return Steps(cpu, 4); };
  const RunResult r = m.Run(p);
  // Round robin: cpu0 S (t0), cpu1 S (t1), cpu0 S (t2: cpu0's 2nd), cpu1 S (t3), cpu0 S, cpu1 S (t5: cpu1's 3rd).
  // The event fires right after the step, before the clock advances; no step is labelled "T". (Spurious wakes
  // are not interrupts, so they leave the schedule alone.)
  EXPECT_EQ(EventDetails(r), (std::vector<std::string>{"2 SPURIOUS_WAKE cpu0", "5 SPURIOUS_WAKE cpu1"}));
}

// 130 CPUs (more than two 64-bit words' worth): each CPU i > 0 waits until the shared counter reaches i, then
// increments it; cpu0 starts the chain. Only one CPU can run at a time, so the run is 130 waits woken one by
// one by stores, and the incremental runnable set must match a full re-evaluation at every step.
TEST(RunnableSet, WaitsWokenByStoresAndOtherCpusStateMatchAFullScanAt130Cpus) {
  const pb::Scenario s = UnvalidatedScenarioFromText(R"pb(
    machine { family: X86 platform: X86_HLT cores: 65 threads_per_core: 2 }
    schedule { step_budget: 100000 }
  )pb");
  Machine m(s, RunOptions{.verify_runnable = true});
  Var& counter = m.NewVar("counter", 0);
  std::vector<uint64_t> woke(130, 0);
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Var& v, std::vector<uint64_t>& w) -> Task<> {
      const int64_t me = c.id();
      co_await c.wait_until([&v, me] { return v.value == me; }, kForever, "W");
      w[c.id()] = c.machine().now();
      co_await c.fetch_add(v, 1, "A");
      // The last CPU also waits for cpu0 to have finished (another CPU's state, not a variable).
      if (c.id() == 129) {
        Cpu& first = c.machine().cpu(0);
        co_await c.wait_until([&first] { return first.finished(); }, kForever, "F");
      }
    }(cpu, counter, woke);
  };
  const RunResult r = m.Run(p);
  EXPECT_EQ(counter.value.raw(), 130);
  for (uint32_t c = 1; c < 130; ++c) EXPECT_GT(woke[c], woke[c - 1]) << c;
  EXPECT_EQ(r.cpus[129].final, Location::kRunOld);
  EXPECT_EQ(r.end, EndReason::kQuiescent);
}

// A deadline is a time point: with nothing runnable the clock jumps to the earliest blocked CPU's deadline.
TEST(RunnableSet, TheClockJumpsToTheEarliestDeadlineAmongManyCpus) {
  const pb::Scenario s = UnvalidatedScenarioFromText(R"pb(
    machine { family: X86 platform: X86_HLT cores: 100 threads_per_core: 1 }
  )pb");
  Machine m(s, RunOptions{.verify_runnable = true});
  Var& never = m.NewVar("never", 0);
  std::vector<uint64_t> at(100, 0);
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Var& v, std::vector<uint64_t>& out) -> Task<> {
      // CPU i times out after (100 - i) ms: the last CPU first.
      co_await c.wait_until([&v] { return v.value != 0; }, (100 - c.id()) * kMs, "D");
      out[c.id()] = c.machine().now();
    }(cpu, never, at);
  };
  m.Run(p);
  for (uint32_t c = 0; c < 100; ++c) {
    EXPECT_GE(at[c], (100 - c) * kMs) << c;
    EXPECT_LT(at[c], (100 - c) * kMs + 200) << c;
  }
}

}  // namespace
}  // namespace crashdiff
