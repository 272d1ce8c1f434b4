// kernel/kexec_core.c crash_kexec() and __crash_kexec(), as every family runs them: torvalds/linux
// kernel/kexec_core.c, 2017-era (mutex_trylock(&kexec_mutex)) and @0091d9241ea24c5275be4a3e5a032862fd9de9ec
// (kexec_trylock(), an atomic: the same gate) (DOMAIN S15, §2.7, §4).
#include "targets/common/crash_core.h"

namespace crashdiff::common {

// crash_kexec(): the winner of panic_cpu runs __crash_kexec and, if that comes back (nothing loaded, or the lock
// held), puts panic_cpu back so a later panic() can still run; losers return to their caller.
Task<> CrashCore::CrashKexec(Cpu& cpu, Regs regs) {
  const int64_t self = cpu.id();
  if (co_await cpu.cmpxchg(panic_cpu_, kPanicCpuInvalid, self, model_.crash_kexec_cpu) != kPanicCpuInvalid) {
    co_return;  // another CPU (or this one, in panic()) owns the crash
  }
  // Bookkeeping: a crash_kexec() that starts a crash is a crash entry; one that finds the crash owned (a powerpc
  // reset receiver on its way to crash_kexec_secondary) is not a loser. die() booked its own entry already.
  m_.RecordPanic(cpu.id());
  co_await LockedCrashKexec(cpu, regs);
  co_await cpu.write(panic_cpu_, kPanicCpuInvalid, model_.crash_kexec_cpu);
}

// __crash_kexec(): only with the kexec lock and a crash image loaded; machine_kexec does not return.
Task<> CrashCore::LockedCrashKexec(Cpu& cpu, Regs regs) {
  if (co_await cpu.cmpxchg(kexec_lock_, 0, 1, model_.kexec_lock) != 0) co_return;
  if (m_.config().crash_image_loaded()) {
    if (model_.book_shutdown_at_lock) {
      m_.RecordShutdown(cpu.id());
      cpu.set_location(Location::kCrashing);
    }
    co_await cpu.local(model_.setup_regs, "crash_setup_regs, crash_save_vmcoreinfo");
    co_await arch_.MachineCrashShutdown(cpu, regs);
    co_await arch_.MachineKexec(cpu);
  }
  co_await cpu.write(kexec_lock_, 0, model_.kexec_lock);
}

}  // namespace crashdiff::common
