// The seeds of a `crashdiff fuzz` campaign: DIR/seeds, written afresh by every session from the source seeds
// (text or binary scenarios), as the binary inputs the engines read.
#pragma once

#include <filesystem>

#include "proto/scenario.pb.h"

namespace crashdiff::campaign {

// Writes the valid scenarios under seeds (recursively) of family only (FAMILY_UNSPECIFIED: all) into dir as binary
// inputs, or minimal crashes when there are none: an engine needs at least one input. Returns how many (-1: dir
// cannot be written).
int PrepareSeeds(const std::filesystem::path& seeds, pb::Family only, const std::filesystem::path& dir);

}  // namespace crashdiff::campaign
