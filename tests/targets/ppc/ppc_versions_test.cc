// The kernel-version-specific functions of the powerpc models (targets/ppc/ppc_state.h: one version per function,
// side by side): what each version of smp_send_stop's stop function and of pnv_smp_cpu_kill_self's entry does, on
// small scenarios. Sources: arch/powerpc/kernel/smp.c nmi_stop_this_cpu (6bed3237624e / de6e5d38417e,
// 88b9a3d1425a, bab26238bbd4), __smp_send_nmi_ipi (5b73151fff63, 1b5fc84aba17), arch/powerpc/platforms/powernv/smp.c
// pnv_smp_cpu_kill_self (7d6475051fb3).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "diff/runner.h"
#include "sim/scenario_io.h"
#include "targets/ppc/ppc_kernel.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

pb::Scenario Finding(const std::string& file) {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings/ppc/" + file);
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario());
}

using testing::RunOn;

// A registered target with one function's version swapped (the patch workflow's "Variant alone").
RunResult RunVariant(const char* base, void (*change)(ppc::Variant&), ppc::Variant v, const pb::Scenario& s) {
  const TargetSpec* t = FindTarget(base);
  EXPECT_NE(t, nullptr) << base;
  TargetSpec spec = *t;
  change(v);
  spec.name = std::string(base) + "-variant";
  spec.known.clear();
  spec.make = [v](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<ppc::PpcKernel>(m, v); };
  return RunOnTarget(spec, s);
}

// ppc-v1-check-before-clear's versions, which the busy-count tests change one function of.
const ppc::Variant kV1Base{.crash_ipi_callback = ppc::CrashIpiCb::kNoOnlineTest,
                           .prepare_cpus = ppc::PrepareCpus::k4145f358,
                           .kill_self = ppc::KillSelf::kV1Patch,
                           .crash_shutdown = ppc::CrashShutdown::kV4_14,
                           .nmi_ipi = ppc::NmiIpi::kV4_14,
                           .send_stop = ppc::SendStop::kV4_14};

int CountDiag(const RunResult& r, const std::string& text) {
  int n = 0;
  for (const Diagnostic& d : r.diagnostics) n += d.text.find(text) != std::string::npos;
  return n;
}

// Index of cpu's first trace entry at label, or SIZE_MAX.
size_t FirstStep(const RunResult& r, uint32_t cpu, std::string_view label) {
  const auto& entries = r.trace.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].cpu == cpu && entries[i].label == label) return i;
  }
  return SIZE_MAX;
}

// From de6e5d38417e until bab26238bbd4 nmi_stop_this_cpu leaves the CPU online (ppc-upstream-clear-then-check):
// with crash_kexec_post_notifiers the stopped CPUs stay in cpu_online_mask, so the crash round's snapshot, the
// real-mode wait and the OPAL wait all include them. Spinning hard-disabled they take no muxed crash IPI: the
// initiator times out at I7, spends the real-mode budget on them at I11, and waits 1 s for each at I13. Before the
// correction the model cleared the online bit and skipped both waits.
TEST(PpcVersions, UpstreamEraStoppedCpusStayOnlineAndAreWaitedFor) {
  const pb::Scenario s = Finding("post_notifiers_loser_offline.textproto");
  const RunResult r = RunOn("ppc-upstream-clear-then-check", s);
  ASSERT_TRUE(r.handed_over);
  for (uint32_t c : {1u, 2u}) {
    EXPECT_EQ(r.cpus[c].at_handover, Location::kLoserSpin);
    EXPECT_EQ(r.cpus[c].saves, 0u);
    EXPECT_EQ(CountDiag(r, "timed out waiting for cpu " + std::to_string(c)), 1) << c;  // I13: still online
  }
  EXPECT_EQ(CountDiag(r, "ERROR: 2 cpu(s) not responding"), 1);
  EXPECT_GE(r.handover_time_ns, 20 * kSec);  // I7 10 s + I11 10 s + I13 2 x 1 s
  // bab26238bbd4 (ppc-sreset-dump's smp_send_stop, reached without a crash image) marks them offline again; in
  // v4.14 stop_this_cpu did too: neither waits for them.
  const RunResult v14 = RunOn("ppc-v1-check-before-clear", s);
  EXPECT_EQ(CountDiag(v14, "timed out waiting for cpu"), 0);
  EXPECT_LT(v14.handover_time_ns, 12 * kSec);  // + 1 s in skiboot's opal_reinit_cpus for the stopped CPUs
}

