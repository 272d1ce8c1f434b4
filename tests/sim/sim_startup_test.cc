// Start-up and horizon (docs/SIMULATOR.md): a CPU declared offline or never-started is, at step 0, where the
// kernel leaves such a CPU (settling), settling is invisible to step numbers, label triggers and the schedule, and
// no event within the schema's ranges can by itself push a run to its time limit.
#include <gtest/gtest.h>

#include <string>

#include "diff/runner.h"
#include "sim/machine.h"
#include "sim/validate.h"
#include "targets/target.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff {
namespace {

using testing::CountEntries;
using testing::LambdaProgram;
using testing::RunTarget;
using testing::ScenarioFromText;

// ---- Every model settles into its offline / firmware state ----

struct StartupCase {
  std::string what;
  std::string machine;  // the body of machine { }
  uint32_t offline_cpu;
  uint32_t never_started_cpu;
};

std::vector<StartupCase> StartupCases() {
  const std::string ppc = "cores: 2 threads_per_core: 2 offline: 1 never_started: 3 ";
  const std::string x86 = "family: X86 cores: 2 threads_per_core: 2 offline: 1 never_started: 3 ";
  const std::string arm = "family: ARM64 cores: 4 threads_per_core: 1 offline: 1 never_started: 3 ";
  return {
      {"ppc p9 doorbell", "family: PPC platform: POWER9_DOORBELL_XIVE " + ppc, 1, 3},
      {"ppc p9 xive ipi", "family: PPC platform: POWER9_XIVE_IPI " + ppc, 1, 3},
      {"ppc p9 icp opal", "family: PPC platform: POWER9_ICP_OPAL " + ppc, 1, 3},
      {"ppc p8 xics", "family: PPC platform: POWER8_XICS " + ppc, 1, 3},
      {"ppc busy-poll", "family: PPC platform: POWER9_DOORBELL_XIVE " + ppc + "firmware { idle_state_usable: false }",
       1, 3},
      {"ppc stop keeps state", "family: PPC platform: POWER8_XICS " + ppc + "firmware { stop_loses_state: false }", 1,
       3},
      {"x86 mwait", x86 + "platform: X86_INTEL_MWAIT", 1, 3},
      {"x86 hlt", x86 + "platform: X86_HLT", 1, 3},
      {"x86 no init/sipi", x86 + "platform: X86_INTEL_MWAIT firmware { init_sipi_wakeup: false }", 1, 3},
      {"arm64 psci", arm + "platform: ARM64_PSCI", 1, 3},
      {"arm64 psci cpu_off fails elsewhere", arm + "platform: ARM64_PSCI firmware { cpu_off_fails_for: 2 }", 1, 3},
      {"arm64 spin-table", arm + "platform: ARM64_SPIN_TABLE", 1, 3},
  };
}

// Where a model's offline path ends: stop/MWAIT, a busy-poll or park loop, HLT with IF=0 (x86 hlt_play_dead),
// PSCI CPU_OFF, the spin-table hold loop.
bool OfflineState(Location l) {
  return l == Location::kStoppedHw || l == Location::kOfflineLoop || l == Location::kParkedHlt ||
         l == Location::kParkedFw || l == Location::kParkedSpin;
}

void ExpectSettled(const RunResult& r, const StartupCase& c, const std::string& who) {
  ASSERT_EQ(r.settled.size(), 4u) << who;
  EXPECT_GT(r.settle_steps, 0u) << who;
  EXPECT_TRUE(OfflineState(r.settled[c.offline_cpu])) << who << ": offline CPU at " << Name(r.settled[c.offline_cpu]);
  EXPECT_EQ(r.settled[c.never_started_cpu], Location::kNeverStarted) << who;
  EXPECT_EQ(r.settled[0], Location::kRunOld) << who << ": online CPUs do not run before step 0";
}

TEST(Startup, EveryModelSettlesItsOfflineAndNeverStartedCpusBeforeStepZero) {
  for (const StartupCase& c : StartupCases()) {
    const pb::Scenario s = ScenarioFromText("machine { " + c.machine + " }");
    ASSERT_TRUE(IsValid(s)) << c.what;
    const std::vector<const TargetSpec*> targets = TargetsFor(s);
    EXPECT_FALSE(targets.empty()) << c.what;
    for (const TargetSpec* t : targets) ExpectSettled(RunOnTarget(*t, s), c, c.what + " on " + t->name);
    ExpectSettled(RunReference(s), c, c.what + " on the reference");
  }
}

// The kernel leaves an offline powernv thread asleep in stop with MSR[EE] off: a doorbell at step 0 wakes it from
// stop (and the loop puts it back to sleep); it is never taken as an interrupt at E1 with interrupts still on.
TEST(Startup, PpcOfflineThreadIsStoppedWithInterruptsOffAtStepZero) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 offline: 1 }
    events {
      kind: STRAY_DOORBELL
      cpus: 1
      trigger { at_step: 0 }
    }
  )pb");
  ASSERT_EQ(r.settled.size(), 2u);
  EXPECT_EQ(r.settled[1], Location::kStoppedHw);
  EXPECT_EQ(CountEntries(r, 1, TraceKind::kIrq, "HDOORBELL"), 0);
  EXPECT_NE(testing::FindEntry(r, 1, TraceKind::kWake, "L2", "stop wake HDOORBELL"), nullptr);
  EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw);
  // Settling happens at step 0, time 0, before the event.
  bool event_seen = false;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kEvent) event_seen = true;
    if (e.cpu == 1 && e.label == "E1") {
      EXPECT_FALSE(event_seen);
      EXPECT_EQ(e.step, 0u);
      EXPECT_EQ(e.time_ns, 0u);
    }
  }
}

