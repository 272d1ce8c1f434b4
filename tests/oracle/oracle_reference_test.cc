// The reference model: on the DOMAIN §7 scenarios it collects every expected responder exactly once, parks
// everyone safely, hands over promptly, and violates no property; facts built live from the observer equal
// facts rebuilt from the recorded trace.
#include <gtest/gtest.h>

#include <algorithm>

#include "diff/runner.h"
#include "oracle/facts.h"
#include "oracle/outcome.h"
#include "oracle/properties.h"
#include "oracle/reference.h"
#include "oracle/roles.h"
#include "tests/fixtures/oracle_scenarios.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::ScenarioFromText;

struct RefRun {
  pb::Scenario scenario;
  RunResult result;
  Facts facts;
  std::vector<Violation> violations;
};

RefRun RunRef(const char* text) {
  RefRun r;
  r.scenario = ScenarioFromText(text);
  r.result = RunReference(r.scenario);
  r.facts = FactsFromRun(r.result);
  r.violations = CheckProperties(r.scenario, r.result, r.facts);
  return r;
}

void ExpectEveryoneCollected(const RefRun& r, bool offline_saved) {
  ASSERT_TRUE(r.result.handed_over);
  const std::vector<Role> roles = RolesOf(r.scenario, r.result);
  for (uint32_t c = 0; c < r.result.cpus.size(); ++c) {
    const CpuResult& cr = r.result.cpus[c];
    if (roles[c] == Role::kInitiator) {
      EXPECT_EQ(cr.saves, 1u);
      continue;
    }
    EXPECT_TRUE(Info(cr.at_handover).parked) << "cpu" << c << " " << Name(cr.at_handover);
    EXPECT_EQ(cr.final, cr.at_handover) << "cpu" << c;
    if (roles[c] == Role::kOfflineTarget && !offline_saved) continue;
    if (roles[c] == Role::kNeverStarted) continue;
    EXPECT_EQ(cr.saves, 1u) << "cpu" << c;
    EXPECT_EQ(cr.responses, 1u) << "cpu" << c;
  }
  for (const Violation& v : r.violations) ADD_FAILURE() << v.property << " " << v.what;
}

TEST(Reference, PpcRowAWakesTheOfflineThreadIntoOpalBeforeHandOver) {
  const RefRun r = RunRef(testing::kRowA);
  ExpectEveryoneCollected(r, /*offline_saved=*/true);
  EXPECT_EQ(r.result.cpus[3].at_handover, Location::kParkedFw);
  EXPECT_LT(r.result.handover_time_ns, 1 * kMs);  // nobody is waited for
}

TEST(Reference, PpcStrayDoorbellBeforeTheCrashWakeCannotLoseIt) {
  const RefRun r = RunRef(testing::kRowB);
  ExpectEveryoneCollected(r, true);
}

TEST(Reference, PpcLoserIsCollectedAndSaved) {
  const RefRun r = RunRef(testing::kRowCSysreset);
  ExpectEveryoneCollected(r, true);
  const std::vector<Role> roles = RolesOf(r.scenario, r.result);
  EXPECT_EQ(std::count(roles.begin(), roles.end(), Role::kLoser), 1);
}

TEST(Reference, PpcOperatorResetOfEveryThreadIsOneDumpWithOneInitiator) {
  const RefRun r = RunRef(R"pb(
    machine { family: PPC platform: POWER8_XICS cores: 2 threads_per_core: 2 offline: 1 never_started: 3 }
    events {
      kind: OPERATOR_RESET
      trigger { at_time_ns: 5000 }
    }
  )pb");
  ExpectEveryoneCollected(r, true);
  uint32_t initiators = 0;
  for (const CpuResult& c : r.result.cpus) initiators += c.shutdowns;
  EXPECT_EQ(initiators, 1u);
  EXPECT_EQ(r.result.cpus[3].at_handover, Location::kNeverStarted);
}

