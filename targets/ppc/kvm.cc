// KVM HV on the host's offline secondary threads (machine.kvm_hv). POWER8: guest vcpus run there. POWER9: only the
// idle handshake (KvmIdleEnter / KvmIdleWake, per P9OfflineKvm; read: idle_book3s.S as removed in the v10
// patch of 10d91611f426, linuxppc-dev 2019-04-28, with its pnv_powersave_wakeup; idle.c power9_offline_stop in that
// patch and its 2/2; idle.c blob 0c8fb653d487 (v6.x, arch300_offline_stop without it); book3s_hv.c
// threads_per_vcore / kvmppc_run_core). POWER8: the v4.14 era
// (torvalds/linux bebc6082da0a; the POWER8 asm idle code became C in v5.2, 10d91611f426); book3s_hv_rmhandlers.S read
// at 009c872a8bc4 (kvm_start_guest, kvm_secondary_got_guest's HMI-only trap check, kvm_no_guest, the entry map test
// in kvmppc_hv_entry), the rest from the v4.14 sources as cited per function:
//   arch/powerpc/kernel/idle_book3s.S  power7_idle_insn (hwthread_state = IN_IDLE before nap),
//                                      pnv_powersave_wakeup (IN_KERNEL, sync, test hwthread_req -> kvm_start_guest)
//   arch/powerpc/kvm/book3s_hv_rmhandlers.S  kvm_start_guest, kvmppc_check_wake_reason, kvm_secondary_got_guest,
//                                      kvm_no_guest (spin while hwthread_req, return SRR1 = 0 to the offline loop)
//   arch/powerpc/kvm/book3s_hv_builtin.c  kvmppc_read_intr (a pending host IPI makes the guest exit to the host),
//                                      kvmhv_commence_exit (the first thread out IPIs the others)
//   arch/powerpc/kvm/book3s_hv.c       kvmppc_run_core: on_primary_thread / kvmppc_grab_hwthread, kvmppc_start_thread
//                                      (kvmppc_ipi_thread: msgsnd within the core), kvmppc_wait_for_nap,
//                                      kvmppc_release_hwthread
// Guest code itself is not modelled: a thread in the guest waits for an interrupt (a doorbell, its ICP, an HMI)
// or a KVM_EXIT event (the guest needs the hypervisor), and exits as the real-mode code decides.
#include <algorithm>
#include <string>

#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

// Before the idle instruction the thread tells KVM it is idle. POWER8 power7_idle_insn: a real-mode store, MMU off
// until the wakeup has tested hwthread_req again. POWER9 power9_offline_stop, before power9_idle_stop (the asm:
// idle_book3s.S, as removed by 10d91611f426; the C: idle.c since 10d91611f426): the same store, in virtual mode
// ("the P9 MMU is independent per-thread"); v6.x arch300_offline_stop has none (P9OfflineKvm).
Task<> PpcKernel::KvmIdleEnter(Cpu& cpu) {
  if (platform() != pb::POWER8_XICS && v_.p9_offline_kvm == P9OfflineKvm::kRemoved2021) co_return;
  co_await cpu.write(*kvm_->hwthread_state[cpu.id()], kHwthreadInIdle, "KV0");
}

// pnv_powersave_wakeup: back IN_KERNEL, sync, then hwthread_req (KvmTestHwthreadReq).
Task<Wake> PpcKernel::KvmPowersaveWakeup(Cpu& cpu, Wake wake) {
  co_await cpu.write(*kvm_->hwthread_state[cpu.id()], kHwthreadInKernel, "KV1");
  co_await cpu.barrier("KV1");
  co_return co_await KvmTestHwthreadReq(cpu, wake);
}

// hwthread_req: if the host grabbed the thread it goes to kvm_start_guest and comes back to the offline loop only
// through kvm_no_guest, with SRR1 = 0.
Task<Wake> PpcKernel::KvmTestHwthreadReq(Cpu& cpu, Wake wake) {
  if (co_await cpu.read(*kvm_->hwthread_req[cpu.id()], "KV1") == 0) co_return wake;
  co_await KvmStartGuest(cpu, wake);
  co_return Wake{Source::kSpurious, 0};  // pnv_wakeup_loss with r3 = 0: power7_nap returns 0
}

