// ppc-upstream-clear-then-check (DOMAIN §3.3): mainline after 4145f358644b "powernv/kdump: Fix cases where the
// kdump kernel can get HMI's" (Balbir Singh, 2018-01-16) and its parent "powerpc/crash: Remove the test for
// cpu_online in the IPI callback", as in the v5.x kernels before 7d6475051fb3 (2019). Models
// arch/powerpc/platforms/powernv/smp.c pnv_smp_cpu_kill_self (clear, smp_mb, then kdump_in_progress() ->
// crash_ipi_callback; WAKERESET replay), arch/powerpc/kernel/smp.c crash_send_ipi with the offline round (v5.x
// busy-flag NMI-IPI layer, 88b9a3d1425a, with OPAL quiesce), smp_send_stop by NMI IPI whose nmi_stop_this_cpu
// leaves the CPU online (de6e5d38417e until bab26238bbd4), arch/powerpc/kexec/crash.c@2555693dd85c
// (ncpus = present - 1).
#include "targets/ppc/ppc_kernel.h"
#include "targets/ppc/ppc_known.h"
#include "targets/target.h"

namespace crashdiff::ppc {
namespace {

const TargetSpec kSpec{
    .name = "ppc-upstream-clear-then-check",
    .family = pb::PPC,
    .platforms = {pb::POWER8_XICS, pb::POWER9_DOORBELL_XIVE, pb::POWER9_XIVE_IPI, pb::POWER9_ICP_OPAL},
    .models =
        "torvalds/linux 4145f358644b970fcff293c09fdcc7939e8527d2 and later: powernv/smp.c "
        "pnv_smp_cpu_kill_self, kernel/smp.c crash_send_ipi, kexec/crash.c@2555693dd85c",
    .summary = "offline threads woken by the crash; the kdump check follows the clear and a full barrier",
    .known =
        {
            kLoserNotSaved,
            kLoserLeftInOldText,
            kStoppedBeforeCrashNotSaved,
            kOperatorWait,
            kFirmwareHeldResetAfterHandover,
            kFirmwareHeldResetAtHandover,
            kFirmwareHeldResetIntoRelocated,
            kNeverStartedResetAfterHandover,
        },
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<PpcKernel>(m, kUpstreamVariant); },
};

}  // namespace

CRASHDIFF_TARGET(kSpec);

}  // namespace crashdiff::ppc
