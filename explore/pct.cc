#include "explore/pct.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "diff/runner.h"
#include "oracle/facts.h"
#include "targets/target.h"

namespace crashdiff {

double PctPerRunBound(uint32_t cpus, uint64_t horizon, uint32_t depth) {
  if (cpus == 0 || horizon == 0 || depth == 0) return 0;
  return 1.0 / (static_cast<double>(cpus) * std::pow(static_cast<double>(horizon), static_cast<double>(depth - 1)));
}

double PctCampaignBound(double per_run, uint64_t runs) {
  // 1 - (1-p)^N without cancellation for tiny p.
  return -std::expm1(static_cast<double>(runs) * std::log1p(-std::min(per_run, 1.0 - 1e-300)));
}

PctResult RunPct(const pb::Scenario& scenario, const PctOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  PctResult res;
  const TargetSpec& target = *FindTarget(options.target);
  res.cpus = scenario.machine().cores() * scenario.machine().threads_per_core();
  pb::Scenario s = scenario;
  s.mutable_schedule()->clear_choices();
  res.horizon = options.horizon;
  if (res.horizon == 0) {
    RunOptions probe;
    probe.record_trace = false;
    res.horizon = std::max<uint64_t>(1, RunOnTarget(target, s, probe).steps);
  }
  s.mutable_schedule()->set_policy(pb::PCT);
  s.mutable_schedule()->set_pct_depth(options.depth);
  s.mutable_schedule()->set_pct_horizon(res.horizon);
  for (uint64_t seed = 1; seed <= options.runs && !res.found; ++seed) {
    s.mutable_schedule()->set_seed(seed);
    FactsBuilder facts(res.cpus);
    RunOptions run;
    run.record_trace = false;
    run.observer = &facts;
    const RunResult r = RunOnTarget(target, s, run);
    ++res.runs;
    res.longest_run = std::max(res.longest_run, r.steps);
    if (r.steps > res.horizon) ++res.runs_longer_than_horizon;
    for (const Violation& v : CheckProperties(s, r, facts.facts())) {
      if (options.properties.empty() ||
          std::find(options.properties.begin(), options.properties.end(), v.property) != options.properties.end()) {
        res.violations.push_back(v);
      }
    }
    if (!res.violations.empty()) {
      res.found = true;
      res.seed = seed;
      res.reproducer = s;
    }
  }
  res.per_run = PctPerRunBound(res.cpus, res.horizon, options.depth);
  res.campaign = PctCampaignBound(res.per_run, res.runs);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace crashdiff
