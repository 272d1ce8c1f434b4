// crashdiff patch: a patched target against the target it was copied from, on the corpus and a short campaign.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/patch_report.h"
#include "minimize/patch_eval.h"
#include "targets/target.h"
#include "util/join.h"
#include "util/json.h"

namespace crashdiff::cli {
namespace {

constexpr uint64_t kDefaultMutants = 2000;

// "on 12 inputs, 2 platforms (doorbell, xive-ipi)", plus what the other side still shows.
std::string Extent(const RootCauseRow& row) {
  std::string s = "on " + std::to_string(row.inputs()) + (row.inputs() == 1 ? " input, " : " inputs, ") +
                  std::to_string(row.platforms.size()) + (row.platforms.size() == 1 ? " platform (" : " platforms (") +
                  Join(row.platforms, ", ") + ")";
  if (row.moved > 0) {
    s += "; on " + std::to_string(row.moved) + " of them " +
         (row.change == PatchChange::kIntroduced ? "the base" : "the patch") + " shows " +
         row.root_cause.substr(0, row.root_cause.rfind(" @")) + " at another step";
  }
  if (row.change == PatchChange::kPartlyFixed) s += "; both still show it on " + std::to_string(row.both);
  if (row.change == PatchChange::kIntroduced && row.both + row.base_only > 0) {
    s += "; the base shows it on " + std::to_string(row.both + row.base_only) + " other input(s)";
  }
  return s;
}

void PrintRows(const std::vector<RootCauseRow>& rows, const char* indent) {
  for (const RootCauseRow& row : rows) {
    std::printf("%s%-13s %s  %s\n", indent, Name(row.change), row.root_cause.c_str(), Extent(row).c_str());
    if (row.change == PatchChange::kUnchanged) continue;
    std::printf("%s    e.g.    %s\n", indent, row.example.c_str());
    std::printf("%s    input   %s\n", indent, row.reproducer_input.c_str());
    if (!row.written.empty()) std::printf("%s    written %s\n", indent, row.written.c_str());
  }
}

void PrintText(const PatchReport& report, const PatchOptions& options) {
  std::printf("%s against %s: %zu corpus files", report.patch.c_str(), report.base.c_str(), report.corpus_inputs);
  if (report.mutants > 0) {
    std::printf(", %zu mutants (seed %llu)", report.mutants, static_cast<unsigned long long>(options.rng_seed));
  }
  std::printf("; %zu inputs run on both, %zu skipped (another family, or a platform one of them does not run)\n\n",
              report.compared, report.skipped);
  PrintRows(report.root_causes, "");
  if (!report.outcomes.empty()) {
    std::printf("\noutcome differences from the reference (not bugs: a run ending elsewhere, no property failed)\n");
    PrintRows(report.outcomes, "  ");
  }
  std::printf("\n%zu introduced, %zu fixed, %zu partly-fixed, %zu unchanged root cause(s)\n",
              report.Count(PatchChange::kIntroduced), report.Count(PatchChange::kFixed),
              report.Count(PatchChange::kPartlyFixed), report.Count(PatchChange::kUnchanged));
}

void JsonRows(JsonWriter& j, const std::vector<RootCauseRow>& rows) {
  j.BeginArray();
  for (const RootCauseRow& row : rows) {
    j.BeginObject().Key("root_cause").String(row.root_cause).Key("change").String(Name(row.change));
    j.Key("inputs").Int(row.inputs()).Key("both").Int(row.both).Key("base_only").Int(row.base_only);
    j.Key("patch_only").Int(row.patch_only).Key("moved").Int(row.moved).Key("platforms").BeginArray();
    for (const std::string& p : row.platforms) j.String(p);
    j.EndArray().Key("example").String(row.example);
    j.Key("reproducer_input").String(row.reproducer_input).Key("reproducer_file").String(row.written);
    j.EndObject();
  }
  j.EndArray();
}

void PrintJson(const PatchReport& report, const PatchOptions& options) {
  JsonWriter j;
  j.BeginObject().Key("patch").String(report.patch).Key("base").String(report.base);
  j.Key("corpus_inputs").Uint(report.corpus_inputs).Key("mutants").Uint(report.mutants);
  j.Key("seed").Uint(options.rng_seed).Key("compared").Uint(report.compared).Key("skipped").Uint(report.skipped);
  j.Key("introduced").Bool(report.introduced());
  j.Key("root_causes");
  JsonRows(j, report.root_causes);
  j.Key("outcomes");
  JsonRows(j, report.outcomes);
  j.Key("errors").BeginArray();
  for (const std::string& e : report.errors) j.String(e);
  j.EndArray().EndObject();
  std::printf("%s\n", j.str().c_str());
}

}  // namespace

bool FindPatchAndBase(const char* command, const std::string& patch, const std::string& base,
                      const TargetSpec*& patch_spec, const TargetSpec*& base_spec) {
  patch_spec = FindTarget(patch);
  base_spec = FindTarget(base);
  for (const auto& [name, spec] : {std::pair{patch, patch_spec}, std::pair{base, base_spec}}) {
    if (spec == nullptr) {
      std::fprintf(stderr, "crashdiff %s: unknown target '%s' (see 'crashdiff targets')\n", command, name.c_str());
      return false;
    }
  }
  if (patch_spec->family != base_spec->family) {
    std::fprintf(stderr,
                 "crashdiff %s: --target %s is a %s target and --base %s a %s one: compare a patch with the target "
                 "of its own family it was copied from\n",
                 command, patch.c_str(), FamilyDir(patch_spec->family).c_str(), base.c_str(),
                 FamilyDir(base_spec->family).c_str());
    return false;
  }
  return true;
}

int FinishPatchReport(PatchReport& report, const TargetSpec& patch, const TargetSpec& base, const PatchOptions& options,
                      const std::string& out, bool json) {
  if (!out.empty()) {
    const std::vector<std::string> errors = WritePatchReproducers(report, patch, base, out);
    report.errors.insert(report.errors.end(), errors.begin(), errors.end());
  }
  for (const std::string& e : report.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (json) {
    PrintJson(report, options);
  } else {
    PrintText(report, options);
  }
  if (!report.errors.empty()) return kExitUsage;
  return report.introduced() ? kExitDivergence : kExitClean;
}

int PatchCommand(const Args& args) {
  ArgReader r(args, {"--target", "--base", "--mutants", "--time", "--seed", "--out", "--dir", "--seeds", "--findings"},
              {"--json"});
  const auto usage = [](const std::string& why) {
    std::fprintf(stderr,
                 "crashdiff patch: %s\nusage: crashdiff patch --target P --base B [--mutants N] [--time S] [--seed X] "
                 "[--out DIR] [--json]\n",
                 why.c_str());
    return kExitUsage;
  };
  if (!r.ok()) return usage(r.error());
  if (!r.positionals().empty()) return usage("takes no positional arguments");
  if (!r.Value("--target") || !r.Value("--base")) return usage("--target P and --base B are both required");
  PatchOptions options;
  // --time alone: as many mutants as fit; with --mutants too, whichever limit comes first.
  options.mutants = r.Value("--time") ? std::numeric_limits<uint64_t>::max() : kDefaultMutants;
  // --mutants 0: the corpus only.
  if (std::string e = ParseNumberOption(r, "--mutants", uint64_t{0}, uint64_t{1000000000}, options.mutants); !e.empty())
    return usage(e);
  if (std::string e = ParseSecondsOption(r, "--time", 1e6, options.seconds); !e.empty()) return usage(e);
  if (std::string e = ParseNumberOption(r, "--seed", uint64_t{0}, UINT64_MAX, options.rng_seed); !e.empty())
    return usage(e);
  options.regressions = r.Value("--dir").value_or(options.regressions);
  options.seeds = r.Value("--seeds").value_or(options.seeds);
  options.findings = r.Value("--findings").value_or(options.findings);
  const TargetSpec* patch = nullptr;
  const TargetSpec* base = nullptr;
  if (!FindPatchAndBase("patch", *r.Value("--target"), *r.Value("--base"), patch, base)) return kExitUsage;
  PatchReport report = EvaluatePatch(*patch, *base, options);
  return FinishPatchReport(report, *patch, *base, options, r.Value("--out").value_or(""), r.Has("--json"));
}

}  // namespace crashdiff::cli
