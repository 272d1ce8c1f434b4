// The online CPUs' tick (Machine.tick_ns, targets/ppc/tick.cc): timer_interrupt programs the next period on a CPU
// running a task and stops the tick on an idle one (tickless idle), a task leaving the idle loop restarts it; a tick
// taken while soft-masked is recorded in irq_happened with DEC rewritten to 0x7fffffff and MSR[EE] left on, and
// replayed by local_irq_restore; a hard-disabled CPU holds one DEC latch and takes no further tick.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "sim/scenario_io.h"
#include "targets/ppc/ppc_kernel.h"
#include "tests/fixtures/ppc_test_util.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

using testing::CountSteps;
using testing::RunOn;
using testing::ScenarioFromText;

constexpr uint64_t kTick = 4'000'000;  // HZ 250
constexpr uint64_t kSoon = 100;        // a few steps (1 ns each) later

// The times at which cpu's decrementer latched.
std::vector<uint64_t> DecLatches(const RunResult& r, uint32_t cpu) {
  std::vector<uint64_t> t;
  const std::string what = "DEC latched cpu" + std::to_string(cpu);
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == kNoCpu && e.kind == TraceKind::kEvent && e.label == "DEC" &&
        e.detail == "decrementer expired: " + what)
      t.push_back(e.time_ns);
  }
  return t;
}

// The time of cpu's first entry with this label and detail after time `after` (kForever: none).
uint64_t FirstAfter(const RunResult& r, uint32_t cpu, std::string_view label, const std::string& detail,
                    uint64_t after) {
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == cpu && e.label == label && e.time_ns >= after && e.detail.find(detail) != std::string::npos)
      return e.time_ns;
  }
  return kForever;
}

// The upstream model whose OOPS event, for this test, runs a window the test shapes instead of die() (once out of
// the idle loop, as every event's task): 6 ms with interrupts on, soft-masked (local_irq_disable /
// local_irq_restore) or hard-disabled (hard_irq_disable / enable).
enum class Mask { kNone, kSoft, kHard };

class WindowKernel : public ppc::PpcKernel {
 public:
  WindowKernel(Machine& m, Mask mask, uint64_t ns) : PpcKernel(m, ppc::kUpstreamVariant), mask_(mask), ns_(ns) {}
  Task<> SoftwareTask(Cpu& cpu, const pb::Event& event) override {
    if (event.kind() != pb::OOPS) return PpcKernel::SoftwareTask(cpu, event);
    return Window(cpu);
  }

 private:
  Task<> Window(Cpu& cpu) {
    if (mask_ == Mask::kHard) co_await cpu.irq_disable("W0");
    if (mask_ == Mask::kSoft) co_await SoftIrqDisable(cpu, "W0");
    co_await cpu.delay(ns_, "W1");
    if (mask_ == Mask::kHard) co_await cpu.irq_enable("W2");
    if (mask_ == Mask::kSoft) co_await SoftIrqRestore(cpu, "W2");
    co_await cpu.local("W3", "the task goes on");  // an interrupt let in at W2 is taken in the task, not in idle
  }
  Mask mask_;
  uint64_t ns_;
};

RunResult RunWindow(Mask mask, const std::string& extra_events = "", uint64_t ns = 6'000'000) {
  TargetSpec spec = *FindTarget("ppc-upstream-clear-then-check");
  spec.name = "ppc-upstream-tick-window";
  spec.known.clear();
  spec.make = [mask, ns](Machine& m) -> std::unique_ptr<Program> {
    return std::make_unique<WindowKernel>(m, mask, ns);
  };
  // cpu1's window runs from 1 ms to 7 ms (by default), across the 4 ms tick; cpu0 panics at 18 ms, ending the run.
  return RunOnTarget(spec, ScenarioFromText(R"pb(machine {
                                                   family: PPC
                                                   platform: POWER9_DOORBELL_XIVE
                                                   cores: 1
                                                   threads_per_core: 2
                                                   panic_timeout: 10
                                                   tick_ns: 4000000
                                                 }
                                                 events {
                                                   kind: OOPS
                                                   cpus: 1
                                                   trigger { at_time_ns: 1000000 }
                                                 }
                                                 events {
                                                   kind: PANIC
                                                   cpus: 0
                                                   trigger { at_time_ns: 18000000 }
                                                 })pb" +
                                            extra_events));
}