// The wake, after the state restore (through_vector: it came through 0x100, not an EC=0 stop's plain return).
// POWER8: pnv_powersave_wakeup. POWER9 (P9OfflineKvm): CONFIG_KVM_BOOK3S_HV_POSSIBLE builds the handshake into
// every offline stop, guest or not, but the host never grabs a POWER9 thread: in independent-threads mode
// threads_per_vcore() is 1, so kvmppc_run_core does not call on_primary_thread (the grab) (book3s_hv.c, "the same
// as the number of threads per subcore, except on POWER9, where it's 1"); KVM_ENTER stays POWER8's, hwthread_req
// stays 0 and is only read. The asm: only a wake through 0x100 reaches pnv_powersave_wakeup, which reads
// hwthread_state first and skips the store and the sync when it is already IN_KERNEL (a cpuidle stop), then reads
// hwthread_req; an EC=0 stop's plain wake returns through pnv_wakeup_noloss, IN_IDLE left in place. The C
// (power9_offline_stop after power9_idle_stop returns): IN_KERNEL, smp_mb, hwthread_req, whatever ended the stop.
Task<Wake> PpcKernel::KvmIdleWake(Cpu& cpu, Wake wake, bool through_vector) {
  if (platform() == pb::POWER8_XICS) co_return co_await KvmPowersaveWakeup(cpu, wake);
  switch (v_.p9_offline_kvm) {
    case P9OfflineKvm::kRemoved2021: co_return wake;
    case P9OfflineKvm::k10d91611: co_return co_await KvmPowersaveWakeup(cpu, wake);  // the same three steps
    case P9OfflineKvm::kAsm: break;
  }
  if (!through_vector) co_return wake;
  if (co_await cpu.read(*kvm_->hwthread_state[cpu.id()], "KV1") == kHwthreadInKernel) {
    co_return co_await KvmTestHwthreadReq(cpu, wake);
  }
  co_return co_await KvmPowersaveWakeup(cpu, wake);  // sync: "Order setting hwthread_state vs. testing hwthread_req"
}

// kvm_start_guest: IN_KVM, then the wake reason; a guest wakeup with a vcore to run enters the guest.
Task<> PpcKernel::KvmStartGuest(Cpu& cpu, Wake wake) {
  const uint32_t c = cpu.id();
  co_await cpu.write(*kvm_->hwthread_state[c], kHwthreadInKvm, "KV2");
  const int64_t r = co_await KvmCheckWakeReason(cpu, wake.srr1 & kSrr1WakeMask);
  if (r < 0 && co_await cpu.read(*kvm_->vcore[c], "KV2") != 0) co_await KvmSecondaryGuest(cpu);
  co_await KvmNoGuest(cpu);
}

// kvmppc_check_wake_reason (POWER8): an external interrupt goes to kvmppc_read_intr; a hypervisor doorbell is
// cleared (msgclr: its handler is never run) and is the host's if host_ipi is set, else a guest wakeup; DEC and a
// privileged doorbell need nothing; an HMI and anything else (reset, SRR1 = 0) are the host's.
Task<int64_t> PpcKernel::KvmCheckWakeReason(Cpu& cpu, uint32_t reason) {
  if (reason == kSrr1WakeEe) co_return co_await KvmReadIntr(cpu, "KV2");
  if (reason == kSrr1WakeHdbell) {
    co_await cpu.hw_store("KV2", "msgclr", [&cpu] { cpu.hw().doorbell = false; });
    co_return co_await cpu.read(*pc(cpu).host_ipi, "KV2") != 0 ? kWakeHost : kWakeGuest;
  }
  if (reason == 0x180000) co_return kWakeNothing;  // decrementer
  co_return kWakeHost;
}

