// `crashdiff fuzz`: a fuzzing campaign. Prepares a work directory (binary seeds from corpus/seeds, a shared
// corpus, a findings directory), starts one engine process per job (the libFuzzer harness, or afl-fuzz with the
// structure-aware custom mutator), shows a live progress line, and ends with a table of the divergence signatures
// found, each with its reproducer. The engine processes record findings themselves (fuzz/harness_core.h,
// campaign mode): one file per signature, written atomically, so this process only reads the directory.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "cli/args.h"
#include "cli/campaign_dir.h"
#include "cli/campaign_record.h"
#include "cli/campaign_seeds.h"
#include "cli/campaign_state.h"
#include "cli/commands.h"
#include "cli/corpus_merge.h"
#include "cli/engine_stats.h"
#include "cli/source_dir.h"
#include "cli/status_file.h"
#include "cli/worker_process.h"
#include "diff/differential.h"
#include "diff/finding.h"
#include "minimize/corpus_status.h"
#include "minimize/minimize.h"
#include "minimize/regress.h"
#include "minimize/reproducer.h"
#include "minimize/triage.h"
#include "sim/scenario_io.h"
#include "util/atomic_file.h"
#include "util/json.h"

namespace crashdiff::cli {
namespace {

namespace fs = std::filesystem;

volatile sig_atomic_t interrupted = 0;
void OnInterrupt(int) {
  interrupted = 1;
}

struct FuzzPlan {
  int seconds = 120;
  int runs = 0;  // > 0: each worker stops after this many inputs (libFuzzer -runs; deterministic with one job)
  int jobs = 1;
  std::string family;  // "", ppc, x86, arm64
  std::string target;
  std::string engine = "libfuzzer";
  fs::path out = "fuzz-out";
  fs::path seeds;
  fs::path fuzzer;       // libFuzzer binary, or the AFL-instrumented harness
  fs::path afl_mutator;  // AFL++ custom mutator .so
  bool json = false;
  int minimize = 10;       // new findings handed to the minimizer at the end (0: none)
  int merge_every = 3600;  // seconds between corpus merges, and a merge at resume (0: never); libFuzzer only
  uint64_t session = 1;    // runs on this work directory so far, this one included (campaign.textproto)
  CorpusBook corpus;       // corpus/triage verdicts and the bugs corpus/regressions holds a reproducer for
};

// What a campaign finding is, from most to least urgent: minimize/corpus_status.h (run judges alike).
using Status = CorpusStatus;

struct Finding {
  std::string signature;
  std::string root_cause;
  bool known = false;
  Status status = Status::kNew;
  std::string targets;
  const TriageRecord* triage = nullptr;  // the record that covers its root cause on its target
  fs::path reproducer;
  fs::path minimized;  // the minimizer's reproducer, for new findings
};

struct Worker {
  pid_t pid = -1;
  fs::path log;
  int index = 0;
  int restarts = 0;    // after a crash of the harness
  int generation = 0;  // restarts after a corpus merge
};

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

fs::path FindExecutable(const char* env, const std::vector<fs::path>& candidates) {
  if (const char* v = std::getenv(env); v != nullptr && *v != '\0') return v;
  for (const fs::path& c : candidates) {
    std::error_code ec;
    if (fs::exists(c, ec)) return fs::absolute(c);
  }
  return {};
}

pb::Family FamilyOf(const std::string& f) {
  if (f == "ppc") return pb::PPC;
  if (f == "x86") return pb::X86;
  if (f == "arm64") return pb::ARM64;
  return pb::FAMILY_UNSPECIFIED;
}

// One job and a run count: the campaign is documented as deterministic (same seeds, same corpus and findings).
bool Deterministic(const FuzzPlan& plan) {
  return plan.runs > 0 && plan.jobs == 1;
}

std::vector<std::string> WorkerEnv(const FuzzPlan& plan, const fs::path& findings) {
  std::vector<std::string> env = {"CRASHDIFF_FINDINGS_DIR=" + fs::absolute(findings).string()};
  // The harness then leaves the wall-clock "found-after-ms" out of finding headers (fuzz/harness_core.h).
  if (Deterministic(plan)) env.push_back("CRASHDIFF_DETERMINISTIC=1");
  if (!plan.family.empty()) env.push_back("CRASHDIFF_FAMILY=" + plan.family);
  if (!plan.target.empty()) env.push_back("CRASHDIFF_TARGET=" + plan.target);
  if (!plan.seeds.empty()) env.push_back("CRASHDIFF_SEEDS=" + fs::absolute(plan.seeds).string());
  return env;
}

// A new seed per worker, restart and session; the first session's first start is 1 + index (deterministic runs).
uint64_t Seed(const FuzzPlan& plan, const Worker& w) {
  const uint64_t start = static_cast<uint64_t>(w.restarts + w.generation);
  return (1 + static_cast<uint64_t>(w.index) + 1000 * start + 7919 * (plan.session - 1)) % 2147483647;
}

pid_t StartLibFuzzer(const FuzzPlan& plan, const Worker& w, int seconds_left) {
  const fs::path work = plan.out;
  // Re-reading the corpus each second is for parallel jobs; its timing must not reach a deterministic campaign.
  const std::string reload = Deterministic(plan) ? "-reload=0" : "-reload=1";
  std::vector<std::string> argv = {plan.fuzzer.string(),
                                   "-max_total_time=" + std::to_string(std::max(1, seconds_left)),
                                   "-seed=" + std::to_string(Seed(plan, w)),
                                   "-runs=" + std::to_string(plan.runs > 0 ? plan.runs : -1),
                                   "-print_final_stats=1",
                                   reload,
                                   "-max_len=4096",
                                   "-timeout=20",
                                   "-artifact_prefix=" + fs::absolute(work / "crashes").string() + "/",
                                   fs::absolute(work / "corpus").string(),
                                   fs::absolute(work / "seeds").string()};
  if (fs::exists(SourceDir() / "corpus/dict/scenario.dict")) {
    argv.insert(argv.begin() + 1, "-dict=" + (SourceDir() / "corpus/dict/scenario.dict").string());
  }
  return SpawnWorker({argv, WorkerEnv(plan, work / "findings"), w.log, Deterministic(plan)});
}

pid_t StartAfl(const FuzzPlan& plan, const Worker& w, int seconds_left) {
  const fs::path work = plan.out;
  std::string afl = EnvOr("AFL_FUZZ", "/usr/bin/afl-fuzz");
  std::vector<std::string> argv = {afl,
                                   "-V",
                                   std::to_string(std::max(1, seconds_left)),
                                   "-i",
                                   fs::absolute(work / "seeds").string(),
                                   "-o",
                                   fs::absolute(work / "afl").string(),
                                   w.index == 0 ? "-M" : "-S",
                                   "w" + std::to_string(w.index),
                                   "--",
                                   plan.fuzzer.string()};
  std::vector<std::string> env = WorkerEnv(plan, work / "findings");
  env.push_back("AFL_CUSTOM_MUTATOR_LIBRARY=" + fs::absolute(plan.afl_mutator).string());
  env.push_back("AFL_NO_UI=1");
  env.push_back("AFL_SKIP_CPUFREQ=1");
  env.push_back("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1");
  env.push_back("AFL_NO_AFFINITY=1");
  env.push_back("AFL_AUTORESUME=1");  // a resumed campaign's afl/ holds the previous session's queue
  return SpawnWorker({argv, env, w.log, false});
}

// The root cause of a finding written before findings carried one, from its signature and witness.
std::string RootCauseFromWitness(const FindingHeader& h) {
  const size_t open = h.witness.find('(');
  const size_t close = h.witness.find(')', open);
  const std::string label = open == std::string::npos || close == std::string::npos
                                ? std::string("-")
                                : h.witness.substr(open + 1, close - open - 1);
  const std::string key = SignatureKey(h.signature);  // "<PRn> <short-name>: <role> <what>"
  const size_t space = key.find(' ');
  const size_t colon = key.find(": ");
  if (space == std::string::npos || colon == std::string::npos) return key + " @" + label;
  const size_t role_end = key.find(' ', colon + 2);
  const std::string what = role_end == std::string::npos ? "" : key.substr(role_end + 1);
  return RootCauseKey(key.substr(0, space), key.substr(space + 1, colon - space - 1), label, what);
}

Status StatusOf(const FindingHeader& h, const std::string& root_cause, const FuzzPlan& plan,
                const TriageRecord** triage) {
  const Judgement j = Judge(plan.corpus, h.property == "OUTCOME", h.known, h.signature, root_cause);
  *triage = j.triage;
  return j.status;
}

// The header the current models, oracle and known lists give the finding's signature on its own scenario; nullopt
// when the scenario no longer shows it (a model or oracle fix since) or cannot be read.
std::optional<FindingHeader> Rejudge(const fs::path& file, const std::string& signature) {
  const LoadResult loaded = LoadScenarioFile(file.string());
  if (!loaded.scenario) return std::nullopt;
  const DiffReport report = RunDifferential(*loaded.scenario);
  for (const Divergence& d : report.divergences) {
    if (d.signature == signature) return MakeFindingHeader(d, report);
  }
  return std::nullopt;
}

// rejudge: re-run every finding (`--report`) instead of trusting the header the harness wrote; the ones that no
// longer show their signature are counted in *gone.
std::vector<Finding> ReadFindings(const fs::path& dir, const FuzzPlan& plan, bool rejudge = false,
                                  size_t* gone = nullptr) {
  std::vector<Finding> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->path().extension() != ".textproto") continue;
    FindingHeader h = ReadFindingHeader(it->path());
    if (h.signature.empty()) continue;
    if (rejudge) {
      std::optional<FindingHeader> now = Rejudge(it->path(), h.signature);
      if (!now) {
        if (gone != nullptr) ++*gone;
        continue;
      }
      h = *now;
    }
    Finding f;
    f.reproducer = it->path();
    f.signature = h.signature;
    f.known = h.known;
    f.root_cause = h.root_cause.empty() ? RootCauseFromWitness(h) : h.root_cause;
    for (const std::string& t : h.targets) f.targets += (f.targets.empty() ? "" : " ") + t;
    f.status = StatusOf(h, f.root_cause, plan, &f.triage);
    out.push_back(f);
  }
  // A root cause the regression corpus already records on a target is open as a whole: its consequences (folded
  // into it, docs/ORACLE.md) are the same bug awaiting the same triage, not news.
  std::set<std::pair<std::string, std::string>> open;
  for (const Finding& f : out) {
    if (f.status == Status::kOpen) open.emplace(f.root_cause, SignatureTarget(f.signature));
  }
  for (Finding& f : out) {
    if (f.status == Status::kNew && open.count({f.root_cause, SignatureTarget(f.signature)})) f.status = Status::kOpen;
  }
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return a.status != b.status ? a.status < b.status : a.signature < b.signature;
  });
  return out;
}

