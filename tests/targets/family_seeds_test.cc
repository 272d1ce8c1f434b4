// Every x86 and arm64 seed scenario (and open finding) loads, validates and runs on every target of its family,
// ending well inside its step budget. (powerpc has its own, stricter corpus test: ppc_corpus_test.cc.)
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

struct FamilySeeds {
  const char* dir;  // under corpus/seeds/ and corpus/findings/
  pb::Family family;
};

class SeedsOfFamily : public ::testing::TestWithParam<FamilySeeds> {};

TEST_P(SeedsOfFamily, EverySeedRunsOnEveryTargetOfItsFamilyWellInsideTheBudget) {
  std::vector<std::filesystem::path> files;
  for (const char* root : {"corpus/seeds/", "corpus/findings/"}) {
    const std::filesystem::path dir = std::filesystem::path(CRASHDIFF_SOURCE_DIR) / root / GetParam().dir;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 8u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    const LoadResult loaded = LoadScenarioFile(path.string());
    ASSERT_TRUE(loaded.scenario.has_value()) << (loaded.errors.empty() ? "" : loaded.errors.front());
    const pb::Scenario& scenario = *loaded.scenario;
    EXPECT_EQ(scenario.machine().family(), GetParam().family);
    const std::vector<const TargetSpec*> targets = TargetsFor(scenario);
    ASSERT_FALSE(targets.empty());
    for (const TargetSpec* target : targets) {
      SCOPED_TRACE(target->name);
      const RunResult r = RunOnTarget(*target, scenario, RunOptions{.record_trace = false});
      EXPECT_EQ(r.end, EndReason::kQuiescent);
      EXPECT_LT(r.steps, scenario.schedule().step_budget() / 10);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, SeedsOfFamily,
                         ::testing::Values(FamilySeeds{"x86", pb::X86}, FamilySeeds{"arm64", pb::ARM64}),
                         [](const auto& info) { return std::string(info.param.dir); });

}  // namespace
}  // namespace crashdiff