// kvmppc_read_intr (XICS native): a host IPI pending in host_ipi is left for the host at once (the ICP is not
// touched). Otherwise XIRR is read: nothing -> 0; the IPI -> MFRR cleared and EOId, mb, then host_ipi read again: set
// meanwhile -> MFRR re-raised ("we raced with the host, resend that IPI") and the host's; clear -> the guest's.
// [I] A device interrupt is not accepted here: the model's guest does not exit for one (an offline thread is not
// a device interrupt's target).
Task<int64_t> PpcKernel::KvmReadIntr(Cpu& cpu, Label l) {
  PerCpu& p = pc(cpu);
  if (co_await cpu.read(*p.host_ipi, l) != 0) co_return kWakeHost;
  const bool ipi =
      co_await cpu.ordered_hw_op(l, "icp_native_get_xirr (real mode)", [&cpu] { return cpu.hw().mfrr != kMfrrNone; });
  co_await cpu.barrier(l);
  if (!ipi) co_return kWakeNothing;
  co_await IcpClearMfrr(cpu, false, l);
  co_await cpu.local(l, "EOI (XIRR write)");
  // smp_mb(): the MFRR clear is done before host_ipi is read again (37f55d30df2eef), else a host IPI set in between
  // could be missed on both sides.
  co_await cpu.barrier(l);
  if (co_await cpu.read(*p.host_ipi, l) != 0) {
    co_await cpu.hw_store(
        l, "set MFRR = IPI_PRIORITY (resend)", [&cpu] { cpu.hw().mfrr = kIpiPriority; },
        /*sync_first=*/true);
    co_await cpu.barrier(l);
    co_return kWakeHost;
  }
  co_return kWakeGuest;
}

// kvm_no_guest: while the host holds the thread (hwthread_req), poll for a vcore at low priority (no nap); once
// released: IN_KERNEL, sync, test hwthread_req again, then back to the offline loop (LPCR PECE0 restored).
Task<> PpcKernel::KvmNoGuest(Cpu& cpu) {
  const uint32_t c = cpu.id();
  Var& req = *kvm_->hwthread_req[c];
  Var& vcore = *kvm_->vcore[c];
  for (;;) {
    if (co_await cpu.read(req, "KV3") != 0) {
      co_await cpu.wait_until([&req, &vcore] { return req.value == 0 || vcore.value != 0; }, kForever, "KV3");
      if (co_await cpu.read(vcore, "KV3") != 0) co_await KvmSecondaryGuest(cpu);
      continue;
    }
    co_await cpu.write(*kvm_->hwthread_state[c], kHwthreadInKernel, "KV4");
    co_await cpu.barrier("KV4");
    if (co_await cpu.read(req, "KV4") == 0) break;
    co_await cpu.write(*kvm_->hwthread_state[c], kHwthreadInKvm, "KV4");
  }
  co_await cpu.local("KV4", "LPCR PECE0|PECE1; pnv_wakeup_loss, r3 = 0");
}

// kvm_secondary_got_guest -> kvmppc_hv_entry: run the guest; back from it, clear the vcpu and vcore pointers (the
// primary's kvmppc_wait_for_nap waits for that).
Task<> PpcKernel::KvmSecondaryGuest(Cpu& cpu) {
  const uint32_t primary = cpu.id() - cpu.id() % m_.threads_per_core();
  if (co_await KvmGuest(cpu, primary)) {
    // Back from the guest a secondary checks its trap for an HMI only: a system reset that made it exit is not
    // handled (nothing replays it on this thread).
    co_await cpu.local("KG3", "trap 0x100 on a secondary: not replayed");
  }
  co_await cpu.write(*kvm_->vcore[cpu.id()], 0, "KG3");
  cpu.set_location(Location::kOfflineLoop);
}

