// Persistent sets at free switches (docs/EXPLORE.md, "Persistent sets at free switches"): at a free switch the
// search takes only its first choice c when a probe run shows that nothing the other CPUs can do there without c is
// dependent with c's segment, and that nobody waiting there can wake. On instances small enough to run every
// schedule within the bound, the search must reach exactly the final states and the verdicts of the search without
// reduction; small programs show each check of the probe keeping a final state that taking c alone would lose.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "explore/explorer.h"
#include "targets/target.h"
#include "tests/fixtures/explore_test_util.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::ExploreCase;
using testing::LoadWithoutSchedule;
using testing::LostWakeBench;
using testing::ScenarioFromText;
using testing::SmallExploreCases;

// cpu0 lets the others go, waits until count >= need, then reads y and parks where it shows what it read. cpu1 (the
// first choice at the free switch cpu0's wait makes) writes y, adds `own` to count and parks. The CPUs from 2 on each
// add their `adds` to count, one step each, and park. Nobody runs before cpu0 lets them go, so cpu0 reads y = 0 only
// when the others' adds wake it at that free switch before cpu1's write: if they can, the search must run them
// before cpu1 there too.
struct Waiter {
  int64_t need;
  bool declared;  // the wait is Cpu::wait_at_least (monotone in count); else an opaque wait_until
  int64_t own;    // cpu1's add
  std::vector<std::vector<int64_t>> adds;  // of cpu2, cpu3, ...
  int64_t sign = 1;  // -1: every add negated, and the wait is count <= -need (Cpu::wait_at_most when declared)
};

class WaiterProgram : public Program {
 public:
  WaiterProgram(Machine& m, Waiter w)
      : w_(std::move(w)), go_(m.NewVar("go", 0)), count_(m.NewVar("count", 0)), y_(m.NewVar("y", 0)) {}
  Task<> Start(Cpu& cpu) override {
    if (cpu.id() != 0) co_await cpu.wait_until([this] { return go_.value != 0; }, kForever, "G0");
    if (cpu.id() == 0) {
      co_await cpu.write(go_, 1, "G1");
      if (w_.declared && w_.sign > 0) {
        co_await cpu.wait_at_least(count_, w_.need, kForever, "W0");
      } else if (w_.declared) {
        co_await cpu.wait_at_most(count_, -w_.need, kForever, "W0");
      } else {
        co_await cpu.wait_until([this] { return count_.value * w_.sign >= w_.need; }, kForever, "W0");
      }
      const int64_t seen = co_await cpu.read(y_, "W1");
      co_await cpu.park(seen != 0 ? Location::kTransit : Location::kOfflineLoop, "W2");
    } else if (cpu.id() == 1) {
      co_await cpu.write(y_, 1, "A1");
      if (w_.own != 0) co_await cpu.atomic_add(count_, w_.own * w_.sign, "A2");
      co_await cpu.park(Location::kOfflineLoop, "A3");
    } else if (cpu.id() - 2 < w_.adds.size()) {
      for (int64_t add : w_.adds[cpu.id() - 2]) co_await cpu.atomic_add(count_, add * w_.sign, "B1");
      co_await cpu.park(Location::kOfflineLoop, "B2");
    }
  }
  Task<> Interrupt(Cpu& /*cpu*/, Source /*s*/) override { co_return; }
  Task<> Software(Cpu& /*cpu*/, const pb::Event& /*e*/) override { co_return; }

 private:
  Waiter w_;
  Var& go_;
  Var& count_;
  Var& y_;
};

// One registered target per shape (targets are looked up by name).
const char* WaiterTarget(const char* name, const Waiter& w) {
  static std::vector<std::unique_ptr<TargetSpec>> specs;
  for (const auto& s : specs) {
    if (s->name == name) return name;
  }
  specs.push_back(std::make_unique<TargetSpec>(testing::TestProgramSpec(
      name, [w](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<WaiterProgram>(m, w); })));
  RegisterTarget(*specs.back());
  return name;
}

