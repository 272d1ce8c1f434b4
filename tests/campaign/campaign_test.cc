// Long-running `crashdiff fuzz` campaigns: resuming a work directory (campaign.textproto), the status file a
// supervisor polls (status.json), SIGTERM handled as Ctrl-C, and the periodic corpus merge. The campaigns run a
// shell stand-in for the libFuzzer harness (as tests/cli/cli_audit_test.cc's F5/F6 do): it writes three corpus inputs
// and a finding, prints libFuzzer's status lines, and answers -merge=1 by keeping one input (or by failing).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "campaign/corpus_merge.h"
#include "campaign/engine_stats.h"
#include "campaign/status_file.h"
#include "tests/fixtures/cli_test_util.h"
#include "tests/fixtures/fuzz_test_util.h"

namespace crashdiff {
namespace {

using testing::WaitFor;

namespace fs = std::filesystem;
using fuzz::testing::ReadFile;
using testing::CommandResult;
using testing::RunCrashdiff;
using testing::TempDir;

const std::string kSource = CRASHDIFF_SOURCE_DIR;
const std::string kEnv = "CRASHDIFF_SOURCE_DIR=" + kSource;
const std::string kFinding =
    kSource + "/corpus/regressions/pr1-unsafe-parking-loser-crashing-at-hand-over-x86-init-park-hlt-145600c2.textproto";

enum class Worker { kExits, kSleeps };  // exits at once, or fuzzes until --time or a signal
enum class Merge { kKeepsOne, kFails };

// The stand-in harness. Every start writes corpus/unit-<pid>-{1,2,3} (and lists them in written.txt) and, once,
// findings/finding-a.textproto; its log says 100 inputs ran.
std::string FakeFuzzer(const TempDir& dir, Worker worker, Merge merge = Merge::kKeepsOne) {
  std::string script = R"(#!/bin/sh
out="$CRASHDIFF_FINDINGS_DIR/.."
t=30
for a in "$@"; do
  case "$a" in -max_total_time=*) t="${a#*=}";; -merge=1) merge=1;; esac
  into="$from"; from="$a"
done
if [ -n "$merge" ]; then
  f=$(ls "$from" | sort | head -n 1)
  [ -z "$f" ] || cp "$from/$f" "$into/"
)";
  script += merge == Merge::kKeepsOne ? "  exit 0\n" : "  echo 'merge: out of memory' >&2\n  exit 1\n";
  script += R"(fi
echo "$$" > "$out/worker.pid"
[ -f "$CRASHDIFF_FINDINGS_DIR/finding-a.textproto" ] || cp ")" +
            kFinding + R"(" "$CRASHDIFF_FINDINGS_DIR/finding-a.textproto"
echo "INFO: Seed: 1"
for i in 1 2 3; do echo "unit $$ $i" > "$out/corpus/unit-$$-$i"; echo "unit-$$-$i" >> "$out/written.txt"; done
echo "#100	pulse  cov: 1 ft: 1 corp: 3/3b exec/s: 50 rss: 1Mb"
)";
  if (worker == Worker::kSleeps) {
    script += "trap 'kill $! 2>/dev/null; echo \"stat::number_of_executed_units: 100\"; exit 0' INT TERM\n";
    script += "sleep \"$t\" &\nwait\n";
  }
  script += "echo \"stat::number_of_executed_units: 100\"\nexit 0\n";
  const std::string path = dir.Write(worker == Worker::kSleeps ? "sleeping-fuzzer.sh" : "fuzzer.sh", script);
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

std::string Fuzz(const std::string& out, const std::string& fuzzer, const std::string& more) {
  return "fuzz --out " + out + " --fuzzer " + fuzzer + " --jobs 1 --minimize 0 --family ppc --seeds " + kSource +
         "/corpus/seeds/ppc " + more;
}

CommandResult RunFuzz(const std::string& args) {
  return RunCrashdiff(args, kEnv, 60);
}

std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    out.insert(it->path().filename().string());
  }
  return out;
}

std::set<std::string> Written(const fs::path& out) {
  std::istringstream in(ReadFile(out / "written.txt"));
  std::set<std::string> names;
  for (std::string line; std::getline(in, line);) names.insert(line);
  return names;
}

bool Contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

