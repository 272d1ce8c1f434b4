// Structure-aware fuzzing finds documented bugs (issue 7), in-process and deterministic: start from the seeds of a
// family that show no divergence on any target, mutate with a fixed seed, and run each mutant through the
// differential engine until a divergence that a target declares as known (a documented bug) appears. No fuzzer
// binary is needed, so this runs in the default build; it skips while no target of the family is registered.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "diff/differential.h"
#include "diff/runner.h"
#include "fuzz/mutator/input.h"
#include "fuzz/mutator/mutator.h"

namespace crashdiff::fuzz {
namespace {

std::vector<pb::Scenario> SeedsOf(const std::string& family) {
  std::vector<pb::Scenario> out;
  const std::filesystem::path dir = std::filesystem::path(CRASHDIFF_SOURCE_DIR) / "corpus" / "seeds" / family;
  if (!std::filesystem::is_directory(dir)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string bytes = buf.str();
    if (auto s = ParseInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())) out.push_back(*s);
  }
  return out;
}

struct Rediscovery {
  int clean_seeds = 0;
  int executions = 0;
  std::string signature;  // the first known divergence found, or empty
};

// Mutates the clean seeds of family (fixed Rng seed) for at most budget executions.
Rediscovery Rediscover(const std::string& family, int budget) {
  Rediscovery r;
  std::vector<pb::Scenario> pool;
  for (const pb::Scenario& s : SeedsOf(family)) {
    if (TargetsFor(s).empty()) continue;
    if (RunDifferential(s).divergences.empty()) pool.push_back(s);
  }
  r.clean_seeds = static_cast<int>(pool.size());
  if (pool.empty()) return r;
  Mutator mutator;
  Rng rng(2024);
  for (; r.executions < budget; ++r.executions) {
    pb::Scenario mutant = pool[rng.Below(pool.size())];
    mutator.Mutate(mutant, rng);
    const DiffReport report = RunDifferential(mutant);
    for (const Divergence& d : report.divergences) {
      if (d.known) {
        r.signature = d.signature;
        return r;
      }
    }
    // Keep mutants that changed nothing visible as further starting points: a cheap stand-in for a corpus.
    if (report.divergences.empty() && pool.size() < 256 && rng.Chance(1, 8)) pool.push_back(mutant);
  }
  return r;
}

class FuzzRediscovery : public ::testing::TestWithParam<const char*> {};

TEST_P(FuzzRediscovery, MutatingCleanSeedsFindsADocumentedBug) {
  const Rediscovery r = Rediscover(GetParam(), 20000);
  if (r.clean_seeds == 0) GTEST_SKIP() << "no target or no divergence-free seed for " << GetParam() << " yet";
  EXPECT_FALSE(r.signature.empty()) << "no known divergence in " << r.executions << " executions from " << r.clean_seeds
                                    << " clean seeds";
  std::printf("[%s] found \"%s\" after %d executions from %d clean seeds\n", GetParam(), r.signature.c_str(),
              r.executions, r.clean_seeds);
}

INSTANTIATE_TEST_SUITE_P(Families, FuzzRediscovery, ::testing::Values("ppc", "x86", "arm64"));

}  // namespace
}  // namespace crashdiff::fuzz
