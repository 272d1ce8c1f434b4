#include "minimize/triage.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/join.h"

namespace crashdiff {
namespace {

namespace fs = std::filesystem;

class Collector : public google::protobuf::io::ErrorCollector {
 public:
  Collector(std::string name, std::vector<std::string>& out) : name_(std::move(name)), out_(out) {}
  void AddError(int line, google::protobuf::io::ColumnNumber /*column*/, const std::string& message) override {
    out_.push_back(name_ + ":" + std::to_string(line + 1) + ": " + message);
  }

 private:
  std::string name_;
  std::vector<std::string>& out_;
};

// A requires_events entry's event kind names: "A|B" -> {"A", "B"}.
std::vector<std::string> Alternatives(const std::string& entry) {
  std::vector<std::string> out;
  for (size_t at = 0; at <= entry.size();) {
    const size_t bar = std::min(entry.find('|', at), entry.size());
    out.push_back(entry.substr(at, bar - at));
    at = bar + 1;
  }
  return out;
}

}  // namespace

std::string_view VerdictName(pb::Triage::Verdict v) {
  switch (v) {
    case pb::Triage::REAL: return "real";
    case pb::Triage::ARTIFACT_FIXED: return "artifact-fixed";
    case pb::Triage::OPEN_QUESTION: return "open-question";
    default: return "unspecified";
  }
}

std::vector<std::string> ValidateTriage(const pb::Triage& t, const std::string& name, const std::string& repo_root) {
  std::vector<std::string> errors;
  auto need = [&](bool ok, const std::string& field, const std::string& why) {
    if (!ok) errors.push_back(name + ": " + field + ": " + why);
  };
  need(t.root_cause_size() > 0, "root_cause", "required (the key crashdiff prints, e.g. \"PR3 lost-wake @L2\")");
  for (const std::string& key : t.root_cause()) {
    need(key.find(" @") != std::string::npos, "root_cause",
         "'" + key + "' is not a root-cause key (\"<PRn> <short-name> @<label>\")");
  }
  for (const std::string& entry : t.requires_events()) {
    for (const std::string& kind : Alternatives(entry)) {
      pb::EventKind parsed;
      need(pb::EventKind_Parse(kind, &parsed) && parsed != pb::EVENT_UNSPECIFIED, "requires_events",
           "'" + kind +
               "' is not an event kind (proto/scenario.proto EventKind, e.g. KEXEC or SYSTEM_RESET|OPERATOR_RESET)");
    }
  }
  need(t.verdict() != pb::Triage::VERDICT_UNSPECIFIED, "verdict", "required: REAL, ARTIFACT_FIXED or OPEN_QUESTION");
  need(!t.summary().empty(), "summary", "required (one line)");
  need(!t.reason().empty(), "reason", "required (the argument from the kernel source or the crashdiff fix)");
  if (t.verdict() == pb::Triage::REAL) {
    need(t.source_size() > 0, "source", "a REAL verdict names the kernel file, function and commit that explain it");
    for (const pb::SourceRef& s : t.source()) {
      need(!s.file().empty() && !s.function().empty() && !s.commit().empty(), "source",
           "file, function and commit are all required");
    }
  }
  if (t.verdict() == pb::Triage::ARTIFACT_FIXED) {
    need(!t.fixed_by().empty(), "fixed_by", "an ARTIFACT_FIXED verdict names the change that removed it");
  }
  if (!t.reproducer().empty() && !repo_root.empty()) {
    std::error_code ec;
    need(fs::is_regular_file(fs::path(repo_root) / t.reproducer(), ec), "reproducer",
         "no such file: " + t.reproducer());
  }
  return errors;
}

// Each entry is a kind or several joined by '|'; every entry needs one of its kinds in the scenario.
bool HasRequiredEvents(const pb::Triage& t, uint64_t scenario_events) {
  for (const std::string& entry : t.requires_events()) {
    bool any = false;
    for (const std::string& name : Alternatives(entry)) {
      pb::EventKind kind;
      any |= pb::EventKind_Parse(name, &kind) && ((scenario_events >> kind) & 1);
    }
    if (!any) return false;
  }
  return true;
}

const TriageRecord* TriageBook::Find(std::string_view root_cause, std::string_view target, std::string_view role,
                                     uint64_t scenario_events, std::string_view witness_label) const {
  const auto covers = [](const auto& list, std::string_view item) {
    return list.empty() || std::find(list.begin(), list.end(), item) != list.end();
  };
  for (const TriageRecord& r : records) {
    const auto& keys = r.triage.root_cause();
    if (std::find(keys.begin(), keys.end(), root_cause) == keys.end()) continue;
    if (!HasRequiredEvents(r.triage, scenario_events)) continue;
    const auto& labels = r.triage.witness_labels();
    if (!labels.empty() && std::find(labels.begin(), labels.end(), witness_label) == labels.end()) continue;
    if (covers(r.triage.targets(), target) && (role.empty() || covers(r.triage.roles(), role))) return &r;
  }
  return nullptr;
}

std::string RootCauses(const pb::Triage& t) {
  return Join(t.root_cause(), ", ");
}

TriageBook LoadTriage(const std::string& dir, const std::string& repo_root) {
  TriageBook book;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return book;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".textproto" && e.is_regular_file(ec)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files) {
    std::ifstream in(f);
    std::stringstream text;
    text << in.rdbuf();
    TriageRecord r;
    r.file = f.string();
    google::protobuf::TextFormat::Parser parser;
    Collector collector(r.file, book.errors);
    parser.RecordErrorsTo(&collector);
    if (!parser.ParseFromString(text.str(), &r.triage)) continue;
    const std::vector<std::string> errors = ValidateTriage(r.triage, r.file, repo_root);
    if (!errors.empty()) {
      book.errors.insert(book.errors.end(), errors.begin(), errors.end());
      continue;
    }
    book.records.push_back(std::move(r));
  }
  return book;
}

}  // namespace crashdiff
