// Time to rediscover each documented bug (the rediscovery requirement, docs/PERFORMANCE.md "Rediscovery of each
// documented bug").
//
// A documented bug is one KnownDivergence of one target; a hit is a known divergence of that target whose
// known mechanism (KnownDivergence) matches it. With --key part, one bug per signature part per family and a hit on any
// target of the family (the x86 targets that all document "PR1 unsafe-parking: offline-target" give one row).
// For each bug and each strategy, N seeded campaigns (sim/rng.h seeds 1..N) run
// an in-process corpus loop until the first hit or the cap, recording executions and wall time:
//   structure  the structure-aware Mutator (fuzz/mutator/), family kept
//   bytes      1-4 random byte edits on the protobuf encoding; what does not decode to a valid scenario is
//              rejected and counted as an attempt (the same edits as bench/fuzz_bench.cc's baseline)
//   random     random generation without seeds or corpus: MinimalScenario(family) mutated 1-16 times (each
//              mutation is repaired by Fix, so every scenario is valid)
// structure and bytes start from the family's seeds minus every seed that already shows the bug; each step
// mutates a random corpus member, runs RunDifferential, and keeps the mutant when it shows a divergence signature
// not seen before in this campaign. Bugs whose excluded seeds are the same share one campaign (identical to
// separate campaigns with the same Rng seed: the loop does not depend on which bugs it watches).
//
// Through the real engine (docs/PERFORMANCE.md "Rediscovery through libFuzzer"; only when asked for with
// --strategies, they need the libFuzzer harness built in build-fuzz/, e.g. by ./crashdiff fuzz):
//   libfuzzer-structure  the libFuzzer harness with its custom (structure-aware) mutator and crossover
//   libfuzzer-bytes      the same harness with CRASHDIFF_MUTATOR=bytes: libFuzzer's own byte-level mutations
// Same starting corpus and grouping as structure/bytes; trial i runs libFuzzer with -seed=i, capped by
// -max_total_time=--cap-seconds (--cap-execs does not apply), and is stopped as soon as every bug of its group
// has a finding (bench/libfuzzer_campaign.h). Executions and milliseconds are the harness's own counts
// (found-after-execs / found-after-ms in the finding's header): libFuzzer's pass over the starting corpus is
// included, process start-up and label learning are not.
//
//   rediscover [--trials N] [--cap-execs N] [--cap-seconds S] [--families ppc,x86,arm64]
//              [--strategies structure,bytes,random,libfuzzer-structure,libfuzzer-bytes] [--seeds DIR]
//              [--key target|part] [--fuzzer PATH] [--dict PATH] [--only TEXT] [--dump-hits DIR]
// --only keeps the documented bugs whose description contains TEXT (e.g. --only "sleeps in STOPPED_HW").
// --dump-hits DIR writes each in-process campaign's first hit of each bug as DIR/<strategy>-<seed>-<n>.textproto
// (to see which mutation paths reach a bug).
// Progress (one line per campaign) goes to stderr, the Markdown table to stdout.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench/byte_mutant.h"
#include "bench/libfuzzer_campaign.h"
#include "diff/differential.h"
#include "diff/runner.h"
#include "fuzz/mutator/fix.h"
#include "fuzz/mutator/input.h"
#include "fuzz/mutator/mutator.h"
#include "proto/family_name.h"
#include "sim/rng.h"
#include "sim/scenario_io.h"
#include "targets/target.h"