// The same scenario with firmware system reset: the stopped CPUs are still in the NMI round's online snapshot, the
// reset reaches them through their spin, and they are collected and saved by the round itself.
TEST(PpcVersions, UpstreamEraStoppedCpusAreInTheCrashRoundsSnapshot) {
  pb::Scenario s = Finding("post_notifiers_loser_offline.textproto");
  s.mutable_machine()->mutable_firmware()->set_system_reset_supported(true);
  const RunResult r = RunOn("ppc-upstream-clear-then-check", s);
  ASSERT_TRUE(r.handed_over);
  for (uint32_t c : {1u, 2u, 3u}) {
    EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << c;
    EXPECT_EQ(r.cpus[c].saves, 1u) << c;
  }
  EXPECT_EQ(CountDiag(r, "not responding"), 0);
  EXPECT_LT(r.handover_time_ns, 2 * kSec);
  // Only cpu3 is left for the offline round (I5b): its single-target reset is the only one bracketed by
  // opal_quiesce (S1). Had the stop marked cpu1 and cpu2 offline, they would have been reset there too.
  size_t quiesce_holds = 0;
  for (const TraceEntry& e : r.trace.entries()) quiesce_holds += e.cpu == 0 && e.label == "S1";
  EXPECT_EQ(quiesce_holds, 1u);
}

// The busy-count NMI era (6bed3237624e with 5b73151fff63, v4.17): nmi_stop_this_cpu never returns, so it gives back
// the busy count its handler took, and the sender waits for those give-backs before dropping its own. The crash round
// after a post-notifiers stop is therefore not blocked, and the stopped CPUs, still online (de6e5d38417e), are waited
// for at I13.
TEST(PpcVersions, BusyCountEraStopGivesTheBusyCountBack) {
  const pb::Scenario s = Finding("post_notifiers_loser_offline.textproto");
  const RunResult r = RunVariant(
      "ppc-v1-check-before-clear",
      [](ppc::Variant& v) {
        v.send_stop = ppc::SendStop::k6bed3237;
        v.nmi_ipi = ppc::NmiIpi::k5b73151f;
      },
      kV1Base, s);
  ASSERT_TRUE(r.handed_over);  // no hang at I5a on a leaked busy count
  for (uint32_t c : {1u, 2u}) {
    EXPECT_NE(FirstStep(r, c, "NMI-H"), SIZE_MAX) << c;  // stopped through the NMI IPI this time
    EXPECT_LT(FirstStep(r, c, "NMI-H"), FirstStep(r, c, "STOP")) << c;
    EXPECT_EQ(r.cpus[c].at_handover, Location::kLoserSpin) << c;
    EXPECT_EQ(CountDiag(r, "timed out waiting for cpu " + std::to_string(c)), 1) << c;
  }
}

