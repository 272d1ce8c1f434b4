// DOMAIN §7 rows A, B, C and J for every powerpc column: prefix-nowake, v1 (doorbell / icp-opal / xive),
// upstream (any non-NMI mechanism), upstream + nmi-sysreset (and the 2022 sreset-dump initiator on it). Each
// test asserts per-CPU locations at hand-over and at the end, state saves, the initiator's console lines and
// the hand-over time.
#include <gtest/gtest.h>

#include <string>

#include "diff/runner.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

constexpr const char* kPrefix = "ppc-prefix-nowake";
constexpr const char* kV1 = "ppc-v1-check-before-clear";
constexpr const char* kUpstream = "ppc-upstream-clear-then-check";
constexpr const char* kSresetDump = "ppc-sreset-dump";
constexpr const char* kNmi = "firmware { system_reset_supported: true }";

RunResult RunText(const char* target, const std::string& text) {
  const pb::Scenario s = testing::ScenarioFromText(text);
  const TargetSpec* t = FindTarget(target);
  EXPECT_NE(t, nullptr) << target;
  return RunOnTarget(*t, s);
}

int CountDiag(const RunResult& r, const std::string& text) {
  int n = 0;
  for (const Diagnostic& d : r.diagnostics) n += d.text.find(text) != std::string::npos;
  return n;
}

bool TraceHas(const RunResult& r, uint32_t cpu, TraceKind kind, const std::string& detail) {
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == cpu && e.kind == kind && e.detail.find(detail) != std::string::npos) return true;
  }
  return false;
}

// ---- Row A: offline X (cpu1) stopped; crash; HMI(all) after hand-over. ----

std::string RowA(const std::string& platform, const std::string& firmware = "") {
  return "machine { family: PPC platform: " + platform + " cores: 2 threads_per_core: 2 offline: 1 panic_timeout: 10 " +
         firmware +
         " }\n"
         "events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } }\n"
         "events { kind: HMI all_cpus: true trigger { after_handover_ns: 1000000 } }\n";
}

TEST(PpcRowA, PrefixNoWakeOfflineThreadDiesOnHmiAfterHandover) {
  for (const char* platform : {"POWER8_XICS", "POWER9_DOORBELL_XIVE", "POWER9_XIVE_IPI", "POWER9_ICP_OPAL"}) {
    const RunResult r = RunText(kPrefix, RowA(platform));
    ASSERT_TRUE(r.handed_over) << platform;
    EXPECT_EQ(r.cpus[1].at_handover, Location::kStoppedHw) << platform;
    EXPECT_EQ(r.cpus[1].final, Location::kDeadCorrupt) << platform;
    EXPECT_EQ(r.cpus[1].saves, 0u) << platform;
    EXPECT_FALSE(r.cpus[1].woken) << platform;
    for (uint32_t c : {2u, 3u}) EXPECT_EQ(r.cpus[c].final, Location::kParkedFw) << platform;
    EXPECT_EQ(CountDiag(r, "IPI complete"), 1) << platform;
    // skiboot's opal_reinit_cpus (I13) gives the offline thread, in the OS for skiboot, 1 s and gives up.
    EXPECT_EQ(CountDiag(r, "OPAL: CPU 1 not in OPAL !"), 1) << platform;
    EXPECT_GE(r.handover_time_ns, 1 * kSec) << platform;
    EXPECT_LT(r.handover_time_ns, 1 * kSec + 1 * kMs) << platform;
  }
}

TEST(PpcRowA, V1ParksTheOfflineThreadButSavesNullRegisters) {
  for (const char* platform : {"POWER9_DOORBELL_XIVE", "POWER9_ICP_OPAL", "POWER9_XIVE_IPI"}) {
    const RunResult r = RunText(kV1, RowA(platform));
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << platform;
    EXPECT_EQ(r.cpus[1].final, Location::kParkedFw) << platform;
    EXPECT_EQ(r.cpus[1].saves, 0u) << platform;
    EXPECT_EQ(r.cpus[1].invalid_saves, 1u) << platform;  // crash_ipi_callback(NULL)
    EXPECT_EQ(r.cpus[1].responses, 1u) << platform;
    EXPECT_EQ(CountDiag(r, "not responding"), 0) << platform;
    EXPECT_LT(r.handover_time_ns, 1 * kMs) << platform;
  }
}

