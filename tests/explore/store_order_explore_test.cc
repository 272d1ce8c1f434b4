// Explore enumerates store->store reordering (docs/EXPLORE.md, "Store->store reordering"): on powerpc and arm64 with
// store buffers, each store a buffer may commit is a choice of the search, so the message-passing outcome flag = 1,
// data = 0 is found and replayed without a write barrier, and proved absent with one; on x86 (FIFO buffers) and with
// --oldest-commit-only (the search before 2026-12-04) it is never reached. The litmus test is a program of the
// test's own, registered as a test-only target per family.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "explore/explorer.h"
#include "explore/state.h"
#include "oracle/facts.h"
#include "sim/validate.h"
#include "targets/target.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::ScenarioFromText;

// Message passing: cpu0 stores the data, then the flag (with smp_wmb between them when asked); cpu1 loads the flag,
// then the data, with smp_rmb between them: its invalidate queue (powerpc, arm64) cannot show the outcome, only the
// store order can (load->load reordering has its own test, load_order_explore_test.cc). The forbidden outcome under a
// write barrier, flag = 1 and data = 0, is reported where the oracle sees it: cpu0 books a crash shutdown before its
// stores (it is the initiator), and cpu1 books a second one when it observes the outcome (PR9, "runs a second crash
// shutdown").
class MessagePassing : public Program {
 public:
  MessagePassing(Machine& m, bool wmb) : m_(m), wmb_(wmb), data_(m.NewVar("data", 0)), flag_(m.NewVar("flag", 0)) {}
  Task<> Start(Cpu& cpu) override {
    if (cpu.id() == 0) {
      m_.RecordShutdown(0);
      co_await cpu.write(data_, 1, "W1");
      if (wmb_) co_await cpu.write_barrier("W2");
      co_await cpu.write(flag_, 1, "W3");
    } else if (cpu.id() == 1) {
      const int64_t flag = co_await cpu.read(flag_, "R1");
      co_await cpu.read_barrier("R1b");
      const int64_t data = co_await cpu.read(data_, "R2");
      if (flag == 1 && data == 0) m_.RecordShutdown(1);
      co_await cpu.local("R3", "done");  // the outcome's booking is not the run's last step (global)
    }
  }
  Task<> Interrupt(Cpu& /*cpu*/, Source /*s*/) override { co_return; }
  Task<> Software(Cpu& /*cpu*/, const pb::Event& /*e*/) override { co_return; }

