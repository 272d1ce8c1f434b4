// CPU hotplug on powernv (DOMAIN §2.1): kernel/cpu.c cpu_down and cpu_up, each under cpu_add_remove_lock
// (cpu_maps_update_begin / done) and refused while hotplug is disabled; cpu_down via stop_machine
// (targets/common/stop_machine.h: every online CPU's stopper meets, woken by a reschedule IPI; on the target,
// take_cpu_down -> __cpu_disable: set_cpu_online(false), remove from sibling masks, migrate interrupts), the dying
// CPU's way from the stopper back through the idle loop into cpu_die (pnv_smp_cpu_kill_self), generic_cpu_die's
// wait for CPU_DEAD; cpu_up via pnv_smp_kick_cpu: opal_start_cpu for a thread firmware still holds, then
// smp_generic_kick_cpu (cpu_start for a thread never started; else cpu_state = CPU_UP_PREPARE + reschedule IPI).
#include "targets/common/sched.h"
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

// cpu_down(): under cpu_add_remove_lock, so one hotplug operation (or a kexec's cpu_hotplug_disable) at a time;
// -EBUSY while hotplug is disabled; the lock is held until the target is dead or the wait gives up. The request is
// a task: asleep on the lock behind a cpu_down of its own CPU, it starts over on another CPU (it changed nothing).
Task<> PpcKernel::CpuDown(Cpu& cpu, uint32_t target) {
  if (target == cpu.id()) co_return;
  co_await cpu_maps_.Lock(cpu, "HD0", [this, target](Cpu& to) { return CpuDown(to, target); });
  const bool disabled = co_await cpu_maps_.Disabled(cpu, "HD0");
  if (!disabled && co_await s_.online_mask.Test(cpu, target, "HD1")) {
    // takedown_cpu(): stop_machine_cpuslocked(take_cpu_down, cpumask_of(target)). A remote stopper's
    // wake_up_process() is a reschedule IPI (smp_send_reschedule).
    co_await stop_machine_.Run(cpu, target, [this](Cpu& requester, uint32_t c) -> Task<> {
      co_await MessagePass(requester, c, Msg::kReschedule, "SM0");
    });
    Var& state = *s_.cpu[target].cpu_state;
    const bool died = co_await cpu.wait_until([&state] { return state.value == kCpuDead; }, kCpuDieWaitNs, "HD2");
    if (!died) m_.Log(cpu.id(), "CPU" + std::to_string(target) + " didn't die...");
  }
  co_await cpu_maps_.Unlock(cpu, "HD4");
}

// num_online_cpus() as the modelled kernels before v5.6 compute it: cpumask_weight(cpu_online_mask).
common::StopMachine::ReadCount PpcKernel::StopMachineOnlineCount() {
  return [this](Cpu& cpu, Label l) -> Task<int64_t> { co_return (co_await s_.online_mask.Read(cpu, l)).count(); };
}

// stop_cpus()'s for_each_cpu(cpu_online_mask): one load per word.
common::StopMachine::ReadCpus PpcKernel::StopMachineOnlineCpus() {
  return [this](Cpu& cpu, Label l) -> Task<std::vector<uint32_t>> {
    const CpuSet online = co_await s_.online_mask.Read(cpu, l);
    std::vector<uint32_t> cpus;
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      if (online.test(c)) cpus.push_back(c);
    }
    co_return cpus;
  };
}

// The stopper's multi_cpu_stop() on this CPU, run where the reschedule IPI returns: out of the idle loop (the tick
// restarts) or preempting the task that was running. On the target it runs take_cpu_down; the CPU then returns to
// its idle loop, which finds it offline (OnlineIdle).
Task<> PpcKernel::CpuStopper(Cpu& cpu) {
  const bool from_idle = pc(cpu).in_idle;
  if (from_idle) co_await IdleExit(cpu, "TNX");
  const bool dying = co_await stop_machine_.Rendezvous(cpu);
  if (dying) co_await TakeCpuDown(cpu);
  co_await stop_machine_.Leave(cpu);
  if (from_idle && !dying) pc(cpu).in_idle = true;
}

