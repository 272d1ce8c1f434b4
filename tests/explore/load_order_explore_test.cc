// Explore enumerates load->load reordering (docs/EXPLORE.md, "Load->load reordering"): on powerpc and arm64 with
// memory_model ARCHITECTURE each CPU's invalidate queue is an agent and each entry it may apply a choice, so the
// message-passing outcome flag = 1, data = 0 is found (the writer orders its stores with smp_wmb; the reader's view
// of the data lags) and replayed, and proved absent with smp_rmb in the reader. The litmus test is a program of the
// test's own, registered as a test-only target per family.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <stdexcept>
#include <string>

#include "diff/runner.h"
#include "explore/explorer.h"
#include "sim/validate.h"
#include "targets/target.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::ScenarioFromText;

// cpu0 stores the data, smp_wmb, the flag; cpu1 loads the flag, then (after smp_rmb when asked) the data, and books a
// second crash shutdown (PR9) when it sees flag = 1, data = 0.
class MessagePassing : public Program {
 public:
  MessagePassing(Machine& m, bool rmb) : m_(m), rmb_(rmb), data_(m.NewVar("data", 0)), flag_(m.NewVar("flag", 0)) {}
  Task<> Start(Cpu& cpu) override {
    if (cpu.id() == 0) {
      m_.RecordShutdown(0);
      co_await cpu.write(data_, 1, "W1");
      co_await cpu.write_barrier("W2");
      co_await cpu.write(flag_, 1, "W3");
    } else if (cpu.id() == 1) {
      const int64_t flag = co_await cpu.read(flag_, "R1");
      if (rmb_) co_await cpu.read_barrier("R2");
      const int64_t data = co_await cpu.read(data_, "R3");
      if (flag == 1 && data == 0) m_.RecordShutdown(1);
      co_await cpu.local("R4", "done");
    }
  }
  Task<> Interrupt(Cpu& /*cpu*/, Source /*s*/) override { co_return; }
  Task<> Software(Cpu& /*cpu*/, const pb::Event& /*e*/) override { co_return; }

 private:
  Machine& m_;
  bool rmb_;
  Var& data_;
  Var& flag_;
};

struct Arch {
  const char* name;
  pb::Family family;
  pb::Platform platform;
};
constexpr Arch kPpc{"ppc", pb::PPC, pb::POWER9_DOORBELL_XIVE};
constexpr Arch kArm64{"arm64", pb::ARM64, pb::ARM64_PSCI};

std::string Target(const Arch& a, bool rmb) {
  static const bool registered = [] {
    static std::deque<TargetSpec> specs;  // the registry keeps pointers
    for (const Arch* arch : {&kPpc, &kArm64}) {
      for (bool r : {false, true}) {
        TargetSpec& s = specs.emplace_back();
        s.name = std::string("test-lo-mp-") + arch->name + (r ? "-rmb" : "");
        s.family = arch->family;
        s.platforms = {arch->platform};
        s.models = "test program";
        s.summary = "message-passing litmus test (load->load)";
        s.test_only = true;
        s.make = [r](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<MessagePassing>(m, r); };
        RegisterTarget(s);
      }
    }
    return true;
  }();
  (void)registered;
  return std::string("test-lo-mp-") + a.name + (rmb ? "-rmb" : "");
}

pb::Scenario Machine2(const Arch& a) {
  return ScenarioFromText(std::string("machine { family: ") + pb::Family_Name(a.family) + " platform: " +
                          pb::Platform_Name(a.platform) + " cores: 2 threads_per_core: 1 memory_model: ARCHITECTURE }");
}

ExploreResult Search(const Arch& a, bool rmb, bool oldest_only = false) {
  ExploreOptions o;
  o.target = Target(a, rmb);
  o.preemptions = 2;
  o.properties = {"PR9"};
  o.oldest_commit_only = oldest_only;
  o.memory_bytes = 16 << 20;
  o.verify_fingerprints = true;
  return Explore(Machine2(a), o);
}

TEST(LoadOrderExplore, FindsTheStaleDataReadAndTheReproducerReplays) {
  for (const Arch& a : {kPpc, kArm64}) {
    const ExploreResult r = Search(a, /*rmb=*/false);
    ASSERT_TRUE(r.found) << a.name;
    EXPECT_GT(r.named_applies, 0u);
    EXPECT_EQ(r.violations.front().property, "PR9");
    EXPECT_EQ(r.violations.front().cpu, 1u);
    EXPECT_EQ(r.fingerprint_mismatches, 0u);
    EXPECT_TRUE(r.reproducer_replays) << a.name;
    EXPECT_TRUE(Validate(r.reproducer).empty()) << a.name;
    bool queue = false;
    for (const pb::Choice& c : r.reproducer.schedule().choices()) queue = queue || c.invalidate_queue();
    EXPECT_TRUE(queue) << r.reproducer.schedule().DebugString();
    const RunResult again = RunOnTarget(*FindTarget(Target(a, false)), r.reproducer, RunOptions{});
    EXPECT_EQ(again.cpus[1].shutdowns, 1u) << a.name;
  }
}

TEST(LoadOrderExplore, AReadBarrierInTheReaderForbidsItExhaustively) {
  for (const Arch& a : {kPpc, kArm64}) {
    const ExploreResult r = Search(a, /*rmb=*/true);
    EXPECT_FALSE(r.found) << a.name;
    EXPECT_TRUE(r.exhaustive) << a.name;
    EXPECT_EQ(r.fingerprint_mismatches, 0u);
    EXPECT_NE(GuaranteeText(ExploreOptions{.target = Target(a, true), .properties = {"PR9"}}, r).find("load->load"),
              std::string::npos);
  }
}

// A queue applied oldest first is FIFO: the data's entry (queued first) applies before the flag's, so message passing
// shows no load->load reordering then (--oldest-commit-only covers store->load and non-multi-copy atomicity only).
TEST(LoadOrderExplore, OldestFirstAppliesDoNotFindIt) {
  for (const Arch& a : {kPpc, kArm64}) {
    const ExploreResult r = Search(a, /*rmb=*/false, /*oldest_only=*/true);
    EXPECT_FALSE(r.found) << a.name;
    EXPECT_TRUE(r.exhaustive) << a.name;
    EXPECT_EQ(r.named_applies, 0u);
  }
}

TEST(LoadOrderExplore, DporIsRefusedWhereQueuesExist) {
  ExploreOptions o;
  o.target = Target(kArm64, false);
  o.dpor = true;
  o.preemptions = kNoPreemptionBound;
  o.oldest_commit_only = true;
  EXPECT_THROW(Explore(Machine2(kArm64), o), std::invalid_argument);
}

}  // namespace
}  // namespace crashdiff
