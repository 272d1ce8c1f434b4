// Every property PR1-PR11 on hand-built runs: one run where it fires with the right witness (CPU, step label),
// one where it stays quiet. The runs are written step by step (tests/fixtures/oracle_test_util.h), so each test shows
// the exact interleaving the property is about.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oracle/properties.h"
#include "tests/fixtures/oracle_test_util.h"

namespace crashdiff {
namespace {

using testing::RunBuilder;
using testing::ViolationsOf;

// Four POWER9 threads; thread 3 is offline.
constexpr const char* kPpc = R"pb(
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 3 }
)pb";

// cpu0 panics and starts the crash: crashing_cpu, barrier, a wake to every other CPU.
void StartCrash(RunBuilder& b, bool wake_offline = true) {
  b.Book(BookKind::kPanic, 0, 0).Book(BookKind::kShutdown, 0, 0).Loc(0, Location::kCrashing);
  b.Step(0, TraceKind::kWrite, "I2", "crashing_cpu", 0).Step(0, TraceKind::kLocal, "I6", "barrier");
  for (uint32_t c = 1; c < 4; ++c) {
    if (c == 3 && !wake_offline) continue;
    b.Book(BookKind::kWakeSent, c, 0).Step(0, TraceKind::kHw, c == 3 ? "I5b" : "I5a", "msgsnd");
  }
}

// CPU c enters the receiver, is saved and counted, and returns to OPAL.
void Collect(RunBuilder& b, uint32_t c) {
  b.Loc(c, Location::kReceiverWait).Step(c, TraceKind::kLocal, "R2", "crash_save_cpu").Book(BookKind::kSave, c, c);
  b.Step(c, TraceKind::kWrite, "R3", "cpus_in_crash", 1).Book(BookKind::kResponse, c, c);
  b.Loc(c, Location::kTransit).Step(c, TraceKind::kBlock, "R5", "firmware").Loc(c, Location::kParkedFw);
}

void FinishCrash(RunBuilder& b) {
  b.Step(0, TraceKind::kLocal, "I9", "crash_save_cpu").Book(BookKind::kSave, 0, 0);
  b.Step(0, TraceKind::kWrite, "I10", "time_to_dump", 1).Handover(0);
}

RunResult HealthyCrash(RunBuilder& b) {
  StartCrash(b);
  for (uint32_t c = 1; c < 4; ++c) Collect(b, c);
  FinishCrash(b);
  return b.Finish();
}

TEST(Properties, TableHasElevenPropertiesWithTheSpecShortNames) {
  const char* names[] = {"unsafe-parking",
                         "unstable-after-handover",
                         "lost-wake",
                         "ordering",
                         "incomplete-dump",
                         "counter",
                         "coverage",
                         "unbounded-initiator",
                         "multiple-initiators",
                         "relocation-unsafe",
                         "handshake"};
  ASSERT_EQ(Properties().size(), 11u);
  for (size_t i = 0; i < 11; ++i) {
    EXPECT_EQ(Properties()[i].id, "PR" + std::to_string(i + 1));
    EXPECT_EQ(Properties()[i].short_name, names[i]);
  }
}

TEST(Properties, AHealthyCrashViolatesNothing) {
  RunBuilder b(kPpc);
  const RunResult r = HealthyCrash(b);
  EXPECT_TRUE(CheckProperties(b.scenario(), r, FactsFromRun(r)).empty());
}

TEST(PR1, OfflineThreadStillStoppedAtHandOverFiresWithItsLastStep) {
  RunBuilder b(kPpc);
  b.Loc(3, Location::kOfflineLoop).Step(3, TraceKind::kBlock, "L2", "stop").Loc(3, Location::kStoppedHw);
  StartCrash(b, /*wake_offline=*/false);
  Collect(b, 1);
  Collect(b, 2);
  FinishCrash(b);
  const RunResult r = b.Finish();
  const auto v = ViolationsOf("PR1", b.scenario(), r);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].role, Role::kOfflineTarget);
  EXPECT_EQ(v[0].what, "STOPPED_HW at hand-over");
  EXPECT_EQ(v[0].witness.cpu, 3u);
  EXPECT_EQ(v[0].witness.label, "L2");
}