TEST(PpcRowA, UpstreamAnyMechanismParksAndSavesTheOfflineThread) {
  for (const char* platform : {"POWER8_XICS", "POWER9_DOORBELL_XIVE", "POWER9_XIVE_IPI", "POWER9_ICP_OPAL"}) {
    const RunResult r = RunText(kUpstream, RowA(platform));
    for (uint32_t c : {1u, 2u, 3u}) {
      EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << platform << " cpu" << c;
      EXPECT_EQ(r.cpus[c].final, Location::kParkedFw) << platform << " cpu" << c;
      EXPECT_EQ(r.cpus[c].saves, 1u) << platform << " cpu" << c;
    }
    EXPECT_EQ(r.cpus[0].saves, 1u);
    EXPECT_EQ(CountDiag(r, "not responding"), 0) << platform;
    EXPECT_LT(r.handover_time_ns, 1 * kMs) << platform;
  }
}

TEST(PpcRowA, UpstreamWithSystemResetWakesTheOfflineThreadByReset) {
  for (const char* target : {kUpstream, kSresetDump}) {
    const RunResult r = RunText(target, RowA("POWER9_DOORBELL_XIVE", kNmi));
    EXPECT_TRUE(TraceHas(r, 0, TraceKind::kHw, "opal_signal_system_reset cpu1")) << target;
    EXPECT_TRUE(TraceHas(r, 1, TraceKind::kWake, "stop wake SYSTEM_RESET")) << target;
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].final, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].saves, 1u) << target;
    EXPECT_LT(r.handover_time_ns, 1 * kMs) << target;
  }
}

// ---- Row B: a stray wake of X (same mechanism) just before the crash wake. ----

std::string RowB(const std::string& platform, const std::string& stray, const std::string& firmware = "") {
  return "machine { family: PPC platform: " + platform + " cores: 2 threads_per_core: 1 offline: 1 panic_timeout: 10 " +
         firmware + " }\n" + "events { " + stray + " trigger { at_time_ns: 1000 } }\n" +
         "events { kind: PANIC cpus: 0 trigger { on_label { cpu: 1 label: \"L3\" } } }\n"
         "schedule { choices { cpu: 1 steps: 100 } choices { cpu: 0 steps: 100 } choices { cpu: 1 steps: 3 } "
         "choices { cpu: 0 steps: 5000 } }\n";
}

struct StrayOf {
  const char* platform;
  const char* stray;
};
constexpr StrayOf kSameMechanism[] = {
    {"POWER9_DOORBELL_XIVE", "kind: STRAY_DOORBELL cpus: 1"},  // doorbell
    {"POWER9_ICP_OPAL", "kind: STALE_ICP_IPI cpus: 1"},        // icp-opal
    {"POWER9_XIVE_IPI", "kind: XIVE_IPI cpus: 1"},             // xive
};

TEST(PpcRowB, PrefixNoWakeNeverWakesTheOfflineThread) {
  for (const StrayOf& s : kSameMechanism) {
    const RunResult r = RunText(kPrefix, RowB(s.platform, s.stray));
    EXPECT_FALSE(r.cpus[1].woken) << s.platform;
    EXPECT_EQ(r.cpus[1].responses, 0u) << s.platform;
    EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw) << s.platform;
    EXPECT_FALSE(Info(r.cpus[1].at_handover).parked) << s.platform;
    EXPECT_EQ(CountDiag(r, "IPI complete"), 1) << s.platform;
    EXPECT_LT(r.handover_time_ns, 1 * kSec + 1 * kMs) << s.platform;  // + opal_reinit_cpus' 1 s for cpu1
  }
}

