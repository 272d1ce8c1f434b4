// Stopping the other CPUs for kexec (and for panic without a crash image). Models torvalds/linux
// arch/x86/kernel/smp.c native_stop_other_cpus() and stop_this_cpu() (process.c):
//  - before 2023: REBOOT_VECTOR to all but self, wait <= 1 s on num_online_cpus(), NMI fallback with
//    register_stop_handler(), wait <= 10 ms (or forever when the caller asks to wait, as machine_shutdown does);
//  - 2023 series (DOMAIN §3.9, S35): claim stopping_cpu first; for kexec kick offline CPUs out of MWAIT
//    (smp_kick_mwait_play_dead, d7893093a741, K2a-K2c); cpus_stop_mask ("Make stop_other_cpus() more robust");
//    INIT parking (smp_park_other_cpus_in_init, 45e34c8af58f; boot CPU only since b1472a60a584; booted-once
//    CPUs only since the Aug 2023 follow-up).
#include <string>

#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {

Task<> X86Kernel::SetCpuOnline(Cpu& cpu, bool online, Label label, bool hotplug) {
  co_await cpu.write(*online_[cpu.id()], online ? 1 : 0, label);
  m_.RecordOnline(cpu.id(), online, hotplug);
  co_await cpu.fetch_add(num_online_, online ? 1 : -1, label);
}

// A fixed-vector IPI from the kernel: the interrupt line (the simulator's pending vectors) and the IRR bit that
// tells the handler it is this system vector and not a device's interrupt.
void X86Kernel::SendSystemVector(uint32_t target, uint32_t vector) {
  m_.cpu(target).hw().ipi_vectors.insert(vector);
  system_irr_[target].insert(vector);
}

bool X86Kernel::OthersStopped(uint32_t self) const {
  if (!v_.robust_stop_mask) return num_online_.value <= 1;
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c != self && stop_mask_[c]->value != 0) return false;
  }
  return true;
}

// apic_send_IPI_allbutself(): the shorthand is used only when every present CPU has booted once (2019 IPI
// shorthand series); it reaches offline CPUs too, whose soft-disabled APIC drops fixed vectors but not NMIs.
// Otherwise a mask of the online CPUs. only_stop_mask: the 2023 NMI fallback sends to cpus_stop_mask members.
Task<> X86Kernel::SendToOthers(Cpu& cpu, Source kind, Label label, bool only_stop_mask, bool ordered) {
  const uint32_t self = cpu.id();
  const bool shorthand = m_.config().never_started_size() == 0;
  const std::string what = kind == Source::kNmi ? "send NMI" : "send REBOOT_VECTOR";
  auto send = [this, self, kind, shorthand, only_stop_mask] {
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      if (c == self || m_.never_started(c)) continue;
      if (only_stop_mask ? stop_mask_[c]->value == 0 : !shorthand && online_[c]->value != 1) continue;
      if (kind == Source::kIpi && !apic_enabled_[c]) continue;
      CpuHw& hw = m_.cpu(c).hw();
      if (kind == Source::kNmi) {
        hw.nmi = true;
      } else {
        SendSystemVector(c, kRebootVector);
      }
      m_.RecordWakeSent(c);
    }
  };
  if (ordered) {
    co_await cpu.ordered_hw_op(label, what, send);
  } else {
    co_await cpu.hw_op(label, what, send);
  }
}

