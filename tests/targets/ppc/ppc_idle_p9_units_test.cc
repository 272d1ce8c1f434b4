// POWER9 stop levels owned by bigger units than the core (targets/ppc/idle_p9_core.cc): stop8 is the EX's (the core
// pair 2k, 2k+1 sharing an L2), stop11 the quad's (cores 4k..4k+3 sharing the L3). A core whose EX or quad is not
// all in reaches only what it can alone (stop5, or stop8 with its pair); the level reached decides PSSCR[PLS], the
// kernel's restore and whether the DECs are held; a wake takes the waking core's EX and quad out, the other cores
// stay stopped at what they reach without it.
#include <gtest/gtest.h>

#include <string>

#include "diff/runner.h"
#include "sim/scenario_io.h"
#include "targets/ppc/idle_states.h"
#include "tests/fixtures/ppc_test_util.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

using testing::CountSteps;
using testing::FirstStep;
using testing::RunOn;
using testing::RunWithIdleRestore;
using testing::ScenarioFromText;

// skiboot hw/slw.c power9_cpu_idle_states, as device-tree entries: stop4 loses full context but keeps the DEC and
// the timebase; stop11 stops both.
constexpr const char* kTable =
    "idle_states { name: \"stop0\" flags: 0x101000 psscr_val: 0x300330 residency_ns: 20000 } "
    "idle_states { name: \"stop4\" flags: 0x207000 psscr_val: 0x300374 residency_ns: 10000000 } "
    "idle_states { name: \"stop11\" flags: 0x207003 psscr_val: 0x3003BB residency_ns: 100000000 } ";

pb::Scenario P9(const std::string& topology, const std::string& events = "") {
  return ScenarioFromText(std::string("machine { family: PPC platform: POWER9_DOORBELL_XIVE ") + topology +
                          " firmware { " + kTable + "} } " + events);
}

// Entries of any CPU with this kind and label containing detail.
int CountAll(const RunResult& r, TraceKind kind, const std::string& label, const std::string& detail) {
  int n = 0;
  for (const TraceEntry& e : r.trace.entries()) {
    n += e.kind == kind && e.label == label && e.detail.find(detail) != std::string::npos;
  }
  return n;
}

size_t DecLatch(const RunResult& r, uint32_t cpu) {
  return FirstStep(r, kNoCpu, "DEC", "DEC latched cpu" + std::to_string(cpu));
}

TEST(PpcIdleP9Units, ReachByCorePairAndQuad) {
  using ppc::P9CoreReach;
  EXPECT_EQ(P9CoreReach(2, 0, 0), 2u);
  EXPECT_EQ(P9CoreReach(3, 3, 3), 2u);     // the CME rounds stop3 to stop2
  EXPECT_EQ(P9CoreReach(4, 0, 0), 4u);
  EXPECT_EQ(P9CoreReach(7, 7, 7), 5u);     // 5-7: stop5, the core's deepest
  EXPECT_EQ(P9CoreReach(11, 0, 0), 5u);    // the pair core runs: alone
  EXPECT_EQ(P9CoreReach(11, 5, 5), 5u);    // the pair core stopped shallower
  EXPECT_EQ(P9CoreReach(8, 11, 0), 8u);    // the EX: both cores at 8 or deeper
  EXPECT_EQ(P9CoreReach(11, 8, 8), 8u);    // the quad needs all four at 11
  EXPECT_EQ(P9CoreReach(11, 11, 0), 8u);
  EXPECT_EQ(P9CoreReach(11, 11, 11), 11u);
  EXPECT_EQ(P9CoreReach(15, 15, 15), 11u);  // 12-15: recorded as stop11
  EXPECT_EQ(P9CoreReach(9, 15, 15), 8u);
}

// Core 1 requests stop11 while its pair core 0 runs: it stops alone at stop5 (powered off: hypervisor state lost,
// but not the timebase nor the DEC). Its threads read PLS 5: at or above the kernel's first SPR-loss level (stop4)
// they restore, the first one the core's SPRs, but 5 is below the first timebase-loss level (stop11): no resync.
TEST(PpcIdleP9Units, LoneCoreRequestingStop11ReachesStop5) {
  const pb::Scenario s = P9("cores: 2 threads_per_core: 2 offline: 2 offline: 3",
                            "events { kind: STRAY_DOORBELL cpus: 2 trigger { at_time_ns: 20000 } }");
  const RunResult r = RunWithIdleRestore(ppc::IdleRestore::k10d91611, s);
  EXPECT_GE(CountAll(r, TraceKind::kHw, "L2h9",
                     "core 1: every thread in stop, the core enters stop5 (requested stop11: its pair core 0"),
            1);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "enters stop8"), 0);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "enters stop11"), 0);
  EXPECT_EQ(CountSteps(r, 2, TraceKind::kLocal, "L2r", "per-core SPRs"), 1);
  EXPECT_EQ(CountSteps(r, 2, TraceKind::kLocal, "L2r", "opal_resync_timebase"), 0);
  EXPECT_EQ(CountSteps(r, 2, TraceKind::kLocal, "L2r", "sprs.lpcr"), 1);

  // Its DECs keep counting: stop5 does not hold them.
  const RunResult d = RunOn("ppc-upstream-clear-then-check",
                            P9("cores: 2 threads_per_core: 2 offline: 2 offline: 3 offline_dec_ns: 10000000"));
  EXPECT_EQ(CountAll(d, TraceKind::kHw, "L2h9", "the decrementers stop"), 0);
  for (const uint32_t cpu : {2u, 3u}) {
    const size_t i = DecLatch(d, cpu);
    ASSERT_LT(i, d.trace.entries().size()) << cpu;
    EXPECT_EQ(d.trace.entries()[i].time_ns, 10000000u) << cpu;
  }
}

