// Commuting atomics in the fine relation (docs/EXPLORE.md, "Commuting atomics"): result-less adds of one variable,
// and set / clear / test of different bits of one word, are independent; fetch_add, whose result the model uses, is
// not. Checked on small programs of the test's own (a test-only target registered here) and on the ppc lost-wake
// bench, whose receivers now use them: the reduced searches still agree with the unreduced one, the v1 lost wake is
// still found, and the upstream search needs far fewer schedules than with value-returning atomics.
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

using testing::LoadWithoutSchedule;
using testing::ScenarioFromText;

enum class Kind { kAtomicAdd, kFetchAdd, kOwnBits, kSameBit };

// Every CPU updates one shared word, then does a private step (so that its update is not the run's last step, which
// counts as global). kFetchAdd keeps the old value in a variable of its own: the result is used.
class UpdateProgram : public Program {
 public:
  UpdateProgram(Machine& m, Kind kind) : kind_(kind), word_(m.NewVar("word", 0)) {
    for (uint32_t c = 0; c < m.num_cpus(); ++c) seen_.push_back(&m.NewVar("seen", 0));
  }
  Task<> Start(Cpu& cpu) override {
    switch (kind_) {
      case Kind::kAtomicAdd: co_await cpu.atomic_add(word_, 1, "U"); break;
      case Kind::kFetchAdd: {
        const int64_t old = co_await cpu.fetch_add(word_, 1, "U");
        co_await cpu.write(*seen_[cpu.id()], old, "K");
        break;
      }
      case Kind::kOwnBits:
        if (!co_await cpu.test_bit(word_, cpu.id(), "T")) co_await cpu.set_bit(word_, cpu.id(), "U");
        break;
      case Kind::kSameBit:
        if (!co_await cpu.test_bit(word_, 0, "T")) co_await cpu.set_bit(word_, 0, "U");
        break;
    }
    co_await cpu.local("L", "private");
  }
  Task<> Interrupt(Cpu& /*cpu*/, Source /*s*/) override { co_return; }
  Task<> Software(Cpu& /*cpu*/, const pb::Event& /*e*/) override { co_return; }

 private:
  Kind kind_;
  Var& word_;
  std::vector<Var*> seen_;
};

const char* TargetFor(Kind kind) {
  static const bool registered = [] {
    static const auto spec = [](const char* name, Kind kind) {
      return testing::TestProgramSpec(
          name, [kind](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<UpdateProgram>(m, kind); });
    };
    static const TargetSpec add = spec("test-atomic-add", Kind::kAtomicAdd);
    static const TargetSpec fetch = spec("test-fetch-add", Kind::kFetchAdd);
    static const TargetSpec bits = spec("test-own-bits", Kind::kOwnBits);
    static const TargetSpec same = spec("test-same-bit", Kind::kSameBit);
    return RegisterTarget(add) && RegisterTarget(fetch) && RegisterTarget(bits) && RegisterTarget(same);
  }();
  (void)registered;
  switch (kind) {
    case Kind::kAtomicAdd: return "test-atomic-add";
    case Kind::kFetchAdd: return "test-fetch-add";
    case Kind::kOwnBits: return "test-own-bits";
    case Kind::kSameBit: return "test-same-bit";
  }
  return "";
}

pb::Scenario Cpus(uint32_t n) {
  return ScenarioFromText(
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE threads_per_core: 1 cores: " + std::to_string(n) + " }");
}

ExploreResult Dpor(Kind kind, uint32_t cpus, bool reduction = true) {
  ExploreOptions o;
  o.target = TargetFor(kind);
  o.dpor = reduction;
  o.preemptions = kNoPreemptionBound;
  o.reduction = reduction;
  o.state_hashing = false;
  o.properties = {"PR3"};
  return Explore(Cpus(cpus), o);
}

// DPOR explores one order of the result-less adds (n CPUs: the schedules the global last step asks for, the same
// for every n here) but every order of the fetch_adds whose results are used (n! of them, at least).
TEST(CommutingAtomics, DporExploresOneOrderOfAtomicAddsAndEveryOrderOfFetchAdds) {
  for (uint32_t n : {2u, 3u}) {
    const ExploreResult add = Dpor(Kind::kAtomicAdd, n);
    const ExploreResult fetch = Dpor(Kind::kFetchAdd, n);
    ASSERT_TRUE(add.exhaustive && fetch.exhaustive) << n;
    EXPECT_GE(fetch.schedules, n == 2 ? 2u : 6u) << n;
    EXPECT_LT(add.schedules, fetch.schedules) << n;
    // The adds' schedules differ only in where the last, global, step goes: not in the order of the adds.
    EXPECT_LE(add.schedules, static_cast<uint64_t>(n)) << n;
  }
}

// Set-bit of each CPU's own bit after testing it: independent. The same bit: each CPU's test sees the other's set,
// so both orders are explored.
TEST(CommutingAtomics, BitsOfDifferentCpusCommuteTheSameBitDoesNot) {
  const ExploreResult own = Dpor(Kind::kOwnBits, 3);
  const ExploreResult same = Dpor(Kind::kSameBit, 3);
  ASSERT_TRUE(own.exhaustive && same.exhaustive);
  EXPECT_LE(own.schedules, 3u);
  EXPECT_GT(same.schedules, own.schedules);
}

