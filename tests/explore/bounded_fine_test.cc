// The bounded search's restricted sleep sets over per-step footprints (docs/EXPLORE.md, "Reduction"): with the fine
// relation a CPU's step stays asleep across another CPU's wait, wake or latch of its own, where the coarse table
// woke it. On scenarios small enough to run every schedule within the bound, the reduced search must reach exactly
// the final states and the verdict of the search without reduction, within the same preemption bound.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "explore/explorer.h"
#include "sim/scenario_io.h"
#include "tests/fixtures/explore_test_util.h"

namespace crashdiff {
namespace {

using testing::LoadWithoutSchedule;

struct Case {
  const char* file;
  const char* target;
  uint32_t k;
};

constexpr Case kCases[] = {
    {"/corpus/seeds/x86/kexec_stop_online_bit_race.textproto", "x86-mwait-prefix", 2},
    {"/corpus/seeds/arm64/post_notifiers_no_image.textproto", "arm64-psci", 2},
    {"/corpus/seeds/x86/kdump_post_notifiers_never_started.textproto", "x86-mwait-fixed", 2},
    {"/corpus/seeds/ppc/b_stray_doorbell_before_crash_wake.textproto", "ppc-upstream-clear-then-check", 2},
    {"/corpus/seeds/ppc/b_stray_doorbell_before_crash_wake.textproto", "ppc-v1-check-before-clear", 2},
    {"/bench/explore/lost_wake_2_offline.textproto", "ppc-upstream-clear-then-check", 1},
    {"/bench/explore/lost_wake_2_offline.textproto", "ppc-v1-check-before-clear", 1},
    {"/bench/explore/lost_wake_3_offline.textproto", "ppc-upstream-clear-then-check", 1},  // 8,040 unreduced, 4,016
};

ExploreOptions Bounded(const Case& c, bool reduction, bool fine, std::vector<std::string> properties) {
  ExploreOptions o;
  o.target = c.target;
  o.preemptions = c.k;
  o.reduction = reduction;
  o.fine_dependency = fine;
  o.state_hashing = false;  // the sleep sets alone
  o.segment_sleep = false;  // the restricted sleep sets (segment_sleep_test.cc has the segments)
  o.properties = std::move(properties);
  return o;
}

// Equivalent schedules end in the same final state: the reduced searches (fine and coarse) reach every final state
// the unreduced one reaches, and only those; the verdict is the same for PR3 and for every property.
TEST(BoundedSleepSets, FineRelationKeepsTheFinalStatesAndTheVerdict) {
  bool fine_pruned_more = false;
  bool several_finals = false;  // the comparison means something: some case ends in more than one final state
  for (const Case& c : kCases) {
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    for (const std::vector<std::string>& props : {std::vector<std::string>{"PR3"}, std::vector<std::string>{}}) {
      const ExploreResult full = Explore(s, Bounded(c, false, true, props));
      const ExploreResult fine = Explore(s, Bounded(c, true, true, props));
      const ExploreResult coarse = Explore(s, Bounded(c, true, false, props));
      const std::string what = std::string(c.file) + " " + c.target + (props.empty() ? " all" : " PR3");
      EXPECT_EQ(full.found, fine.found) << what;
      EXPECT_EQ(full.found, coarse.found) << what;
      if (full.found) continue;  // each stops at its first counterexample: the final states seen differ
      ASSERT_TRUE(full.exhaustive && fine.exhaustive && coarse.exhaustive) << what;
      EXPECT_EQ(full.final_states, fine.final_states) << what;
      EXPECT_EQ(full.final_states, coarse.final_states) << what;
      EXPECT_LE(fine.schedules, full.schedules) << what;
      fine_pruned_more |= fine.schedules < coarse.schedules;
      several_finals |= full.final_states.size() > 1;
    }
  }
  EXPECT_TRUE(fine_pruned_more);
  EXPECT_TRUE(several_finals);
}

// At K = 1 the coarse table prunes nothing on the lost-wake bench (a preempting sibling always meets a wait or a
// wake, dependent with everything there, before it needs the sleeping CPU); the fine relation does. Measured with
// state hashing: upstream 3 offline, 4,525 schedules coarse against 3,187 fine.
TEST(BoundedSleepSets, FinePrunesAtOnePreemptionWhereTheCoarseTableCannot) {
  const Case c{"/bench/explore/lost_wake_2_offline.textproto", "ppc-upstream-clear-then-check", 1};
  const pb::Scenario s = LoadWithoutSchedule(c.file);
  const ExploreResult fine = Explore(s, Bounded(c, true, true, {"PR3"}));
  const ExploreResult coarse = Explore(s, Bounded(c, true, false, {"PR3"}));
  EXPECT_EQ(coarse.sleep_skipped, 0u);
  EXPECT_GT(fine.sleep_skipped, 0u);
  EXPECT_LT(fine.schedules, coarse.schedules);
}

// The v1 lost wake is still found, with state hashing too, and its reproducer replays.
TEST(BoundedSleepSets, StillFindTheV1LostWake) {
  for (int n : {1, 2, 3}) {
    ExploreOptions o;
    o.target = "ppc-v1-check-before-clear";
    o.preemptions = 1;
    o.properties = {"PR3"};
    const ExploreResult r =
        Explore(LoadWithoutSchedule("/bench/explore/lost_wake_" + std::to_string(n) + "_offline.textproto"), o);
    EXPECT_TRUE(r.found) << n;
    EXPECT_TRUE(r.reproducer_replays) << n;
  }
}

}  // namespace
}  // namespace crashdiff
