// Idle states by their effect (Firmware.idle_states; targets/ppc/idle_states.cc chooses the offline state at boot,
// targets/ppc/idle_stop.cc runs it): a POWER9 stop with EC=ESL=0 ends on any pending exception, resumes after the
// stop instruction with SRR1 = 0 (so the offline loop clears nothing) and never enters the 0x100 vector; EC=ESL=1
// wakes through the vector with a reason; a state the kernel restores from takes the core idle lock, and the first
// thread of a core resyncs the timebase; the stop-api failing at boot falls back to the default (lite) state. The
// one-bit description stays what every earlier reproducer replays.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "diff/runner.h"
#include "fuzz/mutator/fix.h"
#include "fuzz/mutator/value_pools.h"
#include "sim/rng.h"
#include "sim/validate.h"
#include "targets/ppc/idle_states.h"
#include "targets/ppc/ppc_kernel.h"
#include "tests/fixtures/ppc_test_util.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

using testing::CountSteps;
using testing::FirstStep;
using testing::RunWithIdleRestore;

using testing::RunOn;
using testing::ScenarioFromText;

// skiboot's POWER9 table (hw/slw.c power9_cpu_idle_states), as device-tree entries.
constexpr const char* kStop0Lite =
    "idle_states { name: \"stop0_lite\" flags: 0x100000 psscr_val: 0x330 residency_ns: 10000 } ";
constexpr const char* kStop0 =
    "idle_states { name: \"stop0\" flags: 0x101000 psscr_val: 0x300330 residency_ns: 20000 } ";
constexpr const char* kStop4 =
    "idle_states { name: \"stop4\" flags: 0x207000 psscr_val: 0x300374 residency_ns: 10000000 } ";
constexpr const char* kStop11 =
    "idle_states { name: \"stop11\" flags: 0x207003 psscr_val: 0x3003BB residency_ns: 100000000 } ";

std::string P9Machine(const std::string& firmware, const std::string& topology) {
  return "machine { family: PPC platform: POWER9_DOORBELL_XIVE " + topology + " firmware { " + firmware + "} } ";
}

// ---- The boot-time choice (pnv_arch300_idle_init, pnv_disable_deep_states, power7_offline_type) ----

pb::Firmware Fw(const std::string& text) {
  return ScenarioFromText(P9Machine(text, "cores: 1 threads_per_core: 2")).machine().firmware();
}

TEST(PpcIdleStates, DeepestValidStateByResidencyAndItsLossLevels) {
  const ppc::OfflineIdle c = ppc::PnvOfflineIdle(Fw(std::string(kStop0Lite) + kStop0 + kStop4 + kStop11),
                                                 pb::POWER9_DOORBELL_XIVE, /*c_idle_code=*/true);
  EXPECT_EQ(c.kind, ppc::OfflineIdleKind::kStop);
  EXPECT_EQ(c.name, "stop11");
  EXPECT_EQ(c.level, 11u);
  EXPECT_TRUE(c.wakes_at_vector);
  EXPECT_TRUE(c.hw_loses_hv_state);
  EXPECT_TRUE(c.kernel_restores);  // 11 >= deep_spr_loss_state (4)
  EXPECT_TRUE(c.tb_loss);          // 11 >= pnv_first_tb_loss_level (8... here stop11 is the only TB-losing one)
  EXPECT_TRUE(c.lpcr_via_stop_api);
  // stop4 loses hypervisor state but not the timebase: the C code does not resync it.
  const ppc::OfflineIdle s4 = ppc::PnvOfflineIdle(Fw(std::string(kStop0) + kStop4), pb::POWER9_DOORBELL_XIVE, true);
  EXPECT_EQ(s4.level, 4u);
  EXPECT_TRUE(s4.kernel_restores);
  EXPECT_FALSE(s4.tb_loss);
  // A shallow EC=1 state: through the vector, nothing lost, nothing restored, no stop-api LPCR.
  const ppc::OfflineIdle s0 = ppc::PnvOfflineIdle(Fw(kStop0), pb::POWER9_DOORBELL_XIVE, true);
  EXPECT_TRUE(s0.wakes_at_vector);
  EXPECT_FALSE(s0.hw_loses_hv_state || s0.kernel_restores || s0.lpcr_via_stop_api);
}