// take_cpu_down() on the dying CPU, interrupts off (MULTI_STOP_RUN): the online bit goes long before the CPU reaches
// the offline loop, and interrupts are enabled again in between (the stopper's EXIT, until E1).
Task<> PpcKernel::TakeCpuDown(Cpu& cpu) {
  co_await cpu.local("D1", "take_cpu_down: __cpu_disable -> pnv_smp_cpu_disable");
  co_await SetOnline(cpu, cpu.id(), false, "D2");     // set_cpu_online(cpu, false)
  co_await cpu.write(*pc(cpu).in_siblings, 0, "D3");  // remove_cpu_from_masks
  co_await cpu.local("D4", XiveEnabled() ? "xive_smp_disable_cpu" : "xics_migrate_irqs_away");
  // smpcfd_dying_cpu (a dying-state callback of take_cpu_down): flush_smp_call_function_queue runs what was
  // queued before the online bit went. Only the v4.14 smp_send_stop queues anything in these models.
  if (CallFunctionIpiUsed()) co_await FlushCallFunctionQueue(cpu, "D4");
  // A task asleep here on cpu_add_remove_lock behind this cpu_down (a kexec's cpu_hotplug_disable, a hotplug
  // request) is woken on another CPU (targets/common/sched.h); this one returns to its idle loop to die.
  co_await common::WakeSleepingTaskElsewhere(
      m_, cpu, [this](uint32_t c) { return CpuOnline(c); }, "D4");
}

// cpu_up(target): under cpu_add_remove_lock (-EBUSY while hotplug is disabled), held until the target is online or
// the callin wait gives up.
Task<bool> PpcKernel::CpuUp(Cpu& cpu, uint32_t target, Cpu::Resume elsewhere) {
  co_await cpu_maps_.Lock(cpu, "HU0", std::move(elsewhere));
  bool up = false;
  if (!co_await cpu_maps_.Disabled(cpu, "HU0")) up = co_await CpuUpLocked(cpu, target);
  co_await cpu_maps_.Unlock(cpu, "HU4");
  co_return up;
}

// A cpu_up request's task (a write to the CPU's sysfs `online`): asleep on the lock behind a cpu_down of its own
// CPU, it starts over on another CPU (it has changed nothing yet).
Task<> PpcKernel::CpuUpRequest(Cpu& cpu, uint32_t target) {
  co_await CpuUp(cpu, target, [this, target](Cpu& to) { return CpuUpRequest(to, target); });
}

// _cpu_up -> __cpu_up (arch/powerpc/kernel/smp.c): HU1 is the requester's test that the target is offline (the
// model reads its cpu_state: CPU_DEAD, or never written for a thread Linux never started), then smp_ops->kick_cpu =
// pnv_smp_kick_cpu, then the callin wait (5 s at runtime, "Processor %u is stuck.").
Task<bool> PpcKernel::CpuUpLocked(Cpu& cpu, uint32_t target) {
  const int64_t state = co_await cpu.read(*s_.cpu[target].cpu_state, "HU1");
  if (state != kCpuDead && state != kCpuStateUnset) co_return false;
  if (!co_await PnvSmpKickCpu(cpu, target, state)) {
    m_.Log(cpu.id(), "smp: failed starting cpu " + std::to_string(target) + " (rc -19)");
    co_return false;
  }
  const CpuMask& online = s_.online_mask;
  const bool up = co_await cpu.wait_until([&online, target] { return online.Has(target); }, kCallinWaitNs, "HU3");
  if (!up) m_.Log(cpu.id(), "Processor " + std::to_string(target) + " is stuck.");
  co_return up;
}

// pnv_smp_kick_cpu() (arch/powerpc/platforms/powernv/smp.c; torvalds/linux read at 02b5a6031ba7, the OPALv2/v3
// form, and its later form with paca_ptrs[] (v4.17 on; v4.14 indexes paca[]) and FW_FEATURE_OPAL: the same tests in
// every modelled era). A thread Linux started before (paca->cpu_start set) is kicked through
// smp_generic_kick_cpu at once; the requester is the only writer of cpu_start (under cpu_add_remove_lock), so for a
// dead thread the test is folded into HU1 as before. Otherwise opal_query_cpu_status asks skiboot (its record, not
// where the thread is): OPAL_THREAD_STARTED ("probably coming from kexec and spinning") goes to the kick too;
// OPAL_THREAD_INACTIVE gets opal_start_cpu(pcpu, generic_secondary_smp_init), then the kick releases its cpu_start
// spin.
Task<bool> PpcKernel::PnvSmpKickCpu(Cpu& cpu, uint32_t target, int64_t state) {
  Cpu& t = m_.cpu(target);
  const bool never_kicked = state == kCpuStateUnset && co_await cpu.read(*s_.cpu[target].cpu_start, "HU1") == 0;
  if (never_kicked) {
    const int64_t status = co_await cpu.hw_op("HU1", "opal_query_cpu_status cpu" + std::to_string(target), [&t] {
      return t.held_by_firmware() ? kOpalThreadInactive : kOpalThreadStarted;
    });
    if (status == kOpalThreadInactive) {
      // skiboot opal_start_cpu_thread (core/cpu.c): only a thread it holds (cpu_is_available); the start job is
      // queued on it and runs when the thread is in skiboot's job loop (opal_start_thread_job: cpu_give_self_os,
      // then start_kernel_secondary). A thread a reset took out of firmware is still held for skiboot: the call
      // succeeds and the job waits.
      const int64_t rc = co_await cpu.hw_op("HU1", "opal_start_cpu cpu" + std::to_string(target), [&t] {
        if (!t.held_by_firmware()) return kOpalWrongState;
        t.QueueFirmwareStart();
        return kOpalSuccess;
      });
      if (rc != kOpalSuccess) {
        m_.Log(cpu.id(), "OPAL Error " + std::to_string(rc) + " starting CPU " + std::to_string(target));
        co_return false;
      }
    }
  }
  co_await SmpGenericKickCpu(cpu, target, never_kicked);
  co_return true;
}