ExploreResult RunWaiter(const char* target, uint32_t cpus, uint32_t k, bool reduction, bool persistent) {
  ExploreOptions o;
  o.target = target;
  o.preemptions = k;
  o.reduction = reduction;
  o.persistent_sets = persistent;
  o.state_hashing = false;
  o.properties = {"none"};  // no violation stops the search: every final state is reached
  return Explore(ScenarioFromText("machine { family: PPC platform: POWER9_DOORBELL_XIVE threads_per_core: 1 cores: " +
                                  std::to_string(cpus) + " }"),
                 o);
}

// cpu2's add alone wakes cpu0: the probe sees the waiter wake without cpu1 and the search keeps both orders.
TEST(PersistentSets, AWaiterTheOthersCanWakeKeepsTheOtherChoices) {
  const char* t = WaiterTarget("test-persistent-wakes", Waiter{1, true, 0, {{1}}});
  const ExploreResult full = RunWaiter(t, 3, 0, false, false);
  const ExploreResult reduced = RunWaiter(t, 3, 0, true, true);
  ASSERT_TRUE(full.exhaustive && reduced.exhaustive);
  EXPECT_EQ(full.final_states.size(), 2u);
  EXPECT_EQ(reduced.final_states, full.final_states);
  EXPECT_EQ(reduced.persistent_covered, 0u);
}

// count >= 2 needs cpu1's add too: no schedule without cpu1 wakes cpu0, the probe covers the free switch and the
// other order is not run. The same wait, undeclared, reads a variable the others write: no cover.
TEST(PersistentSets, AMonotoneWaitThatNeedsTheFirstChoiceIsCovered) {
  for (int64_t sign : {1, -1}) {  // count >= 2 (wait_at_least), count <= -2 (wait_at_most)
    const char* declared = WaiterTarget(sign > 0 ? "test-persistent-needs-c" : "test-persistent-needs-c-down",
                                        Waiter{2, true, 1, {{1}}, sign});
    const ExploreResult full = RunWaiter(declared, 3, 1, false, false);
    const ExploreResult without = RunWaiter(declared, 3, 1, true, false);
    const ExploreResult with = RunWaiter(declared, 3, 1, true, true);
    ASSERT_TRUE(full.exhaustive && without.exhaustive && with.exhaustive) << sign;
    EXPECT_EQ(full.final_states.size(), 1u) << sign;
    EXPECT_EQ(with.final_states, full.final_states) << sign;
    EXPECT_GT(with.persistent_covered, 0u) << sign;
    EXPECT_GT(with.persistent_pruned, 0u) << sign;
    EXPECT_LT(with.schedules + with.sleep_blocked, without.schedules + without.sleep_blocked) << sign;
  }
  const char* declared = WaiterTarget("test-persistent-needs-c", Waiter{2, true, 1, {{1}}});
  const ExploreResult full = RunWaiter(declared, 3, 1, false, false);

  const char* opaque = WaiterTarget("test-persistent-needs-c-opaque", Waiter{2, false, 1, {{1}}});
  const ExploreResult undeclared = RunWaiter(opaque, 3, 1, true, true);
  EXPECT_EQ(undeclared.final_states, full.final_states);
  EXPECT_EQ(undeclared.persistent_covered, 0u);
}

// cpu2 adds 2 then takes 2 away, cpu3 adds 1 then takes 1 away: one after the other they never reach 3, but with
// cpu2 preempted after its first add and cpu3 after its own, count is 3 and cpu0 can read y before cpu1 writes it
// (two preemptions). The probe's chain never wakes cpu0; the count falling is what keeps cpu1 from covering the
// others. (Three final states: cpu0 never wakes, or reads 0, or reads 1.)
TEST(PersistentSets, ACountThatFallsKeepsTheOtherChoices) {
  for (int64_t sign : {1, -1}) {  // count >= 3; count <= -3 with every add negated (then it rises back)
    const char* t = WaiterTarget(sign > 0 ? "test-persistent-falls" : "test-persistent-rises",
                                 Waiter{3, true, 0, {{2, -2}, {1, -1}}, sign});
    const ExploreResult full = RunWaiter(t, 4, 2, false, false);
    const ExploreResult reduced = RunWaiter(t, 4, 2, true, true);
    ASSERT_TRUE(full.exhaustive && reduced.exhaustive) << sign;
    EXPECT_EQ(full.final_states.size(), 3u) << sign;
    EXPECT_EQ(reduced.final_states, full.final_states) << sign;
  }
}

