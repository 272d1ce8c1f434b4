#include "campaign/explore_worker.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <vector>

#include "diff/differential.h"
#include "diff/finding.h"
#include "diff/runner.h"
#include "explore/explorer.h"
#include "fuzz/mutator/input.h"
#include "oracle/properties.h"

namespace crashdiff::campaign {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::set<std::string> ReadExplored(const fs::path& list) {
  std::set<std::string> out;
  std::ifstream in(list);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

// A unit the worker has not explored yet. Seeds are listed as "seeds/NAME" (libFuzzer names corpus units by content
// hash, so the two never collide), corpus units by their bare name, as explored.txt always had them.
struct Unit {
  std::string key;
  fs::path path;
  bool seed = false;
  std::optional<pb::Scenario> scenario;  // nullopt: unreadable, listed without a search
  uint64_t cost = 0;                     // CPUs x (events + 1): a search's size grows with both
};

void ListNew(const fs::path& dir, bool seed, const std::set<std::string>& explored, std::vector<Unit>& out) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const std::string key = seed ? "seeds/" + name : name;
    if (name.empty() || name[0] == '.' || explored.count(key) != 0 || !it->is_regular_file(ec)) continue;
    Unit u{key, it->path(), seed, fuzz::ParseInputFile(it->path()), 0};
    if (u.scenario) {
      const pb::Machine& m = u.scenario->machine();
      u.cost =
          uint64_t{m.cores()} * m.threads_per_core() * (uint64_t{static_cast<uint32_t>(u.scenario->events_size())} + 1);
    }
    out.push_back(std::move(u));
  }
}

// Units not explored yet: the seeds first (hand-written scenarios, each a mechanism someone meant to test), then the
// fuzzers' units, each group cheapest first (ties by name: a stable order), so that one large machine does not hold
// up the many small ones that a bounded search covers in milliseconds.
std::vector<Unit> NewUnits(const ExploreWorkerOptions& o, const std::set<std::string>& explored) {
  std::vector<Unit> out;
  if (!o.seeds.empty()) ListNew(o.seeds, true, explored, out);
  ListNew(o.corpus, false, explored, out);
  std::sort(out.begin(), out.end(), [](const Unit& a, const Unit& b) {
    return std::tie(b.seed, a.cost, a.key) < std::tie(a.seed, b.cost, b.key);
  });
  return out;
}

class Worker {
 public:
  Worker(const ExploreWorkerOptions& o, Clock::time_point deadline)
      : o_(o), explored_(ReadExplored(o.explored)), deadline_(deadline) {}

  // Explores one unit on each of its targets and lists it as explored.
  void Explore(const Unit& unit) {
    const auto& scenario = unit.scenario;
    if (scenario && (o_.family == pb::FAMILY_UNSPECIFIED || scenario->machine().family() == o_.family)) {
      ++stats_.units;
      for (const TargetSpec* t : TargetsFor(*scenario, o_.target)) Search(unit.path, *scenario, t->name);
    }
    MarkExplored(unit.key);
  }

  const std::set<std::string>& explored() const { return explored_; }
  const ExploreWorkerStats& stats() const { return stats_; }

 private:
  // Searches for each property the unit's own run does not show, one counterexample at a time: a search stops at
  // its first violation, so after one the properties it violated are dropped and the search goes on for the rest,
  // within the unit's budget of schedules.
  void Search(const fs::path& unit, const pb::Scenario& scenario, std::string_view target) {
    ExploreOptions eo;
    eo.target = std::string(target);
    eo.preemptions = o_.preemptions;
    eo.preempt_first = true;  // a bounded search should try early preemptions first (docs/EXPLORE.md, hybrid)
    eo.properties = PropertiesNotShown(scenario, eo.target);
    eo.deadline = deadline_;
    uint64_t budget = o_.schedules;
    ++stats_.searches;
    while (!eo.properties.empty() && budget > 0) {
      eo.max_schedules = budget;
      const ExploreResult r = crashdiff::Explore(scenario, eo);
      stats_.schedules += r.schedules;
      budget -= std::min(budget, r.schedules);
      if (!r.found) {
        if (r.exhaustive) ++stats_.exhaustive;
        return;
      }
      for (const Violation& v : r.violations) std::erase(eo.properties, v.property);
      if (r.violations.empty()) return;  // nothing to drop: the same counterexample would come back
      if (r.reproducer_replays) Record(unit, eo.target, r);
    }
  }

