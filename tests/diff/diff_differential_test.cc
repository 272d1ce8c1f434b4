// The differential engine on real targets: fixed targets show no divergence on the DOMAIN §7 rows they handle,
// buggy ones show their documented signatures (known), signatures are digit-free and invariant under CPU
// renumbering and event-time shifts, and one bug reached two ways is one signature.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "diff/differential.h"
#include "diff/explain.h"
#include "sim/validate.h"
#include "targets/target.h"
#include "tests/fixtures/oracle_scenarios.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::ScenarioFromText;

DiffReport Diff(const char* text, const std::string& only = {}) {
  DiffOptions o;
  o.only_target = only;
  return RunDifferential(ScenarioFromText(text), o);
}

std::set<std::string> Signatures(const DiffReport& r) {
  std::set<std::string> out;
  for (const Divergence& d : r.divergences) out.insert(d.signature);
  return out;
}

void ExpectClean(const char* row, const std::string& target) {
  const DiffReport r = Diff(row, target);
  ASSERT_EQ(r.targets.size(), 1u) << target;
  EXPECT_EQ(r.targets[0].verdict(), "ok") << target;
  for (const Divergence& d : r.divergences) ADD_FAILURE() << d.signature;
}

TEST(Differential, ReferenceViolatesNothingOnTheCatalogue) {
  for (const char* row :
       {testing::kRowA, testing::kRowB, testing::kRowCSysreset, testing::kRowJ, testing::kRowH, testing::kRowAArm64}) {
    EXPECT_TRUE(Diff(row).reference_violations.empty()) << row;
  }
}

TEST(Differential, FixedTargetsShowNoDivergenceOnTheRowsTheyHandle) {
  ExpectClean(testing::kRowA, "ppc-upstream-clear-then-check");
  ExpectClean(testing::kRowB, "ppc-upstream-clear-then-check");
  ExpectClean(testing::kRowCSysreset, "ppc-upstream-clear-then-check");
  ExpectClean(testing::kRowH, "x86-mwait-fixed");
  ExpectClean(testing::kRowAArm64, "arm64-psci");
}

TEST(Differential, PrefixNowakeOnRowAShowsTheSeedBugAsKnown) {
  const DiffReport r = Diff(testing::kRowA, "ppc-prefix-nowake");
  const Divergence* pr1 =
      r.Find("PR1 unsafe-parking: offline-target STOPPED_HW at hand-over [ppc-prefix-nowake/doorbell]");
  const Divergence* pr2 = r.Find(
      "PR2 unstable-after-handover: offline-target DEAD_CORRUPT after hand-over from STOPPED_HW "
      "[ppc-prefix-nowake/doorbell]");
  ASSERT_NE(pr1, nullptr);
  ASSERT_NE(pr2, nullptr);
  EXPECT_TRUE(pr1->known);
  EXPECT_TRUE(pr2->known);
  EXPECT_EQ(pr2->at.cpu, 3u);  // the offline thread
  EXPECT_EQ(r.targets[0].outcome.cpus.back().final, "DEAD_CORRUPT");
}

// Find looks a divergence up by its whole signature: in the report across targets, in a target only among its own.
TEST(Differential, FindNamesADivergenceByItsWholeSignature) {
  const DiffReport r = Diff(testing::kRowA);
  const std::string pr1 = "PR1 unsafe-parking: offline-target STOPPED_HW at hand-over [ppc-prefix-nowake/doorbell]";
  ASSERT_TRUE(r.Shows(pr1));
  EXPECT_EQ(r.Find(pr1)->target, "ppc-prefix-nowake");
  EXPECT_FALSE(r.Shows(pr1.substr(0, pr1.size() - 1)));  // a prefix is another name
  EXPECT_FALSE(r.Shows(""));
  for (const TargetReport& t : r.targets) {
    EXPECT_EQ(t.Find(pr1) != nullptr, t.target == "ppc-prefix-nowake") << t.target;
  }
}

