// DOMAIN §3.5, the lost-wake matrix for the v1 ordering (check before clear), row by row, on
// ppc-v1-check-before-clear (the "yes" rows lose the crash wake) and ppc-upstream-clear-then-check (no row
// does). Each scenario places a superfluous wake of offline thread 1 so that it wakes, (v1) reads
// crashing_cpu = -1, and only then cpu0 crashes and sends its wake before thread 1 clears: the crash starts when
// thread 1 executes L2a (v1) or L3 (mainline, the same point before the clear), and the schedule then runs
// cpu0 up to its arrival wait before thread 1 continues.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "diff/runner.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

struct MatrixRow {
  const char* name;
  const char* platform;
  const char* stray;     // the superfluous wake, as an Event body without trigger
  const char* firmware;  // extra firmware fields
  bool v1_loses;
};

const MatrixRow kRows[] = {
    {"DoorbellVsStrayDoorbell", "POWER9_DOORBELL_XIVE", "kind: STRAY_DOORBELL cpus: 1", "", true},
    {"DoorbellVsDeviceHvi", "POWER9_DOORBELL_XIVE", "kind: DEVICE_IRQ cpus: 1 vector: 40", "", false},
    {"IcpNativeVsStaleIpi", "POWER8_XICS", "kind: STALE_ICP_IPI cpus: 1", "", true},
    {"IcpNativeVsDevice", "POWER8_XICS", "kind: DEVICE_IRQ cpus: 1 vector: 40", "", false},
    {"IcpOpalVsStaleIpi", "POWER9_ICP_OPAL", "kind: STALE_ICP_IPI cpus: 1", "", true},
    {"IcpOpalVsDevice", "POWER9_ICP_OPAL", "kind: DEVICE_IRQ cpus: 1 vector: 40", "", true},
    {"XiveIpiVsStrayXiveIpi", "POWER9_XIVE_IPI", "kind: XIVE_IPI cpus: 1", "", true},
    {"XiveIpiVsDeviceHvi", "POWER9_XIVE_IPI", "kind: DEVICE_IRQ cpus: 1 vector: 40", "", true},
    {"AnyVsHmi", "POWER9_DOORBELL_XIVE", "kind: HMI cpus: 1", "", false},
    {"AnyVsReset", "POWER9_DOORBELL_XIVE", "kind: SYSTEM_RESET cpus: 1", "", false},
    {"AnyVsSpuriousSrr1Zero", "POWER9_DOORBELL_XIVE", "kind: SPURIOUS_WAKE cpus: 1", "", false},
    {"AnyVsKvmExitSrr1Zero", "POWER8_XICS", "kind: KVM_EXIT cpus: 1", "", false},
    {"SystemResetVsStrayDoorbell", "POWER9_DOORBELL_XIVE", "kind: STRAY_DOORBELL cpus: 1",
     "firmware { system_reset_supported: true }", false},
    {"SystemResetVsDevice", "POWER9_XIVE_IPI", "kind: DEVICE_IRQ cpus: 1 vector: 40",
     "firmware { system_reset_supported: true }", false},
    {"CrossMechanismIcpVsStrayDoorbell", "POWER8_XICS", "kind: STRAY_DOORBELL cpus: 1", "", false},
};

void PrintTo(const MatrixRow& row, std::ostream* os) {
  *os << row.name;
}

// cpu0 online, thread 1 (its own core) offline. The check label is where the crash starts on thread 1.
std::string MatrixScenario(const MatrixRow& row, const std::string& check_label, int steps_to_check) {
  return std::string("machine { family: PPC platform: ") + row.platform +
         " cores: 2 threads_per_core: 1 offline: 1 panic_timeout: 10 " + row.firmware + " }\n" + "events { " +
         row.stray + " trigger { at_time_ns: 1000 } }\n" +
         "events { kind: PANIC cpus: 0 trigger { on_label { cpu: 1 label: \"" + check_label + "\" } } }\n" +
         "schedule { choices { cpu: 1 steps: 100 } choices { cpu: 0 steps: 100 } choices { cpu: 1 steps: " +
         std::to_string(steps_to_check) + " } choices { cpu: 0 steps: 5000 } }\n";
}

RunResult RunMatrix(const char* target, const MatrixRow& row, const std::string& label, int steps) {
  const pb::Scenario s = testing::ScenarioFromText(MatrixScenario(row, label, steps));
  const TargetSpec* t = FindTarget(target);
  EXPECT_NE(t, nullptr);
  return RunOnTarget(*t, s);
}

bool HasDiag(const RunResult& r, const std::string& text) {
  for (const Diagnostic& d : r.diagnostics) {
    if (d.text.find(text) != std::string::npos) return true;
  }
  return false;
}

// The crash started after thread 1's superfluous wake (the PANIC trigger fired) in every row.
bool CrashStartedAfterTheStrayWake(const RunResult& r) {
  return r.cpus[0].entered_panic && r.cpus[1].woken;
}

class LostWakeMatrix : public ::testing::TestWithParam<MatrixRow> {};

TEST_P(LostWakeMatrix, V1CheckBeforeClear) {
  const MatrixRow& row = GetParam();
  // Thread 1: wake (L2), L3 (the crash starts here: L2a is no trigger point), L2a before cpu0 writes crashing_cpu.
  const RunResult r = RunMatrix("ppc-v1-check-before-clear", row, "L3", 3);
  ASSERT_TRUE(CrashStartedAfterTheStrayWake(r));
  ASSERT_TRUE(r.handed_over);
  if (row.v1_loses) {
    EXPECT_EQ(r.cpus[1].at_handover, Location::kStoppedHw);
    EXPECT_EQ(r.cpus[1].responses, 0u);
    EXPECT_EQ(r.cpus[1].saves + r.cpus[1].invalid_saves, 0u);
    EXPECT_TRUE(HasDiag(r, "ERROR: 1 cpu(s) not responding"));
    // 10 s arrival wait + 1 s in skiboot's opal_reinit_cpus for the stopped thread (in the OS for skiboot).
    EXPECT_GE(r.handover_time_ns, 11 * kSec);
    EXPECT_LT(r.handover_time_ns, 11 * kSec + 10 * kMs);
  } else {
    EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw);
    EXPECT_EQ(r.cpus[1].responses, 1u);
    EXPECT_FALSE(HasDiag(r, "not responding"));
    EXPECT_LT(r.handover_time_ns, 1 * kMs);
  }
}

TEST_P(LostWakeMatrix, UpstreamClearThenCheckNeverLoses) {
  const MatrixRow& row = GetParam();
  // Thread 1: wake (L2), L3; the crash wake then merges with the superfluous one before the clear (L4).
  const RunResult r = RunMatrix("ppc-upstream-clear-then-check", row, "L3", 2);
  ASSERT_TRUE(CrashStartedAfterTheStrayWake(r));
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw);
  EXPECT_EQ(r.cpus[1].responses, 1u);
  EXPECT_EQ(r.cpus[1].saves, 1u);
  EXPECT_FALSE(HasDiag(r, "not responding"));
  EXPECT_LT(r.handover_time_ns, 1 * kMs);
}

INSTANTIATE_TEST_SUITE_P(Spec35, LostWakeMatrix, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<MatrixRow>& info) { return info.param.name; });

}  // namespace
}  // namespace crashdiff
