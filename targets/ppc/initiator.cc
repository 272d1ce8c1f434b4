// The powerpc crash initiator (DOMAIN §2.8): arch/powerpc/kexec/crash.c default_machine_crash_shutdown,
// crash_kexec_prepare_cpus, crash_kexec_wait_realmode (torvalds/linux@2555693dd85c, S18), the 2022 form with
// is_via_system_reset and crash_smp_send_stop collecting the CPUs (S19, S30); kernel/smp.c crash_send_ipi (v4.14
// without, v4.17+ with the offline round); platforms/powernv/setup.c pnv_kexec_cpu_down /
// pnv_kexec_wait_secondaries_down (S20); kexec/core_64.c default_machine_kexec and kernel/misc_64.S kexec_sequence
// with mm/book3s64 mmu_cleanup_all / native_hpte_clear (hand-over, DOMAIN §2.10); and the firmware it calls:
// open-power/skiboot@ecebf4fb3d9c core/cpu.c opal_reinit_cpus, cpu_cleanup_all, cpu_wait_job, opal_query_cpu_status.
#include <bit>
#include <vector>

#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

Task<> PpcKernel::MachineCrashShutdown(Cpu& cpu, Regs regs) {
  switch (v_.crash_shutdown) {
    case CrashShutdown::kV4_14: return MachineCrashShutdownV4_14(cpu, regs);
    case CrashShutdown::kC7255058: return MachineCrashShutdownC7255058(cpu, regs);
  }
  return MachineCrashShutdownV4_14(cpu, regs);
}

// default_machine_crash_shutdown() before 2022: I1-I3 and the CPU collection are its own.
Task<> PpcKernel::MachineCrashShutdownV4_14(Cpu& cpu, Regs regs) {
  m_.RecordShutdown(cpu.id());
  cpu.set_location(Location::kCrashing);
  co_await cpu.irq_disable("I1");
  co_await cpu.write(s_.crashing_cpu, cpu.id(), "I2");
  if (regs.trap == 0x100) co_await cpu.delay(kPrimaryTimeoutNs, "I3");  // let reset-driven secondaries arrive
  co_await CrashKexecPrepareCpus(cpu);
  co_await CrashShutdownTail(cpu, regs);
}

// c7255058b543 (2022): note a reset-driven crash (is_via_system_reset) and let crash_smp_send_stop collect the CPUs
// (crash_kexec_prepare), unless panic() already did with crash_kexec_post_notifiers.
Task<> PpcKernel::MachineCrashShutdownC7255058(Cpu& cpu, Regs regs) {
  // Booked once: with crash_kexec_post_notifiers crash_smp_send_stop already started it from panic().
  if (s_.crash_stopped.value == 0) m_.RecordShutdown(cpu.id());
  cpu.set_location(Location::kCrashing);
  if (regs.trap == 0x100) co_await cpu.write(s_.is_via_system_reset, 1, "I3");
  co_await CrashSmpSendStop(cpu);
  co_await CrashShutdownTail(cpu, regs);
}

// Both versions after the collection: save our registers, release the receivers, wait for real mode, hand over.
Task<> PpcKernel::CrashShutdownTail(Cpu& cpu, Regs regs) {
  co_await cpu.local("I9", "crash_save_cpu(initiator)");
  m_.RecordSave(cpu.id(), regs.valid);
  co_await cpu.write(s_.time_to_dump, 1, "I10");
  co_await CrashKexecWaitRealmode(cpu);
  co_await cpu.local("I12", "machine_kexec_mask_interrupts; crash shutdown handlers");
  co_await KexecCpuDownPrimary(cpu);
}

// c7255058b543 crash_kexec_prepare() (called from crash_smp_send_stop): I1, I2, then the CPU collection.
Task<> PpcKernel::CrashKexecPrepare(Cpu& cpu) {
  cpu.set_location(Location::kCrashing);
  co_await cpu.irq_disable("I1");
  co_await cpu.write(s_.crashing_cpu, cpu.id(), "I2");
  co_await CrashKexecPrepareCpus(cpu);
}