TEST(PpcRowB, V1LosesTheWakeTimesOutAfterTenSecondsAndLeavesXStopped) {
  for (const StrayOf& s : kSameMechanism) {
    const RunResult r = RunText(kV1, RowB(s.platform, s.stray));
    EXPECT_TRUE(r.cpus[1].woken) << s.platform;
    EXPECT_EQ(r.cpus[1].at_handover, Location::kStoppedHw) << s.platform;
    EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw) << s.platform;
    EXPECT_EQ(r.cpus[1].responses, 0u) << s.platform;
    EXPECT_EQ(r.cpus[1].saves + r.cpus[1].invalid_saves, 0u) << s.platform;
    EXPECT_EQ(CountDiag(r, "ERROR: 1 cpu(s) not responding"), 1) << s.platform;
    // 10 s arrival wait + opal_reinit_cpus' 1 s for the stopped thread (in the OS for skiboot).
    EXPECT_GE(r.handover_time_ns, 11 * kSec) << s.platform;
    EXPECT_LT(r.handover_time_ns, 11 * kSec + 1 * kMs) << s.platform;
  }
}

TEST(PpcRowB, UpstreamAndUpstreamWithResetCollectX) {
  for (const StrayOf& s : kSameMechanism) {
    for (const char* fw : {"", kNmi}) {
      const RunResult r = RunText(kUpstream, RowB(s.platform, s.stray, fw));
      EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << s.platform << fw;
      EXPECT_EQ(r.cpus[1].final, Location::kParkedFw) << s.platform << fw;
      EXPECT_EQ(r.cpus[1].saves, 1u) << s.platform << fw;
      EXPECT_EQ(CountDiag(r, "not responding"), 0) << s.platform << fw;
      EXPECT_LT(r.handover_time_ns, 1 * kMs) << s.platform << fw;
    }
  }
}

// ---- Row C: two CPUs panic concurrently. ----

std::string RowC(const std::string& firmware, int panic_timeout = 10) {
  return "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 panic_timeout: " +
         std::to_string(panic_timeout) + " " + firmware +
         " }\n"
         "events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } }\n"
         "events { kind: PANIC cpus: 1 trigger { at_time_ns: 1000 } }\n";
}

TEST(PpcRowC, MuxedLoserIsNotCollected) {
  for (const char* target : {kPrefix, kV1, kUpstream, kSresetDump}) {
    const RunResult r = RunText(target, RowC(""));
    ASSERT_TRUE(r.handed_over) << target;
    EXPECT_EQ(r.handover_cpu, 0u) << target;
    EXPECT_TRUE(r.cpus[1].entered_panic) << target;
    EXPECT_EQ(r.cpus[1].at_handover, Location::kLoserSpin) << target;
    EXPECT_EQ(r.cpus[1].final, Location::kLoserSpin) << target;
    EXPECT_EQ(r.cpus[1].saves, 0u) << target;
    EXPECT_EQ(r.cpus[0].shutdowns, 1u) << target;
    EXPECT_EQ(r.cpus[1].shutdowns, 0u) << target;
    EXPECT_EQ(CountDiag(r, "ERROR: 1 cpu(s) not responding"), 1) << target;
    EXPECT_EQ(CountDiag(r, "timed out waiting for cpu 1"), 1) << target;
    // 1 s NMI round + 10 s arrival wait + 10 s real-mode wait (the loser is online) + 1 s OPAL wait + 1 s in
    // skiboot's opal_reinit_cpus, which then gives up on the loser (in the OS for skiboot).
    EXPECT_EQ(CountDiag(r, "OPAL: CPU 1 not in OPAL !"), 1) << target;
    EXPECT_GE(r.handover_time_ns, 23 * kSec) << target;
    EXPECT_LT(r.handover_time_ns, 23 * kSec + 1 * kMs) << target;
  }
}

TEST(PpcRowC, SystemResetCollectsTheLoser) {
  for (const char* target : {kUpstream, kSresetDump, kPrefix, kV1}) {
    const RunResult r = RunText(target, RowC(kNmi));
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].final, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].saves, 1u) << target;
    EXPECT_EQ(r.cpus[1].shutdowns, 0u) << target;
    EXPECT_EQ(CountDiag(r, "not responding"), 0) << target;
    EXPECT_LT(r.handover_time_ns, 1 * kMs) << target;
  }
}

// ---- Row J: panic_timeout <= 0 and a responder missing: unbounded operator wait. ----