namespace crashdiff::fuzz {
namespace {

namespace fs = std::filesystem;

struct Options {
  int trials = 10;
  int cap_execs = 20000;
  double cap_seconds = 20;
  std::vector<std::string> families = {"ppc", "x86", "arm64"};
  std::string only;       // --only: keep the bugs whose description contains this text
  std::string dump_hits;  // --dump-hits: where to write each campaign's first hits
  std::vector<std::string> strategies = {"structure", "bytes", "random"};
  std::string seeds_dir = "corpus/seeds";
  bool key_by_part = false;  // --key part: one bug per signature part, whichever target of the family shows it
  std::string fuzzer = "build-fuzz/fuzz/crashdiff_fuzzer";  // the libfuzzer-* strategies' harness
  std::string dict = "corpus/dict/scenario.dict";           // passed to libFuzzer when it exists
};

bool IsEngine(const std::string& strategy) {
  return strategy.rfind("libfuzzer-", 0) == 0;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, ',');) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

pb::Family FamilyOf(const std::string& name) {
  return ParseFamilyName(name).value_or(pb::ARM64);
}

// Seeds of one family: the files under DIR/<family>/ that parse as valid scenarios with a target, in name order.
std::vector<pb::Scenario> LoadSeeds(const fs::path& dir) {
  std::vector<pb::Scenario> out = LoadScenarioDir(dir.string());
  std::erase_if(out, [](const pb::Scenario& s) { return TargetsFor(s).empty(); });
  return out;
}

// The byte-level baseline (bench/byte_mutant.h), minus mutants that decode to a scenario no target runs.
std::optional<pb::Scenario> ComparableByteMutant(const pb::Scenario& s, Rng& rng) {
  auto out = ByteMutant(s, rng);
  if (out && TargetsFor(*out).empty()) return std::nullopt;  // decodes, but nothing to compare
  return out;
}

// A documented bug: one KnownDivergence of one target (target empty with --key part: any target of the family).
struct Bug {
  std::string target;
  std::string part;  // Describe(mechanism): the key
  const KnownDivergence* mechanism = nullptr;
  bool operator==(const Bug& o) const { return target == o.target && part == o.part; }
};

bool Shows(const DiffReport& r, const Bug& bug) {
  for (const Divergence& d : r.divergences) {
    if (d.known && (bug.target.empty() || d.target == bug.target) && MatchesKnown(*bug.mechanism, d)) {
      return true;
    }
  }
  return false;
}

// One trial's result for one bug: attempts (executions plus rejected byte mutants) and seconds to the first hit.
struct Hit {
  bool found = false;
  int attempts = 0;
  double seconds = 0;
  int rejected = 0;  // rejected attempts before the hit (or the cap)
};

// Runs one campaign until every watched bug is hit or the cap; returns one Hit per watched bug.
std::vector<Hit> Campaign(const Options& opt, pb::Family family, const std::string& strategy,
                          std::vector<pb::Scenario> corpus, const std::vector<Bug>& bugs, uint64_t seed) {
  Rng rng(seed);
  // Step labels from the starting corpus, as the harness learns them from its seeds (MinimalScenario for random).
  LabelPool labels;
  for (const pb::Scenario& s : corpus.empty() ? std::vector<pb::Scenario>{MinimalScenario(family)} : corpus) {
    for (const TargetSpec* t : TargetsFor(s)) {
      labels.AddTrace(family, RunOnTarget(*t, s, RunOptions{.record_trace = true}).trace);
    }
  }
  MutatorOptions mo;
  mo.labels = &labels;
  mo.only_family = family;
  Mutator mutator(mo);
  std::set<std::string> seen;
  for (const pb::Scenario& s : corpus) {
    for (const Divergence& d : RunDifferential(s).divergences) seen.insert(d.signature);
  }
  std::vector<Hit> hits(bugs.size());
  size_t left = bugs.size();
  int rejected = 0;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  for (int n = 1; n <= opt.cap_execs && left > 0; ++n) {
    if (elapsed() > opt.cap_seconds) break;
    std::optional<pb::Scenario> mutant;
    if (strategy == "random") {
      mutant = MinimalScenario(family);
      const int rounds = 1 + static_cast<int>(rng.Below(16));
      for (int i = 0; i < rounds; ++i) mutator.Mutate(*mutant, rng);
    } else {
      const pb::Scenario& parent = corpus[rng.Below(corpus.size())];
      if (strategy == "structure") {
        mutant = parent;
        mutator.Mutate(*mutant, rng);
      } else {
        mutant = ComparableByteMutant(parent, rng);
      }
    }
    if (!mutant) {
      ++rejected;
      continue;
    }
    const DiffReport r = RunDifferential(*mutant);
    for (size_t b = 0; b < bugs.size(); ++b) {
      if (!hits[b].found && Shows(r, bugs[b])) {
        hits[b] = {true, n, elapsed(), rejected};
        --left;
        if (!opt.dump_hits.empty()) {
          fs::create_directories(opt.dump_hits);
          std::ofstream(opt.dump_hits + "/" + strategy + "-" + std::to_string(seed) + "-" + std::to_string(b) +
                        ".textproto")
              << ScenarioToText(*mutant);
        }
      }
    }
    if (strategy == "random") continue;  // no corpus: pure generation
    bool novel = false;
    for (const Divergence& d : r.divergences) novel |= seen.insert(d.signature).second;
    if (novel) corpus.push_back(*mutant);
  }
  for (Hit& h : hits) {
    if (!h.found) h = {false, opt.cap_execs, elapsed(), rejected};
  }
  std::fprintf(stderr, "  %s seed %llu: %zu/%zu bugs hit, %.2f s\n", strategy.c_str(),
               static_cast<unsigned long long>(seed), bugs.size() - left, bugs.size(), elapsed());
  return hits;
}

// Median of trials with "not found" as +infinity; nullopt when the median is not found.
// Runs one libfuzzer-* campaign (bench/libfuzzer_campaign.h); one Hit per watched bug, attempts = executions.
std::vector<Hit> EngineCampaign(const Options& opt, const std::string& family, const std::string& strategy,
                                const std::vector<pb::Scenario>& corpus, const std::vector<Bug>& bugs, uint64_t seed) {
  EngineSettings settings;
  settings.fuzzer = fs::absolute(opt.fuzzer).string();
  std::error_code ec;
  if (fs::exists(opt.dict, ec)) settings.dict = fs::absolute(opt.dict).string();
  settings.family = family;
  settings.bytes = strategy == "libfuzzer-bytes";
  settings.cap_seconds = std::max(1, static_cast<int>(opt.cap_seconds));
  std::vector<WatchedBug> watched;
  for (const Bug& b : bugs) watched.push_back({b.target, b.part});
  const EngineCampaignResult r = RunEngineCampaign(settings, corpus, watched, seed);
  std::vector<Hit> hits;
  size_t found = 0;
  for (const EngineHit& h : r.hits) {
    hits.push_back({h.found, static_cast<int>(std::min<uint64_t>(h.execs, std::numeric_limits<int>::max())),
                    h.milliseconds / 1000, 0});
    found += h.found;
  }
  std::fprintf(stderr, "  %s seed %llu: %zu/%zu bugs hit, %.2f s wall%s\n", strategy.c_str(),
               static_cast<unsigned long long>(seed), found, bugs.size(), r.wall_seconds,
               r.engine_failed ? " (ENGINE FAILED: see crashdiff-rediscover-last-failure.log in the temp dir)" : "");
  return hits;
}

std::optional<double> Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  const double m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  if (m == std::numeric_limits<double>::infinity()) return std::nullopt;
  return m;
}

