// The powernv offline thread's idle and wake registers (targets/ppc/offline_loop.cc): pnv_smp_cpu_kill_self clears
// LPCR[PECE1] in the register and the stop-api image, so the decrementer an offline thread keeps latches without
// ending its stop, also after a state-losing wake; leaving the loop sets PECE1 again and the CPU, back online, takes
// the pending decrementer. Which wake path writes the saved LPCR back depends on the platform and the idle code's
// version (IdleRestore: idle_book3s.S, or the C idle code of 10d91611f426).
#include <gtest/gtest.h>

#include <memory>
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
using testing::RunWithIdleRestore;

using testing::RunOn;
using testing::ScenarioFromText;

size_t First(const RunResult& r, uint32_t cpu, TraceKind kind, std::string_view label, const std::string& detail) {
  const auto& e = r.trace.entries();
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i].cpu == cpu && e[i].kind == kind && e[i].label == label && e[i].detail.find(detail) != std::string::npos)
      return i;
  }
  return e.size();
}

// An offline thread whose decrementer expires at 10 ms; a stray doorbell wakes it at 15 ms (a state-losing wake).
pb::Scenario DecThenStrayDoorbell(const char* platform) {
  return ScenarioFromText(
      std::string("machine { family: PPC platform: ") + platform +
      R"pb(                                  cores: 1 threads_per_core: 2 offline: 1 offline_dec_ns: 10000000 }
                                             events { kind: STRAY_DOORBELL cpus: 1 trigger { at_time_ns: 15000000 } })pb");
}

// The DEC latches at 10 ms with PECE1 clear: no wake. The doorbell's state-losing wake gives back an LPCR without
// PECE1 (stop-api image, then the wake path's own copy where it keeps one), so the thread sleeps again with the DEC
// still latched. Without the PECE1 clear the DEC would end the first stop; with the register cleared but not the
// image, a POWER8 winkle under idle_book3s.S would come back with PECE1 and the pending DEC would end every stop.
TEST(PpcIdleWake, OfflineDecLatchesWithoutWakingAcrossStateLosingWakes) {
  for (const char* platform : {"POWER8_XICS", "POWER9_DOORBELL_XIVE"}) {
    for (const ppc::IdleRestore restore : {ppc::IdleRestore::kAsm, ppc::IdleRestore::k10d91611}) {
      SCOPED_TRACE(std::string(platform) + (restore == ppc::IdleRestore::kAsm ? " asm" : " C"));
      const RunResult r = RunWithIdleRestore(restore, DecThenStrayDoorbell(platform));
      const size_t dec = First(r, kNoCpu, TraceKind::kEvent, "DEC", "DEC latched cpu1");
      ASSERT_LT(dec, r.trace.entries().size());
      EXPECT_EQ(r.trace.entries()[dec].time_ns, 10000000u);
      EXPECT_EQ(CountSteps(r, 1, TraceKind::kWake, "L2", "stop wake DEC"), 0);
      EXPECT_EQ(CountSteps(r, 1, TraceKind::kWake, "L2", "stop wake HDOORBELL"), 1);
      EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw);
      EXPECT_EQ(r.end, EndReason::kQuiescent);
    }
  }
}

// Who writes the saved LPCR back after the state-losing wake: POWER9 in both idle codes; POWER8 only in the C one.
TEST(PpcIdleWake, WakePathLpcrWriteBackByPlatformAndVersion) {
  const RunResult p9_asm = RunWithIdleRestore(ppc::IdleRestore::kAsm, DecThenStrayDoorbell("POWER9_DOORBELL_XIVE"));
  const RunResult p9_c = RunWithIdleRestore(ppc::IdleRestore::k10d91611, DecThenStrayDoorbell("POWER9_DOORBELL_XIVE"));
  const RunResult p8_asm = RunWithIdleRestore(ppc::IdleRestore::kAsm, DecThenStrayDoorbell("POWER8_XICS"));
  const RunResult p8_c = RunWithIdleRestore(ppc::IdleRestore::k10d91611, DecThenStrayDoorbell("POWER8_XICS"));
  EXPECT_EQ(CountSteps(p9_asm, 1, TraceKind::kHw, "L2", "power9_restore_additional_sprs"), 1);
  EXPECT_EQ(CountSteps(p9_c, 1, TraceKind::kHw, "L2", "power9_idle_stop"), 1);
  EXPECT_EQ(CountSteps(p8_asm, 1, TraceKind::kHw, "L2", "mtspr(LPCR"), 0);
  EXPECT_EQ(CountSteps(p8_c, 1, TraceKind::kHw, "L2", "power7_idle_insn"), 1);
}

// The seed: the offline threads' DECs latch at 10 ms; thread 3 comes back online at 20 ms, its loop exit sets PECE1
// (H0) and start_secondary's interrupt enable takes the pending decrementer (timer_interrupt); the crash at 50 ms
// wakes thread 1 with a doorbell, not its DEC.
TEST(PpcIdleWake, SeedDecOfflineThenOnline) {
  LoadResult l =
      LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/ppc/dec_offline_pece1_then_online.textproto");
  ASSERT_TRUE(l.errors.empty()) << l.errors.front();
  const RunResult r = RunOn("ppc-upstream-clear-then-check", *l.scenario);
  for (const uint32_t c : {1u, 3u}) {
    const size_t dec = First(r, kNoCpu, TraceKind::kEvent, "DEC", "DEC latched cpu" + std::to_string(c));
    ASSERT_LT(dec, r.trace.entries().size()) << "cpu" << c;
    EXPECT_EQ(r.trace.entries()[dec].time_ns, 10000000u);
    EXPECT_EQ(CountSteps(r, c, TraceKind::kWake, "L2", "stop wake DEC"), 0) << "cpu" << c;
  }
  const size_t pece1 = First(r, 3, TraceKind::kLocal, "H0", "LPCR |= PECE1");
  const size_t taken = First(r, 3, TraceKind::kLocal, "TI", "timer_interrupt");
  ASSERT_LT(pece1, r.trace.entries().size());
  EXPECT_LT(pece1, taken);
  ASSERT_LT(taken, r.trace.entries().size());
  EXPECT_GE(r.trace.entries()[taken].time_ns, 20000000u);
  EXPECT_EQ(CountSteps(r, 1, TraceKind::kWake, "L2", "stop wake HDOORBELL"), 1);
  EXPECT_TRUE(r.handed_over);
}

// Without the field the decrementer never expires: the default machine replays as before the mechanism.
TEST(PpcIdleWake, DefaultDecDoesNotExpire) {
  pb::Scenario s = DecThenStrayDoorbell("POWER9_DOORBELL_XIVE");
  s.mutable_machine()->clear_offline_dec_ns();
  const RunResult r = RunOn("ppc-upstream-clear-then-check", s);
  EXPECT_EQ(First(r, kNoCpu, TraceKind::kEvent, "DEC", ""), r.trace.entries().size());
  EXPECT_EQ(First(r, 1, TraceKind::kLocal, "E2", "DEC keeps"), r.trace.entries().size());
}

}  // namespace
}  // namespace crashdiff
