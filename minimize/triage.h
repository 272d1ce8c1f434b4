// Triage records (corpus/triage/*.textproto, proto/triage.proto): a kernel developer's verdict on a root cause.
// Loaded and validated here; `crashdiff fuzz` and `crashdiff triage` use them to tell untriaged root causes (NEW)
// from triaged ones (real, open question) and from artifacts that came back.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/scenario.pb.h"
#include "proto/triage.pb.h"

namespace crashdiff {

struct TriageRecord {
  pb::Triage triage;
  std::string file;  // where it was read from
};

struct TriageBook {
  std::vector<TriageRecord> records;
  std::vector<std::string> errors;  // "file:line: field: reason"
  // The record for root_cause on target (and role, when given) in a scenario with these event kinds (EventKindsOf),
  // with its witness at witness_label, nullptr if none. A record that names witness labels never covers an unknown
  // (empty) one.
  const TriageRecord* Find(std::string_view root_cause, std::string_view target, std::string_view role,
                           uint64_t scenario_events, std::string_view witness_label = {}) const;
};

// Reads every *.textproto in dir (sorted by name). A missing directory is an empty book. repo_root resolves the
// records' reproducer paths (checked to exist when given).
TriageBook LoadTriage(const std::string& dir, const std::string& repo_root = "");

// Validates one record: "name: field: reason" errors (empty when valid).
std::vector<std::string> ValidateTriage(const pb::Triage& t, const std::string& name, const std::string& repo_root);

std::string_view VerdictName(pb::Triage::Verdict v);
// Whether a scenario with these event kinds has what the record's requires_events ask for (invalid names never do).
bool HasRequiredEvents(const pb::Triage& t, uint64_t scenario_events);
std::string RootCauses(const pb::Triage& t);  // its keys, comma-separated  // "real", "artifact-fixed", "open-question"

}  // namespace crashdiff
