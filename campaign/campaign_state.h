// What a `crashdiff fuzz` work directory remembers between runs: DIR/campaign.textproto (proto/campaign.proto), the
// options that make the campaign what it is and its cumulative statistics. A run on a directory that holds a
// campaign resumes it (keeps corpus/, findings/, reproducers/ and the statistics) when its options are compatible.
#pragma once

#include <filesystem>
#include <string>

#include "proto/campaign.pb.h"

namespace crashdiff::campaign {

inline constexpr const char* kCampaignStateFile = "campaign.textproto";

// The options a resumed run must share with the campaign: its inputs and findings only mean something for the same
// family, target and engine (an afl campaign's queue is not a libFuzzer corpus; a ppc corpus is not an x86 one).
// --jobs, --time, --runs, --seeds and --minimize may change from run to run.
struct CampaignOptions {
  std::string family;  // "": all families
  std::string target;  // "": every target of the family
  std::string engine;
};

struct CampaignStart {
  std::string error;        // "" when the run may go on; else why not (a usage error, exit 2)
  std::string note;         // what happened to the directory, for the start line ("resuming session 3 ...")
  pb::CampaignState state;  // sessions already counts this run
  bool resumed = false;
};

// Takes over the (locked) work directory for a new session: a fresh campaign when it holds none, the previous one
// when its options are compatible (else an error naming the mismatch), or, with fresh, a new campaign after
// removing the previous one's corpus, findings, reproducers, crashes, logs and state. A directory with a corpus or
// findings but no state file (a campaign of an earlier crashdiff) is resumed with its statistics starting at 0.
// Writes the state file before returning.
CampaignStart StartCampaign(const std::filesystem::path& dir, const CampaignOptions& options, bool fresh,
                            int64_t now_unix);

// Writes DIR/campaign.textproto atomically; "" on success, else why not.
std::string SaveCampaignState(const std::filesystem::path& dir, const pb::CampaignState& state);

}  // namespace crashdiff::campaign
