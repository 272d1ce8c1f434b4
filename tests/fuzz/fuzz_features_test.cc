// The harness's model features (fuzz/features.h): what one differential execution tells the engine is new.
#include <gtest/gtest.h>

#include <array>
#include <set>

#include "diff/differential.h"
#include "fuzz/features.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff::fuzz {
namespace {

std::set<uint64_t> FeaturesOf(const std::string& text) {
  const pb::Scenario s = testing::ScenarioFromText(text);
  std::vector<uint64_t> v;
  ModelFeatureHashes(s, RunDifferential(s), v);
  return {v.begin(), v.end()};
}

// Which of three interchangeable offline threads is brought online before the crash is no new behaviour: the
// features are the same. Keyed by CPU index they differed, and the engine kept one corpus entry per index.
TEST(ModelFeatures, InterchangeableCpusCountOnce) {
  const auto machine = [](int up) {
    return std::string(
               R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 4 offline: 1 offline: 2 offline: 3 }
                    events {
                      kind: PANIC
                      cpus: 0
                      trigger { at_time_ns: 1000000000 }
                    }
                    events { kind: HOTPLUG_UP cpus: 0 cpus:)pb") +
           std::to_string(up) + " trigger { at_time_ns: 0 } }";
  };
  const std::set<uint64_t> one = FeaturesOf(machine(1));
  EXPECT_EQ(one, FeaturesOf(machine(3)));
  // ... and bringing a thread online is new behaviour against leaving them all offline.
  EXPECT_NE(
      one,
      FeaturesOf(R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 4 offline: 1 offline: 2 offline: 3 }
                      events {
                        kind: PANIC
                        cpus: 0
                        trigger { at_time_ns: 1000000000 }
                      })pb"));
}

// What a CPU is declared to be still tells runs apart: an offline thread left asleep is not an online CPU left
// asleep.
TEST(ModelFeatures, TheDeclaredClassOfACpuStillCounts) {
  const std::string online = R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 }
                                  events {
                                    kind: PANIC
                                    cpus: 0
                                    trigger { at_time_ns: 0 }
                                  })pb";
  const std::string offline = R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 offline: 1 }
                                   events {
                                     kind: PANIC
                                     cpus: 0
                                     trigger { at_time_ns: 0 }
                                   })pb";
  EXPECT_NE(FeaturesOf(online), FeaturesOf(offline));
}

// Edge counters without their hit counts (SaturateCounters): an edge taken once and one taken 200 times (e.g. a
// per-CPU loop on a machine of 200 CPUs) become the same feature; an edge not taken stays 0.
TEST(EdgeCounters, SaturatingKeepsWhetherAnEdgeRanNotHowOften) {
  // 19 counters: two words of eight and a tail of three, so both the word and the byte path are exercised.
  std::array<uint8_t, 19> small{};
  std::array<uint8_t, 19> large{};
  for (size_t i = 0; i < small.size(); i += 3) {
    small[i] = 1;
    large[i] = static_cast<uint8_t>(200 + i);
  }
  SaturateCounters(small.data(), small.data() + small.size());
  SaturateCounters(large.data(), large.data() + large.size());
  EXPECT_EQ(small, large);
  for (size_t i = 0; i < small.size(); ++i) EXPECT_EQ(small[i], i % 3 == 0 ? 1 : 0) << i;
}

TEST(EdgeCounters, EveryCountValueInEveryByteOfAWord) {
  for (size_t pos = 0; pos < 8; ++pos) {
    for (int v = 0; v < 256; ++v) {
      std::array<uint8_t, 8> word{};
      word[pos] = static_cast<uint8_t>(v);
      SaturateCounters(word.data(), word.data() + word.size());
      for (size_t i = 0; i < word.size(); ++i) EXPECT_EQ(word[i], i == pos && v != 0 ? 1 : 0) << pos << " " << v;
    }
  }
}

}  // namespace
}  // namespace crashdiff::fuzz
