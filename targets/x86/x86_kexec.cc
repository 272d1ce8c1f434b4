// Normal kexec. Models torvalds/linux kernel/kexec_core.c kernel_kexec() (kexec_trylock, kexec_in_progress,
// machine_shutdown) and arch/x86/kernel/{reboot.c native_machine_shutdown, machine_kexec_64.c machine_kexec,
// relocate_kernel_64.S}: stop the other CPUs, then copy the new image over the old kernel's memory from the
// control page and jump (DOMAIN §3.8 K1-K4). Relocation writes are steps of their own, so offline CPUs can run
// between them; the order (text, page tables, data) follows an image loaded at the old kernel's address.
#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {

Task<> X86Kernel::KernelKexec(Cpu& cpu) {
  if (co_await cpu.cmpxchg(kexec_lock_, 0, 1, "K0") != 0) co_return;  // -EBUSY
  if (!m_.config().kexec_image_loaded()) {
    co_await cpu.write(kexec_lock_, 0, "K0");  // -EINVAL
    co_return;
  }
  co_await cpu.write(kexec_in_progress_, 1, "K1");
  co_await cpu.local("K1", "kernel_restart_prepare");
  // migrate_to_reboot_cpu(): cpu_hotplug_disable() (the migration itself is not modelled); syscore_shutdown();
  // cpu_hotplug_enable() again, because machine_shutdown may need hotplug: a cpu_up/down can run from here on.
  co_await CpuHotplugDisable(cpu, 1, "K1");
  co_await cpu.local("K1", "syscore_shutdown");
  co_await CpuHotplugDisable(cpu, -1, "K1");
  m_.Log(cpu.id(), "kexec_core: Starting new kernel");
  m_.RecordShutdown(cpu.id());
  cpu.set_location(Location::kCrashing);
  // native_machine_shutdown(): local_irq_disable() before stop_other_cpus(), so no timer (nor a cpu_down's
  // stop_machine) can move the kexec task off this CPU while it stops the others.
  co_await cpu.irq_disable("K2");
  co_await StopOtherCpus(cpu, true);  // machine_shutdown -> stop_other_cpus(): wait = 1
  co_await cpu.local("K2h", "lapic_shutdown, restore_boot_irq_mode, hpet_disable, iommu shutdown");
  // machine_kexec(): interrupts off, jump to relocate_kernel in the control page, copy, jump.
  co_await cpu.irq_disable("K3");
  co_await cpu.local("K3", "relocate_kernel: switch to the control page");
  cpu.set_code_region(Region::kKexecControl);
  co_await cpu.overwrite(Region::kOldKernelText, "K3");
  co_await cpu.overwrite(Region::kOldPageTables, "K3");
  co_await cpu.overwrite(Region::kOldKernelData, "K3");
  co_await cpu.handover({}, "K4");
}

}  // namespace crashdiff::x86
