#include "campaign/corpus_merge.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <system_error>
#include <thread>

#include "campaign/engine.h"
#include "campaign/engine_stats.h"
#include "campaign/worker_process.h"

namespace crashdiff::campaign {
namespace {

namespace fs = std::filesystem;

// Waits for the merge process; on stop, interrupts it (SIGINT, then SIGKILL after 10 s). Its wait status.
int WaitMerge(pid_t pid, const volatile sig_atomic_t& stop) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point interrupted_at{};
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid || (r < 0 && errno != EINTR)) return r == pid ? status : -1;
    if (stop && interrupted_at == Clock::time_point{}) {
      interrupted_at = Clock::now();
      kill(pid, SIGINT);
    } else if (stop && Clock::now() - interrupted_at > std::chrono::seconds(10)) {
      kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Puts merged in corpus's place and removes the replaced corpus. RENAME_EXCHANGE swaps both in one step; where the
// file system cannot, corpus goes aside to corpus.old first (RecoverCorpus undoes a kill between the two renames).
std::string Swap(const fs::path& merged, const fs::path& corpus, const fs::path& old) {
  std::error_code ec;
  if (renameat2(AT_FDCWD, merged.c_str(), AT_FDCWD, corpus.c_str(), RENAME_EXCHANGE) == 0) {
    fs::remove_all(merged, ec);  // now the replaced corpus
    return "";
  }
  if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) return std::strerror(errno);
  fs::remove_all(old, ec);
  if (rename(corpus.c_str(), old.c_str()) != 0) return std::strerror(errno);
  if (rename(merged.c_str(), corpus.c_str()) != 0) {
    std::string why = std::strerror(errno);
    rename(old.c_str(), corpus.c_str());
    return why;
  }
  fs::remove_all(old, ec);
  return "";
}

}  // namespace

void RecoverCorpus(const fs::path& dir) {
  std::error_code ec;
  // corpus/ may exist empty: the work directory's set-up (CampaignDir) creates it. A swap never leaves an empty
  // corpus/ beside a corpus.old that holds inputs (a merge that keeps nothing of a non-empty corpus is refused).
  if (fs::is_directory(dir / "corpus.old", ec) &&
      (!fs::exists(dir / "corpus", ec) || fs::is_empty(dir / "corpus", ec))) {
    fs::remove(dir / "corpus", ec);
    fs::rename(dir / "corpus.old", dir / "corpus", ec);
  }
  fs::remove_all(dir / "corpus.old", ec);
  fs::remove_all(dir / "corpus.merge", ec);
  fs::remove(dir / "merge.control", ec);
}

MergeOutcome MergeCorpus(const fs::path& fuzzer, const std::vector<std::string>& env, const fs::path& dir,
                         const volatile sig_atomic_t& stop) {
  const fs::path base = fs::absolute(dir);
  const fs::path corpus = base / "corpus", merged = base / "corpus.merge", log = base / "logs" / "merge.log";
  MergeOutcome out;
  out.before = out.after = CountFiles(corpus);
  const auto keep = [&](const std::string& why) {
    std::error_code ec;
    fs::remove_all(merged, ec);
    fs::remove(base / "merge.control", ec);
    out.message = "corpus merge " + why + "; corpus/ kept (" + std::to_string(out.before) + " inputs)";
    return out;
  };
  std::error_code ec;
  fs::remove_all(merged, ec);
  fs::remove(log, ec);
  if (!fs::create_directories(merged, ec)) return keep("could not create " + merged.string());
  WorkerSpawn spawn;
  spawn.argv = LibFuzzerMergeArgv(fuzzer, base / "merge.control", base / "crashes", merged, corpus);
  spawn.env = env;
  spawn.log = log;
  const pid_t pid = SpawnWorker(spawn);
  if (pid < 0) return keep("could not start");
  const int status = WaitMerge(pid, stop);
  if (stop) return keep("interrupted");
  if (status < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return keep(
        "failed (" +
        (status >= 0 && WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status)) : std::string("killed")) +
        ", see " + log.string() + ")");
  }
  const size_t after = CountFiles(merged);
  if (after == 0 && out.before > 0) return keep("kept no input (see " + log.string() + ")");
  if (std::string why = Swap(merged, corpus, base / "corpus.old"); !why.empty()) return keep("swap failed: " + why);
  fs::remove(base / "merge.control", ec);
  out.replaced = true;
  out.after = after;
  out.message = "corpus merged: " + std::to_string(out.before) + " -> " + std::to_string(after) + " inputs";
  return out;
}

}  // namespace crashdiff::campaign