// kvmppc_hv_entry: count this thread in the vcore's entry map, unless some thread already began the exit
// (secondary_too_late: the guest is not entered). Then in the guest. What makes this thread leave it: an HMI (the
// host's), a hypervisor doorbell (the host's if host_ipi; otherwise the exit IPI of another thread when the vcore is
// exiting, else a guest IPI delivered to the guest), its ICP (kvmppc_read_intr), or KVM_EXIT (the guest needs the
// hypervisor). The host's causes start the exit of the whole vcore (kvmhv_commence_exit).
Task<bool> PpcKernel::KvmGuest(Cpu& cpu, uint32_t primary) {
  Var& map = *kvm_->entry_exit_map[primary];
  const int64_t me = int64_t{1} << (cpu.id() - primary);
  for (;;) {
    // Ordered after the vcore pointer this thread loaded (kvm_secondary_got_guest's lwsync, and kvmppc_hv_entry
    // addresses the map through that pointer: book3s_hv_rmhandlers.S), which the primary published after it reset
    // the map (kvmppc_start_thread: smp_wmb, then kvm_vcore): never the previous run's exit bits.
    const int64_t old = co_await cpu.read_ordered(map, "KG0");
    if ((old >> 8) != 0) {
      co_await cpu.local("KG0", "secondary_too_late: the vcore is exiting");
      co_return false;
    }
    if (co_await cpu.cmpxchg(map, old, old | me, "KG0") == old) break;
  }
  const Cpu& self = cpu;
  cpu.set_location(Location::kRunOld);
  cpu.enter_critical();  // guest code, not the host kernel's: no host software event can start here
  // A system reset in guest mode enters the hypervisor's KVM exit path, not the host's handler: the guest exits
  // with trap 0x100 (held here, so the machine does not deliver it to the host's vector meanwhile).
  const SourceMask held = cpu.held_sources();
  cpu.set_held_sources(held | Bit(Source::kReset));
  bool reset = false;
  for (;;) {
    co_await cpu.wait_until(
        [&self] {
          const CpuHw& hw = self.hw();
          return hw.reset || hw.hmi || hw.doorbell || hw.mfrr != kMfrrNone || hw.spurious;
        },
        kForever, "KG1");
    int64_t r = kWakeNothing;
    const CpuHw& hw = self.hw();
    if (hw.reset) {
      co_await cpu.hw_op("KG1", "system reset in the guest: exit, trap 0x100", [&cpu] { cpu.hw().reset = false; });
      reset = true;
      r = kWakeHost;
    } else if (hw.hmi) {
      co_await cpu.hw_op("KG1", "HMI: guest exit", [&cpu] { cpu.hw().hmi = false; });
      r = kWakeHost;
    } else if (hw.doorbell) {
      co_await cpu.hw_op("KG1", "H_DOORBELL taken: guest exit", [&cpu] { cpu.hw().doorbell = false; });
      if (co_await cpu.read(*pc(cpu).host_ipi, "KG1") != 0 || (co_await cpu.read(map, "KG1") >> 8) != 0) {
        r = kWakeHost;
      }
    } else if (hw.mfrr != kMfrrNone) {
      r = co_await KvmReadIntr(cpu, "KG2");
    } else {
      co_await cpu.hw_op("KG1", "KVM_EXIT: hypercall for the host", [&cpu] { cpu.hw().spurious = false; });
      r = kWakeHost;
    }
    if (r == kWakeHost) break;
  }
  co_await KvmCommenceExit(cpu, primary);
  cpu.set_held_sources(held);
  cpu.leave_critical();
  co_return reset;
}

// kvmhv_commence_exit: set this thread's exit bit (a cmpxchg loop); the first thread out interrupts the threads
// that entered (kvmhv_interrupt_vcore -> kvmhv_rm_send_ipi: smp_mb, msgsnd within the core, host_ipi untouched).
// A thread that has not entered yet sees the exit bit on entry instead.
Task<> PpcKernel::KvmCommenceExit(Cpu& cpu, uint32_t primary) {
  Var& map = *kvm_->entry_exit_map[primary];
  const uint32_t me = cpu.id() - primary;
  int64_t old = 0;
  for (;;) {
    old = co_await cpu.read(map, "KG4");
    if (co_await cpu.cmpxchg(map, old, old | (int64_t{1} << (8 + me)), "KG4") == old) break;
  }
  if ((old >> 8) != 0) co_return;
  for (uint32_t t = primary; t < primary + m_.threads_per_core(); ++t) {
    if (t == cpu.id() || (old & (int64_t{1} << (t - primary))) == 0) continue;
    co_await cpu.barrier("KG4");
    Cpu& other = m_.cpu(t);
    co_await cpu.hw_op("KG4", "msgsnd cpu" + std::to_string(t), [&other] { other.hw().doorbell = true; });
  }
}