// 7d6475051fb3 (ppc-sreset-dump, v6.x): pnv_smp_cpu_kill_self is entered soft-disabled and marks itself dead
// before it hard-disables; a restart check follows at once, then the lazily recorded interrupts are cleaned up
// before the loop: an external interrupt that arrived in between is flushed from the controller (E5) before the
// first stop. Here cpu1 is taken down and a XIVE IPI lands on it right after it marks itself dead (E3).
TEST(PpcVersions, The2019LoopFlushesAPendingExternalInterruptBeforeItsFirstStop) {
  const pb::Scenario s = testing::ScenarioFromText(R"pb(
    name: "XIVE IPI to a thread entering the offline loop"
    machine { family: PPC platform: POWER9_XIVE_IPI cores: 1 threads_per_core: 2 }
    events {
      kind: HOTPLUG_DOWN
      cpus: 0
      cpus: 1
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: XIVE_IPI
      cpus: 1
      trigger { on_label { cpu: 1 label: "E3" } }
    }
  )pb");
  const RunResult r = RunOn("ppc-sreset-dump", s);
  const size_t e0 = FirstStep(r, 1, "E0"), e3 = FirstStep(r, 1, "E3"), e1 = FirstStep(r, 1, "E1");
  const size_t h0 = FirstStep(r, 1, "H0"), e5 = FirstStep(r, 1, "E5"), l2 = FirstStep(r, 1, "L2");
  ASSERT_NE(e0, SIZE_MAX);
  EXPECT_LT(e0, e3);  // soft-disabled on entry
  EXPECT_LT(e3, e1);  // CPU_DEAD before hard_irq_disable
  EXPECT_LT(e1, h0);  // the early restart check
  EXPECT_LT(h0, e5);
  EXPECT_LT(e5, l2);  // flushed before the first stop
  bool flushed = false;
  for (const TraceEntry& e : r.trace.entries()) {
    flushed |= e.cpu == 1 && e.label == "E5" && e.detail.find("xive_scan_interrupts") != std::string::npos;
  }
  EXPECT_TRUE(flushed);
  EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw);
  EXPECT_EQ(FirstStep(r, 1, "L4"), SIZE_MAX);  // the IPI was drained before the stop: nothing wakes it
  // The 2017 entry (ppc-upstream-clear-then-check) hard-disables first: the IPI stays latched, wakes the first stop
  // and is cleared in the loop (L4).
  const RunResult upstream = RunOn("ppc-upstream-clear-then-check", s);
  EXPECT_EQ(FirstStep(upstream, 1, "E0"), SIZE_MAX);
  EXPECT_LT(FirstStep(upstream, 1, "L2"), FirstStep(upstream, 1, "L4"));
}

// 5b73151fff63's sender, before 1b5fc84aba17 ("the NMI IPI timeout logic is broken"): a crash round in which one CPU
// never calls in (cpu2, a second panicking CPU spinning soft-disabled, takes no muxed IPI) uses the whole delay in the
// gather, which leaves the wait for the handlers' counts none; the two CPUs that did call in run crash_ipi_callback,
// which never returns and never gives its count back, so the initiator waits in the crash round for good. The v4.14
// sender, which does not wait for the handlers, hands over on the same scenario.
TEST(PpcVersions, SynchronousNmiIpiWaitsForGoodAfterAGatherTimeout) {
  const pb::Scenario s = testing::ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 panic_timeout: 10 }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: PANIC
      cpus: 2
      trigger { at_time_ns: 1000 }
    }
  )pb");
  const RunResult v4_14 = RunVariant(
      "ppc-v1-check-before-clear", [](ppc::Variant&) {}, kV1Base, s);
  EXPECT_TRUE(v4_14.handed_over);
  EXPECT_EQ(CountDiag(v4_14, "ERROR: 1 cpu(s) not responding"), 1);
  const RunResult sync = RunVariant(
      "ppc-v1-check-before-clear", [](ppc::Variant& v) { v.nmi_ipi = ppc::NmiIpi::k5b73151f; }, kV1Base, s);
  EXPECT_FALSE(sync.handed_over);
  EXPECT_EQ(sync.end, EndReason::kQuiescent);
  const TraceEntry* last = nullptr;  // the initiator's last entry: its wait in the crash round
  for (const TraceEntry& e : sync.trace.entries()) {
    if (e.cpu == 0) last = &e;
  }
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(last->label, "I5a");
  EXPECT_EQ(last->kind, TraceKind::kBlock);
  for (uint32_t c : {1u, 3u}) EXPECT_GT(sync.cpus[c].responses, 0u) << c;  // they called in, and hold the count
}

}  // namespace
}  // namespace crashdiff
