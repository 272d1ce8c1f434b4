// The powernv offline loop (DOMAIN §3.1-§3.3): arch/powerpc/platforms/powernv/smp.c pnv_smp_cpu_kill_self, its
// versions side by side (KillSelf): v4.14 without a kdump check; the v1 patch with the check before the clear [S];
// mainline 4145f358644b with the check after the clear and the WAKERESET branch; 7d6475051fb3 (2019, the v6.x
// form) with the new entry (soft-disabled, restart check and lazy-interrupt cleanup before the loop). And
// platforms/powernv/idle.c pnv_cpu_offline (§2.2, with the busy-poll fallback when no idle state is usable, §3.7).
// Leaving the loop: start_secondary (§2.1).
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

Task<> PpcKernel::OfflineLoop(Cpu& cpu) {
  PerCpu& p = pc(cpu);
  if (!co_await OfflineEntry(cpu)) co_return;  // restarted before the loop (7d6475051fb3): no LPCR to restore

  // The split and debug steps are L7/L8 in every model (DOMAIN §3.1 numbers them L6/L7 in the pre-fix loop, §3.2):
  // one label, one moment across the family (sim/trigger_points.h).
  for (;;) {
    if (co_await cpu.read(*p.cpu_state, "H0") == kCpuUpPrepare) break;  // generic_check_cpu_restart
    co_await cpu.write(*p.host_ipi, 0, "L1");                           // kvmppc_set_host_ipi(cpu, 0)
    const Wake wake = co_await PnvCpuOffline(cpu);
    if (p.irq_happened & ~(kIrqHappenedDec | kIrqHappenedHmi)) {
      m_.Log(cpu.id(), "WARNING: pnv_smp_cpu_kill_self: lazy_irq_pending()");
    }
    co_await cpu.local("L3", "WARN_ON(lazy_irq_pending())");
    co_await OfflineWake(cpu, wake);
    // Core split/unsplit (P8 micro-threading) is never requested in these scenarios.
    co_await cpu.local("L7", "cpu_core_split_required()");
    if (wake.srr1 != 0 && co_await cpu.read(*p.cpu_state, "L8") != kCpuUpPrepare) {
      co_await cpu.local("L8", "DBG: Unexpected exit while offline");
    }
  }
  co_await cpu.local("H0", "restore LPCR PECE1");
}

Task<bool> PpcKernel::OfflineEntry(Cpu& cpu) {
  switch (v_.kill_self) {
    case KillSelf::kV4_14:
    case KillSelf::kV1Patch:
    case KillSelf::k4145f358: break;
    case KillSelf::k7d647505: return OfflineEntry7d647505(cpu);
  }
  return OfflineEntryV4_14(cpu);
}

// Before 7d6475051fb3 (v4.14, the v1 patch, 4145f358644b): entered with interrupts on; hard-disable first and warn
// if anything was lazily pending, then idle_task_exit, CPU_DEAD, LPCR.
Task<bool> PpcKernel::OfflineEntryV4_14(Cpu& cpu) {
  PerCpu& p = pc(cpu);
  if (p.soft_disabled) m_.Log(cpu.id(), "WARNING: pnv_smp_cpu_kill_self: irqs_disabled()");
  co_await cpu.irq_disable("E1");  // hard_irq_disable
  if (p.irq_happened & ~(kIrqHappenedDec | kIrqHappenedHmi)) {
    m_.Log(cpu.id(), "WARNING: pnv_smp_cpu_kill_self: lazy_irq_pending()");
  }
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.local("E2", "idle_task_exit");
  co_await cpu.write(*p.cpu_state, kCpuDead, "E3");  // generic_set_cpu_dead
  co_await cpu.write_barrier("E3");                  // smp_wmb
  co_await cpu.local("E4", "LPCR &= ~PECE1 (no decrementer wakeups)");
  co_return true;
}

