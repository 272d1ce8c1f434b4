// Every documented bug of every target, looked for by `explore` from a scenario that shows it, with its schedule
// removed (docs/PERFORMANCE.md, "Explore and the documented bugs").
//
// A documented bug is one KnownDivergence of one target. Its scenario: the smallest reproducer of corpus/regressions
// (CPUs x (events + 1), then name) whose differential shows that mechanism on that target. Its schedule is cleared
// (explicit choices, policy and its parameters; the step budget stays): what is left is the machine and its events.
// `Explore` then runs on that target with a ladder of bounds, each capped at --max-schedules runs: K = 0; K = 1 and K =
// 2 with the preempting choices first. Only violations of that mechanism count (ExploreOptions::accept with
// MatchesKnown), so another bug of the same property found first does not end the search. A bug is found when some
// rung's counterexample shows it; its reproducer (the scenario with the counterexample as an explicit schedule) is
// replayed and must show it again.
//
//   explore_documented [--max-schedules N] [--only TEXT] [--source DIR] [--scenario FILE] [--out DIR]
//
// --only keeps the bugs whose target name or description contains TEXT. --scenario explores FILE (schedule removed)
// for every bug kept, on every target kept that runs its platform; --out writes each counterexample found, with its
// explicit schedule, into DIR. The Markdown table goes to stdout, one
// progress line per bug to stderr. Exit code 0 when every bug was found, 1 otherwise, 2 on bad usage.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "diff/differential.h"
#include "explore/explorer.h"
#include "minimize/regress.h"
#include "sim/scenario_io.h"
#include "targets/target.h"
#include "util/atomic_file.h"

namespace crashdiff {
namespace {

namespace fs = std::filesystem;

struct Options {
  uint64_t max_schedules = 20000;
  std::string only;
  fs::path source = ".";
  std::string scenario;  // --scenario: explore this file for every bug kept, instead of the corpus's reproducers
  std::string out;       // --out: write each counterexample found (explicit schedule) into this directory
};

struct Rung {
  const char* name;
  uint32_t preemptions;
  bool preempt_first;
};
constexpr Rung kLadder[] = {{"K=0", 0, false}, {"K=1 preempt-first", 1, true}, {"K=2 preempt-first", 2, true}};

struct Reproducer {
  std::string file;
  pb::Scenario scenario;
  std::vector<Divergence> shown;
};

std::vector<Reproducer> LoadCorpus(const fs::path& dir) {
  std::error_code ec;
  std::vector<Reproducer> out;
  for (const std::string& f : ReproducerFiles(dir.string(), ec)) {
    LoadResult loaded = LoadScenarioFile(f);
    if (!loaded.scenario) continue;
    Reproducer r{f, *loaded.scenario, RunDifferential(*loaded.scenario).divergences};
    out.push_back(std::move(r));
  }
  return out;
}

// What a search costs grows with the machine and its events: CPUs x (events + 1), as the explore worker orders them.
uint64_t Size(const pb::Scenario& s) {
  return uint64_t{s.machine().cores()} * s.machine().threads_per_core() * (static_cast<uint64_t>(s.events_size()) + 1);
}

// The smallest reproducer that shows k on t (ties: name order).
const Reproducer* SmallestShowing(const std::vector<Reproducer>& corpus, const TargetSpec& t,
                                  const KnownDivergence& k) {
  const Reproducer* best = nullptr;
  for (const Reproducer& r : corpus) {
    const bool shows = std::any_of(r.shown.begin(), r.shown.end(),
                                   [&](const Divergence& d) { return d.target == t.name && MatchesKnown(k, d); });
    if (shows && (best == nullptr || Size(r.scenario) < Size(best->scenario))) best = &r;
  }
  return best;
}

struct Row {
  std::string target;
  std::string bug;
  std::string file;
  std::string rung = "not found";
  pb::Scenario counterexample{};
  uint64_t schedules = 0;  // of the rung that found it, or of every rung when none did
  double seconds = 0;
  bool found = false;
  bool replays = false;
};

// Whether the reproducer explore wrote shows the bug on its own (the counterexample is a run `crashdiff run` gives).
bool ReplayShows(const pb::Scenario& reproducer, const TargetSpec& t, const KnownDivergence& k) {
  DiffOptions o;
  o.only_target = t.name;
  for (const Divergence& d : RunDifferential(reproducer, o).divergences) {
    if (d.target == t.name && MatchesKnown(k, d)) return true;
  }
  return false;
}

Row Look(const TargetSpec& t, const KnownDivergence& k, const Reproducer& r, const Options& opt) {
  Row row{t.name, Describe(k), fs::path(r.file).filename().string()};
  pb::Scenario s = r.scenario;
  // The interleaving goes (choices, policy and its parameters); the step budget is a bound of the run, not a schedule.
  pb::Schedule& schedule = *s.mutable_schedule();
  schedule.clear_choices();
  schedule.clear_policy();
  schedule.clear_seed();
  schedule.clear_pct_depth();
  schedule.clear_pct_horizon();
  const pb::Platform platform = s.machine().platform();
  for (const Rung& rung : kLadder) {
    ExploreOptions e;
    e.target = t.name;
    e.preemptions = rung.preemptions;
    e.preempt_first = rung.preempt_first;
    e.max_schedules = opt.max_schedules;
    e.properties = {k.property};
    e.accept = [&](const Violation& v) { return MatchesKnown(k, v, platform); };
    const ExploreResult res = Explore(s, e);
    row.schedules += res.schedules;
    row.seconds += res.seconds;
    if (res.found) {
      row.found = true;
      row.rung = rung.name;
      row.schedules = res.schedules;
      row.replays = res.reproducer_replays && ReplayShows(res.reproducer, t, k);
      row.counterexample = res.reproducer;
      return row;
    }
  }
  return row;
}

int Usage(const char* why) {
  std::fprintf(stderr,
               "explore_documented: %s\nusage: explore_documented [--max-schedules N] [--only TEXT] "
               "[--source DIR] [--scenario FILE] [--out DIR]\n",
               why);
  return 2;
}

}  // namespace
}  // namespace crashdiff

