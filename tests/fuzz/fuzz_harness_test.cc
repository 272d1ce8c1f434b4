// The fuzzer binaries (the rediscovery requirement), when they are built (./crashdiff fuzz builds build-fuzz/;
// $CRASHDIFF_FUZZER names another): the libFuzzer harness never crashes on arbitrary bytes, and a short deterministic
// `crashdiff fuzz` campaign (one job, fixed run count) finds a documented bug from seeds without divergences.
// Without a fuzzer binary these tests are skipped, saying so, and the default build stays fuzzer-free.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "diff/differential.h"
#include "diff/runner.h"
#include "fuzz/mutator/input.h"
#include "tests/fixtures/fuzz_test_util.h"

namespace crashdiff::fuzz {
namespace {

namespace fs = std::filesystem;

using testing::BugKey;
using testing::FuzzerBinary;
using testing::ReadFile;
using testing::RunShell;
using testing::ScratchDir;

TEST(FuzzHarness, NeverCrashesOnArbitraryBytes) {
  const fs::path fuzzer = FuzzerBinary();
  if (fuzzer.empty()) GTEST_SKIP() << "fuzzer not built (run ./crashdiff fuzz once, or set CRASHDIFF_FUZZER)";
  const fs::path dir = ScratchDir("bytes");
  // Byte-level mutations only, from an empty corpus: the harness sees garbage, truncated and mangled protobufs.
  const int rc = RunShell("cd " + dir.string() +
                          " && CRASHDIFF_MUTATOR=bytes CRASHDIFF_FINDINGS_DIR=" + (dir / "findings").string() + " " +
                          fuzzer.string() + " -seed=1 -runs=5000 -max_len=512 -len_control=0 > log 2>&1");
  EXPECT_EQ(rc, 0) << ReadFile(dir / "log");
  EXPECT_NE(ReadFile(dir / "log").find("Done 5000 runs"), std::string::npos) << ReadFile(dir / "log");
  fs::remove_all(dir);
}

TEST(FuzzCommand, ShortCampaignFindsADocumentedBugTheSeedsDoNotShow) {
  const fs::path fuzzer = FuzzerBinary();
  if (fuzzer.empty()) GTEST_SKIP() << "fuzzer not built (run ./crashdiff fuzz once, or set CRASHDIFF_FUZZER)";
  const fs::path ppc_seeds = fs::path(CRASHDIFF_SOURCE_DIR) / "corpus/seeds/ppc";
  if (!fs::is_directory(ppc_seeds)) GTEST_SKIP() << "no ppc seeds yet";
  std::set<std::string> in_seeds;
  int seeds = 0;
  for (const auto& e : fs::directory_iterator(ppc_seeds)) {
    const std::string bytes = ReadFile(e.path());
    auto s = ParseInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!s || TargetsFor(*s).empty()) continue;
    ++seeds;
    for (const Divergence& d : RunDifferential(*s).divergences) {
      if (d.known) in_seeds.insert(BugKey(d.signature));
    }
  }
  if (seeds == 0) GTEST_SKIP() << "no ppc target yet";
  const fs::path dir = ScratchDir("campaign");
  const int rc = RunShell("CRASHDIFF_FUZZER=" + fuzzer.string() + " " + CRASHDIFF_BINARY +
                          " fuzz --jobs 1 --runs 1500 --time 300 --family ppc --seeds " + ppc_seeds.string() +
                          " --out " + (dir / "out").string() + " --json > " + (dir / "report.json").string() + " 2> " +
                          (dir / "progress.log").string());
  const std::string report = ReadFile(dir / "report.json");
  ASSERT_TRUE(rc == 0 || rc == 1) << rc << "\n" << ReadFile(dir / "progress.log");
  EXPECT_NE(report.find("\"reproducer\":\""), std::string::npos) << report;
  // Every finding is a reproducer file whose header names its signature; one of them is a documented bug that no
  // seed shows.
  std::vector<std::string> fresh_known;
  for (const auto& e : fs::directory_iterator(dir / "out/findings")) {
    const std::string text = ReadFile(e.path());
    const size_t at = text.find("# signature: ");
    ASSERT_NE(at, std::string::npos) << e.path();
    const std::string sig = text.substr(at + 13, text.find('\n', at) - at - 13);
    if (text.find("# known: yes") != std::string::npos && !in_seeds.count(BugKey(sig))) fresh_known.push_back(sig);
  }
  EXPECT_FALSE(fresh_known.empty()) << "seeds show " << in_seeds.size() << " documented bugs; report:\n" << report;
  fs::remove_all(dir);
}

// Findings the regression corpus already records are "open" (or "triaged" once corpus/triage judges their root
// cause), never NEW: starting from the open findings themselves, every finding the campaign reports on one of their
// bugs must say so.
TEST(FuzzCommand, CallsFindingsTheCorpusAlreadyRecordsOpen) {
  const fs::path fuzzer = FuzzerBinary();
  if (fuzzer.empty()) GTEST_SKIP() << "fuzzer not built (run ./crashdiff fuzz once, or set CRASHDIFF_FUZZER)";
  const fs::path seeds = fs::path(CRASHDIFF_SOURCE_DIR) / "corpus/findings/ppc";
  const fs::path dir = ScratchDir("open");
  // The source tree tells the command where corpus/regressions/ is (./crashdiff exports it; ctest runs elsewhere).
  const int rc =
      RunShell("CRASHDIFF_SOURCE_DIR=" + std::string(CRASHDIFF_SOURCE_DIR) + " CRASHDIFF_FUZZER=" + fuzzer.string() +
               " " + CRASHDIFF_BINARY + " fuzz --jobs 1 --runs 50 --time 300 --family ppc --minimize 0 --seeds " +
               seeds.string() + " --out " + (dir / "out").string() + " --json > " + (dir / "report.json").string() +
               " 2> " + (dir / "progress.log").string());
  const std::string report = ReadFile(dir / "report.json");
  ASSERT_TRUE(rc == 0 || rc == 1) << rc << "\n" << ReadFile(dir / "progress.log");
  // The busy-poll fallback seed (DOMAIN §3.7) shows this on the fixed target; no target documents it, and
  // corpus/triage/pr1-busy-poll-offline-thread.textproto judges it real.
  const std::string busy_poll =
      "PR1 unsafe-parking: offline-target OFFLINE_LOOP at hand-over [ppc-upstream-clear-then-check/";
  const size_t at = report.find(busy_poll);
  ASSERT_NE(at, std::string::npos) << report;
  const size_t status = report.find("\"status\":\"", at);
  ASSERT_NE(status, std::string::npos);
  EXPECT_EQ(report.substr(status + 9, 9), "\"triaged\"") << report.substr(at, 300);
  EXPECT_EQ(report.find("\"known\":true,\"status\":\"NEW\""), std::string::npos) << report;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace crashdiff::fuzz
