// Reference profile for arm64: offline CPUs are already in firmware (PSCI CPU_OFF never returns); the crash
// stop is an NMI (an idealised IPI_CPU_STOP that masked exceptions cannot hold) and stopped CPUs call CPU_OFF.
#include "oracle/reference.h"

namespace crashdiff {
namespace {

Task<> Arm64OfflineLoop(ReferenceProgram& p, Cpu& cpu) {
  co_await cpu.irq_disable("D1");
  if (cpu.machine().config().platform() == pb::ARM64_SPIN_TABLE) {
    // Spin-table CPUs cannot be turned off: they spin in the hold loop until released.
    p.MarkParked(cpu.id());
    co_await cpu.park(Location::kParkedSpin, "D2");
  } else {
    co_await cpu.enter_firmware(Location::kParkedFw, "D2");
  }
}

Task<> Arm64Park(ReferenceProgram& p, Cpu& cpu, Label label) {
  if (p.machine().config().platform() == pb::ARM64_SPIN_TABLE) {
    // No CPU_OFF: exceptions masked, spin until the next kernel releases it.
    co_await cpu.park(Location::kParkedSpin, label);
  } else {
    co_await cpu.enter_firmware(Location::kParkedFw, label);  // PSCI CPU_OFF
  }
}

}  // namespace

const ReferenceProfile& Arm64ReferenceProfile() {
  static const ReferenceProfile kProfile{
      pb::ARM64,
      Source::kNmi,
      Arm64Park,
      Arm64OfflineLoop,
      /*wake_offline_into_receiver=*/false,
      /*collect_offline=*/nullptr,
      {Region::kCrashKernel},
      {Region::kOldKernelText, Region::kOldKernelData, Region::kOldPageTables},
      {"A0", "A1", "A2", "A2", "A2w", "A5", "A6", "A6w", "A7", "R1", "R2", "R3", "R4", "R5", "N1"},
  };
  return kProfile;
}

}  // namespace crashdiff
