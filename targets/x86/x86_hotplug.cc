// CPU hotplug requested by another CPU. Models torvalds/linux kernel/cpu.c cpu_down()/cpu_up() and
// arch/x86/kernel/smpboot.c: takedown via stop_machine (targets/common/stop_machine.h: every online CPU's stopper
// meets; take_cpu_down -> native_cpu_disable clears the online bit), then the dying CPU's idle task calls play_dead
// (O1..); native_cpu_die waits up to 10 s for the dead report ("CPU%u didn't die..."). Bring-up: do_boot_cpu() sends
// INIT then STARTUP (wakeup_secondary_cpu_via_init), the CPU runs start_secondary -> smp_callin (O0) -> set online, and
// the requester waits up to 10 s for it.
#include <string>

#include "targets/common/sched.h"
#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {

// A request (cpu_down here, cpu_up below) is a task: asleep on cpu_add_remove_lock behind a cpu_down of its own CPU,
// it starts over on another CPU (it changed nothing yet).
Task<> X86Kernel::CpuDown(Cpu& cpu, uint32_t target) {
  // The boot CPU is not hot-pluggable here; a CPU already offline (or never started) is left alone.
  if (target == m_.config().boot_cpu() || target == cpu.id() || m_.never_started(target)) co_return;
  co_await cpu_maps_.Lock(cpu, "HD0", [this, target](Cpu& to) { return CpuDown(to, target); });
  const bool disabled = co_await cpu_maps_.Disabled(cpu, "HD0");  // -EBUSY
  if (!disabled && co_await cpu.read(*online_[target], "HD1") == 1) co_await CpuDownLocked(cpu, target);
  co_await cpu_maps_.Unlock(cpu, "HD4");
}

Task<> X86Kernel::CpuDownLocked(Cpu& cpu, uint32_t target) {
  co_await cpu.write(*cpu_dead_[target], 0, "HD1");
  // Each stopper's wake_up_process() reaches its CPU as an IPI (the model's CALL_FUNCTION_VECTOR).
  co_await stop_machine_.Run(
      cpu, target,
      [this](uint32_t c) {
        if (apic_enabled_[c]) SendSystemVector(c, kCallFunctionVector);
      },
      "stop_machine: wake the stopper (CALL_FUNCTION_VECTOR)");
  Var& dead = *cpu_dead_[target];
  if (!co_await cpu.wait_until([&dead] { return dead.value == 1; }, 10 * kSec, "HD3")) {
    m_.Log(cpu.id(), "CPU " + std::to_string(target) + " didn't die...");
  }
}

// The stopper's multi_cpu_stop() on this CPU; on the CPU going down it runs take_cpu_down, and the idle task then
// plays dead (cpuhp_report_idle_dead): never returns there.
Task<> X86Kernel::CpuStopper(Cpu& cpu) {
  const bool dying = co_await stop_machine_.Rendezvous(cpu);
  if (dying) co_await TakeCpuDown(cpu);
  co_await stop_machine_.Leave(cpu);
  if (dying) co_await PlayDead(cpu);
}

// take_cpu_down() on the dying CPU, interrupts off (MULTI_STOP_RUN): native_cpu_disable() -> cpu_disable_common()
// leaves the online mask and migrates interrupts (fixup_irqs), then apic_soft_disable(): from here a fixed-vector IPI
// sent to this CPU is dropped (IRR bits already set stay). torvalds/linux arch/x86/kernel/smpboot.c
// native_cpu_disable(), v6.3-v6.6: 60dcaad5736f "x86/hotplug: Silence APIC and NMI when CPU is dead" put it there, and
// "x86/hotplug: Silence APIC only after all interrupts are migrated" (Aug 2020) after fixup_irqs. A task asleep on this
// CPU is woken elsewhere from now on (targets/common/sched.h).
Task<> X86Kernel::TakeCpuDown(Cpu& cpu) {
  co_await SetCpuOnline(cpu, false, "HD2");
  co_await cpu.local("HD2", "fixup_irqs: migrate interrupts away; apic_soft_disable");
  apic_enabled_[cpu.id()] = false;
  co_await common::WakeSleepingTaskElsewhere(
      m_, cpu, [this](uint32_t c) { return CpuOnline(c); }, "HD2");
}

Task<> X86Kernel::CpuUp(Cpu& cpu, uint32_t target) {
  if (target == cpu.id() || m_.never_started(target)) co_return;
  co_await cpu_maps_.Lock(cpu, "HU0", [this, target](Cpu& to) { return CpuUp(to, target); });
  const bool disabled = co_await cpu_maps_.Disabled(cpu, "HU0");  // -EBUSY
  if (!disabled && co_await cpu.read(*online_[target], "HU1") != 1) co_await CpuUpLocked(cpu, target);
  co_await cpu_maps_.Unlock(cpu, "HU4");
}

Task<> X86Kernel::CpuUpLocked(Cpu& cpu, uint32_t target) {
  co_await cpu.write(*sipi_[target], 0, "HU1");
  co_await cpu.ordered_hw_op("HU1", "send INIT", [this, target] { m_.cpu(target).hw().init = true; });
  const Cpu& t = m_.cpu(target);
  co_await cpu.wait_until([&t] { return !t.hw().init || t.finished(); }, 100 * kMs, "HU1");
  co_await cpu.write(*sipi_[target], 1, "HU2");  // STARTUP IPI
  Var& online = *online_[target];
  if (!co_await cpu.wait_until([&online] { return online.value == 1; }, 10 * kSec, "HU3")) {
    m_.Log(cpu.id(), "CPU" + std::to_string(target) + " failed to report alive state");
  }
}

// start_secondary(): a fresh CPU state from the trampoline: smp_callin (O0), online, idle with interrupts on.
Task<> X86Kernel::StartSecondary(Cpu& cpu) {
  const uint32_t c = cpu.id();
  in_wait_for_sipi_[c] = false;
  cpu.set_held_sources(0);
  cpu.set_code_region(Region::kOldKernelText);
  cpu.set_location(Location::kRunOld);
  co_await cpu.write(*sipi_[c], 0, "HU2");
  co_await SmpCallin(cpu);
  co_await cpu.write(*cpu_dead_[c], 0, "HU2");
  co_await SetCpuOnline(cpu, true, "HU2");
  apic_enabled_[c] = true;
  co_await cpu.irq_enable("HU2");
  co_await cpu.park(Location::kRunOld, "idle");
}

}  // namespace crashdiff::x86
