// The suggested fix of docs/REPORTS/expected-responder-count-includes-never-started.md, modelled as
// ppc-patch-count-booted-once: the crash expects (and wakes) only the CPUs in cpus_booted_once_mask.
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

}  // namespace
}  // namespace crashdiff
