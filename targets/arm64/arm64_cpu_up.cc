// cpu_up on arm64, the v6.7 era the target models (docs/FIDELITY-x86-arm64.md, "arm64 cpu_up"):
//   requester: kernel/cpu.c cpu_up() -> _cpu_up() -> bringup_cpu(): cpuhp_can_boot_ap() (CONFIG_HOTPLUG_CORE_SYNC,
//   v6.5), arch/arm64/kernel/smp.c __cpu_up() -> boot_secondary() -> cpu_ops->cpu_boot = psci.c
//   cpu_psci_cpu_boot() -> PSCI CPU_ON(secondary_entry); wait_for_completion_timeout(&cpu_running, 5 s); on a
//   timeout the secondary_data.status breadcrumbs; then bringup_wait_for_ap_online(). arm64 selects only
//   HOTPLUG_CORE_SYNC_DEAD in v6.7, so cpuhp_bp_sync_alive() is a stub and cpu_running is the up handshake.
//   booting CPU: head.S secondary_entry -> secondary_startup -> smp.c secondary_start_kernel(): boot status,
//   set_cpu_online, complete(&cpu_running), local_daif_restore, cpu_startup_entry -> cpuhp_online_idle().
// Spin-table CPUs are never hotpluggable (no cpu_die), so cpu_up is refused before it starts, as cpu_down is.
// A never-started PSCI CPU (maxcpus= left it to firmware) takes the same path: smp_prepare_cpus() marked every
// possible CPU with cpu_ops present (cpu_psci_cpu_prepare only checks CPU_ON exists), idle_threads_init() forked an
// idle task for every possible CPU, and its cpuhp ap_sync_state is still SYNC_STATE_DEAD (0): nothing is left to
// set up, and PSCI still reports the core OFF, so CPU_ON starts it at secondary_entry as after a CPU_OFF.
#include <cstdio>
#include <string>

#include "targets/arm64/arm64_kernel.h"

