// Every arm64 seed scenario loads, validates and runs on every arm64 target, ending well inside its step budget.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

TEST(Arm64Seeds, EverySeedRunsOnEveryTargetOfItsFamilyWellInsideTheBudget) {
  std::vector<std::filesystem::path> files;
  for (const char* sub : {"corpus/seeds/arm64", "corpus/findings/arm64"}) {
    const std::filesystem::path dir = std::filesystem::path(CRASHDIFF_SOURCE_DIR) / sub;
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
    EXPECT_EQ(scenario.machine().family(), pb::ARM64);
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

}  // namespace
}  // namespace crashdiff
