// Outcomes of the powerpc models that the DOMAIN §7 table does not predict. Each follows from faithful steps;
// these tests pin them so that a change in the models that removes one is noticed (and explained).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "diff/runner.h"
#include "sim/scenario_io.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

// Most emergent outcomes are open findings, whose seeds live in corpus/findings/ (see corpus/README.md).
pb::Scenario Seed(const std::string& file) {
  const std::string findings = std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings/ppc/" + file;
  LoadResult r = LoadScenarioFile(
      std::filesystem::exists(findings) ? findings : std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/ppc/" + file);
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario());
}

using testing::RunOn;

bool HasEntry(const RunResult& r, uint32_t cpu, TraceKind kind, std::string_view label) {
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == cpu && e.kind == kind && e.label == label) return true;
  }
  return false;
}

int CountDiag(const RunResult& r, const std::string& text) {
  int n = 0;
  for (const Diagnostic& d : r.diagnostics) n += d.text.find(text) != std::string::npos;
  return n;
}

// I11 and the kernel's I13 wait cover online CPUs only, so a woken offline thread may still be in the receiver when
// they end; skiboot's opal_reinit_cpus (end of I13) then waits for it, as for every thread it believes is in the OS
// ("That might be a race with return CPU during kexec"): it reaches opal_return_cpu before the hand-over, and the
// MCE after it is absorbed by firmware. (Before skiboot's wait was modelled it was TRANSIT at hand-over.)
TEST(PpcEmergent, SkibootWaitsForAWokenOfflineThreadTheKernelDoesNotWaitFor) {
  const pb::Scenario s = Seed("transit_at_handover_mce.textproto");
  for (const char* target : {"ppc-v1-check-before-clear", "ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult r = RunOn(target, s);
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].responses, 1u) << target;
    EXPECT_EQ(r.cpus[1].final, Location::kParkedFw) << target;
    EXPECT_EQ(CountDiag(r, "kexec: waiting for cpu 1"), 0) << target;  // not online: the kernel does not wait
    EXPECT_LT(r.handover_time_ns, 1 * kSec) << target;
  }
}

// A CPU in the crash's online snapshot cannot leave the online mask before it takes the crash IPI: take_cpu_down
// runs only once every online CPU's stopper has turned interrupts off, and a software panic cannot start inside a
// stopper. Before stop_machine was modelled, a panic of cpu2 at 985 ns beside cpu0's cpu_down of cpu1 at 1,000 ns made
// the pre-fix online guard (R0) return on cpu1, which then slept uncounted (10 s, "1 cpu(s) not responding").
// Here the panic sweeps 900 .. 1,500 ns under four random schedules: the guard never drops a CPU.
TEST(PpcEmergent, StopMachineKeepsACpuInTheCrashSnapshotOnlineUntilItAnswers) {
  pb::Scenario s = testing::ScenarioFromText(
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 panic_timeout: 10 }\n"
      "events { kind: HOTPLUG_DOWN cpus: 0 cpus: 1 trigger { at_time_ns: 1000 } }\n"
      "events { kind: PANIC cpus: 2 trigger { at_time_ns: 900 } }\n"
      "schedule { policy: RANDOM seed: 1 }\n");
  int crashes_with_cpu1_answering = 0;
  for (uint64_t t = 900; t <= 1500; t += 5) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      s.mutable_events(1)->mutable_trigger()->set_at_time_ns(t);
      s.mutable_schedule()->set_seed(seed);
      const RunResult r = RunOn("ppc-prefix-nowake", s);
      EXPECT_EQ(CountDiag(r, "not responding"), 0) << "panic at " << t << " ns, seed " << seed;
      if (r.handed_over && r.cpus[1].responses > 0) ++crashes_with_cpu1_answering;
    }
  }
  EXPECT_GT(crashes_with_cpu1_answering, 0);  // the sweep reaches crashes that snapshot cpu1 online
}