struct Progress {
  uint64_t execs_per_sec = 0;
  uint64_t total_execs = 0;
  size_t corpus = 0;
  size_t by_status[5] = {};  // signatures per Status
  size_t fresh() const { return by_status[static_cast<size_t>(Status::kNew)]; }
  size_t count(Status s) const { return by_status[static_cast<size_t>(s)]; }
};

Progress Measure(const FuzzPlan& plan, const std::vector<Worker>& workers) {
  Progress p;
  if (plan.engine == "afl") {
    for (const Worker& w : workers) {
      auto stats = AflStats(plan.out / "afl" / ("w" + std::to_string(w.index)) / "fuzzer_stats");
      const double rate = std::strtod(stats["execs_per_sec"].c_str(), nullptr);
      if (rate > 0 && rate < 1e9) p.execs_per_sec += static_cast<uint64_t>(rate);
      p.total_execs += std::strtoull(stats["execs_done"].c_str(), nullptr, 10);
      p.corpus += std::strtoull(stats["corpus_count"].c_str(), nullptr, 10);
    }
  } else {
    for (const Worker& w : workers) {
      p.execs_per_sec += LibFuzzerExecsPerSec(w.log);
      p.total_execs += LibFuzzerExecs(w.log);
    }
    p.corpus = CountFiles(plan.out / "corpus");
  }
  for (const Finding& f : ReadFindings(plan.out / "findings", plan)) ++p.by_status[static_cast<size_t>(f.status)];
  return p;
}

