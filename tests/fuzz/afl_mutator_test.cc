// The AFL++ custom mutator (fuzz/afl_mutator.cc) called as afl-fuzz calls it: with `crashdiff fuzz --engine afl
// --family F` (CRASHDIFF_FAMILY=F in afl-fuzz's environment) every mutant is of family F, as with libFuzzer; a
// mutant of another family would only be rejected by the harness.
#include <gtest/gtest.h>

#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "fuzz/mutator/input.h"
#include "fuzz/mutator/mutator.h"
#include "sim/validate.h"

extern "C" {
void* afl_custom_init(void* afl, unsigned int seed);
size_t afl_custom_fuzz(void* data, uint8_t* buf, size_t buf_size, uint8_t** out_buf, uint8_t* add_buf,
                       size_t add_buf_size, size_t max_size);
size_t afl_custom_post_process(void* data, uint8_t* buf, size_t buf_size, uint8_t** out_buf);
void afl_custom_deinit(void* data);
}

namespace crashdiff::fuzz {
namespace {

// The families of 300 mutants of an x86 scenario and of bytes that are no scenario, crossed over now and then.
std::set<pb::Family> MutantFamilies(const char* family_env) {
  if (family_env == nullptr) {
    unsetenv("CRASHDIFF_FAMILY");
  } else {
    setenv("CRASHDIFF_FAMILY", family_env, 1);
  }
  void* st = afl_custom_init(nullptr, 7);
  unsetenv("CRASHDIFF_FAMILY");
  std::string x86;
  MinimalScenario(pb::X86).SerializeToString(&x86);
  const std::string garbage = "\xff\x01no scenario";
  std::set<pb::Family> families;
  for (int i = 0; i < 300; ++i) {
    std::vector<uint8_t> in(i % 2 == 0 ? x86.begin() : garbage.begin(), i % 2 == 0 ? x86.end() : garbage.end());
    std::vector<uint8_t> add(x86.begin(), x86.end());
    uint8_t* out = nullptr;
    const size_t n = afl_custom_fuzz(st, in.data(), in.size(), &out, add.data(), add.size(), 4096);
    const std::optional<pb::Scenario> s = ParseInput(out, n);
    EXPECT_TRUE(s.has_value()) << "mutant " << i << " is not a valid scenario";
    if (s) families.insert(s->machine().family());
  }
  afl_custom_deinit(st);
  return families;
}

TEST(AflMutator, KeepsMutantsInTheCampaignsFamily) {
  EXPECT_EQ(MutantFamilies("ppc"), std::set<pb::Family>{pb::PPC});
  EXPECT_EQ(MutantFamilies("arm64"), std::set<pb::Family>{pb::ARM64});
  // Without a family the mutator keeps (and makes) other families: the restriction above is the variable's doing.
  EXPECT_GT(MutantFamilies(nullptr).size(), 1u);
}

// afl-fuzz runs its own havoc mutants too; post_process holds every input it runs to the mutants' limits.
TEST(AflMutator, PostProcessFitsWhatAflFuzzIsAboutToRun) {
  setenv("CRASHDIFF_FAMILY", "ppc", 1);
  void* st = afl_custom_init(nullptr, 7);
  unsetenv("CRASHDIFF_FAMILY");
  pb::Scenario big = MinimalScenario(pb::PPC);
  big.mutable_machine()->set_cores(34);  // what a havoc byte flip in the varint makes of 2
  big.mutable_machine()->set_threads_per_core(4);
  std::string bytes;
  big.SerializeToString(&bytes);
  std::vector<uint8_t> in(bytes.begin(), bytes.end());
  uint8_t* out = nullptr;
  size_t n = afl_custom_post_process(st, in.data(), in.size(), &out);
  std::optional<pb::Scenario> s = ParseInput(out, n);
  ASSERT_TRUE(s.has_value());
  EXPECT_LE(s->machine().cores() * s->machine().threads_per_core(), kMaxMutantCpus);

  // One already within the limits runs as it is, byte for byte; bytes that are no scenario pass unchanged.
  std::string small;
  MinimalScenario(pb::PPC).SerializeToString(&small);
  in.assign(small.begin(), small.end());
  n = afl_custom_post_process(st, in.data(), in.size(), &out);
  EXPECT_EQ(std::string(out, out + n), small);
  const std::string garbage = "\xff\x01no scenario";
  in.assign(garbage.begin(), garbage.end());
  n = afl_custom_post_process(st, in.data(), in.size(), &out);
  EXPECT_EQ(out, in.data());
  EXPECT_EQ(n, garbage.size());
  afl_custom_deinit(st);
}

TEST(AflMutator, FamilyFromEnvironmentReadsWhatCrashdiffFuzzSets) {
  for (const auto& [value, want] : std::vector<std::pair<const char*, pb::Family>>{
           {"ppc", pb::PPC}, {"x86", pb::X86}, {"ARM64", pb::ARM64}, {"sparc", pb::FAMILY_UNSPECIFIED}}) {
    setenv("CRASHDIFF_FAMILY", value, 1);
    EXPECT_EQ(FamilyFromEnvironment(), want) << value;
  }
  unsetenv("CRASHDIFF_FAMILY");
  EXPECT_EQ(FamilyFromEnvironment(), pb::FAMILY_UNSPECIFIED);
}

}  // namespace
}  // namespace crashdiff::fuzz