TEST(PR1, TransitAtHandOverIsReportedAsARaceWindow) {
  RunBuilder b(kPpc);
  StartCrash(b);
  Collect(b, 1);
  Collect(b, 3);
  b.Loc(2, Location::kReceiverWait).Step(2, TraceKind::kLocal, "R2").Book(BookKind::kSave, 2, 2);
  b.Step(2, TraceKind::kWrite, "R3", "cpus_in_crash", 3).Book(BookKind::kResponse, 2, 2).Loc(2, Location::kTransit);
  FinishCrash(b);
  const auto v = ViolationsOf("PR1", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "TRANSIT at hand-over (race window)");
  EXPECT_EQ(v[0].witness.label, "R3");
}

TEST(PR1, EveryoneParkedIsQuiet) {
  RunBuilder b(kPpc);
  EXPECT_TRUE(ViolationsOf("PR1", b.scenario(), HealthyCrash(b)).empty());
}

// Thread 3 is collected and back in firmware; a system reset takes it out as the hand-over comes, and it takes the
// reset through the replaced vector after it.
RunResult ResetOutOfFirmwareAtHandOver(RunBuilder& b, const char* how) {
  StartCrash(b);
  for (uint32_t c = 1; c < 4; ++c) Collect(b, c);
  b.Step(0, TraceKind::kLocal, "I9", "crash_save_cpu").Book(BookKind::kSave, 0, 0);
  b.Step(3, TraceKind::kEvent, "SYSTEM_RESET", how).Loc(3, Location::kRunOld);
  b.Step(0, TraceKind::kWrite, "I10", "time_to_dump", 1).Handover(0);
  b.Step(3, TraceKind::kIrq, "SYSTEM_RESET").Loc(3, Location::kDeadCorrupt);
  b.Same(3, TraceKind::kCorrupt, "DEAD", "took SYSTEM_RESET through a replaced vector");
  return b.Finish();
}

TEST(PR1, MachineResetOutOfFirmwareAsHandOverComesSaysSo) {
  RunBuilder b(kPpc);
  const RunResult r = ResetOutOfFirmwareAtHandOver(b, "leaves firmware");
  const auto v = ViolationsOf("PR1", b.scenario(), r);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "RUN_OLD at hand-over, out of PARKED_FW by the machine");
  EXPECT_EQ(v[0].witness.label, "SYSTEM_RESET");
  // Entering the next kernel's vector is judged by the park it left, as a reset after the hand-over is.
  const auto v2 = ViolationsOf("PR2", b.scenario(), r);
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_EQ(v2[0].what, "DEAD_CORRUPT after hand-over from PARKED_FW");
}

TEST(PR1, KernelsOwnResetOutOfFirmwareStaysTheKernels) {
  RunBuilder b(kPpc);
  const RunResult r = ResetOutOfFirmwareAtHandOver(b, "the kernel's reset: leaves firmware");
  const auto v = ViolationsOf("PR1", b.scenario(), r);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "RUN_OLD at hand-over, out of PARKED_FW by the kernel's system reset");
  const auto v2 = ViolationsOf("PR2", b.scenario(), r);
  ASSERT_EQ(v2.size(), 1u);
  EXPECT_EQ(v2[0].what, "DEAD_CORRUPT after hand-over from RUN_OLD");
}

TEST(PR1, ThreadThatRanAfterLeavingFirmwareIsPlainRunOld) {
  RunBuilder b(kPpc);
  StartCrash(b);
  for (uint32_t c = 1; c < 4; ++c) Collect(b, c);
  b.Step(3, TraceKind::kEvent, "SYSTEM_RESET", "leaves firmware").Loc(3, Location::kRunOld);
  b.Step(3, TraceKind::kIrq, "SYSTEM_RESET").Step(3, TraceKind::kLocal, "N2", "system_reset_exception");
  FinishCrash(b);
  const auto v = ViolationsOf("PR1", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "RUN_OLD at hand-over");
  EXPECT_EQ(v[0].witness.label, "N2");
}