// The kdump models: with persistent sets (with and without state hashing) the search reaches every final state the
// unreduced search reaches and only those, with the same verdict for PR3 and for every property; the rule covers
// free switches on the lost-wake bench.
TEST(PersistentSets, KeepTheFinalStatesAndTheVerdictOfTheUnreducedSearch) {
  std::vector<ExploreCase> cases = SmallExploreCases();
  cases.push_back({"/corpus/seeds/x86/kdump_post_notifiers_never_started.textproto", "x86-mwait-fixed", 2});
  uint64_t covered = 0;
  for (const ExploreCase& c : cases) {
    const pb::Scenario s = LoadWithoutSchedule(c.file);
    const std::string what = c.file + " " + c.target + " K=" + std::to_string(c.k);
    auto options = [&c](bool reduction, bool persistent, bool hashing, std::vector<std::string> properties) {
      ExploreOptions o;
      o.target = c.target;
      o.preemptions = c.k;
      o.reduction = reduction;
      o.persistent_sets = persistent;
      o.state_hashing = hashing;
      o.properties = std::move(properties);
      return o;
    };
    const ExploreResult full = Explore(s, options(false, false, false, {"none"}));
    const ExploreResult plain = Explore(s, options(true, true, false, {"none"}));
    const ExploreResult hashed = Explore(s, options(true, true, true, {"none"}));
    ASSERT_TRUE(full.exhaustive && plain.exhaustive && hashed.exhaustive) << what;
    EXPECT_EQ(full.final_states, plain.final_states) << what;
    EXPECT_EQ(full.final_states, hashed.final_states) << what;
    covered += plain.persistent_covered + hashed.persistent_covered;
    for (const std::vector<std::string>& props : {std::vector<std::string>{"PR3"}, std::vector<std::string>{}}) {
      const ExploreResult a = Explore(s, options(false, false, false, props));
      const ExploreResult b = Explore(s, options(true, true, true, props));
      EXPECT_EQ(a.found, b.found) << what << (props.empty() ? " all" : " PR3");
      if (a.found && b.found) EXPECT_EQ(a.violations.front().property, b.violations.front().property) << what;
    }
  }
  EXPECT_GT(covered, 0u);
}

// On the bench at 4 offline (too long for the unreduced search): the same final states as without persistent sets,
// fewer states, and the v1 lost wake is still found with its reproducer replaying.
TEST(PersistentSets, FourOfflineKeepsTheFinalStatesWithFewerStates) {
  for (const char* target : {"ppc-upstream-clear-then-check", "ppc-v1-check-before-clear"}) {
    ExploreOptions o;
    o.target = target;
    o.preemptions = 1;
    o.properties = {"none"};
    o.persistent_sets = false;
    const pb::Scenario s = LoadWithoutSchedule(LostWakeBench(4));
    const ExploreResult before = Explore(s, o);
    o.persistent_sets = true;
    const ExploreResult after = Explore(s, o);
    ASSERT_TRUE(before.exhaustive && after.exhaustive) << target;
    EXPECT_EQ(before.final_states, after.final_states) << target;
    EXPECT_LT(after.distinct_states, before.distinct_states) << target;
  }
  ExploreOptions v1;
  v1.target = "ppc-v1-check-before-clear";
  v1.preemptions = 1;
  v1.properties = {"PR3"};
  const ExploreResult r = Explore(LoadWithoutSchedule(LostWakeBench(4)), v1);
  EXPECT_TRUE(r.found);
  EXPECT_TRUE(r.reproducer_replays);
}

}  // namespace
}  // namespace crashdiff
