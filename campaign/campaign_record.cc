#include "campaign/campaign_record.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

#include "campaign/campaign_state.h"

namespace crashdiff::campaign {

CampaignRecorder::CampaignRecorder(std::filesystem::path dir, pb::CampaignState at_start, CampaignStatus identity)
    : dir_(std::move(dir)), state_(std::move(at_start)), identity_(std::move(identity)) {
  identity_.session_started_unix = NowUnix();
}

void CampaignRecorder::AddMerge(bool replaced, int seconds) {
  merge_seconds_ += seconds;
  if (!replaced) return;
  state_.set_merges(state_.merges() + 1);
  state_.set_last_merge_unix(NowUnix());
}

pb::CampaignState CampaignRecorder::Record(const SessionSample& sample, const char* state, bool merging,
                                           int exit_code) {
  // Counters below the baseline: afl-fuzz started them over instead of resuming them.
  const uint64_t execs = sample.execs >= execs_baseline_ ? sample.execs - execs_baseline_ : sample.execs;
  pb::CampaignState total = state_;
  total.set_execs(total.execs() + execs);
  total.set_fuzz_seconds(total.fuzz_seconds() + static_cast<uint64_t>(std::max(0, sample.elapsed - merge_seconds_)));
  uint64_t signatures = 0;
  for (uint64_t n : sample.signatures) signatures += n;
  total.set_signatures(signatures);
  total.set_updated_unix(NowUnix());

  CampaignStatus s = identity_;
  s.state = state;
  s.merging = merging;
  s.started_unix = total.started_unix();
  s.updated_unix = total.updated_unix();
  s.elapsed_seconds = static_cast<uint64_t>(std::max(0, sample.elapsed));
  s.fuzz_seconds_total = total.fuzz_seconds();
  s.execs_total = total.execs();
  s.execs_session = execs;
  s.execs_per_sec = merging ? 0 : sample.execs_per_sec;
  s.corpus = sample.corpus;
  s.signatures = sample.signatures;
  s.workers_alive = sample.alive;
  s.sessions = total.sessions();
  s.merges = total.merges();
  s.last_merge_unix = total.last_merge_unix();
  s.exit_code = exit_code;
  for (const std::string& e : {SaveCampaignState(dir_, total), WriteStatus(dir_, s)}) {
    if (!e.empty()) std::fprintf(stderr, "crashdiff fuzz: %s\n", e.c_str());
  }
  return total;
}

}  // namespace crashdiff::campaign