TEST(PR2, StoppedThreadWokenByHmiAfterHandOverIntoReplacedVectorFires) {
  RunBuilder b(kPpc);
  b.Loc(3, Location::kStoppedHw);
  StartCrash(b, false);
  Collect(b, 1);
  Collect(b, 2);
  FinishCrash(b);
  b.Wait(1000).Step(3, TraceKind::kWake, "L2", "stop wake HMI").Loc(3, Location::kDeadCorrupt);
  b.Same(3, TraceKind::kCorrupt, "DEAD", "woke from state-losing stop into replaced reset vector");
  const auto v = ViolationsOf("PR2", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "DEAD_CORRUPT after hand-over from STOPPED_HW");
  EXPECT_EQ(v[0].witness.cpu, 3u);
  EXPECT_EQ(v[0].witness.label, "L2");
}

TEST(PR2, ParkedCpuLeavingAfterHandOverFires) {
  RunBuilder b(kPpc);
  RunResult r = HealthyCrash(b);
  (void)r;
  b.Step(1, TraceKind::kIrq, "HMI").Loc(1, Location::kRunOld);
  const auto v = ViolationsOf("PR2", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "leaves PARKED_FW for RUN_OLD after hand-over");
  EXPECT_EQ(v[0].witness.label, "HMI");
}

TEST(PR2, NothingMovesAfterHandOverIsQuiet) {
  RunBuilder b(kPpc);
  EXPECT_TRUE(ViolationsOf("PR2", b.scenario(), HealthyCrash(b)).empty());
}

// DOMAIN §3.2 steps 3-5: the crash doorbell merged with a stray one, MSGCLR consumed both, the thread sleeps.
TEST(PR3, WokenThreadSleepingAgainUncollectedFiresAtItsStop) {
  RunBuilder b(kPpc);
  b.Loc(3, Location::kOfflineLoop);
  StartCrash(b);
  Collect(b, 1);
  Collect(b, 2);
  b.Step(3, TraceKind::kHw, "L4", "msgclr").Step(3, TraceKind::kLocal, "L5", "barrier");
  b.Loc(3, Location::kStoppedHw).Step(3, TraceKind::kBlock, "L2", "stop");
  b.Wait(10 * kSec);
  FinishCrash(b);
  const auto v = ViolationsOf("PR3", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].role, Role::kOfflineTarget);
  EXPECT_EQ(v[0].what, "sleeps in STOPPED_HW after crash wake");
  EXPECT_EQ(v[0].witness.label, "L2");
}

TEST(PR3, SleepingAfterTheWakeButCollectedLaterIsQuiet) {
  RunBuilder b(kPpc);
  b.Loc(3, Location::kOfflineLoop);
  StartCrash(b);
  b.Loc(3, Location::kStoppedHw).Step(3, TraceKind::kBlock, "L2", "stop");  // the wake is still latched
  b.Step(3, TraceKind::kWake, "L2", "stop wake HDOORBELL").Loc(3, Location::kOfflineLoop);
  for (uint32_t c = 1; c < 4; ++c) Collect(b, c);
  FinishCrash(b);
  EXPECT_TRUE(ViolationsOf("PR3", b.scenario(), b.Finish()).empty());
}

TEST(PR4, KdumpCheckRightAfterTheWakeWithoutBarrierFires) {
  RunBuilder b(kPpc);
  b.Loc(3, Location::kStoppedHw).Step(3, TraceKind::kWake, "L2", "stop wake HDOORBELL").Loc(3, Location::kOfflineLoop);
  b.Step(3, TraceKind::kRead, "L2a", "crashing_cpu", -1);
  const auto v = ViolationsOf("PR4", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "reads crashing_cpu after a wake without a barrier");
  EXPECT_EQ(v[0].witness.label, "L2a");
  EXPECT_EQ(v[0].witness.cpu, 3u);
}

TEST(PR4, WakeSentBeforeTheBarrierAfterCrashingCpuWriteFires) {
  RunBuilder b(kPpc);
  b.Book(BookKind::kPanic, 0, 0).Book(BookKind::kShutdown, 0, 0);
  b.Step(0, TraceKind::kWrite, "I2", "crashing_cpu", 0).Book(BookKind::kWakeSent, 3, 0).Step(0, TraceKind::kHw, "I5b");
  const auto v = ViolationsOf("PR4", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].role, Role::kInitiator);
  EXPECT_EQ(v[0].witness.label, "I2");
}

