// CPU hotplug on arm64. Models torvalds/linux arch/arm64/kernel/smp.c cpu_die() / __cpu_disable() /
// cpu_die_early(), arch/arm64/kernel/psci.c cpu_psci_cpu_die() (PSCI CPU_OFF; a CPU_OFF that returns ends in
// cpu_die()'s BUG(), a crash entry) and the spin-table enable method
// (no cpu_die: CPUs cannot be offlined; a CPU that failed to come online parks in cpu_park_loop() and counts in
// cpus_stuck_in_kernel). DOMAIN §3.11, S42-S44.
#include <algorithm>
#include <string>

#include "targets/arm64/arm64_kernel.h"
#include "targets/common/sched.h"

namespace crashdiff::arm64 {

bool Arm64Kernel::PsciCanTurnOff(uint32_t cpu) const {
  if (spin_table()) return false;
  const auto& fails = m_.config().firmware().cpu_off_fails_for();
  return std::find(fails.begin(), fails.end(), cpu) == fails.end();
}

// local_daif_mask(): IRQ, FIQ, SError and debug masked; with GIC priority masking off, pseudo-NMIs too.
Task<> Arm64Kernel::DaifMask(Cpu& cpu, Label label) {
  co_await cpu.irq_disable(label);
  cpu.set_held_sources(Bit(Source::kNmi));
}

// set_cpu_online() (kernel/cpu.c, since 0c09ab96fc82): test-and-set / test-and-clear the mask bit, and move
// __num_online_cpus only when the bit changed. A CPU already out of the mask (a dying CPU that then panics and
// self-stops) does not count itself out twice.
Task<> Arm64Kernel::SetCpuOnline(Cpu& cpu, bool online, Label label, bool hotplug) {
  const int64_t want = online ? 1 : 0;
  if (co_await cpu.cmpxchg(*online_[cpu.id()], 1 - want, want, label) != 1 - want) co_return;
  m_.RecordOnline(cpu.id(), online, hotplug);
  co_await cpu.fetch_add(num_online_, online ? 1 : -1, label);
}

// num_other_online_cpus(): num_online_cpus() - cpu_online(this cpu). The caller may itself be out of the mask
// (a CPU that panics while it is being taken down): it must not count as the one CPU left (d0bab0c39e32).
Task<int64_t> Arm64Kernel::NumOtherOnline(Cpu& cpu, Label label) {
  const int64_t self_online = co_await cpu.read(*online_[cpu.id()], label);
  co_return co_await cpu.read(num_online_, label) - self_online;
}

bool Arm64Kernel::OthersOnline(uint32_t self) const {
  return num_online_.value - online_[self]->value != 0;
}

Task<> Arm64Kernel::CpuDie(Cpu& cpu) {
  co_await DaifMask(cpu, "AD1");
  // cpuhp_ap_report_dead(): a complete() (a spinlock's release; cpu_report_death's cmpxchg before 6.5): what the
  // dying CPU stored before it is visible first.
  co_await cpu.store_release(*dead_[cpu.id()], 1, "AD2");
  if (PsciCanTurnOff(cpu.id())) {
    // PSCI CPU_OFF: the core belongs to firmware until some kernel issues CPU_ON.
    co_await cpu.enter_firmware(Location::kParkedFw, "AD3");
    co_return;
  }
  // CPU_OFF returned (firmware failure, schema: firmware.cpu_off_fails_for): cpu_die() "must never fail" and ends
  // in BUG() (torvalds/linux arch/arm64/kernel/smp.c cpu_die(), v6.7). The BRK exception is taken with DAIF masked
  // and goes to die() (traps.c): the idle task has pid 0, so kexec_should_crash() holds and die() calls
  // crash_kexec(); then panic (panic_on_oops here, else make_task_dead()'s "Attempted to kill the idle task!"). A
  // crash entry on this offline CPU, through the common panic path.
  co_await cpu.local("AD3", "PSCI CPU_OFF returned: BUG()");
  co_await Oops(cpu);
}

Task<> Arm64Kernel::StuckInKernel(Cpu& cpu) {
  // Spin-table: this CPU failed to come online and cannot be killed: CPU_STUCK_IN_KERNEL, cpu_park_loop().
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.fetch_add(cpus_stuck_in_kernel_, 1, "AD0");
  co_await DaifMask(cpu, "AD1");
  co_await cpu.park(Location::kOfflineLoop, "AD4");
}

// The stopper's multi_cpu_stop() on this CPU (targets/common/stop_machine.h); on the CPU going down it runs
// take_cpu_down, and the idle task then calls cpu_die() (cpuhp_report_idle_dead): never returns there.
Task<> Arm64Kernel::CpuStopper(Cpu& cpu) {
  const bool dying = co_await stop_machine_.Rendezvous(cpu);
  if (dying) {
    const int64_t request = co_await cpu.read(*die_request_[cpu.id()], "HP2");
    co_await TakeCpuDown(cpu, request == kDownForKexec);
  }
  co_await stop_machine_.Leave(cpu);
  if (!dying) co_return;
  cpu.set_location(Location::kOfflineLoop);
  co_await CpuDie(cpu);
}

// take_cpu_down() on the dying CPU, interrupts off (MULTI_STOP_RUN): __cpu_disable() clears the online bit and
// migrates interrupts; a task asleep on this CPU is woken elsewhere from now on (targets/common/sched.h).
Task<> Arm64Kernel::TakeCpuDown(Cpu& cpu, bool for_kexec) {
  co_await cpu.write(*die_request_[cpu.id()], 0, "HP2");
  co_await SetCpuOnline(cpu, false, "HP2", /*hotplug=*/!for_kexec);
  co_await cpu.local("HP2", "irq_migrate_all_off_this_cpu");
  co_await common::WakeSleepingTaskElsewhere(
      m_, cpu, [this](uint32_t c) { return CpuOnline(c); }, "HP2");
}

// cpu_down() requested by cpu: under cpu_add_remove_lock; refused while hotplug is disabled and on spin-table (no
// cpu_die). A never-started CPU firmware still holds is not online, so the kernel's cpu_down has nothing to do: the
// model skips that no-op lock round; once a cpu_up started it, it is an online CPU like any other. The request is a
// task: asleep on the lock behind a cpu_down of its own CPU, it starts over on another CPU (it changed nothing yet).
Task<> Arm64Kernel::CpuDown(Cpu& cpu, uint32_t target) {
  const bool held = m_.never_started(target) && m_.cpu(target).held_by_firmware();
  if (spin_table() || target == cpu.id() || held) co_return;
  co_await cpu_maps_.Lock(cpu, "HP0", [this, target](Cpu& to) { return CpuDown(to, target); });
  const bool disabled = co_await cpu_maps_.Disabled(cpu, "HP0");
  if (!disabled && co_await cpu.read(*online_[target], "HP1") == 1)
    co_await CpuDownLocked(cpu, target, 5 * kSec, kDownForHotplug);
  co_await cpu_maps_.Unlock(cpu, "HP4");
}

// stop_machine runs take_cpu_down on the target once every online CPU's stopper has met (each woken by an IPI: the
// model's IPI_CALL_FUNC); __cpu_die() waits for the dead report (5 s; kexec's smp_shutdown_nonboot_cpus path is
// modelled without a timeout: cpu_down blocks until the CPU is gone).
Task<> Arm64Kernel::CpuDownLocked(Cpu& cpu, uint32_t target, uint64_t timeout_ns, int64_t request) {
  co_await cpu.write(*dead_[target], 0, "HP1");
  co_await cpu.write(*die_request_[target], request, "HP1");
  co_await stop_machine_.Run(
      cpu, target,
      [this, target](uint32_t c) {
        m_.cpu(c).hw().ipi_vectors.insert(kIpiCallFunc);
        if (c == target) m_.RecordWakeSent(c);
      },
      "stop_machine: wake the stopper (IPI_CALL_FUNC)");
  Var& dead = *dead_[target];
  if (!co_await cpu.wait_until([&dead] { return dead.value == 1; }, timeout_ns, "HP3")) {
    m_.Log(cpu.id(), "CPU" + std::to_string(target) + ": cpu didn't die");
    co_return;
  }
  co_await OpCpuKill(cpu, target);
}

// arch_cpuhp_cleanup_dead_cpu() -> op_cpu_kill() -> cpu_psci_cpu_kill(): the dead report comes before CPU_OFF, so
// the requester asks the firmware (PSCI AFFINITY_INFO) until the CPU is really off, for at most 100 ms, before it
// "considers clobbering anything it might still be using". Spin-table CPUs are never taken down (no cpu_die).
Task<> Arm64Kernel::OpCpuKill(Cpu& cpu, uint32_t target) {
  const Cpu& dying = m_.cpu(target);
  if (!co_await cpu.wait_until([&dying] { return dying.in_firmware(); }, 100 * kMs, "HP5")) {
    m_.Log(cpu.id(), "CPU" + std::to_string(target) + " may not have shut down cleanly (AFFINITY_INFO reports 0)");
  }
}

}  // namespace crashdiff::arm64
