// Reference profile for powerpc/powernv: the crash wake is a system reset (nothing can clear it, interrupts off
// cannot hold it), offline CPUs are woken into the receiver like every other CPU and return to OPAL.
#include "oracle/reference.h"

namespace crashdiff {
namespace {

// The offline loop with the spec's safe order (§3.3): sleep, clear what woke it, full barrier, then check.
Task<> PpcOfflineLoop(ReferenceProgram& p, Cpu& cpu) {
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.irq_disable("E1");
  const SourceMask wakes = Bit(Source::kHdoorbell) | Bit(Source::kExternal) | Bit(Source::kHvi);
  for (;;) {
    co_await cpu.enter_stop(wakes, /*loses_state=*/false, "L2");
    co_await cpu.local("L3", "nothing lazily pending");
    // Drop every clearable wake source: an offline CPU has nothing to do with any of them.
    co_await cpu.hw_op("L4", "clear wake sources", [&cpu] {
      CpuHw& hw = cpu.hw();
      hw.doorbell = false;
      hw.mfrr = kMfrrNone;
      hw.device_pending.clear();
      hw.xive_queue.clear();
      hw.ipi_vectors.clear();
      hw.dec = false;
    });
    co_await cpu.barrier("L5");
    if (co_await cpu.read(p.crashing_cpu(), "L6") >= 0) {
      co_await p.Receiver(cpu);
      co_return;
    }
  }
}

Task<> PpcPark(ReferenceProgram& /*p*/, Cpu& cpu, Label label) {
  co_await cpu.enter_firmware(Location::kParkedFw, label);  // opal_return_cpu
}

}  // namespace

const ReferenceProfile& PpcReferenceProfile() {
  static const ReferenceProfile kProfile{
      pb::PPC,
      Source::kReset,
      PpcPark,
      PpcOfflineLoop,
      /*wake_offline_into_receiver=*/true,
      /*collect_offline=*/nullptr,
      {Region::kCrashKernel, Region::kLowVectors},
      {Region::kOldKernelText, Region::kOldKernelData, Region::kOldPageTables, Region::kLowVectors},
      {"I2", "I6", "I5a", "I5b", "I7", "I9", "I10", "I11", "I14", "R1", "R2", "R3", "R4", "R5", "N2"},
  };
  return kProfile;
}

}  // namespace crashdiff
