// The suggested fixes of docs/REPORTS/, each modelled as a test-only target on ppc-upstream-clear-then-check:
// ppc-patch-count-booted-once (the crash expects and wakes only the CPUs in cpus_booted_once_mask) and
// ppc-patch-busy-poll-sees-kdump (the no-idle-state offline loop also watches kdump_in_progress()).
#include <gtest/gtest.h>

#include <string>

#include "diff/runner.h"
#include "sim/scenario_io.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

using testing::RunOn;

// Row J: four threads, thread 3 present and never started, thread 1 offline, a panic on thread 0.
pb::Scenario RowJ(uint32_t panic_timeout) {
  LoadResult r =
      LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/ppc/j_operator_wait_never_started.textproto");
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  pb::Scenario s = r.scenario.value_or(pb::Scenario());
  s.mutable_machine()->set_panic_timeout(panic_timeout);
  return s;
}

bool Logged(const RunResult& r, const std::string& text) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.text.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(PpcSuggestedFix, CountingBootedOnceCpusEndsTheWaitForANeverStartedThread) {
  for (uint32_t panic_timeout : {0u, 10u}) {
    const RunResult base = RunOn("ppc-upstream-clear-then-check", RowJ(panic_timeout));
    EXPECT_TRUE(Logged(base, "ERROR: 1 cpu(s) not responding")) << panic_timeout;
    if (panic_timeout > 0) {
      EXPECT_GE(base.handover_time_ns, 10 * kSec);
    } else {
      // The operator wait; the seed's reset at 60 s then also frees thread 3, and skiboot's opal_reinit_cpus waits
      // for it without bound (the QEMU run of docs/QEMU.md).
      EXPECT_FALSE(base.handed_over);
    }

    const RunResult fixed = RunOn("ppc-patch-count-booted-once", RowJ(panic_timeout));
    EXPECT_TRUE(Logged(fixed, "IPI complete")) << panic_timeout;
    EXPECT_FALSE(Logged(fixed, "not responding")) << panic_timeout;
    ASSERT_TRUE(fixed.handed_over) << panic_timeout;
    EXPECT_LT(fixed.handover_time_ns, kMs) << panic_timeout;
    EXPECT_EQ(fixed.cpus[3].at_handover, Location::kNeverStarted) << panic_timeout;  // still held by firmware
    EXPECT_EQ(fixed.cpus[1].at_handover, Location::kParkedFw) << panic_timeout;      // the offline thread answered
  }
}

// A thread with no usable stop state busy-polls with interrupts hard-disabled: the base hands over after the 10 s
// wait with it still in the loop, unsaved, and the machine check after the hand-over takes the kdump kernel's
// vector; the fix takes it into crash_ipi_callback once crashing_cpu is set, and the crash completes at once.
TEST(PpcSuggestedFix, ABusyPollingOfflineThreadThatWatchesForKdumpAnswersTheCrash) {
  LoadResult r = LoadScenarioFile(std::string(CRASHDIFF_SOURCE_DIR) +
                                  "/corpus/findings/ppc/busy_poll_no_idle_state_mce_after_handover.textproto");
  ASSERT_TRUE(r.scenario.has_value());
  const RunResult base = RunOn("ppc-upstream-clear-then-check", *r.scenario);
  EXPECT_EQ(base.cpus[1].at_handover, Location::kOfflineLoop);
  EXPECT_EQ(base.cpus[1].saves, 0u);
  EXPECT_EQ(base.cpus[1].final, Location::kDeadCorrupt);
  EXPECT_GE(base.handover_time_ns, 10 * kSec);

  const RunResult fixed = RunOn("ppc-patch-busy-poll-sees-kdump", *r.scenario);
  ASSERT_TRUE(fixed.handed_over);
  EXPECT_LT(fixed.handover_time_ns, kMs);
  EXPECT_EQ(fixed.cpus[1].responses, 1u);
  EXPECT_EQ(fixed.cpus[1].saves, 1u);
  EXPECT_EQ(fixed.cpus[1].at_handover, Location::kParkedFw);
  EXPECT_EQ(fixed.cpus[1].final, Location::kParkedFw);  // the MCE is absorbed by firmware
}

}  // namespace
}  // namespace crashdiff
