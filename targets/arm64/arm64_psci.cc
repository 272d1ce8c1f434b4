// arm64-psci: arm64 crash/kexec with PSCI (or spin-table) CPU hotplug (spec §3.11). Models torvalds/linux
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
        "ipi_cpu_crash_stop, local_cpu_stop, cpu_die; machine_kexec.c; psci.c",
    .summary = "offline CPUs in PSCI firmware; crash stop by IPI then pseudo-NMI; losers self-offline unsaved",
    .known =
        {
            {"PR5 incomplete-dump: loser", "",
             "panic_smp_self_stop marks the loser offline and parks it without saving its registers (by design)"},
            {"PR1 unsafe-parking: online-target", "",
             "without pseudo-NMI a CPU spinning with interrupts masked is never stopped (\"Some CPUs may be "
             "stale\")"},
            {"PR5 incomplete-dump: online-target", "", "same: the unstoppable CPU's registers are not saved"},
            {"PR1 unsafe-parking: offline-target", "",
             "spin-table CPUs stuck in the kernel / CPU_OFF failures stay in kernel text"},
        },
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<Arm64Kernel>(m); },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::arm64