TEST(PR4, ClearBarrierThenCheckIsQuiet) {
  RunBuilder b(kPpc);
  b.Loc(3, Location::kStoppedHw).Step(3, TraceKind::kWake, "L2", "stop wake HDOORBELL").Loc(3, Location::kOfflineLoop);
  b.Step(3, TraceKind::kHw, "L4", "msgclr").Step(3, TraceKind::kLocal, "L5", "barrier");
  b.Step(3, TraceKind::kRead, "L6", "crashing_cpu", -1);
  EXPECT_TRUE(ViolationsOf("PR4", b.scenario(), b.Finish()).empty());
}

TEST(PR5, UnsavedNullSavedAndTwiceSavedResponders) {
  RunBuilder b(kPpc);
  StartCrash(b);
  Collect(b, 1);
  Collect(b, 1);  // re-entry: saved a second time
  b.Loc(2, Location::kReceiverWait).Book(BookKind::kInvalidSave, 2, 2).Loc(2, Location::kParkedFw);
  b.Loc(3, Location::kParkedFw);  // parked, never saved
  FinishCrash(b);
  const auto v = ViolationsOf("PR5", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].what, "saved twice");
  // Witnessed at the second save (the cause), not where the CPU was last before hand-over (R5, firmware).
  EXPECT_EQ(v[0].witness.label, "R2");
  EXPECT_EQ(v[1].what, "saved with NULL registers");
  EXPECT_EQ(v[2].what, "not saved");
  EXPECT_EQ(v[2].role, Role::kOfflineTarget);
  EXPECT_EQ(v[2].severity, Severity::kWarning);
}

// "Not saved" is witnessed where the CPU's own code was left: an interrupt taken in the hand-over's instant (a
// reset reaching a spinning loser just then) runs nothing before the hand-over and does not change the key.
TEST(PR5, NotSavedIsWitnessedAtTheCpusOwnLastStepNotAnInterruptEntry) {
  RunBuilder b(kPpc);
  StartCrash(b);
  for (uint32_t c : {1u, 3u}) Collect(b, c);
  b.Loc(2, Location::kLoserSpin).Step(2, TraceKind::kBlock, "P2", "park");
  b.Step(2, TraceKind::kIrq, "SYSTEM_RESET");
  FinishCrash(b);
  const auto v = ViolationsOf("PR5", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "not saved");
  EXPECT_EQ(v[0].witness.label, "P2");
}

TEST(PR5, EveryResponderSavedOnceIsQuiet) {
  RunBuilder b(kPpc);
  EXPECT_TRUE(ViolationsOf("PR5", b.scenario(), HealthyCrash(b)).empty());
}

TEST(PR6, ReentryCountedTwiceStandingInForAMissingResponderFires) {
  RunBuilder b(kPpc);
  StartCrash(b);
  Collect(b, 1);
  Collect(b, 2);
  b.Step(2, TraceKind::kWrite, "R3", "cpus_in_crash", 3).Book(BookKind::kResponse, 2, 2);  // count 3, thread 3 missing
  FinishCrash(b);
  const auto v = ViolationsOf("PR6", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].role, Role::kOnlineTarget);
  EXPECT_EQ(v[0].witness.cpu, 2u);
}

TEST(PR6, CounterResetBeforeTheSecondRoundIsQuiet) {
  RunBuilder b(kPpc);
  StartCrash(b);
  Collect(b, 1);
  Collect(b, 2);
  b.Step(0, TraceKind::kWrite, "I8", "cpus_in_crash", 0);  // the operator-reset round starts from zero
  b.Step(2, TraceKind::kWrite, "R3", "cpus_in_crash", 1).Book(BookKind::kResponse, 2, 2);
  FinishCrash(b);
  EXPECT_TRUE(ViolationsOf("PR6", b.scenario(), b.Finish()).empty());
}

