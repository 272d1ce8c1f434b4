// Normal kexec on arm64. Models torvalds/linux kernel/kexec_core.c kernel_kexec(), arch/arm64/kernel/
// machine_kexec.c machine_kexec_prepare() ("Can't kexec: CPUs are stuck in the kernel.", checked here when the
// event fires rather than at image load) and machine_kexec() (BUG_ON with CPUs still online), and
// kernel/cpu.c smp_shutdown_nonboot_cpus() via machine_shutdown(): every other online CPU is taken down through
// the hotplug path (cpu_die -> PSCI CPU_OFF). Relocation copies over the old kernel from the control page.
#include "targets/arm64/arm64_kernel.h"

namespace crashdiff::arm64 {

Task<> Arm64Kernel::KernelKexec(Cpu& cpu) {
  if (co_await cpu.cmpxchg(kexec_lock_, 0, 1, "K0") != 0) co_return;
  if (!m_.config().kexec_image_loaded() || co_await CpusAreStuckInKernel(cpu, "K0")) {
    if (m_.config().kexec_image_loaded()) m_.Log(cpu.id(), "Can't kexec: CPUs are stuck in the kernel.");
    co_await cpu.write(kexec_lock_, 0, "K0");
    co_return;
  }
  co_await cpu.write(kexec_in_progress_, 1, "K1");
  m_.Log(cpu.id(), "kexec_core: Starting new kernel");
  m_.RecordShutdown(cpu.id());
  cpu.set_location(Location::kCrashing);
  // migrate_to_reboot_cpu() disables hotplug, kernel_kexec re-enables it before machine_shutdown (not modelled
  // separately: nothing runs in between). K2: smp_shutdown_nonboot_cpus(): under cpu_add_remove_lock, cpu_down
  // each other online CPU (no timeout), then hotplug stays disabled.
  co_await LockCpuMaps(cpu, "K2");
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id() || co_await cpu.read(*online_[c], "K2") != 1) continue;
    co_await CpuDownLocked(cpu, c, kForever, kDownForKexec);
  }
  co_await cpu.fetch_add(cpu_hotplug_disabled_, 1, "K2");
  co_await UnlockCpuMaps(cpu, "K2");
  // machine_kexec(): BUG_ON(!in_kexec_crash && (stuck_cpus || num_online_cpus() > 1)).
  if (co_await cpu.read(num_online_, "K3") > 1) {
    m_.Log(cpu.id(), "kernel BUG at arch/arm64/kernel/machine_kexec.c");
    co_await cpu.park(Location::kPanicHalt, "K3");
    co_return;
  }
  co_await DaifMask(cpu, "K3");  // machine_kexec(): local_daif_mask() before cpu_soft_restart
  co_await cpu.local("K3", "cpu_soft_restart: switch to the relocation code");
  cpu.set_code_region(Region::kKexecControl);
  co_await cpu.overwrite(Region::kOldKernelText, "K3");
  co_await cpu.overwrite(Region::kOldPageTables, "K3");
  co_await cpu.overwrite(Region::kOldKernelData, "K3");
  co_await cpu.handover({}, "K4");
}

}  // namespace crashdiff::arm64
