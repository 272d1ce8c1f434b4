// crashdiff explore FILE --target T [--preemptions K|none] [--dpor] [--preempt-first] [--max-steps N]
// [--property PRn]... [--max-schedules M] [--no-reduction] [--no-segment-sleep] [--no-persistent-sets]
// [--no-state-hashing] [--memory MIB] [--coarse-dependency] [--oldest-commit-only] [--out FILE] [--json]:
// every interleaving of one scenario on one target within a preemption bound, or without one under DPOR
// (explore/explorer.h, docs/EXPLORE.md). Stops at the first schedule that violates a property searched for, writes
// it as a reproducer with an explicit schedule that `crashdiff run` replays, and runs the differential on it;
// without one, states the guarantee the search proved. --pct N: a PCT campaign instead (explore/pct.h).
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/source_dir.h"
#include "diff/differential.h"
#include "diff/runner.h"
#include "explore/explorer.h"
#include "explore/pct.h"
#include "minimize/corpus_status.h"
#include "sim/memory_model.h"
#include "sim/scenario_io.h"
#include "util/atomic_file.h"
#include "util/json.h"

namespace crashdiff::cli {
namespace {

constexpr char kUsage[] =
    "usage: crashdiff explore FILE --target T [--preemptions K|none] [--max-steps N] [--property PRn]... "
    "[--max-schedules M] [--no-reduction] [--no-segment-sleep] [--no-persistent-sets] [--no-state-hashing] "
    "[--memory MIB] [--preempt-first] [--coarse-dependency] [--oldest-commit-only] [--out FILE] [--json]\n"
    "       crashdiff explore FILE --target T --dpor --preemptions none [--max-steps N] [--property PRn]... "
    "[--no-reduction] [--coarse-dependency] [--oldest-commit-only] [--out FILE] [--json]\n"
    "       crashdiff explore FILE --target T --pct N [--depth d] [--horizon k] [--property PRn]... [--json]\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "crashdiff explore: %s\n%s", why.c_str(), kUsage);
  return kExitUsage;
}

// --property PR3 --property PR1,PR4: each must name a property of the oracle's table.
std::string ReadProperties(const ArgReader& r, std::vector<std::string>& out) {
  for (const std::string& v : r.Values("--property")) {
    for (size_t i = 0; i <= v.size();) {
      const size_t comma = std::min(v.find(',', i), v.size());
      const std::string p = v.substr(i, comma - i);
      if (FindProperty(p) == nullptr) return "--property: unknown property '" + p + "' (PR1..PR11)";
      out.push_back(p);
      i = comma + 1;
    }
  }
  return "";
}

std::string PreemptionsText(const ExploreOptions& o) {
  return o.preemptions == kNoPreemptionBound ? "none" : std::to_string(o.preemptions);
}

std::string Header(const ExploreOptions& o, const ExploreResult& res, const std::string& file) {
  std::string h = "# crashdiff explore " + file + " --target " + o.target + (o.dpor ? " --dpor" : "") +
                  (o.oldest_commit_only ? " --oldest-commit-only" : "") + " --preemptions " + PreemptionsText(o) +
                  " --max-steps " + std::to_string(o.max_steps);
  if (!o.properties.empty()) h += " --property " + PropertiesText(o.properties);
  h += "\n# counterexample after " + std::to_string(res.schedules) + " schedules:";
  for (const Violation& v : res.violations) h += " " + v.property + " " + v.what + ";";
  return h + "\n# the explicit schedule below replays it: crashdiff run THIS_FILE --target " + o.target + "\n";
}

// Divergences are judged against the source tree's corpus, as `run` and `fuzz` judge them.
void PrintHuman(const ExploreOptions& o, const ExploreResult& res, const DiffReport* diff, const std::string& out,
                const CorpusBook& book) {
  std::printf(
      "explored %llu schedules (%llu distinct final states, longest run %llu steps, up to %u preemptions) "
      "in %.3f s\n",
      static_cast<unsigned long long>(res.schedules), static_cast<unsigned long long>(res.distinct_final_states),
      static_cast<unsigned long long>(res.longest_run), res.max_preemptions_used, res.seconds);
  if (o.deepen) {
    std::printf(
        "deepening the step bound: %u rounds (16, 32, ... steps), %llu runs in all; counts above: the last, "
        "with choices in the first %llu steps\n",
        res.rounds, static_cast<unsigned long long>(res.schedules_all_rounds),
        static_cast<unsigned long long>(res.max_steps));
  }
  if (o.dpor) {
    std::printf("DPOR (source sets): %llu races, %llu backtrack points added\n",
                static_cast<unsigned long long>(res.races), static_cast<unsigned long long>(res.backtrack_points));
  }
  if (o.reduction) {
    std::printf("reduction (sleep sets): %llu branches pruned, %llu runs cut where every choice was asleep\n",
                static_cast<unsigned long long>(res.sleep_skipped), static_cast<unsigned long long>(res.sleep_blocked));
    if (o.segment_sleep && !o.dpor) {
      std::printf("  across free switches: %llu segments put to sleep, %llu runs cut at a state explored awake\n",
                  static_cast<unsigned long long>(res.segment_sleepers),
                  static_cast<unsigned long long>(res.empty_sleep_covered));
    }
    if (res.persistent_sets) {
      std::printf("  persistent sets at free switches: %llu probes, %llu covered, %llu choices not taken\n",
                  static_cast<unsigned long long>(res.persistent_probes),
                  static_cast<unsigned long long>(res.persistent_covered),
                  static_cast<unsigned long long>(res.persistent_pruned));
    }
  } else {
    std::printf("reduction (sleep sets): off\n");
  }
  if (o.state_hashing && !o.dpor) {
    std::printf(
        "state hashing: %llu distinct states, %llu runs cut at an explored state; visited set %.0f MiB, "
        "%llu evictions, fingerprint-collision probability <= %.1e\n",
        static_cast<unsigned long long>(res.distinct_states), static_cast<unsigned long long>(res.state_pruned),
        static_cast<double>(res.visited_memory_bytes) / 1048576.0,
        static_cast<unsigned long long>(res.visited_evictions), res.collision_bound);
  } else {
    std::printf("state hashing: off\n");
  }
  if (res.commits_enumerated) {
    std::printf(
        "store buffers and invalidate queues: each store a buffer may commit and each entry a queue may apply is a "
        "choice; %llu commits and %llu applies other than the oldest explored\n",
        static_cast<unsigned long long>(res.named_commits), static_cast<unsigned long long>(res.named_applies));
  }
  if (res.runs_past_max_steps > 0) {
    std::printf("%llu runs went past %llu steps: their later steps ran the lowest-numbered runnable CPU, unexplored\n",
                static_cast<unsigned long long>(res.runs_past_max_steps),
                static_cast<unsigned long long>(res.max_steps));
  }
  if (!res.found) {
    std::printf("%s\n", GuaranteeText(o, res).c_str());
    return;
  }
  std::printf("VIOLATION on target %s after %llu schedules:\n", o.target.c_str(),
              static_cast<unsigned long long>(res.schedules));
  for (const Violation& v : res.violations) {
    std::printf("    %s %s (cpu%u, witness %.*s at step %llu)\n", v.property.c_str(), v.what.c_str(), v.cpu,
                static_cast<int>(v.witness.label.size()), v.witness.label.data(),
                static_cast<unsigned long long>(v.witness.step));
  }
  if (diff != nullptr) {
    const std::map<std::string, CorpusStatus> status = StatusesOf(*diff, book);
    for (const Divergence& d : diff->divergences) {
      std::printf("    %-9s %s\n", Tag(status.at(d.signature)).c_str(), d.signature.c_str());
    }
  }
  if (!out.empty()) {
    std::printf("reproducer (explicit schedule, %d choices%s): %s\n", res.reproducer.schedule().choices_size(),
                res.reproducer_replays ? ", replay checked" : ", REPLAY DIFFERS", out.c_str());
  } else {
    std::printf("the schedule does not fit the schema's limits: no reproducer written\n");
  }
}

std::string Json(const ExploreOptions& o, const ExploreResult& res, const DiffReport* diff, const std::string& out) {
  JsonWriter j;
  j.BeginObject();
  j.Key("target").String(o.target).Key("preemptions").String(PreemptionsText(o)).Key("max_steps").Uint(o.max_steps);
  j.Key("dpor")
      .Bool(o.dpor)
      .Key("fine_dependency")
      .Bool(o.fine_dependency && (o.dpor || o.reduction))
      .Key("races")
      .Uint(res.races)
      .Key("backtrack_points")
      .Uint(res.backtrack_points);
  j.Key("deepen")
      .Bool(o.deepen)
      .Key("rounds")
      .Uint(res.rounds)
      .Key("schedules_all_rounds")
      .Uint(res.schedules_all_rounds);
  j.Key("properties").String(PropertiesText(o.properties)).Key("reduction").Bool(o.reduction);
  j.Key("schedules").Uint(res.schedules).Key("distinct_final_states").Uint(res.distinct_final_states);
  j.Key("sleep_skipped").Uint(res.sleep_skipped).Key("sleep_blocked").Uint(res.sleep_blocked);
  j.Key("segment_sleep").Bool(o.segment_sleep && o.reduction && !o.dpor);
  j.Key("segment_sleepers").Uint(res.segment_sleepers).Key("empty_sleep_covered").Uint(res.empty_sleep_covered);
  j.Key("persistent_sets").Bool(res.persistent_sets);
  j.Key("persistent_probes").Uint(res.persistent_probes).Key("persistent_covered").Uint(res.persistent_covered);
  j.Key("persistent_pruned").Uint(res.persistent_pruned);
  j.Key("longest_run").Uint(res.longest_run).Key("runs_past_max_steps").Uint(res.runs_past_max_steps);
  j.Key("runs_budget_cut").Uint(res.runs_budget_cut);
  j.Key("max_preemptions_used").Uint(res.max_preemptions_used);
  j.Key("state_hashing").Bool(o.state_hashing && !o.dpor).Key("distinct_states").Uint(res.distinct_states);
  j.Key("state_pruned").Uint(res.state_pruned).Key("visited_evictions").Uint(res.visited_evictions);
  j.Key("visited_memory_bytes").Uint(res.visited_memory_bytes);
  j.Key("collision_bound").String(std::to_string(res.collision_bound));
  j.Key("steps_executed").Uint(res.steps_executed);
  j.Key("store_buffers").Bool(res.store_buffers).Key("commits_enumerated").Bool(res.commits_enumerated);
  j.Key("named_commits").Uint(res.named_commits);
  j.Key("named_applies").Uint(res.named_applies);
  j.Key("exhaustive").Bool(res.exhaustive).Key("found").Bool(res.found);
  j.Key("seconds").Uint(static_cast<uint64_t>(res.seconds * 1000)).Key("unit").String("ms");
  j.Key("verdict").String(GuaranteeText(o, res));
  j.Key("violations").BeginArray();
  for (const Violation& v : res.violations) {
    j.BeginObject().Key("property").String(v.property).Key("what").String(v.what).Key("cpu").Uint(v.cpu);
    j.Key("label").String(v.witness.label).Key("step").Uint(v.witness.step).EndObject();
  }
  j.EndArray();
  j.Key("signatures").BeginArray();
  if (diff != nullptr) {
    for (const Divergence& d : diff->divergences) j.String(d.signature);
  }
  j.EndArray();
  j.Key("reproducer").String(out).Key("reproducer_replays").Bool(res.reproducer_replays);
  j.EndObject();
  return j.str();
}

// --pct N --depth d [--horizon k]: the PCT campaign instead of the search.
int PctCampaign(const ArgReader& r, const pb::Scenario& scenario, const ExploreOptions& o, const std::string& file) {
  PctOptions p;
  p.target = o.target;
  p.properties = o.properties;
  uint64_t depth = p.depth;
  for (const std::string& e :
       {ParseNumberOption(r, "--pct", 1, 1'000'000'000, p.runs), ParseNumberOption(r, "--depth", 1, 16, depth),
        ParseNumberOption(r, "--horizon", 1, 10'000'000, p.horizon)}) {
    if (!e.empty()) return Usage(e);
  }
  p.depth = static_cast<uint32_t>(depth);
  const PctResult res = RunPct(scenario, p);
  std::string out;
  if (res.found) {
    out = r.Value("--out").value_or(std::filesystem::path(file).stem().string() + ".pct-" + o.target + ".textproto");
    const std::string header = "# crashdiff explore " + file + " --target " + o.target + " --pct: seed " +
                               std::to_string(res.seed) + " violates " + PropertiesText(o.properties) +
                               "\n# replays: crashdiff run THIS_FILE --target " + o.target + "\n";
    const std::string error = WriteFileAtomically(out, header + ScenarioToText(res.reproducer));
    if (!error.empty()) {
      std::fprintf(stderr, "crashdiff explore: %s\n", error.c_str());
      return kExitUsage;
    }
  }
  if (r.Has("--json")) {
    JsonWriter j;
    j.BeginObject().Key("target").String(o.target).Key("pct_runs").Uint(res.runs).Key("depth").Uint(p.depth);
    j.Key("cpus").Uint(res.cpus).Key("horizon").Uint(res.horizon).Key("longest_run").Uint(res.longest_run);
    j.Key("runs_longer_than_horizon").Uint(res.runs_longer_than_horizon);
    j.Key("per_run_bound")
        .String(std::to_string(res.per_run))
        .Key("campaign_bound")
        .String(std::to_string(res.campaign));
    j.Key("found").Bool(res.found).Key("seed").Uint(res.seed).Key("reproducer").String(out);
    j.Key("seconds").Uint(static_cast<uint64_t>(res.seconds * 1000)).Key("unit").String("ms");
    j.Key("violations").BeginArray();
    for (const Violation& v : res.violations) {
      j.BeginObject().Key("property").String(v.property).Key("what").String(v.what).Key("cpu").Uint(v.cpu).EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf(
        "PCT: %llu runs, depth %u, n = %u CPUs, k = %llu steps (longest run %llu, %llu longer than k) in %.3f s\n",
        static_cast<unsigned long long>(res.runs), p.depth, res.cpus, static_cast<unsigned long long>(res.horizon),
        static_cast<unsigned long long>(res.longest_run), static_cast<unsigned long long>(res.runs_longer_than_horizon),
        res.seconds);
    std::printf(
        "a bug of depth <= %u in the first k steps shows in one run with probability >= 1/(n k^(d-1)) = %.3g; "
        "in %llu runs with probability >= %.3g\n",
        p.depth, res.per_run, static_cast<unsigned long long>(res.runs), res.campaign);
    if (res.found) {
      std::printf("VIOLATION on target %s with PCT seed %llu:\n", o.target.c_str(),
                  static_cast<unsigned long long>(res.seed));
      for (const Violation& v : res.violations)
        std::printf("    %s %s (cpu%u)\n", v.property.c_str(), v.what.c_str(), v.cpu);
      std::printf("reproducer (PCT schedule, seed %llu): %s\n", static_cast<unsigned long long>(res.seed), out.c_str());
    } else {
      std::printf("no violation of %s on target %s in %llu PCT runs\n", PropertiesText(o.properties).c_str(),
                  o.target.c_str(), static_cast<unsigned long long>(res.runs));
    }
  }
  return res.found ? kExitDivergence : kExitClean;
}

}  // namespace

extern const std::string_view kExploreHelp =
    "Every interleaving of one scenario on target T with at most K preemptions (default 2; 'none': no bound) in its\n"
    "first N steps (default 1000), by re-execution from the start (stateless, as CHESS does), with sleep sets\n"
    "pruning orders of independent steps (--no-reduction: off; --no-segment-sleep: only the non-preempting step\n"
    "sleeps, not whole segments across free switches), persistent sets taking one choice at a free switch when a\n"
    "probe run shows it covers the others (--no-persistent-sets: off) and state hashing cutting runs at explored\n"
    "states (--no-state-hashing: off; --memory MIB bounds its table). With store buffers on powerpc / arm64 each\n"
    "store a buffer may commit and each entry an invalidate queue may apply is a choice (store->store and\n"
    "load->load reordering; --oldest-commit-only: the oldest of each only). --dpor --preemptions none: source-set\n"
    "DPOR instead (not on powerpc / arm64 with memory_model ARCHITECTURE, whose invalidate queues it does not\n"
    "model), every interleaving up to equivalence. Steps are independent when their footprints (variables, CPU\n"
    "states) do not conflict (--coarse-dependency: a coarser table, where waits, wakes and latches conflict with\n"
    "every step). --deepen: step bounds 16, 32, ... up to N, stopping at the first violation (the last round gives\n"
    "the guarantee). --preempt-first: try preemptions before the CPU that ran last (early preemption points first).\n"
    "--pct N: a PCT campaign instead. Stops at the first schedule that violates a property searched for (--property\n"
    "PRn, repeatable or comma-separated; default PR1..PR11): prints it, writes it as a reproducer with an explicit\n"
    "schedule (--out FILE, default <FILE stem>.explore-T.textproto) that 'crashdiff run' replays, and runs the\n"
    "differential on it. Without one, states the guarantee: exhaustive within the bounds, or not (the\n"
    "--max-schedules cap, default 1000000). The scenario's events keep their triggers. See docs/EXPLORE.md.\n"
    "Exit code 0: no violation; 1: a violation; 2: bad input.";

int ExploreCommand(const Args& args) {
  ArgReader r(args,
              {"--target", "--preemptions", "--max-steps", "--max-schedules", "--property", "--out", "--memory",
               "--pct", "--depth", "--horizon"},
              {"--json", "--no-reduction", "--no-state-hashing", "--dpor", "--preempt-first", "--coarse-dependency",
               "--deepen", "--no-segment-sleep", "--no-persistent-sets", "--oldest-commit-only"});
  // (--pct, --depth, --horizon: the PCT campaign)
  if (!r.ok()) return Usage(r.error());
  if (r.positionals().size() != 1) return Usage("expected one scenario file");
  ExploreOptions o;
  o.target = r.Value("--target").value_or("");
  if (o.target.empty()) return Usage("--target T is required (see 'crashdiff targets')");
  uint64_t k = o.preemptions;
  uint64_t memory_mib = o.memory_bytes >> 20;
  const bool unbounded = r.Value("--preemptions") == std::optional<std::string>("none");
  for (const std::string& e :
       {unbounded ? std::string() : ParseNumberOption(r, "--preemptions", 0, 16, k),
        ParseNumberOption(r, "--max-steps", 1, 10'000'000, o.max_steps),
        ParseNumberOption(r, "--max-schedules", 1, 1'000'000'000'000, o.max_schedules),
        ParseNumberOption(r, "--memory", 1, 1 << 20, memory_mib), ReadProperties(r, o.properties)}) {
    if (!e.empty()) return Usage(e);
  }
  o.preemptions = unbounded ? kNoPreemptionBound : static_cast<uint32_t>(k);
  o.dpor = r.Has("--dpor");
  o.preempt_first = r.Has("--preempt-first");
  if (o.dpor && !unbounded) return Usage("--dpor explores without a preemption bound: give --preemptions none");
  o.fine_dependency = !r.Has("--coarse-dependency");
  o.deepen = r.Has("--deepen");
  o.reduction = !r.Has("--no-reduction");
  o.segment_sleep = !r.Has("--no-segment-sleep");
  o.persistent_sets = !r.Has("--no-persistent-sets");
  o.state_hashing = !r.Has("--no-state-hashing");
  o.oldest_commit_only = r.Has("--oldest-commit-only");
  o.memory_bytes = memory_mib << 20;
  const std::string file = r.positionals()[0];
  const LoadResult loaded = LoadScenarioFile(file);
  if (!loaded.scenario) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  if (FindTarget(o.target) == nullptr) return Usage("unknown target '" + o.target + "' (see 'crashdiff targets')");
  if (TargetsFor(*loaded.scenario, o.target).empty()) {
    return Usage("target " + o.target + " does not run " + pb::Family_Name(loaded.scenario->machine().family()) +
                 " on " + pb::Platform_Name(loaded.scenario->machine().platform()));
  }
  if (r.Value("--pct")) return PctCampaign(r, *loaded.scenario, o, file);
  if (o.dpor && QueuesInvalidates(loaded.scenario->machine())) {
    return Usage(
        "--dpor does not model invalidate queues (load->load reordering, powerpc / arm64 memory_model "
        "ARCHITECTURE): drop --dpor");
  }
  const ExploreResult res = Explore(*loaded.scenario, o);
  std::string out;
  DiffReport diff;
  if (res.found && res.reproducer.schedule().choices_size() > 0) {
    out =
        r.Value("--out").value_or(std::filesystem::path(file).stem().string() + ".explore-" + o.target + ".textproto");
    const std::string error = WriteFileAtomically(out, Header(o, res, file) + ScenarioToText(res.reproducer));
    if (!error.empty()) {
      std::fprintf(stderr, "crashdiff explore: %s\n", error.c_str());
      return kExitUsage;
    }
    DiffOptions d;
    d.only_target = o.target;
    diff = RunDifferential(res.reproducer, d);
  }
  const DiffReport* shown = res.found ? &diff : nullptr;
  if (r.Has("--json")) {
    std::printf("%s\n", Json(o, res, shown, out).c_str());
  } else {
    PrintHuman(o, res, shown, out, LoadCorpusBook(SourceDir().string()));
  }
  return res.found ? kExitDivergence : kExitClean;
}

}  // namespace crashdiff::cli
