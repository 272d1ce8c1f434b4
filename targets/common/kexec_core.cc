// kernel/kexec_core.c crash_kexec() and __crash_kexec(), as every family runs them: torvalds/linux
// kernel/kexec_core.c, 2017-era (mutex_trylock(&kexec_mutex)) and @0091d9241ea24c5275be4a3e5a032862fd9de9ec
// (kexec_trylock(), an atomic: the same gate) (DOMAIN S15, §2.7, §4); and kernel_kexec(), the normal kexec, as x86
// and arm64 run it (DOMAIN §3.8 K0-K4, §3.11).
#include "targets/common/crash_core.h"
#include "targets/common/sched.h"

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
  co_await cpu.store_release(kexec_lock_, 0, model_.kexec_lock);  // kexec_unlock: atomic_set_release
}

// kernel_kexec(): kexec_trylock() (-EBUSY), the image (-EINVAL), then with kexec_in_progress set the reboot
// preparation, machine_shutdown() and machine_kexec(), which does not return.
Task<> KexecCore::KernelKexec(Cpu& cpu) {
  if (co_await cpu.cmpxchg(kexec_lock_, 0, 1, model_.lock) != 0) co_return;  // -EBUSY
  if (!m_.config().kexec_image_loaded() || !co_await arch_.MachineKexecPrepare(cpu, model_.lock)) {
    co_await cpu.store_release(kexec_lock_, 0, model_.lock);  // -EINVAL, or the architecture refused the image
    co_return;
  }
  co_await cpu.write(kexec_in_progress_, 1, model_.in_progress);
  co_await cpu.local(model_.in_progress, "kernel_restart_prepare");
  co_await MigrateAndKexec(cpu);
}

// migrate_to_reboot_cpu() starts with cpu_hotplug_disable(). The task may sleep on cpu_add_remove_lock behind a
// cpu_down of this very CPU, which then wakes it on another CPU: it goes on there from the lock (nothing before it
// changed anything).
Task<> KexecCore::MigrateAndKexec(Cpu& cpu) {
  co_await cpu_maps_.HotplugDisable(
      cpu, 1, model_.in_progress, [this](Cpu& to) { return MigrateAndKexec(to); }, TraceMark::kKexecRequest);
  if (co_await MigrateToRebootCpu(cpu)) co_return;
  co_await RebootCpuKexec(cpu);
}

// migrate_to_reboot_cpu() pins the task to reboot_cpu (0 by default: the boot CPU), or to the first online CPU if
// that one is offline, and set_cpus_allowed_ptr() moves it there when it runs elsewhere. The moved task runs when
// the scheduler there gets to it (Cpu::QueueTask); this CPU goes back to what it was doing. Hotplug is disabled
// until the task runs there (cpu_hotplug_enable on the reboot CPU), so the chosen CPU stays online.
Task<bool> KexecCore::MigrateToRebootCpu(Cpu& cpu) {
  const uint32_t boot = m_.config().boot_cpu();
  if (cpu.id() == boot) co_return false;  // already there: a CPU that runs a task is online
  const auto move = [this, &cpu, boot] {
    const uint32_t reboot =
        arch_.CpuOnline(boot) ? boot : FirstOnline(m_.num_cpus(), [this](uint32_t c) { return arch_.CpuOnline(c); });
    if (reboot >= m_.num_cpus() || reboot == cpu.id()) return false;
    m_.cpu(reboot).QueueTask(RebootCpuKexec(m_.cpu(reboot)), TraceMark::kKexecRequest);
    return true;
  };
  co_return co_await cpu.ordered_hw_op(model_.in_progress, "migrate_to_reboot_cpu: set_cpus_allowed_ptr", move);
}

Task<> KexecCore::RebootCpuKexec(Cpu& cpu) {
  // syscore_shutdown(); then cpu_hotplug_enable() again, because machine_shutdown may need hotplug (powerpc's
  // wake_offline_cpus brings offline threads up: 011e4b02f1da "powerpc, kexec: Fix "Processor X is stuck" issue
  // during kexec from ST mode", before every modelled era): a cpu_up or cpu_down can run from here on.
  co_await cpu.local(model_.in_progress, "syscore_shutdown");
  co_await cpu_maps_.HotplugDisable(cpu, -1, model_.in_progress);
  m_.Log(cpu.id(), "kexec_core: Starting new kernel");
  m_.RecordShutdown(cpu.id());
  co_await ShutdownAndKexec(cpu);
}

Task<> KexecCore::ShutdownAndKexec(Cpu& cpu) {
  cpu.set_location(Location::kCrashing);
  co_await arch_.MachineShutdown(cpu);
  co_await MachineKexec(cpu);
}

Task<> KexecCore::MachineKexecElsewhere(Cpu& cpu) {
  cpu.set_location(Location::kCrashing);
  co_await MachineKexec(cpu);
}

// machine_kexec(kexec_image): the architecture's checks and its way to disable interrupts, then relocate_kernel from
// the control page: both architectures walk the kimage list, copying the new image over the old kernel, and jump.
// Each relocation write is a step of its own, so other CPUs can run between them; the order (text, page tables,
// data) follows an image loaded at the old kernel's address (docs/FIDELITY-x86-arm64.md, choice 1).
Task<> KexecCore::MachineKexec(Cpu& cpu) {
  if (!co_await arch_.MachineKexecCheck(cpu, model_.kexec)) co_return;
  co_await arch_.MachineKexecIrqDisable(cpu, model_.kexec);
  co_await cpu.local(model_.kexec, std::string(arch_.RelocationEntry()));
  cpu.set_code_region(Region::kKexecControl);
  co_await cpu.overwrite(Region::kOldKernelText, model_.kexec);
  co_await cpu.overwrite(Region::kOldPageTables, model_.kexec);
  co_await cpu.overwrite(Region::kOldKernelData, model_.kexec);
  co_await arch_.KexecJump(cpu, model_.jump);
}

Task<> KexecArch::KexecJump(Cpu& cpu, Label l) {
  co_await cpu.handover({}, l);
}

}  // namespace crashdiff::common