TEST(Differential, V1OnRowBLosesTheWake) {
  const DiffReport r = Diff(testing::kRowB, "ppc-v1-check-before-clear");
  const Divergence* pr3 = r.Find(
      "PR3 lost-wake: offline-target sleeps in STOPPED_HW after crash wake [ppc-v1-check-before-clear/doorbell]");
  ASSERT_NE(pr3, nullptr);
  EXPECT_TRUE(pr3->known);
  EXPECT_EQ(pr3->at.cpu, 1u);
  // The initiator waited out the 10 s arrival timeout and said so.
  const RunResult& run = r.targets[0].result;
  EXPECT_GE(run.handover_time_ns, 10 * kSec);
  EXPECT_TRUE(std::any_of(run.diagnostics.begin(), run.diagnostics.end(),
                          [](const Diagnostic& d) { return d.text.find("not responding") != std::string::npos; }));
}

TEST(Differential, V1OnRowJWaitsForAnOperator) {
  const DiffReport r = Diff(testing::kRowJ, "ppc-v1-check-before-clear");
  EXPECT_NE(r.Find("PR8 unbounded-initiator: initiator waits for an operator reset (HANG_WAITING_OPERATOR) "
                   "[ppc-v1-check-before-clear/doorbell]"),
            nullptr);
}

TEST(Differential, MwaitPrefixOnRowHIsCorruptedByRelocation) {
  const DiffReport r = Diff(testing::kRowH, "x86-mwait-prefix");
  const Divergence* pr10 = r.Find(
      "PR10 relocation-unsafe: offline-target woken by a relocation store to its monitored line "
      "[x86-mwait-prefix/mwait]");
  ASSERT_NE(pr10, nullptr);
  EXPECT_TRUE(pr10->known);
  EXPECT_EQ(pr10->at.label, "relocate");
}

TEST(Differential, SignaturesAreDigitFreeOutsideTheTargetAndPlatformNames) {
  for (const char* row : {testing::kRowA, testing::kRowB, testing::kRowJ, testing::kRowH, testing::kRowAArm64}) {
    for (const Divergence& d : Diff(row).divergences) {
      const std::string head = d.signature.substr(0, d.signature.rfind(" ["));
      const std::string after_id = head.substr(head.find(' '));  // "PR10" carries the property's number
      EXPECT_TRUE(std::none_of(after_id.begin(), after_id.end(), [](char c) { return std::isdigit(c); }))
          << d.signature;
      EXPECT_NE(d.signature.find(" [" + d.target + "/"), std::string::npos) << d.signature;
    }
  }
}

TEST(Differential, RenumberingCpusLeavesSignaturesUnchanged) {
  const DiffReport a = Diff(testing::kRowA);
  const DiffReport b = Diff(testing::kRowARenumbered);
  EXPECT_FALSE(Signatures(a).empty());
  EXPECT_EQ(Signatures(a), Signatures(b));
}

TEST(Differential, ShiftingEventTimesLeavesSignaturesUnchanged) {
  EXPECT_EQ(Signatures(Diff(testing::kRowA)), Signatures(Diff(testing::kRowAShifted)));
}

TEST(Differential, OneBugReachedTwoWaysIsOneSignature) {
  const std::string pr2 =
      "PR2 unstable-after-handover: offline-target DEAD_CORRUPT after hand-over from STOPPED_HW "
      "[ppc-prefix-nowake/doorbell]";
  const DiffReport by_hmi = Diff(testing::kRowA, "ppc-prefix-nowake");
  const DiffReport by_reset = Diff(testing::kRowAByReset, "ppc-prefix-nowake");
  EXPECT_NE(by_hmi.Find(pr2), nullptr);
  EXPECT_NE(by_reset.Find(pr2), nullptr);
  std::set<std::string> all = Signatures(by_hmi);
  const std::set<std::string> more = Signatures(by_reset);
  all.insert(more.begin(), more.end());
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const std::string& s) { return s.rfind("PR2 ", 0) == 0; }), 1);
}

TEST(Differential, DivergencesAreDeduplicatedAndSorted) {
  const DiffReport r = Diff(testing::kRowA);
  for (size_t i = 1; i < r.divergences.size(); ++i) {
    EXPECT_LT(r.divergences[i - 1].signature, r.divergences[i].signature);
  }
}