// Every online CPU's tick starts on one grid. cpu1 runs a task from 1 ms to 15 ms: each timer_interrupt programs
// the next period. cpu0 stays idle: its first tick finds it in the idle loop and stops the tick (decrementer_max).
// cpu1's tick stops the same way at the first period after its task returned to the idle loop.
TEST(PpcTick, ABusyCpuTicksEachPeriodAnIdleOneStopsItsTick) {
  const RunResult r = RunWindow(Mask::kNone, "", 14'000'000);
  const std::vector<uint64_t> busy = DecLatches(r, 1);
  ASSERT_GE(busy.size(), 4u);
  // The first period was programmed before step 0 (and again by the idle exit at 1 ms); each later one is computed
  // from the grid when timer_interrupt runs and written a few steps later (the kernel too computes the delta before
  // set_dec): it lands just after.
  EXPECT_EQ(busy[0], kTick);
  for (size_t k = 1; k < 4; ++k) {
    EXPECT_GE(busy[k], (k + 1) * kTick);
    EXPECT_LT(busy[k], (k + 1) * kTick + kSoon);
  }
  EXPECT_EQ(CountSteps(r, 1, TraceKind::kLocal, "TNX", "tick_nohz_idle_exit"), 1);
  EXPECT_EQ(CountSteps(r, 1, TraceKind::kLocal, "TI", "decrementer_set_next_event(next period)"), 3);
  // At 16 ms cpu1 is idle again: that tick stops its tick (the next expiry is decrementer_max later).
  EXPECT_EQ(CountSteps(r, 1, TraceKind::kLocal, "TI", "idle: tick_nohz_irq_exit stops the tick"), 1);
  if (busy.size() > 4) EXPECT_GE(busy[4], busy[3] + ppc::kDecrementerMaxNs);
  const std::vector<uint64_t> idle = DecLatches(r, 0);
  ASSERT_FALSE(idle.empty());
  EXPECT_EQ(idle[0], kTick);
  EXPECT_GE(FirstAfter(r, 0, "TI", "idle: tick_nohz_irq_exit stops the tick", 0), kTick);
  EXPECT_EQ(CountSteps(r, 0, TraceKind::kLocal, "TI", "next period"), 0);
  EXPECT_TRUE(r.handed_over);
}

// Without the field no online CPU's decrementer is armed: the default machine replays as before the mechanism.
TEST(PpcTick, NoTickByDefault) {
  const RunResult r = RunOn(
      "ppc-upstream-clear-then-check",
      ScenarioFromText(
          R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 panic_timeout: 10 }
               events {
                 kind: PANIC
                 cpus: 0
                 trigger { at_time_ns: 13000000 }
               })pb"));
  EXPECT_TRUE(DecLatches(r, 0).empty());
  EXPECT_TRUE(DecLatches(r, 1).empty());
}

// The 4 ms tick lands in cpu1's soft-masked window: masked_interrupt records it and rewrites DEC to 0x7fffffff; the
// CPU stays hard-enabled (a doorbell at 5 ms is taken, masked, in the window); local_irq_restore at 7 ms replays
// timer_interrupt, which programs the next period, 8 ms.
TEST(PpcTick, MaskedTickIsRecordedRewrittenAndReplayed) {
  const RunResult r = RunWindow(Mask::kSoft, R"pb(events {
                                                    kind: STRAY_DOORBELL
                                                    cpus: 1
                                                    trigger { at_time_ns: 5000000 }
                                                  })pb");
  const uint64_t masked = FirstAfter(r, 1, "IRQ-MASKED", "DEC = 0x7fffffff", 0);
  EXPECT_GE(masked, kTick);
  EXPECT_LT(masked, kTick + kSoon);
  // MSR[EE] stayed on: the doorbell is taken (masked) at once, not held until the window ends.
  const uint64_t doorbell = FirstAfter(r, 1, "IRQ-MASKED", "interrupt taken while soft-masked", kTick);
  EXPECT_GE(doorbell, 5'000'000u);
  EXPECT_LT(doorbell, 5'000'000u + kSoon);
  const uint64_t replay = FirstAfter(r, 1, "W2", "replay decrementer", 0);
  EXPECT_GE(replay, 7'000'000u);
  EXPECT_LT(replay, 7'000'000u + kSoon);
  const uint64_t next = FirstAfter(r, 1, "TI", "next period", replay);  // after the online test
  EXPECT_GT(next, replay);
  EXPECT_LT(next, replay + kSoon);
  const std::vector<uint64_t> t = DecLatches(r, 1);
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[0], kTick);
  EXPECT_GE(t[1], 2 * kTick);  // the replay's programming, not the 0x7fffffff of the masked entry
  EXPECT_LT(t[1], 2 * kTick + kSoon);
}

// Hard-disabled from 1 ms to 7 ms: the 4 ms tick latches and stays pending (no further tick: nothing re-arms the
// DEC); it is taken when MSR[EE] comes back on, and that timer_interrupt programs the 8 ms period.
TEST(PpcTick, HardDisabledCpuHoldsOneLatchAndTakesNoFurtherTick) {
  const RunResult r = RunWindow(Mask::kHard);
  const std::vector<uint64_t> t = DecLatches(r, 1);
  ASSERT_GE(t.size(), 2u);
  EXPECT_EQ(t[0], kTick);
  EXPECT_GE(t[1], 2 * kTick);
  EXPECT_LT(t[1], 2 * kTick + kSoon);
  const uint64_t taken = FirstAfter(r, 1, "TI", "next period", kTick);
  EXPECT_GE(taken, 7'000'000u);
  EXPECT_LT(taken, 2 * kTick);
  EXPECT_GE(FirstAfter(r, 1, "IRQ-MASKED", "", 0), 18'000'000u);  // nothing taken in the window
  EXPECT_GE(FirstAfter(r, 1, "TI", "", kTick), 7'000'000u);
}

