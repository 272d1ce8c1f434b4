// Segment sleep sets (docs/EXPLORE.md, "Segment sleep sets"): an explored sibling's whole segment (its steps until it
// can no longer run) sleeps in the later siblings, at free switches and among preempting siblings, and a state
// explored with nobody asleep covers the same state reached with sleeping CPUs. On instances small enough to run
// every schedule within the bound, the reduced search must reach exactly the final states and the verdicts of the
// search without reduction (fine and coarse relations); sleeping only a sibling's first step must fail that; on the
// lost-wake bench it must prune where the restricted sleep sets cannot.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "explore/explorer.h"
#include "targets/target.h"
#include "tests/fixtures/explore_test_util.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LoadWithoutSchedule;
using testing::ScenarioFromText;

// Two CPUs after a free switch (cpu0 has nothing to do): cpu1 makes a private step, then writes `w`, then another
// private step; cpu2 reads `w` and parks at a location that shows what it read. With `shared` false, cpu2 reads a
// variable of its own instead and nothing conflicts. Without a preemption (K = 0) the two orders 1 1 1 2 2 and
// 2 2 1 1 1 are the only schedules; when they conflict, each is the only one of its final state within the bound.
// Putting cpu1's first step alone to sleep in cpu2's subtree (it is independent of cpu2's steps) would lose
// 2 2 1 1 1: its equivalent 1 2 2 1 1 needs a preemption. Its whole segment conflicts with cpu2's read.
class SegmentProgram : public Program {
 public:
  SegmentProgram(Machine& m, bool shared) : shared_(shared), w_(m.NewVar("w", 0)), own_(m.NewVar("own", 0)) {}
  Task<> Start(Cpu& cpu) override {
    if (cpu.id() == 1) {
      co_await cpu.local("A1", "private");
      co_await cpu.write(w_, 1, "A2");
      co_await cpu.local("A3", "private");
    } else if (cpu.id() == 2) {
      const int64_t seen = co_await cpu.read(shared_ ? w_ : own_, "B1");
      co_await cpu.park(seen != 0 ? Location::kTransit : Location::kOfflineLoop, "B2");
    }
  }
  Task<> Interrupt(Cpu& /*cpu*/, Source /*s*/) override { co_return; }
  Task<> Software(Cpu& /*cpu*/, const pb::Event& /*e*/) override { co_return; }

 private:
  bool shared_;
  Var& w_;
  Var& own_;
};

const char* SegmentTarget(bool shared) {
  static const bool registered = [] {
    static const auto spec = [](const char* name, bool shared) {
      return testing::TestProgramSpec(name, [shared](Machine& m) -> std::unique_ptr<Program> {
        return std::make_unique<SegmentProgram>(m, shared);
      });
    };
    static const TargetSpec conflicting = spec("test-segment-conflicting", true);
    static const TargetSpec independent = spec("test-segment-independent", false);
    return RegisterTarget(conflicting) && RegisterTarget(independent);
  }();
  (void)registered;
  return shared ? "test-segment-conflicting" : "test-segment-independent";
}

using Case = testing::ExploreCase;
using testing::LostWakeBench;
using testing::SmallExploreCases;

enum class Mode { kNone, kRestricted, kSegments };

