// Trigger points: per family, the step labels an on_label trigger may name, each with the protocol moment it
// means. Every model of the family (the reference included) executes each of them at that moment, so an event
// triggered on one fires in every model of the family at the same point of the protocol (docs/ORACLE.md,
// "Trigger points"; tests/sim/trigger_points_test.cc checks the claim). A label outside the table is refused by
// validation and mapped onto the table by the mutator's repair.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "proto/scenario.pb.h"

namespace crashdiff {

struct TriggerPoint {
  std::string_view label;
  std::string_view meaning;
};

// The table of family (sorted by label).
std::span<const TriggerPoint> TriggerPoints(pb::Family family);
bool IsTriggerPoint(pb::Family family, std::string_view label);
// Empty when label is a trigger point of family; else the reason, naming the valid labels.
std::string TriggerPointError(pb::Family family, std::string_view label);
// A trigger point of family for any label: itself when valid; else the table label with the longest common
// prefix (the same step family, e.g. L2a -> L2), the first entry when none shares a prefix.
std::string_view NearestTriggerPoint(pb::Family family, std::string_view label);

}  // namespace crashdiff
