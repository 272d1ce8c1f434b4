// How a differential run's divergences are judged against the corpus (minimize/corpus_status.h): `crashdiff run`
// applies the campaign's "open as a whole" rule within the run, so a consequence folded into a recorded root cause
// is open in both, not NEW in one.
#include "minimize/corpus_status.h"

#include <gtest/gtest.h>

#include "diff/finding.h"
#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

Divergence Violation(const std::string& signature, const std::string& target, const std::string& root_cause) {
  Divergence d;
  d.signature = signature;
  d.property = signature.substr(0, signature.find(' '));
  d.target = target;
  d.root_cause = root_cause;
  return d;
}

TEST(CorpusStatus, AConsequenceOfARecordedRootCauseIsOpenOnItsTargetOnly) {
  const std::string cause = "PR1 unsafe-parking: offline-target STOPPED_HW at hand-over [ppc-sreset-dump/doorbell]";
  const std::string consequence =
      "PR2 unstable-after-handover: offline-target DEAD_CORRUPT after hand-over from STOPPED_HW "
      "[ppc-sreset-dump/doorbell]";
  const std::string elsewhere =
      "PR2 unstable-after-handover: offline-target DEAD_CORRUPT after hand-over from STOPPED_HW "
      "[ppc-upstream-clear-then-check/doorbell]";
  const std::string key = "PR1 unsafe-parking @STOPPED_HW";
  DiffReport report;
  report.divergences = {Violation(cause, "ppc-sreset-dump", key), Violation(consequence, "ppc-sreset-dump", key),
                        Violation(elsewhere, "ppc-upstream-clear-then-check", key)};
  CorpusBook book;
  book.recorded.insert({"ppc-sreset-dump", Signature::KeyOf(cause)});
  const std::map<std::string, CorpusStatus> status = StatusesOf(report, book);
  EXPECT_EQ(status.at(cause), CorpusStatus::kOpen);
  EXPECT_EQ(status.at(consequence), CorpusStatus::kOpen);
  EXPECT_EQ(status.at(elsewhere), CorpusStatus::kNew);
  EXPECT_EQ(StatusOf(report.divergences[1], book), CorpusStatus::kNew);  // on its own it is news
}

// A triage record's witness labels describe its mechanism at the cause: a consequence folded into that cause's root
// cause (a PR2 when a thread that busy-polled through the crash takes a machine check after the hand-over) is judged
// by the cause's witness (the poll, L2), not its own (the MCE), and its finding header carries that label.
TEST(CorpusStatus, AConsequenceIsJudgedByItsCausesWitness) {
  const LoadResult loaded = LoadScenarioFile(
      std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings/ppc/busy_poll_no_idle_state_mce_after_handover.textproto");
  ASSERT_TRUE(loaded.scenario);
  const DiffReport report = RunDifferential(*loaded.scenario);
  const CorpusBook book = LoadCorpusBook(CRASHDIFF_SOURCE_DIR);
  int consequences = 0;
  for (const Divergence& d : report.divergences) {
    if (d.target != "ppc-upstream-clear-then-check" || d.property != "PR2") continue;
    ++consequences;
    EXPECT_EQ(d.root_cause, "PR1 unsafe-parking @OFFLINE_LOOP");
    EXPECT_EQ(d.cause_label, "L2");
    EXPECT_NE(d.at.label, "L2");
    EXPECT_EQ(StatusOf(d, book), CorpusStatus::kTriaged) << d.signature;
    const FindingHeader h = ParseFindingHeader(FormatFindingHeader(MakeFindingHeader(d, report)));
    EXPECT_EQ(h.cause_witness, "L2");
  }
  EXPECT_GT(consequences, 0);
}
}  // namespace
}  // namespace crashdiff
