// kernel/panic.c panic() (and nmi_panic()'s arbitration), as every family runs it: torvalds/linux kernel/panic.c
// panic() @v4.14 and @v6.6 (DOMAIN S16, §2.7, §4), which take the same steps here:
//   local_irq_disable(); old = atomic_cmpxchg(&panic_cpu, PANIC_CPU_INVALID, this_cpu);
//   if (old != PANIC_CPU_INVALID && old != this_cpu) panic_smp_self_stop();
//   if (!crash_kexec_post_notifiers) { __crash_kexec(NULL); smp_send_stop(); } else crash_smp_send_stop();
//   notifiers, kmsg_dump; if (crash_kexec_post_notifiers) __crash_kexec(NULL); ... halt.
#include "targets/common/crash_core.h"

namespace crashdiff::common {

Task<> CrashCore::Panic(Cpu& cpu, std::string why, bool nmi_panic) {
  const int64_t self = cpu.id();
  co_await arch_.PanicIrqDisable(cpu, model_.irq_off);
  m_.RecordPanic(cpu.id());  // entered once its first step ran: an interrupt before it runs first (sim/machine.h)
  const int64_t old = co_await cpu.cmpxchg(panic_cpu_, kPanicCpuInvalid, self, model_.panic_cpu);
  if (old != kPanicCpuInvalid && old != self) {
    co_await arch_.PanicSmpSelfStop(cpu, nmi_panic);
    co_return;
  }
  if (model_.owner_crashing) cpu.set_location(Location::kCrashing);  // no longer ordinary kernel code
  if (model_.console_lines) m_.Log(cpu.id(), "Kernel panic - not syncing: " + why);
  if (!m_.config().crash_kexec_post_notifiers()) {
    co_await LockedCrashKexec(cpu);  // __crash_kexec(NULL): returns only without the lock or an image
    co_await arch_.SmpSendStop(cpu);
  } else {
    co_await arch_.PanicCrashSmpSendStop(cpu);
    if (!model_.notifiers.empty()) co_await cpu.local(model_.notifiers, "panic notifiers, kmsg_dump");
    co_await LockedCrashKexec(cpu);
  }
  if (model_.console_lines) {
    m_.Log(cpu.id(), "---[ end Kernel panic - not syncing: " + why + " ]---");
  } else {
    co_await cpu.local(model_.end, "end Kernel panic - not syncing");
  }
  co_await cpu.park(Location::kPanicHalt, model_.end);
}

}  // namespace crashdiff::common
