// The generic, reflection-driven part of the mutator: pick one scalar field anywhere in the scenario (set or
// not, any element of a repeated field, or a new element), weighted by its FieldPolicy, and give it a value from
// the field's pool. The walk is bounded in depth, so a recursive schema could never make it loop.
#pragma once

#include "fuzz/mutator/mutator.h"

namespace crashdiff::fuzz {

// Returns false if no field could be mutated.
bool MutateRandomField(pb::Scenario& scenario, MutationContext& ctx);

// Takes one thing that is set back to its default: a singular scalar, a whole sub-message (e.g. the firmware), or
// one element of a repeated field. Oneof members (sticky) and fields the policy table excludes are left alone.
// Returns false if nothing is set.
bool ClearRandomField(pb::Scenario& scenario, MutationContext& ctx);

// The event kinds that exist on family, in enum order.
const std::vector<pb::EventKind>& EventKindsOf(pb::Family family);

}  // namespace crashdiff::fuzz