TEST(Campaign, ResumeKeepsCorpusFindingsAndCumulativeStatistics) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  const std::string args = Fuzz(out, FakeFuzzer(dir, Worker::kExits), "--time 5 --merge-every 0");
  const CommandResult first = RunFuzz(args);
  ASSERT_LE(first.exit_code, 1) << first.output;
  const std::set<std::string> after_first = Written(out);
  ASSERT_EQ(after_first.size(), 3u) << first.output;
  fs::create_directories(out + "/reproducers");
  dir.Write("out/reproducers/minimized.textproto", "kept");

  const CommandResult second = RunFuzz(args);
  ASSERT_LE(second.exit_code, 1) << second.output;
  EXPECT_TRUE(Contains(second.output, "resuming session 2 (100 executions")) << second.output;
  const std::set<std::string> corpus = Names(out + "/corpus");
  for (const std::string& name : after_first) EXPECT_TRUE(corpus.count(name)) << name << " lost on resume";
  EXPECT_EQ(corpus.size(), 6u);
  EXPECT_TRUE(fs::exists(out + "/findings/finding-a.textproto"));
  EXPECT_TRUE(fs::exists(out + "/reproducers/minimized.textproto"));
  const std::string state = ReadFile(out + "/campaign.textproto");
  EXPECT_TRUE(Contains(state, "sessions: 2")) << state;
  EXPECT_TRUE(Contains(state, "execs: 200")) << state;
  EXPECT_TRUE(Contains(state, "family: \"ppc\"")) << state;
  EXPECT_TRUE(Contains(state, "signatures: 1")) << state;
  const std::string status = ReadFile(out + "/status.json");
  for (const char* field : {"\"state\":\"finished\"", "\"execs_total\":200", "\"execs_session\":100", "\"sessions\":2",
                            "\"corpus\":6", "\"workers_alive\":0"}) {
    EXPECT_TRUE(Contains(status, field)) << field << " in " << status;
  }
  EXPECT_TRUE(Contains(second.output, "campaign (session 2): 200 executions")) << second.output;
}

TEST(Campaign, ResumeRefusesOtherOptionsAndFreshStartsOver) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  const std::string fuzzer = FakeFuzzer(dir, Worker::kExits);
  const std::string base = "fuzz --out " + out + " --fuzzer " + fuzzer + " --jobs 1 --minimize 0 --time 5 ";
  ASSERT_LE(RunFuzz(base + "--family ppc").exit_code, 1);
  const std::set<std::string> first = Written(out);

  CommandResult r = RunFuzz(base + "--family x86");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "holds a campaign with --family ppc, not x86")) << r.output;
  EXPECT_TRUE(Contains(r.output, "--fresh")) << r.output;
  r = RunFuzz(base + "--target ppc-upstream-clear-then-check");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "holds a campaign with --target (none), not ppc-upstream-clear-then-check"))
      << r.output;
  EXPECT_EQ(Names(out + "/corpus").size(), 3u) << "a refused run must not touch the campaign";

  r = RunFuzz(base + "--family x86 --fresh");
  EXPECT_LE(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "started over (--fresh)")) << r.output;
  for (const std::string& name : first) EXPECT_FALSE(fs::exists(out + "/corpus/" + name)) << name;
  const std::string state = ReadFile(out + "/campaign.textproto");
  EXPECT_TRUE(Contains(state, "sessions: 1")) << state;
  EXPECT_TRUE(Contains(state, "family: \"x86\"")) << state;

  dir.Write("out/campaign.textproto", "version: 1\nfamily: x86\n");  // an unquoted string
  r = RunFuzz(base + "--family x86");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, out + "/campaign.textproto:2: ")) << r.output;
}