// A never-started thread is in firmware from step 0: whatever the schedule, a crash at step 0 never makes it
// respond, save or reach the receiver.
// A never-started thread never answers the crash. Firmware's system reset (the offline round's NMI IPI where
// OPAL_SIGNAL_SYSTEM_RESET exists) takes it out of skiboot's hold with no paca to run on (LOOSE_VECTORS); IPIs
// never reach it there.
TEST(Startup, NeverStartedCpuNeverAnswersACrashAtStepZeroUnderAnySchedule) {
  for (const char* machine : {"platform: POWER9_DOORBELL_XIVE firmware { system_reset_supported: true }",
                              "platform: POWER9_DOORBELL_XIVE", "platform: POWER8_XICS"}) {
    const bool reset_reaches = std::string_view(machine).find("system_reset") != std::string_view::npos;
    for (const char* policy : {"RANDOM", "PCT"}) {
      for (int seed = 0; seed < 60; ++seed) {
        const std::string text = std::string("machine { family: PPC ") + machine +
                                 " cores: 2 threads_per_core: 2 never_started: 3 offline: 1 panic_timeout: 10 }\n"
                                 "events { kind: PANIC cpus: 0 trigger { at_step: 0 } }\n"
                                 "schedule { policy: " +
                                 policy + " seed: " + std::to_string(seed) + " pct_depth: 3 pct_horizon: 50 }\n";
        const pb::Scenario s = ScenarioFromText(text);
        auto check = [&](const RunResult& r, const std::string& who) {
          const CpuResult& ns = r.cpus[3];
          EXPECT_EQ(ns.responses, 0u) << who;
          EXPECT_EQ(ns.saves + ns.invalid_saves, 0u) << who;
          if (reset_reaches && who.starts_with("ppc-upstream-clear-then-check")) {
            EXPECT_EQ(ns.final, Location::kLooseVectors) << who;  // the 2017 offline round resets every present CPU
          } else if (reset_reaches) {
            EXPECT_TRUE(ns.final == Location::kNeverStarted || ns.final == Location::kLooseVectors) << who;
          } else {
            EXPECT_EQ(ns.at_handover, Location::kNeverStarted) << who;
            EXPECT_EQ(ns.final, Location::kNeverStarted) << who;
          }
        };
        for (const TargetSpec* t : TargetsFor(s)) check(RunOnTarget(*t, s), t->name + " " + text);
        check(RunReference(s), "reference " + text);
        if (::testing::Test::HasFailure()) return;
      }
    }
  }
}

// ---- Settling is invisible to the scenario's counting ----

// cpu1 (offline) runs two steps labelled S on its way to sleep; cpu0 runs three labelled S.
Task<> SettleThenSleep(Cpu& cpu) {
  co_await cpu.irq_disable("S");
  co_await cpu.local("S");
  co_await cpu.park(Location::kOfflineLoop, "S-park");
}
Task<> ThreeSteps(Cpu& cpu) {
  for (int i = 0; i < 3; ++i) co_await cpu.local("S");
}