Task<> X86Kernel::StopOtherCpus(Cpu& cpu, bool wait) {
  const int64_t self = cpu.id();
  const uint64_t nmi_wait = wait ? kForever : 10 * kMs;
  if (!v_.robust_stop_mask) {
    if (co_await cpu.read(num_online_, "K2") > 1) {
      if (co_await cpu.cmpxchg(stopping_cpu_, kNoCpuId, self, "K2") != kNoCpuId) co_return;
      co_await cpu.barrier("K2");
      co_await SendToOthers(cpu, Source::kIpi, "K2d", false);
      co_await cpu.wait_until([this, self] { return OthersStopped(self); }, kSec, "K2e");
    }
    if (co_await cpu.read(num_online_, "K2g") > 1) {
      co_await cpu.write(stop_nmi_handler_, 1, "K2g");
      co_await cpu.barrier("K2g");
      m_.Log(cpu.id(), "Shutting down cpus with NMI");
      co_await SendToOthers(cpu, Source::kNmi, "K2g", false);
      co_await cpu.wait_until([this, self] { return OthersStopped(self); }, nmi_wait, "K2g");
    }
    co_await cpu.local("K2h", "disable_local_APIC, mcheck_cpu_clear");
    co_return;
  }

  if (co_await cpu.cmpxchg(stopping_cpu_, kNoCpuId, self, "K2") != kNoCpuId) co_return;
  if (v_.dedicated_mwait_line && co_await cpu.read(kexec_in_progress_, "K2") == 1) co_await KickMwaitPlayDead(cpu);
  const int64_t to_stop = co_await cpu.hw_op("K2d", "cpus_stop_mask = online - self", [this, self] {
    int64_t n = 0;
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      const int64_t bit = c != self && online_[c]->value == 1 ? 1 : 0;
      m_.StoreToLine(*stop_mask_[c], bit, static_cast<uint32_t>(self), "K2d");
      n += bit;
    }
    return n;
  });
  if (to_stop > 0) {
    co_await SendToOthers(cpu, Source::kIpi, "K2d", false);
    co_await cpu.wait_until([this, self] { return OthersStopped(self); }, kSec, "K2e");
  }
  bool parked_in_init = false;
  if (v_.park_in_init) parked_in_init = co_await ParkOtherCpusInInit(cpu);
  if (!parked_in_init) {
    const bool all_stopped =
        co_await cpu.hw_op("K2g", "cpumask_empty(cpus_stop_mask)", [this, self] { return OthersStopped(self); });
    if (!all_stopped) {
      co_await cpu.write(stop_nmi_handler_, 1, "K2g");
      m_.Log(cpu.id(), "Shutting down cpus with NMI");
      co_await SendToOthers(cpu, Source::kNmi, "K2g", true);
      co_await cpu.wait_until([this, self] { return OthersStopped(self); }, nmi_wait, "K2g");
    }
  }
  co_await cpu.local("K2h", "disable_local_APIC, mcheck_cpu_clear");
  co_await cpu.hw_op("K2h", "cpumask_clear(cpus_stop_mask)", [this, self] {
    for (Var* bit : stop_mask_) m_.StoreToLine(*bit, 0, static_cast<uint32_t>(self), "K2h");
  });
}

// smp_kick_mwait_play_dead(): for each present, not online CPU that sits in mwait_play_dead (status WAIT),
// rewrite control = KEXEC_HLT every 5 us until status acknowledges, at most 1000 times.
Task<> X86Kernel::KickMwaitPlayDead(Cpu& cpu) {
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id()) continue;
    if (co_await cpu.read(*online_[c], "K2a") == 1) continue;
    if (co_await cpu.read(*md_status_[c], "K2a") != kCpuDeadMwaitWait) continue;
    for (int i = 0; i < kKickAttempts; ++i) {
      if (co_await cpu.read(*md_status_[c], "K2b") == kCpuDeadMwaitKexecHlt) break;
      // The kick is the store itself: it wakes the CPU (its MONITOR) when it becomes visible.
      co_await cpu.write(*md_control_[c], kCpuDeadMwaitKexecHlt, "K2b", [this, c] { m_.RecordKickSent(c); });
      co_await cpu.delay(kKickDelayNs, "K2b");
    }
    if (co_await cpu.read(*md_status_[c], "K2c") != kCpuDeadMwaitKexecHlt && !stuck_reported_) {
      stuck_reported_ = true;  // pr_err_once
      m_.Log(cpu.id(), "CPU" + std::to_string(c) + " is stuck in mwait_play_dead()");
    }
  }
}

// smp_park_other_cpus_in_init(): only with plain INIT/SIPI wakeup, only on the boot CPU, only to CPUs that
// booted once; send_init_sequence() waits for the ICR to go idle (the target accepted the INIT).
Task<bool> X86Kernel::ParkOtherCpusInInit(Cpu& cpu) {
  if (!m_.config().firmware().init_sipi_wakeup()) co_return false;
  if (cpu.id() != m_.config().boot_cpu()) co_return false;
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id() || m_.never_started(c)) continue;
    co_await cpu.ordered_hw_op("K2f", "send INIT", [this, c] { m_.cpu(c).hw().init = true; });
    m_.RecordWakeSent(c);
    const Cpu& target = m_.cpu(c);
    co_await cpu.wait_until(
        [&target] {
          return !target.hw().init || (target.held_sources() & Bit(Source::kInit)) != 0 || target.finished();
        },
        100 * kMs, "K2f");
  }
  co_return true;
}

// stop_this_cpu(): from the reboot vector or the stop NMI: leave the online mask, disable the local APIC,
// acknowledge in cpus_stop_mask (2023), then HLT forever.
Task<> X86Kernel::StopThisCpu(Cpu& cpu) {
  // From here the CPU only runs stop_this_cpu (it never returns): no other kernel code (a panic, an oops) can
  // start on it. Off the online mask but not yet halted, the stopper may already go on.
  cpu.set_location(Location::kTransit);
  co_await cpu.irq_disable("ST1");
  co_await SetCpuOnline(cpu, false, "ST2", /*hotplug=*/false);
  co_await cpu.local("ST3", "disable_local_APIC, mcheck_cpu_clear");
  apic_enabled_[cpu.id()] = false;
  if (v_.robust_stop_mask) co_await cpu.write(*stop_mask_[cpu.id()], 0, "ST4");
  co_await HaltForever(cpu, "ST5");
}

}  // namespace crashdiff::x86
