// The hybrid mode of a campaign (`crashdiff fuzz --explore N`): besides the fuzzing workers, one worker explores the
// interleavings of the campaign's seeds and of every scenario the fuzzers keep. Fuzzing finds scenario shapes but
// runs each under one schedule; this worker spends a bounded systematic search (explore/explorer.h: at most N
// schedules per scenario and target, one preemption, early preemptions first) on each seed and new corpus unit,
// cheapest first, for the properties the unit's own run does not already violate on that target, and records each
// counterexample's divergences as findings, as the harness records its own (diff/finding.h RecordFinding: one file
// per signature, written atomically, the first finder's kept). Units explored are listed in a file, so a resumed
// campaign does not explore them again.
#pragma once

#include <csignal>
#include <cstdint>
#include <filesystem>
#include <string>

#include "proto/scenario.pb.h"

namespace crashdiff::campaign {

struct ExploreWorkerOptions {
  std::filesystem::path corpus;                // the campaign's corpus directory, watched for new units
  std::filesystem::path seeds;                 // the campaign's seeds (optional), explored before the corpus
  std::filesystem::path findings;              // where counterexamples' divergences are recorded
  std::filesystem::path explored;              // the list of units explored so far (one file name a line)
  pb::Family family = pb::FAMILY_UNSPECIFIED;  // units of other families are skipped
  std::string target;                          // only this target (else every target of the unit's family)
  uint64_t schedules = 200;                    // per unit and target
  uint32_t preemptions = 1;
  int seconds = 0;             // stop after this long (0: after one pass over the corpus)
  bool deterministic = false;  // findings without the wall-clock found-after-ms line
};

struct ExploreWorkerStats {
  uint64_t units = 0;            // corpus units explored
  uint64_t searches = 0;         // (unit, target) searches
  uint64_t schedules = 0;        // schedules run in all of them
  uint64_t exhaustive = 0;       // searches that ended clean having covered every schedule within the bounds
  uint64_t counterexamples = 0;  // counterexamples found (a search may find one per property)
  uint64_t recorded = 0;         // finding files this worker created
};

// Explores units until options.seconds have passed (or one pass, with seconds 0) or stop is set. Prints one line per
// search that found something and a summary to stdout.
ExploreWorkerStats RunExploreWorker(const ExploreWorkerOptions& options, const volatile sig_atomic_t& stop);

}  // namespace crashdiff::campaign
