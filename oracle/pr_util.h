// Small helpers shared by the property checkers.
#pragma once

#include <string>

#include "oracle/properties.h"

namespace crashdiff {

inline Violation MakeViolation(std::string_view property, const RunView& run, uint32_t cpu, std::string what,
                               Severity severity, Witness witness) {
  Violation v;
  v.property = std::string(property);
  v.role = run.roles[cpu];
  v.cpu = cpu;
  v.what = std::move(what);
  v.severity = severity;
  v.witness = std::move(witness);
  if (!v.witness.set()) v.witness.cpu = cpu;
  return v;
}

// A witness at the hand-over step, for CPUs that executed nothing before it.
inline Witness HandoverWitness(const RunView& run, uint32_t cpu) {
  return Witness{cpu, run.result.handover_step, run.result.handover_time_ns, "HANDOVER"};
}

inline std::string LocName(Location l) {
  return std::string(Name(l));
}

}  // namespace crashdiff
