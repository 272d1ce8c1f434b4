// Reference profile for x86: the crash wake is an NMI to every online CPU (saved, counted, then HLT with IF=0);
// offline CPUs wait in MWAIT on a dedicated line and are kicked into HLT by the acknowledged handshake of the
// 2023 fix (spec §3.9) before anything is relocated or handed over.
#include "oracle/reference.h"

namespace crashdiff {
namespace {

constexpr uint64_t kKickBudget = 5 * kMs;  // spec §3.9 K2b: 1000 x 5 us per CPU

// The strongest x86 park: wait-for-SIPI holds NMI, SMI and INIT (only a broadcast MCE reaches it). The boot
// CPU is never put into INIT (b1472a60a584: that resets the machine), nor is any CPU when the APIC does not use
// plain INIT/SIPI: those halt with interrupts off.
Task<> X86Park(ReferenceProgram& p, Cpu& cpu, Label label) {
  const pb::Machine& m = p.machine().config();
  if (m.firmware().init_sipi_wakeup() && cpu.id() != m.boot_cpu()) {
    cpu.set_held_sources(Bit(Source::kNmi) | Bit(Source::kSmi) | Bit(Source::kInit));
    co_await cpu.park(Location::kParkedInit, label);
  } else {
    co_await cpu.park(Location::kParkedHlt, label);
  }
}

Task<> X86OfflineLoop(ReferenceProgram& p, Cpu& cpu) {
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.irq_disable("O1");
  Var& control = p.offline_control(cpu.id());
  co_await cpu.local("O2", "dedicated line; wbinvd");
  for (;;) {
    co_await cpu.barrier("O3a");
    co_await cpu.local("O3a", "clflush");
    co_await cpu.barrier("O3a");
    co_await cpu.monitor(control, "O3b");
    co_await cpu.barrier("O3c");
    // Check after arming the monitor: a kick written before MONITOR is seen here, one written after fires it.
    if (co_await cpu.read(control, "O4") == ReferenceProgram::kKick) break;
    co_await cpu.mwait("O3d");
  }
  co_await p.Park(cpu, "O4h");
}

Task<> X86CollectOffline(ReferenceProgram& p, Cpu& initiator) {
  Machine& m = p.machine();
  for (uint32_t c = 0; c < m.num_cpus(); ++c) {
    if (c == initiator.id() || m.initially_online(c) || m.never_started(c)) continue;
    m.RecordWakeSent(c);
    co_await initiator.write(p.offline_control(c), ReferenceProgram::kKick, "K2b");
    co_await p.WaitParked(initiator, c, kKickBudget, "K2c");
  }
}

}  // namespace

const ReferenceProfile& X86ReferenceProfile() {
  static const ReferenceProfile kProfile{
      pb::X86,
      Source::kNmi,
      X86Park,
      X86OfflineLoop,
      /*wake_offline_into_receiver=*/false,
      X86CollectOffline,
      {Region::kCrashKernel},
      {Region::kOldKernelText, Region::kOldKernelData, Region::kOldPageTables},
      {"C2", "C5", "C6", "C6", "C8", "C9", "C10", "C11", "K4", "X2", "X3", "X5", "X5w", "X6", "X1"},
  };
  return kProfile;
}

}  // namespace crashdiff
