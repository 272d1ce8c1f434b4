// Running one scenario on one target, and choosing which targets a scenario runs on.
#pragma once

#include <string_view>
#include <vector>

#include "proto/scenario.pb.h"
#include "sim/machine.h"
#include "targets/target.h"

namespace crashdiff {

// Every registered target of the scenario's family that supports its platform, sorted by name. With only set,
// just that target (if it fits the scenario).
std::vector<const TargetSpec*> TargetsFor(const pb::Scenario& scenario, std::string_view only = {});

// Runs a valid scenario on a target from the start; deterministic.
RunResult RunOnTarget(const TargetSpec& target, const pb::Scenario& scenario, RunOptions options = {});

// Runs a valid scenario on the reference model of its family (oracle/reference.h); deterministic.
RunResult RunReference(const pb::Scenario& scenario, RunOptions options = {});

}  // namespace crashdiff