// The reduction is sound on these programs: DPOR reaches the final states of the search without any reduction.
TEST(CommutingAtomics, DporKeepsTheFinalStatesOfTheUnreducedSearch) {
  for (Kind k : {Kind::kAtomicAdd, Kind::kFetchAdd, Kind::kOwnBits, Kind::kSameBit}) {
    const ExploreResult reduced = Dpor(k, 3);
    const ExploreResult full = Dpor(k, 3, /*reduction=*/false);
    ASSERT_TRUE(reduced.exhaustive && full.exhaustive);
    EXPECT_EQ(reduced.final_states, full.final_states) << TargetFor(k);
    EXPECT_LE(reduced.schedules, full.schedules) << TargetFor(k);
  }
}

// The ppc receivers (R2 test_bit / set_bit, R3 atomic_inc) and the state summary's abstractions (PR11's answer in
// place of the wake and park times; the firmware bits of the CPUs a step read): with state hashing, the upstream
// search at 4 offline, K = 1, ends in a fraction of the 107,841 schedules it needed when R2 and R3 handed back the
// values (docs/EXPLORE.md, "Commuting atomics"), and the incremental fingerprint still equals the full recomputation.
TEST(CommutingAtomics, UpstreamLostWakeBenchMeets) {
  ExploreOptions o;
  o.target = "ppc-upstream-clear-then-check";
  o.preemptions = 1;
  o.properties = {"PR3"};
  o.verify_fingerprints = true;
  const ExploreResult r = Explore(LoadWithoutSchedule("/bench/explore/lost_wake_4_offline.textproto"), o);
  EXPECT_FALSE(r.found);
  EXPECT_TRUE(r.exhaustive);
  EXPECT_EQ(r.fingerprint_mismatches, 0u);
  EXPECT_LT(r.schedules, 1'000u);  // 288 measured (2026-12-04)
}

// With state hashing and the fine relation the bounded search still reaches exactly the final states of the search
// without any reduction, and the v1 lost wake is still found and replayed.
TEST(CommutingAtomics, BoundedSearchAgreesWithTheUnreducedOneOnTheBench) {
  for (const char* target : {"ppc-upstream-clear-then-check", "ppc-v1-check-before-clear"}) {
    const pb::Scenario s = LoadWithoutSchedule("/bench/explore/lost_wake_2_offline.textproto");
    ExploreOptions o;
    o.target = target;
    o.preemptions = 1;
    o.properties = {"PR3"};
    ExploreOptions none = o;
    none.reduction = false;
    none.state_hashing = false;
    const ExploreResult reduced = Explore(s, o);
    const ExploreResult full = Explore(s, none);
    EXPECT_EQ(reduced.found, full.found) << target;
    if (full.found) {
      EXPECT_TRUE(reduced.reproducer_replays) << target;
      continue;
    }
    ASSERT_TRUE(reduced.exhaustive && full.exhaustive) << target;
    EXPECT_EQ(reduced.final_states, full.final_states) << target;
    EXPECT_LT(reduced.schedules, full.schedules) << target;
  }
}

// PR11's times in the state summary: once a woken CPU parked, only PR11's answer is kept (ParkedInTimeAfterWake). On
// x86 normal-kexec scenarios, on a target that kicks (x86-mwait-fixed: the 2023 fix's smp_kick_mwait_play_dead), the
// search with state hashing and sleep sets gives the verdict of the search without either (a PR11 violation on the
// kexec-vs-panic finding, whose panicking CPU kicks while the kexec CPU relocates) and, when clean, its final states.
TEST(CommutingAtomics, Pr11AnswerInPlaceOfTimesKeepsTheVerdict) {
  bool found_some = false;
  for (const char* file : {"seeds/x86/pr11_kick_before_monitor_armed", "seeds/x86/h_kexec_offline_mwait",
                           "findings/x86/kexec_reboot_races_panic_offline_mwait"}) {
    const pb::Scenario s = LoadWithoutSchedule(std::string("/corpus/") + file + ".textproto");
    for (uint32_t k : {1u, 2u}) {
      ExploreOptions o;
      o.target = "x86-mwait-fixed";
      o.preemptions = k;
      o.properties = {"PR11"};
      o.verify_fingerprints = true;
      ExploreOptions none = o;
      none.reduction = false;
      none.state_hashing = false;
      const ExploreResult hashed = Explore(s, o);
      const ExploreResult full = Explore(s, none);
      const std::string what = std::string(file) + " K=" + std::to_string(k);
      EXPECT_EQ(hashed.fingerprint_mismatches, 0u) << what;
      EXPECT_EQ(hashed.found, full.found) << what;
      found_some |= full.found;
      if (full.found) continue;
      ASSERT_TRUE(hashed.exhaustive && full.exhaustive) << what;
      EXPECT_EQ(hashed.final_states, full.final_states) << what;
    }
  }
  EXPECT_TRUE(found_some);
}

}  // namespace
}  // namespace crashdiff
