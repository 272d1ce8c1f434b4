// Every powerpc seed scenario (corpus/seeds/ppc/) loads, validates, and runs to its end on every powerpc
// target well inside the step budget, deterministically.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

std::vector<std::string> SeedFiles() {
  std::vector<std::string> files;
  for (const char* dir : {"/corpus/seeds/ppc", "/corpus/findings/ppc"}) {
    for (const auto& e : std::filesystem::directory_iterator(std::string(CRASHDIFF_SOURCE_DIR) + dir)) {
      if (e.path().extension() == ".textproto") files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(PpcCorpus, EverySeedRunsOnEveryPpcTargetWellInsideTheStepBudget) {
  const std::vector<std::string> files = SeedFiles();
  ASSERT_GE(files.size(), 12u);
  std::vector<const TargetSpec*> ppc;
  for (const TargetSpec* t : AllTargets()) {
    if (t->family == pb::PPC) ppc.push_back(t);
  }
  ASSERT_EQ(ppc.size(), 4u);
  for (const std::string& file : files) {
    const LoadResult loaded = LoadScenarioFile(file);
    ASSERT_TRUE(loaded.errors.empty()) << file << ": " << loaded.errors.front();
    const pb::Scenario& s = *loaded.scenario;
    for (const TargetSpec* t : ppc) {
      ASSERT_TRUE(t->Supports(s.machine().platform())) << t->name;
      const RunResult r = RunOnTarget(*t, s);
      EXPECT_EQ(r.end, EndReason::kQuiescent) << file << " on " << t->name;
      EXPECT_LT(r.steps, s.schedule().step_budget() / 20) << file << " on " << t->name;
      EXPECT_EQ(RunOnTarget(*t, s, RunOptions{false}).trace_hash, r.trace_hash) << file << " on " << t->name;
    }
  }
}

}  // namespace
}  // namespace crashdiff
