// The audit of crashdiff's command line as a test table: one row per case (F1-F13 of the campaign-orchestration
// audit), each running the built `crashdiff` on a bad input, a hostile file or a campaign situation, with the exit
// code and the words the output must (and must not) contain. Every command runs under `timeout`, so a case that
// would hang (a FIFO, a campaign that ignores its limits) fails instead of stalling the suite.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "minimize/reproducer.h"
#include "tests/fixtures/cli_test_util.h"
#include "tests/fixtures/fuzz_test_util.h"
#include "util/json.h"

namespace crashdiff {
namespace {

using testing::WaitFor;

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::RunCrashdiff;
using testing::TempDir;

const std::string kSource = CRASHDIFF_SOURCE_DIR;
const std::string kEnv = "CRASHDIFF_SOURCE_DIR=" + kSource;
constexpr int kTimeout = 60;

// A reproducer of the regression corpus and the signature its header names.
const std::string kReproducer =
    kSource + "/corpus/regressions/pr1-unsafe-parking-loser-crashing-at-hand-over-x86-init-park-hlt-145600c2.textproto";
const std::string kSignature = "PR1 unsafe-parking: loser CRASHING at hand-over [x86-init-park/hlt]";
const std::string kTrivial = "machine { family: PPC platform: POWER8_XICS }\n";

// A stand-in for the libFuzzer binary: records its pid next to the findings directory, then sleeps as a worker
// would fuzz. exec keeps the pid, so the recorded one is the worker crashdiff started.
std::string FakeFuzzer(const TempDir& dir) {
  const std::string path =
      dir.Write("fake-fuzzer.sh", "#!/bin/sh\necho $$ > \"$CRASHDIFF_FINDINGS_DIR/../worker.pid\"\nexec sleep 30\n");
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

std::string Fuzz(const TempDir& dir, const std::string& out, const std::string& more = "") {
  return "fuzz --out " + out + " --fuzzer " + FakeFuzzer(dir) + " --jobs 1 --time 30 --minimize 0 " + more;
}

// Starts `crashdiff args` in the background (output to log); returns its pid.
pid_t StartCrashdiff(const std::string& args, const std::string& log) {
  const std::string cmd = "exec env " + kEnv + " " + CRASHDIFF_BINARY + " " + args + " > " + log + " 2>&1";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// No such process, or a zombie (dead, not yet reaped by whoever inherited it).
bool Gone(pid_t pid) {
  const std::string stat = fuzz::testing::ReadFile("/proc/" + std::to_string(pid) + "/stat");
  const size_t paren = stat.rfind(')');
  return stat.empty() || (paren != std::string::npos && stat.compare(paren + 2, 1, "Z") == 0);
}

pid_t ReadPid(const std::string& file) {
  return static_cast<pid_t>(std::atoi(fuzz::testing::ReadFile(file).c_str()));
}

// F5: kill -9 of the campaign takes its workers with it.
CommandResult KillCampaign(const TempDir& dir) {
  const std::string out = dir.path() + "/out";
  const pid_t campaign = StartCrashdiff(Fuzz(dir, out), dir.path() + "/campaign.log");
  CommandResult r;
  if (!WaitFor([&] { return ReadPid(out + "/worker.pid") > 0; }, 20)) {
    kill(campaign, SIGKILL);
    waitpid(campaign, nullptr, 0);
    r.output = "the worker never started: " + fuzz::testing::ReadFile(dir.path() + "/campaign.log");
    return r;
  }
  const pid_t worker = ReadPid(out + "/worker.pid");
  kill(campaign, SIGKILL);
  waitpid(campaign, nullptr, 0);
  const bool died = WaitFor([&] { return Gone(worker); }, 5);
  if (!died) kill(worker, SIGKILL);  // tidy up after a failure
  r.exit_code = 0;
  r.output = died ? "worker died with the campaign" : "worker survived the campaign";
  return r;
}

// F6: a second campaign on a directory in use stops, and leaves the first one's files alone.
CommandResult SecondCampaign(const TempDir& dir) {
  const std::string out = dir.path() + "/out";
  const pid_t first = StartCrashdiff(Fuzz(dir, out), dir.path() + "/first.log");
  CommandResult r;
  if (WaitFor([&] { return ReadPid(out + "/worker.pid") > 0; }, 20)) {
    r = RunCrashdiff(Fuzz(dir, out), kEnv, kTimeout);
    r.output += fs::exists(out + "/logs/worker-0.log") ? "\nfirst campaign's log kept" : "\nfirst log deleted";
  }
  kill(first, SIGKILL);
  waitpid(first, nullptr, 0);
  return r;
}

// F7: two campaigns with the same seeds and --runs N --jobs 1 write the same corpus and findings, byte for byte.
std::map<std::string, std::string> Files(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out[e.path().filename()] = fuzz::testing::ReadFile(e.path());
  return out;
}

CommandResult DeterministicCampaign(const TempDir& dir) {
  const std::string args = "fuzz --fuzzer " + fuzz::testing::FuzzerBinary().string() +
                           " --jobs 1 --runs 300 --time 120 --family ppc --minimize 0 --seeds " + kSource +
                           "/corpus/seeds/ppc --out ";
  CommandResult r = RunCrashdiff(args + dir.path() + "/a", kEnv, 2 * kTimeout);
  if (r.exit_code > 1) return r;
  r = RunCrashdiff(args + dir.path() + "/b", kEnv, 2 * kTimeout);
  if (r.exit_code > 1) return r;
  r.exit_code = 0;
  r.output.clear();  // the campaign's report names paths, which differ; the files must not
  for (const char* sub : {"corpus", "findings"}) {
    const auto a = Files(dir.path() + "/a/" + sub);
    const auto b = Files(dir.path() + "/b/" + sub);
    size_t differ = a.size() != b.size() ? 1 : 0;
    for (const auto& [name, bytes] : a) differ += b.count(name) && b.at(name) == bytes ? 0 : 1;
    r.output += std::string(sub) + (differ == 0 && !a.empty() ? " identical" : " differ") + " (" +
                std::to_string(a.size()) + " and " + std::to_string(b.size()) + " files, " + std::to_string(differ) +
                " differ)\n";
  }
  return r;
}

// F9: stale temporaries of the atomic writer are removed; a live writer's, and every other file, are kept.
CommandResult StaleTemporaries(const TempDir& dir) {
  const std::string out = dir.path() + "/out";
  fs::create_directories(out);
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  const std::string live_pid = std::to_string(getpid());
  for (const std::string& name :
       std::vector<std::string>{".a.textproto.tmp-Ab12Cd", ".b.textproto.tmp-" + std::to_string(dead) + "-Xy34Zw",
                                ".c.textproto.tmp-" + live_pid + "-Qr56St", ".notes", "d.textproto.tmp-Ab12Cd"}) {
    dir.Write("out/" + name, "x");
  }
  CommandResult r = RunCrashdiff("minimize " + kReproducer + " --max-runs 20 --quiet --out " + out, "", kTimeout);
  r.output += "\nleft:";
  for (const auto& e : fs::directory_iterator(out)) r.output += " " + e.path().filename().string();
  return r;
}

// F10: --json output is valid UTF-8 whatever bytes the path holds.
CommandResult JsonOnANonUtf8Path(const TempDir& dir) {
  const std::string file = dir.Write("caf\xe9-\xff.textproto", kTrivial);
  CommandResult r = RunCrashdiff("run --json '" + file + "'", "", kTimeout);
  bool valid = true;
  for (size_t i = 0; i < r.output.size();) {
    const auto c = static_cast<unsigned char>(r.output[i]);
    const size_t n = c < 0x80 ? 1 : JsonWriter::Utf8SequenceLength(std::string_view(r.output).substr(i));
    valid &= n > 0;
    i += n > 0 ? n : 1;
  }
  r.output += valid ? "\nvalid UTF-8" : "\ninvalid UTF-8";
  return r;
}

// F2: the reproducer's own name is taken by a directory, so it cannot be written (as root too).
CommandResult MinimizeCannotWrite(const TempDir& dir) {
  fs::create_directories(dir.path() + "/out/" + Signature::ReadableFileName(kSignature));
  return RunCrashdiff("minimize " + kReproducer + " --signature '" + kSignature + "' --max-runs 20 --quiet --out " +
                          dir.path() + "/out",
                      "", kTimeout);
}

CommandResult OnAFifo(const TempDir& dir, const std::string& command) {
  const std::string fifo = dir.path() + "/scenario.textproto";
  mkfifo(fifo.c_str(), 0600);
  return RunCrashdiff(command + " " + fifo, "", 20);
}

// Runs `crashdiff args`, with {dir} replaced by the row's scratch directory.
std::function<CommandResult(const TempDir&)> Command(std::string args, std::string env = "") {
  return [args, env](const TempDir& dir) {
    std::string a = args;
    for (size_t at; (at = a.find("{dir}")) != std::string::npos;) a.replace(at, 5, dir.path());
    for (size_t at; (at = a.find("{fake}")) != std::string::npos;) a.replace(at, 6, FakeFuzzer(dir));
    return RunCrashdiff(a, env, kTimeout);
  };
}

struct AuditCase {
  const char* name;  // F<n>_<what>: the gtest name
  std::function<CommandResult(const TempDir&)> run;
  int exit_code;
  std::vector<std::string> want;      // the output contains each
  std::vector<std::string> unwanted;  // and none of these
  bool needs_fuzzer = false;          // the real libFuzzer harness (skipped when it is not built)
};

const std::string kNumber = "wants a whole number from";
const std::string kFuzzOpts = " --fuzzer {fake} --jobs 1 --out {dir}/out";
const std::string kPatch = "patch --target ppc-upstream-clear-then-check --base ppc-upstream-clear-then-check ";

const std::vector<AuditCase>& Cases() {
  static const std::vector<AuditCase> kCases = {
      // F1: an --out that cannot be a work directory is a usage error, not an uncaught exception (SIGABRT).
      {"F1_FuzzOutIsAFile",
       Command("fuzz --out {dir}/file --fuzzer {fake} --time 1 --jobs 1 --seeds {dir}", kEnv),
       2,
       {"exists and is not a directory"},
       {"terminate called"}},
      {"F1_FuzzOutInProc",
       Command("fuzz --out /proc/x --fuzzer {fake} --time 1 --jobs 1", kEnv),
       2,
       {"--out /proc/x: cannot create it"},
       {"terminate called"}},
      {"F1_FuzzOutNotWritable",
       Command("fuzz --out /proc/self --fuzzer {fake} --time 1 --jobs 1", kEnv),
       2,
       {"--out /proc/self: cannot write in it"},
       {"terminate called"}},
      // F2: a reproducer that cannot be written is a failure, with no success summary after it.
      {"F2_MinimizeOutCannotBeWritten", MinimizeCannotWrite, 2, {"cannot rename"}, {"signature:"}},
      // F3: a FIFO is refused before open(), which would block until a writer came.
      {"F3_RunOnAFifo", [](const TempDir& d) { return OnAFifo(d, "run"); }, 2, {"not a regular file (a FIFO)"}, {}},
      {"F3_TimelineOnAFifo",
       [](const TempDir& d) { return OnAFifo(d, "timeline -o " + d.path() + "/t.html"); },
       2,
       {"not a regular file (a FIFO)"},
       {}},
      {"F3_MinimizeOnAFifo",
       [](const TempDir& d) { return OnAFifo(d, "minimize"); },
       2,
       {"not a regular file (a FIFO)"},
       {}},
      // F4: a campaign on a target that does not exist would fuzz nothing.
      {"F4_FuzzUnknownTarget",
       Command("fuzz --target no-such-target --time 1" + kFuzzOpts),
       2,
       {"unknown target 'no-such-target'"},
       {}},
      // F5: the workers die with their campaign (PR_SET_PDEATHSIG), not when their --time runs out.
      {"F5_KillMinus9TakesTheWorkers", KillCampaign, 0, {"worker died with the campaign"}, {}},
      // F6: one campaign per work directory (flock); the second neither runs nor deletes the first one's files.
      {"F6_SecondCampaignOnOneOutIsRefused",
       SecondCampaign,
       2,
       {"in use by another crashdiff fuzz", "first campaign's log kept"},
       {}},
      // F7: --runs N --jobs 1 is deterministic: the same corpus and findings, byte for byte.
      {"F7_RunsWithOneJobIsByteIdentical",
       DeterministicCampaign,
       0,
       {"corpus identical", "findings identical"},
       {},
       true},
      // F8: every numeric option of every command: negative, overflow, trailing junk, out of range.
      {"F8_MinimizeMaxRunsNegative", Command("minimize " + kReproducer + " --max-runs -5"), 2, {kNumber}, {}},
      {"F8_MinimizeMaxRunsOverflow",
       Command("minimize " + kReproducer + " --max-runs 18446744073709551616"),
       2,
       {kNumber},
       {}},
      {"F8_MinimizeMaxRunsTooLarge",
       Command("minimize " + kReproducer + " --max-runs 18446744073709551615"),
       2,
       {kNumber},
       {}},
      {"F8_MinimizeMaxRunsJunk", Command("minimize " + kReproducer + " --max-runs 10k"), 2, {kNumber}, {}},
      {"F8_FuzzTimeNegative", Command("fuzz --time -1" + kFuzzOpts), 2, {"--time " + kNumber}, {}},
      {"F8_FuzzTimeSpaces", Command("fuzz --time ' 5'" + kFuzzOpts), 2, {"--time " + kNumber}, {}},
      {"F8_FuzzRunsOverflow", Command("fuzz --runs 99999999999" + kFuzzOpts), 2, {"--runs " + kNumber}, {}},
      {"F8_FuzzJobsHex", Command("fuzz --jobs 0x2 --fuzzer {fake} --out {dir}/out"), 2, {"--jobs " + kNumber}, {}},
      {"F8_FuzzMinimizeNegative", Command("fuzz --minimize -1" + kFuzzOpts), 2, {"--minimize " + kNumber}, {}},
      {"F8_PatchMutantsNegative", Command(kPatch + "--mutants -1"), 2, {"--mutants " + kNumber}, {}},
      {"F8_PatchSeedJunk", Command(kPatch + "--seed 12abc"), 2, {"--seed " + kNumber}, {}},
      {"F8_PatchSeedOverflow", Command(kPatch + "--seed 18446744073709551616"), 2, {"--seed " + kNumber}, {}},
      {"F8_PatchTimeInfinite", Command(kPatch + "--time inf"), 2, {"--time wants a positive number of seconds"}, {}},
      {"F8_PatchTimeExponent", Command(kPatch + "--time 1e400"), 2, {"--time wants a positive number of seconds"}, {}},
      // F9: a minimize killed while writing left a hidden temporary; the next run removes it.
      {"F9_MinimizeRemovesStaleTemporaries",
       StaleTemporaries,
       0,
       {".c.textproto.tmp-", ".notes", "d.textproto.tmp-Ab12Cd"},
       {".a.textproto.tmp-Ab12Cd", "-Xy34Zw"}},
      {"F10_RunJsonOnANonUtf8Path",
       JsonOnANonUtf8Path,
       0,
       {"valid UTF-8", "caf\\ufffd-\\ufffd.textproto"},
       {"invalid UTF-8"}},
      // F11: the true cause of a refusal.
      {"F11_RunOnADirectory", Command("run {dir}"), 2, {"is a directory"}, {"larger than 1 MiB"}},
      {"F11_RunOnDevZero", Command("run /dev/zero"), 2, {"/dev/zero:0: not a regular file (a device)"}, {"empty file"}},
      {"F11_RunAcceptsAUtf8Bom",
       [](const TempDir& d) { return RunCrashdiff("run " + d.Write("bom.textproto", "\xEF\xBB\xBF" + kTrivial)); },
       0,
       {"scenario "},
       {"non ascii codepoint"}},
  };
  return kCases;
}

void PrintTo(const AuditCase& c, std::ostream* os) {
  *os << c.name;
}

class CliAudit : public ::testing::TestWithParam<AuditCase> {};

TEST_P(CliAudit, Case) {
  const AuditCase& c = GetParam();
  if (c.needs_fuzzer && fuzz::testing::FuzzerBinary().empty()) {
    GTEST_SKIP() << "fuzzer not built (run ./crashdiff fuzz once, or set CRASHDIFF_FUZZER)";
  }
  TempDir dir;
  dir.Write("file", "not a directory");
  const CommandResult r = c.run(dir);
  EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
  for (const std::string& w : c.want) EXPECT_NE(r.output.find(w), std::string::npos) << w << " in:\n" << r.output;
  for (const std::string& u : c.unwanted) EXPECT_EQ(r.output.find(u), std::string::npos) << u << " in:\n" << r.output;
}

INSTANTIATE_TEST_SUITE_P(Audit, CliAudit, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<AuditCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace crashdiff