// Hands the first plan.minimize new findings to the minimizer (ARCHITECTURE §9): each becomes a small reproducer in
// <out>/reproducers/, written atomically, with a header saying what every target does on it.
void MinimizeNewFindings(const FuzzPlan& plan, std::vector<Finding>& findings) {
  int budget = plan.minimize;
  for (Finding& f : findings) {
    if (f.status != Status::kNew || budget <= 0 || interrupted) continue;  // the next session minimizes the rest
    --budget;
    const LoadResult loaded = LoadScenarioFile(f.reproducer.string());
    if (!loaded.scenario) continue;
    const std::string signature = f.signature;
    const KeepsProperty shows = [&](const pb::Scenario& s) {
      for (const Divergence& d : RunDifferential(s).divergences) {
        if (d.signature == signature) return true;
      }
      return false;
    };
    if (!shows(*loaded.scenario)) continue;  // not reproducible from its text form: keep the raw finding
    if (!plan.json) std::fprintf(stderr, "minimizing: %s\n", signature.c_str());
    MinimizeOptions options;
    options.max_runs = 3000;
    const pb::Scenario small = Minimize(*loaded.scenario, shows, options);
    const fs::path out = plan.out / "reproducers" / ReproducerFileName(signature);
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    const std::string text = FormatReproducer(small, signature, RunDifferential(small), out.string());
    if (WriteFileAtomically(out.string(), text).empty()) f.minimized = out;
  }
}

