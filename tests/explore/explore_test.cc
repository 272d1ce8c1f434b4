// Systematic exploration (explore/explorer.h, docs/EXPLORE.md) on the v1 lost wake of DOMAIN §3.2: the seed
// scenario without its schedule (only its events, which keep their triggers). Exploration must find the
// interleaving the seed's schedule spells out, as a reproducer `crashdiff run` replays, on the check-before-clear
// target, and prove the clear-then-check target clean within the same bound.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "diff/differential.h"
#include "diff/runner.h"
#include "explore/explorer.h"
#include "sim/scenario_io.h"
#include "tests/fixtures/cli_test_util.h"

namespace crashdiff {
namespace {

constexpr char kV1[] = "ppc-v1-check-before-clear";
constexpr char kUpstream[] = "ppc-upstream-clear-then-check";
constexpr char kSeed[] = "/corpus/seeds/ppc/b_stray_doorbell_before_crash_wake.textproto";

// The seed with its schedule removed: the scenario's policy would pick one interleaving; exploration tries them.
pb::Scenario Unscheduled() {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + kSeed);
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  pb::Scenario s = r.scenario.value_or(pb::Scenario());
  s.mutable_schedule()->clear_choices();
  return s;
}

ExploreOptions Options(const std::string& target, uint32_t k, std::vector<std::string> properties = {}) {
  ExploreOptions o;
  o.target = target;
  o.preemptions = k;
  o.max_steps = 200;
  o.properties = std::move(properties);
  o.state_hashing = false;  // these tests pin the stateless search and its sleep sets (state_hashing_test.cc: the rest)
  return o;
}

bool Has(const std::vector<Violation>& vs, const std::string& property) {
  for (const Violation& v : vs) {
    if (v.property == property) return true;
  }
  return false;
}

TEST(Explore, UnscheduledSeedShowsNoLostWakeUnderItsPolicy) {
  // The premise: without the seed's schedule the default policy does not lose the wake on v1.
  const pb::Scenario s = Unscheduled();
  const RunResult r = RunOnTarget(*FindTarget(kV1), s);
  const DiffReport d = RunDifferential(s, DiffOptions{.only_target = kV1});
  for (const Divergence& x : d.divergences) EXPECT_NE(x.property, "PR3") << x.signature;
  EXPECT_GT(r.steps, 0u);
}

TEST(Explore, FindsTheV1LostWakeWithinOnePreemption) {
  const ExploreResult res = Explore(Unscheduled(), Options(kV1, 1, {"PR3"}));
  ASSERT_TRUE(res.found);
  EXPECT_FALSE(res.exhaustive);
  EXPECT_TRUE(Has(res.violations, "PR3"));
  EXPECT_TRUE(res.reproducer_replays);
  // The reproducer, written as text and read back, replays to the same lost wake through the differential.
  const LoadResult back = ParseScenarioText(ScenarioToText(res.reproducer), "reproducer");
  ASSERT_TRUE(back.scenario) << (back.errors.empty() ? "" : back.errors.front());
  const DiffReport d = RunDifferential(*back.scenario, DiffOptions{.only_target = kV1});
  bool lost = false;
  for (const Divergence& x : d.divergences) lost |= x.property == "PR3" && x.short_name == "lost-wake";
  EXPECT_TRUE(lost);
}

TEST(Explore, NoPreemptionFindsNoLostWake) {
  // The lost wake needs the crash to preempt the woken thread between its check and its clear.
  const ExploreResult res = Explore(Unscheduled(), Options(kV1, 0, {"PR3"}));
  EXPECT_FALSE(res.found);
  EXPECT_TRUE(res.exhaustive);
}

TEST(Explore, UpstreamIsExhaustivelyCleanWithinTheSameBound) {
  const ExploreOptions o = Options(kUpstream, 1, {"PR3"});
  const ExploreResult res = Explore(Unscheduled(), o);
  EXPECT_FALSE(res.found);
  ASSERT_TRUE(res.exhaustive);
  EXPECT_GT(res.schedules, 1u);
  EXPECT_EQ(GuaranteeText(o, res),
            "no violation of PR3 on target ppc-upstream-clear-then-check within 1 "
            "preemptions and 200 steps, exhaustively (" +
                std::to_string(res.schedules) + " schedules)");
  // Every property too: crash_kexec_wait_realmode waits for online CPUs only, but skiboot's opal_reinit_cpus (in
  // the initiator's pnv_kexec_cpu_down) gives the woken offline thread a second to return to OPAL, so it is parked
  // at hand-over in every schedule.
  const ExploreResult all = Explore(Unscheduled(), Options(kUpstream, 1));
  EXPECT_FALSE(all.found);
  EXPECT_TRUE(all.exhaustive);
}

// ExploreOptions::accept narrows what counts to one mechanism (the documented-bug bench looks for each target's
// own): a filter that takes nothing leaves the search to the end, and its guarantee says it covered only that kind.
TEST(Explore, AcceptNarrowsWhatCountsAndTheGuaranteeSaysSo) {
  ExploreOptions o = Options(kV1, 1, {"PR3"});
  const KnownDivergence* lost_wake = nullptr;
  for (const KnownDivergence& k : FindTarget(kV1)->known) {
    if (k.property == "PR3") lost_wake = &k;
  }
  ASSERT_NE(lost_wake, nullptr);
  const pb::Platform platform = Unscheduled().machine().platform();
  o.accept = [&](const Violation& v) { return MatchesKnown(*lost_wake, v, platform); };
  const ExploreResult found = Explore(Unscheduled(), o);
  ASSERT_TRUE(found.found);
  for (const Violation& v : found.violations) EXPECT_TRUE(MatchesKnown(*lost_wake, v, platform)) << v.what;

  o.accept = [](const Violation&) { return false; };
  const ExploreResult none = Explore(Unscheduled(), o);
  EXPECT_FALSE(none.found);
  ASSERT_TRUE(none.exhaustive);
  EXPECT_GT(none.schedules, found.schedules);
  EXPECT_NE(GuaranteeText(o, none).find("no violation of PR3 of the kind asked for on target"), std::string::npos)
      << GuaranteeText(o, none);
}

// A scenario whose step budget cuts its runs: the guarantee says what it does not cover (what a cut run never did
// is not judged, docs/ORACLE.md), rather than claiming PR8 and the other "never" properties hold.
TEST(Explore, RunsTheStepBudgetCutsAreCountedAndNamedInTheGuarantee) {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) +
                                  "/corpus/seeds/ppc/p9_pair_stop8_quad_stop11_one_wake.textproto");
  ASSERT_TRUE(r.scenario);
  pb::Scenario s = *r.scenario;
  s.mutable_schedule()->clear_choices();
  s.mutable_schedule()->set_step_budget(100);  // its runs take hundreds of steps
  ExploreOptions o = Options(kUpstream, 0);
  o.max_schedules = 3;
  const ExploreResult res = Explore(s, o);
  EXPECT_FALSE(res.found);
  ASSERT_GT(res.schedules, 0u);
  EXPECT_EQ(res.runs_budget_cut, res.schedules);
  EXPECT_NE(GuaranteeText(o, res).find(std::to_string(res.schedules) + " runs cut by the scenario's step budget"),
            std::string::npos)
      << GuaranteeText(o, res);
}