 private:
  Machine& m_;
  bool wmb_;
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
constexpr Arch kX86{"x86", pb::X86, pb::X86_INTEL_MWAIT};

// The test-only target running the litmus test on arch, with or without the write barrier.
std::string Target(const Arch& a, bool wmb) {
  static const bool registered = [] {
    static std::deque<TargetSpec> specs;  // the registry keeps pointers
    for (const Arch* arch : {&kPpc, &kArm64, &kX86}) {
      for (bool w : {false, true}) {
        TargetSpec& s = specs.emplace_back();
        s.name = std::string("test-mp-") + arch->name + (w ? "-wmb" : "");
        s.family = arch->family;
        s.platforms = {arch->platform};
        s.models = "test program";
        s.summary = "message-passing litmus test";
        s.test_only = true;
        s.make = [w](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<MessagePassing>(m, w); };
        RegisterTarget(s);
      }
    }
    return true;
  }();
  (void)registered;
  return std::string("test-mp-") + a.name + (wmb ? "-wmb" : "");
}

pb::Scenario Machine2(const Arch& a) {
  return ScenarioFromText(std::string("machine { family: ") + pb::Family_Name(a.family) + " platform: " +
                          pb::Platform_Name(a.platform) + " cores: 2 threads_per_core: 1 memory_model: ARCHITECTURE }");
}

ExploreResult Search(const Arch& a, bool wmb, bool oldest_only = false, bool reduction = true) {
  ExploreOptions o;
  o.target = Target(a, wmb);
  o.preemptions = 2;
  o.properties = {"PR9"};
  o.oldest_commit_only = oldest_only;
  o.reduction = reduction;
  o.memory_bytes = 16 << 20;
  o.verify_fingerprints = true;
  return Explore(Machine2(a), o);
}

TEST(StoreOrderExplore, FindsTheFlagBeforeItsDataOnPowerpcAndArm64AndTheReproducerReplays) {
  for (const Arch& a : {kPpc, kArm64}) {
    for (bool reduction : {true, false}) {
      const ExploreResult r = Search(a, /*wmb=*/false, false, reduction);
      ASSERT_TRUE(r.found) << a.name;
      EXPECT_TRUE(r.commits_enumerated);
      EXPECT_GT(r.named_commits, 0u);
      EXPECT_EQ(r.violations.front().property, "PR9");
      EXPECT_EQ(r.violations.front().cpu, 1u);
      EXPECT_EQ(r.fingerprint_mismatches, 0u);
      // The schedule names the flag's commit (it overtakes the data), and replaying it alone shows the outcome.
      EXPECT_TRUE(r.reproducer_replays) << a.name;
      EXPECT_TRUE(Validate(r.reproducer).empty()) << a.name;
      bool named = false;
      for (const pb::Choice& c : r.reproducer.schedule().choices()) named = named || c.commit() == "flag";
      EXPECT_TRUE(named) << r.reproducer.schedule().DebugString();
      const RunResult again = RunOnTarget(*FindTarget(Target(a, false)), r.reproducer, RunOptions{});
      EXPECT_EQ(again.cpus[1].shutdowns, 1u) << a.name;
    }
  }
}

TEST(StoreOrderExplore, AWriteBarrierKeepsTheFlagBehindItsDataExhaustively) {
  for (const Arch& a : {kPpc, kArm64}) {
    const ExploreResult r = Search(a, /*wmb=*/true);
    EXPECT_FALSE(r.found) << a.name;
    EXPECT_TRUE(r.exhaustive) << a.name;
    EXPECT_EQ(r.named_commits, 0u) << a.name;  // nothing may overtake across the barrier
    EXPECT_NE(GuaranteeText(ExploreOptions{.target = Target(a, true), .properties = {"PR9"}}, r).find("store->store"),
              std::string::npos);
  }
}

TEST(StoreOrderExplore, X86BuffersAreFifo) {
  const ExploreResult r = Search(kX86, /*wmb=*/false);
  EXPECT_FALSE(r.found);
  EXPECT_TRUE(r.exhaustive);
  EXPECT_FALSE(r.commits_enumerated);
  EXPECT_EQ(r.named_commits, 0u);
}

TEST(StoreOrderExplore, OldestCommitOnlyDoesNotFindIt) {
  for (const Arch& a : {kPpc, kArm64}) {
    const ExploreResult r = Search(a, /*wmb=*/false, /*oldest_only=*/true);
    EXPECT_FALSE(r.found) << a.name;
    EXPECT_TRUE(r.exhaustive) << a.name;
    EXPECT_FALSE(r.commits_enumerated);
    EXPECT_NE(GuaranteeText(ExploreOptions{.target = Target(a, false), .properties = {"PR9"}}, r)
                  .find("store->store and load->load not enumerated"),
              std::string::npos);
  }
}

// The reductions stay sound with the commit choices: with sleep sets and state hashing the search reaches exactly
// the final states of the search without either (every property, so no run stops the search).
TEST(StoreOrderExplore, ReducedSearchKeepsTheFinalStatesOfTheFullOne) {
  for (const Arch& a : {kPpc, kArm64}) {
    for (bool wmb : {false, true}) {
      ExploreOptions o;
      o.target = Target(a, wmb);
      o.preemptions = 2;
      o.properties = {"PR3"};  // never violated here: every schedule runs
      o.memory_bytes = 16 << 20;
      const ExploreResult reduced = Explore(Machine2(a), o);
      o.reduction = false;
      o.state_hashing = false;
      const ExploreResult full = Explore(Machine2(a), o);
      ASSERT_TRUE(reduced.exhaustive && full.exhaustive);
      EXPECT_EQ(reduced.final_states, full.final_states) << a.name << wmb;
      EXPECT_LE(reduced.schedules, full.schedules);
      // With the barrier: (0,0), (0,1), (1,1); without it also (1,0), a final state of its own (a second shutdown).
      EXPECT_EQ(full.distinct_final_states, wmb ? 1u : 2u) << a.name;
    }
  }
}

// DPOR assumes one next step per agent and does not see a store change other CPUs' invalidate queues: it is refused
// on powerpc and arm64 with memory_model ARCHITECTURE, oldest-first commits or not; x86 buffers keep it.
TEST(StoreOrderExplore, DporIsRefusedOnPowerpcAndArm64) {
  ExploreOptions o;
  o.target = Target(kPpc, false);
  o.dpor = true;
  o.preemptions = kNoPreemptionBound;
  o.properties = {"PR9"};
  EXPECT_THROW(Explore(Machine2(kPpc), o), std::invalid_argument);
  o.oldest_commit_only = true;
  EXPECT_THROW(Explore(Machine2(kPpc), o), std::invalid_argument);
  o.target = Target(kX86, false);
  const ExploreResult r = Explore(Machine2(kX86), o);
  EXPECT_FALSE(r.found);
  EXPECT_TRUE(r.exhaustive);
}

// The fingerprint includes every buffer's contents in order and each store's write-barrier epoch: two buffers with the
// same stores in another order, or separated by a barrier or not, are different states (their futures differ: which
// store may commit first). Fresh histories (the tracker saw no entry) leave only the machine's state to compare.
class ThreeSteps : public Program {
 public:
  enum Kind { kDataThenFlag, kFlagThenData, kDataWmbFlag };
  ThreeSteps(Machine& m, Kind k) : kind_(k), data_(m.NewVar("data", 0)), flag_(m.NewVar("flag", 0)) {}
  Task<> Start(Cpu& cpu) override {
    if (cpu.id() != 0) {
      co_await cpu.local("L", "private");  // something to run after cpu0's buffer drained
      co_return;
    }
    co_await cpu.write(kind_ == kFlagThenData ? flag_ : data_, 1, "W1");
    if (kind_ == kDataWmbFlag) {
      co_await cpu.write_barrier("W2");
    } else {
      co_await cpu.local("W2", "private");
    }
    co_await cpu.write(kind_ == kFlagThenData ? data_ : flag_, 1, "W3");
  }
  Task<> Interrupt(Cpu& /*cpu*/, Source /*s*/) override { co_return; }
  Task<> Software(Cpu& /*cpu*/, const pb::Event& /*e*/) override { co_return; }