TEST(PpcIdleStates, InvalidStatesSkippedOldFirmwareGetsDefaults) {
  // ESL without EC (ERR_EC_ESL_MISMATCH) and full-context loss without ESL (ERR_DEEP_STATE_ESL_MISMATCH) are
  // skipped: the deepest valid state is stop0_lite.
  const ppc::OfflineIdle bad = ppc::PnvOfflineIdle(
      Fw(std::string(kStop0Lite) +
         "idle_states { name: \"esl_only\" flags: 0x101000 psscr_val: 0x200331 residency_ns: 50000 } "
         "idle_states { name: \"deep_lite\" flags: 0x207000 psscr_val: 0x374 residency_ns: 9000000 } "),
      pb::POWER9_DOORBELL_XIVE, true);
  EXPECT_EQ(bad.name, "stop0_lite");
  EXPECT_FALSE(bad.wakes_at_vector);
  // An older firmware's RL-only entry (mask 0xF) gets ESL | EC from the kernel.
  const ppc::OfflineIdle old = ppc::PnvOfflineIdle(
      Fw("idle_states { name: \"stop1\" flags: 0x101000 psscr_val: 0x1 psscr_mask: 0xF residency_ns: 50000 } "),
      pb::POWER9_DOORBELL_XIVE, true);
  EXPECT_TRUE(old.wakes_at_vector);
  EXPECT_EQ(old.psscr & (ppc::kPsscrEc | ppc::kPsscrEsl), ppc::kPsscrEc | ppc::kPsscrEsl);
}

TEST(PpcIdleStates, StopApiFailureFallsBackToTheDefaultState) {
  pb::Firmware fw = Fw(std::string(kStop0Lite) + kStop0 + kStop4 + kStop11);
  fw.set_stop_api_fails(true);
  const ppc::OfflineIdle o = ppc::PnvOfflineIdle(fw, pb::POWER9_DOORBELL_XIVE, true);
  EXPECT_EQ(o.name, "stop0_lite");  // the first OPAL_PM_STOP_INST_FAST state
  EXPECT_FALSE(o.wakes_at_vector);
  EXPECT_FALSE(o.lpcr_via_stop_api);
  pb::Firmware deep_only = Fw(std::string(kStop4) + kStop11);
  deep_only.set_stop_api_fails(true);
  EXPECT_EQ(ppc::PnvOfflineIdle(deep_only, pb::POWER9_DOORBELL_XIVE, true).kind, ppc::OfflineIdleKind::kBusyPoll);
}

TEST(PpcIdleStates, Power8OfflineTypeWinkleThenSleepThenNap) {
  const std::string nap = "idle_states { name: \"nap\" flags: 0x11000 residency_ns: 100000 } ";
  const std::string sleep = "idle_states { name: \"fastsleep_\" flags: 0x81003 residency_ns: 300000000 } ";
  const std::string winkle = "idle_states { name: \"winkle\" flags: 0x47003 residency_ns: 1000000000 } ";
  auto fw = [](const std::string& t) {
    return ScenarioFromText("machine { family: PPC platform: POWER8_XICS firmware { " + t + "} }").machine().firmware();
  };
  EXPECT_EQ(ppc::PnvOfflineIdle(fw(nap), pb::POWER8_XICS, true).kind, ppc::OfflineIdleKind::kNap);
  EXPECT_EQ(ppc::PnvOfflineIdle(fw(nap + sleep), pb::POWER8_XICS, true).kind, ppc::OfflineIdleKind::kSleep);
  const ppc::OfflineIdle w = ppc::PnvOfflineIdle(fw(nap + sleep + winkle), pb::POWER8_XICS, true);
  EXPECT_EQ(w.kind, ppc::OfflineIdleKind::kWinkle);
  EXPECT_TRUE(w.hw_loses_hv_state && w.kernel_restores && w.lpcr_via_stop_api);
}

