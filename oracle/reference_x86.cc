// Reference profile for x86: the crash wake is an NMI to every online CPU (saved, counted, then HLT with IF=0);
// offline CPUs wait in MWAIT on a dedicated line and are kicked into HLT by the acknowledged handshake of the
// 2023 fix (spec §3.9) before anything is relocated or handed over.
#include "oracle/reference.h"

namespace crashdiff {
namespace {

constexpr uint64_t kKickBudget = 5 * kMs;  // spec §3.9 K2b: 1000 x 5 us per CPU

Task<> X86OfflineLoop(ReferenceProgram& p, Cpu& cpu) {
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.irq_disable("ref-O1");
  Var& control = p.offline_control(cpu.id());
  for (;;) {
    co_await cpu.monitor(control, "ref-O3");
    // Check after arming the monitor: a kick written before MONITOR is seen here, one written after fires it.
    if (co_await cpu.read(control, "ref-O4") == ReferenceProgram::kKick) break;
    co_await cpu.mwait("ref-O3m");
  }
  co_await cpu.park(Location::kParkedHlt, "ref-O5");
}

Task<> X86CollectOffline(ReferenceProgram& p, Cpu& initiator) {
  Machine& m = p.machine();
  for (uint32_t c = 0; c < m.num_cpus(); ++c) {
    if (c == initiator.id() || m.initially_online(c) || m.never_started(c)) continue;
    m.RecordWakeSent(c);
    co_await initiator.write(p.offline_control(c), ReferenceProgram::kKick, "ref-K2b");
    co_await p.WaitParked(initiator, c, kKickBudget, "ref-K2c");
  }
}

}  // namespace

const ReferenceProfile& X86ReferenceProfile() {
  static const ReferenceProfile kProfile{
      pb::X86,
      Source::kNmi,
      Location::kParkedHlt,
      /*park_in_firmware=*/false,
      X86OfflineLoop,
      /*wake_offline_into_receiver=*/false,
      X86CollectOffline,
      {Region::kCrashKernel},
      {Region::kOldKernelText, Region::kOldKernelData, Region::kOldPageTables},
  };
  return kProfile;
}

}  // namespace crashdiff
