// A hotplug request is a task: asleep on cpu_add_remove_lock behind a cpu_down of its own CPU, the kernel wakes it on
// another CPU (select_fallback_rq), where it goes on; the CPU going down dies meanwhile. Checked for every family's
// targets and the reference on where the CPUs are when the crash comes, and on the move in the traces. Before the
// move was modelled the request was lost on x86 and arm64 (cpu3 stayed offline), and on powerpc and in the reference
// the CPU going down never died (its idle loop sat under the sleeping request): a ten-second cpu_down wait, a thread
// running old-kernel code outside the online mask, and verdicts (PR1 @RUN_OLD, PR8 @I8) no kernel shows.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "diff/differential.h"
#include "diff/runner.h"
#include "oracle/roles.h"
#include "tests/fixtures/hotplug_scenarios.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::FirstEntry;

Role RoleOf(const Outcome& o, uint32_t cpu) {
  for (const CpuOutcome& c : o.cpus) {
    if (c.cpu == cpu) return c.role;
  }
  ADD_FAILURE() << "no cpu" << cpu << " in the outcome";
  return Role::kOnlineTarget;
}

// The dying CPU's take-down chose where its sleeping task goes (targets/common/sched.h).
bool TakeDownMovedATask(const RunResult& r) {
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == 1 && e.kind == TraceKind::kHw && e.detail.starts_with("select_fallback_rq")) return true;
  }
  return false;
}

// The moved request starts on another online CPU as a task of its own.
bool MovedTaskRan(const RunResult& r) {
  for (uint32_t c : {0u, 2u}) {
    if (FirstEntry(r, c, "TASK", TraceKind::kEvent) != SIZE_MAX) return true;
  }
  return false;
}

class HotplugRequestMoves : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(HotplugRequestMoves, ACpuUpAskedOnACpuGoingDownGoesOnElsewhere) {
  const auto [family, platform] = GetParam();
  const pb::Scenario s = testing::ScenarioFromText(testing::CpuUpAskedOnACpuGoingDown(family, platform));
  const DiffReport report = RunDifferential(s);
  EXPECT_EQ(RoleOf(report.reference_outcome, 1), Role::kOfflineTarget) << "reference";
  EXPECT_EQ(RoleOf(report.reference_outcome, 3), Role::kOnlineTarget) << "reference";
  EXPECT_TRUE(MovedTaskRan(RunReference(s))) << "reference";
  ASSERT_FALSE(report.targets.empty());
  for (const TargetReport& t : report.targets) {
    ASSERT_TRUE(t.outcome.handed_over) << t.target;
    EXPECT_EQ(RoleOf(t.outcome, 1), Role::kOfflineTarget) << t.target;  // cpu1 died
    EXPECT_EQ(RoleOf(t.outcome, 3), Role::kOnlineTarget) << t.target;   // and its request brought cpu3 up
    for (const Diagnostic& d : t.result.diagnostics)
      EXPECT_EQ(d.text.find("didn't die"), std::string::npos) << t.target;
  }
  for (const TargetSpec* spec : TargetsFor(s)) {
    const RunResult r = RunOnTarget(*spec, s);
    EXPECT_TRUE(TakeDownMovedATask(r)) << spec->name;
    EXPECT_TRUE(MovedTaskRan(r)) << spec->name;
  }
  for (const Divergence& d : report.divergences) EXPECT_TRUE(d.known || d.difference()) << d.signature;
}

INSTANTIATE_TEST_SUITE_P(EveryFamily, HotplugRequestMoves,
                         ::testing::Values(std::pair{"PPC", "POWER9_DOORBELL_XIVE"},
                                           std::pair{"X86", "X86_INTEL_MWAIT"}, std::pair{"ARM64", "ARM64_PSCI"}));

}  // namespace
}  // namespace crashdiff
