#include <cstdio>
#include <map>
#include <set>
#include <string_view>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/patch_report.h"
#include "minimize/regress.h"
#include "minimize/reproducer.h"
#include "targets/target.h"
#include "util/json.h"

namespace crashdiff::cli {
namespace {

// --target P --base B: the regression corpus alone, compared by root cause (minimize/patch_eval.h).
int RegressAgainstBase(const ArgReader& r) {
  const TargetSpec* patch = nullptr;
  const TargetSpec* base = nullptr;
  if (!FindPatchAndBase("regress", *r.Value("--target"), *r.Value("--base"), patch, base)) return kExitUsage;
  PatchOptions options;
  options.regressions = r.Value("--dir").value_or(options.regressions);
  options.seeds.clear();
  options.findings.clear();
  options.mutants = 0;
  PatchReport report = EvaluatePatch(*patch, *base, options);
  return FinishPatchReport(report, *patch, *base, options, "", r.Has("--json"));
}

}  // namespace

int RegressCommand(const Args& args) {
  ArgReader r(args, {"--target", "--base", "--dir"}, {"--json"});
  const bool base_alone = r.ok() && r.Value("--base") && !r.Value("--target");
  if (!r.ok() || !r.positionals().empty() || base_alone) {
    std::fprintf(stderr,
                 "crashdiff regress: %s\nusage: crashdiff regress [--target T [--base B]] [--dir DIR] [--json]\n",
                 !r.ok()      ? r.error().c_str()
                 : base_alone ? "--base B compares --target T with B: give both"
                              : "takes no positional arguments");
    return kExitUsage;
  }
  if (r.Value("--base")) return RegressAgainstBase(r);
  const std::string target = r.Value("--target").value_or("");
  if (!target.empty() && FindTarget(target) == nullptr) {
    std::fprintf(stderr, "crashdiff regress: unknown target '%s' (see 'crashdiff targets')\n", target.c_str());
    return kExitUsage;
  }
  const RegressReport report = Regress(r.Value("--dir").value_or("corpus/regressions"), target);
  for (const std::string& e : report.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (r.Has("--json")) {
    JsonWriter j;
    j.BeginObject().Key("failing").Bool(report.failing()).Key("rows").BeginArray();
    for (const RegressRow& row : report.rows) {
      j.BeginObject().Key("file").String(row.file).Key("target").String(row.target);
      j.Key("verdict").String(Name(row.verdict)).Key("failing").Bool(row.failing);
      j.Key("expected").BeginArray();
      for (const std::string& s : row.expected) j.String(s);
      j.EndArray().Key("actual").BeginArray();
      for (const std::string& s : row.actual) j.String(s);
      j.EndArray().EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::string last_file;
    for (const RegressRow& row : report.rows) {
      if (row.file != last_file) std::printf("%s\n", row.file.c_str());
      last_file = row.file;
      std::printf("  %-34s %-15s%s\n", row.target.c_str(), Name(row.verdict), row.failing ? "  FAIL" : "");
      if (row.failing || row.verdict == Verdict::kNewDivergence) {
        for (const std::string& s : row.expected) std::printf("      expected: %s\n", s.c_str());
        for (const std::string& s : row.actual) std::printf("      actual:   %s\n", s.c_str());
      }
    }
    // Per target, the bugs (signature keys) it still shows and the reproducers whose bug it fixes.
    std::map<std::string, std::map<std::string, std::set<std::string>>> by_target;
    for (const RegressRow& row : report.rows) {
      auto& verdicts = by_target[row.target];
      verdicts[Name(row.verdict)].insert(row.file);
      for (const std::string& s : row.actual) {
        if (row.verdict == Verdict::kStillPresent) verdicts["still shows"].insert(Signature::KeyOf(s));
        if (row.verdict == Verdict::kNewDivergence) verdicts["new"].insert(Signature::KeyOf(s));
      }
    }
    std::printf("\nsummary\n");
    for (auto& [t, verdicts] : by_target) {
      // A bug shown as some reproducer's own is not also "new" because another reproducer shows it too.
      if (verdicts.count("new") && verdicts.count("still shows")) {
        for (const std::string& key : verdicts.at("still shows")) verdicts.at("new").erase(key);
        if (verdicts.at("new").empty()) verdicts.erase("new");
      }
      const auto count = [&](const char* k) { return verdicts.count(k) ? verdicts.at(k).size() : size_t{0}; };
      std::printf("  %-30s %3zu as expected, %3zu fixed, %3zu changed; %zu bug(s) still shown, %zu new\n", t.c_str(),
                  count("as-expected"), count("fixed"), count("changed"), count("still shows"), count("new"));
      for (const char* k : {"still shows", "new"}) {
        if (!verdicts.count(k)) continue;
        for (const std::string& key : verdicts.at(k)) std::printf("    %-11s %s\n", k, key.c_str());
      }
    }
    size_t failing = 0;
    for (const RegressRow& row : report.rows) failing += row.failing ? 1 : 0;
    std::printf("%zu reproducer/target pairs, %zu failing, %zu unreadable reproducers\n", report.rows.size(), failing,
                report.errors.size());
  }
  if (!report.errors.empty()) return kExitUsage;
  return report.failing() ? kExitDivergence : kExitClean;
}

}  // namespace crashdiff::cli