 private:
  Kind kind_;
  Var& data_;
  Var& flag_;
};

uint64_t FingerprintWithBothStoresBuffered(ThreeSteps::Kind kind) {
  struct Stop {};
  struct RunCpu0 : SchedulePicker {
    const Machine* m = nullptr;
    uint64_t fp = 0;
    uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t /*step*/) override {
      if (runnable.front() == 0) return 0;
      EXPECT_EQ(m->cpu(0).store_buffer().size(), 2u);
      FactsBuilder facts(m->num_cpus());
      StateTracker fresh(m->num_cpus(), facts);
      fp = FullFingerprint(*m, fresh, facts.facts(), kNoCpu, {});
      throw Stop{};
    }
  } picker;
  RunOptions run;
  run.picker = &picker;
  Machine m(Machine2(kPpc), run);
  picker.m = &m;
  ThreeSteps program(m, kind);
  try {
    m.Run(program);
  } catch (const Stop&) {
  }
  return picker.fp;
}

TEST(StoreOrderExplore, TheFingerprintTellsBufferOrderAndEpochsApart) {
  const uint64_t in_order = FingerprintWithBothStoresBuffered(ThreeSteps::kDataThenFlag);
  EXPECT_NE(in_order, 0u);
  EXPECT_EQ(in_order, FingerprintWithBothStoresBuffered(ThreeSteps::kDataThenFlag));
  EXPECT_NE(in_order, FingerprintWithBothStoresBuffered(ThreeSteps::kFlagThenData));
  EXPECT_NE(in_order, FingerprintWithBothStoresBuffered(ThreeSteps::kDataWmbFlag));
}

// A commit is not in its CPU's history: cpu0 buffers data then flag, its buffer commits them in either order (the
// flag overtaking the data in one), cpu1's invalidate queue applies both entries oldest first, and the two states
// then meet (same memory, empty buffer and queue, same CPU steps).
uint64_t FingerprintAfterCommits(bool flag_first) {
  struct Stop {};
  struct Drive : SchedulePicker {
    const Machine* m = nullptr;
    StateTracker* tracker = nullptr;
    const FactsBuilder* facts = nullptr;
    bool flag_first = false;
    std::string_view commit;
    uint64_t fp = 0;
    uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t step) override {
      tracker->AtChoice(*m, kNoCpu);
      commit = {};
      if (step < 3) return 0;  // W1 data, W2, W3 flag: both buffered
      if (step < 5) {
        commit = (step == 3) == flag_first ? "flag" : "data";
        return m->num_cpus();  // cpu0's buffer
      }
      if (step < 7) return 2 * m->num_cpus() + 1;  // cpu1's invalidate queue
      EXPECT_EQ(runnable, std::vector<uint32_t>{1});
      fp = FullFingerprint(*m, *tracker, facts->facts(), kNoCpu, {});
      throw Stop{};
    }
    std::string_view Commit() const override { return commit; }
  } drive;
  const pb::Scenario s = Machine2(kPpc);
  FactsBuilder facts(2);
  StateTracker tracker(2, facts);
  RunOptions run;
  run.picker = &drive;
  run.observer = &tracker;
  Machine m(s, run);
  drive.m = &m;
  drive.tracker = &tracker;
  drive.facts = &facts;
  drive.flag_first = flag_first;
  ThreeSteps program(m, ThreeSteps::kDataThenFlag);
  try {
    m.Run(program);
  } catch (const Stop&) {
  }
  return drive.fp;
}

TEST(StoreOrderExplore, CommitOrdersThatReachTheSameStateMeet) {
  const uint64_t in_order = FingerprintAfterCommits(false);
  EXPECT_NE(in_order, 0u);
  EXPECT_EQ(in_order, FingerprintAfterCommits(true));
}

}  // namespace
}  // namespace crashdiff
