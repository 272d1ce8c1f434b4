// One session's bookkeeping of a `crashdiff fuzz` campaign: the campaign's state as of the session's start
// (campaign.textproto) plus what this session adds, written to campaign.textproto and status.json at every tick.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>

#include "campaign/status_file.h"
#include "proto/campaign.pb.h"

namespace crashdiff::campaign {

// What the campaign measured at one instant of the session.
struct SessionSample {
  uint64_t execs = 0;  // as the engines count them (this session's libFuzzer logs; afl-fuzz's resumed counters)
  uint64_t execs_per_sec = 0;
  uint64_t corpus = 0;
  std::array<uint64_t, 5> signatures = {};  // by verdict, in kVerdictNames' order
  int elapsed = 0;                          // seconds since the session's workers started
  uint64_t alive = 0;                       // workers running
};

class CampaignRecorder {
 public:
  // identity: the fields of status.json that do not change during the session (engine, family, target, jobs, pid).
  CampaignRecorder(std::filesystem::path dir, pb::CampaignState at_start, CampaignStatus identity);

  // What the engines counted before the session's workers ran: afl-fuzz resumes its counters from afl/.
  void set_execs_baseline(uint64_t execs) { execs_baseline_ = execs; }

  // A corpus merge ended (replaced: corpus/ is the merged one) after seconds of the session's wall time.
  void AddMerge(bool replaced, int seconds);

  // Writes both files (atomically); reports a failure on stderr and goes on. Returns the cumulative state.
  pb::CampaignState Record(const SessionSample& sample, const char* state, bool merging, int exit_code);

 private:
  std::filesystem::path dir_;
  pb::CampaignState state_;  // as of the session's start, merges counted as they happen
  CampaignStatus identity_;
  uint64_t execs_baseline_ = 0;
  int merge_seconds_ = 0;  // of the session's wall time: not fuzzing
};

}  // namespace crashdiff::campaign
