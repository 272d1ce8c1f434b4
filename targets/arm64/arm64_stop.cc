// Stopping the other CPUs. Models torvalds/linux arch/arm64/kernel/smp.c (v6.7+, after "arm64: smp: IPI_CPU_STOP
// and IPI_CPU_CRASH_STOP should try for NMI"): smp_send_stop() (A1-A4), ipi_cpu_crash_stop() and
// local_cpu_stop(); the receiver masks DAIF first so a late pseudo-NMI cannot interrupt it (DOMAIN §3.11, S42).
#include <string>

#include "targets/arm64/arm64_kernel.h"

namespace crashdiff::arm64 {

Task<> Arm64Kernel::SmpSendStop(Cpu& cpu) {
  const uint32_t self = cpu.id();
  // A1: nothing to do when no other CPU is online; only the first caller proceeds.
  if (co_await NumOtherOnline(cpu, "A1") == 0) {
    co_await cpu.local("A4", "sdei_mask_local_cpu");
    co_return;
  }
  if (co_await cpu.cmpxchg(stop_in_progress_, 0, 1, "A1") != 0) co_return;
  // A2: IPI_CPU_STOP to a snapshot of the other online CPUs; wait up to 1 s.
  m_.Log(self, "SMP: stopping secondary CPUs");
  co_await cpu.ordered_hw_op("A2", "smp_cross_call(IPI_CPU_STOP)", [this, self] {
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      if (c == self || online_[c]->value != 1) continue;
      m_.cpu(c).hw().ipi_vectors.insert(kIpiCpuStop);
      m_.RecordWakeSent(c);
    }
  });
  co_await cpu.wait_until([this, self] { return !OthersOnline(self); }, kSec, "A2");
  // A3: still online and pseudo-NMI available: IPI_CPU_STOP_NMI to a new snapshot, wait up to 10 ms.
  if (co_await NumOtherOnline(cpu, "A3") != 0 && m_.config().firmware().pseudo_nmi()) {
    std::string cpus;
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      if (c == self || online_[c]->value != 1) continue;
      cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    }
    m_.Log(self, "SMP: retry stop with NMI for CPUs " + cpus);
    co_await cpu.ordered_hw_op("A3", "smp_cross_call(IPI_CPU_STOP_NMI)", [this, self] {
      for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
        if (c == self || online_[c]->value != 1) continue;
        m_.StoreToLine(*stop_nmi_pending_[c], 1, self, "A3");
        m_.cpu(c).hw().nmi = true;
        m_.RecordWakeSent(c);
      }
    });
    co_await cpu.wait_until([this, self] { return !OthersOnline(self); }, 10 * kMs, "A3");
  }
  // A4: report whoever is left.
  if (co_await NumOtherOnline(cpu, "A4") != 0) {
    std::string cpus;
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      if (c != self && online_[c]->value == 1) cpus += (cpus.empty() ? "" : ",") + std::to_string(c);
    }
    m_.Log(self, "SMP: failed to stop secondary CPUs " + cpus);
  }
  co_await cpu.local("A4", "sdei_mask_local_cpu");
}

Task<> Arm64Kernel::IpiCpuStop(Cpu& cpu) {
  if (co_await cpu.read(crash_stop_, "AR0") == 1) {
    co_await IpiCpuCrashStop(cpu);
  } else {
    co_await LocalCpuStop(cpu);
  }
}

// ipi_cpu_crash_stop(): mask DAIF, save registers, leave the online mask (the initiator's acknowledgement),
// mask SDEI, try CPU_OFF; if there is none or it returns, cpu_park_loop() in kernel text.
Task<> Arm64Kernel::IpiCpuCrashStop(Cpu& cpu) {
  co_await DaifMask(cpu, "AR1");
  co_await cpu.local("AR2", "crash_save_cpu");
  m_.RecordSave(cpu.id(), true);
  co_await SetCpuOnline(cpu, false, "AR3", /*hotplug=*/false);
  m_.RecordResponse(cpu.id());
  cpu.set_location(Location::kTransit);  // acknowledged; CPU_OFF not yet reached
  co_await cpu.local("AR4", "sdei_mask_local_cpu");
  if (PsciCanTurnOff(cpu.id())) {
    co_await cpu.enter_firmware(Location::kParkedFw, "AR5");
    co_return;
  }
  co_await cpu.local("AR5", "CPU_OFF unavailable or returned: cpu_park_loop");
  co_await cpu.park(Location::kLoserSpin, "AR5");
}

// local_cpu_stop(): the non-crash stop, and arm64's panic_smp_self_stop() override: leave the online mask, mask
// DAIF and SDEI, cpu_park_loop() in kernel text. Registers are not saved.
Task<> Arm64Kernel::LocalCpuStop(Cpu& cpu) {
  co_await SetCpuOnline(cpu, false, "AL1", /*hotplug=*/false);
  cpu.set_location(Location::kTransit);
  co_await DaifMask(cpu, "AL2");
  co_await cpu.local("AL3", "sdei_mask_local_cpu");
  co_await cpu.park(Location::kLoserSpin, "AL4");
}

}  // namespace crashdiff::arm64