void ExpectOperatorWait(const RunResult& r, const char* what) {
  EXPECT_FALSE(r.handed_over) << what;
  EXPECT_EQ(r.end, EndReason::kQuiescent) << what;
  EXPECT_EQ(r.cpus[0].final, Location::kWaitingOperator) << what;
  EXPECT_EQ(CountDiag(r, "ERROR: 1 cpu(s) not responding"), 1) << what;
  EXPECT_EQ(CountDiag(r, "Activate system reset (dumprestart) to stop other cpu(s)"), 1) << what;
}

TEST(PpcRowJ, V1LostWakeWaitsForTheOperatorWhoseResetCollectsX) {
  for (const StrayOf& s : kSameMechanism) {
    std::string text = RowB(s.platform, s.stray);
    text.replace(text.find("panic_timeout: 10"), 17, "panic_timeout: 0");
    ExpectOperatorWait(RunText(kV1, text), s.platform);
    text += "events { kind: OPERATOR_RESET trigger { at_time_ns: 100000000000 } }\n";
    const RunResult r = RunText(kV1, text);
    ASSERT_TRUE(r.handed_over) << s.platform;
    EXPECT_GE(r.handover_time_ns, 100 * kSec) << s.platform;
    EXPECT_LT(r.handover_time_ns, 100 * kSec + 1 * kMs) << s.platform;
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << s.platform;
    EXPECT_EQ(r.cpus[1].invalid_saves, 1u) << s.platform;  // the reset wake reaches L2a: crash_ipi_callback(NULL)
    EXPECT_EQ(CountDiag(r, "IPI complete"), 1) << s.platform;
  }
}

TEST(PpcRowJ, MuxedLoserMakesEveryNonNmiColumnWaitForTheOperator) {
  for (const char* target : {kPrefix, kV1, kUpstream, kSresetDump}) {
    ExpectOperatorWait(RunText(target, RowC("", 0)), target);
    const RunResult r =
        RunText(target, RowC("", 0) + "events { kind: OPERATOR_RESET trigger { at_time_ns: 100000000000 } }\n");
    // The reset returns the initiator to its setjmp point and runs the loser through the reset handler.
    ASSERT_TRUE(r.handed_over) << target;
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].saves, 1u) << target;
    EXPECT_EQ(CountDiag(r, "IPI complete"), 1) << target;
    EXPECT_GE(r.handover_time_ns, 100 * kSec) << target;
  }
}

TEST(PpcRowJ, UpstreamWithResetWaitsForANeverStartedThread) {
  // ncpus = present - 1 counts a present thread that was never started; no wake can reach it in firmware.
  const std::string text =
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 panic_timeout: 0 "
      "never_started: 3 firmware { system_reset_supported: true } }\n"
      "events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } }\n";
  ExpectOperatorWait(RunText(kUpstream, text), "never-started");
  const RunResult r =
      RunText(kUpstream, text + "events { kind: OPERATOR_RESET trigger { at_time_ns: 100000000000 } }\n");
  // The reset re-runs the crash path; the second try fails as well and proceeds after one more 10 s wait.
  EXPECT_EQ(CountDiag(r, "ERROR: 1 cpu(s) not responding"), 2);
  // The reset also took the never-started thread out of skiboot into the old kernel's 0x100: no paca, so no
  // crash path, no save, no response (docs/QEMU.md "The disagreement").
  EXPECT_EQ(r.cpus[3].final, Location::kLooseVectors);
  EXPECT_EQ(r.cpus[3].saves + r.cpus[3].invalid_saves + r.cpus[3].responses, 0u);
  for (uint32_t c : {1u, 2u}) EXPECT_EQ(r.cpus[c].final, Location::kParkedFw);
  // skiboot still believes it holds cpu3: opal_reinit_cpus' cpu_wait_job for it never ends (as under QEMU).
  EXPECT_FALSE(r.handed_over);
  EXPECT_EQ(r.end, EndReason::kQuiescent);
  EXPECT_EQ(r.cpus[0].final, Location::kCrashing);
  EXPECT_EQ(CountDiag(r, "cpu_wait_job(cpu_cleanup) for CPU 3"), 1);
}