TEST(PpcIdleStates, OneBitDescriptionIsTheDefault) {
  const pb::Scenario s = ScenarioFromText("machine { family: PPC platform: POWER9_DOORBELL_XIVE }");
  const ppc::OfflineIdle o = ppc::PnvOfflineIdle(s.machine().firmware(), pb::POWER9_DOORBELL_XIVE, true);
  EXPECT_EQ(o.kind, ppc::OfflineIdleKind::kOneBit);
  EXPECT_TRUE(o.lpcr_via_stop_api);  // idle_state_usable && stop_loses_state, both true by default
}

// ---- The runs ----

// A stray doorbell to an offline thread in stop0_lite: the stop ends (any exception, though MSR[EE] = 0 and
// whatever the LPCR says), SRR1 is 0, the loop clears nothing, and the latched doorbell keeps ending every stop:
// the thread spins in its loop instead of sleeping. With EC=ESL=1 (stop0) the same doorbell comes through the
// vector with its reason, the loop's msgclr clears it and the thread sleeps again.
TEST(PpcIdleStates, LiteStopEndsOnMaskedDoorbellReturnsNoReasonAndSpins) {
  const std::string events = "events { kind: STRAY_DOORBELL cpus: 1 trigger { at_time_ns: 15000 } }";
  const RunResult lite =
      RunOn("ppc-upstream-clear-then-check",
            ScenarioFromText(P9Machine(kStop0Lite, "cores: 1 threads_per_core: 2 offline: 1") + events));
  EXPECT_EQ(CountSteps(lite, 1, TraceKind::kWake, "L2", "stop wake HDOORBELL"), 1);
  EXPECT_EQ(CountSteps(lite, 1, TraceKind::kLocal, "L4", "nothing to clear"), 1);
  EXPECT_EQ(CountSteps(lite, 1, TraceKind::kHw, "L4", "msgclr"), 0);
  EXPECT_NE(lite.cpus[1].final, Location::kStoppedHw);  // polling, not asleep
  const RunResult full = RunOn("ppc-upstream-clear-then-check",
                               ScenarioFromText(P9Machine(kStop0, "cores: 1 threads_per_core: 2 offline: 1") + events));
  EXPECT_EQ(CountSteps(full, 1, TraceKind::kWake, "L2", "stop wake HDOORBELL"), 1);
  EXPECT_EQ(CountSteps(full, 1, TraceKind::kHw, "L4", "msgclr"), 1);
  EXPECT_EQ(full.cpus[1].final, Location::kStoppedHw);
}

// The spinning lite-stop thread still answers a crash: the 4145f358644b loop reads kdump_in_progress() on every
// pass, so it enters crash_ipi_callback.
TEST(PpcIdleStates, LiteStopSpinnerStillSeesTheCrash) {
  const RunResult r = RunOn("ppc-upstream-clear-then-check",
                            ScenarioFromText(P9Machine(kStop0Lite, "cores: 1 threads_per_core: 2 offline: 1") +
                                             "events { kind: STRAY_DOORBELL cpus: 1 trigger { at_time_ns: 15000 } } "
                                             "events { kind: PANIC cpus: 0 trigger { at_time_ns: 100000 } }"));
  EXPECT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[1].saves, 1u);
}