int main(int argc, char** argv) {
  using namespace crashdiff;
  Options opt;
  if (const char* src = std::getenv("CRASHDIFF_SOURCE_DIR"); src != nullptr && *src != '\0') opt.source = src;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return Usage(("missing value after " + a).c_str());
    const std::string v = argv[++i];
    if (a == "--max-schedules") {
      opt.max_schedules = std::strtoull(v.c_str(), nullptr, 10);
      if (opt.max_schedules == 0) return Usage("--max-schedules must be a positive number");
    } else if (a == "--only") {
      opt.only = v;
    } else if (a == "--source") {
      opt.source = v;
    } else if (a == "--scenario") {
      opt.scenario = v;
    } else if (a == "--out") {
      opt.out = v;
    } else {
      return Usage(("unknown option " + a).c_str());
    }
  }
  const fs::path regressions = opt.source / "corpus/regressions";
  if (!fs::is_directory(regressions)) return Usage((regressions.string() + " is not a directory").c_str());
  const std::vector<Reproducer> corpus = LoadCorpus(regressions);
  std::optional<Reproducer> given;
  if (!opt.scenario.empty()) {
    LoadResult loaded = LoadScenarioFile(opt.scenario);
    if (!loaded.scenario) return Usage(loaded.errors.empty() ? "unreadable --scenario" : loaded.errors.front().c_str());
    given = Reproducer{opt.scenario, *loaded.scenario, {}};
  }

  std::vector<Row> rows;
  for (const TargetSpec* t : AllTargets()) {
    for (const KnownDivergence& k : t->known) {
      if (!opt.only.empty() && t->name.find(opt.only) == std::string::npos &&
          Describe(k).find(opt.only) == std::string::npos) {
        continue;
      }
      if (given && !t->Supports(given->scenario.machine().platform())) continue;
      const Reproducer* r = given ? &*given : SmallestShowing(corpus, *t, k);
      if (r == nullptr) {
        rows.push_back({t->name, Describe(k), "(no reproducer)"});
        std::fprintf(stderr, "%-30s %-70s no reproducer\n", t->name.c_str(), Describe(k).c_str());
        continue;
      }
      rows.push_back(Look(*t, k, *r, opt));
      const Row& row = rows.back();
      if (row.found && !opt.out.empty()) {
        const fs::path file = fs::path(opt.out) / (t->name + "-" + std::to_string(rows.size()) + ".textproto");
        if (const std::string error = WriteFileAtomically(file.string(), ScenarioToText(row.counterexample));
            !error.empty()) {
          std::fprintf(stderr, "%s\n", error.c_str());
        }
      }
      std::fprintf(stderr, "%-30s %-70s %s, %llu schedules, %.2f s\n", row.target.c_str(), row.bug.c_str(),
                   row.rung.c_str(), static_cast<unsigned long long>(row.schedules), row.seconds);
    }
  }

  int found = 0;
  std::printf("| target | documented bug | scenario (schedule removed) | found at | schedules | s | replays |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    found += r.found ? 1 : 0;
    std::printf("| %s | %s | %s | %s | %llu | %.2f | %s |\n", r.target.c_str(), r.bug.c_str(), r.file.c_str(),
                r.rung.c_str(), static_cast<unsigned long long>(r.schedules), r.seconds,
                r.found ? (r.replays ? "yes" : "NO") : "-");
  }
  std::printf("\nfound %d of %zu documented bugs (cap %llu schedules per rung)\n", found, rows.size(),
              static_cast<unsigned long long>(opt.max_schedules));
  return found == static_cast<int>(rows.size()) ? 0 : 1;
}
