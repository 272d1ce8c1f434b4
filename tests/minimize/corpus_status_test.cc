// How a differential run's divergences are judged against the corpus (minimize/corpus_status.h): `crashdiff run`
// applies the campaign's "open as a whole" rule within the run, so a consequence folded into a recorded root cause
// is open in both, not NEW in one.
#include "minimize/corpus_status.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace crashdiff
