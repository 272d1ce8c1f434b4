// State hashing (explore/state.h, docs/EXPLORE.md "State hashing"): pruning at explored states never loses the v1
// lost wake, keeps the set of distinct final outcomes, and the visited set stays within its memory bound; the PCT
// campaign's probability bound (explore/pct.h).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "explore/explorer.h"
#include "explore/pct.h"
#include "explore/state.h"
#include "sim/scenario_io.h"
#include "targets/target.h"

namespace crashdiff {
namespace {

constexpr char kV1[] = "ppc-v1-check-before-clear";
constexpr char kUpstream[] = "ppc-upstream-clear-then-check";

pb::Scenario Bench(int offline) {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/bench/explore/lost_wake_" +
                                  std::to_string(offline) + "_offline.textproto");
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario());
}

ExploreOptions Options(const std::string& target, uint32_t k, bool hashing) {
  ExploreOptions o;
  o.target = target;
  o.preemptions = k;
  o.properties = {"PR3"};
  o.state_hashing = hashing;
  o.memory_bytes = 16 << 20;
  return o;
}

TEST(StateHashing, StillFindsTheV1LostWake) {
  for (int n : {1, 2, 3}) {
    const ExploreResult res = Explore(Bench(n), Options(kV1, 1, true));
    EXPECT_TRUE(res.found) << n << " offline";
    EXPECT_TRUE(res.reproducer_replays) << n << " offline";
  }
}

TEST(StateHashing, SameVerdictAndFinalOutcomesWithAndWithoutPruning) {
  for (int n : {1, 2}) {
    for (uint32_t k : {1u, 2u}) {
      ExploreOptions o = Options(kUpstream, k, false);
      o.properties = {"PR3"};
      const ExploreResult full = Explore(Bench(n), o);
      o.state_hashing = true;
      const ExploreResult pruned = Explore(Bench(n), o);
      EXPECT_TRUE(full.exhaustive && pruned.exhaustive);
      EXPECT_EQ(full.found, pruned.found);
      EXPECT_EQ(full.distinct_final_states, pruned.distinct_final_states) << n << " offline, K=" << k;
      EXPECT_LE(pruned.schedules, full.schedules);
    }
  }
  // Where pruning has something to cut, it cuts.
  ExploreOptions o = Options(kUpstream, 2, true);
  EXPECT_GT(Explore(Bench(2), o).state_pruned, 0u);
}

// The incremental fingerprint (per-CPU terms recomputed only for what a step touched) equals the one computed
// from scratch at every choice point, on every target of every family: seeds without their schedules, K = 1.
TEST(StateHashing, IncrementalFingerprintEqualsFullRecomputation) {
  const std::string seeds = std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/";
  uint64_t states = 0;
  for (const char* file :
       {"ppc/b_stray_doorbell_before_crash_wake.textproto", "ppc/c_concurrent_panic_sysreset_partial_failure.textproto",
        "ppc/xive_ipi_stray_and_device.textproto", "x86/monitor_write_spurious_before_kexec.textproto",
        "x86/kexec_races_panic.textproto", "x86/hotplug_up_races_crash.textproto",
        "arm64/hotplug_down_races_crash.textproto", "arm64/j_double_oops_pseudo_nmi.textproto"}) {
    LoadResult r = LoadScenarioFile(seeds + file);
    ASSERT_TRUE(r.scenario) << file;
    pb::Scenario s = *r.scenario;
    s.mutable_schedule()->clear_choices();
    for (const TargetSpec* t : AllTargets()) {
      if (t->family != s.machine().family() || !t->Supports(s.machine().platform())) continue;
      ExploreOptions o = Options(t->name, 1, true);
      o.properties = {};
      o.max_schedules = 40;
      o.verify_fingerprints = true;
      const ExploreResult res = Explore(s, o);
      EXPECT_EQ(res.fingerprint_mismatches, 0u) << file << " on " << t->name;
      states += res.distinct_states;
    }
  }
  EXPECT_GT(states, 100u);
}

