// The core-level part of powerpc idle (targets/ppc/idle_p9_core.cc): a POWER9 core goes no deeper than its
// shallowest thread, the woken thread's PSSCR[PLS] says how deep it went and the kernel restores by it; a core in a
// state with OPAL_PM_DEC_STOP (POWER9 stop8/stop11, POWER8 fast sleep / winkle) stops its threads' decrementers
// from the moment its last thread enters until its first thread wakes, after which they count on from what they
// held (nothing on the wake path writes the DEC).
#include <gtest/gtest.h>

#include <string>

#include "diff/runner.h"
#include "sim/scenario_io.h"
#include "targets/ppc/ppc_kernel.h"
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

// skiboot hw/slw.c power9_cpu_idle_states / power8_cpu_idle_states, as device-tree entries.
constexpr const char* kStop0 =
    "idle_states { name: \"stop0\" flags: 0x101000 psscr_val: 0x300330 residency_ns: 20000 } ";
constexpr const char* kStop11 =
    "idle_states { name: \"stop11\" flags: 0x207003 psscr_val: 0x3003BB residency_ns: 100000000 } ";
constexpr const char* kFastSleep = "idle_states { name: \"fastsleep_\" flags: 0x81003 residency_ns: 300000000 } ";

std::string Machine(const char* platform, const std::string& firmware, const std::string& topology) {
  return std::string("machine { family: PPC platform: ") + platform + " " + topology + " firmware { " + firmware +
         "} } ";
}
std::string P9(const std::string& topology, const std::string& events = "") {
  return Machine("POWER9_DOORBELL_XIVE", std::string(kStop0) + kStop11, topology) + events;
}

const char* Era(ppc::IdleRestore r) {
  return r == ppc::IdleRestore::kAsm ? "asm" : "C";
}

// stop11 beside a running sibling: the thread stops at thread level (PLS 1), the core never enters stop11, so the
// wake restores nothing. C: atomic_stop_thread_idle sets the thread bit back, no lock, no LPCR write; asm:
// pnv_restore_hyp_resource_arch300 returns at once and leaves the bit lwarx_loop_stop cleared.
TEST(PpcIdleCoreLevel, Stop11BesideARunningSiblingLosesNothing) {
  const pb::Scenario s = ScenarioFromText(P9("cores: 1 threads_per_core: 2 offline: 1") +
                                          "events { kind: STRAY_DOORBELL cpus: 1 trigger { at_time_ns: 20000 } }");
  for (const ppc::IdleRestore restore : {ppc::IdleRestore::kAsm, ppc::IdleRestore::k10d91611}) {
    SCOPED_TRACE(Era(restore));
    const RunResult r = RunWithIdleRestore(restore, s);
    EXPECT_GE(CountSteps(r, 1, TraceKind::kHw, "L2h9", "core 0 stays up: 1 of 2 threads in stop"), 1);
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kHw, "L2h9", "the core enters"), 0);
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kWake, "L2", "stop wake HDOORBELL"), 1);
    // No lock, no restore of any kind after the wake.
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kLocal, "L2r", "per-core SPRs"), 0);
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kLocal, "L2r", "opal_resync_timebase"), 0);
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kLocal, "L2r", "LPCR"), 0);
    const size_t wake = FirstStep(r, 1, "L2", "stop wake HDOORBELL");
    ASSERT_LT(wake, r.trace.entries().size());
    int after = 0;
    for (size_t i = wake; i < r.trace.entries().size(); ++i) {
      const TraceEntry& e = r.trace.entries()[i];
      after += e.cpu == 1 && e.label == "L2r";
    }
    if (restore == ppc::IdleRestore::k10d91611) {
      EXPECT_EQ(after, 1);  // the set_bit, not the lock's read + cmpxchg
    } else {
      EXPECT_EQ(after, 1);
      EXPECT_EQ(CountSteps(r, 1, TraceKind::kLocal, "L2r", "thread bit not set back"), 1);
    }
  }
}