// crash_kexec_post_notifiers: the CPUs are stopped before the crash. v4.14 (prefix, v1) stops them with
// smp_call_function(stop_this_cpu): they mark themselves offline and spin with interrupts off, outside the NMI-IPI
// layer. Prefix counts online CPUs only and hands over at once without them; v1 also waits for them as offline
// CPUs (10 s, not saved). The v5.x layer: the same 10 s; the 2022 crash_smp_send_stop collects everybody once.
TEST(PpcEmergent, PostNotifiersStopThenCollect) {
  const pb::Scenario s = Seed("post_notifiers_loser_offline.textproto");
  for (const char* target : {"ppc-prefix-nowake", "ppc-v1-check-before-clear"}) {
    const RunResult r = RunOn(target, s);
    EXPECT_TRUE(r.handed_over) << target;
    for (uint32_t c : {1u, 2u}) {
      EXPECT_EQ(r.cpus[c].at_handover, Location::kLoserSpin) << target;
      EXPECT_EQ(r.cpus[c].saves, 0u) << target;
      EXPECT_FALSE(HasEntry(r, c, TraceKind::kRead, "NMI-H")) << target;  // stopped without the NMI IPI
    }
  }
  EXPECT_LT(RunOn("ppc-prefix-nowake", s).handover_time_ns, 1 * kSec + 1 * kMs);  // + opal_reinit_cpus' 1 s
  EXPECT_EQ(CountDiag(RunOn("ppc-v1-check-before-clear", s), "ERROR: 2 cpu(s) not responding"), 1);
  const RunResult upstream = RunOn("ppc-upstream-clear-then-check", s);
  EXPECT_EQ(CountDiag(upstream, "ERROR: 2 cpu(s) not responding"), 1);
  for (uint32_t c : {1u, 2u}) {
    EXPECT_EQ(upstream.cpus[c].at_handover, Location::kLoserSpin);
    EXPECT_EQ(upstream.cpus[c].saves, 0u);
  }
  EXPECT_EQ(upstream.cpus[3].at_handover, Location::kParkedFw);
  const RunResult sreset = RunOn("ppc-sreset-dump", s);
  for (uint32_t c : {1u, 2u, 3u}) {
    EXPECT_EQ(sreset.cpus[c].at_handover, Location::kParkedFw);
    EXPECT_EQ(sreset.cpus[c].saves, 1u);
  }
  EXPECT_LT(sreset.handover_time_ns, 1 * kMs);
}

