// ppc-sreset-dump (DOMAIN §3.6): "powerpc/crash: save cpu register data in crash_smp_send_stop()" (Hari Bathini,
// 2022, c7255058b543). Models arch/powerpc/kexec/crash.c (v6.x) default_machine_crash_shutdown with
// is_via_system_reset (a reset-driven crash waits 500 ms instead of sending its own NMI round) and
// crash_kexec_prepare called from arch/powerpc/kernel/smp.c crash_smp_send_stop (CPUs stopped once, also with
// crash_kexec_post_notifiers; without a crash image smp_send_stop, whose nmi_stop_this_cpu marks the CPU offline,
// bab26238bbd4); offline loop as v6.x arch/powerpc/platforms/powernv/smp.c pnv_smp_cpu_kill_self after
// 7d6475051fb3 (2019: entered soft-disabled, lazy interrupts cleaned up before the loop; in the loop the wake
// handling of 4145f358644b); v5.x NMI-IPI layer (88b9a3d1425a busy flag).
#include "targets/ppc/ppc_kernel.h"
#include "targets/ppc/ppc_known.h"
#include "targets/target.h"

namespace crashdiff::ppc {
namespace {

constexpr Variant kSresetDump{
    .crash_ipi_callback = CrashIpiCb::kNoOnlineTest,
    .prepare_cpus = PrepareCpus::kC7255058,
    .kill_self = KillSelf::k7d647505,
    .crash_shutdown = CrashShutdown::kC7255058,
    .nmi_ipi = NmiIpi::k88b9a3d1,
    .send_stop = SendStop::kBab26238,
    .idle_restore = IdleRestore::k10d91611,        // v6.x idle.c power9_idle_stop (C idle code since v5.2)
    .p9_offline_kvm = P9OfflineKvm::kRemoved2021,  // v6.x arch300_offline_stop: no KVM handshake on POWER9
};

const TargetSpec kSpec{
    .name = "ppc-sreset-dump",
    .family = pb::PPC,
    .platforms = {pb::POWER8_XICS, pb::POWER9_DOORBELL_XIVE, pb::POWER9_XIVE_IPI, pb::POWER9_ICP_OPAL},
    .models =
        "torvalds/linux v6.x arch/powerpc/kexec/crash.c (is_via_system_reset, crash_kexec_prepare) and "
        "kernel/smp.c crash_smp_send_stop, after 'powerpc/crash: save cpu register data in "
        "crash_smp_send_stop()' (2022)",
    .summary = "reset-driven dumps send no second NMI round; CPUs are collected once in crash_smp_send_stop",
    .known =
        {
            kLoserNotSaved,
            kLoserLeftInOldText,
            kOperatorWait,
            kFirmwareHeldResetAfterHandover,
            kFirmwareHeldResetAtHandover,
            kFirmwareHeldResetIntoRelocated,
            kNeverStartedResetIntoRelocated,
            kNeverStartedResetAfterHandover,
        },
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<PpcKernel>(m, kSresetDump); },
};

}  // namespace

CRASHDIFF_TARGET(kSpec);

}  // namespace crashdiff::ppc