TEST(PR7, OnlineThreadNeverWokenFires) {
  RunBuilder b(kPpc);
  b.Book(BookKind::kPanic, 0, 0).Book(BookKind::kShutdown, 0, 0);
  b.Step(0, TraceKind::kWrite, "I2", "crashing_cpu", 0).Step(0, TraceKind::kLocal, "I6", "barrier");
  b.Book(BookKind::kWakeSent, 1, 0).Book(BookKind::kWakeSent, 3, 0);  // cpu2 missed (hotplug race)
  Collect(b, 1);
  Collect(b, 3);
  FinishCrash(b);
  const auto v = ViolationsOf("PR7", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].witness.cpu, 2u);
  EXPECT_EQ(v[0].what, "never sent a crash wake");
}

TEST(PR7, EveryResponderWokenIsQuiet) {
  RunBuilder b(kPpc);
  EXPECT_TRUE(ViolationsOf("PR7", b.scenario(), HealthyCrash(b)).empty());
}

TEST(PR8, X86HandOverAfterThirtySecondsFires) {
  RunBuilder b(R"pb(machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 2 })pb");
  b.Book(BookKind::kPanic, 0, 0).Book(BookKind::kShutdown, 0, 0).Book(BookKind::kSave, 0, 0);
  b.Wait(30 * kSec).Handover(0);
  const auto v = ViolationsOf("PR8", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "hands over after its time bound");
  EXPECT_EQ(v[0].witness.label, "HANDOVER");
}

// A kexec's bounded protocol starts at its shutdown: 10 s spent in the system call before it (waiting for
// cpu_add_remove_lock behind a cpu_down in progress) is not the initiator's. The same wait after it is.
TEST(PR8, AKexecIsTimedFromItsShutdownNotItsSystemCall) {
  for (const bool wait_inside : {false, true}) {
    RunBuilder b(
        R"pb(machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 2 kexec_image_loaded: true }
             events {
               kind: KEXEC
               trigger { at_time_ns: 0 }
               cpus: 0
             })pb");
    b.Step(0, TraceKind::kEvent, "KEXEC", "KEXEC");
    if (!wait_inside) b.Wait(10 * kSec);
    b.Book(BookKind::kShutdown, 0, 0);
    if (wait_inside) b.Wait(10 * kSec);
    b.Wait(500 * kMs).Handover(0);
    const auto v = ViolationsOf("PR8", b.scenario(), b.Finish());
    EXPECT_EQ(v.size(), wait_inside ? 1u : 0u) << wait_inside;
  }
}

TEST(PR8, WaitingForAnOperatorIsAHangNotADeadlock) {
  RunBuilder b(kPpc);
  StartCrash(b);
  b.Wait(10 * kSec).Step(0, TraceKind::kTimeout, "I7").Loc(0, Location::kWaitingOperator);
  const auto v = ViolationsOf("PR8", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "waits for an operator reset (HANG_WAITING_OPERATOR)");
  EXPECT_EQ(v[0].severity, Severity::kWarning);
  EXPECT_EQ(v[0].witness.label, "I7");
}

// An initiator that ends in panic()'s halt had nothing to hand over to only without a crash image. With one loaded,
// the halt means the crash kernel never started (its __crash_kexec found kexec_lock held): PR8, at the halt.
TEST(PR8, AHaltedPanicWithACrashImageNeverHandsOver) {
  for (const bool image : {false, true}) {
    RunBuilder b(std::string(R"pb(machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 2
                                            crash_image_loaded:)pb") +
                 (image ? "true" : "false") + " }");
    b.Book(BookKind::kPanic, 0, 0).Step(0, TraceKind::kRmw, "P4", "kexec_lock", 1);
    b.Step(0, TraceKind::kLocal, "P9").Loc(0, Location::kPanicHalt);
    b.Step(0, TraceKind::kBlock, "P9");
    const auto v = ViolationsOf("PR8", b.scenario(), b.Finish());
    ASSERT_EQ(v.size(), image ? 1u : 0u) << image;
    if (image) {
      EXPECT_EQ(v[0].what, "never hands over (quiescent)");
      EXPECT_EQ(v[0].witness.label, "P9");
    }
  }
}