// After the hand-over the reset vector is the next kernel's: a thread woken from an EC=1 stop enters it (corrupt);
// one woken from an EC=0 stop resumes after its stop instruction, never entering the vector.
TEST(PpcIdleStates, OnlyTheVectorWakeEntersTheReplacedVector) {
  const std::string events =
      "events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } } "
      "events { kind: STRAY_DOORBELL cpus: 1 trigger { after_handover_ns: 1000 } }";
  const std::string topo = "cores: 1 threads_per_core: 2 offline: 1";
  const RunResult vec = RunOn("ppc-prefix-nowake", ScenarioFromText(P9Machine(kStop0, topo) + events));
  const RunResult lite = RunOn("ppc-prefix-nowake", ScenarioFromText(P9Machine(kStop0Lite, topo) + events));
  ASSERT_TRUE(vec.handed_over);
  ASSERT_TRUE(lite.handed_over);
  EXPECT_EQ(vec.cpus[1].final, Location::kDeadCorrupt);
  EXPECT_NE(lite.cpus[1].final, Location::kDeadCorrupt);
  EXPECT_EQ(CountSteps(lite, 1, TraceKind::kWake, "L2", "stop wake HDOORBELL"), 1);
}

// stop11 on a core whose threads are all offline, alone in its quad (core 4 of 5): the crash wakes both; each takes the
// core idle lock, exactly one (the first) restores the per-core SPRs and resyncs the timebase, and each restores its
// own LPCR after the unlock. The C code restores the per-core SPRs before the resync, the asm the other way round.
TEST(PpcIdleStates, DeepStopFirstThreadInCoreRestoresCoreStateUnderTheLock) {
  const pb::Scenario s =
      ScenarioFromText(P9Machine(std::string(kStop0) + kStop11, "cores: 5 threads_per_core: 2 offline: 8 offline: 9") +
                       "events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } }");
  for (const ppc::IdleRestore restore : {ppc::IdleRestore::kAsm, ppc::IdleRestore::k10d91611}) {
    const bool c = restore == ppc::IdleRestore::k10d91611;
    SCOPED_TRACE(c ? "C" : "asm");
    const RunResult r = RunWithIdleRestore(restore, s);
    ASSERT_TRUE(r.handed_over);
    const int resyncs = CountSteps(r, 8, TraceKind::kLocal, "L2r", "opal_resync_timebase") +
                        CountSteps(r, 9, TraceKind::kLocal, "L2r", "opal_resync_timebase");
    EXPECT_EQ(resyncs, 1);
    for (const uint32_t cpu : {8u, 9u}) {
      EXPECT_EQ(CountSteps(r, cpu, TraceKind::kLocal, "L2r", c ? "sprs.lpcr" : "_LPCR"), 1) << cpu;
      const size_t lpcr = FirstStep(r, cpu, "L2r", c ? "sprs.lpcr" : "_LPCR");
      const size_t unlock = FirstStep(r, cpu, "L2r", "paca.idle_state core 4");
      EXPECT_LT(unlock, lpcr) << cpu;  // the lock word is touched before the per-thread SPRs
    }
    const uint32_t first = CountSteps(r, 8, TraceKind::kLocal, "L2r", "opal_resync_timebase") == 1 ? 8 : 9;
    const size_t core_sprs = FirstStep(r, first, "L2r", "per-core SPRs");
    const size_t tb = FirstStep(r, first, "L2r", "opal_resync_timebase");
    ASSERT_LT(core_sprs, r.trace.entries().size());
    EXPECT_EQ(core_sprs < tb, c);
  }
  // A thread whose core has an online thread is never the first: no resync.
  const RunResult shared =
      RunOn("ppc-upstream-clear-then-check",
            ScenarioFromText(P9Machine(std::string(kStop0) + kStop11, "cores: 1 threads_per_core: 2 offline: 1") +
                             "events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } }"));
  EXPECT_EQ(CountSteps(shared, 1, TraceKind::kLocal, "L2r", "opal_resync_timebase"), 0);
  EXPECT_EQ(CountSteps(shared, 1, TraceKind::kWake, "L2", "stop wake"), 1);
}

