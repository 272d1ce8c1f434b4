// Segment sleep sets across free switches (docs/EXPLORE.md, "Segment sleep sets across free switches"): at a choice
// where the CPU that ran last cannot run, an explored sibling's whole segment sleeps in the later siblings, and a
// state explored with nobody asleep covers the same state reached with sleeping CPUs. On instances small enough to
// run every schedule within the bound, the reduced search must reach exactly the final states and the verdicts of
// the search without reduction; on the lost-wake bench it must prune where the restricted sleep sets cannot.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "explore/explorer.h"
#include "tests/fixtures/explore_test_util.h"

namespace crashdiff {
namespace {

using testing::LoadWithoutSchedule;

struct Case {
  std::string file;
  const char* target;
  uint32_t k;
};

std::string Bench(int n) {
  return "/bench/explore/lost_wake_" + std::to_string(n) + "_offline.textproto";
}

std::vector<Case> SmallCases() {
  std::vector<Case> cases = {
      {"/corpus/seeds/x86/kexec_stop_online_bit_race.textproto", "x86-mwait-prefix", 2},
      {"/corpus/seeds/arm64/post_notifiers_no_image.textproto", "arm64-psci", 2},
      {"/corpus/seeds/ppc/b_stray_doorbell_before_crash_wake.textproto", "ppc-upstream-clear-then-check", 2},
      {"/corpus/seeds/ppc/b_stray_doorbell_before_crash_wake.textproto", "ppc-v1-check-before-clear", 2},
  };
  for (int n : {1, 2, 3}) {
    cases.push_back({Bench(n), "ppc-upstream-clear-then-check", 1});
    cases.push_back({Bench(n), "ppc-v1-check-before-clear", 1});
  }
  return cases;
}

enum class Mode { kNone, kRestricted, kFreeSwitch };

ExploreOptions Options(const Case& c, Mode mode, bool hashing, std::vector<std::string> properties) {
  ExploreOptions o;
  o.target = c.target;
  o.preemptions = c.k;
  o.reduction = mode != Mode::kNone;
  o.segment_sleep = mode == Mode::kFreeSwitch;
  o.state_hashing = hashing;
  o.properties = std::move(properties);
  return o;
}

// No property of that name: nothing counts as a violation, so every search runs to the end and the final states of
// the runs that lose the v1 wake are among those compared.
const std::vector<std::string> kNoProperty = {"none"};

// Equivalent schedules end in the same final state: with segments asleep across free switches (sleep sets alone,
// and with state hashing) the search reaches every final state the unreduced search reaches, and only those; the
// verdict is the same for PR3 and for every property.
TEST(SegmentSleep, KeepsTheFinalStatesAndTheVerdictOfTheUnreducedSearch) {
  bool segments_slept = false;
  bool several_finals = false;
  for (const Case& c : SmallCases()) {
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    const std::string what = c.file + " " + c.target + " K=" + std::to_string(c.k);
    const ExploreResult full = Explore(s, Options(c, Mode::kNone, false, kNoProperty));
    const ExploreResult sleep = Explore(s, Options(c, Mode::kFreeSwitch, false, kNoProperty));
    const ExploreResult hashed = Explore(s, Options(c, Mode::kFreeSwitch, true, kNoProperty));
    ASSERT_TRUE(full.exhaustive && sleep.exhaustive && hashed.exhaustive) << what;
    EXPECT_EQ(full.final_states, sleep.final_states) << what;
    EXPECT_EQ(full.final_states, hashed.final_states) << what;
    EXPECT_LE(sleep.schedules, full.schedules) << what;
    segments_slept |= sleep.segment_sleepers > 0;
    several_finals |= full.final_states.size() > 1;
    for (const std::vector<std::string>& props : {std::vector<std::string>{"PR3"}, std::vector<std::string>{}}) {
      const ExploreResult a = Explore(s, Options(c, Mode::kNone, false, props));
      const ExploreResult b = Explore(s, Options(c, Mode::kFreeSwitch, true, props));
      EXPECT_EQ(a.found, b.found) << what << (props.empty() ? " all" : " PR3");
      if (a.found && b.found) EXPECT_EQ(a.violations.front().property, b.violations.front().property) << what;
    }
  }
  EXPECT_TRUE(segments_slept);
  EXPECT_TRUE(several_finals);
}

// At 4 offline the unreduced search is too long for a test: the reference is the restricted reduction with state
// hashing (itself checked against the unreduced search above and in bounded_fine_test.cc).
TEST(SegmentSleep, FourOfflineReachesTheRestrictedSearchsFinalStates) {
  for (const char* target : {"ppc-upstream-clear-then-check", "ppc-v1-check-before-clear"}) {
    const Case c{Bench(4), target, 1};
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    const ExploreResult before = Explore(s, Options(c, Mode::kRestricted, true, kNoProperty));
    const ExploreResult after = Explore(s, Options(c, Mode::kFreeSwitch, true, kNoProperty));
    ASSERT_TRUE(before.exhaustive && after.exhaustive) << target;
    EXPECT_EQ(before.final_states, after.final_states) << target;
  }
}

// The segments sleep on the bench: fewer runs (complete, cut asleep, cut at an explored state) than with only the
// non-preempting step asleep, and the same guarantee.
TEST(SegmentSleep, PrunesTheLostWakeBenchBeyondTheRestrictedSleepSets) {
  const Case c{Bench(4), "ppc-upstream-clear-then-check", 1};
  const pb::Scenario s = LoadWithoutSchedule(c.file);
  const ExploreResult before = Explore(s, Options(c, Mode::kRestricted, true, {"PR3"}));
  const ExploreResult after = Explore(s, Options(c, Mode::kFreeSwitch, true, {"PR3"}));
  ASSERT_TRUE(before.exhaustive && after.exhaustive);
  EXPECT_FALSE(after.found);
  EXPECT_GT(after.segment_sleepers, 0u);
  EXPECT_EQ(before.segment_sleepers, 0u);
  EXPECT_LT(after.steps_executed, before.steps_executed);
}

// The v1 lost wake is still found, and its reproducer replays; with --deepen too.
TEST(SegmentSleep, StillFindsTheV1LostWake) {
  for (int n : {1, 2, 3, 4}) {
    for (bool deepen : {false, true}) {
      ExploreOptions o;
      o.target = "ppc-v1-check-before-clear";
      o.preemptions = 1;
      o.properties = {"PR3"};
      o.deepen = deepen;
      const ExploreResult r = Explore(LoadWithoutSchedule(Bench(n)), o);
      EXPECT_TRUE(r.found) << n << " deepen " << deepen;
      EXPECT_TRUE(r.reproducer_replays) << n << " deepen " << deepen;
    }
  }
}

// The incremental fingerprint still equals a full recomputation at every choice, for the sleep-set-free key too.
TEST(SegmentSleep, FingerprintsWithSegmentSleepersMatchTheFullRecomputation) {
  const Case c{Bench(2), "ppc-upstream-clear-then-check", 1};
  ExploreOptions o = Options(c, Mode::kFreeSwitch, true, {"PR3"});
  o.verify_fingerprints = true;
  const ExploreResult r = Explore(LoadWithoutSchedule(c.file), o);
  EXPECT_TRUE(r.exhaustive);
  EXPECT_EQ(r.fingerprint_mismatches, 0u);
}

}  // namespace
}  // namespace crashdiff
