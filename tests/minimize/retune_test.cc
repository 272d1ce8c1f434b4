// Retune (minimize/retune.h, `crashdiff retune`): after a model change moves what a reproducer's time or step
// anchors land on, the nearest variant that shows its bug again. The library on predicates over the scenario
// itself (which anchor, which direction, nearest first, seeds after triggers, invalid variants skipped), then a
// real reproducer knocked off its time and found again, and the command's exit codes.
#include "minimize/retune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>

#include "diff/differential.h"
#include "diff/finding.h"
#include "sim/scenario_io.h"
#include "tests/fixtures/cli_test_util.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::RunCrashdiff;
using testing::ScenarioFromText;
using testing::TempDir;

const std::string kSource = CRASHDIFF_SOURCE_DIR;

pb::Scenario TwoEvents(const std::string& schedule = "") {
  return ScenarioFromText(R"pb(
                            machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 }
                            events {
                              kind: STRAY_DOORBELL
                              cpus: 1
                              trigger { at_time_ns: 500 }
                            }
                            events {
                              kind: PANIC
                              cpus: 0
                              trigger { at_step: 100 }
                            }
                          )pb" +
                          schedule);
}

TEST(Retune, MovesTheNearestAnchorFirst) {
  // Either event's anchor would do; the step is 20 away, the time 30: the step moves.
  const KeepsProperty keeps = [](const pb::Scenario& s) {
    return s.events(0).trigger().at_time_ns() == 470 || s.events(1).trigger().at_step() == 120;
  };
  const Retuned r = Retune(TwoEvents(), keeps);
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.field, "events[1].trigger.at_step");
  EXPECT_EQ(r.from, 100u);
  EXPECT_EQ(r.to, 120u);
  EXPECT_EQ(r.scenario.events(1).trigger().at_step(), 120u);
  EXPECT_EQ(r.scenario.events(0).trigger().at_time_ns(), 500u);  // one anchor at a time
  // 1 (the input) + 19 distances x 2 anchors x 2 directions + time +20, time -20, step +20.
  EXPECT_EQ(r.runs, 1u + 19 * 4 + 3);
}

TEST(Retune, TriesEarlierValuesAndStopsAtZero) {
  RetuneOptions wide;
  wide.window = 600;
  const Retuned down = Retune(
      TwoEvents(), [](const pb::Scenario& s) { return s.events(0).trigger().at_time_ns() == 0; }, wide);
  ASSERT_TRUE(down.found);
  EXPECT_EQ(down.field, "events[0].trigger.at_time_ns");
  EXPECT_EQ(down.to, 0u);
  // Distances 1..100 move both anchors both ways (the step reaches 0 at 100), then only three ways to 499, then 500.
  EXPECT_EQ(down.runs, 1u + 100 * 4 + 399 * 3 + 2);
  RetuneOptions narrow;
  narrow.window = 10;
  const Retuned none = Retune(
      TwoEvents(), [](const pb::Scenario&) { return false; }, narrow);
  EXPECT_FALSE(none.found);
  EXPECT_EQ(none.runs, 1u + 10 * 4);  // no seed to try: the schedule is not seeded
}

TEST(Retune, SeedsComeAfterEveryTriggerAndSkipTheOldOne) {
  const pb::Scenario seeded = TwoEvents("schedule { policy: RANDOM seed: 3 }");
  RetuneOptions o;
  o.window = 5;
  const Retuned r = Retune(
      seeded, [](const pb::Scenario& s) { return s.schedule().seed() == 4; }, o);
  ASSERT_TRUE(r.found);
  EXPECT_EQ(r.field, "schedule.seed");
  EXPECT_EQ(r.from, 3u);
  EXPECT_EQ(r.to, 4u);  // 1 and 2 fail, 3 is the input's own
  EXPECT_EQ(r.runs, 1u + 5 * 4 + 3);
}

TEST(Retune, AlreadyShowingMovesNothing) {
  const Retuned r = Retune(TwoEvents(), [](const pb::Scenario&) { return true; });
  EXPECT_TRUE(r.found);
  EXPECT_TRUE(r.field.empty());
  EXPECT_EQ(r.runs, 1u);
}

// A variant outside the schema's ranges is never offered to the predicate.
TEST(Retune, InvalidVariantsAreSkipped) {
  pb::Scenario s = TwoEvents();
  s.mutable_schedule()->set_step_budget(102);  // at_step must stay within the budget
  bool saw_invalid = false;
  const Retuned r = Retune(s, [&](const pb::Scenario& c) {
    saw_invalid |= c.events(1).trigger().at_step() > 102;
    return c.events(1).trigger().at_step() == 90;
  });
  EXPECT_TRUE(r.found);
  EXPECT_FALSE(saw_invalid);
}

bool Shows(const pb::Scenario& s, const std::string& signature) {
  return RunDifferential(s).Shows(signature);
}