TEST(Reference, PpcInterruptsToAnOfflineThreadBeforeTheCrashDoNotKeepItAwake) {
  const RefRun r = RunRef(R"pb(
    machine { family: PPC platform: POWER8_XICS cores: 1 threads_per_core: 4 offline: 2 offline: 3 }
    events {
      kind: DEVICE_IRQ
      trigger { at_time_ns: 100 }
      cpus: 2
      vector: 40
    }
    events {
      kind: STALE_ICP_IPI
      trigger { at_time_ns: 200 }
      cpus: 3
    }
    events {
      kind: SPURIOUS_WAKE
      trigger { at_time_ns: 300 }
      cpus: 3
    }
    events {
      kind: PANIC
      trigger { at_time_ns: 100000 }
      cpus: 0
    }
  )pb");
  ExpectEveryoneCollected(r, true);
  EXPECT_EQ(r.result.end, EndReason::kQuiescent);
  EXPECT_LT(r.result.steps, 500u);
}

TEST(Reference, X86KdumpKicksTheOfflineCpuIntoInitWithoutSavingIt) {
  const RefRun r = RunRef(R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 3 }
    events {
      kind: PANIC
      trigger { at_time_ns: 100000 }
      cpus: 1
    }
  )pb");
  ExpectEveryoneCollected(r, /*offline_saved=*/false);
  EXPECT_EQ(r.result.cpus[3].at_handover, Location::kParkedInit);
  EXPECT_EQ(r.result.cpus[3].saves, 0u);
  EXPECT_EQ(r.result.cpus[0].at_handover, Location::kParkedHlt);  // the boot CPU is never put into INIT
}

TEST(Reference, X86KexecParksTheOfflineCpuBeforeRelocating) {
  const RefRun r = RunRef(testing::kRowH);
  ASSERT_TRUE(r.result.handed_over);
  EXPECT_EQ(r.result.cpus[3].final, Location::kParkedInit);
  EXPECT_TRUE(r.facts.relocated);
  for (const Violation& v : r.violations) ADD_FAILURE() << v.property << " " << v.what;
}

TEST(Reference, X86WithoutInitSipiParksInHltAndAnNmiAfterRelocationIsInherent) {
  const RefRun r = RunRef(testing::kKexecHltThenNmi);
  EXPECT_EQ(r.result.cpus[1].at_handover, Location::kParkedHlt);
  // HLT is weak against NMI (DOMAIN §1.2): taken through the relocated IDT, even the reference corrupts.
  EXPECT_EQ(r.result.cpus[1].final, Location::kDeadCorrupt);
  ASSERT_FALSE(r.violations.empty());
  EXPECT_EQ(r.violations[0].property, "PR2");
}

TEST(Reference, Arm64OfflineCpuStaysInFirmwareThroughAnMceAfterHandOver) {
  const RefRun r = RunRef(testing::kRowAArm64);
  ExpectEveryoneCollected(r, false);
  EXPECT_EQ(r.result.cpus[3].final, Location::kParkedFw);
}

// PSCI CPU_ON in the reference: the core firmware starts comes back online (FirmwareEntry) and a later crash
// collects it like any online CPU; without CPU_ON (spin-table) nothing is brought up.
TEST(Reference, Arm64CpuOnBringsTheCpuBackAndTheCrashCollectsIt) {
  const RefRun r = RunRef(R"pb(
    machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 offline: 2 }
    events {
      kind: HOTPLUG_UP
      cpus: [ 0, 2 ]
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: PANIC
      cpus: 1
      trigger { at_time_ns: 1000000 }
    }
  )pb");
  ExpectEveryoneCollected(r, false);
  EXPECT_EQ(r.result.cpus[2].saves, 1u);  // online again: a receiver like the others
  EXPECT_EQ(r.result.cpus[2].at_handover, Location::kParkedFw);
}

TEST(Reference, WithoutACrashImageThePanicHaltsAndTheLoserSpins) {
  const RefRun r = RunRef(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 crash_image_loaded: false }
    events {
      kind: PANIC
      trigger { at_time_ns: 100 }
      cpus: 0
    }
    events {
      kind: PANIC
      trigger { at_time_ns: 100 }
      cpus: 1
    }
  )pb");
  EXPECT_FALSE(r.result.handed_over);
  const std::vector<Role> roles = RolesOf(r.scenario, r.result);
  for (uint32_t c = 0; c < 2; ++c) {
    EXPECT_EQ(r.result.cpus[c].final, roles[c] == Role::kInitiator ? Location::kPanicHalt : Location::kLoserSpin);
  }
  EXPECT_TRUE(r.violations.empty());
}

