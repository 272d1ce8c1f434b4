// The arm64 side of the crash path: the hooks of the generic panic() / crash_kexec() (targets/common/, which
// models kernel/panic.c and kernel/kexec_core.c for every family): arm64's panic_smp_self_stop override,
// smp_send_stop, crash_smp_send_stop, machine_crash_shutdown, machine_kexec; and die(). Models torvalds/linux
// arch/arm64/kernel/traps.c die() (panic with die_lock held), arch/arm64/kernel/machine_kexec.c
// machine_crash_shutdown() and machine_kexec() ("Some CPUs may be stale" warning), smp.c crash_smp_send_stop()
// and cpus_are_stuck_in_kernel() (DOMAIN §2.7, §3.11, §4; S42-S45; 78fd584cdec0, a88ce63b642c).
#include "targets/arm64/arm64_kernel.h"

namespace crashdiff::arm64 {

// The crash path's arm64 hooks (targets/common/crash_core.h).
Task<> Arm64Kernel::PanicIrqDisable(Cpu& cpu, Label l) {
  co_await cpu.irq_disable(l);
}

// arm64's panic_smp_self_stop(): self-offline (local_cpu_stop), never saved. No nmi_panic() here.
Task<> Arm64Kernel::PanicSmpSelfStop(Cpu& cpu, bool /*nmi_panic*/) {
  co_await LocalCpuStop(cpu);
}

// crash_smp_send_stop() from panic() with crash_kexec_post_notifiers. (Without them panic() calls smp_send_stop():
// crash_stop is 0, so the targets just stop.)
Task<> Arm64Kernel::PanicCrashSmpSendStop(Cpu& cpu) {
  co_await CrashSmpSendStop(cpu);
}

// machine_crash_shutdown().
Task<> Arm64Kernel::MachineCrashShutdown(Cpu& cpu, common::Regs /*regs*/) {
  co_await cpu.irq_disable("A0");
  co_await CrashSmpSendStop(cpu);
  co_await cpu.local("A5", "crash_save_cpu, machine_kexec_mask_interrupts");
  m_.RecordSave(cpu.id(), true);
  m_.Log(cpu.id(), "Starting crashdump kernel...");
}

// machine_kexec(kexec_crash_image).
Task<> Arm64Kernel::MachineKexec(Cpu& cpu) {
  const bool stuck = co_await CpusAreStuckInKernel(cpu, "A6");
  const bool stop_failed = co_await NumOtherOnline(cpu, "A6") != 0;  // smp_crash_stop_failed()
  if (stuck || stop_failed) m_.Log(cpu.id(), "Some CPUs may be stale, kdump will be unreliable.");
  co_await cpu.handover({Region::kCrashKernel}, "A7");
}

Task<> Arm64Kernel::Oops(Cpu& cpu) {
  const int64_t self = cpu.id();
  // die(): raw_spin_lock_irqsave(&die_lock); a second oopsing CPU spins here with interrupts masked. Unlike x86
  // and powerpc oops_begin there is no die_owner check, so a nested die on the owning CPU spins here for good.
  co_await cpu.irq_disable("D0");
  m_.RecordPanic(cpu.id());  // die() with panic_on_oops: the crash starts here, before any die_lock wait
  co_await cpu.spin_cmpxchg(die_lock_, kNoCpuId, self, "D1");
  co_await cpu.local("D2", "__die: print oops");
  co_await crash_.CrashKexec(cpu);
  co_await crash_.Panic(cpu, {});  // panic_on_oops, still holding die_lock
}

Task<bool> Arm64Kernel::CpusAreStuckInKernel(Cpu& cpu, Label label) {
  const bool smp_spin_tables = spin_table() && m_.num_cpus() > 1;
  co_return co_await cpu.read(cpus_stuck_in_kernel_, label) != 0 || smp_spin_tables;
}

// crash_smp_send_stop(): once only; crash_stop also tells the receivers that this is a crash stop.
Task<> Arm64Kernel::CrashSmpSendStop(Cpu& cpu) {
  if (co_await cpu.read(crash_stop_, "A0") == 1) co_return;
  co_await cpu.write(crash_stop_, 1, "A0");
  co_await SmpSendStop(cpu);
}

}  // namespace crashdiff::arm64