// A regression reproducer whose event time is moved until it no longer shows its bug (what a model change that
// shortens the runs does to it) is found again within the distance it was moved.
TEST(Retune, FindsAReproducerKnockedOffItsTime) {
  const std::string file =
      kSource +
      "/corpus/regressions/pr5-incomplete-dump-online-target-saved-twice-ppc-v1-check-before-clear-xive-ipi-"
      "cb946161.textproto";
  const std::string signature = ReadFindingHeader(file).signature;
  const LoadResult loaded = LoadScenarioFile(file);
  ASSERT_TRUE(loaded.scenario);
  ASSERT_TRUE(Shows(*loaded.scenario, signature));
  int timed = -1;
  for (int i = 0; i < loaded.scenario->events_size(); ++i) {
    if (loaded.scenario->events(i).trigger().has_at_time_ns()) timed = i;
  }
  ASSERT_GE(timed, 0);
  pb::Scenario broken = *loaded.scenario;
  const uint64_t t = broken.events(timed).trigger().at_time_ns();
  uint64_t moved = 0;
  for (uint64_t d = 1; d <= 200 && moved == 0; ++d) {
    broken.mutable_events(timed)->mutable_trigger()->set_at_time_ns(t + d);
    if (!Shows(broken, signature)) moved = d;
  }
  ASSERT_GT(moved, 0u) << "no time within 200 ns after the reproducer's loses its bug";
  const Retuned r = Retune(broken, [&](const pb::Scenario& s) { return Shows(s, signature); });
  ASSERT_TRUE(r.found);
  EXPECT_FALSE(r.field.empty());
  EXPECT_TRUE(Shows(r.scenario, signature));
  if (r.field.find("at_time_ns") != std::string::npos) {
    EXPECT_LE(r.from > r.to ? r.from - r.to : r.to - r.from, moved);  // nearest first: at most as far as the original
  }
}

TEST(Retune, CommandExitCodes) {
  TempDir dir;
  const std::string repro =
      kSource +
      "/corpus/regressions/pr5-incomplete-dump-online-target-saved-twice-ppc-v1-check-before-clear-xive-ipi-"
      "cb946161.textproto";
  auto r = RunCrashdiff("retune " + repro);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("already shows"), std::string::npos) << r.output;

  // No '# signature:' header and nothing named: a usage error that says what is missing.
  const std::string plain = dir.Write("plain.textproto", ScenarioToText(TwoEvents()));
  r = RunCrashdiff("retune " + plain);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--signature or --root-cause"), std::string::npos) << r.output;

  // Nothing shows that root cause within one step of either anchor: exit code 1, nothing written.
  r = RunCrashdiff("retune " + plain + " --root-cause 'PR3 lost-wake @L2' --window 1 --seeds 0 -o " + dir.path() +
                   "/out.textproto");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("no variant within +-1"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/out.textproto"));
}

// In place: only the one value changes, wherever the text put it (a compact one-line event here), comments and
// layout kept; a value the text does not spell out (a default seed) is refused rather than guessed.
TEST(Retune, RetuneTextMovesOnlyThatValue) {
  const std::string text =
      "# a comment that must stay\n"
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 }\n"
      "events { kind: STRAY_DOORBELL cpus: 1 trigger { at_time_ns: 500 } }  # and this one\n"
      "events { kind: PANIC cpus: 0 trigger { at_step: 100 } }\n"
      "schedule { policy: RANDOM }\n";
  const pb::Scenario s = ScenarioFromText(text);
  const Retuned step = Retune(s, [](const pb::Scenario& c) { return c.events(1).trigger().at_step() == 97; });
  ASSERT_TRUE(step.found);
  std::string error;
  const std::string edited = RetuneText(text, step, &error);
  EXPECT_EQ(edited, std::string(text).replace(text.find("at_step: 100"), 12, "at_step: 97")) << error;

  const Retuned seed = Retune(s, [](const pb::Scenario& c) { return c.schedule().seed() == 5; });
  ASSERT_TRUE(seed.found);
  EXPECT_EQ(seed.field, "schedule.seed");
  EXPECT_TRUE(RetuneText(text, seed, &error).empty());
  EXPECT_NE(error.find("not written out"), std::string::npos) << error;
}

// A hand-written finding knocked off its time is put back on its bug by `crashdiff retune --in-place`, its comments
// untouched.
TEST(Retune, InPlaceKeepsAFindingsComments) {
  const std::string original = kSource + "/corpus/findings/ppc/nested_reset_saves_twice.textproto";
  std::string text;
  const LoadResult loaded = LoadScenarioFile(original, &text);
  ASSERT_TRUE(loaded.scenario);
  const std::string rc = "PR5 incomplete-dump @R2";
  const auto shows_rc = [&](const pb::Scenario& c) {
    for (const Divergence& d : RunDifferential(c).divergences) {
      if (d.root_cause == rc) return true;
    }
    return false;
  };
  ASSERT_TRUE(shows_rc(*loaded.scenario));
  int timed = -1;
  for (int i = 0; i < loaded.scenario->events_size() && timed < 0; ++i) {
    if (loaded.scenario->events(i).trigger().has_at_time_ns()) timed = i;
  }
  ASSERT_GE(timed, 0);
  const std::string old_value = "at_time_ns: " + std::to_string(loaded.scenario->events(timed).trigger().at_time_ns());
  std::string broken;
  for (uint64_t d = 1; d <= 200 && broken.empty(); ++d) {
    pb::Scenario c = *loaded.scenario;
    c.mutable_events(timed)->mutable_trigger()->set_at_time_ns(c.events(timed).trigger().at_time_ns() + d);
    if (!shows_rc(c)) {
      broken = text;
      broken.replace(broken.find(old_value), old_value.size(),
                     "at_time_ns: " + std::to_string(c.events(timed).trigger().at_time_ns()));
    }
  }
  ASSERT_FALSE(broken.empty());
  TempDir dir;
  const std::string copy = dir.Write("finding.textproto", broken);
  const auto r = RunCrashdiff("retune " + copy + " --root-cause '" + rc + "' --in-place");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::string after;
  const LoadResult again = LoadScenarioFile(copy, &after);
  ASSERT_TRUE(again.scenario);
  EXPECT_TRUE(shows_rc(*again.scenario));
  // Line for line the same but one.
  size_t differing = 0;
  std::istringstream a(broken), b(after);
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);) differing += la != lb;
  EXPECT_EQ(differing, 1u);
  EXPECT_EQ(std::count(broken.begin(), broken.end(), '\n'), std::count(after.begin(), after.end(), '\n'));
}

}  // namespace
}  // namespace crashdiff
