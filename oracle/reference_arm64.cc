// Reference profile for arm64: offline CPUs are already in firmware (PSCI CPU_OFF never returns); the crash
// stop is an NMI (an idealised IPI_CPU_STOP that masked exceptions cannot hold) and stopped CPUs call CPU_OFF.
#include "oracle/reference.h"

namespace crashdiff {
namespace {

// cpu_die (targets/arm64/arm64_hotplug.cc labels): mask (AD1), report dead (AD2), PSCI CPU_OFF (AD3); never
// returns: a later cpu_up's CPU_ON starts the core afresh at Arm64FirmwareEntry.
Task<> Arm64OfflineLoop(ReferenceProgram& p, Cpu& cpu) {
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.irq_disable("AD1");
  if (cpu.machine().config().platform() == pb::ARM64_SPIN_TABLE) {
    // Spin-table CPUs cannot be turned off: they spin in the hold loop until released.
    p.MarkParked(cpu.id());
    co_await cpu.park(Location::kParkedSpin, "AD4");
  } else {
    co_await cpu.write(p.dead(cpu.id()), 1, "AD2");
    co_await cpu.enter_firmware(Location::kParkedFw, "AD3");
  }
}

// take_cpu_down: __cpu_disable leaves the online mask, migrates interrupts; then cpu_die.
Task<> Arm64TakeDown(ReferenceProgram& p, Cpu& cpu) {
  co_await cpu.irq_disable("HP2");
  co_await p.SetOnline(cpu, false, "HP2");
  co_await cpu.local("HP2", "irq_migrate_all_off_this_cpu");
}

// PSCI CPU_ON as the protocol needs it: firmware starts a core that is off (in firmware, not already starting);
// a core that is on is left alone. The requester then waits for the online report (the engine's up_wait). A
// never-started core (maxcpus=) is OFF to firmware too, so it is also the start request.
Task<> Arm64KickUp(ReferenceProgram& p, Cpu& cpu, uint32_t target) {
  Cpu& t = p.machine().cpu(target);
  co_await cpu.ordered_hw_op("HU2", "PSCI CPU_ON", [&t] {
    const bool off = t.in_firmware() && !t.finished() && !t.firmware_start_queued();
    if (off) t.QueueFirmwareStart();
    return off ? 0 : -1;
  });
}

// The started core (interrupts masked; the crash wake, an NMI, is not) comes back online first, then unmasks:
// joining the online set, then checking for a crash already under way (ComeUp), leaves no window in which a crash
// misses it.
Task<> Arm64FirmwareEntry(ReferenceProgram& p, Cpu& cpu) {
  cpu.set_location(Location::kRunOld);
  co_await p.ComeUp(cpu, "AS2");
  co_await cpu.irq_enable("AS3");
}

bool Arm64CanDown(const Machine& m, uint32_t /*target*/) {
  return m.config().platform() != pb::ARM64_SPIN_TABLE;  // spin-table has no cpu_die
}

bool Arm64CanUp(const Machine& m, uint32_t /*target*/) {
  return m.config().platform() != pb::ARM64_SPIN_TABLE;  // no CPU is hotpluggable there
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
      /*arrival_timeout=*/1 * kSec,
      Arm64Park,
      Arm64OfflineLoop,
      /*wake_offline_into_receiver=*/false,
      /*collect_offline=*/nullptr,
      {Region::kCrashKernel},
      {Region::kOldKernelText, Region::kOldKernelData, Region::kOldPageTables},
      /*relocation_holds=*/Bit(Source::kNmi),
      {"A0", "A1", "A2", "A2", "A2w", "A5", "A6", "A6w", "A7", "R1", "R2", "R3", "R4", "R5", "N1"},
      {"HP0", "HP1", "HP1", "HP3", "HP4", "HU0", "HU1", "HU1", "HU3", "HU4", /*kexec_lock=*/"K0", /*kexec_wait=*/"K1",
       /*process_context_only=*/true, Arm64CanDown, Arm64CanUp, Arm64TakeDown, Arm64KickUp,
       /*start_request=*/Arm64KickUp, Arm64FirmwareEntry},
      /*oops_entry=*/"D0",
      /*oops=*/"D2",
      /*nmi_entry=*/"",
  };
  return kProfile;
}

}  // namespace crashdiff