// Starts the campaign in the background, waits until its status says running, sends sig and waits for its end.
// Returns its exit code (-1 if it did not exit normally) and leaves its output in log.
int Interrupt(const TempDir& dir, const std::string& out, int sig, const std::string& log) {
  const std::string cmd = "exec env " + kEnv + " " + CRASHDIFF_BINARY + " " +
                          Fuzz(out, FakeFuzzer(dir, Worker::kSleeps), "--time 60") + " > " + log + " 2>&1";
  const pid_t campaign = fork();
  if (campaign == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  const bool running = WaitFor(
      [&] {
        return Contains(ReadFile(out + "/status.json"), "\"state\":\"running\"") && fs::exists(out + "/worker.pid");
      },
      30);
  if (running) kill(campaign, sig);
  int status = 0;
  if (!WaitFor([&] { return waitpid(campaign, &status, WNOHANG) == campaign; }, 30)) {
    kill(campaign, SIGKILL);
    waitpid(campaign, &status, 0);
  }
  EXPECT_TRUE(running) << ReadFile(log);
  EXPECT_TRUE(Contains(ReadFile(out + "/status.json"), "\"pid\":" + std::to_string(campaign)));
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Campaign, SigtermEndsLikeCtrlC) {
  TempDir dir;
  const int on_sigint = Interrupt(dir, dir.path() + "/a", SIGINT, dir.path() + "/a.log");
  const std::string out = dir.path() + "/b";
  const int on_sigterm = Interrupt(dir, out, SIGTERM, dir.path() + "/b.log");
  const std::string log = ReadFile(dir.path() + "/b.log");
  EXPECT_GE(on_sigterm, 0) << "killed by SIGTERM instead of ending in order:\n" << log;
  EXPECT_EQ(on_sigterm, on_sigint) << log;
  EXPECT_TRUE(Contains(log, "interrupted after")) << log;
  const std::string status = ReadFile(out + "/status.json");
  for (const std::string& field : {std::string("\"state\":\"interrupted\""), std::string("\"workers_alive\":0"),
                                   "\"exit_code\":" + std::to_string(on_sigterm), std::string("\"execs_total\":100")}) {
    EXPECT_TRUE(Contains(status, field)) << field << " in " << status;
  }
  EXPECT_TRUE(fs::exists(out + "/findings/finding-a.textproto"));
  EXPECT_EQ(Names(out + "/corpus").size(), 3u);
  // The lock is released: the next run resumes the campaign.
  const CommandResult next = RunFuzz(Fuzz(out, FakeFuzzer(dir, Worker::kExits), "--time 5 --merge-every 0"));
  EXPECT_LE(next.exit_code, 1) << next.output;
  EXPECT_FALSE(Contains(next.output, "in use by another")) << next.output;
  EXPECT_TRUE(Contains(ReadFile(out + "/campaign.textproto"), "sessions: 2"));
}

// A worker that does not end on SIGINT (libFuzzer can deadlock in its interrupt handler) is killed after a grace
// period: the campaign still ends, in order.
TEST(Campaign, SigtermEndsACampaignWhoseWorkerHangs) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  const std::string fuzzer =
      dir.Write("hanging-fuzzer.sh",
                "#!/bin/sh\necho $$ > \"$CRASHDIFF_FINDINGS_DIR/../worker.pid\"\ntrap '' INT\nexec sleep 60\n");
  fs::permissions(fuzzer, fs::perms::owner_all);
  const std::string log = dir.path() + "/campaign.log";
  const std::string cmd =
      "exec env " + kEnv + " " + CRASHDIFF_BINARY + " " + Fuzz(out, fuzzer, "--time 60") + " > " + log + " 2>&1";
  const pid_t campaign = fork();
  if (campaign == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/worker.pid"); }, 30)) << ReadFile(log);
  const pid_t worker = std::atoi(ReadFile(out + "/worker.pid").c_str());
  ASSERT_TRUE(WaitFor([&] { return fs::exists(out + "/status.json"); }, 30)) << ReadFile(log);
  kill(campaign, SIGTERM);
  int status = 0;
  const bool ended = WaitFor([&] { return waitpid(campaign, &status, WNOHANG) == campaign; }, 20);
  if (!ended) {
    kill(campaign, SIGKILL);
    waitpid(campaign, &status, 0);
  }
  EXPECT_TRUE(ended) << "the campaign waited for its hanging worker:\n" << ReadFile(log);
  EXPECT_TRUE(WIFEXITED(status)) << ReadFile(log);
  EXPECT_TRUE(Contains(ReadFile(out + "/status.json"), "\"state\":\"interrupted\"")) << ReadFile(out + "/status.json");
  const std::string stat = ReadFile("/proc/" + std::to_string(worker) + "/stat");
  EXPECT_TRUE(stat.empty() || Contains(stat, ") Z")) << "the worker survived: " << stat;
}

TEST(Campaign, PeriodicMergeReplacesTheCorpus) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  const CommandResult r = RunFuzz(Fuzz(out, FakeFuzzer(dir, Worker::kSleeps), "--time 5 --merge-every 1"));
  ASSERT_LE(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "corpus merged: 3 -> 1 inputs")) << r.output;
  const std::set<std::string> written = Written(out), corpus = Names(out + "/corpus");
  EXPECT_LT(corpus.size(), written.size()) << r.output;
  for (const std::string& name : corpus) EXPECT_TRUE(written.count(name)) << name;
  EXPECT_FALSE(fs::exists(out + "/corpus.merge"));
  EXPECT_FALSE(fs::exists(out + "/corpus.old"));
  EXPECT_TRUE(Contains(ReadFile(out + "/campaign.textproto"), "merges: ")) << ReadFile(out + "/campaign.textproto");
  EXPECT_TRUE(Contains(ReadFile(out + "/status.json"), "\"last_merge\":\"20")) << ReadFile(out + "/status.json");
}

TEST(Campaign, FailedMergeKeepsEveryInput) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  const CommandResult r =
      RunFuzz(Fuzz(out, FakeFuzzer(dir, Worker::kSleeps, Merge::kFails), "--time 4 --merge-every 1"));
  ASSERT_LE(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "corpus merge failed (exit 1")) << r.output;
  EXPECT_TRUE(Contains(r.output, "corpus/ kept (3 inputs)")) << r.output;
  const std::set<std::string> written = Written(out);
  EXPECT_GT(written.size(), 3u) << "the workers went on after the failed merge:\n" << r.output;
  EXPECT_EQ(Names(out + "/corpus"), written);
  EXPECT_FALSE(fs::exists(out + "/corpus.merge"));
  EXPECT_FALSE(Contains(ReadFile(out + "/campaign.textproto"), "merges:"));
}

