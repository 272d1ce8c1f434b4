// Outcomes of the powerpc models that the spec's §7 table does not predict. Each follows from faithful steps;
// these tests pin them so that a change in the models that removes one is noticed (and explained).
#include <gtest/gtest.h>

#include <string>

#include "diff/runner.h"
#include "sim/scenario_io.h"
#include "tests/sim_test_util.h"

namespace crashdiff {
namespace {

pb::Scenario Seed(const std::string& file) {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/ppc/" + file);
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario());
}

RunResult RunOn(const char* target, const pb::Scenario& s) {
  const TargetSpec* t = FindTarget(target);
  EXPECT_NE(t, nullptr) << target;
  return RunOnTarget(*t, s);
}

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

// I11 and I13 wait only for online CPUs, so a woken offline thread may still be in the receiver at hand-over.
TEST(PpcEmergent, FixedTargetsHandOverWhileAWokenOfflineThreadIsStillInTransit) {
  const pb::Scenario s = Seed("transit_at_handover_mce.textproto");
  for (const char* target : {"ppc-v1-check-before-clear", "ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult r = RunOn(target, s);
    EXPECT_EQ(r.cpus[1].at_handover, Location::kTransit) << target;
    EXPECT_EQ(r.cpus[1].responses, 1u) << target;
    EXPECT_EQ(r.cpus[1].final, Location::kDeadCorrupt) << target;  // the MCE goes through the replaced 0x200
    EXPECT_LT(r.handover_time_ns, 1 * kMs) << target;
  }
}

// Hot-unplug in flight: the online bit is cleared before the offline loop and interrupts are on in between.
TEST(PpcEmergent, PrefixOnlineGuardDropsACpuThatGoesOfflineDuringTheCrash) {
  const pb::Scenario s = Seed("hotplug_down_r0_guard_race.textproto");
  const RunResult r = RunOn("ppc-prefix-nowake", s);
  EXPECT_TRUE(HasEntry(r, 1, TraceKind::kRead, "R0"));  // it did enter crash_ipi_callback, and returned
  EXPECT_EQ(r.cpus[1].responses, 0u);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kStoppedHw);
  EXPECT_EQ(CountDiag(r, "ERROR: 1 cpu(s) not responding"), 1);
  EXPECT_GE(r.handover_time_ns, 10 * kSec);
  for (const char* target : {"ppc-v1-check-before-clear", "ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult fixed = RunOn(target, s);
    EXPECT_EQ(fixed.cpus[1].at_handover, Location::kParkedFw) << target;
    EXPECT_LT(fixed.handover_time_ns, 1 * kMs) << target;
  }
}

// crash_kexec_post_notifiers: smp_send_stop's NMI function never returns. In the v4.14 busy-count NMI layer each
// such handler keeps the busy count raised, so the crash round's own send waits for it forever; in the v5.x
// layer the round runs, but the stopped CPUs marked themselves offline and spin with interrupts off (10 s, not
// saved); the 2022 crash_smp_send_stop collects everybody once.
TEST(PpcEmergent, PostNotifiersStopThenCollect) {
  const pb::Scenario s = Seed("post_notifiers_loser_offline.textproto");
  for (const char* target : {"ppc-prefix-nowake", "ppc-v1-check-before-clear"}) {
    const RunResult r = RunOn(target, s);
    EXPECT_FALSE(r.handed_over) << target;
    EXPECT_EQ(r.cpus[0].final, Location::kCrashing) << target;
    EXPECT_EQ(r.end, EndReason::kQuiescent) << target;
    for (uint32_t c : {1u, 2u}) EXPECT_EQ(r.cpus[c].final, Location::kLoserSpin) << target;
  }
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

}  // namespace
}  // namespace crashdiff