// With no usable idle state the offline thread polls with interrupts hard-disabled: no muxed wake is ever
// taken, so even the fixed targets wait 10 s and leave it in the old kernel's loop.
TEST(PpcEmergent, BusyPollingOfflineThreadIsNeverCollected) {
  const pb::Scenario s = Seed("busy_poll_no_idle_state_mce_after_handover.textproto");
  for (const char* target : {"ppc-v1-check-before-clear", "ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult r = RunOn(target, s);
    EXPECT_EQ(r.cpus[1].at_handover, Location::kOfflineLoop) << target;
    EXPECT_EQ(r.cpus[1].final, Location::kDeadCorrupt) << target;
    EXPECT_EQ(CountDiag(r, "ERROR: 1 cpu(s) not responding"), 1) << target;
    EXPECT_GE(r.handover_time_ns, 10 * kSec) << target;
  }
}

// Reset-driven dump before 2022: the initiator's own NMI round resets receivers already waiting at R4, which
// re-enter and count again (the arrival counter over-counts, PR6); the 2022 initiator sends no second round.
TEST(PpcEmergent, ResetDrivenDumpCountsReceiversTwiceBefore2022) {
  const pb::Scenario s = Seed("sreset_all_reset_driven_dump.textproto");
  const RunResult old_style = RunOn("ppc-upstream-clear-then-check", s);
  const RunResult sreset = RunOn("ppc-sreset-dump", s);
  ASSERT_TRUE(old_style.handed_over && sreset.handed_over);
  const uint32_t initiator = old_style.handover_cpu;
  for (uint32_t c = 0; c < 4; ++c) {
    if (c == initiator) continue;
    EXPECT_EQ(old_style.cpus[c].responses, 2u) << "cpu" << c;
    EXPECT_EQ(old_style.cpus[c].saves, 1u) << "cpu" << c;  // cpus_state_saved keeps it to one save
    EXPECT_EQ(sreset.cpus[c].responses, 1u) << "cpu" << c;
  }
  // The pre-fix loop ignores the reset wake of the offline thread altogether.
  const RunResult prefix = RunOn("ppc-prefix-nowake", s);
  EXPECT_EQ(prefix.cpus[1].at_handover, Location::kStoppedHw);
  EXPECT_GE(old_style.handover_time_ns, 500 * kMs);  // the 500 ms primary wait
}

// The fixed loop has no kdump check before its first stop, and I5b sends offline CPUs a muxed NMI IPI without
// a pending-mask entry. A CPU out of the online mask (D2) has interrupts on from its stopper's restore (SM4) until
// the offline loop (E1): it takes the crash doorbell as an ordinary IPI, the NMI-IPI handler ignores it (not
// pending), and the CPU then sleeps with nothing latched. A firmware system reset is not lost this way.
TEST(PpcEmergent, FixedTargetsLoseACrashWakeSentIntoTheHotUnplugWindow) {
  const pb::Scenario s = Seed("hotplug_window_crash_ipi_consumed.textproto");
  for (const char* target : {"ppc-v1-check-before-clear", "ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult r = RunOn(target, s);
    EXPECT_TRUE(r.cpus[1].woken) << target;
    EXPECT_TRUE(HasEntry(r, 1, TraceKind::kIrq, "HDOORBELL")) << target;  // taken before E1 ...
    EXPECT_TRUE(HasEntry(r, 1, TraceKind::kRead, "NMI-H")) << target;     // ... and not pending for it
    EXPECT_FALSE(HasEntry(r, 1, TraceKind::kRead, "L6")) << target;       // it never woke in the loop
    EXPECT_EQ(r.cpus[1].responses, 0u) << target;
    EXPECT_EQ(r.cpus[1].at_handover, Location::kStoppedHw) << target;
    EXPECT_EQ(CountDiag(r, "ERROR: 1 cpu(s) not responding"), 1) << target;
    EXPECT_GE(r.handover_time_ns, 10 * kSec) << target;
  }
  pb::Scenario with_reset = s;
  with_reset.mutable_machine()->mutable_firmware()->set_system_reset_supported(true);
  for (const char* target : {"ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult r = RunOn(target, with_reset);
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << target;
    EXPECT_LT(r.handover_time_ns, 1 * kMs) << target;
  }
}

// A reset wake replayed by the fixed loop makes an offline thread run crash_kexec: it can become the initiator.
TEST(PpcEmergent, AnOfflineThreadCanWinAResetDrivenDump) {
  const pb::Scenario s = Seed("sreset_offline_thread_becomes_initiator.textproto");
  for (const char* target : {"ppc-v1-check-before-clear", "ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult r = RunOn(target, s);
    ASSERT_TRUE(r.handed_over) << target;
    EXPECT_EQ(r.handover_cpu, 1u) << target;
    EXPECT_EQ(r.cpus[1].shutdowns, 1u) << target;
    for (uint32_t c : {0u, 2u, 3u}) EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << target;
  }
  EXPECT_EQ(RunOn("ppc-prefix-nowake", s).cpus[1].at_handover, Location::kStoppedHw);
}

// Before 2022 the initiator of a reset-driven dump resets the offline thread a second time and does not wait for
// it (I11, the kernel's I13: online CPUs only). skiboot's opal_reinit_cpus does: the thread takes the second reset
// in the old kernel and reaches opal_return_cpu before the hand-over. (Before skiboot's wait was modelled the
// second reset could land after the hand-over, through the kdump kernel's 0x100.)
TEST(PpcEmergent, PreSresetDumpSecondResetIsTakenBeforeTheHandover) {
  const pb::Scenario s = Seed("sreset_second_round_after_handover.textproto");
  for (const char* target : {"ppc-v1-check-before-clear", "ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult r = RunOn(target, s);
    ASSERT_TRUE(r.handed_over) << target;
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].final, Location::kParkedFw) << target;
  }
}

// The 2022 initiator trusts that a reset-driven crash reset every thread; a single-thread reset collects nobody.
TEST(PpcEmergent, SresetDumpCollectsNobodyAfterASingleThreadReset) {
  const pb::Scenario s = Seed("sreset_single_thread.textproto");
  const RunResult r = RunOn("ppc-sreset-dump", s);
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.handover_cpu, 2u);
  for (uint32_t c : {0u, 3u}) {
    EXPECT_EQ(r.cpus[c].at_handover, Location::kRunOld);
    EXPECT_FALSE(r.cpus[c].woken);
  }
  EXPECT_EQ(CountDiag(r, "ERROR: 3 cpu(s) not responding"), 1);
  // 0.5 s primary wait + 10 s arrival + 10 s real mode + 1 s OPAL wait for each of the two online CPUs.
  EXPECT_GE(r.handover_time_ns, 22 * kSec + 500 * kMs);
  for (const char* target : {"ppc-v1-check-before-clear", "ppc-upstream-clear-then-check"}) {
    const RunResult old = RunOn(target, s);
    for (uint32_t c : {0u, 1u, 3u}) EXPECT_EQ(old.cpus[c].at_handover, Location::kParkedFw) << target;
    EXPECT_LT(old.handover_time_ns, 501 * kMs) << target;
  }
}

// A system reset taken while the CPU holds nmi_ipi_lock re-enters smp_handle_nmi_ipi and spins on its own lock.
TEST(PpcEmergent, ResetNestedInsideTheNmiIpiLockDeadlocksTheCrash) {
  const RunResult r = RunOn("ppc-sreset-dump", Seed("nmi_lock_reset_nested_deadlock.textproto"));
  EXPECT_FALSE(r.handed_over);
  EXPECT_EQ(r.cpus[0].final, Location::kCrashing);
  EXPECT_TRUE(HasEntry(r, 1, TraceKind::kIrq, "SYSTEM_RESET"));
  ASSERT_FALSE(r.trace.entries().empty());
  // The last thing cpu1 did was start waiting for the lock it holds.
  const TraceEntry* last = nullptr;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == 1) last = &e;
  }
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->kind, TraceKind::kBlock);
  EXPECT_EQ(last->label, "NMI-H");
}

