// smp_send_stop in the v4.14-era powerpc models (ppc-prefix-nowake, ppc-v1-check-before-clear). In v4.14
// arch/powerpc/kernel/smp.c smp_send_stop() is smp_call_function(stop_this_cpu, NULL, 0): an ordinary
// PPC_MSG_CALL_FUNCTION IPI, so a stopped CPU never holds the NMI-IPI busy count and the later crash round is not
// blocked by it (the NMI-IPI form of smp_send_stop, and the busy-count release in nmi_stop_this_cpu, came after
// v4.14; docs/FIDELITY-ppc.md items 9 and 10).
#include <gtest/gtest.h>

#include <cstdint>

#include "diff/differential.h"
#include "diff/runner.h"
#include "tests/fixtures/ppc_test_util.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

// The minimized reproducer that used to hang the v4.14 models at I5a (PR8, quiescent without a hand-over):
// panic with crash_kexec_post_notifiers on a two-thread POWER9 XIVE-IPI machine with firmware system reset.
constexpr const char* kPostNotifiersPanic = R"pb(
  name: "post-notifiers panic, two threads, XIVE IPIs, firmware system reset"
  machine {
    family: PPC
    platform: POWER9_XIVE_IPI
    cores: 1
    crash_kexec_post_notifiers: true
    firmware { system_reset_supported: true }
  }
  events {
    kind: PANIC
    trigger { at_time_ns: 0 }
    cpus: 0
  }
)pb";

using testing::FirstEntry;
using testing::RunOn;

// The stop goes through the call-function IPI; the crash round's smp_send_nmi_ipi then finds the busy count at 0,
// sends to the online CPUs (the stopped one marked itself offline), and the initiator hands over at once. The
// stopped thread is left spinning in stop_this_cpu, unsaved: v4.14's real post-notifiers weakness, fixed only by
// the 2022 crash_smp_send_stop.
TEST(PpcSendStop, V414StopUsesTheCallFunctionIpiAndTheCrashRoundIsNotBlocked) {
  const pb::Scenario s = testing::ScenarioFromText(kPostNotifiersPanic);
  for (const char* target : {"ppc-prefix-nowake", "ppc-v1-check-before-clear"}) {
    const RunResult r = RunOn(target, s);
    EXPECT_TRUE(r.handed_over) << target;  // no hang at I5a
    EXPECT_EQ(r.cpus[0].final, Location::kNextKernel) << target;
    // + 1 s in skiboot's opal_reinit_cpus for the stopped thread (in the OS for skiboot), which then gives up.
    EXPECT_LT(r.handover_time_ns, 1 * kSec + 1 * kMs) << target;
    EXPECT_NE(FirstEntry(r, 0, "I5a"), SIZE_MAX) << target;  // the crash round ran
    // stop_this_cpu ran on the other thread without the NMI-IPI handler (NMI-H) before it.
    const size_t stop = FirstEntry(r, 1, "STOP");
    EXPECT_NE(stop, SIZE_MAX) << target;
    EXPECT_LT(stop, FirstEntry(r, 1, "NMI-H")) << target;
  }
  // Prefix: the stopped thread is not in the online mask of the crash round and is not counted (ncpus =
  // online - 1): left in stop_this_cpu.
  const RunResult prefix = RunOn("ppc-prefix-nowake", s);
  EXPECT_EQ(prefix.cpus[1].at_handover, Location::kLoserSpin);
  EXPECT_EQ(prefix.cpus[1].saves, 0u);
  // v1: crash_wake_offline sends the now-offline thread a firmware system reset (I5b); it is not pending in the
  // NMI round, so system_reset_exception goes on to crash_kexec_secondary and the thread is collected.
  const RunResult v1 = RunOn("ppc-v1-check-before-clear", s);
  EXPECT_EQ(v1.cpus[1].at_handover, Location::kParkedFw);
  EXPECT_EQ(v1.cpus[1].saves, 1u);
}

// The 2022 crash_smp_send_stop (ppc-sreset-dump) starts the crash shutdown from panic() when
// crash_kexec_post_notifiers is set: the CPU that won panic_cpu collects the others there. Two simultaneous
// panics, a thread that never answers (no usable idle state) and panic_timeout 0: the winner waits for an operator
// reset (documented, kOperatorWait). It is the initiator; the CPU that lost is the loser, not a second initiator.
TEST(PpcSendStop, PostNotifiersCrashStopMakesThePanicWinnerTheInitiator) {
  const pb::Scenario s = testing::ScenarioFromText(R"pb(
    machine {
      family: PPC
      platform: POWER9_DOORBELL_XIVE
      cores: 1
      threads_per_core: 4
      offline: 2
      panic_timeout: 0
      crash_kexec_post_notifiers: true
      firmware { idle_state_usable: false }
    }
    events {
      kind: PANIC
      trigger { at_time_ns: 1000 }
      cpus: 3
    }
    events {
      kind: PANIC
      trigger { at_time_ns: 1000 }
      cpus: 0
    }
    schedule { policy: RANDOM seed: 7 }
  )pb");
  DiffOptions options;
  options.only_target = "ppc-sreset-dump";
  const DiffReport r = RunDifferential(s, options);
  ASSERT_EQ(r.divergences.size(), 1u);
  EXPECT_EQ(r.divergences[0].property, "PR8");
  EXPECT_EQ(r.divergences[0].role, "initiator");
  EXPECT_TRUE(r.divergences[0].known) << r.divergences[0].signature;
}

}  // namespace
}  // namespace crashdiff
