// Replaying the regression corpus: every reproducer on every target (or one), compared with the expectations in
// its header. A target without expectations (a patch modelled as a new target) is judged against the
// reproducer's bug: does it still show a divergence with the same signature key?
#pragma once

#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace crashdiff {

#define CRASHDIFF_VERDICTS(X)                                                                                        \
  X(kAsExpected, "as-expected", false, "the same signatures as the header expects")                                  \
  X(kFixed, "fixed", false, "the reproducer's bug is gone and nothing new appeared")                                 \
  X(kStillPresent, "still-present", true, "the reproducer's bug still shows (on a target the header does not know)") \
  X(kNewDivergence, "new-divergence", true, "a signature the header does not expect")                                \
  X(kChanged, "changed", true, "expected signatures are missing (and the bug is not simply fixed)")

enum class Verdict {
#define CRASHDIFF_VERDICT_ENUM(e, name, failing, meaning) e,
  CRASHDIFF_VERDICTS(CRASHDIFF_VERDICT_ENUM)
#undef CRASHDIFF_VERDICT_ENUM
};
const char* Name(Verdict v);

struct RegressRow {
  std::string file;
  std::string target;
  Verdict verdict;
  bool failing;  // the corpus does not hold for this target: CI must fail
  std::vector<std::string> expected;
  std::vector<std::string> actual;
};

struct RegressReport {
  std::vector<RegressRow> rows;
  std::vector<std::string> errors;  // unreadable or invalid reproducers
  bool failing() const;
};

struct TargetSpec;

// The *.textproto reproducers of dir, sorted by name (the order every replay of a corpus uses). ec: why dir could not
// be read, if it could not.
std::vector<std::string> ReproducerFiles(const std::string& dir, std::error_code& ec);

// dir: a directory of *.textproto reproducers (sorted by name). only_target: empty for every target.
// patch: judge this unregistered target instead (a patch under test); only_target is then ignored.
RegressReport Regress(const std::string& dir, const std::string& only_target, const TargetSpec* patch = nullptr);

// The bugs a regression corpus already records: (target, signature key) for every signature its reproducers'
// "# expect" lines name. A campaign finding whose bug is here is an open finding already on file, not a new one,
// whatever platform it shows on. Only headers are read (no runs); unreadable files are skipped.
using RecordedBugs = std::set<std::pair<std::string, std::string>>;
RecordedBugs LoadRecordedBugs(const std::string& dir);

}  // namespace crashdiff
