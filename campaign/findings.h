// A campaign's findings directory judged against the repository's corpus (minimize/corpus_status.h): one Finding
// per signature, the table `crashdiff fuzz` prints (one line per root cause), and the minimization of new ones.
#pragma once

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "minimize/corpus_status.h"

namespace crashdiff::campaign {

// What a campaign finding is, from most to least urgent: minimize/corpus_status.h (run judges alike).
using Status = CorpusStatus;

struct Finding {
  std::string signature;
  std::string root_cause;
  bool known = false;
  Status status = Status::kNew;
  std::string targets;
  const TriageRecord* triage = nullptr;  // the record that covers its root cause on its target
  // What the records were matched on besides the key: the step label of its root cause's witness (a consequence's
  // cause's) and the event kinds of its scenario (EventKindsOf).
  std::string witness_label;
  uint64_t scenario_events = 0;
  std::filesystem::path reproducer;
  std::filesystem::path minimized;  // the minimizer's reproducer, for new findings
};

// Every finding file in dir (diff/finding.h headers), judged against corpus, most urgent first. rejudge: re-run
// every finding (`--report`) instead of trusting the header the harness wrote; the ones that no longer show their
// signature are counted in *gone.
std::vector<Finding> ReadFindings(const std::filesystem::path& dir, const CorpusBook& corpus, bool rejudge = false,
                                  size_t* gone = nullptr);

// Hands the first `budget` new findings to the minimizer (ARCHITECTURE §9): each becomes a small reproducer in
// reproducers/ (Signature::FileName), written atomically, with a header saying what every target does on it.
// stop: a signal flag; quiet: no "minimizing:" lines.
void MinimizeNewFindings(const std::filesystem::path& reproducers, int budget, bool quiet,
                         const volatile sig_atomic_t& stop, std::vector<Finding>& findings);

// One line per root cause and status on stdout; every signature in out/findings.txt, the outcome differences in
// out/differences.txt.
void PrintFindings(const std::filesystem::path& out, const std::vector<Finding>& findings);

}  // namespace crashdiff::campaign