// The QEMU powersave=off run (docs/QEMU.md "After the hand-over"): on a hash MMU the initiator's mmu_cleanup_all
// (kexec_sequence, just before the jump) clears the hash table with broadcast tlbie, so the offline thread
// busy-polling in its loop with translation on takes an instruction storage interrupt with no event injected and
// loops in the low vectors (DEAD_CORRUPT once they are the kdump kernel's). POWER9 here runs radix: not modelled.
TEST(PpcEmergent, HashTableClearAtTheHandOverTakesABusyPollingThreadIntoTheVectors) {
  const std::string machine =
      " cores: 2 threads_per_core: 1 offline: 1 panic_timeout: 1 firmware { idle_state_usable: false } }\n"
      "events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } }\n";
  const pb::Scenario p8 = testing::ScenarioFromText("machine { family: PPC platform: POWER8_XICS" + machine);
  const pb::Scenario p9 = testing::ScenarioFromText("machine { family: PPC platform: POWER9_DOORBELL_XIVE" + machine);
  const RunResult hash = RunOn("ppc-upstream-clear-then-check", p8);
  ASSERT_TRUE(hash.handed_over);
  EXPECT_EQ(CountDiag(hash, "ERROR: 1 cpu(s) not responding"), 1);
  EXPECT_EQ(hash.cpus[1].final, Location::kDeadCorrupt);
  EXPECT_TRUE(HasEntry(hash, 1, TraceKind::kIrq, "ISI"));
  const RunResult radix = RunOn("ppc-upstream-clear-then-check", p9);
  ASSERT_TRUE(radix.handed_over);
  EXPECT_EQ(radix.cpus[1].final, Location::kOfflineLoop);
}

}  // namespace
}  // namespace crashdiff
