// The CONFIG_KVM_BOOK3S_HV_POSSIBLE handshake of a POWER9 offline stop (machine.kvm_hv on a POWER9 platform;
// targets/ppc/kvm.cc KvmIdleEnter / KvmIdleWake, Variant.p9_offline_kvm): hwthread_state = IN_IDLE before
// the stop; after a wake through 0x100 the asm's pnv_powersave_wakeup reads hwthread_state, stores IN_KERNEL, syncs
// and reads hwthread_req (10d91611f426's C does the store, smp_mb and read after every wake); the v6.x
// arch300_offline_stop does none of it. Under memory_model ARCHITECTURE that sync drains the thread's invalidate
// queue before the offline loop's next load.
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "sim/validate.h"
#include "targets/ppc/ppc_kernel.h"
#include "tests/fixtures/ppc_test_util.h"
#include "tests/fixtures/sim_test_util.h"
#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

// Thread 1 offline in a state-keeping stop that wakes through 0x100 (EC=ESL=1, the one-bit firmware description),
// woken by a stray doorbell.
constexpr const char* kStrayDoorbellWake = R"pb(
  machine {
    family: PPC
    platform: POWER9_DOORBELL_XIVE
    cores: 2
    threads_per_core: 1
    offline: 1
    firmware { stop_loses_state: false }
    kvm_hv: true
  }
  events {
    kind: STRAY_DOORBELL
    cpus: 1
    trigger { at_time_ns: 5000 }
  }
)pb";

// The same thread in stop0_lite (EC=ESL=0: the wake resumes after the stop instruction, no vector).
constexpr const char* kLiteStopWake = R"pb(
  machine {
    family: PPC
    platform: POWER9_DOORBELL_XIVE
    cores: 2
    threads_per_core: 1
    offline: 1
    firmware { idle_states { name: "stop0_lite" flags: 0x100000 psscr_val: 0x330 residency_ns: 10000 } }
    kvm_hv: true
  }
  events {
    kind: STRAY_DOORBELL
    cpus: 1
    trigger { at_time_ns: 5000 }
  }
)pb";

std::string ReadSeed(const std::string& file) {
  std::ifstream in(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds/ppc/" + file);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string WithoutKvm(std::string text) {
  const std::string field = "kvm_hv: true";
  text.erase(text.find(field), field.size());
  return text;
}

// A registered target with another version of the POWER9 offline KVM handshake.
RunResult RunWithP9OfflineKvm(ppc::P9OfflineKvm version, const std::string& text) {
  ppc::Variant v = ppc::kUpstreamVariant;
  v.p9_offline_kvm = version;
  return RunWithVariant(v, ScenarioFromText(text));
}

// cpu's KV0 / KV1 steps in order, each as kind and detail (a variable access names the variable and its value).
std::vector<std::pair<TraceKind, std::string>> KvmSteps(const RunResult& r, uint32_t cpu) {
  std::vector<std::pair<TraceKind, std::string>> out;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == cpu && (e.label == "KV0" || e.label == "KV1")) out.emplace_back(e.kind, std::string(e.label));
  }
  return out;
}

// The index of cpu's first entry of this kind and label whose detail contains var, after index from.
size_t Find(const RunResult& r, uint32_t cpu, TraceKind kind, std::string_view label, std::string_view var,
            size_t from = 0) {
  const auto& e = r.trace.entries();
  for (size_t i = from; i < e.size(); ++i) {
    if (e[i].cpu == cpu && e[i].kind == kind && e[i].label == label && e[i].detail.find(var) != std::string::npos) {
      return i;
    }
  }
  return e.size();
}

TEST(PpcKvmP9, AsmOfflineStopPublishesIdleThenWakeStoresInKernelSyncsAndReadsReqInOrder) {
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", kStrayDoorbellWake);
  const size_t end = r.trace.entries().size();
  // power9_offline_stop: IN_IDLE (1) before the stop.
  const size_t idle = Find(r, 1, TraceKind::kWrite, "KV0", "hwthread_state[1]");
  ASSERT_LT(idle, end);
  EXPECT_EQ(r.trace.entries()[idle].value, 1);
  // pnv_powersave_wakeup: R hwthread_state (IN_IDLE), W IN_KERNEL (0), sync, R hwthread_req (0): in that order,
  // before the offline loop's L3.
  const size_t state = Find(r, 1, TraceKind::kRead, "KV1", "hwthread_state[1]", idle);
  const size_t store = Find(r, 1, TraceKind::kWrite, "KV1", "hwthread_state[1]", idle);
  const size_t sync = Find(r, 1, TraceKind::kLocal, "KV1", "barrier", idle);
  const size_t req = Find(r, 1, TraceKind::kRead, "KV1", "hwthread_req[1]", idle);
  const size_t loop = Find(r, 1, TraceKind::kLocal, "L3", "", idle);
  ASSERT_LT(loop, end);
  EXPECT_LT(state, store);
  EXPECT_LT(store, sync);
  EXPECT_LT(sync, req);
  EXPECT_LT(req, loop);
  EXPECT_EQ(r.trace.entries()[state].value, 1);
  EXPECT_EQ(r.trace.entries()[store].value, 0);
  EXPECT_EQ(r.trace.entries()[req].value, 0);  // nothing grabs a POWER9 thread: hwthread_req stays 0
  EXPECT_EQ(r.cpus[1].final, Location::kStoppedHw);

  // Without kvm_hv the same wake takes no KVM step.
  const RunResult off = RunTarget("ppc-upstream-clear-then-check", WithoutKvm(kStrayDoorbellWake));
  EXPECT_TRUE(KvmSteps(off, 1).empty());
}