namespace crashdiff::arm64 {

// TF-A psci_cpu_on() -> psci_cpu_on_start(): cpu_on_validate_state() on the target's aff_info_state: ON ->
// ALREADY_ON, ON_PENDING -> ON_PENDING, OFF -> set ON_PENDING and power the core on. A never-started core is OFF
// from firmware's cold boot (only the primary was released), exactly like one that called CPU_OFF.
int64_t PsciCpuOn(Machine& m, uint32_t target) {
  Cpu& t = m.cpu(target);
  if (t.finished() || !t.in_firmware()) return kPsciAlreadyOn;  // the core is executing: ON
  if (t.firmware_start_queued()) return kPsciOnPending;         // an earlier CPU_ON has not started it yet
  t.QueueFirmwareStart();
  return kPsciSuccess;
}

// cpu_up() requested by cpu: under cpu_add_remove_lock (cpu_maps_update_begin), refused while hotplug is disabled
// (-EBUSY); a CPU already online has nothing to do (_cpu_up: st->state >= target). Asleep on the lock behind a
// cpu_down of its own CPU, the request starts over on another CPU.
Task<> Arm64Kernel::CpuUp(Cpu& cpu, uint32_t target) {
  if (spin_table() || target == cpu.id()) co_return;
  co_await cpu_maps_.Lock(cpu, "HU0", [this, target](Cpu& to) { return CpuUp(to, target); });
  const bool disabled = co_await cpu_maps_.Disabled(cpu, "HU0");
  if (!disabled && co_await cpu.read(*online_[target], "HU1") == 0) co_await BringupCpu(cpu, target);
  co_await cpu_maps_.Unlock(cpu, "HU4");
}

// bringup_cpu(): only a CPU that reported dead (or was kicked by an earlier attempt that timed out) may be booted;
// any other sync state is "limbo" (-EAGAIN). Then the architecture boot, then the untimed wait for the booting
// CPU's cpuhp_online_idle(); the CPU's own online callbacks (cpuhp_kick_ap) are not modelled step by step.
Task<> Arm64Kernel::BringupCpu(Cpu& cpu, uint32_t target) {
  Var& sync = *dead_[target];
  for (;;) {
    const int64_t s = co_await cpu.read(sync, "HU1");
    if (s != kSyncDead && s != kSyncKicked) {
      m_.Log(cpu.id(), "CPU" + std::to_string(target) + ": not dead, not kicked: bringup refused (-EAGAIN)");
      co_return;
    }
    if (co_await cpu.cmpxchg(sync, s, kSyncKicked, "HU1") == s) break;
  }
  if (!co_await CpuUpArch(cpu, target)) co_return;
  Var& done = *done_up_[target];
  co_await cpu.wait_until([&done] { return done.value > 0; }, kForever, "HU3");
  co_await cpu.fetch_add(done, -1, "HU3");
  co_await cpu.local("HU3", "cpuhp_kick_ap: the CPU runs its online callbacks");
}

// __cpu_up(): returns whether the CPU came online.
Task<bool> Arm64Kernel::CpuUpArch(Cpu& cpu, uint32_t target) {
  const std::string name = "CPU" + std::to_string(target);
  // update_cpu_boot_status(CPU_MMU_OFF), cleaned to the point of coherency for a CPU that starts with caches off.
  co_await cpu.write(boot_status_, kCpuMmuOff, "HU1");
  // boot_secondary() -> cpu_psci_cpu_boot(): an SMC/HVC, so every earlier store is visible to firmware and to the
  // core it starts (ordered).
  const int64_t psci = co_await cpu.ordered_hw_op("HU2", "PSCI CPU_ON(secondary_entry)",
                                                  [this, target] { return PsciCpuOn(m_, target); });
  if (psci != kPsciSuccess) {
    const std::string err = std::to_string(PsciToLinuxErrno(psci));
    m_.Log(cpu.id(), "psci: failed to boot " + name + " (" + err + ")");
    m_.Log(cpu.id(), name + ": failed to boot: " + err);
    co_return false;
  }
  // wait_for_completion_timeout(&cpu_running, 5 s): one static completion for every bring-up, so a done count a
  // late CPU left behind satisfies the next wait at once (as in the kernel).
  if (co_await cpu.wait_until([this] { return cpu_running_.value > 0; }, 5 * kSec, "HU3")) {
    co_await cpu.fetch_add(cpu_running_, -1, "HU3");
  }
  if (co_await cpu.read(*online_[target], "HU3") == 1) co_return true;
  co_await CpuUpFailed(cpu, target);
  co_return false;
}

// The timeout path: "failed to come online", then the breadcrumbs the booting CPU left. The model's entry writes
// only CPU_BOOT_SUCCESS (just before it goes online) and never __early_cpu_boot_status; cpu_die_early() and the
// capability-mismatch panic are not modelled. Every unknown state counts the CPU as stuck in the kernel.
Task<> Arm64Kernel::CpuUpFailed(Cpu& cpu, uint32_t target) {
  const std::string name = "CPU" + std::to_string(target);
  m_.Log(cpu.id(), name + ": failed to come online");
  int64_t status = co_await cpu.read(boot_status_, "HU5");
  if (status == kCpuMmuOff) status = co_await cpu.read(early_boot_status_, "HU5");
  if ((status & kCpuBootStatusMask) == kCpuStuckInKernel) {
    m_.Log(cpu.id(), name + ": is stuck in kernel");
  } else {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(status));
    m_.Log(cpu.id(), name + ": failed in unknown state : " + hex);
  }
  co_await cpu.fetch_add(cpus_stuck_in_kernel_, 1, "HU5");
}

// secondary_entry after PSCI CPU_ON: a fresh stack, every DAIF bit set (so pseudo-NMIs are masked too), kernel
// text. secondary_start_kernel() goes online before it unmasks anything: a stop IPI sent to it in between stays
// pending until local_daif_restore().
Task<> Arm64Kernel::FirmwareEntry(Cpu& cpu) {
  const uint32_t c = cpu.id();
  cpu.set_location(Location::kRunOld);
  cpu.set_held_sources(Bit(Source::kNmi));
  co_await cpu.local("AS0", "secondary_entry: init EL1, MMU on, idle task stack");
  co_await cpu.local("AS1", "secondary_start_kernel: GIC priority masking, capabilities, notify_cpu_starting");
  m_.Log(c, "CPU" + std::to_string(c) + ": Booted secondary processor");
  co_await cpu.write(boot_status_, kCpuBootSuccess, "AS2");
  co_await SetCpuOnline(cpu, true, "AS2");
  co_await cpu.fetch_add(cpu_running_, 1, "AS2");  // complete(&cpu_running)
  co_await cpu.irq_enable("AS3");                  // local_daif_restore(DAIF_PROCCTX)
  cpu.set_held_sources(0);
  // cpu_startup_entry() -> cpuhp_online_idle(): sync state ONLINE, then complete the requester's done_up.
  co_await cpu.write(*dead_[c], kSyncOnline, "AS4");
  co_await cpu.fetch_add(*done_up_[c], 1, "AS4");
  co_await cpu.park(Location::kRunOld, "idle");
}

}  // namespace crashdiff::arm64