TEST(Differential, KnownComesOnlyFromTheTargetsDeclarations) {
  const DiffReport r = Diff(testing::kRowA);
  for (const TargetReport& t : r.targets) {
    const TargetSpec* spec = FindTarget(t.target);
    ASSERT_NE(spec, nullptr);
    for (const Divergence& d : t.divergences) {
      const bool declared = std::any_of(spec->known.begin(), spec->known.end(),
                                        [&](const KnownDivergence& k) { return MatchesKnown(k, d); });
      EXPECT_EQ(d.known, declared && !d.difference()) << d.signature;
    }
  }
}

TEST(Differential, ExplainShowsTheWitnessCpusStepsUpToTheWitness) {
  DiffOptions o;
  o.only_target = "ppc-prefix-nowake";
  o.keep_traces = true;
  const DiffReport r = RunDifferential(ScenarioFromText(testing::kRowA), o);
  ASSERT_FALSE(r.targets[0].divergences.empty());
  for (const Divergence& d : r.targets[0].divergences) {
    const std::vector<std::string> lines = ExplainDivergence(r.targets[0].result, d);
    ASSERT_FALSE(lines.empty()) << d.signature;
    EXPECT_NE(lines.back().find("cpu" + std::to_string(d.at.cpu)), std::string::npos) << lines.back();
  }
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

// Without INIT/SIPI every x86 park is HLT, which an NMI after relocation reaches through the replaced IDT: the
// reference suffers it too, so it is inherent to the machine and no target diverges by suffering it.
TEST(Differential, ViolationsTheReferenceSharesAreInherentNotDivergences) {
  const DiffReport r = Diff(testing::kKexecHltThenNmi, "x86-mwait-fixed");
  ASSERT_FALSE(r.reference_violations.empty());
  EXPECT_EQ(r.reference_violations[0].target, "reference");
  ASSERT_EQ(r.targets.size(), 1u);
  EXPECT_EQ(r.targets[0].result.cpus[1].final, Location::kDeadCorrupt);  // it does suffer it
  EXPECT_EQ(r.targets[0].verdict(), "ok");
  EXPECT_FALSE(r.has_new());
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

TEST(Differential, IsDeterministic) {
  for (const char* row : {testing::kRowA, testing::kRowB, testing::kRowH}) {
    const DiffReport a = Diff(row);
    const DiffReport b = Diff(row);
    ASSERT_EQ(a.divergences.size(), b.divergences.size());
    for (size_t i = 0; i < a.divergences.size(); ++i) {
      EXPECT_EQ(a.divergences[i].signature, b.divergences[i].signature);
      EXPECT_EQ(a.divergences[i].witness, b.divergences[i].witness);
    }
    ASSERT_EQ(a.targets.size(), b.targets.size());
    for (size_t i = 0; i < a.targets.size(); ++i)
      EXPECT_EQ(a.targets[i].result.trace_hash, b.targets[i].result.trace_hash);
  }
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

// The catalogue rows run ROUND_ROBIN, so a smaller step budget only cuts the same run short. A cut shows part of
// what the full run shows and never more: a violation only a cut run shows would judge a run that had not ended.
// Targets whose run was cut and that show nothing are "cut" (undecided), not "ok".
TEST(Differential, ACutRunShowsNoViolationItsFullRunDoesNot) {
  uint32_t cut_runs = 0;
  for (const char* row : {testing::kRowA, testing::kRowB, testing::kRowCSysreset, testing::kRowJ, testing::kRowH,
                          testing::kRowAArm64, testing::kKexecHltThenNmi}) {
    const pb::Scenario full = ScenarioFromText(row);
    const std::set<std::string> full_signatures = Signatures(RunDifferential(full, {}));
    for (uint64_t budget = kMinStepBudget; budget <= 400; budget += 5) {
      pb::Scenario cut = full;
      cut.mutable_schedule()->set_step_budget(budget);
      const DiffReport r = RunDifferential(cut, {});
      for (const Divergence& d : r.divergences) {
        EXPECT_TRUE(full_signatures.count(d.signature)) << d.signature << " at budget " << budget << " of " << row;
      }
      for (const TargetReport& t : r.targets) {
        if (t.result.end != EndReason::kBudgetCut) continue;
        ++cut_runs;
        if (t.divergences.empty()) EXPECT_EQ(t.verdict(), "cut") << t.target;
      }
    }
  }
  EXPECT_GE(cut_runs, 40u) << cut_runs;  // the budgets do cut runs short
}

}  // namespace
}  // namespace crashdiff
