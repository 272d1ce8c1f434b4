// Reference profile for x86: the crash wake is an NMI to every online CPU (saved, counted, then HLT with IF=0);
// offline CPUs wait in MWAIT on a dedicated line and are kicked into HLT by the acknowledged handshake of the
// 2023 fix (DOMAIN §3.9) before anything is relocated or handed over. Hotplug follows targets/x86/x86_hotplug.cc
// (HD0..HD4, HU0..HU4; the dying CPU's HD2, then O1..).
#include "oracle/reference.h"

namespace crashdiff {
namespace {

constexpr uint64_t kKickBudget = 5 * kMs;  // DOMAIN §3.9 K2b: 1000 x 5 us per CPU

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

// mwait_play_dead on a dedicated line (DOMAIN §3.9): the kick (K2b) parks it for kexec; cpu_up (kUp) brings it back
// through start_secondary (O0, HU2).
Task<> X86OfflineLoop(ReferenceProgram& p, Cpu& cpu) {
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.irq_disable("O1");
  co_await cpu.write(p.dead(cpu.id()), 1, "O1");  // report dead
  Var& control = p.offline_control(cpu.id());
  co_await cpu.local("O2", "dedicated line; wbinvd");
  for (;;) {
    co_await cpu.barrier("O3a");
    co_await cpu.local("O3a", "clflush");
    co_await cpu.barrier("O3a");
    co_await cpu.monitor(control, "O3b");
    co_await cpu.barrier("O3c");
    // Check after arming the monitor: a kick written before MONITOR is seen here, one written after fires it.
    const int64_t v = co_await cpu.read(control, "O4");
    if (v == ReferenceProgram::kKick) break;
    if (v == ReferenceProgram::kUp) {
      co_await cpu.write(control, 0, "O0");  // smp_callin's mop-up
      co_await p.ComeUp(cpu, "HU2");
      co_await cpu.irq_enable("HU2");
      co_return;
    }
    co_await cpu.mwait("O3d");
  }
  co_await p.Park(cpu, "O4h");
}

// take_cpu_down: leave the online mask, migrate interrupts; then play dead.
Task<> X86TakeDown(ReferenceProgram& p, Cpu& cpu) {
  co_await p.SetOnline(cpu, false, "HD2");
  co_await cpu.local("HD2", "fixup_irqs");
}

Task<> X86KickUp(ReferenceProgram& /*p*/, Cpu& cpu, uint32_t /*target*/) {
  co_await cpu.local("HU2", "STARTUP IPI");  // the store to the loop's line (HU1) already woke it
}

bool X86CanDown(const Machine& m, uint32_t target) {
  return target != m.config().boot_cpu();  // the boot CPU is not hot-pluggable
}

Task<> X86CollectOffline(ReferenceProgram& p, Cpu& initiator) {
  Machine& m = p.machine();
  for (uint32_t c = 0; c < m.num_cpus(); ++c) {
    // Offline now (hotplug may have changed the set), and not collected through the receiver already.
    if (c == initiator.id() || p.is_online(c) || m.never_started(c) || p.in_receiver(c)) continue;
    // The kick is the store: it reaches the CPU when it becomes visible (at once, or when its buffer commits it).
    co_await initiator.write(p.offline_control(c), ReferenceProgram::kKick, "K2b", [&m, c] { m.RecordWakeSent(c); });
    co_await p.WaitParked(initiator, c, kKickBudget, "K2c");
  }
}

bool X86CanUp(const Machine& /*m*/, uint32_t /*target*/) {
  return true;
}

}  // namespace

const ReferenceProfile& X86ReferenceProfile() {
  static const ReferenceProfile kProfile{
      pb::X86,
      Source::kNmi,
      /*arrival_timeout=*/1 * kSec,
      X86Park,
      X86OfflineLoop,
      /*wake_offline_into_receiver=*/false,
      X86CollectOffline,
      {Region::kCrashKernel},
      {Region::kOldKernelText, Region::kOldKernelData, Region::kOldPageTables},
      /*relocation_holds=*/0,
      {"C2", "C5", "C6", "C6", "C8", "C9", "C10", "C11", "K4", "X2", "X3", "X5", "X5w", "X6", "X1"},
      {"HD0", "HD1", "HD1", "HD3", "HD4", "HU0", "HU1", "HU1", "HU3", "HU4", /*kexec_lock=*/"K0", /*kexec_wait=*/"K1",
       /*process_context_only=*/true, X86CanDown,
       /*can_up=*/X86CanUp, X86TakeDown, X86KickUp, /*start_request=*/nullptr, /*firmware_entry=*/nullptr},
      /*oops_entry=*/"D0",
      /*oops=*/"D2",
      /*nmi_entry=*/"N0",
  };
  return kProfile;
}

}  // namespace crashdiff
