#include "campaign/worker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace crashdiff::campaign {

pid_t SpawnWorker(const WorkerSpawn& spawn) {
  // Everything the child needs is built before fork(): the campaign may have threads, and only async-signal-safe
  // calls belong between fork() and exec().
  std::vector<char*> args;
  for (const std::string& a : spawn.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The environment: this process's, with spawn.env's names replaced or added.
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const std::string& add : spawn.env) replaced |= add.rfind(name, 0) == 0;
    for (const std::string& gone : spawn.unset) replaced |= name == gone + "=";
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), spawn.env.begin(), spawn.env.end());
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  // Die with the campaign. The parent may already have died between fork() and prctl(): then getppid() is no
  // longer its pid, and the signal would never come.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
  if (spawn.fixed_addresses) personality(ADDR_NO_RANDOMIZE);  // best effort: a sandbox may refuse it
  const int fd = open(spawn.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd >= 0) {
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  const int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, STDIN_FILENO);
  if (!spawn.working_dir.empty() && chdir(spawn.working_dir.c_str()) != 0) _exit(126);
  setpgid(0, 0);  // its own process group: Ctrl-C reaches the campaign only, which then stops the workers
  execve(args[0], args.data(), envp.data());
  std::perror("crashdiff fuzz: exec");
  _exit(127);
}

void StopWorkers(const std::vector<pid_t*>& pids, int grace_seconds) {
  for (pid_t* pid : pids) {
    if (*pid > 0) kill(*pid, SIGINT);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(grace_seconds);
  for (pid_t* pid : pids) {
    while (*pid > 0 && waitpid(*pid, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) kill(*pid, SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    *pid = -1;
  }
}

}  // namespace crashdiff::campaign