// Each system reset that reaches the crashing CPU before it wrote crashing_cpu costs it a SECONDARY_TIMEOUT (1 s)
// in crash_kexec_secondary, by design: the bound grows by 1 s per reset it took, and only by that.
TEST(PR8, EachResetTheInitiatorTookExtendsItsBoundByASecond) {
  for (const uint32_t resets : {0u, 3u}) {
    RunBuilder b(kPpc);
    b.Book(BookKind::kPanic, 0, 0);
    for (uint32_t r = 0; r < resets; ++r) b.Step(0, TraceKind::kIrq, "SYSTEM_RESET").Wait(1 * kSec);
    StartCrash(b);
    for (uint32_t c = 1; c < 4; ++c) Collect(b, c);
    // 31 s from the crash entry to the hand-over: over the bound with no reset taken (27.5 s + 10 % + 10 ms, with
    // skiboot's opal_reinit_cpus second), under it with three (+ 2 s).
    b.Wait(31 * kSec - resets * kSec);
    FinishCrash(b);
    const auto v = ViolationsOf("PR8", b.scenario(), b.Finish());
    EXPECT_EQ(v.size(), resets == 0 ? 1u : 0u) << resets;
  }
}

TEST(PR8, PromptHandOverIsQuiet) {
  RunBuilder b(kPpc);
  EXPECT_TRUE(ViolationsOf("PR8", b.scenario(), HealthyCrash(b)).empty());
}

TEST(PR9, SecondShutdownAndARunningLoserFire) {
  RunBuilder b(kPpc);
  b.Book(BookKind::kPanic, 1, 1).Step(1, TraceKind::kRmw, "P2", "panic_cpu", 0);  // loser returns to RUN_OLD
  b.Book(BookKind::kPanic, 2, 2).Book(BookKind::kShutdown, 2, 2).Step(2, TraceKind::kLocal, "I1");
  StartCrash(b);
  Collect(b, 2);
  Collect(b, 3);
  FinishCrash(b);
  const auto v = ViolationsOf("PR9", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].what, "keeps running in RUN_OLD");
  EXPECT_EQ(v[0].role, Role::kLoser);
  EXPECT_EQ(v[1].what, "runs a second crash shutdown");
  EXPECT_EQ(v[1].witness.cpu, 2u);
}

TEST(PR9, LoserSpinningInPanicIsQuiet) {
  RunBuilder b(kPpc);
  b.Book(BookKind::kPanic, 1, 1).Loc(1, Location::kLoserSpin);
  StartCrash(b);
  Collect(b, 2);
  Collect(b, 3);
  FinishCrash(b);
  EXPECT_TRUE(ViolationsOf("PR9", b.scenario(), b.Finish()).empty());
}

// A run the step budget stopped before hand-over. How it stopped decides what can be said of what it never did: a
// livelock (a budget of at least kLivelockEvidenceSteps) never hands over, never wakes cpu2, never stops its loser;
// a cut (a smaller budget) may still do all of that, so PR3 / PR7 / PR8 / PR9 "keeps running" / PR11 say nothing.
// What the cut run did do (cpu2's second crash shutdown) is judged alike.
TEST(CutRuns, OnlyALivelockShowsWhatARunNeverDid) {
  for (const EndReason end : {EndReason::kStepBudget, EndReason::kBudgetCut}) {
    RunBuilder b(kPpc);
    b.Book(BookKind::kPanic, 1, 1).Step(1, TraceKind::kRmw, "P2", "panic_cpu", 0);  // a loser back in RUN_OLD
    b.Book(BookKind::kPanic, 0, 0).Book(BookKind::kShutdown, 0, 0);
    b.Step(0, TraceKind::kWrite, "I2", "crashing_cpu", 0).Step(0, TraceKind::kLocal, "I6", "barrier");
    b.Book(BookKind::kWakeSent, 3, 0).Step(0, TraceKind::kHw, "I5b", "msgsnd");  // cpu2 not woken yet
    b.Book(BookKind::kShutdown, 2, 2).Step(2, TraceKind::kLocal, "I1");
    const RunResult r = b.Finish(end);
    const bool livelock = end == EndReason::kStepBudget;
    const auto pr7 = ViolationsOf("PR7", b.scenario(), r);
    const auto pr8 = ViolationsOf("PR8", b.scenario(), r);
    EXPECT_EQ(pr7.size(), livelock ? 2u : 0u) << Name(end);  // the loser cpu1 and cpu2 were never woken
    ASSERT_EQ(pr8.size(), livelock ? 1u : 0u) << Name(end);
    if (livelock) EXPECT_EQ(pr8[0].what, "never hands over (livelock)");
    std::vector<std::string> pr9;
    for (const Violation& v : ViolationsOf("PR9", b.scenario(), r)) pr9.push_back(v.what);
    const std::vector<std::string> both = {"keeps running in RUN_OLD", "runs a second crash shutdown"};
    const std::vector<std::string> done = {"runs a second crash shutdown"};
    EXPECT_EQ(pr9, livelock ? both : done) << Name(end);
  }
}

