// Hazards the machine imposes on every implementation of the protocol: property violations that no kernel can
// avoid, so the reference model (the best protocol) shows them too. A target violation the reference also shows
// on the same scenario is classified inherent, never NEW (diff/). Every violation of the reference must be one of
// these: anything else is an oracle defect, and the reference self-check test fails on it.
#pragma once

#include <initializer_list>
#include <string_view>

#include "oracle/properties.h"
#include "proto/scenario.pb.h"

namespace crashdiff {

struct InherentHazard {
  std::string_view name;
  std::string_view reason;
  pb::Family family;
  std::string_view property;  // "PR2"
  std::string_view what;      // a fragment of the violation's what
  // The hazard needs one of these events in the scenario (the machine's own doing, not the kernel's).
  std::initializer_list<pb::EventKind> needs;
};

// The hazard that explains v on scenario s, nullptr if none (then a reference violation is an oracle defect).
const InherentHazard* FindInherentHazard(const pb::Scenario& s, const Violation& v);

}  // namespace crashdiff
