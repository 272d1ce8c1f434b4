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
  // Re-enable decrementer wakeups: pnv_program_cpu_hotplug_lpcr(LPCR | PECE1), the register and (deepest state
  // losing full context) the stop-api image.
  co_await cpu.mtspr_lpcr(cpu.lpcr() | kLpcrPece1, LpcrViaStopApi(), "H0",
                          "pnv_program_cpu_hotplug_lpcr: LPCR |= PECE1 (decrementer wakeups back)");
}

// The offline loop clears LPCR[PECE1] so that the decrementer, which nothing reprograms on an offline CPU, does not
// end its stops; PECEDH / PECE0 (and HVEE on POWER9) stay set so IPIs get in. pnv_program_cpu_hotplug_lpcr writes the
// register and, when the deepest idle state loses full context, the same value through the stop-api
// (opal_slw_set_reg), which the SLW engine restores on a state-losing wake ("powerpc/powernv: Clear PECE1 in LPCR via
// stop-api only on Hotplug" and "... only for deep state offline"; commit ids not verified, docs/FIDELITY-ppc.md 16).
Task<> PpcKernel::ClearPece1(Cpu& cpu) {
  co_await cpu.mtspr_lpcr(cpu.lpcr() & ~kLpcrPece1, LpcrViaStopApi(), "E4",
                          "pnv_program_cpu_hotplug_lpcr: LPCR &= ~PECE1 (no decrementer wakeups)");
}

// E2, idle_task_exit. With Machine.offline_dec_ns the same step also arms the decrementer the CPU keeps: the tick
// the clockevent code last programmed before the CPU left the scheduler (tick_nohz does not stop an offline CPU's
// tick: can_stop_idle_tick), which nothing writes afterwards. That write happened earlier, in timer code; folding it
// into this step adds no scheduling point, so a scenario keeps its step numbers whatever the field says. With the
// online tick modelled (Machine.tick_ns) the DEC then holds a period the tick programmed: offline_dec_ns still says
// what the CPU keeps, 0 = not expiring within the run.
Task<> PpcKernel::IdleTaskExit(Cpu& cpu) {
  const uint64_t ns = m_.config().offline_dec_ns();
  if (ns == 0 && m_.config().tick_ns() != 0) {
    co_await cpu.mtspr_dec(kForever, "E2", "idle_task_exit; DEC keeps no tick within the run (offline_dec_ns 0)");
  } else if (ns == 0) {
    co_await cpu.local("E2", "idle_task_exit");
  } else {
    co_await cpu.mtspr_dec(ns, "E2", "idle_task_exit; DEC keeps the last tick decrementer_set_next_event programmed");
  }
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
  co_await IdleTaskExit(cpu);
  co_await cpu.write(*p.cpu_state, kCpuDead, "E3");  // generic_set_cpu_dead
  co_await cpu.write_barrier("E3");                  // smp_wmb
  co_await ClearPece1(cpu);
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
  co_await IdleTaskExit(cpu);
  co_await cpu.write(*p.cpu_state, kCpuDead, "E3");                             // generic_set_cpu_dead
  co_await cpu.write_barrier("E3");                                             // smp_wmb
  co_await cpu.irq_disable("E1");                                               // hard_irq_disable
  if (co_await cpu.read(*p.cpu_state, "H0") == kCpuUpPrepare) co_return false;  // generic_check_cpu_restart
  if (p.irq_happened & kIrqHappenedEe) co_await ControllerFlush(cpu, "E5");     // pnv_flush_interrupts
  co_await cpu.local("E5", "irq_happened = PACA_IRQ_HARD_DIS");
  p.irq_happened = 0;
  co_await ClearPece1(cpu);
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

// pnv_cpu_offline(): deepest stop (POWER9) or winkle/sleep/nap (POWER8). What ends it is the LPCR's PECE bits at
// the time (the offline loop cleared PECE1); reset, MCE and HMI always wake. A state-losing wake comes in through
// 0x100 with the LPCR the SLW engine restored from the stop-api image, and the kernel's wake path may write back a
// copy it saved before the stop, before returning to the offline loop (so before its kdump check):
//   POWER9, idle_book3s.S (v4.14 to v5.1): save_sprs_to_stack keeps LPCR in _LPCR(r1), and
//     power9_restore_additional_sprs writes it back on a deep-stop wake;
//   POWER9, idle.c power9_idle_stop since 10d91611f426 (v5.2): sprs.lpcr, written back with the per-thread SPRs
//     after the per-core ones and the timebase resync;
//   POWER8, idle_book3s.S: winkle saves no LPCR (the SLW image is all there is); idle.c power7_idle_insn since
//     10d91611f426 saves it and writes it back after a full winkle.
// Without a usable idle state: poll cpu_state at low SMT priority with interrupts hard-disabled until asked to come
// online, and return SRR1 = 0.
Task<Wake> PpcKernel::PnvCpuOffline(Cpu& cpu) {
  if (idle_.kind != OfflineIdleKind::kOneBit) co_return co_await PnvCpuOfflineByState(cpu);  // idle_stop.cc
  if (!fw().idle_state_usable()) {
    Var& state = *pc(cpu).cpu_state;
    co_await cpu.wait_until([&state] { return state.value == kCpuUpPrepare; }, kForever, "L2");
    co_return Wake{Source::kSpurious, 0};
  }
  co_await cpu.local("L2", "run-latch off");
  const bool loses = fw().stop_loses_state();
  // The wake path's own LPCR write-back, from the copy taken before the stop (a stack slot: no step of its own).
  std::optional<uint64_t> saved;
  std::string what;
  if (loses && platform() != pb::POWER8_XICS) {
    saved = cpu.lpcr();
    what = v_.idle_restore == IdleRestore::k10d91611
               ? "power9_idle_stop: HV state lost, per-thread SPRs: mtspr(LPCR, sprs.lpcr)"
               : "power9_restore_additional_sprs: mtspr(LPCR, _LPCR saved by save_sprs_to_stack)";
  } else if (loses && v_.idle_restore == IdleRestore::k10d91611) {
    saved = cpu.lpcr();
    what = "power7_idle_insn: full winkle, per-thread SPRs: mtspr(LPCR, sprs.lpcr)";
  }
  if (kvm_) co_await KvmIdleEnter(cpu);  // power7_idle_insn / power9_offline_stop: hwthread_state = IN_IDLE (kvm.cc)
  const Wake wake = co_await cpu.enter_stop_lpcr(loses, "L2", saved, what);
  if (kvm_) co_return co_await KvmIdleWake(cpu, wake, /*through_vector=*/true);  // POWER8: may run guests first
  co_return wake;
}

// Back online: start_secondary_resume -> start_secondary: sibling masks, online bit, cpu_state, interrupts on.
Task<> PpcKernel::StartSecondary(Cpu& cpu) {
  co_await StartSecondaryTick(cpu);  // tick.cc: with Machine.tick_ns only
  co_await cpu.write(*pc(cpu).in_siblings, 1, "SU1");
  co_await SetOnline(cpu, cpu.id(), true, "SU2");
  co_await cpu.write(*pc(cpu).cpu_state, kCpuOnline, "SU3");
  cpu.set_location(Location::kRunOld);
  co_await SoftIrqRestore(cpu, "SU4");
}

}  // namespace crashdiff::ppc