struct Cell {
  std::optional<double> attempts, seconds;
  double seconds_at_least = 0;   // median seconds with an unfound trial counted at its cap: a lower bound
  double attempts_at_least = 0;  // the same for attempts (libfuzzer-*: a miss counts its campaign's executions)
  int found = 0, trials = 0;
  double rejected_fraction = 0;
};

Cell Summarise(const std::vector<Hit>& trials) {
  Cell c;
  std::vector<double> a, s, s_capped, a_capped;
  double rejected = 0, attempts = 0;
  for (const Hit& h : trials) {
    const double inf = std::numeric_limits<double>::infinity();
    a.push_back(h.found ? h.attempts : inf);
    s.push_back(h.found ? h.seconds : inf);
    s_capped.push_back(h.seconds);
    a_capped.push_back(h.attempts);
    c.found += h.found;
    rejected += h.rejected;
    attempts += h.attempts;
  }
  c.trials = static_cast<int>(trials.size());
  c.attempts = Median(a);
  c.seconds = Median(s);
  c.seconds_at_least = *Median(s_capped);
  c.attempts_at_least = *Median(a_capped);
  c.rejected_fraction = attempts > 0 ? rejected / attempts : 0;
  return c;
}

std::string Show(const Cell& c) {
  char buf[96];
  if (!c.attempts) {
    std::snprintf(buf, sizeof buf, "not found (%d/%d)", c.found, c.trials);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f / %.3f s (%d/%d)", *c.attempts, *c.seconds, c.found, c.trials);
  }
  return buf;
}

// A libfuzzer-* cell: median executions / median milliseconds (hits of trials).
std::string ShowEngine(const Cell& c) {
  char buf[96];
  if (!c.attempts) {
    std::snprintf(buf, sizeof buf, "not found (%d/%d)", c.found, c.trials);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f / %.0f ms (%d/%d)", *c.attempts, *c.seconds * 1000, c.found, c.trials);
  }
  return buf;
}