Task<> PpcKernel::CrashKexecPrepareCpus(Cpu& cpu) {
  switch (v_.prepare_cpus) {
    case PrepareCpus::kV4_14: return CrashKexecPrepareCpusV4_14(cpu);
    case PrepareCpus::k4145f358: return CrashKexecPrepareCpus4145f358(cpu);
    case PrepareCpus::kC7255058: return CrashKexecPrepareCpusC7255058(cpu);
  }
  return CrashKexecPrepareCpusV4_14(cpu);
}

// v4.14 crash_kexec_prepare_cpus(): wait for the online CPUs (num_online_cpus() - 1) after the NMI round.
Task<> PpcKernel::CrashKexecPrepareCpusV4_14(Cpu& cpu) {
  const CpuSet online = co_await s_.online_mask.Read(cpu, "I4");  // num_online_cpus(): cpumask_weight
  const int64_t ncpus = static_cast<int64_t>(online.count()) - 1;
  m_.Log(cpu.id(), "Sending IPI to other CPUs");
  co_await CrashSendIpiV4_14(cpu);
  co_await cpu.write_barrier("I6");  // smp_wmb
  co_await CrashWaitForCpus(cpu, ncpus);
}

// 4145f358644b: crash_wake_offline (set by powernv) counts every present CPU (num_present_cpus() - 1), and
// crash_send_ipi wakes the offline ones too.
Task<> PpcKernel::CrashKexecPrepareCpus4145f358(Cpu& cpu) {
  co_await s_.online_mask.Read(cpu, "I4");  // num_online_cpus(), overridden by crash_wake_offline
  const int64_t ncpus = static_cast<int64_t>(CrashResponderMask().count()) - 1;
  m_.Log(cpu.id(), "Sending IPI to other CPUs");
  co_await CrashSendIpi4145f358(cpu);
  co_await cpu.write_barrier("I6");  // smp_wmb
  co_await CrashWaitForCpus(cpu, ncpus);
}

// c7255058b543: a reset-driven crash sends no IPI (the secondaries come in through their own reset); it waits
// PRIMARY_TIMEOUT instead.
Task<> PpcKernel::CrashKexecPrepareCpusC7255058(Cpu& cpu) {
  co_await s_.online_mask.Read(cpu, "I4");  // num_online_cpus(), overridden by crash_wake_offline
  const int64_t ncpus = static_cast<int64_t>(CrashResponderMask().count()) - 1;
  m_.Log(cpu.id(), "Sending IPI to other CPUs");
  if (co_await cpu.read(s_.is_via_system_reset, "I3") != 0) {
    co_await cpu.delay(kPrimaryTimeoutNs, "I3");
  } else {
    co_await CrashSendIpi4145f358(cpu);
  }
  co_await cpu.write_barrier("I6");  // smp_wmb
  co_await CrashWaitForCpus(cpu, ncpus);
}

// The "again:" part of crash_kexec_prepare_cpus (every version): poll cpus_in_crash for 10 s; then with
// panic_timeout <= 0 arm the fault hook and wait for an operator reset once.
Task<> PpcKernel::CrashWaitForCpus(Cpu& cpu, int64_t ncpus) {
  Var& count = s_.cpus_in_crash;
  PerCpu& p = pc(cpu);
  for (int tries = 0;; ++tries) {
    co_await cpu.wait_at_least(count, ncpus, kIpiTimeoutNs, "I7");
    const int64_t arrived = co_await cpu.read(count, "I7");
    if (arrived >= ncpus) {
      m_.Log(cpu.id(), "IPI complete");
      co_return;
    }
    m_.Log(cpu.id(), "ERROR: " + std::to_string(ncpus - arrived) + " cpu(s) not responding");
    if (m_.config().panic_timeout() > 0 || tries > 0) co_return;
    // Fault hook + setjmp: an operator system reset brings us back here; every other CPU re-runs the crash
    // path through the reset handler.
    co_await cpu.write(s_.crash_shutdown_cpu, cpu.id(), "I8");
    m_.Log(cpu.id(), "Activate system reset (dumprestart) to stop other cpu(s)");
    co_await cpu.write(count, 0, "I8");
    co_await cpu.barrier("I8");
    cpu.set_location(Location::kWaitingOperator);
    co_await cpu.wait_until([&count, &p, ncpus] { return count.value >= ncpus || p.longjmp_pending; }, kForever, "I8");
    p.longjmp_pending = false;
    cpu.set_location(Location::kCrashing);
    co_await cpu.write(s_.crash_shutdown_cpu, -1, "I8");
  }
}