// Once the run has handed over, the cut takes nothing away: what was at hand-over is judged as on any run.
TEST(CutRuns, AfterHandOverEverythingIsJudged) {
  RunBuilder b(kPpc);
  b.Book(BookKind::kPanic, 0, 0).Book(BookKind::kShutdown, 0, 0);
  b.Step(0, TraceKind::kWrite, "I2", "crashing_cpu", 0).Step(0, TraceKind::kLocal, "I6", "barrier");
  b.Book(BookKind::kWakeSent, 1, 0).Book(BookKind::kWakeSent, 3, 0);  // cpu2 missed
  Collect(b, 1);
  Collect(b, 3);
  FinishCrash(b);
  const auto v = ViolationsOf("PR7", b.scenario(), b.Finish(EndReason::kBudgetCut));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].witness.cpu, 2u);
}

constexpr const char* kX86Kexec = R"pb(
  machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 2 offline: 1 kexec_image_loaded: true }
)pb";
constexpr const char* kX86KexecNoCrashImage = R"pb(
  machine {
    family: X86
    platform: X86_INTEL_MWAIT
    cores: 1
    threads_per_core: 4
    offline: 1
    kexec_image_loaded: true
    crash_image_loaded: false
  }
)pb";

TEST(PR10, RelocationStoreToAMonitoredLineOfASleepingCpuFires) {
  RunBuilder b(kX86Kexec);
  b.Loc(1, Location::kOfflineLoop).Step(1, TraceKind::kLocal, "O3", "monitor idle_flags[1]");
  b.Loc(1, Location::kStoppedHw).Step(1, TraceKind::kBlock, "O3", "mwait");
  b.Step(0, TraceKind::kEvent, "kexec", "KEXEC").Book(BookKind::kShutdown, 0, 0);
  b.Step(0, TraceKind::kOverwrite, "old-kernel-data").Step(0, TraceKind::kWrite, "relocate", "idle_flags[1]", 1);
  b.Step(1, TraceKind::kWake, "O3", "mwait wake monitor").Loc(1, Location::kDeadCorrupt);
  b.Same(1, TraceKind::kCorrupt, "DEAD", "resumed in overwritten old-kernel-text");
  b.Handover(0);
  const auto v = ViolationsOf("PR10", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "woken by a relocation store to its monitored line");
  EXPECT_EQ(v[0].witness.cpu, 1u);
  EXPECT_EQ(v[0].witness.label, "relocate");
}

TEST(PR10, OfflineCpuAlreadyInHltWhenRelocationStartsIsQuiet) {
  RunBuilder b(kX86Kexec);
  b.Loc(1, Location::kOfflineLoop).Step(1, TraceKind::kLocal, "O3", "monitor mwait_control[1]");
  b.Step(1, TraceKind::kRead, "O4", "mwait_control[1]", 1)
      .Loc(1, Location::kParkedHlt)
      .Step(1, TraceKind::kBlock, "O4h", "hlt");
  b.Step(0, TraceKind::kEvent, "kexec", "KEXEC").Book(BookKind::kShutdown, 0, 0);
  b.Step(0, TraceKind::kOverwrite, "old-kernel-data").Step(0, TraceKind::kWrite, "relocate", "mwait_control[1]", 1);
  b.Handover(0);
  EXPECT_TRUE(ViolationsOf("PR10", b.scenario(), b.Finish()).empty());
}