// The seed: the stop-api fails at boot, so the offline threads use stop0_lite (EC=0).
TEST(PpcIdleStates, SeedStopApiFailureLiteOffline) {
  LoadResult l = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) +
                                  "/corpus/seeds/ppc/stop_api_fails_lite_offline_stray_doorbell.textproto");
  ASSERT_TRUE(l.errors.empty()) << l.errors.front();
  const RunResult r = RunOn("ppc-upstream-clear-then-check", *l.scenario);
  EXPECT_GE(CountSteps(r, 1, TraceKind::kLocal, "L2", "isa300_idle_stop_noloss"), 1);
  EXPECT_TRUE(r.handed_over);
}

// ---- Validation ----

TEST(PpcIdleStates, ValidationNamesTheField) {
  const struct {
    std::string firmware;
    std::string platform;
    std::string field;
  } cases[] = {
      {std::string(kStop0) + "stop_loses_state: false ", "POWER9_DOORBELL_XIVE", "idle_states"},
      {"idle_states { flags: 0x8 } ", "POWER9_DOORBELL_XIVE", "flags"},
      {"idle_states { flags: 0x11000 } ", "POWER9_DOORBELL_XIVE", "flags"},
      {"idle_states { flags: 0x100000 } ", "POWER8_XICS", "flags"},
      {"idle_states { psscr_val: 0x400000 } ", "POWER9_DOORBELL_XIVE", "psscr_val"},
      {"idle_states { name: \"a_name_longer_than_15\" } ", "POWER9_DOORBELL_XIVE", "name"},
      {"idle_states { flags: 0x11000 } stop_api_fails: true ", "POWER8_XICS", "stop_api_fails"},
  };
  for (const auto& c : cases) {
    const std::vector<ValidationError> errors = Validate(testing::UnvalidatedScenarioFromText(
        "machine { family: PPC platform: " + c.platform + " firmware { " + c.firmware + "} }"));
    ASSERT_EQ(errors.size(), 1u) << c.firmware;
    EXPECT_NE(PathToString(errors[0].path).find(c.field), std::string::npos) << PathToString(errors[0].path);
  }
  EXPECT_TRUE(Validate(ScenarioFromText(P9Machine(std::string(kStop0Lite) + kStop11 + "stop_api_fails: true ",
                                                  "cores: 1 threads_per_core: 2")))
                  .empty());
}

// The mutator's tables validate on their platform, and Fix repairs a table left on the other POWER generation (a
// platform mutation) and the one-bit fields set beside a table.
TEST(PpcIdleStates, MutatorTablesValidateAndFixRepairs) {
  Rng rng(7);
  for (const char* platform : {"POWER8_XICS", "POWER9_DOORBELL_XIVE", "POWER9_ICP_OPAL"}) {
    for (int i = 0; i < 50; ++i) {
      pb::Scenario s = ScenarioFromText(std::string("machine { family: PPC platform: ") + platform + " }");
      fuzz::PickIdleStates(rng, s.machine().platform(), *s.mutable_machine()->mutable_firmware());
      ASSERT_GT(s.machine().firmware().idle_states_size(), 0);
      EXPECT_TRUE(Validate(s).empty()) << platform << " " << s.machine().firmware().ShortDebugString();
    }
  }
  pb::Scenario s = ScenarioFromText(P9Machine(std::string(kStop0Lite) + kStop11 + "stop_api_fails: true ", ""));
  s.mutable_machine()->set_platform(pb::POWER8_XICS);
  s.mutable_machine()->mutable_firmware()->set_stop_loses_state(false);
  EXPECT_FALSE(Validate(s).empty());
  EXPECT_TRUE(fuzz::Fix(s));
  EXPECT_TRUE(Validate(s).empty());
  EXPECT_FALSE(s.machine().firmware().stop_api_fails());
  EXPECT_FALSE(s.machine().firmware().has_stop_loses_state());
  EXPECT_EQ(s.machine().firmware().idle_states(1).flags() & 0x300000u, 0u);
}

}  // namespace
}  // namespace crashdiff
