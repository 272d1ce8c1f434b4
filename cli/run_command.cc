// crashdiff run FILE [--target T] [--json] [--explain] [--trace]: the differential run of one scenario — every
// target of its family against the reference — as a table for people or JSON for tools (docs/JSON.md). Each
// divergence is judged against the source tree's corpus as `crashdiff fuzz` judges it (minimize/corpus_status.h):
// a triaged or recorded one is not NEW.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/source_dir.h"
#include "diff/differential.h"
#include "diff/explain.h"
#include "diff/report_json.h"
#include "diff/runner.h"
#include "minimize/corpus_status.h"
#include "sim/scenario_io.h"

namespace crashdiff::cli {
namespace {

// A target's verdict is its most urgent divergence (CorpusStatus is ordered that way), "ok" without any.
using Statuses = std::map<std::string, CorpusStatus>;  // StatusesOf: by signature

std::string TargetVerdict(const TargetReport& t, const Statuses& status) {
  if (t.divergences.empty()) return std::string(t.verdict());
  CorpusStatus worst = CorpusStatus::kDifference;
  for (const Divergence& d : t.divergences) worst = std::min(worst, status.at(d.signature));
  return worst == CorpusStatus::kNew ? "new" : Name(worst);
}

void PrintDivergences(const std::vector<Divergence>& list, const RunResult* run, bool explain, const Statuses& status) {
  for (const Divergence& d : list) {
    std::printf("    %-9s %s\n", Tag(status.at(d.signature)).c_str(), d.signature.c_str());
    if (!explain) continue;
    std::printf("            %s, witness %s\n", d.severity.c_str(), d.witness.c_str());
    if (run == nullptr) continue;
    for (const std::string& line : ExplainDivergence(*run, d)) std::printf("            | %s\n", line.c_str());
  }
}

void PrintRunLine(const RunResult& r) {
  std::printf("    run: %s after %llu steps, %.6f s", std::string(Name(r.end)).c_str(),
              static_cast<unsigned long long>(r.steps), static_cast<double>(r.end_time_ns) / 1e9);
  if (r.handed_over) {
    std::printf("; hand-over by cpu%u at %.6f s", r.handover_cpu, static_cast<double>(r.handover_time_ns) / 1e9);
  } else {
    std::printf("; no hand-over");
  }
  std::printf("; trace %016llx\n", static_cast<unsigned long long>(r.trace_hash));
  for (const Diagnostic& d : r.diagnostics) {
    std::printf("    [%12.6f] cpu%u: %s\n", static_cast<double>(d.time_ns) / 1e9, d.cpu, d.text.c_str());
  }
}

void PrintHuman(const pb::Scenario& s, const std::string& file, const DiffReport& report, bool explain, bool trace,
                const Statuses& status) {
  std::printf("scenario %s: %s %s [%s]\n", file.c_str(), pb::Family_Name(s.machine().family()).c_str(),
              pb::Platform_Name(s.machine().platform()).c_str(), PlatformTag(s).c_str());
  std::printf("%-32s %-7s %s\n", "TARGET", "VERDICT", "OUTCOME (per role: at hand-over[->end] saves response)");
  std::printf("%-32s %-7s %s\n", "(reference)", report.reference_violations.empty() ? "-" : "inherent",
              OutcomeSummary(report.reference_outcome).c_str());
  for (const Divergence& d : report.reference_violations) {
    std::printf("    %-7s %s\n", "[inh]", d.signature.c_str());
    if (explain) std::printf("            %s, witness %s\n", d.severity.c_str(), d.witness.c_str());
  }
  for (const TargetReport& t : report.targets) {
    std::printf("%-32s %-7s %s\n", t.target.c_str(), TargetVerdict(t, status).c_str(),
                OutcomeSummary(t.outcome).c_str());
    if (explain || trace) PrintRunLine(t.result);
    PrintDivergences(t.divergences, explain ? &t.result : nullptr, explain, status);
    if (trace) std::printf("%s", t.result.trace.ToText().c_str());
  }
  size_t count[5] = {};
  for (const Divergence& d : report.divergences) ++count[static_cast<int>(status.at(d.signature))];
  const size_t differences = count[static_cast<int>(CorpusStatus::kDifference)];
  std::printf(
      "%zu divergence(s): %zu violation(s) (%zu new, %zu triaged, %zu open, %zu known); %zu outcome difference(s) "
      "(information)\n",
      report.divergences.size(), report.divergences.size() - differences, count[static_cast<int>(CorpusStatus::kNew)],
      count[static_cast<int>(CorpusStatus::kTriaged)], count[static_cast<int>(CorpusStatus::kOpen)],
      count[static_cast<int>(CorpusStatus::kKnown)], differences);
}

bool AnyNew(const DiffReport& report, const Statuses& status) {
  for (const Divergence& d : report.divergences) {
    if (status.at(d.signature) == CorpusStatus::kNew) return true;
  }
  return false;
}

}  // namespace

int RunCommand(const Args& args) {
  ArgReader r(args, {"--target"}, {"--json", "--trace", "--explain"});
  if (!r.ok() || r.positionals().size() != 1) {
    std::fprintf(stderr, "crashdiff run: %s\nusage: crashdiff run FILE [--target T] [--json] [--explain] [--trace]\n",
                 r.ok() ? "expected one scenario file" : r.error().c_str());
    return kExitUsage;
  }
  const std::string file = r.positionals()[0];
  const LoadResult loaded = LoadScenarioFile(file);
  if (!loaded.scenario) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  const std::string only = r.Value("--target").value_or("");
  if (!only.empty() && FindTarget(only) == nullptr) {
    std::fprintf(stderr, "crashdiff run: unknown target '%s' (see 'crashdiff targets')\n", only.c_str());
    return kExitUsage;
  }
  if (TargetsFor(*loaded.scenario, only).empty()) {
    std::fprintf(stderr, "crashdiff run: no target runs %s on %s\n",
                 pb::Family_Name(loaded.scenario->machine().family()).c_str(),
                 pb::Platform_Name(loaded.scenario->machine().platform()).c_str());
    return kExitUsage;
  }
  DiffOptions options;
  options.only_target = only;
  options.keep_traces = r.Has("--explain") || r.Has("--trace");
  const DiffReport report = RunDifferential(*loaded.scenario, options);
  const std::filesystem::path source = SourceDir();
  const Statuses status = StatusesOf(report, LoadCorpusBook(source.string()));
  if (const std::string note = NoTriageNote(source / "corpus/triage"); !note.empty()) {
    std::fputs(note.c_str(), stderr);
  }
  if (r.Has("--json")) {
    std::printf("%s\n", DiffReportToJson(*loaded.scenario, file, report).c_str());
  } else {
    PrintHuman(*loaded.scenario, file, report, r.Has("--explain"), r.Has("--trace"), status);
  }
  return AnyNew(report, status) ? kExitDivergence : kExitClean;
}

}  // namespace crashdiff::cli
