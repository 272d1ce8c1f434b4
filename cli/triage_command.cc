// `crashdiff triage`: everything a kernel developer needs to judge one finding in minutes: its signature and
// root cause, what the triage records already say, the witness step by step on its own target, a timeline of that
// run, and a record skeleton to fill in (corpus/triage/, proto/triage.proto). `--list` shows the records;
// `--audit DIR...` what each of them covers in campaigns' findings (campaign/record_audit.h).
#include <cstdio>
#include <filesystem>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "campaign/findings.h"
#include "campaign/record_audit.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/source_dir.h"
#include "diff/differential.h"
#include "diff/explain.h"
#include "diff/finding.h"
#include "minimize/corpus_status.h"
#include "minimize/regress.h"
#include "minimize/reproducer.h"
#include "minimize/triage.h"
#include "report/timeline.h"
#include "sim/scenario_io.h"
#include "util/atomic_file.h"
#include "util/join.h"

namespace crashdiff::cli {
namespace {

namespace fs = std::filesystem;

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "crashdiff triage: %s\nusage: crashdiff triage FILE [--signature S] [-o OUT.html] [--triage DIR]\n"
               "       crashdiff triage --list [--triage DIR]\n"
               "       crashdiff triage --audit DIR... [--from-headers] [--json] [--triage DIR]\n",
               why.c_str());
  return kExitUsage;
}

std::string TriageDir(const ArgReader& r) {
  if (auto d = r.Value("--triage")) return *d;
  return (SourceDir() / "corpus/triage").string();
}

// "a,b,c", or fallback when the list is empty.
template <typename List>
std::string Joined(const List& list, const char* fallback) {
  const std::string out = Join(list, ",");
  return out.empty() ? fallback : out;
}

int List(const TriageBook& book) {
  for (const TriageRecord& rec : book.records) {
    const pb::Triage& t = rec.triage;
    // What narrows a key to this mechanism: roles, required events, witness steps (empty: any).
    std::string scope = "roles " + Joined(t.roles(), "any") + "; events " + Joined(t.requires_events(), "any") +
                        "; witness " + Joined(t.witness_labels(), "any");
    std::printf("%-15s %-36s %s\n%15s %s\n%15s %s\n", std::string(VerdictName(t.verdict())).c_str(),
                RootCauses(t).c_str(), Joined(t.targets(), "(every target)").c_str(), "", scope.c_str(), "",
                t.summary().c_str());
  }
  std::printf("%zu record(s)\n", book.records.size());
  return kExitClean;
}

// What each record covers in the findings of campaign directories (a `crashdiff fuzz --out` directory or its
// findings/). Each finding is run again by default, so it is judged as the current models and records judge it;
// --from-headers trusts what the harness wrote (faster, and what the campaign printed).
int Audit(const std::vector<std::string>& dirs, TriageBook book, bool rejudge, bool json) {
  // The book given (--triage) and the regression corpus's recorded bugs: what LoadCorpusBook reads, the book once.
  CorpusBook corpus{std::move(book), LoadRecordedBugs((SourceDir() / "corpus/regressions").string())};
  std::vector<campaign::Finding> findings;
  size_t gone = 0;
  for (const std::string& d : dirs) {
    fs::path dir(d);
    if (!fs::is_directory(dir)) return Usage(d + ": not a directory");
    if (fs::is_directory(dir / "findings")) dir /= "findings";
    std::vector<campaign::Finding> some = campaign::ReadFindings(dir, corpus, rejudge, &gone);
    findings.insert(findings.end(), std::make_move_iterator(some.begin()), std::make_move_iterator(some.end()));
  }
  const campaign::RecordAudit audit = campaign::AuditRecords(corpus.triage, findings);
  if (json) {
    std::fputs(campaign::RecordAuditJson(audit, gone).c_str(), stdout);
    return kExitClean;
  }
  std::fputs(campaign::FormatRecordAudit(audit).c_str(), stdout);
  if (gone > 0) std::printf("%zu finding(s) no longer show their signature (not audited)\n", gone);
  return kExitClean;
}

// The divergence FILE is about: the one its header names, else the first new violation, else the first one.
const Divergence* Chosen(const DiffReport& report, const std::string& signature) {
  if (const Divergence* named = report.Find(signature); named != nullptr) return named;
  const Divergence* first_new = nullptr;
  for (const Divergence& d : report.divergences) {
    if (first_new == nullptr && !d.known && !d.difference()) first_new = &d;
  }
  if (first_new != nullptr) return first_new;
  return report.divergences.empty() ? nullptr : &report.divergences.front();
}

}  // namespace

