// Structure-aware fuzzing rediscovers documented bugs (the rediscovery requirement), in-process and deterministic:
// start from a family's seeds, note which documented bugs (known divergences, by target, any platform) they already
// show, then mutate with a fixed seed and run each mutant through the differential engine until a documented bug that
// no seed shows appears. No fuzzer binary is needed, so this runs in the default build; it skips while the family has
// no target or no seed.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "diff/differential.h"
#include "diff/runner.h"
#include "fuzz/mutator/input.h"
#include "fuzz/mutator/mutator.h"
#include "tests/fixtures/fuzz_test_util.h"

namespace crashdiff::fuzz {
namespace {

using testing::BugKey;

std::vector<pb::Scenario> SeedsOf(const std::string& family) {
  return LoadScenarioDir(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/" + family);
}

struct Rediscovery {
  int seeds = 0;
  int bugs_in_seeds = 0;
  int executions = 0;
  std::string signature;  // the first known divergence found, or empty
};

// Mutates the seeds of family (fixed Rng seed) for at most budget executions.
Rediscovery Rediscover(const std::string& family, pb::Family f, int budget) {
  Rediscovery r;
  std::vector<pb::Scenario> pool;
  std::set<std::string> in_seeds;
  for (const pb::Scenario& s : SeedsOf(family)) {
    if (TargetsFor(s).empty()) continue;
    pool.push_back(s);
    for (const Divergence& d : RunDifferential(s).divergences) {
      if (d.known) in_seeds.insert(BugKey(d.signature));
    }
  }
  r.seeds = static_cast<int>(pool.size());
  r.bugs_in_seeds = static_cast<int>(in_seeds.size());
  if (pool.empty()) return r;
  MutatorOptions options;
  options.only_family = f;
  Mutator mutator(options);
  Rng rng(2024);
  for (; r.executions < budget; ++r.executions) {
    pb::Scenario mutant = pool[rng.Below(pool.size())];
    mutator.Mutate(mutant, rng);
    const DiffReport report = RunDifferential(mutant);
    for (const Divergence& d : report.divergences) {
      if (d.known && !in_seeds.count(BugKey(d.signature))) {
        r.signature = d.signature;
        return r;
      }
    }
    // Keep some mutants as further starting points: a cheap stand-in for a coverage-guided corpus.
    if (pool.size() < 256 && rng.Chance(1, 8)) pool.push_back(mutant);
  }
  return r;
}

struct FamilyCase {
  const char* dir;
  pb::Family family;
};

class FuzzRediscovery : public ::testing::TestWithParam<FamilyCase> {};

TEST_P(FuzzRediscovery, MutatingSeedsFindsADocumentedBugTheSeedsDoNotShow) {
  const Rediscovery r = Rediscover(GetParam().dir, GetParam().family, 5000);
  if (r.seeds == 0) GTEST_SKIP() << "no target or no seed for " << GetParam().dir << " yet";
  EXPECT_FALSE(r.signature.empty()) << "no new documented bug in " << r.executions << " executions from " << r.seeds
                                    << " seeds (which show " << r.bugs_in_seeds << ")";
  std::printf("[%s] found \"%s\" after %d executions from %d seeds showing %d documented bugs\n", GetParam().dir,
              r.signature.c_str(), r.executions, r.seeds, r.bugs_in_seeds);
}

INSTANTIATE_TEST_SUITE_P(Families, FuzzRediscovery,
                         ::testing::Values(FamilyCase{"ppc", pb::PPC}, FamilyCase{"x86", pb::X86},
                                           FamilyCase{"arm64", pb::ARM64}),
                         [](const auto& info) { return std::string(info.param.dir); });

}  // namespace
}  // namespace crashdiff::fuzz
