// ppc-v1-check-before-clear (DOMAIN §3.2): the v1 "Wake up offline CPUs in kdump" patch from the Dec 2017 LKML
// thread [S]: the offline loop reads kdump_in_progress() right after the wake and before clearing it, and calls
// crash_ipi_callback(NULL). Otherwise as mainline 4145f358644b (arch/powerpc/platforms/powernv/smp.c
// pnv_smp_cpu_kill_self, arch/powerpc/kernel/smp.c crash_send_ipi with the offline round, crash.c ncpus =
// present - 1, no online guard in crash_ipi_callback), on the v4.14-era busy-count NMI-IPI layer, with v4.14's
// smp_send_stop = smp_call_function(stop_this_cpu).
#include "targets/ppc/ppc_kernel.h"
#include "targets/ppc/ppc_known.h"
#include "targets/target.h"

namespace crashdiff::ppc {
namespace {

constexpr Variant kV1{
    .crash_ipi_callback = CrashIpiCb::kNoOnlineTest,
    .prepare_cpus = PrepareCpus::k4145f358,
    .kill_self = KillSelf::kV1Patch,
    .crash_shutdown = CrashShutdown::kV4_14,
    .nmi_ipi = NmiIpi::kV4_14,
    .send_stop = SendStop::kV4_14,
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
            {.property = "PR3",
             .role = "offline-target",
             .what = "sleeps in STOPPED_HW after crash wake",
             .labels = {"L2"},
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "Nicholas Piggin's review: the clear at L4 consumes a merged crash wake; check after the clear"},
            {.property = "PR4",
             .what = "reads crashing_cpu after a wake without a barrier",
             .labels = {"L2a"},
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "v1 reads kdump_in_progress() before clearing the wake, with no barrier (Piggin's review)"},
            {.property = "PR1",
             .role = "offline-target",
             .labels = {"L2"},
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "after a lost wake the thread is back in its stop (or just woken from it) at hand-over"},
            {.property = "PR2",
             .role = "offline-target",
             .what = "DEAD_CORRUPT after hand-over from OFFLINE_LOOP",
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "after a lost wake the seed hazard is back (thread awake in its loop)"},
            {.property = "PR5",
             .role = "offline-target",
             .what = "saved with NULL registers",
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "v1 calls crash_ipi_callback(NULL): crash_save_cpu has no valid registers"},
            {.property = "PR5",
             .role = "offline-target",
             .what = "not saved",
             .labels = {"L2"},
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "a lost wake: the thread never reaches the receiver"},
            kLoserNotSaved,
            kLoserLeftInOldText,
            kStoppedBeforeCrashNotSaved,
            kOperatorWait,
            kFirmwareHeldResetAfterHandover,
            kFirmwareHeldResetAtHandover,
            kFirmwareHeldResetIntoRelocated,
            kNeverStartedResetAfterHandover,
        },
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<PpcKernel>(m, kV1); },
};

}  // namespace

CRASHDIFF_TARGET(kSpec);

}  // namespace crashdiff::ppc
