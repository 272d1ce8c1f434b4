// Entry points of the x86 model: what each CPU runs at time 0, interrupt dispatch, software events.
#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {
X86Kernel::X86Kernel(Machine& m, X86Variant variant)
    : m_(m),
      v_(variant),
      panic_cpu_(m.NewVar("panic_cpu", kNoCpuId)),
      kexec_lock_(m.NewVar("kexec_lock", 0)),
      die_lock_(m.NewVar("die_lock", 0)),
      die_owner_(m.NewVar("die_owner", kNoCpuId)),
      die_nest_count_(m.NewVar("die_nest_count", 0)),
      cpu_maps_(m),
      kexec_in_progress_(m.NewVar("kexec_in_progress", 0)),
      stopping_cpu_(m.NewVar("stopping_cpu", kNoCpuId)),
      num_online_(m.NewVar("num_online_cpus", 0)),
      stop_nmi_handler_(m.NewVar("stop_nmi_handler", 0)),
      crash_nmi_handler_(m.NewVar("crash_nmi_handler", 0)),
      crashing_cpu_(m.NewVar(SharedVar::kCrashingCpu, kNoCpuId)),
      shootdown_callback_(m.NewVar("shootdown_callback", 0)),
      waiting_for_crash_ipi_(m.NewVar("waiting_for_crash_ipi", 0)),
      crash_ipi_issued_(m.NewVar("crash_ipi_issued", 0)),
      crash_cpus_stopped_(m.NewVar("crash_cpus_stopped", 0)),
      online_(m.NewVarArray("cpu_online", 0)),
      stop_mask_(m.NewVarArray("cpus_stop_mask", 0)),
      thread_flags_(m.NewVarArray("idle_thread_flags", 0)),
      md_control_(m.NewVarArray("mwait_cpu_dead.control", 0)),
      md_status_(m.NewVarArray("mwait_cpu_dead.status", 0)),
      cpu_dead_(m.NewVarArray("cpuhp_dead", 0)),
      sipi_(m.NewVarArray("startup_ipi", 0)),
      stop_machine_(m, online_, num_online_),
      apic_enabled_(m.num_cpus(), true),
      in_wait_for_sipi_(m.num_cpus(), false),
      system_irr_(m.num_cpus()),
      die_spin_depth_(m.num_cpus(), 0),
      crash_(m, *this, common::kPLabelCrashModel, panic_cpu_, kexec_lock_),
      kexec_(m, *this, common::kKLabelKexecModel, kexec_lock_, kexec_in_progress_, cpu_maps_) {
  int64_t online = 0;
  for (uint32_t c = 0; c < m.num_cpus(); ++c) {
    // Offline CPUs were booted and later unplugged: the unplug already cleared their online bit.
    online_[c]->value = m.initially_online(c) ? 1 : 0;
    online += online_[c]->value;
    // A CPU that never started has no enabled APIC; an offline one soft-disabled it in native_cpu_disable().
    if (m.never_started(c) || !m.initially_online(c)) apic_enabled_[c] = false;
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
  // An offline CPU starts on its way into play_dead: no longer ordinary kernel code (its smp_callin, O0, belongs
  // to its earlier life and is replayed here for the record's initial state).
  if (!m_.initially_online(c)) cpu.set_location(Location::kOfflineLoop);
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
      // The vectors this interrupt delivered that the kernel itself sent (see system_irr_); the rest are devices'.
      std::set<uint32_t> system;
      system.swap(system_irr_[cpu.id()]);
      if (system.count(kRebootVector)) {
        co_await StopThisCpu(cpu);  // sysvec_reboot: never returns
      } else if (system.count(kCallFunctionVector) && co_await stop_machine_.TakeWork(cpu)) {
        co_await CpuStopper(cpu);  // never returns on the CPU going down: it plays dead
      } else {
        co_await cpu.local("IRQ", "device interrupt: handle, EOI");
      }
      break;
    }
    default: co_await cpu.local("IRQ", "ignored interrupt"); break;
  }
}

Task<> X86Kernel::Software(Cpu& cpu, const pb::Event& event) {
  // kexec and hotplug are system calls: they start only from process context (the CPU's base frame, interrupts
  // on), never inside an interrupt handler or on top of another kernel path.
  const bool syscall = event.kind() == pb::KEXEC || event.kind() == pb::HOTPLUG_DOWN || event.kind() == pb::HOTPLUG_UP;
  if (syscall && (cpu.frames().size() != 2 || !cpu.irq_enabled())) {
    co_await cpu.local("SYS", "not in process context: request not started");
    co_return;
  }
  // A CPU spinning on die_lock with interrupts off runs only that loop: nothing in it calls panic() or faults.
  // (An NMI handler on top of it is other code: a panic there is nmi_panic.)
  // No step either: the event starts nothing (a step would be a window for the next event to land on).
  if (die_spin_depth_[cpu.id()] != 0 && cpu.frames().size() == die_spin_depth_[cpu.id()] + 1) co_return;
  switch (event.kind()) {
    case pb::PANIC:
      co_await crash_.Panic(cpu, {}, /*nmi_panic=*/cpu.in_nmi());
      break;  // an NMI handler calls nmi_panic()
    case pb::OOPS: co_await Oops(cpu); break;
    case pb::KEXEC: co_await kexec_.KernelKexec(cpu); break;
    case pb::HOTPLUG_DOWN: co_await CpuDown(cpu, event.cpus(1)); break;
    case pb::HOTPLUG_UP: co_await CpuUp(cpu, event.cpus(1)); break;
    default: break;
  }
}

}  // namespace crashdiff::x86
