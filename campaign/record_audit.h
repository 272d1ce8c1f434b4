// What each triage record covers in campaigns' findings (`crashdiff triage --audit DIR...`): its signatures by key,
// target, role, witness step and scenario event. Keys name where a bug shows, not how it came about, so a record
// can cover a second mechanism that shows under its key: then the audit shows two pictures (witness steps, roles or
// events the record's reason does not explain), and the campaign has been calling the second mechanism's findings
// triaged. What narrows a record to its own mechanism: roles, requires_events, witness_labels (proto/triage.proto).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "campaign/findings.h"

namespace crashdiff::campaign {

struct RecordCoverage {
  const TriageRecord* record = nullptr;
  size_t signatures = 0;
  // Signatures per value (a signature names one target and one role; a scenario has several event kinds).
  std::map<std::string, size_t> keys, targets, roles, witness_labels, events;
  uint64_t events_in_every = ~uint64_t{0};  // the event kinds every covered finding's scenario had
};

struct RecordAudit {
  std::vector<RecordCoverage> covering;    // records that covered a finding, most signatures first
  std::vector<const TriageRecord*> idle;   // records of the book that covered none
  std::map<std::string, size_t> statuses;  // findings per status name ("NEW", "triaged", ...)
  size_t findings = 0;
};

// findings: judged against a corpus whose triage book is book (ReadFindings); triaged ones point into it.
RecordAudit AuditRecords(const TriageBook& book, const std::vector<Finding>& findings);
// Per covering record: its file, verdict and count, then a line per dimension, each value with its count (most
// first) and what the record itself restricts it to; then the status counts and the idle records.
std::string FormatRecordAudit(const RecordAudit& audit);
// The same as one JSON object (docs/JSON.md, "crashdiff triage --audit --json"); gone: findings that no longer show
// their signature.
std::string RecordAuditJson(const RecordAudit& audit, size_t gone);

}  // namespace crashdiff::campaign
