#include "minimize/corpus_status.h"

#include <optional>
#include <set>
#include <utility>

#include "diff/signature.h"

namespace crashdiff {

const char* Name(CorpusStatus s) {
  switch (s) {
    case CorpusStatus::kNew: return "NEW";
    case CorpusStatus::kTriaged: return "triaged";
    case CorpusStatus::kOpen: return "open";
    case CorpusStatus::kKnown: return "known";
    case CorpusStatus::kDifference: return "differs";
  }
  return "NEW";
}

CorpusStatus StatusOf(const Divergence& d, const CorpusBook& book) {
  return Judge(book, d.difference(), d.known, d.signature, d.root_cause, d.scenario_events, d.cause_label).status;
}

void OpenAsAWhole(const std::vector<JudgedItem>& items) {
  std::set<std::pair<std::string, std::string>> open;
  for (const JudgedItem& i : items) {
    if (*i.status == CorpusStatus::kOpen) open.emplace(i.root_cause, i.target);
  }
  for (const JudgedItem& i : items) {
    if (*i.status == CorpusStatus::kNew && open.count({i.root_cause, i.target})) *i.status = CorpusStatus::kOpen;
  }
}

std::map<std::string, CorpusStatus> StatusesOf(const DiffReport& report, const CorpusBook& book) {
  std::map<std::string, CorpusStatus> out;
  for (const Divergence& d : report.divergences) out[d.signature] = StatusOf(d, book);
  std::vector<JudgedItem> items;
  for (const Divergence& d : report.divergences) items.push_back({d.root_cause, d.target, &out[d.signature]});
  OpenAsAWhole(items);
  return out;
}

std::string Tag(CorpusStatus s) {
  return s == CorpusStatus::kDifference ? "[diff]" : "[" + std::string(Name(s)) + "]";
}

CorpusBook LoadCorpusBook(const std::string& source_dir) {
  return {LoadTriage(source_dir + "/corpus/triage", source_dir), LoadRecordedBugs(source_dir + "/corpus/regressions")};
}

Judgement Judge(const CorpusBook& book, bool difference, bool known, const std::string& signature,
                const std::string& root_cause, uint64_t scenario_events, std::string_view witness_label) {
  if (difference) return {CorpusStatus::kDifference, nullptr};
  if (known) return {CorpusStatus::kKnown, nullptr};
  const std::optional<Signature> sig = Signature::Parse(signature);
  const std::string target = sig ? sig->target : "";
  const TriageRecord* record =
      book.triage.Find(root_cause, target, sig ? sig->role : "", scenario_events, witness_label);
  if (record != nullptr) {
    // An artifact marked fixed that shows again has come back: that is news.
    return {record->triage.verdict() == pb::Triage::ARTIFACT_FIXED ? CorpusStatus::kNew : CorpusStatus::kTriaged,
            record};
  }
  return {book.recorded.count({target, Signature::KeyOf(signature)}) ? CorpusStatus::kOpen : CorpusStatus::kNew,
          nullptr};
}

}  // namespace crashdiff
