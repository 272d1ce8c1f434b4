// The regression corpus (corpus/regressions/): every reproducer replays to the outcome its header records, is
// 1-minimal, and a patch modelled as a target is judged against each reproducer's bug.
#include "minimize/regress.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "diff/differential.h"
#include "diff/finding.h"
#include "minimize/minimize.h"
#include "minimize/reproducer.h"
#include "sim/scenario_io.h"
#include "targets/target.h"

namespace crashdiff {
namespace {

const std::string kCorpus = std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/regressions";

std::vector<std::string> Reproducers() {
  std::error_code ec;
  std::vector<std::string> files = ReproducerFiles(kCorpus, ec);
  EXPECT_FALSE(ec) << kCorpus << ": " << ec.message();
  return files;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(RegressionCorpus, EveryReproducerReplaysToTheOutcomeItsHeaderRecords) {
  const RegressReport report = Regress(kCorpus, "");
  EXPECT_TRUE(report.errors.empty()) << report.errors.front();
  ASSERT_FALSE(report.rows.empty());
  for (const RegressRow& row : report.rows) {
    EXPECT_EQ(row.verdict, Verdict::kAsExpected) << row.file << " on " << row.target;
  }
}

TEST(RegressionCorpus, EveryReproducerIsOneMinimal) {
  for (const std::string& file : Reproducers()) {
    const LoadResult loaded = LoadScenarioFile(file);
    ASSERT_TRUE(loaded.scenario) << file;
    const std::string signature = ParseFindingHeader(ReadFile(file)).signature;
    ASSERT_FALSE(signature.empty()) << file;
    const KeepsProperty shows = [&](const pb::Scenario& s) { return RunDifferential(s).Shows(signature); };
    EXPECT_TRUE(shows(*loaded.scenario)) << file;
    EXPECT_TRUE(IsOneMinimal(*loaded.scenario, shows)) << file;
  }
}

TEST(RegressionCorpus, EveryDocumentedBugOfEveryTargetHasAReproducer) {
  std::vector<Divergence> shown;  // every divergence of every reproducer, on every target
  for (const std::string& file : Reproducers()) {
    const LoadResult loaded = LoadScenarioFile(file);
    ASSERT_TRUE(loaded.scenario) << file;
    for (const Divergence& d : RunDifferential(*loaded.scenario).divergences) shown.push_back(d);
  }
  for (const TargetSpec* t : AllTargets()) {
    for (const KnownDivergence& k : t->known) {
      const bool found = std::any_of(shown.begin(), shown.end(),
                                     [&](const Divergence& d) { return d.target == t->name && MatchesKnown(k, d); });
      EXPECT_TRUE(found) << t->name << " documents '" << Describe(k) << "' but no reproducer shows it";
    }
  }
}

TEST(RegressionCorpus, SignatureTargetIsTheTargetOfTheSuffix) {
  EXPECT_EQ(
      Signature::Parse("PR3 lost-wake: offline-target in STOPPED_HW [ppc-v1-check-before-clear/doorbell]")->target,
      "ppc-v1-check-before-clear");
  EXPECT_EQ(Signature::Parse("PR1 unsafe-parking: offline-target TRANSIT at hand-over [reference/mwait]")->target,
            "reference");
  EXPECT_FALSE(Signature::Parse("no suffix at all").has_value());
}

// Campaigns call a finding "open" rather than NEW when the corpus already records its bug: every divergence the
// open findings (corpus/findings/) show must therefore be recorded, on its target, by some reproducer.
TEST(RegressionCorpus, RecordsEveryBugTheOpenFindingsShow) {
  const RecordedBugs recorded = LoadRecordedBugs(kCorpus);
  ASSERT_FALSE(recorded.empty());
  int checked = 0;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings")) {
    if (e.path().extension() != ".textproto") continue;
    const LoadResult loaded = LoadScenarioFile(e.path().string());
    ASSERT_TRUE(loaded.scenario) << e.path();
    for (const Divergence& d : RunDifferential(*loaded.scenario).divergences) {
      if (d.difference()) continue;  // outcome differences are information: the corpus keeps violations
      ++checked;
      EXPECT_TRUE(recorded.count({d.target, Signature::KeyOf(d.signature)})) << e.path() << ": " << d.signature;
    }
  }
  EXPECT_GT(checked, 0);
  // The busy-poll fallback (DOMAIN §3.7) is one such open finding: no target documents it, the corpus records it.
  EXPECT_TRUE(recorded.count(
      {"ppc-upstream-clear-then-check", "PR1 unsafe-parking: offline-target OFFLINE_LOOP at hand-over"}));
}

// A deliberately broken copy of the fixed target: the v1 ordering (check before clear) re-introduced.
TEST(RegressionCorpus, ABrokenCopyOfTheFixedTargetFailsTheLostWakeReproducers) {
  const TargetSpec* v1 = FindTarget("ppc-v1-check-before-clear");
  const TargetSpec* upstream = FindTarget("ppc-upstream-clear-then-check");
  ASSERT_NE(v1, nullptr);
  ASSERT_NE(upstream, nullptr);
  TargetSpec broken = *upstream;
  broken.name = "ppc-upstream-with-v1-order";
  broken.make = v1->make;
  broken.known.clear();
  TargetSpec fixed = *upstream;
  fixed.name = "ppc-upstream-patch";
  fixed.known.clear();

  const RegressReport with_bug = Regress(kCorpus, "", &broken);
  const RegressReport without_bug = Regress(kCorpus, "", &fixed);
  int lost_wake_rows = 0;
  for (size_t i = 0; i < with_bug.rows.size(); ++i) {
    const std::string signature = ParseFindingHeader(ReadFile(with_bug.rows[i].file)).signature;
    // The v1 lost wake (the fixed target has PR3 reproducers of its own, e.g. the hot-unplug window).
    if (signature.rfind("PR3 lost-wake: offline-target", 0) != 0 ||
        signature.find("[ppc-v1-check-before-clear/") == std::string::npos) {
      continue;
    }
    ++lost_wake_rows;
    EXPECT_EQ(with_bug.rows[i].verdict, Verdict::kStillPresent) << with_bug.rows[i].file;
    EXPECT_TRUE(with_bug.rows[i].failing);
  }
  EXPECT_GT(lost_wake_rows, 0);
  EXPECT_TRUE(with_bug.failing());
  for (const RegressRow& row : without_bug.rows) {
    const std::string signature = ParseFindingHeader(ReadFile(row.file)).signature;
    if (signature.rfind("PR3 lost-wake: offline-target", 0) == 0 &&
        signature.find("[ppc-v1-check-before-clear/") != std::string::npos) {
      EXPECT_EQ(row.verdict, Verdict::kFixed) << row.file;
    }
  }
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

// Reproducer names keep a readable prefix and never collide: signatures that differ only past the cut (a platform
// tag "+nmi-sysreset", a longer target name) get different files.
TEST(ReproducerFileName, EverySignatureOfTheCorpusMapsToItsOwnFile) {
  std::map<std::string, std::string> by_name;
  for (const auto& e : std::filesystem::directory_iterator(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/regressions")) {
    const std::string text = [&] {
      std::ifstream in(e.path());
      std::stringstream s;
      s << in.rdbuf();
      return s.str();
    }();
    const std::string sig = ParseFindingHeader(text).signature;
    ASSERT_FALSE(sig.empty()) << e.path();
    const auto [it, inserted] = by_name.emplace(Signature::ReadableFileName(sig), sig);
    EXPECT_TRUE(inserted || it->second == sig) << it->second << " and " << sig << " share " << it->first;
  }
  // The open findings' signatures (their headers, and what they show) join the regression corpus's: a finding minimized
  // into corpus/regressions must not overwrite the reproducer of another signature either.
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings")) {
    if (!e.is_regular_file() || e.path().extension() != ".textproto") continue;
    // The header's signature, and every signature the finding shows now (what `minimize --all` would write).
    std::vector<std::string> sigs = {ReadFindingHeader(e.path()).signature};
    const LoadResult loaded = LoadScenarioFile(e.path().string());
    ASSERT_TRUE(loaded.scenario.has_value()) << e.path();
    for (const Divergence& d : RunDifferential(*loaded.scenario).divergences) sigs.push_back(d.signature);
    for (const std::string& sig : sigs) {
      if (sig.empty()) continue;
      const auto [it, inserted] = by_name.emplace(Signature::ReadableFileName(sig), sig);
      EXPECT_TRUE(inserted || it->second == sig) << it->second << " and " << sig << " share " << it->first;
    }
  }
  EXPECT_GT(by_name.size(), 200u);
  const std::string a =
      "PR1 unsafe-parking: offline-target RECEIVER_WAIT at hand-over [ppc-upstream-clear-then-check/doorbell]";
  EXPECT_NE(Signature::ReadableFileName(a), Signature::ReadableFileName(a.substr(0, a.size() - 1) + "+nmi-sysreset]"));
}

}  // namespace
}  // namespace crashdiff
