// ppc-patch-busy-poll-sees-kdump: a SUGGESTED FIX, not a kernel tree (docs/REPORTS/
// busy-polling-offline-thread-never-answers-the-crash.md). ppc-upstream-clear-then-check with the fallback loop of
// pnv_cpu_offline (arch/powerpc/platforms/powernv/idle.c, unchanged up to v6.17) polling kdump_in_progress() as
// well as generic_check_cpu_restart(): a thread with no usable stop state then leaves the loop once a crash has set
// crashing_cpu, and pnv_smp_cpu_kill_self's own kdump check, after the clear and the barrier, takes it into
// crash_ipi_callback like a woken thread.
#include "targets/ppc/ppc_kernel.h"
#include "targets/ppc/ppc_known.h"
#include "targets/target.h"

namespace crashdiff::ppc {
namespace {

class BusyPollSeesKdump : public PpcKernel {
 public:
  explicit BusyPollSeesKdump(Machine& m) : PpcKernel(m, kUpstreamVariant) {}

 protected:
  Task<Wake> PnvCpuOffline(Cpu& cpu) override {
    if (fw().idle_state_usable()) co_return co_await PpcKernel::PnvCpuOffline(cpu);
    Var& state = *pc(cpu).cpu_state;
    Var& crashing = s_.crashing_cpu;
    co_await cpu.wait_until([&state, &crashing] { return state.value == kCpuUpPrepare || crashing.value >= 0; },
                            kForever, "L2");
    co_return Wake{Source::kSpurious, 0};
  }
};

const TargetSpec kSpec{
    .name = "ppc-patch-busy-poll-sees-kdump",
    .family = pb::PPC,
    .platforms = {pb::POWER8_XICS, pb::POWER9_DOORBELL_XIVE, pb::POWER9_XIVE_IPI, pb::POWER9_ICP_OPAL},
    .models =
        "suggested fix on torvalds/linux v6.1 arch/powerpc/platforms/powernv/idle.c pnv_cpu_offline: the snooze "
        "fallback also leaves on kdump_in_progress()",
    .summary = "SUGGESTED FIX: ppc-upstream-clear-then-check whose busy-polling offline loop also watches for a crash",
    .known = {},  // a patch claims nothing: everything it shows is reported
    .test_only = true,
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<BusyPollSeesKdump>(m); },
};

}  // namespace

CRASHDIFF_TARGET(kSpec);

}  // namespace crashdiff::ppc