TEST(Explore, AScheduleCapIsNotExhaustive) {
  ExploreOptions o = Options(kUpstream, 1, {"PR3"});
  o.max_schedules = 3;
  const ExploreResult res = Explore(Unscheduled(), o);
  EXPECT_FALSE(res.exhaustive);
  EXPECT_EQ(res.schedules, 3u);
  EXPECT_NE(GuaranteeText(o, res).find("bound reached, not exhaustive"), std::string::npos);
}

TEST(Explore, Deterministic) {
  for (const char* target : {kV1, kUpstream}) {
    const ExploreResult a = Explore(Unscheduled(), Options(target, 2, {"PR3"}));
    const ExploreResult b = Explore(Unscheduled(), Options(target, 2, {"PR3"}));
    EXPECT_EQ(a.schedules, b.schedules) << target;
    EXPECT_EQ(a.distinct_final_states, b.distinct_final_states) << target;
    EXPECT_EQ(a.sleep_skipped, b.sleep_skipped) << target;
    EXPECT_EQ(a.sleep_blocked, b.sleep_blocked) << target;
    EXPECT_EQ(a.picks, b.picks) << target;
  }
}

TEST(Explore, ReductionExploresFewerSchedulesWithTheSameVerdict) {
  // Only the non-preempting step is ever put to sleep (docs/EXPLORE.md), so pruning needs a budget left to
  // switch back: K = 3 on this scenario.
  for (const auto& [target, k] : {std::pair{kV1, 1u}, {kV1, 2u}, {kUpstream, 3u}}) {
    ExploreOptions o = Options(target, k, {"PR3"});
    const ExploreResult reduced = Explore(Unscheduled(), o);
    o.reduction = false;
    const ExploreResult full = Explore(Unscheduled(), o);
    EXPECT_EQ(reduced.found, full.found) << target << " K=" << k;
    EXPECT_EQ(reduced.exhaustive, full.exhaustive) << target << " K=" << k;
    if (!full.found) {
      EXPECT_LT(reduced.schedules, full.schedules) << target << " K=" << k;
      EXPECT_GT(reduced.sleep_skipped, 0u) << target << " K=" << k;
      // Sleep sets never lose a final state: equivalent schedules end in the same one.
      EXPECT_EQ(reduced.distinct_final_states, full.distinct_final_states) << target << " K=" << k;
    }
  }
}

