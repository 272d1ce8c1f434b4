// Iterative deepening of the step bound (ExploreOptions::deepen, docs/EXPLORE.md "Deepening the step bound"): an
// early round's counterexample is a real run that `crashdiff run` replays, and a clean search ends with the same
// guarantee as without deepening.
#include <gtest/gtest.h>

#include <string>

#include "explore/explorer.h"
#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

pb::Scenario Load(const std::string& path) {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + path);
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario());
}

ExploreOptions LostWake(const std::string& target, bool dpor) {
  ExploreOptions o;
  o.target = target;
  o.properties = {"PR3"};
  if (dpor) {
    o.dpor = true;
    o.preemptions = kNoPreemptionBound;
    o.state_hashing = false;
  }
  return o;
}

// With 4 offline threads DPOR over the whole run does not reach the v1 lost wake in 60 s (docs/PERFORMANCE.md);
// the first round (choices in the first 16 steps, then the lowest-numbered CPU, the initiator, runs) does.
TEST(Deepen, FindsTheV1LostWakeInTheFirstRound) {
  const pb::Scenario s = Load("/bench/explore/lost_wake_4_offline.textproto");
  ExploreOptions o = LostWake("ppc-v1-check-before-clear", true);
  o.deepen = true;
  o.max_schedules = 10'000;
  const ExploreResult r = Explore(s, o);
  ASSERT_TRUE(r.found);
  EXPECT_TRUE(r.reproducer_replays);
  EXPECT_EQ(r.rounds, 1u);
  EXPECT_EQ(r.max_steps, kFirstDeepeningSteps);
  EXPECT_LE(r.schedules_all_rounds, 100u);
  EXPECT_EQ(r.violations.front().property, "PR3");
}

// A clean search: the last round is the full search, with the same counts and final states as without deepening
// (it stops at the first round whose every run ended within its bound).
TEST(Deepen, CleanSearchEndsWithTheSameGuarantee) {
  const pb::Scenario s = Load("/bench/explore/lost_wake_1_offline.textproto");
  for (bool dpor : {false, true}) {
    ExploreOptions o = LostWake("ppc-upstream-clear-then-check", dpor);
    if (!dpor) o.preemptions = 1;
    if (dpor) o.max_steps = 40;  // a window DPOR exhausts quickly; runs are longer, so every round runs
    const ExploreResult plain = Explore(s, o);
    o.deepen = true;
    const ExploreResult deep = Explore(s, o);
    ASSERT_TRUE(plain.exhaustive && deep.exhaustive) << dpor;
    EXPECT_FALSE(deep.found);
    EXPECT_EQ(deep.schedules, plain.schedules) << dpor;
    EXPECT_EQ(deep.final_states, plain.final_states) << dpor;
    EXPECT_EQ(GuaranteeText(o, deep), GuaranteeText(o, plain)) << dpor;
    EXPECT_GT(deep.rounds, 1u) << dpor;
    EXPECT_GE(deep.schedules_all_rounds, deep.schedules) << dpor;
  }
}

}  // namespace
}  // namespace crashdiff