  // The counterexample is judged as every finding is: differentially, on every target and the reference.
  void Record(const fs::path& unit, const std::string& target, const ExploreResult& r) {
    ++stats_.counterexamples;
    const DiffReport report = RunDifferential(r.reproducer, DiffOptions{});
    FoundAfter found{stats_.schedules, std::nullopt};
    if (!o_.deterministic) {
      found.milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
    }
    size_t created = 0;
    for (const Divergence& d : report.divergences) {
      if (RecordFinding(o_.findings.string(), d, report, r.reproducer, &found)) ++created;
    }
    stats_.recorded += created;
    std::printf("explore-worker: %s on %s: %s after %llu schedule(s), %zu new signature(s)\n", unit.filename().c_str(),
                target.c_str(), r.violations.front().property.c_str(), static_cast<unsigned long long>(r.schedules),
                created);
    std::fflush(stdout);
  }

  // The search stops at its first counterexample, and the unit's own schedule has already shown what it shows (the
  // fuzzer recorded that): the search looks for the properties that run does not violate on this target.
  static std::vector<std::string> PropertiesNotShown(const pb::Scenario& scenario, const std::string& target) {
    DiffOptions only;
    only.only_target = target;
    const DiffReport own = RunDifferential(scenario, only);
    std::set<std::string, std::less<>> shown;
    for (const Divergence& d : own.divergences) shown.insert(d.property);
    std::vector<std::string> out;
    for (const PropertyInfo& p : Properties()) {
      if (shown.count(p.id) == 0) out.emplace_back(p.id);
    }
    return out;
  }

  void MarkExplored(const std::string& name) {
    explored_.insert(name);
    // One line per unit, appended: a run killed mid-line loses at most that unit's mark (it is explored again).
    std::ofstream out(o_.explored, std::ios::app);
    out << name << '\n';
  }

  const ExploreWorkerOptions& o_;
  std::set<std::string> explored_;
  const Clock::time_point deadline_;  // searches under way end here too
  ExploreWorkerStats stats_;
  const Clock::time_point started_ = Clock::now();
};

}  // namespace

ExploreWorkerStats RunExploreWorker(const ExploreWorkerOptions& options, const volatile sig_atomic_t& stop) {
  const auto deadline =
      options.seconds > 0 ? Clock::now() + std::chrono::seconds(options.seconds) : Clock::time_point::max();
  Worker worker(options, deadline);
  const auto out_of_time = [&] { return stop != 0 || (options.seconds > 0 && Clock::now() >= deadline); };
  while (!out_of_time()) {
    const std::vector<Unit> units = NewUnits(options, worker.explored());
    for (const Unit& unit : units) {
      if (out_of_time()) break;
      worker.Explore(unit);
    }
    if (options.seconds == 0) break;
    if (units.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  const ExploreWorkerStats& s = worker.stats();
  std::printf(
      "explore-worker: %llu unit(s), %llu search(es) (%llu exhaustive), %llu schedule(s), %llu counterexample(s), "
      "%llu new signature(s)\n",
      static_cast<unsigned long long>(s.units), static_cast<unsigned long long>(s.searches),
      static_cast<unsigned long long>(s.exhaustive), static_cast<unsigned long long>(s.schedules),
      static_cast<unsigned long long>(s.counterexamples), static_cast<unsigned long long>(s.recorded));
  return s;
}

}  // namespace crashdiff::campaign