TEST(Explore, ExplicitScheduleIsRunLengthEncoded) {
  pb::Scenario out;
  ASSERT_TRUE(WithExplicitSchedule(Unscheduled(), {0, 0, 1, 1, 1, 0}, out));
  ASSERT_EQ(out.schedule().choices_size(), 3);
  EXPECT_EQ(out.schedule().choices(0).cpu(), 0u);
  EXPECT_EQ(out.schedule().choices(0).steps(), 2u);
  EXPECT_EQ(out.schedule().choices(1).cpu(), 1u);
  EXPECT_EQ(out.schedule().choices(1).steps(), 3u);
  EXPECT_EQ(out.schedule().choices(2).steps(), 1u);
}

TEST(Explore, CommandWritesAReproducerThatRunReplays) {
  testing::TempDir dir;
  const std::string in = dir.Write("b.textproto", ScenarioToText(Unscheduled()));
  const std::string out = dir.path() + "/cx.textproto";
  const testing::CommandResult e = testing::RunCrashdiff("explore " + in + " --target " + std::string(kV1) +
                                                         " --preemptions 1 --property PR3 --out " + out);
  EXPECT_EQ(e.exit_code, 1) << e.output;
  EXPECT_NE(e.output.find("VIOLATION"), std::string::npos) << e.output;
  EXPECT_NE(e.output.find("replay checked"), std::string::npos) << e.output;
  const testing::CommandResult r = testing::RunCrashdiff("run " + out + " --target " + std::string(kV1));
  EXPECT_NE(r.output.find("PR3 lost-wake"), std::string::npos) << r.output;

  const testing::CommandResult clean = testing::RunCrashdiff("explore " + in + " --target " + std::string(kUpstream) +
                                                             " --preemptions 1 --property PR3");
  EXPECT_EQ(clean.exit_code, 0) << clean.output;
  EXPECT_NE(clean.output.find("no violation of PR3 on target ppc-upstream-clear-then-check within 1 "
                              "preemptions and 1000 steps, exhaustively ("),
            std::string::npos)
      << clean.output;
  EXPECT_EQ(testing::RunCrashdiff("explore " + in + " --target " + std::string(kV1) + " --property PR12").exit_code, 2);
}

// A counterexample's divergences are judged against the corpus as `run` judges them: the upstream offline thread
// that busy-polls (no usable stop state) and is still in its loop at hand-over is a triaged root cause, not NEW.
TEST(Explore, JudgesTheCounterexampleAgainstTheCorpus) {
  testing::TempDir dir;
  LoadResult loaded = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) +
                                       "/corpus/findings/ppc/busy_poll_no_idle_state_mce_after_handover.textproto");
  ASSERT_TRUE(loaded.scenario.has_value());
  const std::string in = dir.Write("busy.textproto", ScenarioToText(*loaded.scenario));
  const testing::CommandResult e = testing::RunCrashdiff("explore " + in + " --target " + std::string(kUpstream) +
                                                             " --preemptions 0 --out " + dir.path() + "/cx.textproto",
                                                         "CRASHDIFF_SOURCE_DIR=" + std::string(CRASHDIFF_SOURCE_DIR));
  EXPECT_EQ(e.exit_code, 1) << e.output;
  EXPECT_NE(e.output.find("[triaged] PR1 unsafe-parking: offline-target OFFLINE_LOOP at hand-over"), std::string::npos)
      << e.output;
  EXPECT_EQ(e.output.find("[NEW]"), std::string::npos) << e.output;
}

}  // namespace
}  // namespace crashdiff
