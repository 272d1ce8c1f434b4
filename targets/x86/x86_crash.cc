// The x86 side of the crash path: the hooks of the generic panic() / crash_kexec() (targets/common/, which models
// kernel/panic.c and kernel/kexec_core.c for every family): panic_smp_self_stop, nmi_panic_self_stop, smp_send_stop,
// crash_smp_send_stop, machine_crash_shutdown, machine_kexec; and die(). Models torvalds/linux
// arch/x86/kernel/traps.c / dumpstack.c (oops_begin/oops_end: die_lock with
// die_owner and die_nest_count, so a nested oops on the owning CPU goes on instead of deadlocking),
// arch/x86/kernel/crash.c (native_machine_crash_shutdown, kdump_nmi_callback, crash_smp_send_stop) and
// arch/x86/kernel/reboot.c (nmi_shootdown_cpus, crash_nmi_callback, run_crash_ipi_callback) as of v6.6: the crash
// NMI handler registered first in the NMI_LOCAL chain (register_nmi_handler(..., NMI_FLAG_FIRST, "crash"); the
// emergency handler that replaces it came with fe37c699ae3e, v6.15) and virtualization disabled in the callback
// itself (26044aff37a5 "x86/crash: Disable virt in core NMI crash handler to avoid double shootdown") (DOMAIN §2.7,
// §3.10, §4; S15, S16, S40, S41).
#include <string>

#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {

// The crash path's x86 hooks (targets/common/crash_core.h).
Task<> X86Kernel::PanicIrqDisable(Cpu& cpu, Label l) {
  co_await cpu.irq_disable(l);
}

// nmi_panic() (what NMI handlers call): its loser runs nmi_panic_self_stop(), which polls for the shootdown.
// panic() itself, also from an oops in NMI context (oops_end: "Fatal exception in interrupt"), stops in the generic
// panic_smp_self_stop.
Task<> X86Kernel::PanicSmpSelfStop(Cpu& cpu, bool nmi_panic) {
  if (nmi_panic) {
    // nmi_panic_self_stop(): run_crash_ipi_callback() until the shootdown is issued (the crash NMI cannot nest).
    cpu.set_location(Location::kLoserSpin);
    co_await cpu.wait_until([this] { return crash_ipi_issued_.value == 1; }, kForever, "X0");
    if (co_await cpu.read(crash_ipi_issued_, "X0") == 1) co_await CrashNmiCallback(cpu);
  }
  co_await PanicSelfStop(cpu);
}

Task<> X86Kernel::SmpSendStop(Cpu& cpu) {
  co_await StopOtherCpus(cpu, false);
}

Task<> X86Kernel::PanicCrashSmpSendStop(Cpu& cpu) {
  co_await CrashSmpSendStop(cpu);
}

// native_machine_crash_shutdown().
Task<> X86Kernel::MachineCrashShutdown(Cpu& cpu, common::Regs /*regs*/) {
  co_await cpu.irq_disable("C0");
  co_await CrashSmpSendStop(cpu);
  co_await cpu.local("C9", "disable virtualization, stop PT, clear IO-APIC, lapic_shutdown, hpet_disable");
  m_.RecordSave(cpu.id(), true);
}

// machine_kexec(kexec_crash_image): the kdump kernel already sits in its reserved memory.
Task<> X86Kernel::MachineKexec(Cpu& cpu) {
  co_await cpu.handover({Region::kCrashKernel}, "C10");
}

// The generic weak panic_smp_self_stop(): spin with interrupts off; NMIs still get in.
Task<> X86Kernel::PanicSelfStop(Cpu& cpu) {
  co_await cpu.park(Location::kLoserSpin, "P3");
}

Task<> X86Kernel::Oops(Cpu& cpu) {
  co_await OopsBegin(cpu);
  co_await cpu.local("D2", "__die: print oops");
  co_await crash_.CrashKexec(cpu);  // oops_end(): kexec_should_crash() holds with panic_on_oops
  co_await OopsEnd(cpu);
  co_await crash_.Panic(cpu, {});  // panic_on_oops, or "Fatal exception in interrupt"
}

// oops_begin(): interrupts off, then arch_spin_trylock(die_lock). On failure the CPU spins for the lock unless it
// is die_owner itself: a nested oops (a fault while printing or in crash_kexec) goes on without the lock rather
// than deadlocking ("racy, but better than risking deadlock"). Either way it counts itself in and claims owner.
Task<> X86Kernel::OopsBegin(Cpu& cpu) {
  const int64_t self = cpu.id();
  co_await cpu.irq_disable("D0");
  m_.RecordPanic(cpu.id());  // die() with panic_on_oops: the crash starts here, before any die_lock wait
  if (co_await cpu.cmpxchg(die_lock_, 0, 1, "D1") != 0 && co_await cpu.read(die_owner_, "D1") != self) {
    // arch_spin_lock(): another oopsing CPU spins here with IF=0.
    const size_t outer_spin = die_spin_depth_[cpu.id()];  // an NMI handler's oops can spin above another spin
    die_spin_depth_[cpu.id()] = cpu.frames().size();
    co_await cpu.spin_cmpxchg(die_lock_, 0, 1, "D1");
    die_spin_depth_[cpu.id()] = outer_spin;
  }
  co_await cpu.fetch_add(die_nest_count_, 1, "D1");
  co_await cpu.write(die_owner_, self, "D1");
}