// kvmppc_run_vcpu -> kvmppc_run_core on cpus[0] (KVM_ENTER): interrupts off (soft, then hard); on_primary_thread:
// the core's other threads must be offline, then each is grabbed (hwthread_req = 1, smp_mb, wait <= 10 ms while
// it is IN_KERNEL); kvmppc_start_thread for each guest thread (vcore pointer, msgsnd); the primary runs its own
// vcpu; after the exit: set_irq_happened (a system reset is replayed at once), kvmppc_wait_for_nap, interrupts
// back on (the host interrupt that made the guest exit is taken then), kvmppc_release_hwthread.
Task<> PpcKernel::KvmRunCore(Cpu& cpu, const pb::Event& event) {
  const uint32_t primary = cpu.id();
  const uint32_t tpc = m_.threads_per_core();
  if (kvm_ == nullptr || primary % tpc != 0) co_return;  // validation: kvm_hv, a primary thread
  co_await SoftIrqDisable(cpu, "KR0");
  co_await cpu.irq_disable("KR0");  // hard_irq_disable
  bool ok = true;
  for (uint32_t t = primary + 1; t < primary + tpc && ok; ++t) {
    ok = !co_await s_.online_mask.Test(cpu, t, "KR0");
  }
  uint32_t release_end = primary + 1;  // kvmppc_release_hwthread for threads [primary + 1, release_end)
  for (uint32_t grabbed = primary + 1; ok && grabbed < primary + tpc; ++grabbed) {
    release_end = grabbed + 1;  // a thread that could not be grabbed is let go too
    // kvmppc_grab_hwthread
    co_await cpu.write(*kvm_->vcore[grabbed], 0, "KR1");
    co_await cpu.barrier("KR1");  // smp_wmb
    co_await cpu.write(*kvm_->hwthread_req[grabbed], 1, "KR1");
    co_await cpu.barrier("KR1");  // smp_mb: our req before their state, and vice versa
    Var& state = *kvm_->hwthread_state[grabbed];
    if (!co_await cpu.wait_until([&state] { return state.value != kHwthreadInKernel; }, 10 * kMs, "KR1")) {
      m_.Log(primary, "KVM: couldn't grab cpu " + std::to_string(grabbed));
      ok = false;
      break;
    }
  }
  if (ok) {
    co_await cpu.write(*kvm_->entry_exit_map[primary], 0, "KR2");
    for (int i = 1; i < event.cpus_size(); ++i) {
      const uint32_t t = event.cpus(i);
      co_await cpu.barrier("KR2");  // smp_wmb: vcpu before vcore
      co_await cpu.write(*kvm_->vcore[t], 1, "KR2");
      co_await cpu.barrier("KR2");  // kvmppc_ipi_thread: smp_mb, msgsnd
      Cpu& target = m_.cpu(t);
      co_await cpu.hw_op("KR2", "msgsnd cpu" + std::to_string(t), [&target] { target.hw().doorbell = true; });
    }
    const bool reset = co_await KvmGuest(cpu, primary);
    cpu.set_location(Location::kRunOld);
    if (reset) {
      // set_irq_happened(trap), right after the vcore returns and before the secondaries are waited for and
      // released: a system reset is replayed at once (replay_system_reset -> system_reset_exception).
      co_await cpu.local("KR3", "set_irq_happened: replay_system_reset");
      co_await SystemResetException(cpu, Regs{true, 0x100});
    }
    // kvmppc_wait_for_nap: [I] its 1,000,000 low-priority polls taken as 1 s.
    std::vector<Var*> started;
    for (int i = 1; i < event.cpus_size(); ++i) started.push_back(kvm_->vcore[event.cpus(i)]);
    if (!co_await cpu.wait_until(
            [&started] {
              return std::all_of(started.begin(), started.end(), [](const Var* v) { return v->value == 0; });
            },
            kSec, "KR3")) {
      for (int i = 1; i < event.cpus_size(); ++i) {
        if (kvm_->vcore[event.cpus(i)]->value != 0) {
          m_.Log(primary, "KVM: CPU " + std::to_string(event.cpus(i)) + " seems to be stuck");
        }
      }
    }
  }
  // kvmppc_set_host_core, then local_irq_enable() BEFORE "Let secondaries go back to the offline loop": a host
  // interrupt the guest exit left pending (recorded in irq_happened) is taken and replayed here, ahead of the
  // release (torvalds/linux book3s_hv.c kvmppc_run_core, read at 00608e1f007e). The order was written the other
  // way round before (release, then enable). A grab that failed (on_primary_thread: the others are let go) enters
  // no guest: that path keeps its order.
  if (ok) co_await SoftIrqRestore(cpu, "KR5");
  for (uint32_t t = primary + 1; t < release_end; ++t) {
    co_await cpu.write(*kvm_->hwthread_req[t], 0, "KR4");
    co_await cpu.write(*kvm_->vcore[t], 0, "KR4");
  }
  if (!ok) co_await SoftIrqRestore(cpu, "KR5");
}

}  // namespace crashdiff::ppc
