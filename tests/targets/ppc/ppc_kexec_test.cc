// The normal kexec on powernv (targets/ppc/kexec.cc: kernel_kexec -> default_machine_kexec -> kexec_prepare_cpus)
// and cpu_up of a thread Linux never started (targets/ppc/hotplug.cc: pnv_smp_kick_cpu -> opal_start_cpu). Checked
// on the state transitions: every present CPU is online before the kexec_smp_down round; every other CPU has reached
// KEXEC_STATE_REAL_MODE (and OPAL) before kexec_sequence; a never-started thread leaves firmware on its start job,
// skiboot's record of it is cleared, and it comes online.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "diff/runner.h"
#include "sim/validate.h"
#include "targets/ppc/ppc_state.h"
#include "targets/target.h"
#include "tests/fixtures/ppc_test_util.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/target_test_util.h"

namespace crashdiff {
namespace {

using testing::FirstEntry;
using testing::RunOn;

constexpr const char* kTargets[] = {"ppc-prefix-nowake", "ppc-v1-check-before-clear", "ppc-upstream-clear-then-check",
                                    "ppc-sreset-dump"};

// Thread 1 offline, thread 3 never started; cpu0 kexecs.
constexpr const char* kKexecWithOffline = R"pb(
  machine {
    family: PPC
    platform: POWER9_DOORBELL_XIVE
    cores: 2
    threads_per_core: 2
    offline: 1
    never_started: 3
    kexec_image_loaded: true
    panic_timeout: 10
  }
  events {
    kind: KEXEC
    cpus: 0
    trigger { at_time_ns: 1000 }
  }
)pb";

// cpu0 starts the never-started thread 2; nothing else happens.
constexpr const char* kUpNeverStarted = R"pb(
  machine { family: PPC platform: POWER8_XICS cores: 2 threads_per_core: 2 never_started: 2 panic_timeout: 10 }
  events {
    kind: HOTPLUG_UP
    cpus: 0
    cpus: 2
    trigger { at_time_ns: 1000 }
  }
)pb";

size_t FirstEvent(const RunResult& r, uint32_t cpu, std::string_view name) {
  const auto& entries = r.trace.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].cpu == cpu && entries[i].kind == TraceKind::kEvent && entries[i].label == name) return i;
  }
  return SIZE_MAX;
}

// wake_offline_cpus: the offline thread comes back through its offline loop (SU2: online again) and the
// never-started one through opal_start_cpu, both before cpu0 queues kexec_smp_down (KX2b) and before any other CPU
// runs it (KS1).
TEST(PpcKexec, OfflineAndNeverStartedCpusComeOnlineBeforeTheKexecSmpDownRound) {
  const pb::Scenario s = testing::ScenarioFromText(kKexecWithOffline);
  for (const char* target : kTargets) {
    const RunResult r = RunOn(target, s);
    ASSERT_TRUE(r.handed_over) << target;
    EXPECT_EQ(r.handover_cpu, 0u) << target;
    const size_t round = FirstEntry(r, 0, "KX2b");
    ASSERT_NE(round, SIZE_MAX) << target;
    for (uint32_t c : {1u, 3u}) {
      const size_t online = FirstEntry(r, c, "SU2");
      ASSERT_NE(online, SIZE_MAX) << target << " cpu" << c;
      EXPECT_LT(online, round) << target << " cpu" << c;
      EXPECT_LT(online, FirstEntry(r, c, "KS1")) << target << " cpu" << c;
    }
    EXPECT_NE(FirstEvent(r, 3, "FW_START"), SIZE_MAX) << target;  // out of skiboot by opal_start_cpu's job
  }
}

