// The seed thread's two stories, replayed on the models from the seed corpus:
// - DOMAIN §3.2 steps 1-6 (the interleaving Nicholas Piggin pointed out in v1), step by step in the trace;
// - DOMAIN §3.1 steps 1-5 (the problem 4145f358644b fixed): an HMI after hand-over hits an offline thread still in
//   a state-losing stop, which wakes into the kdump kernel's reset vector; absent on the fixed target.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "diff/runner.h"
#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

pb::Scenario LoadSeed(const std::string& file) {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/ppc/" + file);
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario());
}

RunResult RunSeed(const char* target, const pb::Scenario& s) {
  const TargetSpec* t = FindTarget(target);
  EXPECT_NE(t, nullptr);
  return RunOnTarget(*t, s);
}

// Finds the first trace entry at or after `from` that matches; returns entries().size() if none.
size_t Find(const RunResult& r, size_t from, const std::function<bool(const TraceEntry&)>& match) {
  const auto& e = r.trace.entries();
  for (size_t i = from; i < e.size(); ++i) {
    if (match(e[i])) return i;
  }
  return e.size();
}

auto Entry(uint32_t cpu, TraceKind kind, std::string label, std::string detail = {}) {
  return [=](const TraceEntry& e) {
    return e.cpu == cpu && e.kind == kind && e.label == label && e.detail.find(detail) != std::string::npos;
  };
}

TEST(PpcSeed, V1InterleavingOfSection32StepByStep) {
  const RunResult r = RunSeed("ppc-v1-check-before-clear", LoadSeed("b_stray_doorbell_before_crash_wake.textproto"));
  const size_t end = r.trace.entries().size();
  // 1. X (cpu1) is in STOPPED_HW; the stray doorbell wakes it with SRR1 = HDBELL.
  const size_t stopped = Find(r, 0, Entry(1, TraceKind::kBlock, "L2", "stop"));
  const size_t woke = Find(r, stopped, Entry(1, TraceKind::kWake, "L2", "HDOORBELL"));
  // 2. X reads crashing_cpu = -1 at L2a: not crashing.
  const size_t check = Find(r, woke, Entry(1, TraceKind::kRead, "L2a", "crashing_cpu"));
  ASSERT_LT(check, end);
  EXPECT_EQ(r.trace.entries()[check].value, -1);
  // 3. P (cpu0): I2 crashing_cpu = 0; I5a without X; I5b: message byte, barrier, msgsnd into the still-set latch.
  const size_t i2 = Find(r, check, Entry(0, TraceKind::kWrite, "I2", "crashing_cpu"));
  const size_t msg = Find(r, i2, Entry(0, TraceKind::kWrite, "I5b", "ipi_message.NMI_IPI[1]"));
  const size_t msgsnd = Find(r, msg, Entry(0, TraceKind::kHw, "I5b", "msgsnd doorbell cpu1"));
  // No clear on X between its wake and P's msgsnd: the two doorbells merge into one latch.
  EXPECT_EQ(Find(r, woke, Entry(1, TraceKind::kHw, "L4", "msgclr")),
            Find(r, msgsnd, Entry(1, TraceKind::kHw, "L4", "msgclr")));
  // 4. X: L4 MSGCLR consumes P's wake.
  const size_t msgclr = Find(r, msgsnd, Entry(1, TraceKind::kHw, "L4", "msgclr"));
  // 5. X: back to H0, L1, L2 and sleeps with nothing pending.
  const size_t h0 = Find(r, msgclr, Entry(1, TraceKind::kRead, "H0"));
  const size_t sleeps = Find(r, h0, Entry(1, TraceKind::kBlock, "L2", "stop"));
  // 6. P: I7 times out after 10 s; "ERROR: 1 cpu(s) not responding"; hand-over with X in STOPPED_HW.
  const size_t timeout = Find(r, sleeps, Entry(0, TraceKind::kTimeout, "I7"));
  const size_t error = Find(r, timeout, Entry(0, TraceKind::kDiag, "printk", "ERROR: 1 cpu(s) not responding"));
  const size_t handover = Find(r, error, [](const TraceEntry& e) { return e.kind == TraceKind::kHandover; });
  for (size_t i : {stopped, woke, check, i2, msg, msgsnd, msgclr, h0, sleeps, timeout, error, handover}) {
    EXPECT_LT(i, end);
  }
  // Nothing re-woke X after it went back to sleep.
  EXPECT_EQ(Find(r, sleeps, Entry(1, TraceKind::kWake, "L2")), end);
  EXPECT_GE(r.trace.entries()[timeout].time_ns - r.trace.entries()[i2].time_ns, 10 * kSec - 1000);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kStoppedHw);
  EXPECT_EQ(r.cpus[1].responses, 0u);
  EXPECT_GE(r.handover_time_ns, 10 * kSec);
}

TEST(PpcSeed, PrefixNoWakeOfflineThreadCorruptedByHmiAfterHandover) {
  const RunResult r = RunSeed("ppc-prefix-nowake", LoadSeed("a_offline_stopped_hmi_after_handover.textproto"));
  const size_t end = r.trace.entries().size();
  // 1. X executes E1-E4, H0, L1, L2 and stops.
  const size_t e3 = Find(r, 0, Entry(1, TraceKind::kWrite, "E3", "cpu_state[1]"));
  const size_t stopped = Find(r, e3, Entry(1, TraceKind::kBlock, "L2", "stop"));
  // 2. P panics; its NMI round targets online CPUs only; they arrive.
  const size_t i2 = Find(r, stopped, Entry(0, TraceKind::kWrite, "I2"));
  const size_t complete = Find(r, i2, Entry(0, TraceKind::kDiag, "printk", "IPI complete"));
  // 3. Hand-over with X still stopped.
  const size_t handover = Find(r, complete, [](const TraceEntry& e) { return e.kind == TraceKind::kHandover; });
  // 4-5. HMI after hand-over: X wakes through the kdump kernel's 0x100 vector.
  const size_t hmi = Find(r, handover, [](const TraceEntry& e) { return e.kind == TraceKind::kEvent; });
  const size_t dead = Find(r, hmi, Entry(1, TraceKind::kCorrupt, "DEAD", "reset vector"));
  for (size_t i : {e3, stopped, i2, complete, handover, hmi, dead}) EXPECT_LT(i, end);
  EXPECT_GT(Find(r, 0, Entry(1, TraceKind::kWake, "L2")), handover) << "X never woke before the hand-over";
  EXPECT_EQ(r.cpus[1].at_handover, Location::kStoppedHw);
  EXPECT_EQ(r.cpus[1].final, Location::kDeadCorrupt);
  EXPECT_EQ(r.cpus[1].saves, 0u);
  EXPECT_LT(r.handover_time_ns, 1 * kSec + 1 * kMs);  // skiboot's opal_reinit_cpus gives X 1 s, then gives up
}

TEST(PpcSeed, FixedTargetParksTheOfflineThreadSoTheHmiFindsNobody) {
  for (const char* target : {"ppc-upstream-clear-then-check", "ppc-sreset-dump"}) {
    const RunResult r = RunSeed(target, LoadSeed("a_offline_stopped_hmi_after_handover.textproto"));
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].final, Location::kParkedFw) << target;
    EXPECT_EQ(r.cpus[1].saves, 1u) << target;
    for (const TraceEntry& e : r.trace.entries()) EXPECT_NE(e.kind, TraceKind::kCorrupt) << target;
  }
}

}  // namespace
}  // namespace crashdiff
