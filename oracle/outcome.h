// Outcomes (ARCHITECTURE §6): what is compared between a target and the reference. Per CPU: its role, the class of
// its location at hand-over and at the end, how often it was saved, whether it responded; for the run: whether
// it handed over, how long the initiator took (a class, not a time), and how the run ended. CPUs are compared
// as a multiset per role, so two targets' outcomes compare and renumbering CPUs changes nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oracle/facts.h"
#include "oracle/roles.h"
#include "proto/scenario.pb.h"
#include "sim/machine.h"

namespace crashdiff {

// Location classes: strictly parked states compare equal to each other (PARKED_FW = PARKED_SPIN for an outcome),
// as do the weak parks (PARKED_HLT = PARKED_INIT); every other location is its own class.
std::string_view LocationClass(Location l);

struct CpuOutcome {
  Role role = Role::kOnlineTarget;
  std::string_view at_handover;  // location class
  std::string_view final;        // location class
  std::string_view saves;        // "none", "once", "twice-or-more"
  bool invalid_save = false;
  bool responded = false;
  uint32_t cpu = kNoCpu;  // for witnesses only; never compared
};

struct Outcome {
  pb::Family family = pb::FAMILY_UNSPECIFIED;
  bool handed_over = false;
  std::string_view timing;  // "none", "prompt" (<= 2 s), "after-timeout" (<= PR8 bound), "late"
  EndReason end = EndReason::kQuiescent;
  std::vector<CpuOutcome> cpus;          // sorted by role, then by the compared fields
  std::vector<std::string> diagnostics;  // console lines with digits replaced by '#'; shown, not compared
};

Outcome ComputeOutcome(const pb::Scenario& scenario, const RunResult& result, const Facts& facts);

struct OutcomeDifference {
  Role role;
  std::string field;      // "hand-over", "timing", "end", "handover-location", "final-location", "saves", "response"
  std::string what;       // digit-free
  uint32_t cpu = kNoCpu;  // a CPU of the target with this difference (witness)
};

// Differences of target from reference, role by role.
std::vector<OutcomeDifference> CompareOutcomes(const Outcome& target, const Outcome& reference);

// One line per role for people: "online-target x3 parked/parked saved once responded".
std::string OutcomeSummary(const Outcome& outcome);

std::string ReplaceDigits(std::string_view text);

}  // namespace crashdiff
