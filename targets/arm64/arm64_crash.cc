// Panic arbitration and kdump on arm64. Models torvalds/linux kernel/panic.c (panic, with arm64's
// panic_smp_self_stop override), kernel/kexec_core.c (crash_kexec, __crash_kexec, kexec_trylock),
// arch/arm64/kernel/traps.c die() (panic with die_lock held), arch/arm64/kernel/machine_kexec.c
// machine_crash_shutdown() and machine_kexec() ("Some CPUs may be stale" warning), smp.c crash_smp_send_stop()
// and cpus_are_stuck_in_kernel() (DOMAIN §2.7, §3.11, §4; S42-S45; 78fd584cdec0, a88ce63b642c).
#include "targets/arm64/arm64_kernel.h"

namespace crashdiff::arm64 {

Task<> Arm64Kernel::Panic(Cpu& cpu) {
  const int64_t self = cpu.id();
  co_await cpu.irq_disable("P1");
  m_.RecordPanic(cpu.id());  // entered once its first step ran: an interrupt before it runs first (sim/machine.h)
  const int64_t old = co_await cpu.cmpxchg(panic_cpu_, kNoCpuId, self, "P2");
  if (old != kNoCpuId && old != self) {
    co_await LocalCpuStop(cpu);  // panic_smp_self_stop(): self-offline, never saved
    co_return;
  }
  cpu.set_location(Location::kCrashing);  // the panicking CPU: no longer ordinary kernel code
  if (!m_.config().crash_kexec_post_notifiers()) {
    co_await DoCrashKexec(cpu);
    co_await SmpSendStop(cpu);  // smp_send_stop(): crash_stop is 0, so the targets just stop
  } else {
    co_await CrashSmpSendStop(cpu);
    co_await DoCrashKexec(cpu);
  }
  co_await cpu.local("P9", "end Kernel panic - not syncing");
  co_await cpu.park(Location::kPanicHalt, "P9");
}

Task<> Arm64Kernel::Oops(Cpu& cpu) {
  const int64_t self = cpu.id();
  // die(): raw_spin_lock_irqsave(&die_lock); a second oopsing CPU spins here with interrupts masked. Unlike x86
  // and powerpc oops_begin there is no die_owner check, so a nested die on the owning CPU spins here for good.
  co_await cpu.irq_disable("D0");
  m_.RecordPanic(cpu.id());  // die() with panic_on_oops: the crash starts here, before any die_lock wait
  while (co_await cpu.cmpxchg(die_lock_, kNoCpuId, self, "D1") != kNoCpuId) {
    co_await cpu.wait_until([this] { return die_lock_.value == kNoCpuId; }, kForever, "D1");
  }
  co_await cpu.local("D2", "__die: print oops");
  co_await CrashKexec(cpu);
  co_await Panic(cpu);  // panic_on_oops, still holding die_lock
}

Task<> Arm64Kernel::CrashKexec(Cpu& cpu) {
  const int64_t self = cpu.id();
  m_.RecordPanic(cpu.id());
  if (co_await cpu.cmpxchg(panic_cpu_, kNoCpuId, self, "P2") != kNoCpuId) co_return;
  co_await DoCrashKexec(cpu);
  co_await cpu.write(panic_cpu_, kNoCpuId, "P2");
}

Task<bool> Arm64Kernel::CpusAreStuckInKernel(Cpu& cpu, Label label) {
  const bool smp_spin_tables = spin_table() && m_.num_cpus() > 1;
  co_return co_await cpu.read(cpus_stuck_in_kernel_, label) != 0 || smp_spin_tables;
}

Task<bool> Arm64Kernel::DoCrashKexec(Cpu& cpu) {
  if (co_await cpu.cmpxchg(kexec_lock_, 0, 1, "P4") != 0) co_return false;
  if (!m_.config().crash_image_loaded()) {
    co_await cpu.write(kexec_lock_, 0, "P4");
    co_return false;
  }
  m_.RecordShutdown(cpu.id());
  cpu.set_location(Location::kCrashing);
  co_await cpu.local("P5", "crash_setup_regs, crash_save_vmcoreinfo");
  // machine_crash_shutdown()
  co_await cpu.irq_disable("A0");
  co_await CrashSmpSendStop(cpu);
  co_await cpu.local("A5", "crash_save_cpu, machine_kexec_mask_interrupts");
  m_.RecordSave(cpu.id(), true);
  m_.Log(cpu.id(), "Starting crashdump kernel...");
  // machine_kexec(kexec_crash_image)
  const bool stuck = co_await CpusAreStuckInKernel(cpu, "A6");
  const bool stop_failed = co_await NumOtherOnline(cpu, "A6") != 0;  // smp_crash_stop_failed()
  if (stuck || stop_failed) m_.Log(cpu.id(), "Some CPUs may be stale, kdump will be unreliable.");
  co_await cpu.handover({Region::kCrashKernel}, "A7");
  co_return true;
}

// crash_smp_send_stop(): once only; crash_stop also tells the receivers that this is a crash stop.
Task<> Arm64Kernel::CrashSmpSendStop(Cpu& cpu) {
  if (co_await cpu.read(crash_stop_, "A0") == 1) co_return;
  co_await cpu.write(crash_stop_, 1, "A0");
  co_await SmpSendStop(cpu);
}

}  // namespace crashdiff::arm64
