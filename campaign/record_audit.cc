#include "campaign/record_audit.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>

#include "diff/signature.h"
#include "sim/validate.h"
#include "util/join.h"
#include "util/json.h"

namespace crashdiff::campaign {
namespace {

// "a 12, b 3": most signatures first, ties by name.
std::string Counts(const std::map<std::string, size_t>& counts) {
  std::vector<std::pair<std::string, size_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return Join(sorted, ", ", [](const auto& c) { return c.first + " " + std::to_string(c.second); });
}

void CountsJson(JsonWriter& w, std::string_view key, const std::map<std::string, size_t>& counts) {
  w.Key(key).BeginObject();
  for (const auto& [value, n] : counts) w.Key(value).Uint(n);
  w.EndObject();
}

template <typename List>
void ListJson(JsonWriter& w, std::string_view key, const List& list) {
  w.Key(key).BeginArray();
  for (const auto& item : list) w.String(item);
  w.EndArray();
}

std::string Stem(const TriageRecord& r) {
  return std::filesystem::path(r.file).stem().string();
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
    for (const std::string& e : EventKindNames(f.scenario_events)) ++c.events[e];
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
    out += Stem(*c.record) + "  (" + std::string(VerdictName(t.verdict())) + ", " + std::to_string(c.signatures) +
           " signature(s))\n";
    out += "  keys     " + Counts(c.keys) + "\n";
    out += "  targets  " + Counts(c.targets) + Restriction(t.targets()) + "\n";
    out += "  roles    " + Counts(c.roles) + Restriction(t.roles()) + "\n";
    out += "  witness  " + Counts(c.witness_labels) + Restriction(t.witness_labels()) + "\n";
    out += "  events   " + Counts(c.events) + Restriction(t.requires_events()) + "\n";
    const std::vector<std::string> every = EventKindNames(c.events_in_every);
    out += "           in every scenario: " + (every.empty() ? std::string("none") : Join(every, ", ")) + "\n";
  }
  size_t triaged = 0;
  for (const RecordCoverage& c : audit.covering) triaged += c.signatures;
  out += std::to_string(audit.findings) + " finding(s) (" +
         Join(audit.statuses, ", ", [](const auto& s) { return std::to_string(s.second) + " " + s.first; }) + "); " +
         std::to_string(triaged) + " triaged by " + std::to_string(audit.covering.size()) + " record(s)\n";
  if (!audit.idle.empty()) {
    out += std::to_string(audit.idle.size()) + " record(s) covered none of them: " +
           Join(audit.idle, ", ", [](const TriageRecord* r) { return Stem(*r); }) + "\n";
  }
  return out;
}

std::string RecordAuditJson(const RecordAudit& audit, size_t gone) {
  JsonWriter w;
  w.BeginObject().Key("schema_version").Int(1).Key("findings").Uint(audit.findings);
  CountsJson(w, "statuses", audit.statuses);
  w.Key("gone").Uint(gone).Key("records").BeginArray();
  for (const RecordCoverage& c : audit.covering) {
    const pb::Triage& t = c.record->triage;
    w.BeginObject().Key("record").String(Stem(*c.record)).Key("file").String(c.record->file);
    w.Key("verdict").String(VerdictName(t.verdict())).Key("signatures").Uint(c.signatures);
    CountsJson(w, "keys", c.keys);
    CountsJson(w, "targets", c.targets);
    CountsJson(w, "roles", c.roles);
    CountsJson(w, "witness_labels", c.witness_labels);
    CountsJson(w, "events", c.events);
    ListJson(w, "events_in_every", EventKindNames(c.events_in_every));
    w.Key("restricts").BeginObject();
    ListJson(w, "targets", t.targets());
    ListJson(w, "roles", t.roles());
    ListJson(w, "witness_labels", t.witness_labels());
    ListJson(w, "requires_events", t.requires_events());
    w.EndObject().EndObject();
  }
  w.EndArray().Key("idle").BeginArray();
  for (const TriageRecord* r : audit.idle) w.String(Stem(*r));
  w.EndArray().EndObject();
  return w.str() + "\n";
}

}  // namespace crashdiff::campaign