TEST(PpcKvmP9, AsmLiteStopWakeReturnsThroughWakeupNolossWithoutTheHandshake) {
  // isa300 EC=0: power_enter_stop's ESL=0 branch goes to pnv_wakeup_noloss: IN_IDLE was stored, nothing after.
  const RunResult r = RunTarget("ppc-upstream-clear-then-check", kLiteStopWake);
  EXPECT_GT(CountSteps(r, 1, TraceKind::kWrite, "KV0", "hwthread_state[1]"), 0);
  EXPECT_EQ(Find(r, 1, TraceKind::kLocal, "KV1", "barrier"), r.trace.entries().size());
  EXPECT_EQ(Find(r, 1, TraceKind::kRead, "KV1", "hwthread_req"), r.trace.entries().size());
}

TEST(PpcKvmP9, CPowerNineOfflineStopRunsTheHandshakeAfterEveryWake) {
  // 10d91611f426's power9_offline_stop: IN_KERNEL, smp_mb, hwthread_req after power9_idle_stop returns, the lite
  // stop's plain wake included; no read of hwthread_state first.
  for (const char* text : {kStrayDoorbellWake, kLiteStopWake}) {
    const RunResult r = RunWithP9OfflineKvm(ppc::P9OfflineKvm::k10d91611, text);
    const size_t end = r.trace.entries().size();
    const size_t idle = Find(r, 1, TraceKind::kWrite, "KV0", "hwthread_state[1]");
    ASSERT_LT(idle, end) << text;
    const size_t store = Find(r, 1, TraceKind::kWrite, "KV1", "hwthread_state[1]", idle);
    const size_t sync = Find(r, 1, TraceKind::kLocal, "KV1", "barrier", idle);
    const size_t req = Find(r, 1, TraceKind::kRead, "KV1", "hwthread_req[1]", idle);
    ASSERT_LT(req, end) << text;
    EXPECT_LT(store, sync) << text;
    EXPECT_LT(sync, req) << text;
    EXPECT_EQ(Find(r, 1, TraceKind::kRead, "KV1", "hwthread_state"), end) << text;
  }
}

TEST(PpcKvmP9, VSixArch300OfflineStopTakesNoKvmStep) {
  // The 2021 removal (v6.x arch300_offline_stop): ppc-sreset-dump models it.
  for (const char* text : {kStrayDoorbellWake, kLiteStopWake}) {
    EXPECT_TRUE(KvmSteps(RunTarget("ppc-sreset-dump", text), 1).empty()) << text;
    EXPECT_TRUE(KvmSteps(RunWithP9OfflineKvm(ppc::P9OfflineKvm::kRemoved2021, text), 1).empty()) << text;
  }
}

// corpus/seeds/ppc/w_invalidate_queue_kvm_p9_wake.textproto: cpu0 panics and stores crashing_cpu; a stray doorbell
// wakes thread 1 while its invalidate queue is held, crashing_cpu's old value still pending there. The mutant
// without the offline loop's smp_mb has no barrier between the wake and its kdump check (L6) but the handshake's.
TEST(PpcKvmP9, TheHandshakeSyncAppliesAStaleEntryBeforeTheOfflineLoopsKdumpCheck) {
  const std::string seed = ReadSeed("w_invalidate_queue_kvm_p9_wake.textproto");
  const RunResult on = RunTarget("ppc-mutant-no-offline-barrier", seed);
  const size_t end = on.trace.entries().size();
  const size_t sync = Find(on, 1, TraceKind::kLocal, "KV1", "barrier");
  const size_t applied = Find(on, 1, TraceKind::kInvalidate, "invalidate", "crashing_cpu");
  const size_t check = Find(on, 1, TraceKind::kRead, "L6", "crashing_cpu");
  ASSERT_LT(sync, end);
  ASSERT_LT(check, end);
  ASSERT_LT(applied, end);
  EXPECT_EQ(on.trace.entries()[applied].step, on.trace.entries()[sync].step);  // in the sync's step
  EXPECT_LT(sync, check);
  EXPECT_EQ(on.trace.entries()[check].value, 0);  // cpu0's store

  // Without the handshake nothing applies it before L6: the check reads the stale -1.
  const RunResult off = RunTarget("ppc-mutant-no-offline-barrier", WithoutKvm(seed));
  const size_t stale = Find(off, 1, TraceKind::kRead, "L6", "crashing_cpu");
  ASSERT_LT(stale, off.trace.entries().size());
  EXPECT_EQ(off.trace.entries()[stale].value, -1);
}

TEST(PpcKvmP9, ValidationAcceptsKvmHvOnPowerNineButNotKvmEnterThereNorKvmHvOffPowerpc) {
  const auto errors = [](const std::string& text) { return Validate(UnvalidatedScenarioFromText(text)); };
  EXPECT_TRUE(errors(kStrayDoorbellWake).empty());
  EXPECT_TRUE(errors(R"pb(machine { family: PPC platform: POWER9_XIVE_IPI kvm_hv: true })pb").empty());
  EXPECT_TRUE(errors(R"pb(machine { family: PPC platform: POWER9_ICP_OPAL kvm_hv: true })pb").empty());
  EXPECT_FALSE(errors(R"pb(machine { family: X86 platform: X86_HLT kvm_hv: true })pb").empty());
  EXPECT_FALSE(errors(R"pb(
                 machine {
                   family: PPC
                   platform: POWER9_DOORBELL_XIVE
                   cores: 1
                   threads_per_core: 4
                   offline: [ 1 ]
                   kvm_hv: true
                 }
                 events {
                   kind: KVM_ENTER
                   cpus: [ 0, 1 ]
                   trigger { at_time_ns: 1 }
                 }
               )pb")
                   .empty());
}

}  // namespace
}  // namespace crashdiff::testing
