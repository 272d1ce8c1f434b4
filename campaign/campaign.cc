#include "campaign/campaign.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "campaign/campaign_record.h"
#include "campaign/campaign_seeds.h"
#include "campaign/campaign_state.h"
#include "campaign/corpus_merge.h"
#include "campaign/engine_stats.h"
#include "campaign/findings.h"
#include "campaign/status_file.h"
#include "campaign/worker_process.h"
#include "minimize/triage.h"
#include "proto/family_name.h"
#include "util/atomic_file.h"
#include "util/json.h"

namespace crashdiff::campaign {
namespace {

namespace fs = std::filesystem;

volatile sig_atomic_t interrupted = 0;
void OnInterrupt(int) {
  interrupted = 1;
}

// The options plus what the run learns: the session number and the corpus's verdicts.
struct Plan : FuzzOptions {
  uint64_t session = 1;  // runs on this work directory so far, this one included (campaign.textproto)
  const CorpusBook& corpus;
  Plan(const FuzzOptions& o, const CorpusBook& c) : FuzzOptions(o), corpus(c) {}
};

struct Worker {
  pid_t pid = -1;
  fs::path log;
  int index = 0;
  bool explorer = false;  // the hybrid mode's explore worker (campaign/explore_worker.h), not an engine
  int restarts = 0;       // after a crash of the harness
  int generation = 0;     // restarts after a corpus merge
};

struct Progress {
  uint64_t execs_per_sec = 0;
  uint64_t total_execs = 0;
  size_t corpus = 0;
  size_t by_status[5] = {};  // signatures per Status
  size_t fresh() const { return by_status[static_cast<size_t>(Status::kNew)]; }
  size_t count(Status s) const { return by_status[static_cast<size_t>(s)]; }
};

Progress Measure(const Plan& plan, const std::vector<Worker>& workers) {
  Progress p;
  if (plan.engine == "afl") {
    for (const Worker& w : workers) {
      auto stats = AflStats(plan.out / "afl" / ("w" + std::to_string(w.index)) / "fuzzer_stats");
      const double rate = std::strtod(stats["execs_per_sec"].c_str(), nullptr);
      if (rate > 0 && rate < 1e9) p.execs_per_sec += static_cast<uint64_t>(rate);
      p.total_execs += std::strtoull(stats["execs_done"].c_str(), nullptr, 10);
      p.corpus += std::strtoull(stats["corpus_count"].c_str(), nullptr, 10);
    }
  } else {
    for (const Worker& w : workers) {
      if (w.explorer) continue;  // its schedules are not fuzzing executions
      p.execs_per_sec += LibFuzzerExecsPerSec(w.log);
      p.total_execs += LibFuzzerExecs(w.log);
    }
    p.corpus = CountFiles(plan.out / "corpus");
  }
  for (const Finding& f : ReadFindings(plan.out / "findings", plan.corpus))
    ++p.by_status[static_cast<size_t>(f.status)];
  return p;
}

SessionSample Sample(const Progress& p, int elapsed, size_t alive) {
  return {p.total_execs,
          p.execs_per_sec,
          p.corpus,
          {p.fresh(), p.count(Status::kTriaged), p.count(Status::kOpen), p.count(Status::kKnown),
           p.count(Status::kDifference)},
          elapsed,
          alive};
}

HarnessEnv HarnessEnvFor(const FuzzOptions& plan) {
  HarnessEnv env;
  env.findings = plan.out / "findings";
  // The harness then leaves the wall-clock "found-after-ms" out of finding headers (fuzz/harness_core.h).
  env.deterministic = plan.deterministic();
  env.family = plan.family;
  env.target = plan.target;
  env.seeds = plan.seeds;
  return env;
}

WorkerSpawn WorkerSpawnFor(const Plan& plan, const Worker& w, int seconds_left) {
  const CampaignWorker worker{w.index, w.restarts + w.generation, w.log};
  if (w.explorer) return ExploreWorkerSpawn(plan, worker, seconds_left);
  return plan.engine == "afl" ? AflWorkerSpawn(plan, plan.session, worker, seconds_left)
                              : LibFuzzerWorkerSpawn(plan, plan.session, worker, seconds_left);
}

}  // namespace

uint64_t WorkerSeed(uint64_t session, const CampaignWorker& w) {
  // A new seed per worker, restart and session; the first session's first start is 1 + index (deterministic runs).
  return (1 + static_cast<uint64_t>(w.index) + 1000 * static_cast<uint64_t>(w.starts) + 7919 * (session - 1)) %
         2147483647;
}

WorkerSpawn LibFuzzerWorkerSpawn(const FuzzOptions& plan, uint64_t session, const CampaignWorker& w, int seconds_left) {
  LibFuzzerRun run;
  run.fuzzer = plan.fuzzer;
  run.dict = plan.dict;
  run.seconds = seconds_left;
  run.seed = WorkerSeed(session, w);
  run.runs = plan.runs > 0 ? plan.runs : -1;
  // Re-reading the corpus each second is for parallel jobs; its timing must not reach a deterministic campaign.
  run.reload = !plan.deterministic();
  run.artifacts = fs::absolute(plan.out / "crashes");
  run.corpus = {fs::absolute(plan.out / "corpus"), fs::absolute(plan.out / "seeds")};
  EngineProcess process;
  process.harness = HarnessEnvFor(plan);
  process.log = w.log;
  process.fixed_addresses = plan.deterministic();
  return LibFuzzerSpawn(run, process);
}

WorkerSpawn ExploreWorkerSpawn(const FuzzOptions& plan, const CampaignWorker& w, int seconds_left) {
  WorkerSpawn spawn;
  spawn.argv = {plan.crashdiff.string(),
                "explore-worker",
                "--corpus",
                fs::absolute(plan.out / "corpus").string(),
                "--seeds",
                fs::absolute(plan.out / "seeds").string(),
                "--findings",
                fs::absolute(plan.out / "findings").string(),
                "--explored",
                fs::absolute(plan.out / "explored.txt").string(),
                "--schedules",
                std::to_string(plan.explore),
                "--time",
                std::to_string(std::max(1, seconds_left))};
  if (!plan.family.empty()) spawn.argv.insert(spawn.argv.end(), {"--family", plan.family});
  if (!plan.target.empty()) spawn.argv.insert(spawn.argv.end(), {"--target", plan.target});
  spawn.log = w.log;
  return spawn;
}

WorkerSpawn AflWorkerSpawn(const FuzzOptions& plan, uint64_t, const CampaignWorker& w, int seconds_left) {
  const char* afl = std::getenv("AFL_FUZZ");
  AflRun run;
  run.afl_fuzz = afl != nullptr && *afl != '\0' ? afl : "/usr/bin/afl-fuzz";
  run.harness = plan.fuzzer;
  run.mutator = plan.afl_mutator;
  run.seconds = seconds_left;
  run.seeds = plan.out / "seeds";
  run.out = plan.out / "afl";
  run.index = w.index;
  EngineProcess process;
  process.harness = HarnessEnvFor(plan);
  process.log = w.log;
  return AflSpawn(run, process);
}

int ReportCampaign(const FuzzOptions& options, const CorpusBook& corpus) {
  const FuzzOptions& plan = options;
  // Re-judge a finished campaign (after new triage records, a model or oracle fix) without fuzzing again.
  size_t gone = 0;
  const std::vector<Finding> findings = ReadFindings(plan.out / "findings", corpus, true, &gone);
  Progress p;
  for (const Finding& f : findings) ++p.by_status[static_cast<size_t>(f.status)];
  std::printf(
      "re-judged %s with the current tree: %zu signature(s) (%zu new, %zu triaged, %zu open, %zu known, %zu outcome "
      "differences); %zu no longer reproduce\n",
      (plan.out / "findings").c_str(), findings.size(), p.fresh(), p.count(Status::kTriaged), p.count(Status::kOpen),
      p.count(Status::kKnown), p.count(Status::kDifference), gone);
  PrintFindings(plan.out, findings);
  return p.fresh() > 0 ? kCampaignNew : kCampaignClean;
}

int RunCampaign(const FuzzOptions& options, const CorpusBook& corpus) {
  Plan plan(options, corpus);
  RecoverCorpus(plan.out);  // a merge killed midway
  // The work directory's campaign: a new one, or the previous one resumed (corpus, findings and statistics kept).
  const CampaignStart begun = StartCampaign(plan.out, {plan.family, plan.target, plan.engine}, plan.fresh, NowUnix());
  if (!begun.error.empty()) {
    std::fprintf(stderr, "crashdiff fuzz: %s\n", begun.error.c_str());
    return kCampaignUsage;
  }
  signal(SIGINT, OnInterrupt);
  signal(SIGTERM, OnInterrupt);  // a supervisor's stop: the same orderly end as Ctrl-C
  std::error_code ec;
  for (const char* sub : {"corpus", "findings", "logs", "crashes"}) fs::create_directories(plan.out / sub, ec);
  plan.session = begun.state.sessions();
  CampaignStatus identity{"running", false, getpid(), plan.engine, plan.family, plan.target};
  identity.jobs = static_cast<uint64_t>(plan.jobs);
  CampaignRecorder recorder(plan.out, begun.state, identity);
  fs::remove_all(plan.out / "seeds", ec);
  RemoveStaleTemporaries((plan.out / "reproducers").string());  // a killed campaign's half-written reproducers
  const int seeds =
      PrepareSeeds(plan.seeds, ParseFamilyName(plan.family).value_or(pb::FAMILY_UNSPECIFIED), plan.out / "seeds");
  if (seeds < 0) {
    std::fprintf(stderr, "crashdiff fuzz: --out %s: cannot write the seeds into it\n", plan.out.c_str());
    return kCampaignUsage;
  }
  std::fprintf(stderr, "crashdiff fuzz: %s, %d job(s), %d s, %d seed(s)%s%s, work dir %s%s\n", plan.engine.c_str(),
               plan.jobs, plan.seconds, seeds, plan.family.empty() ? "" : (", family " + plan.family).c_str(),
               plan.target.empty() ? "" : (", target " + plan.target).c_str(), plan.out.c_str(),
               begun.note.empty() ? "" : ("; " + begun.note).c_str());

  std::vector<Worker> workers(static_cast<size_t>(plan.jobs));
  for (int i = 0; i < plan.jobs; ++i) {
    workers[static_cast<size_t>(i)].index = i;
    workers[static_cast<size_t>(i)].log = plan.out / "logs" / ("worker-" + std::to_string(i) + ".log");
  }
  if (plan.explore > 0) {
    Worker explorer;
    explorer.index = plan.jobs;
    explorer.explorer = true;
    explorer.log = plan.out / "logs" / "explore-worker.log";
    workers.push_back(explorer);
  }
  for (const Worker& w : workers) fs::remove(w.log, ec);
  recorder.set_execs_baseline(Measure(plan, workers).total_execs);
  const bool can_merge = plan.merge_every > 0 && plan.engine == "libfuzzer";
  // Merges corpus/ while no worker runs; a periodic merge's time is not fuzzing time.
  auto merge = [&](int elapsed, bool periodic) {
    recorder.Record(Sample(Measure(plan, workers), elapsed, 0), "running", true, -1);
    const auto begin = std::chrono::steady_clock::now();
    const MergeOutcome m = MergeCorpus(plan.fuzzer, HarnessEnvironment(HarnessEnvFor(plan)), plan.out, interrupted);
    const auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - begin);
    recorder.AddMerge(m.replaced, periodic ? static_cast<int>(took.count()) : 0);
    std::fprintf(stderr, "crashdiff fuzz: %s\n", m.message.c_str());
  };
  if (can_merge && begun.resumed && CountFiles(plan.out / "corpus") > 0 && !interrupted) {
    merge(0, false);  // before the clock starts: --time is fuzzing time
  }

  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return static_cast<int>(
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count());
  };
  auto start_worker = [&](Worker& w) { w.pid = SpawnWorker(WorkerSpawnFor(plan, w, plan.seconds - elapsed())); };
  for (Worker& w : workers) {
    if (!interrupted) start_worker(w);
  }

  const bool tty = isatty(STDERR_FILENO);
  int last_line = -10;
  int last_merge = 0;
  std::vector<pid_t*> pids;
  for (Worker& w : workers) pids.push_back(&w.pid);
  for (;;) {
    size_t running = 0;
    for (Worker& w : workers) {
      if (w.pid <= 0) continue;
      int status = 0;
      if (waitpid(w.pid, &status, WNOHANG) == w.pid) {
        w.pid = -1;
        // A worker that crashed (the harness itself, input saved under crashes/) is restarted with a new seed.
        const bool crashed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
        if (crashed && elapsed() + 2 < plan.seconds && w.restarts < 20) {
          ++w.restarts;
          start_worker(w);
        }
      }
      if (w.pid > 0) ++running;
    }
    if (running == 0) break;
    if (interrupted || elapsed() > plan.seconds + 30) {
      // SIGINT, then SIGKILL: libFuzzer prints its final stats from its signal handler and can hang there.
      StopWorkers(pids);
      break;
    }
    // Not in a deterministic campaign: when a merge happens depends on the clock.
    if (can_merge && !plan.deterministic() && elapsed() - last_merge >= plan.merge_every &&
        elapsed() + 2 < plan.seconds) {
      // The workers write into corpus/: they stop while it is merged and replaced, then go on from the merged one.
      StopWorkers(pids);
      merge(elapsed(), true);
      last_merge = elapsed();
      for (Worker& w : workers) {
        ++w.generation;
        if (!interrupted) start_worker(w);
      }
      continue;
    }
    const bool tick = elapsed() - last_line >= 10;
    if (tty || tick) {
      const Progress p = Measure(plan, workers);
      std::fprintf(stderr,
                   "%s[%4ds/%ds] %zu worker(s)  %llu exec/s  corpus %zu  signatures: %zu known, %zu triaged, %zu open, "
                   "%zu new, %zu differences%s",
                   tty ? "\r" : "", elapsed(), plan.seconds, running, static_cast<unsigned long long>(p.execs_per_sec),
                   p.corpus, p.count(Status::kKnown), p.count(Status::kTriaged), p.count(Status::kOpen), p.fresh(),
                   p.count(Status::kDifference), tty ? "   " : "\n");
      if (tick) {
        last_line = elapsed();
        recorder.Record(Sample(p, elapsed(), running), "running", false, -1);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (tty) std::fprintf(stderr, "\n");

  const Progress p = Measure(plan, workers);
  std::vector<Finding> findings = ReadFindings(plan.out / "findings", plan.corpus);
  MinimizeNewFindings(plan.out / "reproducers", plan.minimize, plan.json, interrupted, findings);
  const size_t crashes = CountFiles(plan.out / "crashes");
  const int code = p.fresh() > 0 || crashes > 0 ? kCampaignNew : kCampaignClean;
  const pb::CampaignState total =
      recorder.Record(Sample(p, elapsed(), 0), interrupted ? "interrupted" : "finished", false, code);
  const uint64_t execs = total.execs() - begun.state.execs();  // this session's (afl-fuzz resumes its counters)
  if (plan.json) {
    JsonWriter j;
    j.BeginObject().Key("engine").String(plan.engine).Key("seconds").Uint(static_cast<uint64_t>(elapsed()));
    j.Key("jobs").Uint(static_cast<uint64_t>(plan.jobs)).Key("execs").Uint(execs).Key("corpus").Uint(p.corpus);
    j.Key("interrupted").Bool(interrupted != 0).Key("session").Uint(total.sessions());
    j.Key("execs_total").Uint(total.execs()).Key("fuzz_seconds_total").Uint(total.fuzz_seconds());
    j.Key("harness_crashes").Uint(crashes).Key("findings").BeginArray();
    for (const Finding& f : findings) {
      j.BeginObject().Key("signature").String(f.signature).Key("root_cause").String(f.root_cause);
      j.Key("known").Bool(f.known);
      if (f.triage != nullptr) j.Key("triage").String(f.triage->file);
      j.Key("status").String(Name(f.status)).Key("targets").String(f.targets);
      j.Key("reproducer").String(f.reproducer.string());
      if (!f.minimized.empty()) j.Key("minimized").String(f.minimized.string());
      j.EndObject();
    }
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
  } else {
    std::printf(
        "%s %d s with %d job(s): %llu executions, corpus %zu, %zu signature(s) (%zu new, %zu triaged, %zu open, "
        "%zu known, %zu outcome differences)\ncampaign (session %llu): %llu executions in %llu s fuzzed\n",
        interrupted ? "interrupted after" : "fuzzed", elapsed(), plan.jobs, static_cast<unsigned long long>(execs),
        p.corpus, findings.size(), p.fresh(), p.count(Status::kTriaged), p.count(Status::kOpen),
        p.count(Status::kKnown), p.count(Status::kDifference), static_cast<unsigned long long>(total.sessions()),
        static_cast<unsigned long long>(total.execs()), static_cast<unsigned long long>(total.fuzz_seconds()));
    PrintFindings(plan.out, findings);
    if (crashes > 0) std::printf("\n%zu harness crash(es) saved under %s\n", crashes, (plan.out / "crashes").c_str());
  }
  return code;
}

}  // namespace crashdiff::campaign
