// The hybrid mode's explore worker (campaign/explore_worker.h): a corpus unit whose own schedule shows nothing on the
// check-before-clear target gets its interleavings explored, the lost wake is recorded as a finding the way the
// harness records one, and the unit is listed so that a second pass (a resumed campaign) does not explore it again.
#include "campaign/explore_worker.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "campaign/campaign.h"
#include "diff/differential.h"
#include "diff/finding.h"
#include "tests/fixtures/oracle_scenarios.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff::campaign {
namespace {

namespace fs = std::filesystem;

// The v1 lost wake (DOMAIN §3.2, row B) with its schedule removed: under the default policy the crash wake does not
// land between the offline thread's check and its clear.
pb::Scenario Unscheduled() {
  pb::Scenario s = testing::ScenarioFromText(testing::kRowB);
  s.clear_schedule();
  return s;
}

constexpr char kV1[] = "ppc-v1-check-before-clear";

bool ShowsLostWake(const DiffReport& report) {
  for (const Divergence& d : report.divergences) {
    if (d.signature.find("PR3") != std::string::npos) return true;
  }
  return false;
}

class ExploreWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("crashdiff-explore-worker-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "corpus");
    const pb::Scenario s = Unscheduled();
    std::ofstream(dir_ / "corpus" / "unit-a", std::ios::binary) << s.SerializeAsString();
    options_.corpus = dir_ / "corpus";
    options_.findings = dir_ / "findings";
    options_.explored = dir_ / "explored.txt";
    options_.family = pb::PPC;
    options_.target = kV1;
    options_.schedules = 500;
    options_.deterministic = true;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  ExploreWorkerOptions options_;
};

TEST_F(ExploreWorkerTest, RecordsTheLostWakeItsUnitsScheduleMisses) {
  DiffOptions only_v1;
  only_v1.only_target = kV1;
  ASSERT_FALSE(ShowsLostWake(RunDifferential(Unscheduled(), only_v1)));

  const volatile sig_atomic_t stop = 0;
  const ExploreWorkerStats stats = RunExploreWorker(options_, stop);
  EXPECT_EQ(stats.units, 1u);
  EXPECT_EQ(stats.searches, 1u);
  EXPECT_GE(stats.counterexamples, 1u);
  ASSERT_GE(stats.recorded, 1u);

  bool lost_wake = false;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_ / "findings")) {
    const FindingHeader h = ReadFindingHeader(e.path());
    if (h.signature.find("PR3") != std::string::npos && h.signature.find(kV1) != std::string::npos) lost_wake = true;
  }
  EXPECT_TRUE(lost_wake) << "no PR3 finding on " << kV1;

  std::ifstream list(options_.explored);
  std::string line;
  ASSERT_TRUE(std::getline(list, line));
  EXPECT_EQ(line, "unit-a");
  const ExploreWorkerStats again = RunExploreWorker(options_, stop);
  EXPECT_EQ(again.units, 0u);
  EXPECT_EQ(again.searches, 0u);
}

TEST_F(ExploreWorkerTest, SkipsUnitsOfOtherFamiliesAndUnreadableOnes) {
  std::ofstream(dir_ / "corpus" / "unit-b", std::ios::binary) << "not a scenario";
  options_.family = pb::X86;
  options_.target.clear();
  const volatile sig_atomic_t stop = 0;
  const ExploreWorkerStats stats = RunExploreWorker(options_, stop);
  EXPECT_EQ(stats.units, 0u);
  EXPECT_EQ(stats.searches, 0u);
  EXPECT_FALSE(fs::exists(dir_ / "findings"));
  std::ifstream list(options_.explored);
  int lines = 0;
  for (std::string line; std::getline(list, line);) ++lines;
  EXPECT_EQ(lines, 2);  // both listed: neither is looked at again
}

TEST_F(ExploreWorkerTest, ExploresSeedsFirstThenCheapestUnitsFirst) {
  pb::Scenario big = Unscheduled();
  big.mutable_machine()->set_cores(4);
  std::ofstream(dir_ / "corpus" / "unit-0-big", std::ios::binary) << big.SerializeAsString();
  fs::create_directories(dir_ / "seeds");
  std::ofstream(dir_ / "seeds" / "z-seed", std::ios::binary) << big.SerializeAsString();
  options_.seeds = dir_ / "seeds";
  options_.schedules = 1;
  const volatile sig_atomic_t stop = 0;
  RunExploreWorker(options_, stop);
  std::ifstream list(options_.explored);
  std::vector<std::string> order;
  for (std::string line; std::getline(list, line);) order.push_back(line);
  EXPECT_EQ(order, (std::vector<std::string>{"seeds/z-seed", "unit-a", "unit-0-big"}));
}

TEST(ExploreWorkerSpawn, StartsThisBinarysExploreWorkerOnTheCampaignsDirectories) {
  FuzzOptions o;
  o.out = "/w";
  o.crashdiff = "/b/crashdiff";
  o.explore = 300;
  o.family = "ppc";
  const WorkerSpawn spawn = ExploreWorkerSpawn(o, CampaignWorker{2, 0, "/w/logs/explore-worker.log"}, 60);
  EXPECT_EQ(spawn.argv,
            (std::vector<std::string>{"/b/crashdiff", "explore-worker", "--corpus", "/w/corpus", "--seeds", "/w/seeds",
                                      "--findings", "/w/findings", "--explored", "/w/explored.txt", "--schedules",
                                      "300", "--time", "60", "--family", "ppc"}));
  EXPECT_EQ(spawn.log, "/w/logs/explore-worker.log");
}

}  // namespace
}  // namespace crashdiff::campaign