TEST(Campaign, ResumeMergesTheCorpusFirst) {
  TempDir dir;
  const std::string out = dir.path() + "/out";
  const std::string fuzzer = FakeFuzzer(dir, Worker::kExits);
  ASSERT_LE(RunFuzz(Fuzz(out, fuzzer, "--time 5 --merge-every 0")).exit_code, 1);
  const CommandResult r = RunFuzz(Fuzz(out, fuzzer, "--time 5"));
  ASSERT_LE(r.exit_code, 1) << r.output;
  EXPECT_TRUE(Contains(r.output, "corpus merged: 3 -> 1 inputs")) << r.output;
  EXPECT_EQ(Names(out + "/corpus").size(), 4u) << r.output;  // the merged input and this session's three
}

TEST(Campaign, OptionsOfLongCampaignsAreChecked) {
  TempDir dir;
  const std::string fuzzer = FakeFuzzer(dir, Worker::kExits);
  CommandResult r = RunFuzz("fuzz --fresh --report --out " + dir.path() + "/out");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "--fresh starts a campaign over; --report only reads one")) << r.output;
  r = RunFuzz(Fuzz(dir.path() + "/out", fuzzer, "--merge-every -1"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(Contains(r.output, "--merge-every wants a whole number from")) << r.output;
  EXPECT_FALSE(fs::exists(dir.path() + "/out/campaign.textproto"));
}

// A campaign killed between the two renames of a swap (where RENAME_EXCHANGE is not available) has corpus.old and
// no corpus/; a merge killed midway leaves a partial corpus.merge. The next run starts from the whole corpus.
TEST(Campaign, RecoverCorpusAfterAKilledMerge) {
  TempDir dir;
  const fs::path out = dir.path();
  fs::create_directories(out / "corpus.old");
  fs::create_directories(out / "corpus.merge");
  dir.Write("corpus.old/a", "a");
  dir.Write("corpus.merge/a", "a");
  campaign::RecoverCorpus(out);
  EXPECT_EQ(Names(out / "corpus"), std::set<std::string>{"a"});
  EXPECT_FALSE(fs::exists(out / "corpus.old"));
  EXPECT_FALSE(fs::exists(out / "corpus.merge"));
  // The same with the empty corpus/ the work directory's set-up creates.
  fs::rename(out / "corpus", out / "corpus.old");
  fs::create_directories(out / "corpus");
  campaign::RecoverCorpus(out);
  EXPECT_EQ(Names(out / "corpus"), std::set<std::string>{"a"});
  EXPECT_FALSE(fs::exists(out / "corpus.old"));
  // With corpus/ present, the leftovers are the replaced corpus or a partial merge: removed, corpus/ untouched.
  fs::create_directories(out / "corpus.merge");
  dir.Write("corpus.merge/b", "b");
  campaign::RecoverCorpus(out);
  EXPECT_EQ(Names(out / "corpus"), std::set<std::string>{"a"});
  EXPECT_FALSE(fs::exists(out / "corpus.merge"));
}

// Executions of a worker log holding several libFuzzer processes: one that ended (final stats), one that died
// without them (its last "#N"), and the running one.
TEST(Campaign, LibFuzzerExecsCountsEveryProcessOfALog) {
  TempDir dir;
  const std::string log = dir.Write("worker.log",
                                    "INFO: Seed: 1\n#2\tINITED cov: 3\n#4096\tpulse exec/s: 10\nDone 5000 runs\n"
                                    "stat::number_of_executed_units: 5000\n"
                                    "INFO: Seed: 1001\n#700\tNEW cov: 4\n"
                                    "INFO: Seed: 2001\n#30\tNEW cov: 5 exec/s: 7\n");
  EXPECT_EQ(campaign::LibFuzzerExecs(log), 5730u);
  EXPECT_EQ(campaign::LibFuzzerExecsPerSec(log), 7u);
}

TEST(Campaign, StatusJsonNamesEveryField) {
  campaign::CampaignStatus s;
  s.state = "running";
  s.pid = 42;
  s.updated_unix = 86400;
  s.signatures = {1, 2, 3, 4, 5};
  const std::string json = campaign::FormatStatus(s);
  for (const char* field : {"\"state\":\"running\"", "\"pid\":42", "\"updated\":\"1970-01-02T00:00:00Z\"",
                            "\"signatures\":{\"new\":1,\"triaged\":2,\"open\":3,\"known\":4,\"differences\":5}",
                            "\"last_merge\":null", "\"exit_code\":null", "\"merging\":false"}) {
    EXPECT_TRUE(Contains(json, field)) << field << " in " << json;
  }
}

}  // namespace
}  // namespace crashdiff