// The kick of DOMAIN §3.9 K2: offline cpu1 sleeps in MWAIT; cpu0 starts a kexec and kicks it.
RunBuilder KickedX86() {
  RunBuilder b(kX86Kexec);
  b.Loc(1, Location::kStoppedHw).Step(1, TraceKind::kBlock, "O3", "mwait");
  b.Step(0, TraceKind::kEvent, "kexec", "KEXEC").Book(BookKind::kShutdown, 0, 0);
  b.Book(BookKind::kKickSent, 1, 0).Step(0, TraceKind::kWrite, "K2b", "control[1]", 1);
  return b;
}

TEST(PR11, KickNeitherAcknowledgedNorReportedFires) {
  RunBuilder b = KickedX86();
  b.Wait(6 * kMs).Loc(1, Location::kParkedHlt).Handover(0);
  const auto v = ViolationsOf("PR11", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "neither acknowledges the kick in time nor is reported stuck");
  EXPECT_EQ(v[0].witness.cpu, 1u);
}

TEST(PR11, StuckReportedTwiceFires) {
  RunBuilder b = KickedX86();
  b.Wait(6 * kMs).Diag(0, "CPU1 is stuck in mwait_play_dead()").Diag(0, "CPU1 is stuck in mwait_play_dead()");
  b.Handover(0);
  const auto v = ViolationsOf("PR11", b.scenario(), b.Finish());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].what, "reported stuck more than once");
}

TEST(PR11, AcknowledgedInTimeOrReportedOnceIsQuiet) {
  RunBuilder fast = KickedX86();
  fast.Wait(5 * kUs).Loc(1, Location::kParkedHlt).Handover(0);
  EXPECT_TRUE(ViolationsOf("PR11", fast.scenario(), fast.Finish()).empty());
  RunBuilder stuck = KickedX86();
  stuck.Wait(6 * kMs).Diag(0, "CPU1 is stuck in mwait_play_dead()").Handover(0);
  EXPECT_TRUE(ViolationsOf("PR11", stuck.scenario(), stuck.Finish()).empty());
}

// The kexec request comes, then a panic on the same CPU before the kexec began its shutdown (no crash image): panic()
// never returns, so the kexec's kick never happens; the panic's NMI round reaches the offline CPU in MWAIT. There
// is no kick handshake to judge.
TEST(PR11, KexecSupersededByAPanicBeforeItStartedIsNotJudged) {
  RunBuilder b(kX86KexecNoCrashImage);
  b.Loc(1, Location::kStoppedHw).Step(1, TraceKind::kBlock, "O3", "mwait");
  b.Step(0, TraceKind::kEvent, "kexec", "KEXEC").Book(BookKind::kPanic, 0, 0).Book(BookKind::kShutdown, 0, 0);
  b.Book(BookKind::kWakeSent, 1, 0).Step(0, TraceKind::kHw, "C6", "send NMI");
  b.Wait(6 * kMs).Loc(0, Location::kPanicHalt);
  EXPECT_TRUE(ViolationsOf("PR11", b.scenario(), b.Finish()).empty());
}

// The kexec began (its shutdown booked), then another CPU's panic stopped it with the crash NMI round before it
// kicked anyone: the offline CPU's only wake is that NMI, not a kick.
TEST(PR11, WakeFromAnotherCpuThanTheKexecIsNotAKick) {
  RunBuilder b(kX86KexecNoCrashImage);
  b.Loc(1, Location::kStoppedHw).Step(1, TraceKind::kBlock, "O3", "mwait");
  b.Step(0, TraceKind::kEvent, "kexec", "KEXEC").Book(BookKind::kShutdown, 0, 0);
  b.Book(BookKind::kPanic, 2, 2).Book(BookKind::kShutdown, 2, 2);
  b.Book(BookKind::kWakeSent, 1, 2).Step(2, TraceKind::kHw, "C6", "send NMI");
  b.Wait(6 * kMs).Loc(0, Location::kParkedHlt).Loc(2, Location::kPanicHalt);
  EXPECT_TRUE(ViolationsOf("PR11", b.scenario(), b.Finish()).empty());
}

}  // namespace
}  // namespace crashdiff