// Trying the preempting choices first reaches the v1 lost wake (an early preemption) after far fewer schedules,
// and an exhaustive search in that order reaches the same final states.
TEST(StateHashing, PreemptFirstFindsEarlyPreemptionBugsSooner) {
  for (int n : {1, 2, 3}) {
    ExploreOptions o = Options(kV1, 1, true);
    const ExploreResult plain = Explore(Bench(n), o);
    o.preempt_first = true;
    const ExploreResult early = Explore(Bench(n), o);
    ASSERT_TRUE(plain.found && early.found) << n;
    EXPECT_TRUE(early.reproducer_replays) << n;
    EXPECT_LT(early.schedules, plain.schedules) << n;
  }
  ExploreOptions o = Options(kUpstream, 2, true);
  const ExploreResult plain = Explore(Bench(1), o);
  o.preempt_first = true;
  const ExploreResult early = Explore(Bench(1), o);
  EXPECT_TRUE(plain.exhaustive && early.exhaustive);
  EXPECT_EQ(plain.final_states, early.final_states);
}

TEST(StateHashing, VisitedSetKeepsItsMemoryBoundAndCountsEvictions) {
  VisitedSet v(256 << 10);                          // at most 32768 slots
  EXPECT_EQ(v.memory_bytes(), uint64_t{32} << 10);  // it starts small and grows at half load
  for (uint64_t i = 1; i <= 3000; ++i) EXPECT_FALSE(v.Visit(Mix(0, i), 1));
  EXPECT_EQ(v.memory_bytes(), uint64_t{64} << 10);
  for (uint64_t i = 3001; i <= 100'000; ++i) EXPECT_FALSE(v.Visit(Mix(0, i), 1));
  EXPECT_EQ(v.memory_bytes(), uint64_t{256} << 10);  // never past the bound
  EXPECT_LE(v.size(), v.capacity());
  EXPECT_EQ(v.size() + v.evictions(), 100'000u);
  EXPECT_GT(v.evictions(), 0u);
  // A search with a tiny table still finds the violation (evictions only lose pruning).
  ExploreOptions o = Options(kV1, 1, true);
  o.memory_bytes = 1;  // rounded up to the minimum table
  const ExploreResult res = Explore(Bench(3), o);
  EXPECT_TRUE(res.found);
  EXPECT_LE(res.visited_memory_bytes, 8u << 10);
}

TEST(StateHashing, BudgetDecidesPruning) {
  VisitedSet v(1 << 16);
  EXPECT_FALSE(v.Visit(0x1234567800, 0));
  EXPECT_FALSE(v.Visit(0x1234567800, 1));  // more budget left than before: explore again
  EXPECT_TRUE(v.Visit(0x1234567800, 1));
  EXPECT_TRUE(v.Visit(0x1234567800, 0));
}

TEST(Pct, BoundFormula) {
  EXPECT_DOUBLE_EQ(PctPerRunBound(4, 100, 1), 0.25);
  EXPECT_DOUBLE_EQ(PctPerRunBound(4, 100, 3), 1.0 / (4 * 100.0 * 100.0));
  EXPECT_NEAR(PctCampaignBound(0.25, 2), 1 - 0.75 * 0.75, 1e-12);
  EXPECT_NEAR(PctCampaignBound(1e-9, 1000), 1e-6, 1e-12);
}

TEST(Pct, CampaignFindsTheV1LostWakeAndReplays) {
  PctOptions p;
  p.target = kV1;
  p.runs = 2000;
  p.depth = 2;
  p.properties = {"PR3"};
  const PctResult res = RunPct(Bench(1), p);
  ASSERT_TRUE(res.found);
  EXPECT_EQ(res.reproducer.schedule().policy(), pb::PCT);
  EXPECT_EQ(res.reproducer.schedule().seed(), res.seed);
  EXPECT_GT(res.campaign, 0.0);
}

}  // namespace
}  // namespace crashdiff
