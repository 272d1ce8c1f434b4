// What the repository's corpus says about a divergence (docs/ORACLE.md "Verdicts"), the one judgement `crashdiff
// fuzz` prints per finding and `crashdiff run` per divergence, from most to least urgent:
//   NEW        a property violation nobody has triaged: no target documents its mechanism, no triage record covers
//              its root cause, the regression corpus has no reproducer of it (or: an artifact that a triage record
//              says was fixed is back)
//   triaged    a triage record (corpus/triage) judges its root cause real or states it as an open question
//   open       not documented, not triaged, but corpus/regressions already records it (awaiting triage)
//   known      its target documents the mechanism (a known bug of a known-buggy target)
//   difference an outcome that differs from the reference's with no property violated: information, not a bug
#pragma once

#include <map>
#include <string>
#include <vector>

#include "diff/differential.h"
#include "minimize/regress.h"
#include "minimize/triage.h"

namespace crashdiff {

enum class CorpusStatus { kNew, kTriaged, kOpen, kKnown, kDifference };
const char* Name(CorpusStatus s);

// The triage records and the regression corpus's recorded bugs of a source tree (its corpus/ directory).
struct CorpusBook {
  TriageBook triage;
  RecordedBugs recorded;
};
CorpusBook LoadCorpusBook(const std::string& source_dir);

struct Judgement {
  CorpusStatus status = CorpusStatus::kNew;
  const TriageRecord* triage = nullptr;  // the record that covers the root cause on its target, if any
};
// difference: an outcome difference; known: its target documents the mechanism; signature and root_cause as the
// differential and RootCauseKey give them; scenario_events: the event kinds of the scenario (EventKindsOf), which a
// record's requires_events must find; witness_label: the step its witness is at, which a record may name.
Judgement Judge(const CorpusBook& book, bool difference, bool known, const std::string& signature,
                const std::string& root_cause, uint64_t scenario_events, std::string_view witness_label);
// The judgement of one divergence of a differential run, and its tag as the commands print it ("[NEW]",
// "[triaged]", "[open]", "[known]", "[diff]").
CorpusStatus StatusOf(const Divergence& d, const CorpusBook& book);

// A root cause the regression corpus already records on a target is open as a whole: its other signatures there (its
// consequences, folded into it: docs/ORACLE.md) are the same bug awaiting the same triage, not news. Each item is a
// judged divergence: its root cause, its target and its status, which turns from NEW to open when the rule applies.
struct JudgedItem {
  std::string root_cause;
  std::string target;
  CorpusStatus* status;
};
void OpenAsAWhole(const std::vector<JudgedItem>& items);
// The status of every divergence of a differential run (by signature), the rule above applied within the run: how
// `crashdiff run` judges, as `crashdiff fuzz` judges a campaign's findings.
std::map<std::string, CorpusStatus> StatusesOf(const DiffReport& report, const CorpusBook& book);
std::string Tag(CorpusStatus s);

}  // namespace crashdiff