// 7d6475051fb3 (2019, v6.x form): since e78a7614f3876 the idle loop calls us soft-disabled (E0: do_idle's
// local_irq_disable, taken here at the loop's entry so that a CPU that starts offline has it too; D6/D7 before it
// touch nothing an interrupt handler reads). An interrupt between E0 and E1 is only recorded in irq_happened.
// idle_task_exit and CPU_DEAD come first, then hard_irq_disable and an early restart check; then what was recorded
// is dropped: a pending external interrupt is flushed from the controller (E5, pnv_flush_interrupts), a recorded
// doorbell is simply forgotten (irq_happened = PACA_IRQ_HARD_DIS), before the first stop and with no kdump check.
Task<bool> PpcKernel::OfflineEntry7d647505(Cpu& cpu) {
  PerCpu& p = pc(cpu);
  co_await SoftIrqDisable(cpu, "E0");
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.local("E2", "idle_task_exit");
  co_await cpu.write(*p.cpu_state, kCpuDead, "E3");                             // generic_set_cpu_dead
  co_await cpu.write_barrier("E3");                                             // smp_wmb
  co_await cpu.irq_disable("E1");                                               // hard_irq_disable
  if (co_await cpu.read(*p.cpu_state, "H0") == kCpuUpPrepare) co_return false;  // generic_check_cpu_restart
  if (p.irq_happened & kIrqHappenedEe) co_await ControllerFlush(cpu, "E5");     // pnv_flush_interrupts
  co_await cpu.local("E5", "irq_happened = PACA_IRQ_HARD_DIS");
  p.irq_happened = 0;
  co_await cpu.local("E4", "LPCR &= ~PECE1 (no decrementer wakeups)");
  co_return true;
}

Task<> PpcKernel::OfflineWake(Cpu& cpu, Wake wake) {
  switch (v_.kill_self) {
    case KillSelf::kV4_14: return OfflineWakeV4_14(cpu, wake);
    case KillSelf::kV1Patch: return OfflineWakeV1Patch(cpu, wake);
    case KillSelf::k4145f358:
    case KillSelf::k7d647505: return OfflineWake4145f358(cpu, wake);  // the loop's body is unchanged by 7d6475051fb3
  }
  return OfflineWakeV4_14(cpu, wake);
}

// v4.14: clear the wake, a full barrier, back to sleep. Nothing looks for a kdump, and a reset wake clears nothing.
Task<> PpcKernel::OfflineWakeV4_14(Cpu& cpu, Wake wake) {
  co_await ClearWake(cpu, wake, /*replay_reset=*/false);
  co_await cpu.barrier("L5");  // smp_mb
}

// The v1 patch of the Dec 2017 thread [S]: read kdump_in_progress() right after the wake, before anything is
// cleared and with no barrier, and enter crash_ipi_callback(NULL); then clear and go back to sleep.
Task<> PpcKernel::OfflineWakeV1Patch(Cpu& cpu, Wake wake) {
  if (co_await cpu.read(s_.crashing_cpu, "L2a") >= 0) co_await CrashIpiCallback(cpu, Regs{false, 0});
  co_await ClearWake(cpu, wake, /*replay_reset=*/true);
  co_await cpu.barrier("L5");  // smp_mb
}

// Mainline 4145f358644b: clear the wake, a full barrier, and only then check kdump_in_progress(): a crash wake sent
// after the read is still latched, and one sent before it is seen by the read. The receiver gets saved registers.
Task<> PpcKernel::OfflineWake4145f358(Cpu& cpu, Wake wake) {
  co_await ClearWake(cpu, wake, /*replay_reset=*/true);
  co_await cpu.barrier("L5");  // smp_mb
  if (co_await cpu.read(s_.crashing_cpu, "L6") >= 0) {
    co_await cpu.local("L6", "ppc_save_regs into a stack pt_regs");
    co_await CrashIpiCallback(cpu, Regs{true, 0});
  }
}

// pnv_cpu_offline(): deepest stop (POWER9) or winkle/sleep/nap (POWER8) with PECE2 (external, doorbell) and
// HVEE (POWER9) enabled; reset, MCE and HMI always wake. Without a usable idle state: poll cpu_state at low SMT
// priority with interrupts hard-disabled until asked to come online, and return SRR1 = 0.
Task<Wake> PpcKernel::PnvCpuOffline(Cpu& cpu) {
  if (!fw().idle_state_usable()) {
    Var& state = *pc(cpu).cpu_state;
    co_await cpu.wait_until([&state] { return state.value == kCpuUpPrepare; }, kForever, "L2");
    co_return Wake{Source::kSpurious, 0};
  }
  co_await cpu.local("L2", "run-latch off");
  const SourceMask wake_enable = Bit(Source::kHdoorbell) | Bit(Source::kExternal) | Bit(Source::kHvi);
  const Wake wake = co_await cpu.enter_stop(wake_enable, fw().stop_loses_state(), "L2");
  co_return wake;
}

// Back online: start_secondary_resume -> start_secondary: sibling masks, online bit, cpu_state, interrupts on.
Task<> PpcKernel::StartSecondary(Cpu& cpu) {
  co_await cpu.write(*pc(cpu).in_siblings, 1, "SU1");
  co_await SetOnline(cpu, cpu.id(), true, "SU2");
  co_await cpu.write(*pc(cpu).cpu_state, kCpuOnline, "SU3");
  cpu.set_location(Location::kRunOld);
  co_await SoftIrqRestore(cpu, "SU4");
}

}  // namespace crashdiff::ppc
