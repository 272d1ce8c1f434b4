// Fix(): repairs any scenario into a valid one (sim/validate.h is the definition of valid) whose machine is of a
// mutant's size (kMaxCores, kMaxMutantCpus: validation accepts real machine sizes, a mutant stays small and cheap),
// and leaves such a one untouched. Every repair is the smallest local change that removes one kind of violation (clamp
// a number into its range, drop a CPU id that does not exist, map an event kind onto its family's nearest equivalent,
// move a software event off a CPU that can never run kernel code), so a mutant keeps as much of its structure as
// possible. Deterministic: no randomness, the same input gives the same output.
#pragma once

#include "fuzz/mutator/label_pool.h"
#include "proto/scenario.pb.h"

namespace crashdiff::fuzz {

// Returns true when it changed something. labels (may be null) supplies the replacement for an unusable label.
bool Fix(pb::Scenario& scenario, const LabelPool* labels = nullptr);

// The platforms of a family, in enum order (the first is Fix's default).
const std::vector<pb::Platform>& PlatformsOf(pb::Family family);

}  // namespace crashdiff::fuzz
