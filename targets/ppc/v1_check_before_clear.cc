// ppc-v1-check-before-clear (spec §3.2): the v1 "Wake up offline CPUs in kdump" patch from the Dec 2017 LKML
// thread [S]: the offline loop reads kdump_in_progress() right after the wake and before clearing it, and calls
// crash_ipi_callback(NULL). Otherwise as mainline 4145f358644b (arch/powerpc/platforms/powernv/smp.c
// pnv_smp_cpu_kill_self, arch/powerpc/kernel/smp.c crash_send_ipi with the offline round, crash.c ncpus =
// present - 1, no online guard in crash_ipi_callback), on the v4.14-era busy-count NMI-IPI layer.
#include "targets/ppc/ppc_kernel.h"
#include "targets/target.h"

namespace crashdiff::ppc {
namespace {

constexpr Variant kV1{
    .receiver_online_guard = false,
    .wake_offline = true,
    .kdump_check = KdumpCheck::kBeforeClear,
    .kdump_check_null_regs = true,
    .reset_branch = true,
    .sreset_dump = false,
    .nmi_form = NmiIpiForm::kBusyCount,
};

const TargetSpec kSpec{
    .name = "ppc-v1-check-before-clear",
    .family = pb::PPC,
    .platforms = {pb::POWER8_XICS, pb::POWER9_DOORBELL_XIVE, pb::POWER9_XIVE_IPI, pb::POWER9_ICP_OPAL},
    .models =
        "LKML Dec 2017 v1 'Wake up offline CPUs in kdump' (Balbir Singh), as quoted in review; "
        "base torvalds/linux v4.14 powernv/smp.c pnv_smp_cpu_kill_self",
    .summary = "kdump check before the clear: a stray wake merged with the crash wake is cleared and lost",
    .known =
        {
            {"PR3 lost-wake: offline-target", "4145f358644b970fcff293c09fdcc7939e8527d2",
             "Nicholas Piggin's review: check after the clear, with a barrier"},
            {"reads crashing_cpu after a wake without a barrier", "4145f358644b970fcff293c09fdcc7939e8527d2",
             "v1 reads kdump_in_progress() before clearing the wake (Piggin's review)"},
            {"PR1 unsafe-parking: offline-target", "4145f358644b970fcff293c09fdcc7939e8527d2",
             "a lost wake leaves the thread in STOPPED_HW at hand-over"},
            {"PR2 unstable-after-handover: offline-target", "4145f358644b970fcff293c09fdcc7939e8527d2",
             "after a lost wake the seed hazard is back"},
            {"PR5 incomplete-dump: offline-target", "4145f358644b970fcff293c09fdcc7939e8527d2",
             "crash_ipi_callback(NULL) saves no valid registers; a lost wake saves none"},
            {"PR5 incomplete-dump: loser", "",
             "a loser spinning soft-masked never takes the muxed crash IPI (spec §4)"},
            {"PR8 unbounded-initiator: initiator waits for an operator reset", "",
             "panic_timeout <= 0 and a missing CPU: operator wait (spec §7 row J)"},
        },
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<PpcKernel>(m, kV1); },
};

}  // namespace

CRASHDIFF_TARGET(kSpec);

}  // namespace crashdiff::ppc