// oops_end() after crash_kexec returned: give up ownership, and release die_lock only when the outermost oops
// ends (die_nest_count back to 0).
Task<> X86Kernel::OopsEnd(Cpu& cpu) {
  co_await cpu.write(die_owner_, kNoCpuId, "D4");
  if (co_await cpu.fetch_add(die_nest_count_, -1, "D4") == 1) co_await cpu.write(die_lock_, 0, "D4");
}

// crash_smp_send_stop(): once only (static cpus_stopped), then kdump_nmi_shootdown_cpus().
Task<> X86Kernel::CrashSmpSendStop(Cpu& cpu) {
  if (co_await cpu.read(crash_cpus_stopped_, "C0") != 0) co_return;
  co_await NmiShootdownCpus(cpu);
  co_await cpu.local("C8", "disable_local_APIC");
  co_await cpu.write(crash_cpus_stopped_, 1, "C0");
}

Task<> X86Kernel::NmiShootdownCpus(Cpu& cpu) {
  const int64_t self = cpu.id();
  co_await cpu.irq_disable("C1");
  if (co_await cpu.read(crash_ipi_issued_, "C1") != 0) {
    m_.Log(cpu.id(), "WARNING: nmi_shootdown_cpus: shootdown already issued");
    co_return;
  }
  co_await cpu.write(crashing_cpu_, self, "C2");
  co_await cpu.write(shootdown_callback_, 1, "C3");
  const int64_t online = co_await cpu.read(num_online_, "C4");
  co_await cpu.write(waiting_for_crash_ipi_, online - 1, "C4");
  co_await cpu.write(crash_nmi_handler_, 1, "C5");
  const bool ordered = ShootdownOrdersStores();
  if (ordered) co_await cpu.barrier("C5");  // wmb(): the callback is set before the NMI goes out
  co_await SendToOthers(cpu, Source::kNmi, "C6", false, ordered);
  co_await cpu.write(crash_ipi_issued_, 1, "C7");
  co_await cpu.wait_at_most(waiting_for_crash_ipi_, 0, kSec, "C8");
}

Task<> X86Kernel::CrashNmiCallback(Cpu& cpu) {
  if (co_await cpu.read(crashing_cpu_, "X1") == cpu.id()) co_return;
  // From here the CPU runs only this callback, which never returns and calls neither panic nor die: it is out of
  // ordinary kernel code, so no PANIC can land mid-callback and, as nmi_panic's loser, run the callback again.
  cpu.set_location(Location::kTransit);
  co_await cpu.irq_disable("X2");
  if (co_await cpu.read(shootdown_callback_, "X3") == 1) {
    // kdump_nmi_callback(): VMCLEAR, crash_save_cpu, stop Intel PT, disable the local APIC.
    co_await cpu.local("X3", "crash_vmclear_local_loaded_vmcss, crash_save_cpu");
    m_.RecordSave(cpu.id(), true);
    co_await cpu.local("X3", "cpu_emergency_stop_pt, disable_local_APIC");
    apic_enabled_[cpu.id()] = false;
  }
  co_await cpu.local("X4", "cpu_emergency_disable_virtualization");
  // atomic_dec: its result is not used (torvalds/linux arch/x86/kernel/reboot.c crash_nmi_callback, read at
  // d9d3316bec4a), so the model gets none either.
  co_await cpu.atomic_add(waiting_for_crash_ipi_, -1, "X5");
  m_.RecordResponse(cpu.id());
  // "Assume hlt works": one HLT; if an SMI/MCE resumes it, cpu_relax() forever in old-kernel text.
  cpu.set_location(Location::kParkedHlt);
  co_await cpu.hlt("X6");
  co_await cpu.park(Location::kLoserSpin, "X6");
}

// exc_nmi(): offline CPUs return at once (2019); then the crash handler (registered first / emergency), the
// stop handler, and otherwise an unknown NMI.
Task<> X86Kernel::Nmi(Cpu& cpu) {
  if (co_await cpu.read(*online_[cpu.id()], "N0") != 1) co_return;
  if (co_await cpu.read(crash_nmi_handler_, "N1") == 1) {
    co_await CrashNmiCallback(cpu);
    co_return;
  }
  if (co_await cpu.read(stop_nmi_handler_, "N1") == 1) {
    if (co_await cpu.read(stopping_cpu_, "N1") == cpu.id()) co_return;
    co_await StopThisCpu(cpu);
    co_return;
  }
  co_await cpu.local("N9", "unknown_nmi_error");
  m_.Log(cpu.id(), "Uhhuh. NMI received for unknown reason on CPU " + std::to_string(cpu.id()));
}

}  // namespace crashdiff::x86
