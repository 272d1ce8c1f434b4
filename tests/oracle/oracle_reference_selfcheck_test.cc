// The reference checks itself: over every seed, finding and regression reproducer, and many mutants of them per
// family, the reference model violates no property except the hazards the machine imposes on every
// implementation (oracle/inherent.h). Any other reference violation is an oracle defect, never "inherent".
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "fuzz/mutator/input.h"
#include "fuzz/mutator/label_pool.h"
#include "fuzz/mutator/mutator.h"
#include "oracle/facts.h"
#include "oracle/inherent.h"
#include "oracle/properties.h"
#include "sim/rng.h"

namespace crashdiff {
namespace {

const std::string kSource = CRASHDIFF_SOURCE_DIR;

// 100,000 mutants per family by default; the sanitizer run of the suite sets fewer (./crashdiff test).
uint64_t MutantsPerFamily() {
  const char* v = std::getenv("CRASHDIFF_SELFCHECK_MUTANTS");
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : 100000;
}

std::vector<Violation> ReferenceViolations(const pb::Scenario& s) {
  FactsBuilder builder(s.machine().cores() * s.machine().threads_per_core());
  RunOptions options;
  options.record_trace = false;
  options.observer = &builder;
  const RunResult r = RunReference(s, options);
  return CheckProperties(s, r, builder.facts());
}

struct Tally {
  std::map<std::string, std::pair<int, std::string>> defects;  // "PRn role what" -> count, a scenario
  std::map<std::string, int> inherent;                         // hazard -> count
  void Add(const pb::Scenario& s) {
    for (const Violation& v : ReferenceViolations(s)) {
      if (const InherentHazard* h = FindInherentHazard(s, v)) {
        ++inherent[std::string(h->name)];
        continue;
      }
      auto& [n, example] = defects[v.property + " " + std::string(Name(v.role)) + " " + v.what];
      if (n++ == 0) example = s.DebugString();
    }
  }
};

class ReferenceSelfCheck : public testing::TestWithParam<const char*> {};

TEST_P(ReferenceSelfCheck, ViolatesNothingButInherentHazards) {
  const std::string family = GetParam();
  const pb::Family f = family == "ppc" ? pb::PPC : family == "x86" ? pb::X86 : pb::ARM64;
  std::vector<pb::Scenario> pool;
  for (const std::string& dir :
       std::vector<std::string>{"/corpus/seeds/" + family, "/corpus/findings/" + family, "/corpus/regressions"}) {
    for (pb::Scenario& s : fuzz::LoadScenarioDir(kSource + dir)) {
      if (s.machine().family() == f) pool.push_back(std::move(s));
    }
  }
  ASSERT_FALSE(pool.empty());
  Tally tally;
  for (const pb::Scenario& s : pool) tally.Add(s);
  fuzz::LabelPool labels;
  fuzz::Mutator mutator(fuzz::MutatorOptions{.labels = &labels, .only_family = f});
  Rng rng(0x5e1fc8ec);
  const size_t roots = pool.size();
  const uint64_t mutants = MutantsPerFamily();
  for (uint64_t i = 0; i < mutants; ++i) {
    // Half from the corpus, half from earlier mutants: deep mutants too, with a bounded pool.
    const size_t from =
        (i % 2 == 0 || pool.size() == roots) ? rng.Below(roots) : roots + rng.Below(pool.size() - roots);
    pb::Scenario m = pool[from];
    mutator.Mutate(m, rng);
    tally.Add(m);
    if (pool.size() < roots + 4096) pool.push_back(std::move(m));
  }
  for (const auto& [hazard, n] : tally.inherent) std::printf("inherent %s: %d\n", hazard.c_str(), n);
  for (const auto& [what, d] : tally.defects) {
    ADD_FAILURE() << "oracle defect: the reference violates " << what << " (" << d.first << "x), e.g.\n" << d.second;
  }
}

INSTANTIATE_TEST_SUITE_P(Families, ReferenceSelfCheck, testing::Values("ppc", "x86", "arm64"));

}  // namespace
}  // namespace crashdiff
