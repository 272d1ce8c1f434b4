// Systematic exploration with store buffers (docs/SIMULATOR.md "Store buffers"): on the store-buffer seeds, the
// test-only mutants (one ordering removed from a real target) have a schedule that shows the reordering, and
// the real targets have none within the same bound. Buffers are scheduled like CPUs, so explore must find the
// commit order that loses the wake (ppc) or lets the NMI overtake its stores (x86), and prove the real kernels'
// barriers sufficient there.
#include <gtest/gtest.h>

#include <string>

#include "explore/explorer.h"
#include "sim/scenario_io.h"
#include "sim/validate.h"

namespace crashdiff {
namespace {

pb::Scenario Seed(const std::string& path) {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/" + path);
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario());
}

ExploreOptions OnePreemption(const std::string& target, const std::string& property) {
  ExploreOptions o;
  o.target = target;
  o.preemptions = 1;
  o.preempt_first = true;
  o.properties = {property};
  o.memory_bytes = 16 << 20;
  return o;
}

struct Pair {
  const char* seed;
  const char* mutant;
  const char* real;
  const char* property;
};

class MutantVsReal : public ::testing::TestWithParam<Pair> {};

TEST_P(MutantVsReal, TheMutantShowsTheReorderingAndTheRealTargetIsCleanExhaustively) {
  const Pair& p = GetParam();
  const pb::Scenario s = Seed(p.seed);
  const ExploreResult mutant = Explore(s, OnePreemption(p.mutant, p.property));
  ASSERT_TRUE(mutant.found) << p.mutant;
  EXPECT_EQ(mutant.violations.front().property, p.property);
  EXPECT_TRUE(mutant.reproducer_replays);
  EXPECT_TRUE(Validate(mutant.reproducer).empty());  // buffer steps are written as store_buffer choices
  const ExploreResult real = Explore(s, OnePreemption(p.real, p.property));
  EXPECT_FALSE(real.found) << p.real;
  EXPECT_TRUE(real.exhaustive) << p.real;
}

INSTANTIATE_TEST_SUITE_P(
    StoreBuffers, MutantVsReal,
    ::testing::Values(Pair{"ppc/w_store_buffers_stray_doorbell.textproto", "ppc-mutant-no-offline-barrier",
                           "ppc-upstream-clear-then-check", "PR3"},
                      Pair{"x86/w_store_buffers_kdump.textproto", "x86-mutant-unordered-shootdown", "x86-mwait-fixed",
                           "PR4"}),
    [](const ::testing::TestParamInfo<Pair>& i) { return i.index == 0 ? std::string("Ppc") : std::string("X86"); });

// Under sequential consistency the mutants are their real targets: nothing to find.
TEST(StoreBuffers, WithoutStoreBuffersTheMutantsHaveNothingToShow) {
  pb::Scenario s = Seed("ppc/w_store_buffers_stray_doorbell.textproto");
  s.mutable_machine()->set_memory_model(pb::SEQUENTIAL);
  const ExploreResult r = Explore(s, OnePreemption("ppc-mutant-no-offline-barrier", "PR3"));
  EXPECT_FALSE(r.found);
  EXPECT_TRUE(r.exhaustive);
}

// In the default search order the counterexample's run goes past the step bound: its tail runs the lowest agent, so
// a CPU's buffered store waits until it is overdue and the machine commits it without asking the scheduler. The
// reproducer still replays: the explicit choice written for that step counts it (Scheduler::Forced).
TEST(StoreBuffers, ACounterexampleWithAnOverdueCommitReplays) {
  ExploreOptions o = OnePreemption("ppc-mutant-no-offline-barrier", "PR3");
  o.preempt_first = false;
  const ExploreResult r = Explore(Seed("ppc/w_store_buffers_stray_doorbell.textproto"), o);
  ASSERT_TRUE(r.found);
  EXPECT_GT(r.runs_past_max_steps, 0u);
  EXPECT_TRUE(r.reproducer_replays);
}

}  // namespace
}  // namespace crashdiff
