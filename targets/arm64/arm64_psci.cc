// arm64-psci: arm64 crash/kexec with PSCI (or spin-table) CPU hotplug (DOMAIN §3.11). Models torvalds/linux
// v6.7+ arch/arm64/kernel/smp.c (crash_smp_send_stop, smp_send_stop with IPI_CPU_STOP_NMI retry,
// ipi_cpu_crash_stop, panic_smp_self_stop -> local_cpu_stop, cpu_die, cpus_are_stuck_in_kernel),
// arch/arm64/kernel/machine_kexec.c, psci.c; history 78fd584cdec0, a88ce63b642c.
#include "targets/arm64/arm64_kernel.h"
#include "targets/target.h"

namespace crashdiff::arm64 {
namespace {

const TargetSpec kSpec{
    .name = "arm64-psci",
    .family = pb::ARM64,
    .platforms = {pb::ARM64_PSCI, pb::ARM64_SPIN_TABLE},
    .models =
        "torvalds/linux v6.7+ arch/arm64/kernel/smp.c crash_smp_send_stop, smp_send_stop, "
        "ipi_cpu_crash_stop, local_cpu_stop, cpu_die, __cpu_up, secondary_start_kernel; machine_kexec.c; psci.c "
        "(CPU_OFF, cpu_psci_cpu_boot: CPU_ON); kernel/cpu.c bringup_cpu",
    .summary = "offline CPUs in PSCI firmware; crash stop by IPI then pseudo-NMI; losers self-offline unsaved",
    .known =
        {
            {.property = "PR5",
             .role = "loser",
             .what = "not saved",
             .labels = {"AL4"},
             .note = "panic_smp_self_stop marks the loser offline and parks it without saving registers (by design)"},
            // die() takes die_lock with interrupts masked and has no owner check: a CPU that waits there (another
            // CPU's oops, or its own nested die, which deadlocks) takes no IPI_CPU_STOP, whether it has reached
            // panic's arbitration or not.
            {.property = "PR1",
             .what = "RUN_OLD at hand-over",
             .labels = {"D1"},
             .note = "without pseudo-NMI a CPU spinning on die_lock with interrupts masked is never stopped "
                     "(\"Some CPUs may be stale\")"},
            {.property = "PR5",
             .what = "not saved",
             .labels = {"D1"},
             .note = "same: the unstoppable CPU's registers are not saved"},
            {.property = "PR9",
             .role = "loser",
             .what = "keeps running in RUN_OLD",
             .labels = {"D1"},
             .note = "same: a loser whose nested die deadlocks on die_lock never reaches panic_smp_self_stop"},
            {.property = "PR1",
             .what = "OFFLINE_LOOP at hand-over",
             .labels = {"AD4"},
             .note = "spin-table CPUs stuck in the kernel (CPU_STUCK_IN_KERNEL) park in cpu_park_loop, kernel text "
                     "(warned)"},
        },
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<Arm64Kernel>(m); },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::arm64