// A thread first started during the run runs generic_secondary_common_init's cpu_restore, which gives it the boot
// CPU setup's LPCR (wake enables included): taken down again, its offline stop wakes for the crash's IPI like any
// other offline thread's. (Without the restore its LPCR had no PECE0 and it slept through the crash: a campaign
// artifact, PR1 @STOPPED_HW on upstream.)
TEST(PpcRowJ, AThreadStartedDuringTheRunGetsTheBootLpcrAndWakesForTheCrash) {
  const std::string text =
      "machine { family: PPC platform: POWER8_XICS never_started: 2 panic_timeout: 1 }\n"
      "events { kind: HOTPLUG_UP cpus: 0 cpus: 2 trigger { at_time_ns: 0 } }\n"
      "events { kind: HOTPLUG_DOWN cpus: 0 cpus: 2 trigger { at_time_ns: 17 } }\n"
      "events { kind: SYSTEM_RESET cpus: 0 trigger { at_time_ns: 21 } }\n";
  const RunResult r = RunText(kUpstream, text);
  bool restored = false;
  for (const TraceEntry& e : r.trace.entries()) restored |= e.cpu == 2 && e.label == "SS1r";
  EXPECT_TRUE(restored);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[2].at_handover, Location::kParkedFw);
  EXPECT_EQ(r.cpus[2].saves, 1u);
  EXPECT_EQ(r.cpus[2].responses, 1u);
}

// A machine check on a thread skiboot holds is taken at once (skiboot runs with MSR[ME] = 1) through the OS's 0x200
// vector: the thread leaves firmware when the check arrives, not when a later opal_start_cpu releases it, and with
// no paca it never reaches machine_check_exception. A parked thread with a paca keeps it latched (not modelled).
TEST(PpcRowJ, AMachineCheckTakesANeverStartedThreadOutOfFirmwareAtOnce) {
  const std::string text =
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 never_started: 3 }\n"
      "events { kind: MCE cpus: 3 trigger { at_time_ns: 50 } }\n";
  const RunResult r = RunText(kUpstream, text);
  EXPECT_EQ(r.cpus[3].final, Location::kLooseVectors);
  uint64_t left_at = 0;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == 3 && e.kind == TraceKind::kEvent && e.label == "MCE") left_at = e.time_ns;
  }
  EXPECT_EQ(left_at, 50u);  // at the check, with no crash or start in the scenario
  const RunResult before = RunText(kUpstream,
                                   "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 "
                                   "threads_per_core: 2 never_started: 3 }\n");
  EXPECT_EQ(before.cpus[3].final, Location::kNeverStarted);
}

// A thread that went back to skiboot (opal_return_cpu) keeps its paca: the reset takes it to the old kernel's
// 0x100, it re-runs the crash path (crash_kexec_secondary, crash_ipi_callback: counted again, not saved again) and
// calls opal_return_cpu again. Here the reset comes while skiboot's opal_reinit_cpus gives the stopped offline
// thread its 1 s (prefix: never woken). The initiator takes the reset too (and, in crash_ipi_callback, never hands
// over; not asserted here).
TEST(PpcRowJ, AResetReturnedThreadComesBackToFirmware) {
  const std::string text =
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 1 "
      "panic_timeout: 10 }\n"
      "events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } }\n"
      "events { kind: OPERATOR_RESET trigger { at_time_ns: 500000000 } }\n";
  const RunResult r = RunText(kPrefix, text);
  for (uint32_t c : {2u, 3u}) {
    EXPECT_EQ(r.cpus[c].final, Location::kParkedFw) << "cpu" << c;
    EXPECT_EQ(r.cpus[c].saves, 1u) << "cpu" << c;
    EXPECT_EQ(r.cpus[c].responses, 2u) << "cpu" << c;
    bool reset_taken = false;
    for (const TraceEntry& e : r.trace.entries()) reset_taken |= e.cpu == c && e.kind == TraceKind::kIrq;
    EXPECT_TRUE(reset_taken) << "cpu" << c;
  }
}

TEST(PpcRowJ, PositivePanicTimeoutProceedsWithoutTheMissingCpu) {
  const RunResult r = RunText(kUpstream, RowC("", 10));
  EXPECT_TRUE(r.handed_over);
  EXPECT_EQ(CountDiag(r, "Activate system reset"), 0);
}

}  // namespace
}  // namespace crashdiff
