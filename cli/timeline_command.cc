// crashdiff timeline: render one run of a scenario as an SVG picture (or an HTML page embedding it).
#include <cstdio>
#include <optional>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "diff/differential.h"
#include "diff/finding.h"
#include "diff/runner.h"
#include "diff/signature.h"
#include "report/timeline.h"
#include "sim/scenario_io.h"
#include "util/atomic_file.h"

namespace crashdiff::cli {
namespace {

constexpr const char* kUsage = "usage: crashdiff timeline FILE [--target T] -o OUT.html|OUT.svg\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "crashdiff timeline: %s\n%s", why.c_str(), kUsage);
  return kExitUsage;
}

bool EndsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The target to draw: the one a reproducer's "# signature:" names (the target it was minimized for), if it ran;
// else the first (by name) with a new divergence, else the first with a known one, else the first. An explicit
// --target leaves only that target in the report, so it always wins.
const TargetReport& ChooseTarget(const DiffReport& report, const std::string& named_signature) {
  const std::optional<Signature> parsed = Signature::Parse(named_signature);
  const std::string named = parsed ? parsed->target : std::string();
  for (const TargetReport& t : report.targets) {
    if (!named.empty() && t.target == named) return t;
  }
  for (const std::string_view verdict : {"new", "known"}) {
    for (const TargetReport& t : report.targets) {
      if (t.verdict() == verdict) return t;
    }
  }
  return report.targets.front();
}

// The divergence to highlight: the one a reproducer's header names, if this target shows it; else the earliest
// witness among the new ones (else among all): the first wrong step is where a reader should start.
const Divergence* ChooseDivergence(const TargetReport& t, const std::string& named) {
  if (const Divergence* d = t.Find(named); d != nullptr) return d;
  const Divergence* best = nullptr;
  for (const bool only_new : {true, false}) {
    for (const Divergence& d : t.divergences) {
      if ((only_new && d.known) || !d.at.set()) continue;
      if (best == nullptr || d.at.step < best->at.step) best = &d;
    }
    if (best != nullptr) return best;
  }
  return t.divergences.empty() ? nullptr : &t.divergences.front();
}

}  // namespace

int TimelineCommand(const Args& raw_args) {
  ArgReader r(WithLongOutputFlag(raw_args), {"--target", "--output"}, {});
  if (!r.ok()) return Usage(r.error());
  if (r.positionals().size() != 1) return Usage("expected one scenario file");
  const std::string output = r.Value("--output").value_or("");
  if (output.empty()) return Usage("-o OUT.html or -o OUT.svg is required");
  const bool html = EndsWith(output, ".html") || EndsWith(output, ".htm");
  if (!html && !EndsWith(output, ".svg")) return Usage("the output file must end in .html or .svg: " + output);

  const std::string& file = r.positionals()[0];
  std::string text;
  const LoadResult loaded = LoadScenarioFile(file, &text);
  if (!loaded.scenario) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  const std::string only = r.Value("--target").value_or("");
  if (!only.empty() && FindTarget(only) == nullptr) {
    return Usage("unknown target '" + only + "' (see 'crashdiff targets')");
  }
  const auto targets = TargetsFor(*loaded.scenario, only);
  if (targets.empty()) {
    return Usage("no target runs " + pb::Family_Name(loaded.scenario->machine().family()) + " on " +
                 pb::Platform_Name(loaded.scenario->machine().platform()));
  }
  DiffOptions diff_options;
  diff_options.only_target = only;
  diff_options.keep_traces = true;
  const DiffReport report = RunDifferential(*loaded.scenario, diff_options);
  const std::string named = ParseFindingHeader(text).signature;
  const TargetReport& chosen = ChooseTarget(report, named);
  const TargetSpec& target = *FindTarget(chosen.target);
  const RunResult& run = chosen.result;

  TimelineOptions options;
  options.title = file + " on " + target.name + " (" + std::string(chosen.verdict()) + ")";
  options.subtitle = pb::Family_Name(loaded.scenario->machine().family()) + " / " +
                     pb::Platform_Name(loaded.scenario->machine().platform()) + " | models " + target.models;
  if (const Divergence* d = ChooseDivergence(chosen, named)) {
    options.subtitle = d->signature + (d->known ? " (known)" : " (new)");
    if (chosen.divergences.size() > 1) {
      options.subtitle += " | +" + std::to_string(chosen.divergences.size() - 1) + " more (crashdiff run --explain)";
    }
    options.witness = d->at;
  }
  const std::string content = html ? RenderTimelineHtml(run, options) : RenderTimelineSvg(run, options);
  if (const std::string error = WriteFileAtomically(output, content); !error.empty()) {
    std::fprintf(stderr, "crashdiff timeline: %s\n", error.c_str());
    return kExitUsage;
  }
  std::printf("wrote %s: %s, %s, %zu cpus, %zu trace entries\n", output.c_str(), target.name.c_str(),
              std::string(chosen.verdict()).c_str(), run.cpus.size(), run.trace.entries().size());
  return kExitClean;
}

}  // namespace crashdiff::cli
