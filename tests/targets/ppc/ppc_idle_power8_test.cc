// POWER8 sleep and winkle (targets/ppc/idle_power8.cc) and OPAL_PM_DEC_STOP (targets/ppc/idle_stop.cc): the core
// loses its state only once every thread of it is in the deep state (winkle: per-core and per-thread state; fast
// sleep: the timebase), the kernel's core idle word counts the winklers (asm: the ALL bit at 8; C: threads_per_core)
// and the first thread to wake restores under the core idle lock; in a DEC_STOP state the decrementer neither
// counts nor ends the stop.
#include <gtest/gtest.h>

#include <string>

#include "diff/runner.h"
#include "fuzz/mutator/fix.h"
#include "sim/scenario_io.h"
#include "sim/validate.h"
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

// skiboot's POWER8 table (hw/slw.c power8_cpu_idle_states).
constexpr const char* kNap = "idle_states { name: \"nap\" flags: 0x11000 residency_ns: 100000 } ";
constexpr const char* kFastSleep = "idle_states { name: \"fastsleep_\" flags: 0x81003 residency_ns: 300000000 } ";
constexpr const char* kWinkle = "idle_states { name: \"winkle\" flags: 0x47003 residency_ns: 1000000000 } ";

pb::Scenario P8(const std::string& table, const std::string& topology, const std::string& events) {
  return ScenarioFromText("machine { family: PPC platform: POWER8_XICS " + topology + " firmware { " + table + "} } " +
                          events);
}

constexpr const char* kPanic = "events { kind: PANIC cpus: 0 trigger { at_time_ns: 100000 } }";

int Count(const RunResult& r, uint32_t from, uint32_t to, const std::string& detail) {
  int n = 0;
  for (uint32_t c = from; c <= to; ++c) n += CountSteps(r, c, TraceKind::kLocal, "L2r8", detail);
  return n;
}

// One thread of the core winkles while its sibling runs: the core does not winkle, nothing is lost, and the wake
// (a stray doorbell) restores nothing: no timebase resync, no per-core or per-thread SPRs, in both eras.
TEST(PpcIdlePower8, WinkleKeepsCoreStateWhileASiblingRuns) {
  const pb::Scenario s = P8(std::string(kNap) + kFastSleep + kWinkle, "cores: 1 threads_per_core: 2 offline: 1",
                            "events { kind: STRAY_DOORBELL cpus: 1 trigger { at_time_ns: 20000 } }");
  for (const ppc::IdleRestore restore : {ppc::IdleRestore::kAsm, ppc::IdleRestore::k10d91611}) {
    SCOPED_TRACE(restore == ppc::IdleRestore::kAsm ? "asm" : "C");
    const RunResult r = RunWithIdleRestore(restore, s);
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kWake, "L2", "stop wake"), 1);
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kHw, "L2h8", "core 0 stays up: 1 of 2"), 2);  // asleep, and again
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kHw, "L2h8", "the core winkles"), 0);
    EXPECT_EQ(Count(r, 1, 1, "opal_resync_timebase"), 0);
    EXPECT_EQ(Count(r, 1, 1, "per-core SPRs"), 0);
    EXPECT_EQ(CountSteps(r, 1, TraceKind::kLocal, "L2r8", "per-thread SPRs"), 0);
    EXPECT_EQ(Count(r, 1, 1, "common_exit"), 0);
    EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw);  // asleep again
  }
}