// v4.14 crash_send_ipi(): the NMI round to the online CPUs.
Task<> PpcKernel::CrashSendIpiV4_14(Cpu& cpu) {
  co_await NmiIpiSend(cpu, -1, kFnCrashIpiCallback, kNmiGatherUs, "I5a");
}

// 4145f358644b crash_send_ipi(): the NMI round, then (kdump_in_progress() && crash_wake_offline) one wake per
// offline present CPU, outside the NMI-IPI layer.
Task<> PpcKernel::CrashSendIpi4145f358(Cpu& cpu) {
  co_await NmiIpiSend(cpu, -1, kFnCrashIpiCallback, kNmiGatherUs, "I5a");
  if (co_await cpu.read(s_.crashing_cpu, "I5b") < 0) co_return;  // kdump_in_progress()
  const CpuSet responders = CrashResponderMask();
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (!responders.test(c)) continue;
    if (co_await s_.online_mask.Test(cpu, c, "I5b")) continue;
    m_.RecordWakeSent(c);
    co_await DoSmpSendNmiIpi(cpu, static_cast<int>(c), "I5b");
  }
}

// Wait for each online CPU to reach real mode, from one shared 10 s budget; offline CPUs are not waited for.
Task<> PpcKernel::CrashKexecWaitRealmode(Cpu& cpu) {
  uint64_t budget = kRealModeTimeoutNs;
  for (uint32_t c = 0; c < m_.num_cpus() && budget > 0; ++c) {
    if (c == cpu.id()) continue;
    Var& state = *s_.cpu[c].kexec_state;
    const CpuMask& online = s_.online_mask;
    co_await WaitFromBudget(
        cpu, [&state, &online, c] { return state.value >= kKexecStateRealMode || !online.Has(c); }, budget, "I11");
  }
  co_await cpu.barrier("I11");
}

// pnv_kexec_cpu_down(1, 0): tear down our interrupt state, wait for the online secondaries to leave OPAL's
// "started" state (<= 1 s each), switch XIVE back to emulation, opal_reinit_cpus; then machine_kexec.
// Under the crash's label I13, or the normal kexec's (kexec_prepare_cpus: pnv_kexec_cpu_down(0, 0), the same steps).
Task<> PpcKernel::KexecCpuDownPrimary(Cpu& cpu, Label l) {
  co_await cpu.local(l, XiveEnabled() ? "xive_teardown_cpu" : "xics_kexec_teardown_cpu");
  const CpuSet online = co_await s_.online_mask.Read(cpu, l);
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id() || !online.test(c)) continue;
    Cpu& t = m_.cpu(c);
    // opal_query_cpu_status answers from skiboot's record (cpu_state_os: OPAL_THREAD_STARTED), not from where the
    // thread really is.
    if (t.held_by_firmware()) continue;
    m_.Log(cpu.id(),
           "kexec: waiting for cpu " + std::to_string(c) + " (physical " + std::to_string(c) + ") to enter OPAL");
    const bool entered = co_await cpu.wait_until([&t] { return t.held_by_firmware(); }, kOpalWaitNs, l);
    if (!entered) {
      m_.Log(cpu.id(), "kexec: timed out waiting for cpu " + std::to_string(c) + " (physical " + std::to_string(c) +
                           ") to enter OPAL");
    }
  }
  if (XiveEnabled()) co_await cpu.local(l, "xive_shutdown");
  co_await OpalReinitCpus(cpu, l);
}

