// Source-set DPOR (explore/explorer.h, docs/EXPLORE.md "DPOR"): on small scenarios it reaches exactly the same
// distinct final states and the same verdict as the plain search over every interleaving (no preemption bound, no
// reduction), with fewer schedules; the CLI asks for an unbounded search.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>

#include "explore/explorer.h"
#include "sim/machine.h"
#include "sim/scenario_io.h"
#include "targets/target.h"
#include "tests/fixtures/cli_test_util.h"
#include "tests/fixtures/explore_test_util.h"

namespace crashdiff {
namespace {

using testing::LoadWithoutSchedule;

ExploreOptions Unbounded(const std::string& target, bool dpor) {  // PR3 only: every run is checked to its end
  ExploreOptions o;
  o.target = target;
  o.preemptions = kNoPreemptionBound;
  o.dpor = dpor;
  o.reduction = dpor;
  o.state_hashing = false;
  o.properties = {"PR3"};
  return o;
}

struct Case {
  const char* file;
  const char* target;
};

// Small scenarios whose every interleaving can be run (a few hundred schedules; docs/PERFORMANCE.md has a larger
// one: x86 pr11_kick_before_monitor_armed on x86-nmi-shootdown, 541,196 plain schedules against 1,656 with DPOR).
constexpr Case kSmall[] = {
    {"/corpus/seeds/x86/kexec_stop_online_bit_race.textproto", "x86-mwait-prefix"},
    {"/corpus/seeds/x86/kexec_stop_online_bit_race.textproto", "x86-mwait-fixed"},
    {"/corpus/seeds/arm64/post_notifiers_no_image.textproto", "arm64-psci"},
    {"/corpus/seeds/x86/kdump_post_notifiers_never_started.textproto", "x86-mwait-fixed"},
    {"/corpus/seeds/x86/h_kexec_from_non_boot_cpu.textproto", "x86-mwait-fixed"},
};

// Equivalent schedules end in the same final state: DPOR must reach every final state the plain search over all
// interleavings reaches, and (running a subset of them) no other; with all properties, the same verdict.
TEST(Dpor, SameFinalStatesAndVerdictAsThePlainSearch) {
  bool pruned = false;
  for (const Case& c : kSmall) {
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    const ExploreResult plain = Explore(s, Unbounded(c.target, false));
    const ExploreResult dpor = Explore(s, Unbounded(c.target, true));
    ASSERT_TRUE(plain.exhaustive) << c.file << " " << c.target;
    ASSERT_TRUE(dpor.exhaustive) << c.file << " " << c.target;
    EXPECT_EQ(plain.final_states, dpor.final_states) << c.file << " " << c.target;
    EXPECT_LE(dpor.schedules, plain.schedules) << c.file << " " << c.target;
    pruned |= dpor.schedules < plain.schedules;
    ExploreOptions all = Unbounded(c.target, false);
    all.properties = {};
    const ExploreResult plain_all = Explore(s, all);
    all.dpor = all.reduction = true;
    EXPECT_EQ(plain_all.found, Explore(s, all).found) << c.file << " " << c.target;
  }
  EXPECT_TRUE(pruned);
}

// Sleep sets only prune: DPOR without them reaches the same final states.
TEST(Dpor, SleepSetsOnlyPrune) {
  for (const Case& c : {kSmall[0], kSmall[2]}) {
    ExploreOptions o = Unbounded(c.target, true);
    const ExploreResult with = Explore(LoadWithoutSchedule(c.file), o);
    o.reduction = false;
    const ExploreResult without = Explore(LoadWithoutSchedule(c.file), o);
    EXPECT_EQ(with.final_states, without.final_states) << c.file << " " << c.target;
    EXPECT_LE(with.schedules, without.schedules) << c.file << " " << c.target;
  }
}

// The fine relation (per-step footprints, docs/EXPLORE.md "Dependency") against the coarse table: both reach the
// plain search's final states and verdict, and the fine one needs fewer schedules where the coarse one made blocks,
// wakes, interrupts, latches and book entries dependent with every step. Measured: arm64 post_notifiers_no_image
// 924 plain / 308 coarse / 7 fine; x86 kdump_post_notifiers_never_started 2,644 / 1,044 / 22.
TEST(Dpor, FineDependencyPrunesWhatTheCoarseTableCannot) {
  for (const Case& c : {kSmall[2], kSmall[3]}) {
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    const ExploreResult plain = Explore(s, Unbounded(c.target, false));
    ExploreOptions o = Unbounded(c.target, true);
    const ExploreResult fine = Explore(s, o);
    o.fine_dependency = false;
    const ExploreResult coarse = Explore(s, o);
    ASSERT_TRUE(plain.exhaustive && fine.exhaustive && coarse.exhaustive) << c.file;
    EXPECT_EQ(plain.final_states, fine.final_states) << c.file;
    EXPECT_EQ(plain.final_states, coarse.final_states) << c.file;
    EXPECT_LT(fine.schedules * 10, coarse.schedules) << c.file << ": " << fine.schedules << " vs " << coarse.schedules;
    ExploreOptions all = Unbounded(c.target, false);
    all.properties = {};
    const bool plain_found = Explore(s, all).found;
    all.dpor = all.reduction = true;
    EXPECT_EQ(plain_found, Explore(s, all).found) << c.file;
    all.fine_dependency = false;
    EXPECT_EQ(plain_found, Explore(s, all).found) << c.file;
  }
}

// On ppc the coarse table makes every hardware op, stop wake and book entry dependent with everything: the upstream
// target on no_crash_image_panic has more than 3,000,000 schedules under it (not done in 80 s) and 1,170 under the
// fine relation. Every interleaving is too many to run here, so the check is that DPOR's final states include those
// of the bounded search (two preemptions, every schedule within the bound), and that both verdicts agree.
TEST(Dpor, FineDependencyFinishesWhereTheCoarseTableDoesNot) {
  const pb::Scenario s = LoadWithoutSchedule("/corpus/seeds/ppc/no_crash_image_panic.textproto");
  ExploreOptions o = Unbounded("ppc-upstream-clear-then-check", true);
  const ExploreResult fine = Explore(s, o);
  ASSERT_TRUE(fine.exhaustive);
  EXPECT_LE(fine.schedules, 2000u);
  o.fine_dependency = false;
  o.max_schedules = 20'000;
  EXPECT_FALSE(Explore(s, o).exhaustive);
  ExploreOptions bounded;
  bounded.target = "ppc-upstream-clear-then-check";
  bounded.properties = {"PR3"};
  const ExploreResult b = Explore(s, bounded);
  ASSERT_TRUE(b.exhaustive);
  EXPECT_EQ(b.found, fine.found);
  EXPECT_TRUE(
      std::includes(fine.final_states.begin(), fine.final_states.end(), b.final_states.begin(), b.final_states.end()));
}

// The CLI chooses the relation; --coarse-dependency only means something with --dpor.
TEST(Dpor, CoarseDependencyFlag) {
  testing::TempDir dir;
  const std::string in = dir.Write("s.textproto", ScenarioToText(LoadWithoutSchedule(kSmall[2].file)));
  const std::string base = "explore " + in + " --target " + std::string(kSmall[2].target) + " --property PR3 --json";
  // The bounded search's sleep sets take the relation too (docs/EXPLORE.md, "Reduction").
  const testing::CommandResult bounded = testing::RunCrashdiff(base + " --preemptions 1");
  const testing::CommandResult bounded_coarse = testing::RunCrashdiff(base + " --preemptions 1 --coarse-dependency");
  EXPECT_NE(bounded.output.find("\"fine_dependency\":true"), std::string::npos) << bounded.output;
  EXPECT_NE(bounded_coarse.output.find("\"fine_dependency\":false"), std::string::npos) << bounded_coarse.output;
  const testing::CommandResult fine = testing::RunCrashdiff(base + " --dpor --preemptions none");
  const testing::CommandResult coarse = testing::RunCrashdiff(base + " --dpor --preemptions none --coarse-dependency");
  EXPECT_NE(fine.output.find("\"fine_dependency\":true"), std::string::npos) << fine.output;
  EXPECT_NE(coarse.output.find("\"fine_dependency\":false"), std::string::npos) << coarse.output;
}

// Recording footprints (RunOptions::access) changes nothing the machine does: the same trace, with and without.
TEST(Dpor, RecordingStepAccessKeepsTheTrace) {
  for (const Case& c : kSmall) {
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    uint64_t hash[2] = {};
    for (int with = 0; with < 2; ++with) {
      StepAccess access;
      RunOptions o;
      o.record_trace = false;
      if (with == 1) o.access = &access;
      Machine m(s, o);
      const std::unique_ptr<Program> program = FindTarget(c.target)->make(m);
      hash[with] = m.Run(*program).trace_hash;
      if (with == 1) EXPECT_FALSE(access.cpus_changed.empty()) << c.file;
    }
    EXPECT_EQ(hash[0], hash[1]) << c.file << " " << c.target;
  }
}

TEST(Dpor, NeedsAnUnboundedSearch) {
  ExploreOptions o = Unbounded(kSmall[0].target, true);
  o.preemptions = 2;
  EXPECT_THROW(Explore(LoadWithoutSchedule(kSmall[0].file), o), std::invalid_argument);
  testing::TempDir dir;
  const std::string in = dir.Write("s.textproto", ScenarioToText(LoadWithoutSchedule(kSmall[0].file)));
  const std::string base = "explore " + in + " --target " + std::string(kSmall[0].target) + " --property PR3 --dpor";
  EXPECT_EQ(testing::RunCrashdiff(base + " --preemptions 2").exit_code, 2);
  const testing::CommandResult ok = testing::RunCrashdiff(base + " --preemptions none");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("with any number of preemptions within 1000 steps, exhaustively ("), std::string::npos)
      << ok.output;
  EXPECT_NE(ok.output.find("source-set DPOR"), std::string::npos) << ok.output;
}

}  // namespace
}  // namespace crashdiff