// smp_generic_kick_cpu() (arch/powerpc/kernel/smp.c): a thread spinning in generic_secondary_common_init is
// released by setting its paca->cpu_start (then smp_mb); one Linux started before is soft-unplugged:
// generic_set_cpu_up (CPU_UP_PREPARE), smp_wmb, a reschedule IPI to its offline loop.
// never_kicked: cpu_start read 0 by PnvSmpKickCpu (the requester is its only writer: the read stands).
Task<> PpcKernel::SmpGenericKickCpu(Cpu& cpu, uint32_t target, bool never_kicked) {
  PerCpu& p = s_.cpu[target];
  if (never_kicked) {
    co_await cpu.write(*p.cpu_start, 1, "HU2");
    co_await cpu.barrier("HU2");  // smp_mb
    co_return;
  }
  co_await cpu.write(*p.cpu_state, kCpuUpPrepare, "HU1");      // generic_set_cpu_up
  co_await cpu.write_barrier("HU1");                           // smp_wmb
  co_await MessagePass(cpu, target, Msg::kReschedule, "HU2");  // smp_send_reschedule
}

// A thread Linux never started (smt-enabled=off at boot, or not bootable then): skiboot holds it in its job loop
// (cpu_state_active); an operator's reset or a machine check still takes it out into the OS's vectors, where it has
// no paca (FwReset::kResetAndMceToOsVector, LooseInVectors). The hold ends
// only when opal_start_cpu's job runs on it: skiboot's opal_start_thread_job clears its record (cpu_give_self_os)
// and jumps to the address the kernel gave with a fresh stack (Cpu::StartFromFirmware drops this frame; the thread
// runs FirmwareEntry -> GenericSecondarySmpInit).
// Source: open-power/skiboot@ecebf4fb3d9c core/cpu.c opal_start_cpu_thread, opal_start_thread_job, cpu_give_self_os.
Task<> PpcKernel::FirmwareHold(Cpu& cpu) {
  co_await cpu.enter_firmware(Location::kNeverStarted, "FW-HOLD", FwReset::kResetAndMceToOsVector);
}

// The start address opal_start_cpu got: generic_secondary_smp_init (arch/powerpc/kernel/head_64.S), entered in real
// mode with MSR[EE] = 0 (Cpu::StartFromFirmware masks everything); until its SET_PACA any interrupt finds no paca
// (N0). generic_secondary_common_init then spins at low priority on paca->cpu_start, and __secondary_start enters
// start_secondary soft-disabled (irq_happened = PACA_IRQ_HARD_DIS).
// Sources: torvalds/linux arch/powerpc/kernel/head_64.S generic_secondary_smp_init / generic_secondary_common_init /
// __secondary_start (v6.1).
Task<> PpcKernel::GenericSecondarySmpInit(Cpu& cpu) {
  cpu.set_location(Location::kTransit);
  co_await cpu.local("SS1", "generic_secondary_smp_init: find our paca, SET_PACA");
  pc(cpu).has_paca = true;
  // generic_secondary_common_init calls cur_cpu_spec->cpu_restore (__restore_cpu_power8 / __restore_cpu_power9):
  // the boot CPU setup's LPCR, wake enables included, ORed into what firmware left.
  co_await cpu.mtspr_lpcr(cpu.lpcr() | BootLpcr(), /*stop_api=*/false, "SS1r",
                          "cpu_restore (__restore_cpu_power8/9): LPCR |= PECEDH | PECE0-2 (| PECE_HVEE)");
  Var& start = *pc(cpu).cpu_start;
  co_await cpu.wait_until([&start] { return start.value != 0; }, kForever, "SS2");  // spin on paca->cpu_start
  co_await cpu.local("SS3", "__secondary_start: soft-disabled, start_secondary_prolog");
  pc(cpu).soft_disabled = true;
  co_await StartSecondary(cpu);
}

}  // namespace crashdiff::ppc