// skiboot core/cpu.c opal_reinit_cpus (OPAL call 70, open-power/skiboot@ecebf4fb3d9c), run by the initiator in
// firmware. First every other thread skiboot believes is in the OS (cpu_state_os) gets 1000 x 1 ms to come back
// ("That might be a race with return CPU during kexec"); one that does restarts the scan, one that does not ends
// the call ("OPAL: CPU 0x.. not in OPAL !", OPAL_WRONG_STATE, which pnv_kexec_cpu_down ignores) before any job is
// queued. Otherwise cpu_cleanup_all() queues a job on every thread skiboot believes it holds (cpu_state_active) and
// cpu_wait_job() waits for each with no timeout: a job runs only when its thread is in skiboot's job loop, so a
// thread an operator's reset took out of firmware (skiboot is not told) is waited for forever.
Task<> PpcKernel::OpalReinitCpus(Cpu& cpu, Label l) {
  co_await cpu.local(l, "opal_reinit_cpus");
  std::vector<bool> in_reinit(m_.num_cpus(), false);
  for (uint32_t c = 0; c < m_.num_cpus();) {
    Cpu& t = m_.cpu(c);
    if (c == cpu.id() || in_reinit[c] || t.held_by_firmware()) {  // not cpu_state_os
      in_reinit[c] = true;
      ++c;
      continue;
    }
    if (!co_await cpu.wait_until([&t] { return t.held_by_firmware(); }, kOpalReinitWaitNs, l)) {
      m_.Log(cpu.id(), "OPAL: CPU " + std::to_string(c) + " not in OPAL !");
      co_return;
    }
    c = 0;  // goto again
  }
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {  // cpu_cleanup_all: for_each_available_cpu
    Cpu& t = m_.cpu(c);
    if (c == cpu.id() || !t.held_by_firmware() || t.in_firmware()) continue;
    m_.Log(cpu.id(), "OPAL: cpu_wait_job(cpu_cleanup) for CPU " + std::to_string(c));
    co_await cpu.wait_until([&t] { return t.in_firmware(); }, kForever, l);
  }
}

// kexec_sequence (arch/powerpc/kernel/misc_64.S) calls mmu_cleanup_all in real mode just before the jump
// (default_machine_kexec, kexec/core_64.c); on a hash MMU (arch/powerpc/mm/book3s64/pgtable.c) that is
// mmu_hash_ops.hpte_clear_all, on powernv native_hpte_clear (mm/book3s64/hash_native.c): every valid HPTE
// invalidated and tlbie'd. tlbie is broadcast, so every other thread still fetching old-kernel text with translation
// on takes an instruction storage interrupt at its next fetch ("All cpus are in real mode (or they will be when
// they isi)"). Threads in firmware, in real mode or asleep in nap/stop do not fetch translated: the latch waits
// (a stop's wake goes through 0x100 first). Radix (POWER9 platforms here): radix__mmu_cleanup_all clears the
// initiator's PTCR and LPCR and flushes the TLB; whether other threads then fault is not established, not modelled.
// It is part of kexec_sequence, which the model runs as the hand-over's one step: where a thread was when the
// initiator handed over is where the crash left it, and the ISI is what the hand-over does to it next.
void PpcKernel::MmuCleanupAll(const Cpu& cpu) {
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c != cpu.id()) m_.cpu(c).hw().isi = true;
  }
}

// machine_kexec() -> default_machine_kexec() in crash mode (after machine_crash_shutdown, from __crash_kexec): no
// kexec_prepare_cpus (CPUs were collected above); kexec_sequence copies the new kernel's first 0x100 bytes to real 0,
// sets kexec_flag and jumps: from here on the low exception vectors belong to the kdump kernel.
Task<> PpcKernel::MachineKexec(Cpu& cpu) {
  m_.Log(cpu.id(), "kexec: Starting switchover sequence.");
  co_await KexecSequenceJump(cpu, "I14");
}

// kexec_sequence's end (kernel/misc_64.S), after kexec_copy_flush: the new kernel's first 0x100 bytes to real 0,
// kexec_flag set (releases CPUs spinning in kexec_wait to 0x60 of the new kernel), on hash mmu_cleanup_all, jump.
Task<> PpcKernel::KexecSequenceJump(Cpu& cpu, Label l) {
  co_await cpu.write(s_.kexec_flag, 1, l);
  if (!HashMmu()) {
    co_await cpu.handover({Region::kLowVectors}, l);
    co_return;
  }
  co_await cpu.handover({Region::kLowVectors}, l, "mmu_cleanup_all: native_hpte_clear (tlbie every HPTE)",
                        [this, &cpu] { MmuCleanupAll(cpu); });
}

}  // namespace crashdiff::ppc