ExploreOptions Options(const Case& c, Mode mode, bool hashing, std::vector<std::string> properties) {
  ExploreOptions o;
  o.target = c.target;
  o.preemptions = c.k;
  o.reduction = mode != Mode::kNone;
  o.segment_sleep = mode == Mode::kSegments;
  o.persistent_sets = false;  // segments alone (persistent_sets_test.cc has both)
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
  for (const Case& c : SmallExploreCases()) {
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    const std::string what = c.file + " " + c.target + " K=" + std::to_string(c.k);
    const ExploreResult full = Explore(s, Options(c, Mode::kNone, false, kNoProperty));
    const ExploreResult sleep = Explore(s, Options(c, Mode::kSegments, false, kNoProperty));
    const ExploreResult hashed = Explore(s, Options(c, Mode::kSegments, true, kNoProperty));
    ExploreOptions coarse_options = Options(c, Mode::kSegments, true, kNoProperty);
    coarse_options.fine_dependency = false;  // the coarse table's footprints
    const ExploreResult coarse = Explore(s, coarse_options);
    ASSERT_TRUE(full.exhaustive && sleep.exhaustive && hashed.exhaustive && coarse.exhaustive) << what;
    EXPECT_EQ(full.final_states, sleep.final_states) << what;
    EXPECT_EQ(full.final_states, hashed.final_states) << what;
    EXPECT_EQ(full.final_states, coarse.final_states) << what;
    EXPECT_LE(sleep.schedules, full.schedules) << what;
    segments_slept |= sleep.segment_sleepers > 0;
    several_finals |= full.final_states.size() > 1;
    for (const std::vector<std::string>& props : {std::vector<std::string>{"PR3"}, std::vector<std::string>{}}) {
      const ExploreResult a = Explore(s, Options(c, Mode::kNone, false, props));
      const ExploreResult b = Explore(s, Options(c, Mode::kSegments, true, props));
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
    const Case c{LostWakeBench(4), target, 1};
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    const ExploreResult before = Explore(s, Options(c, Mode::kRestricted, true, kNoProperty));
    const ExploreResult after = Explore(s, Options(c, Mode::kSegments, true, kNoProperty));
    ASSERT_TRUE(before.exhaustive && after.exhaustive) << target;
    EXPECT_EQ(before.final_states, after.final_states) << target;
  }
}

// The segments sleep on the bench: fewer runs (complete, cut asleep, cut at an explored state) than with only the
// non-preempting step asleep, and the same guarantee.
TEST(SegmentSleep, PrunesTheLostWakeBenchBeyondTheRestrictedSleepSets) {
  const Case c{LostWakeBench(4), "ppc-upstream-clear-then-check", 1};
  const pb::Scenario s = LoadWithoutSchedule(c.file);
  const ExploreResult before = Explore(s, Options(c, Mode::kRestricted, true, {"PR3"}));
  const ExploreResult after = Explore(s, Options(c, Mode::kSegments, true, {"PR3"}));
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
      const ExploreResult r = Explore(LoadWithoutSchedule(LostWakeBench(n)), o);
      EXPECT_TRUE(r.found) << n << " deepen " << deepen;
      EXPECT_TRUE(r.reproducer_replays) << n << " deepen " << deepen;
    }
  }
}

ExploreResult Segments(bool shared, bool reduction, bool segments) {
  ExploreOptions o;
  o.target = SegmentTarget(shared);
  o.preemptions = 0;
  o.reduction = reduction;
  o.segment_sleep = segments;
  o.persistent_sets = false;  // it would cover the free switch: the sibling whose segment sleeps is then not run
  o.state_hashing = false;
  o.properties = kNoProperty;
  return Explore(
      ScenarioFromText("machine { family: PPC platform: POWER9_DOORBELL_XIVE threads_per_core: 1 cores: 3 }"), o);
}

// When cpu1's later step conflicts with cpu2's read, its segment does not sleep and both final states stay; when
// nothing conflicts, it sleeps and the other order is not run (same single final state).
TEST(SegmentSleep, AWholeSegmentSleepsNotJustItsFirstStep) {
  const ExploreResult full = Segments(true, false, false);
  const ExploreResult reduced = Segments(true, true, true);
  ASSERT_TRUE(full.exhaustive && reduced.exhaustive);
  EXPECT_EQ(full.final_states.size(), 2u);
  EXPECT_EQ(reduced.final_states, full.final_states);

  const ExploreResult independent_full = Segments(false, false, false);
  const ExploreResult independent = Segments(false, true, true);
  ASSERT_TRUE(independent_full.exhaustive && independent.exhaustive);
  EXPECT_EQ(independent.final_states, independent_full.final_states);
  EXPECT_GT(independent.segment_sleepers, 0u);
  EXPECT_LT(independent.schedules, independent_full.schedules);
  EXPECT_EQ(Segments(false, true, false).segment_sleepers, 0u);
}

// The incremental fingerprint still equals a full recomputation at every choice, for the sleep-set-free key too.
TEST(SegmentSleep, FingerprintsWithSegmentSleepersMatchTheFullRecomputation) {
  const Case c{LostWakeBench(2), "ppc-upstream-clear-then-check", 1};
  ExploreOptions o = Options(c, Mode::kSegments, true, {"PR3"});
  o.verify_fingerprints = true;
  const ExploreResult r = Explore(LoadWithoutSchedule(c.file), o);
  EXPECT_TRUE(r.exhaustive);
  EXPECT_EQ(r.fingerprint_mismatches, 0u);
}

}  // namespace
}  // namespace crashdiff
