// PCT as a campaign (docs/EXPLORE.md, "PCT campaign"): N runs of one scenario on one target under the simulator's
// PCT scheduler (sim/scheduler.cc; Burckhardt et al., ASPLOS 2010), seeds 1..N, and the probability bound PCT
// gives: a bug of depth d shows in one run with probability >= 1/(n k^(d-1)) for n CPUs and change points drawn from
// k steps, so N runs miss it with probability <= (1 - p)^N.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "oracle/properties.h"
#include "proto/scenario.pb.h"

namespace crashdiff {

struct PctOptions {
  std::string target;
  uint64_t runs = 1000;  // N
  uint32_t depth = 3;    // d, [1, 16]
  uint64_t horizon = 0;  // k: change points are drawn from the first k steps; 0: the unscheduled run's length
  std::vector<std::string> properties;  // empty: all
};

struct PctResult {
  uint64_t runs = 0;     // runs made (stops at the first violation)
  uint32_t cpus = 0;     // n
  uint64_t horizon = 0;  // k
  uint64_t longest_run = 0;
  uint64_t runs_longer_than_horizon = 0;
  double per_run = 0;   // 1/(n k^(d-1))
  double campaign = 0;  // 1 - (1 - per_run)^runs
  bool found = false;
  uint64_t seed = 0;  // the violating run's seed
  std::vector<Violation> violations;
  pb::Scenario reproducer;  // the scenario with schedule { policy: PCT seed pct_depth pct_horizon }
  double seconds = 0;
};

double PctPerRunBound(uint32_t cpus, uint64_t horizon, uint32_t depth);
double PctCampaignBound(double per_run, uint64_t runs);

PctResult RunPct(const pb::Scenario& scenario, const PctOptions& options);

}  // namespace crashdiff
