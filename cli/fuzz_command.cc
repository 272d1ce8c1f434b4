// `crashdiff fuzz`: the campaign library (campaign/) behind a command line. This file reads the options (the table
// in campaign/options.h), finds the engine binaries and the source tree's corpus, locks the work directory, and
// hands over to RunCampaign, or to ReportCampaign for --report.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "campaign/campaign.h"
#include "campaign/campaign_dir.h"
#include "campaign/options.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "cli/source_dir.h"
#include "minimize/corpus_status.h"
#include "proto/family_name.h"
#include "targets/target.h"

namespace crashdiff::cli {
namespace {

namespace fs = std::filesystem;
using campaign::FuzzOptions;

fs::path FindExecutable(const char* env, const std::vector<fs::path>& candidates) {
  if (const char* v = std::getenv(env); v != nullptr && *v != '\0') return v;
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (fs::exists(c, ec)) return fs::absolute(c);
  }
  return {};
}

int Usage(const std::string& why) {
  std::fprintf(stderr, "crashdiff fuzz: %s\n%s", why.c_str(), campaign::kFuzzUsage);
  return kExitUsage;
}

// The options from the command line; "" or the usage error.
std::string ReadOptions(const ArgReader& r, FuzzOptions& o) {
  if (!r.positionals().empty()) return "unexpected argument " + r.positionals().front();
  o.report = r.Has("--report");
  o.fresh = r.Has("--fresh");
  if (o.fresh && o.report) return campaign::CheckFuzzOptions(o);
  o.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const campaign::NumberOption& n : campaign::kNumberOptions) {
    if (std::string e = ParseNumberOption(r, n.flag, n.min, n.max, o.*n.field); !e.empty()) return e;
  }
  o.family = r.Value("--family").value_or("");
  o.target = r.Value("--target").value_or("");
  o.engine = r.Value("--engine").value_or("libfuzzer");
  o.out = r.Value("--out").value_or("fuzz-out");
  o.seeds = r.Value("--seeds").value_or((SourceDir() / "corpus/seeds").string());
  o.json = r.Has("--json");
  if (std::string e = campaign::CheckFuzzOptions(o); !e.empty()) return e;
  if (!o.target.empty()) {
    const TargetSpec* t = FindTarget(o.target);
    if (t == nullptr) return "unknown target '" + o.target + "' (see 'crashdiff targets')";
    const std::string family = FamilyName(t->family);
    if (!o.family.empty() && o.family != family) {
      return "--target " + o.target + " is a " + family + " target, not " + o.family;
    }
    o.family = family;  // a target's campaign fuzzes its family only
  }
  return "";
}

// The engine binaries (built by ./crashdiff fuzz) and the dictionary; "" or the usage error.
std::string FindEngine(const ArgReader& r, FuzzOptions& o) {
  const fs::path src = SourceDir();
  if (o.engine == "libfuzzer") {
    o.fuzzer = r.Value("--fuzzer")
                   .value_or(FindExecutable("CRASHDIFF_FUZZER", {src / "build-fuzz/fuzz/crashdiff_fuzzer"}).string());
  } else {
    o.fuzzer =
        r.Value("--fuzzer")
            .value_or(FindExecutable("CRASHDIFF_AFL_FUZZER", {src / "build-afl/fuzz/crashdiff_fuzzer"}).string());
    o.afl_mutator =
        FindExecutable("CRASHDIFF_AFL_MUTATOR", {src / "build-afl-mutator/fuzz/libcrashdiff_afl_mutator.so"});
    if (o.afl_mutator.empty()) return "no AFL++ custom mutator found: run it as './crashdiff fuzz --engine afl'";
  }
  if (o.fuzzer.empty() || !fs::exists(o.fuzzer)) {
    return "no fuzzer binary found: run it as './crashdiff fuzz ...', which builds build-fuzz/ (clang-19, "
           "-fsanitize=fuzzer), or pass --fuzzer PATH";
  }
  if (fs::exists(src / "corpus/dict/scenario.dict")) o.dict = src / "corpus/dict/scenario.dict";
  if (o.explore > 0) {
    std::error_code ec;
    o.crashdiff = fs::read_symlink("/proc/self/exe", ec);  // the explore worker is this binary's explore-worker
    if (ec) return "--explore: cannot find the crashdiff binary itself: " + ec.message();
  }
  return "";
}

}  // namespace

int FuzzCommand(const Args& args) {
  std::set<std::string> value_flags(std::begin(campaign::kTextOptions), std::end(campaign::kTextOptions));
  for (const campaign::NumberOption& n : campaign::kNumberOptions) value_flags.insert(n.flag);
  ArgReader r(args, value_flags, {std::begin(campaign::kSwitchOptions), std::end(campaign::kSwitchOptions)});
  if (!r.ok()) return Usage(r.error());
  FuzzOptions options;
  if (const std::string e = ReadOptions(r, options); !e.empty()) return Usage(e);

  const fs::path regressions = SourceDir() / "corpus/regressions";
  const CorpusBook corpus = LoadCorpusBook(SourceDir().string());
  if (!corpus.triage.errors.empty()) {
    for (const std::string& e : corpus.triage.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  if (corpus.recorded.empty()) {
    std::fprintf(stderr,
                 "crashdiff fuzz: no reproducers in %s (set CRASHDIFF_SOURCE_DIR to the source tree): every finding "
                 "no target documents counts as NEW\n",
                 regressions.c_str());
  }
  campaign::CampaignDir work_dir;
  if (const std::string e =
          work_dir.Open(options.out, !options.report,
                        options.report ? std::vector<std::string>{}
                                       : std::vector<std::string>{"corpus", "findings", "logs", "crashes"});
      !e.empty()) {
    std::fprintf(stderr, "crashdiff fuzz: %s\n", e.c_str());
    return kExitUsage;
  }
  if (options.report) return campaign::ReportCampaign(options, corpus);
  if (const std::string e = FindEngine(r, options); !e.empty()) return Usage(e);
  return campaign::RunCampaign(options, corpus);
}

}  // namespace crashdiff::cli
