// One rediscovery campaign through the real engine (bench/rediscover.cc's libfuzzer-* strategies): the libFuzzer
// harness (fuzz/harness_libfuzzer.cc) is started by the campaign launcher (campaign/engine.h) as a child process on a
// fresh temporary directory holding the starting corpus, in campaign mode (CRASHDIFF_FINDINGS_DIR), and its findings
// directory is polled; the process is stopped as soon as every watched bug has a finding, or when libFuzzer's
// -max_total_time ends it. Each finding's header says after how many executions and milliseconds it was found
// (fuzz/harness_core.cc).
//
// Only the process started here is ever signalled (SIGTERM, then SIGKILL after a grace period), and it is always
// reaped. The engine's output goes to engine.log in the temporary directory; the directory is removed afterwards,
// except that the log of a campaign whose engine failed (exit status not 0, or no start-up) is copied to
// <temp>/crashdiff-rediscover-last-failure.log for diagnosis.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "campaign/engine.h"
#include "campaign/worker_process.h"
#include "diff/finding.h"
#include "proto/scenario.pb.h"

namespace crashdiff::fuzz {

// A documented bug as the campaign watches it: a divergence of target (empty: any target) that the target's known
// mechanism part (Describe() of its KnownDivergence) matches: the finding's "# known-as:" lines, the rule of
// rediscover.cc's Shows().
struct WatchedBug {
  std::string target;
  std::string part;
};

struct EngineSettings {
  std::string fuzzer;  // absolute path of the libFuzzer harness
  std::string dict;    // absolute path of a libFuzzer dictionary, or empty
  std::string family;  // "ppc" | "x86" | "arm64"
  bool bytes = false;  // CRASHDIFF_MUTATOR=bytes: libFuzzer's own byte-level mutations, no custom crossover
  int cap_seconds = 30;
};

// A watched bug's result: whether it was found, and the harness's found-after-execs / found-after-ms.
struct EngineHit {
  bool found = false;
  uint64_t execs = 0;  // found: executions up to the hit; missed: executions of the whole campaign (if known)
  double milliseconds = 0;
};

struct EngineCampaignResult {
  std::vector<EngineHit> hits;  // one per watched bug
  double wall_seconds = 0;      // process start to reaped
  bool engine_failed = false;
};

inline bool FindingShows(const FindingHeader& h, const WatchedBug& bug) {
  if (!h.known) return false;
  for (const std::string& k : h.known_as) {
    const size_t colon = k.find(": ");
    if (colon == std::string::npos || k.substr(colon + 2) != bug.part) continue;
    if (bug.target.empty() || k.substr(0, colon) == bug.target) return true;
  }
  return false;
}

// libFuzzer's final statistics (-print_final_stats=1): executions of a campaign that ran to its end.
inline uint64_t ExecutedUnits(const std::filesystem::path& log) {
  std::ifstream in(log);
  const std::string key = "stat::number_of_executed_units:";
  uint64_t n = 0;
  for (std::string line; std::getline(in, line);) {
    const size_t at = line.find(key);
    if (at != std::string::npos) n = std::strtoull(line.c_str() + at + key.size(), nullptr, 10);
  }
  return n;
}

namespace engine_detail {

// The engine process: the launcher's (campaign/engine.h), as `crashdiff fuzz` starts a worker, with one process,
// no -runs or -reload, and none of this process's CRASHDIFF_* variables but the ones set here.
inline campaign::WorkerSpawn EngineSpawn(const EngineSettings& s, const std::filesystem::path& dir, uint64_t seed) {
  campaign::LibFuzzerRun run;
  run.fuzzer = s.fuzzer;
  run.dict = s.dict;
  run.seconds = s.cap_seconds;
  run.seed = seed;
  run.artifacts = dir / "crashes";
  run.corpus = {dir / "corpus"};
  campaign::EngineProcess process;
  process.harness.findings = dir / "findings";
  process.harness.family = s.family;
  process.harness.bytes = s.bytes;
  process.isolated = true;
  process.log = dir / "engine.log";
  process.working_dir = dir;
  return campaign::LibFuzzerSpawn(run, process);
}

// Stops the child: SIGTERM (libFuzzer exits on it), SIGKILL if it is still there after two seconds; reaps it.
inline void StopAndReap(pid_t pid) {
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

}  // namespace engine_detail

// Runs one campaign from corpus (written as binary protobuf files) with libFuzzer seed `seed`.
inline EngineCampaignResult RunEngineCampaign(const EngineSettings& s, const std::vector<pb::Scenario>& corpus,
                                              const std::vector<WatchedBug>& bugs, uint64_t seed) {
  namespace fs = std::filesystem;
  EngineCampaignResult out;
  out.hits.resize(bugs.size());
  std::string tmpl = (fs::temp_directory_path() / "crashdiff-rediscover-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    out.engine_failed = true;
    return out;
  }
  const fs::path dir = tmpl;
  fs::create_directories(dir / "corpus");
  fs::create_directories(dir / "findings");
  fs::create_directories(dir / "crashes");
  for (size_t i = 0; i < corpus.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "seed-%03zu.pb", i);
    std::ofstream(dir / "corpus" / name, std::ios::binary) << corpus[i].SerializeAsString();
  }

  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  const pid_t pid = campaign::SpawnWorker(engine_detail::EngineSpawn(s, dir, seed));
  if (pid < 0) {
    out.engine_failed = true;
    fs::remove_all(dir);
    return out;
  }
  std::set<std::string> read;  // finding files already looked at
  size_t left = bugs.size();
  bool exited = false;
  int status = 0;
  // Past the cap, start-up (label learning) and the initial corpus pass: a hung engine is stopped anyway.
  const double give_up = s.cap_seconds + 60.0;
  auto scan = [&] {
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir / "findings", ec); !ec && it != fs::end(it); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.empty() || name[0] == '.' || it->path().extension() != ".textproto") continue;
      if (!read.insert(name).second) continue;
      const FindingHeader h = ReadFindingHeader(it->path());
      for (size_t b = 0; b < bugs.size(); ++b) {
        if (!out.hits[b].found && FindingShows(h, bugs[b])) {
          out.hits[b] = {true, h.found_after_execs.value_or(0), static_cast<double>(h.found_after_ms.value_or(0))};
          --left;
        }
      }
    }
  };
  while (left > 0) {
    scan();
    if (left == 0) break;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      scan();  // findings written just before the end
      break;
    }
    if (elapsed() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!exited) engine_detail::StopAndReap(pid);
  out.wall_seconds = elapsed();
  // An engine that ended by itself must have ended normally (the time cap); otherwise keep its log.
  out.engine_failed = (exited && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) || (!exited && left > 0);
  const uint64_t total = exited ? ExecutedUnits(dir / "engine.log") : 0;
  for (EngineHit& h : out.hits) {
    if (!h.found) h = {false, total, s.cap_seconds * 1000.0};
  }
  std::error_code ec;
  if (out.engine_failed) {
    fs::copy_file(dir / "engine.log", fs::temp_directory_path() / "crashdiff-rediscover-last-failure.log",
                  fs::copy_options::overwrite_existing, ec);
  }
  fs::remove_all(dir, ec);
  return out;
}

}  // namespace crashdiff::fuzz