TEST(Startup, SettleStepsDoNotCountForStepsLabelsOrTheSchedule) {
  // "S" is this test program's own label, not a trigger point: the scenario is not validated.
  const pb::Scenario s = testing::UnvalidatedScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 offline: 1 }
    events {
      kind: HMI
      cpus: 0
      trigger { on_label { cpu: 1 label: "S" occurrence: 1 } }
    }
    events {
      kind: MCE
      cpus: 0
      trigger { at_step: 2 }
    }
  )pb");
  Machine m(s);
  LambdaProgram p;
  p.start = [](Cpu& cpu) { return cpu.id() == 1 ? SettleThenSleep(cpu) : ThreeSteps(cpu); };
  const RunResult r = m.Run(p);
  EXPECT_EQ(r.settle_steps, 3u);  // two steps and the park
  EXPECT_EQ(r.settled[1], Location::kOfflineLoop);
  EXPECT_EQ(r.steps, 3u + 1u);  // cpu0's three steps and the MCE it takes; settling is not counted
  uint64_t mce_step = UINT64_MAX;
  for (const TraceEntry& e : r.trace.entries()) {
    EXPECT_FALSE(e.kind == TraceKind::kEvent && e.detail.find("HMI") != std::string::npos)
        << "a label executed while settling counted for an on_label trigger";
    if (e.kind == TraceKind::kEvent && e.detail.find("MCE") != std::string::npos) mce_step = e.step;
  }
  EXPECT_EQ(mce_step, 2u);
}

Task<> NeverSettles(Cpu& cpu) {
  for (;;) co_await cpu.local("spin");
}

TEST(StartupDeathTest, AModelThatNeverSettlesIsASimulatorInvariantFailure) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 offline: 1 }
  )pb");
  EXPECT_DEATH(
      {
        Machine m(s);
        LambdaProgram p;
        p.start = [](Cpu& cpu) { return cpu.id() == 1 ? NeverSettles(cpu) : LambdaProgram::Nothing(); };
        m.Run(p);
      },
      "cpu1 did not settle");
}

TEST(Startup, SameScenarioWithOfflineAndNeverStartedCpusGivesTheSameTraceHash) {
  for (const StartupCase& c : StartupCases()) {
    const pb::Scenario s = ScenarioFromText("machine { " + c.machine +
                                            " panic_timeout: 10 }\n"
                                            "events { kind: PANIC cpus: 0 trigger { at_step: 0 } }\n"
                                            "schedule { policy: RANDOM seed: 5 }\n");
    for (const TargetSpec* t : TargetsFor(s)) {
      const RunResult a = RunOnTarget(*t, s);
      const RunResult b = RunOnTarget(*t, s);
      EXPECT_EQ(a.trace_hash, b.trace_hash) << c.what << " on " << t->name;
      EXPECT_GT(a.settle_steps, 0u) << c.what << " on " << t->name;
      EXPECT_EQ(a.settle_steps, b.settle_steps);
    }
  }
}

// ---- The horizon ----

// The never-started thread never answers, so the initiator waits out its 10 s timeout before handing over.
TEST(Horizon, AnEventAtTheLatestTimeTheSchemaAllowsDoesNotEndTheRunAtItsTimeLimit) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", R"pb(
    machine {
      family: PPC
      platform: POWER9_DOORBELL_XIVE
      cores: 2
      threads_per_core: 2
      offline: 1
      never_started: 3
      panic_timeout: 10
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 3600000000000 }
    }
  )pb");
  EXPECT_NE(r.end, EndReason::kTimeLimit);
  EXPECT_TRUE(r.handed_over);
  EXPECT_GE(r.handover_time_ns, 3'600'000'000'000ull + 10 * kSec);
  EXPECT_EQ(r.time_limit_ns, 2 * kTimeLimitNs);
}

TEST(Horizon, AnAfterHandoverEventAtTheLatestDelayStillFires) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 1 panic_timeout: 10 }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_step: 0 }
    }
    events {
      kind: HMI
      all_cpus: true
      trigger { after_handover_ns: 3600000000000 }
    }
  )pb");
  ASSERT_TRUE(r.handed_over);
  EXPECT_NE(r.end, EndReason::kTimeLimit);
  EXPECT_GE(r.end_time_ns, r.handover_time_ns + 3'600'000'000'000ull);
  bool fired = false;
  for (const TraceEntry& e : r.trace.entries()) fired |= e.kind == TraceKind::kEvent && e.detail.find("HMI") == 0;
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace crashdiff