// libfuzzer-bytes / libfuzzer-structure medians in executions and milliseconds; "> x" when the bytes median
// missed (x from the executions its campaigns ran and from the time cap: lower bounds).
std::string EngineRatio(std::map<std::string, Cell>& cells) {
  if (!cells.count("libfuzzer-bytes") || !cells.count("libfuzzer-structure")) return "— | —";
  const Cell& by = cells["libfuzzer-bytes"];
  const Cell& st = cells["libfuzzer-structure"];
  if (!st.attempts) return by.attempts ? "< 1 | < 1" : "— | —";
  const double s_st = std::max(*st.seconds, 1e-3);  // the harness counts whole milliseconds
  char buf[64];
  if (by.attempts) {
    std::snprintf(buf, sizeof buf, "%.1f | %.1f", *by.attempts / std::max(*st.attempts, 1.0), *by.seconds / s_st);
  } else {
    std::snprintf(buf, sizeof buf, "> %.1f | > %.1f", by.attempts_at_least / std::max(*st.attempts, 1.0),
                  by.seconds_at_least / s_st);
  }
  return buf;
}

int Main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--trials")
      opt.trials = std::atoi(value.c_str());
    else if (flag == "--cap-execs")
      opt.cap_execs = std::atoi(value.c_str());
    else if (flag == "--cap-seconds")
      opt.cap_seconds = std::atof(value.c_str());
    else if (flag == "--only")
      opt.only = value;
    else if (flag == "--dump-hits")
      opt.dump_hits = value;
    else if (flag == "--families")
      opt.families = SplitComma(value);
    else if (flag == "--strategies")
      opt.strategies = SplitComma(value);
    else if (flag == "--seeds")
      opt.seeds_dir = value;
    else if (flag == "--key")
      opt.key_by_part = value == "part";
    else if (flag == "--fuzzer")
      opt.fuzzer = value;
    else if (flag == "--dict")
      opt.dict = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  std::printf(
      "trials %d, cap %d attempts or %.1f s per campaign; cell: median attempts / median seconds "
      "(trials that hit)\n\n",
      opt.trials, opt.cap_execs, opt.cap_seconds);
  const bool any_engine = std::any_of(opt.strategies.begin(), opt.strategies.end(), IsEngine);
  const bool any_in_process = !std::all_of(opt.strategies.begin(), opt.strategies.end(), IsEngine);
  if (any_engine && !std::filesystem::exists(opt.fuzzer)) {
    std::fprintf(stderr, "no libFuzzer harness at %s (build it with ./crashdiff fuzz, or pass --fuzzer)\n",
                 opt.fuzzer.c_str());
    return 2;
  }
  if (any_engine) {
    std::printf("libfuzzer-* cells: median executions / median milliseconds (trials that hit), cap %d s each\n\n",
                std::max(1, static_cast<int>(opt.cap_seconds)));
  }
  std::printf("| target (family with --key part) | documented bug | seeds showing it | ");
  for (const std::string& s : opt.strategies) std::printf("%s | ", s.c_str());
  size_t extra = 0;
  if (any_in_process) {
    std::printf("bytes/structure attempts | bytes/structure seconds | bytes rejected | ");
    extra += 3;
  }
  if (any_engine) {
    std::printf("libfuzzer bytes/structure execs | libfuzzer bytes/structure ms | ");
    extra += 2;
  }
  std::printf("\n|---|---|---|");
  for (size_t i = 0; i < opt.strategies.size() + extra; ++i) std::printf("---|");
  std::printf("\n");
  std::fflush(stdout);

  for (const std::string& fam_name : opt.families) {
    const pb::Family family = FamilyOf(fam_name);
    const std::vector<pb::Scenario> seeds = LoadSeeds(fs::path(opt.seeds_dir) / fam_name);
    std::vector<Bug> bugs;  // the family's documented bugs, in target name order
    for (const TargetSpec* t : AllTargets()) {
      if (t->family != family) continue;
      for (const KnownDivergence& k : t->known) {
        const Bug bug{opt.key_by_part ? "" : t->name, Describe(k), &k};
        if (!opt.only.empty() && bug.part.find(opt.only) == std::string::npos) continue;
        if (std::find(bugs.begin(), bugs.end(), bug) == bugs.end()) {
          bugs.push_back(bug);
        }
      }
    }
    std::vector<DiffReport> seed_reports;
    for (const pb::Scenario& s : seeds) seed_reports.push_back(RunDifferential(s));
    // Group bugs by the set of seeds that show them: one campaign per group.
    std::map<std::vector<size_t>, std::vector<size_t>> groups;
    std::vector<std::vector<size_t>> shown_by(bugs.size());
    for (size_t b = 0; b < bugs.size(); ++b) {
      for (size_t i = 0; i < seeds.size(); ++i) {
        if (Shows(seed_reports[i], bugs[b])) shown_by[b].push_back(i);
      }
      groups[shown_by[b]].push_back(b);
    }
    // results[strategy][bug] = one Hit per trial
    std::map<std::string, std::vector<std::vector<Hit>>> results;
    for (const std::string& strategy : opt.strategies) {
      auto& per_bug = results[strategy];
      per_bug.assign(bugs.size(), {});
      for (uint64_t seed = 1; seed <= static_cast<uint64_t>(opt.trials); ++seed) {
        if (strategy == "random") {  // independent of the seeds: one campaign watches every bug
          const std::vector<Hit> hits = Campaign(opt, family, strategy, {}, bugs, seed);
          for (size_t b = 0; b < bugs.size(); ++b) per_bug[b].push_back(hits[b]);
          continue;
        }
        for (const auto& [excluded, members] : groups) {
          std::vector<pb::Scenario> corpus;  // (libfuzzer-*: the harness rejects other families anyway)
          for (size_t i = 0; i < seeds.size(); ++i) {
            if (!std::binary_search(excluded.begin(), excluded.end(), i)) corpus.push_back(seeds[i]);
          }
          if (corpus.empty()) corpus.push_back(MinimalScenario(family));
          std::vector<Bug> watched;
          for (size_t b : members) watched.push_back(bugs[b]);
          const std::vector<Hit> hits = IsEngine(strategy)
                                            ? EngineCampaign(opt, fam_name, strategy, corpus, watched, seed)
                                            : Campaign(opt, family, strategy, corpus, watched, seed);
          for (size_t j = 0; j < members.size(); ++j) per_bug[members[j]].push_back(hits[j]);
        }
      }
    }
    for (size_t b = 0; b < bugs.size(); ++b) {
      const std::string who = bugs[b].target.empty() ? fam_name : bugs[b].target;
      std::printf("| %s | `%s` | %zu of %zu | ", who.c_str(), bugs[b].part.c_str(), shown_by[b].size(), seeds.size());
      std::map<std::string, Cell> cells;
      for (const std::string& s : opt.strategies) {
        cells[s] = Summarise(results[s][b]);
        std::printf("%s | ", (IsEngine(s) ? ShowEngine(cells[s]) : Show(cells[s])).c_str());
      }
      // bytes/structure in attempts and in seconds; "> x" when bytes' median run hits the cap (x from the cap).
      std::string ratio = "— | —";
      if (cells.count("bytes") && cells.count("structure") && cells["structure"].attempts) {
        const Cell& by = cells["bytes"];
        const Cell& st = cells["structure"];
        const double s_st = std::max(*st.seconds, 1e-4);  // timer resolution: do not divide by ~0
        char buf[64];
        if (by.attempts) {
          std::snprintf(buf, sizeof buf, "%.1f | %.1f", *by.attempts / *st.attempts, *by.seconds / s_st);
        } else {
          std::snprintf(buf, sizeof buf, "> %.1f | > %.1f", opt.cap_execs / *st.attempts, by.seconds_at_least / s_st);
        }
        ratio = buf;
      }
      if (any_in_process) {
        std::printf("%s | ", ratio.c_str());
        if (cells.count("bytes")) {
          std::printf("%.0f %% | ", 100 * cells["bytes"].rejected_fraction);
        } else {
          std::printf("— | ");
        }
      }
      if (any_engine) std::printf("%s | ", EngineRatio(cells).c_str());
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  std::printf("\nDocumented by:\n");
  for (const std::string& fam_name : opt.families) {
    std::map<std::string, std::string> by;
    for (const TargetSpec* t : AllTargets()) {
      if (t->family != FamilyOf(fam_name)) continue;
      for (const KnownDivergence& k : t->known) by[Describe(k)] += (by[Describe(k)].empty() ? "" : ", ") + t->name;
    }
    for (const auto& [part, names] : by) std::printf("  %s `%s`: %s\n", fam_name.c_str(), part.c_str(), names.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace crashdiff::fuzz

int main(int argc, char** argv) {
  return crashdiff::fuzz::Main(argc, argv);
}
