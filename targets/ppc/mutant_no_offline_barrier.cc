// ppc-mutant-no-offline-barrier: a TEST-ONLY mutant, not a kernel. ppc-upstream-clear-then-check with one
// ordering removed: the full barrier (smp_mb) between clearing the wake and the kdump check in
// pnv_smp_cpu_kill_self (torvalds/linux arch/powerpc/platforms/powernv/smp.c, 4145f358644b). Under sequential
// consistency the barrier changes nothing; with store buffers (machine.memory_model ARCHITECTURE) the clear
// (msgclr, or the MFRR store) can still be buffered when the check reads crashing_cpu, and commit after the crash
// IPI arrived: the ordering-witness bench shows the fuzzer finding that run (docs/SIMULATOR.md "Store buffers").
#include "targets/ppc/ppc_kernel.h"
#include "targets/ppc/ppc_known.h"
#include "targets/target.h"

namespace crashdiff::ppc {
namespace {

class NoOfflineBarrier : public PpcKernel {
 public:
  explicit NoOfflineBarrier(Machine& m) : PpcKernel(m, kUpstreamVariant) {}

 protected:
  // OfflineWake4145f358 without its smp_mb.
  Task<> OfflineWake(Cpu& cpu, Wake wake) override {
    co_await ClearWake(cpu, wake, /*replay_reset=*/true);
    if (co_await cpu.read(s_.crashing_cpu, "L6") >= 0) {
      co_await cpu.local("L6", "ppc_save_regs into a stack pt_regs");
      co_await CrashIpiCallback(cpu, Regs{true, 0});
    }
  }
};

const TargetSpec kSpec{
    .name = "ppc-mutant-no-offline-barrier",
    .family = pb::PPC,
    .platforms = {pb::POWER8_XICS, pb::POWER9_DOORBELL_XIVE, pb::POWER9_XIVE_IPI, pb::POWER9_ICP_OPAL},
    .models = "test-only mutant of torvalds/linux 4145f358644b powernv/smp.c pnv_smp_cpu_kill_self: smp_mb removed",
    .summary = "TEST-ONLY: ppc-upstream-clear-then-check without the offline loop's full barrier",
    // ppc-upstream-clear-then-check's documented bugs: what the mutant shows beyond them is the missing barrier's.
    .known = {kLoserNotSaved, kLoserLeftInOldText, kStoppedBeforeCrashNotSaved, kOperatorWait},
    .test_only = true,
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<NoOfflineBarrier>(m); },
};

}  // namespace

CRASHDIFF_TARGET(kSpec);

}  // namespace crashdiff::ppc
