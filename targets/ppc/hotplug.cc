// CPU hotplug on powernv (DOMAIN §2.1): kernel/cpu.c cpu_down via stop_machine (take_cpu_down ->
// __cpu_disable: set_cpu_online(false), remove from sibling masks, migrate interrupts), the dying CPU's way from
// the stopper back through the idle loop into cpu_die (pnv_smp_cpu_kill_self), generic_cpu_die's wait for
// CPU_DEAD; cpu_up via smp_generic_kick_cpu (cpu_state = CPU_UP_PREPARE + reschedule IPI).
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

Task<> PpcKernel::CpuDown(Cpu& cpu, uint32_t target) {
  if (target == cpu.id()) co_return;
  if (!(co_await cpu.read(s_.online_mask, "HD1") & CpuBit(target))) co_return;
  co_await cpu.write(*s_.cpu[target].stop_request, 1, "HD1");  // stop_machine(take_cpu_down, target)
  Var& state = *s_.cpu[target].cpu_state;
  const bool died = co_await cpu.wait_until([&state] { return state.value == kCpuDead; }, kCpuDieWaitNs, "HD2");
  if (!died) m_.Log(cpu.id(), "CPU" + std::to_string(target) + " didn't die...");
}

// On the dying CPU, from the stopper (multi_cpu_stop) to the idle loop. The online bit is cleared long before
// the CPU reaches the offline loop, and interrupts are enabled again in between (until E1).
Task<> PpcKernel::TakeCpuDown(Cpu& cpu) {
  co_await SoftIrqDisable(cpu, "D1");                 // MULTI_STOP_DISABLE_IRQ: local_irq_disable()
  co_await cpu.irq_disable("D1b");                    // ... then hard_irq_disable()
  co_await SetOnline(cpu, cpu.id(), false, "D2");     // __cpu_disable: set_cpu_online(cpu, false)
  co_await cpu.write(*pc(cpu).in_siblings, 0, "D3");  // remove_cpu_from_masks
  co_await cpu.local("D4", XiveEnabled() ? "xive_smp_disable_cpu" : "xics_migrate_irqs_away");
  // smpcfd_dying_cpu (a dying-state callback of take_cpu_down): flush_smp_call_function_queue runs what was
  // queued before the online bit went. Only the v4.14 smp_send_stop queues anything in these models.
  if (CallFunctionIpiUsed()) co_await FlushCallFunctionQueue(cpu, "D4");
  co_await SoftIrqRestore(cpu, "D5");       // multi_cpu_stop: local_irq_restore
  co_await cpu.read(s_.online_mask, "D6");  // do_idle: cpu_is_offline()
  co_await cpu.local("D7", "cpuhp_report_idle_dead; arch_cpu_idle_dead -> cpu_die");
}

Task<> PpcKernel::CpuUp(Cpu& cpu, uint32_t target) {
  if (m_.never_started(target)) {
    // opal_start_cpu of a never-started thread is not modelled: the kernel model cannot run on it.
    m_.Log(cpu.id(), "crashdiff: starting a never-started CPU is not modelled");
    co_return;
  }
  if (co_await cpu.read(*s_.cpu[target].cpu_state, "HU1") != kCpuDead) co_return;
  co_await cpu.write(*s_.cpu[target].cpu_state, kCpuUpPrepare, "HU1");  // generic_set_cpu_up
  co_await cpu.write_barrier("HU1");                                    // smp_wmb
  co_await MessagePass(cpu, target, Msg::kReschedule, "HU2");           // smp_send_reschedule
  Var& online = s_.online_mask;
  const int64_t bit = CpuBit(target);
  const bool up = co_await cpu.wait_until([&online, bit] { return (online.value & bit) != 0; }, kCallinWaitNs, "HU3");
  if (!up) m_.Log(cpu.id(), "Processor " + std::to_string(target) + " is stuck.");
}

}  // namespace crashdiff::ppc
