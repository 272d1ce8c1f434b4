// ppc-prefix-nowake (DOMAIN §3.1): offline CPUs are not woken at crash time.
// Models torvalds/linux before 4145f358644b (v4.14): arch/powerpc/platforms/powernv/smp.c pnv_smp_cpu_kill_self
// (no kdump check, no WAKERESET branch), arch/powerpc/kernel/smp.c crash_send_ipi (NMI round to online CPUs
// only; v4.14 busy-count NMI-IPI layer), arch/powerpc/kernel/crash.c crash_kexec_prepare_cpus
// (ncpus = online - 1) and crash_ipi_callback with its "if (!cpu_online(cpu)) return" guard; v4.14 smp.c
// smp_send_stop = smp_call_function(stop_this_cpu), not the NMI IPI.
#include "targets/ppc/ppc_kernel.h"
#include "targets/ppc/ppc_known.h"
#include "targets/target.h"

namespace crashdiff::ppc {
namespace {

constexpr Variant kPrefixNoWake{
    .crash_ipi_callback = CrashIpiCb::kV4_14,
    .prepare_cpus = PrepareCpus::kV4_14,
    .kill_self = KillSelf::kV4_14,
    .crash_shutdown = CrashShutdown::kV4_14,
    .nmi_ipi = NmiIpi::kV4_14,
    .send_stop = SendStop::kV4_14,
};

const TargetSpec kSpec{
    .name = "ppc-prefix-nowake",
    .family = pb::PPC,
    .platforms = {pb::POWER8_XICS, pb::POWER9_DOORBELL_XIVE, pb::POWER9_XIVE_IPI, pb::POWER9_ICP_OPAL},
    .models =
        "torvalds/linux v4.14 (parent of 4145f358644b): powernv/smp.c pnv_smp_cpu_kill_self, "
        "kernel/smp.c crash_send_ipi, kernel/crash.c default_machine_crash_shutdown",
    .summary = "offline threads stay in stop across kdump; woken after hand-over they run the kdump kernel's vectors",
    .known =
        {
            {.property = "PR1",
             .role = "offline-target",
             // E*, H0, L*: the offline loop; KV*: its POWER8 KVM path (kvm_start_guest and the wait for a vcore);
             // KG*: a guest vcpu that path runs (kvmppc_hv_entry, the guest, its exit)
             .labels = {"E1", "E2",  "E3",  "E4",  "H0",  "L1",  "L2",  "L3",  "L4",  "L5",  "L6",
                        "L7", "KV0", "KV1", "KV2", "KV3", "KV4", "KG0", "KG1", "KG2", "KG3", "KG4"},
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "offline threads are never woken: still in their offline loop at hand-over (by design)"},
            {.property = "PR2",
             .role = "offline-target",
             .what = "DEAD_CORRUPT after hand-over from STOPPED_HW",
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "seed bug: an HMI / reset / stray wake after hand-over enters the kdump kernel's 0x100 vector"},
            {.property = "PR2",
             .role = "offline-target",
             .what = "DEAD_CORRUPT after hand-over from OFFLINE_LOOP",
             .fixed_by = "4145f358644b970fcff293c09fdcc7939e8527d2",
             .note = "same thread, caught awake in its loop: an MCE / HMI takes the replaced vector"},
            kLoserNotSaved,
            kLoserLeftInOldText,
            kStoppedBeforeCrashNotSaved,
            kStoppedBeforeCrashNotWoken,
            kStoppedBeforeCrashLoserNotWoken,
            kOperatorWait,
            kFirmwareHeldResetAfterHandover,
            kFirmwareHeldResetAtHandover,
            kFirmwareHeldResetIntoRelocated,
            kNeverStartedResetAfterHandover,
        },
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<PpcKernel>(m, kPrefixNoWake); },
};

}  // namespace

CRASHDIFF_TARGET(kSpec);

}  // namespace crashdiff::ppc