// Every thread of core 1 winkles: the core winkles once the last is in. The crash wakes them; exactly one (the
// first to take the lock) resyncs the timebase. The C code counts to threads_per_core, so every waker sees its
// winkle bit (full winkle): per-core SPRs once, per-thread SPRs (its LPCR) in each. The asm's ALL bit is a count
// of 8: with two threads per core it never sees a full winkle (no per-core, no per-thread restore); with eight it
// does.
TEST(PpcIdlePower8, WholeCoreWinkleFirstWakerRestoresUnderTheLock) {
  const pb::Scenario two =
      P8(std::string(kNap) + kFastSleep + kWinkle, "cores: 2 threads_per_core: 2 offline: 2 offline: 3", kPanic);
  for (const ppc::IdleRestore restore : {ppc::IdleRestore::kAsm, ppc::IdleRestore::k10d91611}) {
    const bool c = restore == ppc::IdleRestore::k10d91611;
    SCOPED_TRACE(c ? "C" : "asm");
    const RunResult r = RunWithIdleRestore(restore, two);
    ASSERT_TRUE(r.handed_over);
    EXPECT_EQ(CountSteps(r, 3, TraceKind::kHw, "L2h8", "the core winkles"), 1);  // thread 3 entered last
    EXPECT_EQ(Count(r, 2, 3, "opal_resync_timebase"), 1);
    EXPECT_EQ(CountSteps(r, 3, TraceKind::kLocal, "L2c8", "FASTSLEEP, APPLY"), 1);  // the last thread in
    EXPECT_EQ(Count(r, 2, 3, "per-core SPRs TSCR, WORC"), c ? 1 : 0);
    EXPECT_EQ(CountSteps(r, 2, TraceKind::kLocal, "L2r8", "sprs.lpcr") +
                  CountSteps(r, 3, TraceKind::kLocal, "L2r8", "sprs.lpcr"),
              c ? 2 : 0);
    // The resync happens under the lock: before the first waker's unlock, which the second waits for.
    const uint32_t first = Count(r, 2, 2, "opal_resync_timebase") == 1 ? 2 : 3;
    const uint32_t second = first == 2 ? 3 : 2;
    EXPECT_LT(FirstStep(r, first, "L2r8", "opal_resync_timebase"), FirstStep(r, second, "L2r8", "paca.idle_state"));
  }
  const pb::Scenario eight = P8(std::string(kNap) + kFastSleep + kWinkle,
                                "cores: 2 threads_per_core: 8 offline: 8 offline: 9 offline: 10 offline: 11 "
                                "offline: 12 offline: 13 offline: 14 offline: 15",
                                kPanic);
  const RunResult r = RunWithIdleRestore(ppc::IdleRestore::kAsm, eight);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(Count(r, 8, 15, "opal_resync_timebase"), 1);
  EXPECT_EQ(Count(r, 8, 15, "per-core SPRs TSCR, WORC"), 1);
  EXPECT_EQ(Count(r, 8, 15, "per-subcore SPRs"), 1);  // one subcore: its first thread is the core's
  EXPECT_EQ(Count(r, 8, 15, "common_exit"), 8);       // every thread's own winkle bit
}

// Split-core (Machine.subcores_per_core): the first waker of each subcore restores SDR1 and RPR.
TEST(PpcIdlePower8, FullWinkleRestoresEachSubcoreOnce) {
  const pb::Scenario s = P8(std::string(kNap) + kFastSleep + kWinkle,
                            "cores: 2 threads_per_core: 4 subcores_per_core: 2 offline: 4 offline: 5 offline: 6 "
                            "offline: 7",
                            kPanic);
  const RunResult r = RunWithIdleRestore(ppc::IdleRestore::k10d91611, s);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(Count(r, 4, 5, "per-subcore SPRs"), 1);
  EXPECT_EQ(Count(r, 6, 7, "per-subcore SPRs"), 1);
  EXPECT_EQ(Count(r, 4, 7, "per-core SPRs"), 1);
}

// Fast sleep (no winkle in the table): the core fast-sleeps only when both threads sleep; the first waker undoes the
// ER1 workaround and resyncs the timebase, the other does neither. With one thread online nothing is lost.
TEST(PpcIdlePower8, FastSleepLosesTheTimebaseOnlyForAWholeCore) {
  for (const ppc::IdleRestore restore : {ppc::IdleRestore::kAsm, ppc::IdleRestore::k10d91611}) {
    SCOPED_TRACE(restore == ppc::IdleRestore::kAsm ? "asm" : "C");
    const RunResult whole = RunWithIdleRestore(
        restore, P8(std::string(kNap) + kFastSleep, "cores: 2 threads_per_core: 2 offline: 2 offline: 3", kPanic));
    ASSERT_TRUE(whole.handed_over);
    EXPECT_EQ(CountSteps(whole, 3, TraceKind::kHw, "L2h8", "fast-sleeps"), 1);
    EXPECT_EQ(Count(whole, 2, 3, "opal_resync_timebase"), 1);
    EXPECT_EQ(Count(whole, 2, 3, "opal_config_cpu_idle_state"), 1);  // the undo, by the first waker
    EXPECT_EQ(Count(whole, 2, 3, "per-core SPRs"), 0);               // sleep keeps them
    const RunResult half = RunWithIdleRestore(
        restore, P8(std::string(kNap) + kFastSleep, "cores: 2 threads_per_core: 2 offline: 3", kPanic));
    ASSERT_TRUE(half.handed_over);
    EXPECT_EQ(CountSteps(half, 3, TraceKind::kHw, "L2h8", "fast-sleeps"), 0);
    EXPECT_EQ(Count(half, 3, 3, "opal_resync_timebase"), 0);
  }
}

// ---- OPAL_PM_DEC_STOP (POWER9) ----

std::string P9(const std::string& table, const std::string& extra) {
  return "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 offline: 1 "
         "offline_dec_ns: 10000000 firmware { " +
         table + "} } " + extra;
}

