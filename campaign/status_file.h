// DIR/status.json of a `crashdiff fuzz` campaign: what a supervisor polls. Rewritten atomically at every progress
// tick (10 s), around each corpus merge and at the end; its fields are documented in docs/JSON.md.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

namespace crashdiff::campaign {

inline constexpr const char* kStatusFile = "status.json";

struct CampaignStatus {
  std::string state = "running";  // running, finished, interrupted
  bool merging = false;           // workers stopped while the corpus is merged
  int64_t pid = 0;
  std::string engine, family, target;
  int64_t started_unix = 0;          // the campaign's first session
  int64_t session_started_unix = 0;  // this run
  int64_t updated_unix = 0;
  uint64_t elapsed_seconds = 0;     // of this session, wall clock
  uint64_t fuzz_seconds_total = 0;  // every session, merges not counted
  uint64_t execs_total = 0;
  uint64_t execs_session = 0;
  uint64_t execs_per_sec = 0;
  uint64_t corpus = 0;
  // Signatures in findings/ by verdict (docs/ORACLE.md "Verdicts"), in kVerdictNames' order.
  std::array<uint64_t, 5> signatures = {};
  uint64_t workers_alive = 0;
  uint64_t jobs = 0;
  uint64_t sessions = 0;
  uint64_t merges = 0;
  int64_t last_merge_unix = 0;  // 0: never
  int exit_code = -1;           // the campaign's exit code, once it is no longer running
};

// The JSON names of CampaignStatus::signatures: NEW, triaged, open, known, outcome differences.
inline constexpr const char* kVerdictNames[] = {"new", "triaged", "open", "known", "differences"};

int64_t NowUnix();

// "2026-12-03T00:45:52Z"
std::string Iso8601(int64_t unix_seconds);

std::string FormatStatus(const CampaignStatus& status);

// Writes DIR/status.json atomically; "" on success, else why not.
std::string WriteStatus(const std::filesystem::path& dir, const CampaignStatus& status);

}  // namespace crashdiff::campaign
