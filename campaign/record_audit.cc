#include "campaign/record_audit.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <utility>

#include "diff/signature.h"
#include "proto/scenario.pb.h"
#include "util/join.h"

namespace crashdiff::campaign {
namespace {

std::vector<std::string> EventNames(uint64_t kinds) {
  std::vector<std::string> out;
  for (int k = 0; k < 64; ++k) {
    if (((kinds >> k) & 1) != 0 && pb::EventKind_IsValid(k)) {
      out.push_back(pb::EventKind_Name(static_cast<pb::EventKind>(k)));
    }
  }
  return out;
}

// "a 12, b 3": most signatures first, ties by name.
std::string Counts(const std::map<std::string, size_t>& counts) {
  std::vector<std::pair<std::string, size_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return Join(sorted, ", ", [](const auto& c) { return c.first + " " + std::to_string(c.second); });
}

template <typename List>
std::string Restriction(const List& list) {
  const std::string joined = Join(list, ", ");
  return "  (record: " + (joined.empty() ? std::string("any") : joined) + ")";
}

}  // namespace

RecordAudit AuditRecords(const TriageBook& book, const std::vector<Finding>& findings) {
  RecordAudit audit;
  std::map<const TriageRecord*, RecordCoverage> by_record;
  for (const Finding& f : findings) {
    ++audit.findings;
    ++audit.statuses[Name(f.status)];
    if (f.status != Status::kTriaged || f.triage == nullptr) continue;
    RecordCoverage& c = by_record[f.triage];
    c.record = f.triage;
    ++c.signatures;
    ++c.keys[f.root_cause];
    if (const std::optional<Signature> s = Signature::Parse(f.signature)) {
      ++c.targets[s->target];
      ++c.roles[s->role];
    }
    ++c.witness_labels[f.witness_label.empty() ? "-" : f.witness_label];
    for (const std::string& e : EventNames(f.scenario_events)) ++c.events[e];
    c.events_in_every &= f.scenario_events;
  }
  for (auto& [record, coverage] : by_record) audit.covering.push_back(std::move(coverage));
  std::sort(audit.covering.begin(), audit.covering.end(), [](const RecordCoverage& a, const RecordCoverage& b) {
    return a.signatures != b.signatures ? a.signatures > b.signatures : a.record->file < b.record->file;
  });
  for (const TriageRecord& r : book.records) {
    if (!by_record.contains(&r)) audit.idle.push_back(&r);
  }
  return audit;
}

std::string FormatRecordAudit(const RecordAudit& audit) {
  std::string out;
  for (const RecordCoverage& c : audit.covering) {
    const pb::Triage& t = c.record->triage;
    out += std::filesystem::path(c.record->file).stem().string() + "  (" + std::string(VerdictName(t.verdict())) +
           ", " + std::to_string(c.signatures) + " signature(s))\n";
    out += "  keys     " + Counts(c.keys) + "\n";
    out += "  targets  " + Counts(c.targets) + Restriction(t.targets()) + "\n";
    out += "  roles    " + Counts(c.roles) + Restriction(t.roles()) + "\n";
    out += "  witness  " + Counts(c.witness_labels) + Restriction(t.witness_labels()) + "\n";
    out += "  events   " + Counts(c.events) + Restriction(t.requires_events()) + "\n";
    const std::vector<std::string> every = EventNames(c.events_in_every);
    out += "           in every scenario: " + (every.empty() ? std::string("none") : Join(every, ", ")) + "\n";
  }
  size_t triaged = 0;
  for (const RecordCoverage& c : audit.covering) triaged += c.signatures;
  out += std::to_string(audit.findings) + " finding(s) (" +
         Join(audit.statuses, ", ", [](const auto& s) { return std::to_string(s.second) + " " + s.first; }) + "); " +
         std::to_string(triaged) + " triaged by " + std::to_string(audit.covering.size()) + " record(s)\n";
  if (!audit.idle.empty()) {
    out +=
        std::to_string(audit.idle.size()) + " record(s) covered none of them: " +
        Join(audit.idle, ", ", [](const TriageRecord* r) { return std::filesystem::path(r->file).stem().string(); }) +
        "\n";
  }
  return out;
}

}  // namespace crashdiff::campaign