// An EC=0 stop ends on any pending exception, the decrementer's too (stop0_lite); the same state flagged
// OPAL_PM_DEC_STOP keeps its decrementer still: no expiry, no wake.
TEST(PpcIdlePower8, DecStopStateIsNotEndedByTheDecrementer) {
  const RunResult counts = RunOn(
      "ppc-upstream-clear-then-check",
      ScenarioFromText(P9("idle_states { name: \"lite\" flags: 0x100000 psscr_val: 0x330 residency_ns: 10000 } ", "")));
  EXPECT_GE(CountSteps(counts, 1, TraceKind::kWake, "L2", "stop wake DEC"), 1);
  const RunResult stops = RunOn(
      "ppc-upstream-clear-then-check",
      ScenarioFromText(P9("idle_states { name: \"lite\" flags: 0x100001 psscr_val: 0x330 residency_ns: 10000 } ", "")));
  EXPECT_EQ(CountSteps(stops, 1, TraceKind::kWake, "L2", "stop wake DEC"), 0);
  EXPECT_EQ(CountSteps(stops, kNoCpu, TraceKind::kEvent, "DEC", "DEC latched cpu1"), 0);
  EXPECT_EQ(stops.cpus[1].final, Location::kStoppedHw);
}

// stop4 (no DEC_STOP): the offline DEC latches at 10 ms (PECE1 is clear, so it does not wake). stop11 (DEC_STOP),
// both threads of core 4 offline, the only core of its quad (cores 5-7 absent), so that the core enters it: it does not
// latch in the stop; thread 9 brought back online at 20 ms takes the core out, and each DEC counts the 10 ms it had
// left (idle_p9_core.cc CoreDecsStop).
TEST(PpcIdlePower8, DecStopFreezesTheDecrementerUntilTheWake) {
  const std::string whole =
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 5 threads_per_core: 2 "
      "offline: 8 offline: 9 offline_dec_ns: 10000000 firmware { ";
  const std::string up = "} } events { kind: HOTPLUG_UP cpus: 0 cpus: 9 trigger { at_time_ns: 20000000 } }";
  const RunResult stop4 = RunOn(
      "ppc-upstream-clear-then-check",
      ScenarioFromText(
          whole + "idle_states { name: \"stop4\" flags: 0x207000 psscr_val: 0x300374 residency_ns: 10000000 } " + up));
  const size_t d4 = FirstStep(stop4, kNoCpu, "DEC", "DEC latched cpu8");
  ASSERT_LT(d4, stop4.trace.entries().size());
  EXPECT_EQ(stop4.trace.entries()[d4].time_ns, 10000000u);
  const RunResult stop11 = RunOn(
      "ppc-upstream-clear-then-check",
      ScenarioFromText(whole +
                       "idle_states { name: \"stop11\" flags: 0x207003 psscr_val: 0x3003BB residency_ns: 100000000 } " +
                       up));
  EXPECT_EQ(CountSteps(stop11, 9, TraceKind::kHw, "L2h9", "OPAL_PM_DEC_STOP"), 1);
  const size_t d11 = FirstStep(stop11, kNoCpu, "DEC", "DEC latched cpu8");
  ASSERT_LT(d11, stop11.trace.entries().size());
  EXPECT_GE(stop11.trace.entries()[d11].time_ns, 29000000u);
  EXPECT_EQ(CountSteps(stop11, 8, TraceKind::kWake, "L2", "stop wake DEC"), 0);
}

// ---- Schema ----

TEST(PpcIdlePower8, SubcoresValidationAndFix) {
  for (const std::string m : {"platform: POWER8_XICS threads_per_core: 4 subcores_per_core: 3",
                              "platform: POWER9_DOORBELL_XIVE threads_per_core: 4 subcores_per_core: 2",
                              "platform: POWER8_XICS threads_per_core: 2 subcores_per_core: 4"}) {
    pb::Scenario s = testing::UnvalidatedScenarioFromText("machine { family: PPC " + m + " }");
    const std::vector<ValidationError> errors = Validate(s);
    ASSERT_EQ(errors.size(), 1u) << m;
    EXPECT_NE(PathToString(errors[0].path).find("subcores_per_core"), std::string::npos);
    EXPECT_TRUE(fuzz::Fix(s));
    EXPECT_TRUE(Validate(s).empty()) << m;
  }
  EXPECT_TRUE(Validate(ScenarioFromText("machine { family: PPC platform: POWER8_XICS threads_per_core: 8 "
                                        "subcores_per_core: 4 }"))
                  .empty());
}

// The idle seeds (POWER8 and POWER9 core levels, DEC_STOP) run to a hand-over.
TEST(PpcIdlePower8, Seeds) {
  for (const char* f : {"p8_winkle_whole_core_split_crash", "p9_dec_stop_offline_dec_online_again",
                        "p9_stop11_beside_running_sibling_no_loss", "p8_fastsleep_core_dec_stop"}) {
    LoadResult l = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/ppc/" + f + ".textproto");
    ASSERT_TRUE(l.errors.empty()) << f << ": " << l.errors.front();
    const RunResult r = RunOn("ppc-sreset-dump", *l.scenario);
    EXPECT_TRUE(r.handed_over) << f;
  }
}

}  // namespace
}  // namespace crashdiff