int TriageCommand(const Args& raw_args) {
  ArgReader r(WithLongOutputFlag(raw_args), {"--signature", "--output", "--triage"},
              {"--list", "--audit", "--from-headers", "--json"});
  if (!r.ok()) return Usage(r.error());
  const std::string triage_dir = TriageDir(r);
  const TriageBook book = LoadTriage(triage_dir);
  std::fputs(NoTriageNote(triage_dir).c_str(), stderr);
  for (const std::string& e : book.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (!book.errors.empty()) return kExitUsage;
  if (r.Has("--list")) return List(book);
  if (r.Has("--audit")) {
    if (r.positionals().empty()) return Usage("--audit: expected one or more campaign directories");
    return Audit(r.positionals(), book, !r.Has("--from-headers"), r.Has("--json"));
  }
  if (r.positionals().size() != 1) return Usage("expected one finding or reproducer file");

  const std::string& file = r.positionals()[0];
  std::string text;
  const LoadResult loaded = LoadScenarioFile(file, &text);
  if (!loaded.scenario) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  const std::string named = r.Value("--signature").value_or(ParseFindingHeader(text).signature);
  DiffOptions options;
  options.keep_traces = true;
  const DiffReport report = RunDifferential(*loaded.scenario, options);
  const Divergence* d = Chosen(report, named);
  if (d == nullptr) {
    std::printf("%s: no divergence on any target (nothing to triage)\n", file.c_str());
    return kExitClean;
  }
  if (!named.empty() && d->signature != named) {
    std::printf("note: %s no longer shows '%s' (an artifact fixed since?)\n", file.c_str(), named.c_str());
  }
  const TargetReport* run = nullptr;
  for (const TargetReport& t : report.targets) {
    if (t.target == d->target) run = &t;
  }
  const TriageRecord* rec = book.Find(d->root_cause, d->target, d->role, d->scenario_events, d->cause_label);
  std::printf("signature   %s\nroot cause  %s\nstatus      %s\n", d->signature.c_str(), d->root_cause.c_str(),
              d->difference()  ? "outcome difference (information)"
              : d->known       ? "known (documented by the target)"
              : rec != nullptr ? (std::string(VerdictName(rec->triage.verdict())) + " (" + rec->file + ")").c_str()
                               : "NEW (untriaged)");
  std::printf("witness     %s\n", d->witness.c_str());
  if (d->cause_label != d->at.label) {
    // A consequence: records are matched against the witness of the divergence whose root cause it carries.
    std::printf("cause at    %s (the records' witness labels are checked against it)\n",
                std::string(d->cause_label).c_str());
  }
  if (run != nullptr) {
    for (const std::string& line : ExplainDivergence(run->result, *d)) std::printf("  | %s\n", line.c_str());
  }
  std::printf("reference   %s\n", OutcomeSummary(report.reference_outcome).c_str());
  if (run != nullptr) std::printf("%-11s %s\n", d->target.c_str(), OutcomeSummary(run->outcome).c_str());

  // The timeline only where asked for: written by default into the current directory, a session's triage left
  // hundreds of them in whatever directory it ran from.
  const std::optional<std::string> out = r.Value("--output");
  if (run != nullptr && !out) {
    std::printf("timeline    crashdiff triage %s -o OUT.html\n", file.c_str());
  } else if (run != nullptr) {
    TimelineOptions t;
    t.title = file + " on " + d->target;
    t.subtitle = d->signature;
    t.witness = d->at;
    if (const std::string error = WriteFileAtomically(*out, RenderTimelineHtml(run->result, t)); !error.empty()) {
      std::fprintf(stderr, "crashdiff triage: %s\n", error.c_str());
      return kExitUsage;
    }
    std::printf("timeline    %s\n", out->c_str());
  }
  if (rec == nullptr && !d->known && !d->difference()) {
    std::printf(
        "\nrecord the verdict in corpus/triage/<name>.textproto:\n"
        "  root_cause: \"%s\"\n  targets: \"%s\"\n  verdict: REAL  # or OPEN_QUESTION, ARTIFACT_FIXED\n"
        "  summary: \"...\"\n  reason: \"...\"\n"
        "  source { file: \"...\" function: \"...\" commit: \"...\" }\n  reproducer: \"%s\"\n",
        d->root_cause.c_str(), d->target.c_str(), file.c_str());
  }
  return kExitClean;
}

}  // namespace crashdiff::cli
