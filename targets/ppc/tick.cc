// The decrementer as the timer code drives it on a powernv CPU (Machine.tick_ns, docs/FIDELITY-ppc.md rows TI, TI0,
// TNX, SU1, IRQ-MASKED). With tick_ns = 0 the online tick is not modelled: timer_interrupt leaves the DEC disarmed.
// With it, tickless idle too (CONFIG_NO_HZ_IDLE, which ppc64_defconfig and distribution kernels build): an idle CPU
// stops its tick, a task starting on it restarts the tick.
//
// Read: torvalds/linux arch/powerpc/kernel/time.c timer_interrupt, decrementer_set_next_event (v4.14-era blob, and
// the v5.12+ DEFINE_INTERRUPT_HANDLER_ASYNC blob with the 2022 set_dec placement of 0faf20a1ad16 and its revert),
// kernel/time/tick-common.c tick_handle_periodic / tick_setup_periodic, kernel/time/tick-sched.c
// tick_nohz_irq_exit / tick_nohz_idle_stop_tick / tick_nohz_idle_exit, kernel/sched/idle.c do_idle,
// arch/powerpc/kernel/smp.c start_secondary, arch/powerpc/kernel/exceptions-64s.S masked_interrupt (the
// MASKED_INTERRUPT macro of v4.14-v5.3 and the `.macro MASKED_INTERRUPT hsrr` of v5.4-v6.x), irq.c
// __check_irq_replay (v4.14) / replay_soft_interrupts (v5.x+).
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

// The clockevent's largest delta, what timer_interrupt writes first and what a stopped tick leaves: 4.19 s on
// POWER8, about 2.2 years on POWER9 with its 56-bit large decrementer (time.c set_decrementer_max). The masked
// decrementer's 0x7fffffff (MaskedDecrementer) is a constant in both, 4.19 s.
uint64_t PpcKernel::DecrementerMaxNs() const {
  return platform() == pb::POWER8_XICS ? kDecrementerMaxNs : kLargeDecrementerMaxNs;
}

// The decrementer has only a one-shot mode, so tick_handle_periodic emulates the period: it programs the previous
// expiry plus one period, and again while that is already past (clockevents_program_event fails with -ETIME). Every
// CPU's tick starts from the same tick_next_period (tick_setup_periodic; skew_tick is off by default), so the ticks
// fall on one grid, k * tick_ns from the start of the run: the next expiry is the first grid point after now. The
// delta is taken when the DEC-writing step is issued and the write executes a few steps later (the kernel too reads
// the timebase before set_dec), so an expiry lands just after its grid point; the grid itself does not drift.
uint64_t PpcKernel::NextTickNs() const {
  const uint64_t tick = m_.config().tick_ns();
  return tick - m_.now() % tick;
}

// State before step 0, not a step: a CPU online when the run starts has been taking its tick since boot, so its DEC
// holds the next period.
void PpcKernel::ArmBootTick(Cpu& cpu) {
  if (m_.config().tick_ns() != 0) m_.ArmDec(cpu, m_.config().tick_ns());
}

// timer_interrupt(). Both eras test cpu_online(smp_processor_id()) first (a read of cpu_online_mask): a CPU that is
// not online ("some implementations of hotplug will get timer interrupts while offline") sets DEC to decrementer_max
// and returns. Online it sets DEC to decrementer_max, then, the period being due, calls the clockevent handler,
// which programs the next period through decrementer_set_next_event (set_dec). The two DEC writes are private to the
// CPU with nothing of the model between them: one step, whose value is the second.
Task<> PpcKernel::TimerInterrupt(Cpu& cpu) {
  if (m_.config().tick_ns() == 0) {
    // [I] The online tick is not modelled: the DEC is left disarmed (no expiry within the run). So is the online
    // test, whose only effect is on what the DEC is left with.
    co_await cpu.mtspr_dec(kForever, "TI", "timer_interrupt: set_dec(DECREMENTER_MAX), tick, next event programmed");
    co_return;
  }
  if (!co_await s_.online_mask.Test(cpu, cpu.id(), "TI")) {
    co_await cpu.mtspr_dec(DecrementerMaxNs(), "TI", "timer_interrupt: !cpu_online: set_dec(decrementer_max), ignored");
    co_return;
  }
  if (pc(cpu).in_idle) {
    // The interrupt came to the idle loop: on its way out (irq_exit -> tick_nohz_irq_exit) the tick is stopped, and
    // with no timer of the model due, the clockevent is left at its largest delta (decrementer_max: on POWER9 it does
    // not
    // expire within any run).
    co_await cpu.mtspr_dec(DecrementerMaxNs(), "TI",
                           "timer_interrupt: set_dec(decrementer_max); idle: tick_nohz_irq_exit stops the tick");
    co_return;
  }
  co_await cpu.mtspr_dec(NextTickNs(), "TI",
                         "timer_interrupt: set_dec(decrementer_max); tick_handle_periodic: "
                         "decrementer_set_next_event(next period)");
}

// The idle loop runs a task again (a stopper, a request, a panic): tick_nohz_idle_exit restarts the tick, the
// sched_timer forwarded to the first period after now (on the jiffies grid, as the periodic tick's). Only with the
// tick modelled; the CPU is no longer idle either way. [I] The stop on the way back into idle is not a step: the
// next tick that finds the CPU idle stops it (TimerInterrupt), one period later than tick_nohz_idle_stop_tick would.
Task<> PpcKernel::IdleExit(Cpu& cpu, Label l) {
  pc(cpu).in_idle = false;
  if (m_.config().tick_ns() == 0) co_return;
  co_await cpu.mtspr_dec(NextTickNs(), l, "tick_nohz_idle_exit: tick restarted, next period");
}

// masked_interrupt (exceptions-64s.S) for a decrementer taken while soft-masked: irq_happened |= PACA_IRQ_DEC and
// DEC = 0x7fffffff so it stops firing; unlike an external interrupt (PACA_IRQ_MUST_HARD_MASK) it returns with
// MSR[EE] still on: the CPU goes on taking interrupts, the decrementer again once 0x7fffffff has run out. Replayed
// by local_irq_restore (SoftIrqRestore) as timer_interrupt.
Task<> PpcKernel::MaskedDecrementer(Cpu& cpu) {
  co_await cpu.mtspr_dec(kDecrementerMaxNs, "IRQ-MASKED",
                         "decrementer taken while soft-masked: DEC = 0x7fffffff, recorded, MSR[EE] left on");
  pc(cpu).irq_happened |= kIrqHappenedDec;
}

// start_secondary: set_dec(tb_ticks_per_jiffy), then secondary_cpu_time_init registers the CPU's clockevent, which
// (tick_setup_periodic) programs the next period. Both before add_cpu_to_masks (SU1): one private step, only with
// the tick modelled.
Task<> PpcKernel::StartSecondaryTick(Cpu& cpu) {
  if (m_.config().tick_ns() == 0) co_return;
  co_await cpu.mtspr_dec(NextTickNs(), "SU1",
                         "start_secondary: set_dec(tb_ticks_per_jiffy); secondary_cpu_time_init: next period");
}

}  // namespace crashdiff::ppc
