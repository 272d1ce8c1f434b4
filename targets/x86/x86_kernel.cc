// Entry points of the x86 model: what each CPU runs at time 0, interrupt dispatch, software events.
#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {

X86Kernel::X86Kernel(Machine& m, X86Variant variant)
    : m_(m),
      v_(variant),
      panic_cpu_(m.NewVar("panic_cpu", kNoCpuId)),
      kexec_lock_(m.NewVar("kexec_lock", 0)),
      die_lock_(m.NewVar("die_lock", kNoCpuId)),
      kexec_in_progress_(m.NewVar("kexec_in_progress", 0)),
      stopping_cpu_(m.NewVar("stopping_cpu", kNoCpuId)),
      num_online_(m.NewVar("num_online_cpus", 0)),
      stop_nmi_handler_(m.NewVar("stop_nmi_handler", 0)),
      crash_nmi_handler_(m.NewVar("crash_nmi_handler", 0)),
      crashing_cpu_(m.NewVar("crashing_cpu", kNoCpuId)),
      shootdown_callback_(m.NewVar("shootdown_callback", 0)),
      waiting_for_crash_ipi_(m.NewVar("waiting_for_crash_ipi", 0)),
      crash_ipi_issued_(m.NewVar("crash_ipi_issued", 0)),
      crash_cpus_stopped_(m.NewVar("crash_cpus_stopped", 0)),
      online_(m.NewVarArray("cpu_online", 0)),
      stop_mask_(m.NewVarArray("cpus_stop_mask", 0)),
      thread_flags_(m.NewVarArray("idle_thread_flags", 0)),
      md_control_(m.NewVarArray("mwait_cpu_dead.control", 0)),
      md_status_(m.NewVarArray("mwait_cpu_dead.status", 0)),
      apic_enabled_(m.num_cpus(), true),
      in_wait_for_sipi_(m.num_cpus(), false) {
  int64_t online = 0;
  for (uint32_t c = 0; c < m.num_cpus(); ++c) {
    // Offline CPUs were booted and later unplugged: the unplug already cleared their online bit.
    online_[c]->value = m.initially_online(c) ? 1 : 0;
    online += online_[c]->value;
    if (m.never_started(c)) apic_enabled_[c] = false;
  }
  num_online_.value = online;
}

Task<> X86Kernel::Start(Cpu& cpu) {
  const uint32_t c = cpu.id();
  if (m_.never_started(c)) {
    // Held by firmware until the OS sends INIT/SIPI; it never runs this kernel's code.
    co_await cpu.enter_firmware(Location::kNeverStarted, "hold");
    co_return;
  }
  if (c != m_.config().boot_cpu()) co_await SmpCallin(cpu);
  if (!m_.initially_online(c)) {
    co_await PlayDead(cpu);
    co_return;
  }
  // The idle loop: interrupts enabled, waiting for work. Software events run on top of it.
  co_await cpu.park(Location::kRunOld, "idle");
}

Task<> X86Kernel::Interrupt(Cpu& cpu, Source source) {
  switch (source) {
    case Source::kNmi: co_await Nmi(cpu); break;
    case Source::kMce: co_await MachineCheck(cpu); break;
    case Source::kInit: co_await WaitForSipi(cpu); break;
    case Source::kIpi: {
      const bool reboot = cpu.hw().taken_ipi_vectors.count(kRebootVector) != 0;
      if (reboot) {
        co_await StopThisCpu(cpu);  // sysvec_reboot: never returns
      } else {
        co_await cpu.local("IRQ", "device interrupt: handle, EOI");
      }
      break;
    }
    default: co_await cpu.local("IRQ", "ignored interrupt"); break;
  }
}

Task<> X86Kernel::Software(Cpu& cpu, const pb::Event& event) {
  switch (event.kind()) {
    case pb::PANIC: co_await Panic(cpu); break;
    case pb::OOPS: co_await Oops(cpu); break;
    case pb::KEXEC: co_await KernelKexec(cpu); break;
    default:
      // HOTPLUG_DOWN / HOTPLUG_UP are not modelled for x86 (docs/FIDELITY-x86-arm64.md).
      co_await cpu.local("HP", "hotplug request not modelled");
      break;
  }
}

}  // namespace crashdiff::x86