// One line per root cause and status: NEW first, then triaged, open and known, then the outcome differences as
// a count (they are information, listed in <out>/differences.txt). A line names the targets and platforms that
// show it, the roles, how many signatures fold into it, and one reproducer (the minimized one where there is
// one). The full list, one line per signature, goes to <out>/findings.txt.
void PrintFindings(const FuzzPlan& plan, const std::vector<Finding>& findings) {
  struct RootCause {
    std::set<std::string> where;  // target/platform
    std::set<std::string> roles;
    int signatures = 0;
    fs::path reproducer;
    const TriageRecord* triage = nullptr;
  };
  std::map<std::pair<Status, std::string>, RootCause> causes;
  std::string all;
  std::string differences;
  for (const Finding& f : findings) {
    char status[12];
    std::snprintf(status, sizeof status, "%-8s", Name(f.status));
    const std::string line = status + f.signature + "  " + f.reproducer.string() + "\n";
    all += line;
    if (f.status == Status::kDifference) {
      differences += line;
      continue;
    }
    RootCause& c = causes[{f.status, f.root_cause}];
    const size_t open = f.signature.rfind(" [");
    if (open != std::string::npos) c.where.insert(f.signature.substr(open + 2, f.signature.size() - open - 3));
    const size_t colon = f.signature.find(": ");
    if (colon != std::string::npos)
      c.roles.insert(f.signature.substr(colon + 2, f.signature.find(' ', colon + 2) - colon - 2));
    ++c.signatures;
    if (f.triage != nullptr) c.triage = f.triage;
    if (!f.minimized.empty() || c.reproducer.empty()) c.reproducer = f.minimized.empty() ? f.reproducer : f.minimized;
  }
  WriteFileAtomically((plan.out / "findings.txt").string(), all);
  WriteFileAtomically((plan.out / "differences.txt").string(), differences);
  std::printf("\n%zu root cause(s) of property violations; every signature is listed in %s\n\n", causes.size(),
              (plan.out / "findings.txt").c_str());
  Status last = Status::kDifference;
  for (const auto& [key, c] : causes) {
    const auto& [status, root_cause] = key;
    if (status != last) {
      static const char* const kHeadings[] = {
          "NEW: untriaged (minimize, then `crashdiff triage FILE`; record the verdict in corpus/triage/)",
          "triaged (corpus/triage/)", "open: a reproducer in corpus/regressions awaits triage",
          "known: documented by the target"};
      std::printf("%s\n", kHeadings[static_cast<size_t>(status)]);
      last = status;
    }
    // "target (platform, platform)" per target, platforms abbreviated to a count when there are many.
    std::map<std::string, std::vector<std::string>> by_target;
    for (const std::string& w : c.where) {
      const size_t slash = w.find('/');
      by_target[w.substr(0, slash)].push_back(slash == std::string::npos ? "" : w.substr(slash + 1));
    }
    std::string where;
    for (const auto& [target, platforms] : by_target) {
      std::string list;
      if (platforms.size() > 3) {
        list = std::to_string(platforms.size()) + " platforms";
      } else {
        for (const std::string& p : platforms) list += (list.empty() ? "" : ", ") + p;
      }
      where += (where.empty() ? "" : "; ") + target + " (" + list + ")";
    }
    std::string roles;
    for (const std::string& r : c.roles) roles += (roles.empty() ? "" : ",") + r;
    std::printf("  %-7s %-36s %3d sig  roles %s\n          on %s\n", Name(status), root_cause.c_str(), c.signatures,
                roles.c_str(), where.c_str());
    if (c.triage != nullptr) {
      std::printf("          %s: %s (%s)\n", std::string(VerdictName(c.triage->triage.verdict())).c_str(),
                  c.triage->triage.summary().c_str(), c.triage->file.c_str());
    }
    std::printf("          %s\n", c.reproducer.c_str());
  }
  const size_t n_differences = static_cast<size_t>(std::count_if(
      findings.begin(), findings.end(), [](const Finding& f) { return f.status == Status::kDifference; }));
  if (n_differences > 0) {
    std::printf("\noutcome differences (no property violated; information, not bugs): %zu signature(s) in %s\n",
                n_differences, (plan.out / "differences.txt").c_str());
  }
}