// kexec_prepare_cpus_wait(KEXEC_STATE_REAL_MODE): every other CPU wrote REAL_MODE (pnv_kexec_cpu_down(0, 1), KS3)
// before cpu0 reaches kexec_sequence (KX3, KX4); at the hand-over each is back in OPAL.
TEST(PpcKexec, EveryOtherCpuIsInRealModeBeforeKexecSequence) {
  const pb::Scenario s = testing::ScenarioFromText(kKexecWithOffline);
  for (const char* target : kTargets) {
    const RunResult r = RunOn(target, s);
    ASSERT_TRUE(r.handed_over) << target;
    const size_t sequence = FirstEntry(r, 0, "KX3", TraceKind::kLocal);  // kexec_sequence (after the kdump check)
    ASSERT_NE(sequence, SIZE_MAX) << target;
    // kexec_prepare_cpus_wait(REAL_MODE) (KX2f) ends before pnv_kexec_cpu_down(0, 0) (KX2g) starts.
    const size_t cpu_down = FirstEntry(r, 0, "KX2g");
    ASSERT_NE(cpu_down, SIZE_MAX) << target;
    for (uint32_t c = 1; c < 4; ++c) {
      const size_t irqs_off = FirstEntry(r, c, "KS1", TraceKind::kWrite, ppc::kKexecStateIrqsOff);
      const size_t real_mode = FirstEntry(r, c, "KS3", TraceKind::kWrite, ppc::kKexecStateRealMode);
      ASSERT_NE(irqs_off, SIZE_MAX) << target << " cpu" << c;
      ASSERT_NE(real_mode, SIZE_MAX) << target << " cpu" << c;
      EXPECT_LT(irqs_off, real_mode) << target << " cpu" << c;
      EXPECT_LT(real_mode, sequence) << target << " cpu" << c;
      EXPECT_LT(real_mode, cpu_down) << target << " cpu" << c;
      EXPECT_EQ(r.cpus[c].at_handover, Location::kParkedFw) << target << " cpu" << c;
    }
    // kexec_all_irq_disabled is written only after every CPU reported IRQS_OFF.
    const size_t release = FirstEntry(r, 0, "KX2e", TraceKind::kWrite);
    ASSERT_NE(release, SIZE_MAX) << target;
    for (uint32_t c = 1; c < 4; ++c) {
      EXPECT_LT(FirstEntry(r, c, "KS1", TraceKind::kWrite, ppc::kKexecStateIrqsOff), release) << target << " cpu" << c;
    }
  }
}

// cpu_up of a never-started thread: opal_start_cpu queues skiboot's start job, the thread runs it (leaves firmware,
// skiboot's record cleared), spins on paca->cpu_start until the requester sets it (HU2), then start_secondary
// brings it online.
TEST(PpcKexec, NeverStartedThreadLeavesFirmwareOnOpalStartCpuAndComesOnline) {
  const pb::Scenario s = testing::ScenarioFromText(kUpNeverStarted);
  for (const char* target : kTargets) {
    const TargetSpec* t = FindTarget(target);
    ASSERT_NE(t, nullptr) << target;
    Machine m(s);
    const std::unique_ptr<Program> program = t->make(m);
    const RunResult r = m.Run(*program);
    EXPECT_FALSE(m.cpu(2).in_firmware()) << target;
    EXPECT_FALSE(m.cpu(2).held_by_firmware()) << target;  // cpu_give_self_os: skiboot's record says "in the OS"
    const size_t job = FirstEvent(r, 2, "FW_START_JOB");
    const size_t start = FirstEvent(r, 2, "FW_START");
    const size_t released = FirstEntry(r, 0, "HU2", TraceKind::kWrite);  // paca->cpu_start = 1
    const size_t online = FirstEntry(r, 2, "SU2");
    ASSERT_NE(job, SIZE_MAX) << target;
    ASSERT_NE(start, SIZE_MAX) << target;
    ASSERT_NE(released, SIZE_MAX) << target;
    ASSERT_NE(online, SIZE_MAX) << target;
    EXPECT_LT(job, start) << target;
    EXPECT_LT(start, online) << target;
    EXPECT_LT(released, online) << target;  // start_secondary only after the cpu_start spin ends
    EXPECT_EQ(r.cpus[2].final, Location::kRunOld) << target;
  }
}

// Validation: a never-started thread may run a software event once a HOTPLUG_UP starts it, on powerpc only (the
// x86 and arm64 models never start one).
TEST(PpcKexec, ANeverStartedThreadAHotplugUpStartsMayRunSoftwareEventsOnPpcOnly) {
  const std::string events = R"pb(
    events {
      kind: HOTPLUG_UP
      cpus: 0
      cpus: 2
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: PANIC
      cpus: 2
      trigger { at_time_ns: 100000000 }
    }
  )pb";
  const pb::Scenario ppc = testing::UnvalidatedScenarioFromText(
      "machine { family: PPC platform: POWER8_XICS cores: 2 threads_per_core: 2 never_started: 2 }" + events);
  EXPECT_TRUE(Validate(ppc).empty());
  const pb::Scenario x86 = testing::UnvalidatedScenarioFromText(
      "machine { family: X86 platform: X86_HLT cores: 2 threads_per_core: 2 never_started: 2 }" + events);
  EXPECT_FALSE(Validate(x86).empty());
}

}  // namespace
}  // namespace crashdiff
