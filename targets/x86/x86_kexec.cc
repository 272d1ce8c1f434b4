// Normal kexec: x86's hooks of the generic kernel_kexec() (targets/common/kexec_core.cc, kernel/kexec_core.c).
// Models torvalds/linux arch/x86/kernel/reboot.c native_machine_shutdown() and machine_kexec_64.c machine_kexec()
// (relocate_kernel_64.S's copy is the generic relocation), as of the targets' v6.3-v6.6 (DOMAIN §3.8 K1-K4).
#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {

Task<bool> X86Kernel::MachineKexecPrepare(Cpu& /*cpu*/, Label /*l*/) {
  co_return true;  // x86 machine_kexec_prepare() refuses no image for CPU reasons
}

// native_machine_shutdown() (reboot.c; the same order in v6.3-v6.6, and in v4.14 with disable_IO_APIC()): quiet
// the IO-APIC first (erratum AVR31: before any local APIC goes off), then local_irq_disable() before
// stop_other_cpus(), so no timer (nor a cpu_down's stop_machine) can move the kexec task off this CPU while it
// stops the others; then the local APIC, HPET and IOMMU. Device interrupts are not split into IO-APIC and MSI ones
// in the model: the IO-APIC step is bookkeeping of the order.
Task<> X86Kernel::MachineShutdown(Cpu& cpu) {
  co_await cpu.local("K2", "clear_IO_APIC");
  co_await cpu.irq_disable("K2");
  co_await StopOtherCpus(cpu, true);  // stop_other_cpus(): wait = 1
  co_await cpu.local("K2h", "lapic_shutdown, restore_boot_irq_mode, hpet_disable, iommu shutdown");
}

Task<bool> X86Kernel::MachineKexecCheck(Cpu& /*cpu*/, Label /*l*/) {
  co_return true;
}

// machine_kexec(): "Interrupts aren't acceptable while we reboot".
Task<> X86Kernel::MachineKexecIrqDisable(Cpu& cpu, Label l) {
  co_await cpu.irq_disable(l);
}

std::string_view X86Kernel::RelocationEntry() const {
  return "relocate_kernel: switch to the control page";
}

}  // namespace crashdiff::x86