// Cores 2 and 3 (EX 1) both offline beside running cores 0 and 1: the first stops alone at stop5; when the second
// stops the EX enters stop8 and takes the first with it (its PLS goes to 8, its DECs are held from then on); the
// quad is not all in: nobody reaches stop11.
TEST(PpcIdleP9Units, PairCoreEnteringTakesTheExToStop8) {
  const RunResult r = RunOn("ppc-upstream-clear-then-check",
                            P9("cores: 4 threads_per_core: 1 offline: 2 offline: 3 offline_dec_ns: 10000000"));
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "the core enters stop5 (requested stop11: its pair core"), 1);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "the core enters stop8 (requested stop11: not all cores of quad 0"),
            1);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "goes to stop8 with its EX 1"), 1);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "stop11 ("), 0);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "in stop8 (stop11) (OPAL_PM_DEC_STOP): the decrementers stop"), 2);
  for (const uint32_t cpu : {2u, 3u}) EXPECT_EQ(DecLatch(r, cpu), r.trace.entries().size()) << cpu;
}

// A core whose pair core the chip does not have (cores: 3) is its EX alone: stop8 without a partner.
TEST(PpcIdleP9Units, AbsentPairCoreCountsAsStopped) {
  const RunResult r = RunOn("ppc-upstream-clear-then-check", P9("cores: 3 threads_per_core: 1 offline: 2"));
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "core 2: every thread in stop, the core enters stop8"), 1);
}

// Quad 1 (cores 4-7) all offline: the last one in takes the quad to stop11 and the other three with it. Core 4
// brought online (20 ms) takes its EX and the quad out: its pair core 5 stays stopped at stop5, cores 6 and 7 (the
// other EX) at stop8; their PLS keeps 11 and their DECs stay held until their own wake. Core 5 woken (40 ms) reads
// PLS 11: it restores and resyncs the timebase, and its DEC counts on from what it held.
TEST(PpcIdleP9Units, QuadStop11AndAWakeTakesOnlyItsExAndQuadOut) {
  const pb::Scenario s =
      P9("cores: 8 threads_per_core: 1 offline: 4 offline: 5 offline: 6 offline: 7 offline_dec_ns: 10000000",
         "events { kind: HOTPLUG_UP cpus: 0 cpus: 4 trigger { at_time_ns: 20000000 } } "
         "events { kind: STRAY_DOORBELL cpus: 5 trigger { at_time_ns: 40000000 } }");
  const RunResult r = RunWithIdleRestore(ppc::IdleRestore::k10d91611, s);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "every thread in stop, the core enters stop11"), 1);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "goes to stop11 with its quad 1"), 3);
  EXPECT_EQ(CountSteps(r, 4, TraceKind::kHw, "L2h9", "core 5 stays stopped at stop5: its quad 1 left stop11"), 1);
  EXPECT_EQ(CountSteps(r, 4, TraceKind::kHw, "L2h9", "core 6 stays stopped at stop8: its quad 1 left stop11"), 1);
  EXPECT_EQ(CountSteps(r, 4, TraceKind::kHw, "L2h9", "core 7 stays stopped at stop8"), 1);
  EXPECT_EQ(CountSteps(r, 5, TraceKind::kLocal, "L2r", "opal_resync_timebase"), 1);
  EXPECT_EQ(CountSteps(r, 5, TraceKind::kHw, "L2h9", "core 5 leaves stop11: the decrementers count again"), 1);
  for (const uint32_t cpu : {6u, 7u}) EXPECT_EQ(DecLatch(r, cpu), r.trace.entries().size()) << cpu;
  const size_t d5 = DecLatch(r, 5);
  ASSERT_LT(d5, r.trace.entries().size());
  EXPECT_GE(r.trace.entries()[d5].time_ns, 50000000u);
}

// The seed: EX 1 (cores 2-3) reaches stop8 together, quad 1 (cores 4-7) stop11; core 4 brought online takes only
// its EX and quad out; the crash still hands over.
TEST(PpcIdleP9Units, SeedPairAndQuad) {
  LoadResult l = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) +
                                  "/corpus/seeds/ppc/p9_pair_stop8_quad_stop11_one_wake.textproto");
  ASSERT_TRUE(l.errors.empty()) << l.errors.front();
  const RunResult r = RunOn("ppc-upstream-clear-then-check", *l.scenario);
  EXPECT_TRUE(r.handed_over);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "core 2 goes to stop8 with its EX 1"), 1);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "goes to stop11 with its quad 1"), 3);
  EXPECT_EQ(CountAll(r, TraceKind::kHw, "L2h9", "core 5 stays stopped at stop5: its quad 1 left stop11"), 1);
}

}  // namespace
}  // namespace crashdiff