// The observer path (fuzzing: no trace kept) and the replay path (recorded trace) give the same facts.
// kernel_kexec runs on the reboot CPU (migrate_to_reboot_cpu): the boot CPU, or the first online CPU when that is
// offline. A request made on another CPU moves there, which is the initiator; the run is judged as a kexec.
TEST(Reference, AKexecRequestedElsewhereRunsOnTheRebootCpu) {
  for (const bool boot_online : {true, false}) {
    const RefRun r = RunRef(
        boot_online ? R"pb(
              machine { family: ARM64 platform: ARM64_PSCI cores: 4 threads_per_core: 1 kexec_image_loaded: true }
              events {
                kind: KEXEC
                cpus: 2
                trigger { at_time_ns: 0 }
              }
            )pb"
                    : R"pb(
          machine { family: ARM64 platform: ARM64_PSCI cores: 4 threads_per_core: 1 kexec_image_loaded: true }
          events {
            kind: HOTPLUG_DOWN
            cpus: [ 1, 0 ]
            trigger { at_time_ns: 0 }
          }
          events {
            kind: KEXEC
            cpus: 2
            trigger { at_time_ns: 1000000 }
          }
        )pb");
    ASSERT_TRUE(r.result.handed_over) << boot_online;
    EXPECT_EQ(r.result.handover_cpu, boot_online ? 0u : 1u);
    const std::vector<Role> roles = RolesOf(r.scenario, r.result);
    EXPECT_EQ(roles[2], Role::kOnlineTarget) << boot_online;
    EXPECT_TRUE(r.facts.cpus[r.result.handover_cpu].kexec_event) << boot_online;
    for (const Violation& v : r.violations) ADD_FAILURE() << boot_online << ": " << v.property << " " << v.what;
  }
}

// The kexec owns the machine from its first step, so a panic afterwards is a loser. One on the reboot CPU before
// the kexec's task ran there buries that task: the loser runs the crash in its place, and the machine still hands
// over (a dump, every other CPU collected). Without that the reference hung, and the targets' hang on the same
// race (a panic stopping a normal kexec: neither kernel starts) could no longer be told from the scenario's own.
TEST(Reference, APanicOnTheRebootCpuBeforeTheKexecGetsThereRunsTheCrash) {
  const RefRun r = RunRef(R"pb(
    machine { family: X86 platform: X86_HLT cores: 1 threads_per_core: 2 kexec_image_loaded: true }
    events {
      kind: KEXEC
      cpus: 1
      trigger { at_time_ns: 0 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { on_label { cpu: 1 label: "K1" } }
    }
  )pb");
  ASSERT_TRUE(r.result.handed_over);
  EXPECT_EQ(r.result.handover_cpu, 0u);
  EXPECT_EQ(r.result.cpus[0].saves, 1u);  // judged as the crash it is
  EXPECT_TRUE(Info(r.result.cpus[1].final).parked) << Name(r.result.cpus[1].final);
  for (const Violation& v : r.violations) ADD_FAILURE() << v.property << " " << v.what;
}

TEST(Facts, LiveObserverAndTraceReplayAgree) {
  for (const char* text : {testing::kRowA, testing::kRowB, testing::kRowH}) {
    const pb::Scenario s = ScenarioFromText(text);
    const uint32_t n = s.machine().cores() * s.machine().threads_per_core();
    for (const TargetSpec* t : TargetsFor(s)) {
      FactsBuilder live(n);
      RunOptions fast;
      fast.record_trace = false;
      fast.observer = &live;
      const RunResult quick = RunOnTarget(*t, s, fast);
      const RunResult full = RunOnTarget(*t, s);
      EXPECT_EQ(quick.trace_hash, full.trace_hash);
      EXPECT_TRUE(quick.trace.entries().empty());
      const auto a = CheckProperties(s, quick, live.facts());
      const auto b = CheckProperties(s, full, FactsFromRun(full));
      ASSERT_EQ(a.size(), b.size()) << t->name;
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].what, b[i].what);
        EXPECT_EQ(a[i].witness.step, b[i].witness.step);
        EXPECT_EQ(a[i].witness.label, b[i].witness.label);
      }
    }
  }
}

}  // namespace
}  // namespace crashdiff