// Both threads of core 4 offline, the only core of its quad (cores 5-7 absent: stop11 is the core's alone): the
// last one in takes the core into stop11; both report PLS 11. The first to wake (thread 9, brought online)
// restores the core (per-core SPRs, timebase); thread 8, woken later while its sibling runs, still restores its
// own SPRs (its PLS says 11) but not the core's.
TEST(PpcIdleCoreLevel, WholeCoreInStop11EveryThreadRestoresByItsPls) {
  const pb::Scenario s = ScenarioFromText(P9("cores: 5 threads_per_core: 2 offline: 8 offline: 9") +
                                          "events { kind: HOTPLUG_UP cpus: 0 cpus: 9 trigger { at_time_ns: 20000 } } "
                                          "events { kind: STRAY_DOORBELL cpus: 8 trigger { at_time_ns: 2000000 } }");
  for (const ppc::IdleRestore restore : {ppc::IdleRestore::kAsm, ppc::IdleRestore::k10d91611}) {
    const bool c = restore == ppc::IdleRestore::k10d91611;
    SCOPED_TRACE(Era(restore));
    const RunResult r = RunWithIdleRestore(restore, s);
    EXPECT_EQ(CountSteps(r, 8, TraceKind::kHw, "L2h9", "the core enters stop11") +
                  CountSteps(r, 9, TraceKind::kHw, "L2h9", "the core enters stop11"),
              1);  // only while both were offline
    EXPECT_GE(CountSteps(r, 8, TraceKind::kHw, "L2h9", "core 4 stays up"), 1);
    EXPECT_EQ(CountSteps(r, 9, TraceKind::kLocal, "L2r", "opal_resync_timebase"), 1);
    EXPECT_EQ(CountSteps(r, 9, TraceKind::kLocal, "L2r", "per-core SPRs"), 1);
    EXPECT_EQ(CountSteps(r, 8, TraceKind::kLocal, "L2r", "opal_resync_timebase"), 0);
    EXPECT_EQ(CountSteps(r, 8, TraceKind::kLocal, "L2r", "per-core SPRs"), 0);
    EXPECT_EQ(CountSteps(r, 8, TraceKind::kLocal, "L2r", c ? "sprs.lpcr" : "_LPCR"), 1);
  }
}

// ---- Decrementers of a core in a DEC_STOP state ----

size_t DecLatch(const RunResult& r, uint32_t cpu) {
  return FirstStep(r, kNoCpu, "DEC", "DEC latched cpu" + std::to_string(cpu));
}

// POWER9 stop11 (DEC_STOP) beside a running sibling: the core never gets there, the offline thread's DEC counts
// and latches at 10 ms. With the whole core offline (core 4, alone in its quad) it stops; the first thread brought
// back (20 ms) takes the core out and both decrementers count on: each latches 10 ms later.
TEST(PpcIdleCoreLevel, P9DecStopsOnlyWhileTheCoreIsInTheState) {
  const RunResult shared =
      RunOn("ppc-upstream-clear-then-check",
            ScenarioFromText(P9("cores: 1 threads_per_core: 2 offline: 1 offline_dec_ns: 10000000")));
  const size_t d = DecLatch(shared, 1);
  ASSERT_LT(d, shared.trace.entries().size());
  EXPECT_EQ(shared.trace.entries()[d].time_ns, 10000000u);

  const RunResult whole =
      RunOn("ppc-upstream-clear-then-check",
            ScenarioFromText(P9("cores: 5 threads_per_core: 2 offline: 8 offline: 9 offline_dec_ns: 10000000",
                                "events { kind: HOTPLUG_UP cpus: 0 cpus: 9 trigger { at_time_ns: 20000000 } }")));
  EXPECT_EQ(CountSteps(whole, 9, TraceKind::kHw, "L2h9", "the decrementers count again") +
                CountSteps(whole, kNoCpu, TraceKind::kHw, "L2h9", "the decrementers count again"),
            1);
  for (const uint32_t cpu : {8u, 9u}) {
    const size_t i = DecLatch(whole, cpu);
    ASSERT_LT(i, whole.trace.entries().size()) << cpu;
    EXPECT_GE(whole.trace.entries()[i].time_ns, 30000000u) << cpu;
  }
}

// POWER8 fast sleep (DEC_STOP): the same, where the core's state is decided by P8HwEnter.
TEST(PpcIdleCoreLevel, P8FastSleepStopsTheCoresDecrementers) {
  // Without nap in the table power7_offline_type is sleep.
  const std::string sleep_only = kFastSleep;
  const RunResult shared =
      RunOn("ppc-upstream-clear-then-check",
            ScenarioFromText(Machine("POWER8_XICS", sleep_only,
                                     "cores: 1 threads_per_core: 2 offline: 1 offline_dec_ns: 10000000")));
  const size_t d = DecLatch(shared, 1);
  ASSERT_LT(d, shared.trace.entries().size());
  EXPECT_EQ(shared.trace.entries()[d].time_ns, 10000000u);

  const RunResult whole =
      RunOn("ppc-upstream-clear-then-check",
            ScenarioFromText(Machine("POWER8_XICS", sleep_only,
                                     "cores: 2 threads_per_core: 2 offline: 2 offline: 3 offline_dec_ns: 10000000") +
                             "events { kind: HOTPLUG_UP cpus: 0 cpus: 3 trigger { at_time_ns: 20000000 } }"));
  EXPECT_GE(CountSteps(whole, kNoCpu, TraceKind::kHw, "L2h8", "the decrementers stop") +
                CountSteps(whole, 2, TraceKind::kHw, "L2h8", "the decrementers stop") +
                CountSteps(whole, 3, TraceKind::kHw, "L2h8", "the decrementers stop"),
            1);
  for (const uint32_t cpu : {2u, 3u}) {
    const size_t i = DecLatch(whole, cpu);
    ASSERT_LT(i, whole.trace.entries().size()) << cpu;
    EXPECT_GE(whole.trace.entries()[i].time_ns, 30000000u) << cpu;
  }
}

}  // namespace
}  // namespace crashdiff
