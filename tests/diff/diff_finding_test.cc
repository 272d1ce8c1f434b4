// The finding header (diff/finding.h): what the harness writes is what `crashdiff fuzz` and the benchmarks read.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "diff/finding.h"
#include "tests/fixtures/oracle_scenarios.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

// Row A shows the prefix-nowake orphan; its signature names one target, the header lists every target showing it.
TEST(FindingHeader, NamesEveryTargetShowingTheSignatureAndReadsBackAsWritten) {
  const DiffReport report = RunDifferential(testing::ScenarioFromText(testing::kRowA));
  ASSERT_FALSE(report.divergences.empty());
  for (const Divergence& d : report.divergences) {
    FindingHeader h = MakeFindingHeader(d, report);
    EXPECT_EQ(h.signature, d.signature);
    EXPECT_EQ(h.known, d.known);
    ASSERT_FALSE(h.targets.empty());
    EXPECT_NE(std::find(h.targets.begin(), h.targets.end(), d.target), h.targets.end());
    for (const Divergence& other : report.divergences) {
      const bool listed = std::find(h.targets.begin(), h.targets.end(), other.target) != h.targets.end();
      if (other.signature == d.signature) EXPECT_TRUE(listed) << other.target;
    }
    // A documented bug names its mechanism, so a rediscovery run can tell which one the campaign found.
    const bool named =
        std::find(h.known_as.begin(), h.known_as.end(), d.target + ": " + d.known_as) != h.known_as.end();
    EXPECT_EQ(named, d.known) << d.signature;
    if (d.known) EXPECT_FALSE(d.known_as.empty()) << d.signature;
    h.found_after_execs = 12;
    h.found_after_ms = 345;
    const std::string text = FormatFindingHeader(h) + "machine { family: PPC }\n";
    const FindingHeader back = ParseFindingHeader(text);
    EXPECT_EQ(back.signature, h.signature);
    EXPECT_EQ(back.known, h.known);
    EXPECT_EQ(back.property, h.property);
    EXPECT_EQ(back.targets, h.targets);
    EXPECT_EQ(back.witness, h.witness);
    EXPECT_EQ(back.known_as, h.known_as);
    EXPECT_EQ(back.found_after_execs, 12u);
    EXPECT_EQ(back.found_after_ms, 345);
    EXPECT_EQ(FormatFindingHeader(back), FormatFindingHeader(h));
  }
}

TEST(FindingHeader, SkipsKeysItDoesNotKnowAndStopsAtTheScenario) {
  const FindingHeader h = ParseFindingHeader(
      "# signature: PR3 lost-wake: offline-target x [t/p]\n"
      "# a-key-from-a-newer-harness: 7\n"
      "# known: yes\n"
      "# targets: a b\n"
      "name: \"x\"\n"
      "# signature: not part of the header\n");
  EXPECT_EQ(h.signature, "PR3 lost-wake: offline-target x [t/p]");
  EXPECT_TRUE(h.known);
  EXPECT_EQ(h.targets, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(h.found_after_execs.has_value());
  EXPECT_FALSE(h.found_after_ms.has_value());
}

TEST(FindingHeader, ATextWithoutHeaderHasNoSignature) {
  EXPECT_EQ(ParseFindingHeader("machine { family: PPC }\n").signature, "");
  EXPECT_EQ(ReadFindingHeader("/nonexistent/finding.textproto").signature, "");
}

}  // namespace
}  // namespace crashdiff
