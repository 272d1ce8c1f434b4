// Starting one engine process of a campaign (a libFuzzer or afl-fuzz worker, a corpus merge); what it runs is
// campaign/engine.h's.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace crashdiff::campaign {

struct WorkerSpawn {
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::vector<std::string> env;   // NAME=value added to this process's environment
  std::filesystem::path log;      // stdout and stderr, appended
  // Same address layout every run (personality ADDR_NO_RANDOMIZE): for a campaign documented as deterministic.
  // Some coverage-instrumented code takes branches that depend on addresses, so with ASLR the same -seed gives
  // another feature count, hence another corpus.
  bool fixed_addresses = false;
  std::vector<std::string> unset;     // names removed from the environment (a benchmark must not inherit a user's)
  std::filesystem::path working_dir;  // empty: this process's
};

// Forks and execs the worker in its own process group (Ctrl-C reaches this process only, which then stops the
// workers) with stdin from /dev/null. The worker dies with this process: PR_SET_PDEATHSIG(SIGKILL), so a
// `kill -9` of the campaign does not leave workers writing into its directory until their time runs out. (The
// kernel sends it when the forking thread ends: call this from the thread that lives as long as the campaign.)
// Returns the child's pid (-1 when fork failed).
pid_t SpawnWorker(const WorkerSpawn& spawn);

// Stops the processes (SIGINT, as Ctrl-C would: libFuzzer then prints its final stats; SIGKILL to those still
// running after grace_seconds: libFuzzer does that printing inside its signal handler, which can deadlock on a lock
// the interrupted code held) and reaps them. Each pid > 0 becomes -1.
void StopWorkers(const std::vector<pid_t*>& pids, int grace_seconds = 5);

}  // namespace crashdiff::campaign
