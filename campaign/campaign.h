// A fuzz campaign on its work directory (fuzz/README.md): prepares it (binary seeds from the source seeds, a shared
// corpus, a findings directory), starts one engine process per job through the launcher (campaign/engine.h), shows
// a live progress line, merges the corpus now and then, and ends with the table of root causes found
// (campaign/findings.h), each with its reproducer. The engine processes record findings themselves (fuzz/
// harness_core.h, campaign mode): one file per signature, written atomically, so this process only reads the
// directory. `crashdiff fuzz` (cli/fuzz_command.cc) is this library behind a command line.
#pragma once

#include <cstdint>
#include <filesystem>

#include "campaign/engine.h"
#include "campaign/options.h"
#include "minimize/corpus_status.h"

namespace crashdiff::campaign {

// Exit codes, as the CLI's (ARCHITECTURE §10).
inline constexpr int kCampaignClean = 0;  // nothing new
inline constexpr int kCampaignNew = 1;    // a new divergence (or a harness crash)
inline constexpr int kCampaignUsage = 2;  // the work directory or the seeds cannot be used

// Runs the campaign options describe (options.fuzzer found, the work directory locked by the caller's CampaignDir)
// and prints what it found. corpus: the triage records and the regression corpus findings are judged against.
int RunCampaign(const FuzzOptions& options, const CorpusBook& corpus);

// Re-judges the finished campaign in options.out with the current tree (after new triage records, a model or oracle
// fix) without fuzzing again, and prints the table.
int ReportCampaign(const FuzzOptions& options, const CorpusBook& corpus);

// One start of one worker: its index, how often it was started before in this session (restarts after a crash of
// the harness and after corpus merges), and its log.
struct CampaignWorker {
  int index = 0;
  int starts = 0;
  std::filesystem::path log;
};
// Its libFuzzer seed: a new one per worker, start and session; the first session's first start is 1 + index.
uint64_t WorkerSeed(uint64_t session, const CampaignWorker& worker);
// What RunCampaign starts for the worker, with seconds_left of the campaign's time.
WorkerSpawn LibFuzzerWorkerSpawn(const FuzzOptions& options, uint64_t session, const CampaignWorker& worker,
                                 int seconds_left);
WorkerSpawn AflWorkerSpawn(const FuzzOptions& options, uint64_t session, const CampaignWorker& worker,
                           int seconds_left);
// The hybrid mode's explore worker (options.explore > 0): `crashdiff explore-worker` on the campaign's corpus.
WorkerSpawn ExploreWorkerSpawn(const FuzzOptions& options, const CampaignWorker& worker, int seconds_left);

}  // namespace crashdiff::campaign
