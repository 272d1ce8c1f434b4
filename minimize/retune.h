// Retuning a reproducer after a model change. A reproducer places its events by model time or global step and may
// draw its interleaving from a seeded random or PCT schedule; a change that adds or removes steps (a lock loop that
// no longer spins, one more step in a wake path) moves what those anchors land on, and the reproducer can stop
// showing a bug the models still have. Retune looks for the nearest variant that shows it again, moving one anchor
// at a time: every trigger time and step, nearest value first, then the schedule's seed. Deterministic.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "minimize/minimize.h"
#include "proto/scenario.pb.h"

namespace crashdiff {

struct RetuneOptions {
  uint64_t window = 400;                    // trigger values tried within +-window of the old one
  uint64_t seeds = 400;                     // seeds 1..seeds tried for a RANDOM or PCT schedule
  const std::atomic<bool>* stop = nullptr;  // set from a signal handler: give up
};

struct Retuned {
  bool found = false;
  pb::Scenario scenario;  // the variant (found), else the input
  std::string field;      // what moved: "events[2].trigger.at_time_ns", "schedule.seed"
  int event = -1;         // the moved trigger's event, or -1: the schedule
  std::string leaf;       // its field: "at_time_ns", "at_step", "after_handover_ns", "seed"
  uint64_t from = 0;
  uint64_t to = 0;
  uint64_t runs = 0;  // predicate calls
};

// input must be valid. If keeps(input) already holds, returns it as found with no field moved.
Retuned Retune(const pb::Scenario& input, const KeepsProperty& keeps, const RetuneOptions& options = {});

// The text of a text-format scenario with the one value retuned moved, everything else (comments, layout) as it
// was: the value is found where the parser read it. Empty, with error set, when the text does not spell the field
// out (a seed left at its default) or does not parse to the scenario retuned.
std::string RetuneText(const std::string& text, const Retuned& retuned, std::string* error);

}  // namespace crashdiff
