// Normal kexec: arm64's hooks of the generic kernel_kexec() (targets/common/kexec_core.cc, kernel/kexec_core.c).
// Models torvalds/linux arch/arm64/kernel/machine_kexec.c machine_kexec_prepare() ("Can't kexec: CPUs are stuck in
// the kernel.", checked here when the event fires rather than at image load) and machine_kexec() (BUG_ON with CPUs
// still online, local_daif_mask, cpu_soft_restart), and kernel/cpu.c smp_shutdown_nonboot_cpus() via
// machine_shutdown(): every other online CPU is taken down through the hotplug path (cpu_die -> PSCI CPU_OFF).
#include "targets/arm64/arm64_kernel.h"

namespace crashdiff::arm64 {

Task<bool> Arm64Kernel::MachineKexecPrepare(Cpu& cpu, Label l) {
  if (!co_await CpusAreStuckInKernel(cpu, l)) co_return true;
  m_.Log(cpu.id(), "Can't kexec: CPUs are stuck in the kernel.");
  co_return false;
}

// machine_shutdown() -> smp_shutdown_nonboot_cpus(): under cpu_add_remove_lock, cpu_down each other online CPU (no
// timeout), then hotplug stays disabled. kernel_kexec() enabled hotplug again before this, so the task may sleep on
// the lock behind a cpu_down of this very CPU: the scheduler then wakes it on another CPU (TakeCpuDown), where
// smp_shutdown_nonboot_cpus() goes on with the first online CPU as its primary, the CPU it runs on; nothing before
// the lock changed anything, so it starts over there.
Task<> Arm64Kernel::MachineShutdown(Cpu& cpu) {
  co_await cpu_maps_.Lock(
      cpu, "K2", [this](Cpu& to) { return kexec_.ShutdownAndKexec(to); }, TraceMark::kKexecRequest);
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id() || co_await cpu.read(*online_[c], "K2") != 1) continue;
    co_await CpuDownLocked(cpu, c, kForever, kDownForKexec);
  }
  co_await cpu_maps_.AddDisabled(cpu, 1, "K2");
  co_await cpu_maps_.Unlock(cpu, "K2");
}

// machine_kexec(): BUG_ON(!in_kexec_crash && (stuck_cpus || num_online_cpus() > 1)).
Task<bool> Arm64Kernel::MachineKexecCheck(Cpu& cpu, Label l) {
  if (co_await cpu.read(num_online_, l) <= 1) co_return true;
  m_.Log(cpu.id(), "kernel BUG at arch/arm64/kernel/machine_kexec.c");
  co_await cpu.park(Location::kPanicHalt, l);
  co_return false;
}

// machine_kexec(): local_daif_mask() before cpu_soft_restart.
Task<> Arm64Kernel::MachineKexecIrqDisable(Cpu& cpu, Label l) {
  co_await DaifMask(cpu, l);
}

std::string_view Arm64Kernel::RelocationEntry() const {
  return "cpu_soft_restart: switch to the relocation code";
}

}  // namespace crashdiff::arm64
