// Evaluating a patch against its base: the same inputs on a patched target P and on the target it was copied from
// (B), compared by root cause (Divergence::root_cause: property and witness step, no target, platform or role).
// A patch registered under a new name shares none of its base's triage, so "what is new" must be read against
// the base on the same inputs, not against the targets' documented bugs. Used by `crashdiff patch` and
// `crashdiff regress --target P --base B`.
//
// Per root cause, over the inputs both P and B can run (same family, a platform both support):
//   introduced    P shows it on an input where B does not                      (exit code 1)
//   fixed         B shows it on some inputs, P on none of the inputs
//   partly-fixed  B shows it on inputs where P does not, P still shows it on others (and nowhere B does not)
//   unchanged     shown only on inputs where both show it
// OUTCOME divergences (a run ending elsewhere than the reference, no property failed) are differences, not bugs:
// they are classified the same way but kept apart and never count as introduced or fixed.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "proto/scenario.pb.h"

namespace crashdiff {

struct TargetSpec;

#define CRASHDIFF_PATCH_CHANGES(X)                                                                     \
  X(kIntroduced, "introduced", "P shows it on an input where B does not")                              \
  X(kFixed, "fixed", "B shows it, P shows it on no input")                                             \
  X(kPartlyFixed, "partly-fixed", "B shows it on inputs where P does not; P still shows it elsewhere") \
  X(kUnchanged, "unchanged", "shown only on inputs where both show it")

enum class PatchChange {
#define CRASHDIFF_PATCH_CHANGE_ENUM(e, name, meaning) e,
  CRASHDIFF_PATCH_CHANGES(CRASHDIFF_PATCH_CHANGE_ENUM)
#undef CRASHDIFF_PATCH_CHANGE_ENUM
};
const char* Name(PatchChange c);

// One root cause, over every input run on both targets.
struct RootCauseRow {
  std::string root_cause;  // "<PRn|OUTCOME> <short-name> @<witness label>"
  PatchChange change = PatchChange::kUnchanged;
  int both = 0;        // inputs on which P and B both show it
  int base_only = 0;   // inputs on which only B shows it
  int patch_only = 0;  // inputs on which only P shows it
  // Of the inputs behind a change, those on which the other target shows the same property at another witness
  // step: the bug moved rather than appeared or went (a timing shift of a one-step change, typically).
  int moved = 0;
  // Platform tags (PlatformTag) of the inputs behind the change: patch_only for introduced, base_only for fixed
  // and partly-fixed, both for unchanged.
  std::set<std::string> platforms;
  std::string example;  // its signature on the reproducer input (P's; B's for fixed and partly-fixed)
  // The first such input (in evaluation order): its name and the scenario, for fixed, partly-fixed, introduced.
  std::string reproducer_input;
  pb::Scenario reproducer;
  std::string written;  // the file the reproducer was written to (WritePatchReproducers), or ""
  int inputs() const;   // the inputs behind the change (the count the platforms are of)
};

struct PatchReport {
  std::string patch, base;
  size_t corpus_inputs = 0;               // files read (regressions, seeds, findings)
  size_t mutants = 0;                     // mutants made
  size_t compared = 0;                    // inputs run on both targets (corpus files and mutants)
  size_t skipped = 0;                     // inputs of another family, or a platform one of the two does not support
  std::vector<RootCauseRow> root_causes;  // bugs (PR1..PR11), by change then key
  std::vector<RootCauseRow> outcomes;     // OUTCOME differences: not bugs, reported apart
  std::vector<std::string> errors;        // unreadable inputs, or P and B of different families
  size_t Count(PatchChange c) const;
  bool introduced() const { return Count(PatchChange::kIntroduced) > 0; }
};

// Accumulates the comparison input by input. Deterministic: the same inputs in the same order give the same
// report.
class PatchComparison {
 public:
  PatchComparison(const TargetSpec& patch, const TargetSpec& base);
  // Whether both targets run this scenario (its family, a platform both support).
  bool Applies(const pb::Scenario& scenario) const;
  // Runs scenario (which must apply) on both; returns true when either showed a root cause (bug or outcome)
  // it had not shown on any earlier input: the campaign keeps such mutants as parents.
  bool Add(const std::string& name, const pb::Scenario& scenario);
  size_t compared() const { return compared_; }
  // Rows in the report's order; counts of corpus inputs, mutants and skipped ones are the caller's.
  PatchReport Report() const;

 private:
  struct Tally {
    int both = 0, base_only = 0, patch_only = 0;
    int moved[3] = {0, 0, 0};
    std::map<int, std::set<std::string>> platforms;  // by side: 0 both, 1 base only, 2 patch only
    std::string first_example[3];  // a signature of it on the first input of each side (P's, B's for base only)
    std::string first_name[3];
    pb::Scenario first[3];
  };
  const TargetSpec& patch_;
  const TargetSpec& base_;
  std::map<std::string, Tally> tallies_;  // root cause -> tally
  std::set<std::pair<int, std::string>> seen_;
  size_t compared_ = 0;
};

struct PatchOptions {
  // Corpus inputs: every scenario file in regressions (all families; others are skipped), seeds/<family>/ and
  // findings/<family>/. An empty path reads nothing.
  std::string regressions = "corpus/regressions";
  std::string seeds = "corpus/seeds";
  std::string findings = "corpus/findings";
  // The campaign: up to `mutants` mutants (fuzz/mutator) of the corpus inputs and of earlier mutants that showed
  // a root cause not seen before (0: none, UINT64_MAX: until `seconds`); stops early after `seconds` (> 0) of wall
  // time. The mutant sequence depends only on the corpus, the two targets and rng_seed.
  uint64_t mutants = 0;
  double seconds = 0;
  uint64_t rng_seed = 1;
};

// The family's directory name under corpus/seeds and corpus/findings: "ppc", "x86", "arm64".
std::string FamilyDir(pb::Family family);

PatchReport EvaluatePatch(const TargetSpec& patch, const TargetSpec& base, const PatchOptions& options);

// Writes one reproducer per introduced, fixed and partly-fixed root cause into dir (created if needed),
// atomically, named "<change>-<root cause>.textproto", with a header comment saying what each target shows on it.
// Sets each row's `written`; returns the errors.
std::vector<std::string> WritePatchReproducers(PatchReport& report, const TargetSpec& patch, const TargetSpec& base,
                                               const std::string& dir);

}  // namespace crashdiff