SessionSample Sample(const Progress& p, int elapsed, size_t alive) {
  return {p.total_execs,
          p.execs_per_sec,
          p.corpus,
          {p.fresh(), p.count(Status::kTriaged), p.count(Status::kOpen), p.count(Status::kKnown),
           p.count(Status::kDifference)},
          elapsed,
          alive};
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "crashdiff fuzz: %s\nusage: crashdiff fuzz [--time S] [--jobs N] [--family ppc|x86|arm64] [--target T]\n"
               "                      [--out DIR] [--engine libfuzzer|afl] [--seeds DIR] [--fuzzer PATH] [--runs N]\n"
               "                      [--minimize N] [--merge-every S] [--fresh] [--json]\n",
               why.c_str());
  return kExitUsage;
}

}  // namespace

int FuzzCommand(const Args& args) {
  ArgReader r(args,
              {"--time", "--runs", "--jobs", "--family", "--target", "--out", "--engine", "--seeds", "--fuzzer",
               "--minimize", "--merge-every"},
              {"--json", "--report", "--fresh"});
  if (!r.ok()) return Usage(r.error());
  if (!r.positionals().empty()) return Usage("unexpected argument " + r.positionals().front());
  if (r.Has("--fresh") && r.Has("--report")) return Usage("--fresh starts a campaign over; --report only reads one");
  FuzzPlan plan;
  plan.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (const auto& [flag, min, max, field] : {std::tuple{"--time", 1, 1000000, &plan.seconds},
                                              {"--runs", 1, 2000000000, &plan.runs},
                                              {"--jobs", 1, 1024, &plan.jobs},
                                              {"--minimize", 0, 1000000, &plan.minimize},
                                              {"--merge-every", 0, 1000000000, &plan.merge_every}}) {
    if (std::string e = ParseNumberOption(r, flag, min, max, *field); !e.empty()) return Usage(e);
  }
  plan.family = r.Value("--family").value_or("");
  if (!plan.family.empty() && FamilyOf(plan.family) == pb::FAMILY_UNSPECIFIED)
    return Usage("--family is ppc, x86 or arm64");
  plan.target = r.Value("--target").value_or("");
  plan.engine = r.Value("--engine").value_or("libfuzzer");
  if (plan.engine != "libfuzzer" && plan.engine != "afl") return Usage("--engine is libfuzzer or afl");
  if (plan.runs > 0 && plan.engine == "afl") return Usage("--runs is for --engine libfuzzer");
  plan.out = r.Value("--out").value_or("fuzz-out");
  plan.seeds = r.Value("--seeds").value_or((SourceDir() / "corpus/seeds").string());
  plan.json = r.Has("--json");
  if (!plan.target.empty()) {
    const TargetSpec* t = FindTarget(plan.target);
    if (t == nullptr) return Usage("unknown target '" + plan.target + "' (see 'crashdiff targets')");
    std::string family = pb::Family_Name(t->family);  // "PPC" -> "ppc": FamilyOf's spelling
    std::transform(family.begin(), family.end(), family.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!plan.family.empty() && plan.family != family) {
      return Usage("--target " + plan.target + " is a " + family + " target, not " + plan.family);
    }
    plan.family = family;  // a target's campaign fuzzes its family only
  }
  const fs::path regressions = SourceDir() / "corpus/regressions";
  plan.corpus = LoadCorpusBook(SourceDir().string());
  if (!plan.corpus.triage.errors.empty()) {
    for (const std::string& e : plan.corpus.triage.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  if (plan.corpus.recorded.empty()) {
    std::fprintf(stderr,
                 "crashdiff fuzz: no reproducers in %s (set CRASHDIFF_SOURCE_DIR to the source tree): every finding "
                 "no target documents counts as NEW\n",
                 regressions.c_str());
  }
  CampaignDir work_dir;
  if (const std::string e =
          work_dir.Open(plan.out, !r.Has("--report"),
                        r.Has("--report") ? std::vector<std::string>{}
                                          : std::vector<std::string>{"corpus", "findings", "logs", "crashes"});
      !e.empty()) {
    std::fprintf(stderr, "crashdiff fuzz: %s\n", e.c_str());
    return kExitUsage;
  }
  if (r.Has("--report")) {
    // Re-judge a finished campaign (after new triage records, a model or oracle fix) without fuzzing again.
    size_t gone = 0;
    const std::vector<Finding> findings = ReadFindings(plan.out / "findings", plan, true, &gone);
    Progress p;
    for (const Finding& f : findings) ++p.by_status[static_cast<size_t>(f.status)];
    std::printf(
        "re-judged %s with the current tree: %zu signature(s) (%zu new, %zu triaged, %zu open, %zu known, %zu outcome "
        "differences); %zu no longer reproduce\n",
        (plan.out / "findings").c_str(), findings.size(), p.fresh(), p.count(Status::kTriaged), p.count(Status::kOpen),
        p.count(Status::kKnown), p.count(Status::kDifference), gone);
    PrintFindings(plan, findings);
    return p.fresh() > 0 ? kExitDivergence : kExitClean;
  }
  const fs::path src = SourceDir();
  if (plan.engine == "libfuzzer") {
    plan.fuzzer =
        r.Value("--fuzzer")
            .value_or(FindExecutable("CRASHDIFF_FUZZER", {src / "build-fuzz/fuzz/crashdiff_fuzzer"}).string());
  } else {
    plan.fuzzer =
        r.Value("--fuzzer")
            .value_or(FindExecutable("CRASHDIFF_AFL_FUZZER", {src / "build-afl/fuzz/crashdiff_fuzzer"}).string());
    plan.afl_mutator =
        FindExecutable("CRASHDIFF_AFL_MUTATOR", {src / "build-afl-mutator/fuzz/libcrashdiff_afl_mutator.so"});
    if (plan.afl_mutator.empty())
      return Usage("no AFL++ custom mutator found: run it as './crashdiff fuzz --engine afl'");
  }
  if (plan.fuzzer.empty() || !fs::exists(plan.fuzzer)) {
    return Usage(
        "no fuzzer binary found: run it as './crashdiff fuzz ...', which builds build-fuzz/ (clang-19, "
        "-fsanitize=fuzzer), or pass --fuzzer PATH");
  }

  RecoverCorpus(plan.out);  // a merge killed midway
  // The work directory's campaign: a new one, or the previous one resumed (corpus, findings and statistics kept).
  const CampaignStart begun =
      StartCampaign(plan.out, {plan.family, plan.target, plan.engine}, r.Has("--fresh"), NowUnix());
  if (!begun.error.empty()) {
    std::fprintf(stderr, "crashdiff fuzz: %s\n", begun.error.c_str());
    return kExitUsage;
  }
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);  // a supervisor's stop: the same orderly end as Ctrl-C
  std::error_code ec;
  for (const char* sub : {"corpus", "findings", "logs", "crashes"}) fs::create_directories(plan.out / sub, ec);
  plan.session = begun.state.sessions();
  CampaignStatus identity{"running", false, getpid(), plan.engine, plan.family, plan.target};
  identity.jobs = static_cast<uint64_t>(plan.jobs);
  CampaignRecorder recorder(plan.out, begun.state, identity);
  fs::remove_all(plan.out / "seeds", ec);
  RemoveStaleTemporaries((plan.out / "reproducers").string());  // a killed campaign's half-written reproducers
  const int seeds = PrepareSeeds(plan.seeds, FamilyOf(plan.family), plan.out / "seeds");
  if (seeds < 0) {
    std::fprintf(stderr, "crashdiff fuzz: --out %s: cannot write the seeds into it\n", plan.out.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "crashdiff fuzz: %s, %d job(s), %d s, %d seed(s)%s%s, work dir %s%s\n", plan.engine.c_str(),
               plan.jobs, plan.seconds, seeds, plan.family.empty() ? "" : (", family " + plan.family).c_str(),
               plan.target.empty() ? "" : (", target " + plan.target).c_str(), plan.out.c_str(),
               begun.note.empty() ? "" : ("; " + begun.note).c_str());

  std::vector<Worker> workers(static_cast<size_t>(plan.jobs));
  for (int i = 0; i < plan.jobs; ++i) {
    workers[static_cast<size_t>(i)].index = i;
    workers[static_cast<size_t>(i)].log = plan.out / "logs" / ("worker-" + std::to_string(i) + ".log");
    fs::remove(workers[static_cast<size_t>(i)].log, ec);
  }
  recorder.set_execs_baseline(Measure(plan, workers).total_execs);
  const bool can_merge = plan.merge_every > 0 && plan.engine == "libfuzzer";
  // Merges corpus/ while no worker runs; a periodic merge's time is not fuzzing time.
  auto merge = [&](int elapsed, bool periodic) {
    recorder.Record(Sample(Measure(plan, workers), elapsed, 0), "running", true, -1);
    const auto begin = std::chrono::steady_clock::now();
    const MergeOutcome m = MergeCorpus(plan.fuzzer, WorkerEnv(plan, plan.out / "findings"), plan.out, interrupted);
    const auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - begin);
    recorder.AddMerge(m.replaced, periodic ? static_cast<int>(took.count()) : 0);
    std::fprintf(stderr, "crashdiff fuzz: %s\n", m.message.c_str());
  };
  if (can_merge && begun.resumed && CountFiles(plan.out / "corpus") > 0 && !interrupted) {
    merge(0, false);  // before the clock starts: --time is fuzzing time
  }

  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count());
  };
  auto start_worker = [&](Worker& w) {
    w.pid = plan.engine == "afl" ? StartAfl(plan, w, plan.seconds - elapsed())
                                 : StartLibFuzzer(plan, w, plan.seconds - elapsed());
  };
  for (Worker& w : workers) {
    if (!interrupted) start_worker(w);
  }

  const bool tty = isatty(STDERR_FILENO);
  int last_line = -10;
  int last_merge = 0;
  std::vector<pid_t*> pids;
  for (Worker& w : workers) pids.push_back(&w.pid);
  for (;;) {
    size_t running = 0;
    for (Worker& w : workers) {
      if (w.pid <= 0) continue;
      int status = 0;
      if (waitpid(w.pid, &status, WNOHANG) == w.pid) {
        w.pid = -1;
        // A worker that crashed (the harness itself, input saved under crashes/) is restarted with a new seed.
        const bool crashed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        if (crashed && elapsed() + 2 < plan.seconds && w.restarts < 20) {
          ++w.restarts;
          start_worker(w);
        }
      }
      if (w.pid > 0) ++running;
    }
    if (running == 0) break;
    if (interrupted || elapsed() > plan.seconds + 30) {
      // SIGINT, then SIGKILL: libFuzzer prints its final stats from its signal handler and can hang there.
      StopWorkers(pids);
      break;
    }
    // Not in a deterministic campaign: when a merge happens depends on the clock.
    if (can_merge && !Deterministic(plan) && elapsed() - last_merge >= plan.merge_every &&
        elapsed() + 2 < plan.seconds) {
      // The workers write into corpus/: they stop while it is merged and replaced, then go on from the merged one.
      StopWorkers(pids);
      merge(elapsed(), true);
      last_merge = elapsed();
      for (Worker& w : workers) {
        ++w.generation;
        if (!interrupted) start_worker(w);
      }
      continue;
    }
    const bool tick = elapsed() - last_line >= 10;
    if (tty || tick) {
      const Progress p = Measure(plan, workers);
      std::fprintf(stderr,
                   "%s[%4ds/%ds] %zu worker(s)  %llu exec/s  corpus %zu  signatures: %zu known, %zu triaged, %zu open, "
                   "%zu new, %zu differences%s",
                   tty ? "\r" : "", elapsed(), plan.seconds, running, static_cast<unsigned long long>(p.execs_per_sec),
                   p.corpus, p.count(Status::kKnown), p.count(Status::kTriaged), p.count(Status::kOpen), p.fresh(),
                   p.count(Status::kDifference), tty ? "   " : "\n");
      if (tick) {
        last_line = elapsed();
        recorder.Record(Sample(p, elapsed(), running), "running", false, -1);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (tty) std::fprintf(stderr, "\n");

  const Progress p = Measure(plan, workers);
  std::vector<Finding> findings = ReadFindings(plan.out / "findings", plan);
  MinimizeNewFindings(plan, findings);
  const size_t crashes = CountFiles(plan.out / "crashes");
  const int code = p.fresh() > 0 || crashes > 0 ? kExitDivergence : kExitClean;
  const pb::CampaignState total =
      recorder.Record(Sample(p, elapsed(), 0), interrupted ? "interrupted" : "finished", false, code);
  const uint64_t execs = total.execs() - begun.state.execs();  // this session's (afl-fuzz resumes its counters)
  if (plan.json) {
    JsonWriter j;
    j.BeginObject().Key("engine").String(plan.engine).Key("seconds").Uint(static_cast<uint64_t>(elapsed()));
    j.Key("jobs").Uint(static_cast<uint64_t>(plan.jobs)).Key("execs").Uint(execs).Key("corpus").Uint(p.corpus);
    j.Key("interrupted").Bool(interrupted != 0).Key("session").Uint(total.sessions());
    j.Key("execs_total").Uint(total.execs()).Key("fuzz_seconds_total").Uint(total.fuzz_seconds());
    j.Key("harness_crashes").Uint(crashes).Key("findings").BeginArray();
    for (const Finding& f : findings) {
      j.BeginObject().Key("signature").String(f.signature).Key("root_cause").String(f.root_cause);
      j.Key("known").Bool(f.known);
      if (f.triage != nullptr) j.Key("triage").String(f.triage->file);
      j.Key("status").String(Name(f.status)).Key("targets").String(f.targets);
      j.Key("reproducer").String(f.reproducer.string());
      if (!f.minimized.empty()) j.Key("minimized").String(f.minimized.string());
      j.EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf(
        "%s %d s with %d job(s): %llu executions, corpus %zu, %zu signature(s) (%zu new, %zu triaged, %zu open, "
        "%zu known, %zu outcome differences)\ncampaign (session %llu): %llu executions in %llu s fuzzed\n",
        interrupted ? "interrupted after" : "fuzzed", elapsed(), plan.jobs, static_cast<unsigned long long>(execs),
        p.corpus, findings.size(), p.fresh(), p.count(Status::kTriaged), p.count(Status::kOpen),
        p.count(Status::kKnown), p.count(Status::kDifference), static_cast<unsigned long long>(total.sessions()),
        static_cast<unsigned long long>(total.execs()), static_cast<unsigned long long>(total.fuzz_seconds()));
    PrintFindings(plan, findings);
    if (crashes > 0) std::printf("\n%zu harness crash(es) saved under %s\n", crashes, (plan.out / "crashes").c_str());
  }
  return code;
}

}  // namespace crashdiff::cli