// The seed (corpus/seeds/ppc/tick_masked_on_loser.textproto) replays on every ppc target with the
// tick it is about: a masked decrementer on the soft-masked loser.
TEST(PpcTick, SeedTicksLandOnSoftMaskedCrashCpus) {
  LoadResult l =
      LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/ppc/tick_masked_on_loser.textproto");
  ASSERT_TRUE(l.errors.empty()) << l.errors.front();
  for (const char* target :
       {"ppc-prefix-nowake", "ppc-v1-check-before-clear", "ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    SCOPED_TRACE(target);
    const RunResult r = RunOn(target, *l.scenario);
    const uint64_t dec = FirstAfter(r, 2, "IRQ-MASKED", "DEC = 0x7fffffff", 0);
    EXPECT_GE(dec, kTick);
    EXPECT_LT(dec, kTick + kSoon);
    // MSR[EE] left on: the crash IPI's doorbell is taken (masked) after it, not held until a hard enable.
    const uint64_t doorbell = FirstAfter(r, 2, "IRQ-MASKED", "interrupt taken while soft-masked", 0);
    EXPECT_GT(doorbell, dec);
    EXPECT_LT(doorbell, dec + kSoon);
    EXPECT_EQ(r.end, EndReason::kQuiescent);
  }
}

// An initiator that waits forever for an operator reset while cpu1, online and idle, takes its first tick: the tick
// it stops leaves DEC at POWER9's decrementer_max (the 56-bit large decrementer, about 2.2 years), so it never ticks
// again and the run ends as it does without the tick.
TEST(PpcTick, AnIdlePower9CpuStopsItsTickForGood) {
  LoadResult l = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) +
                                  "/corpus/regressions/pr8-unbounded-initiator-initiator-waits-for-an-operator-reset-"
                                  "hang-waiting-operator-ppc-sreset-dump-d-fa0850bf.textproto");
  ASSERT_TRUE(l.errors.empty()) << l.errors.front();
  ASSERT_EQ(l.scenario->machine().platform(), pb::POWER9_DOORBELL_XIVE);
  const RunResult quiet = RunOn("ppc-sreset-dump", *l.scenario);
  l.scenario->mutable_machine()->set_tick_ns(1'000'000);
  const RunResult ticking = RunOn("ppc-sreset-dump", *l.scenario);
  EXPECT_EQ(quiet.end, EndReason::kQuiescent);
  EXPECT_EQ(ticking.end, EndReason::kQuiescent);
  EXPECT_EQ(ticking.handed_over, quiet.handed_over);
  EXPECT_EQ(DecLatches(ticking, 1).size(), 1u);
  EXPECT_EQ(CountSteps(ticking, 1, TraceKind::kLocal, "TI", "idle: tick_nohz_irq_exit stops the tick"), 1);
  EXPECT_EQ(ticking.end_time_ns, quiet.end_time_ns);
}

// POWER8 without a crash image: panic() stops cpu1 (hard-disabled, its tick latched once for good) and halts
// soft-masked, where a masked decrementer rewrites DEC to 0x7fffffff and comes back every 4.19 s. Once every armed
// decrementer has expired twice with nothing but the ticks' own steps, the run ends quiescent (the simulator's
// periodic steady state), as it does without the tick, instead of ticking to the step budget or the time limit.
TEST(PpcTick, RepeatingTicksAloneEndTheRunQuiescent) {
  const std::string text = R"pb(machine {
                                  family: PPC
                                  platform: POWER8_XICS
                                  cores: 1
                                  threads_per_core: 2
                                  crash_image_loaded: false
                                  tick_ns: 1000000
                                }
                                events {
                                  kind: PANIC
                                  cpus: 0
                                  trigger { at_time_ns: 1000 }
                                })pb";
  pb::Scenario without_tick = ScenarioFromText(text);
  without_tick.mutable_machine()->clear_tick_ns();
  const RunResult quiet = RunOn("ppc-prefix-nowake", without_tick);
  const RunResult ticking = RunOn("ppc-prefix-nowake", ScenarioFromText(text));
  EXPECT_EQ(quiet.end, EndReason::kQuiescent);
  EXPECT_EQ(ticking.end, EndReason::kQuiescent);
  const std::vector<uint64_t> halted = DecLatches(ticking, 0);
  ASSERT_EQ(halted.size(), 2u);
  EXPECT_EQ(halted[1] - halted[0], ppc::kDecrementerMaxNs + 1);  // 0x7fffffff written one step after the latch
  EXPECT_EQ(CountSteps(ticking, 0, TraceKind::kLocal, "IRQ-MASKED", "DEC = 0x7fffffff"), 2);
  EXPECT_EQ(ticking.end_time_ns, halted[1] + 3);
  EXPECT_LT(ticking.steps, quiet.steps + 20);
}

}  // namespace
}  // namespace crashdiff
