// Reference profile for powerpc/powernv: the crash wake is a system reset (nothing can clear it, interrupts off
// cannot hold it), offline CPUs are woken into the receiver like every other CPU and return to OPAL; a normal kexec
// collects them the same way (without saving). Hotplug follows targets/ppc/hotplug.cc (HD1/HD2 on the requester,
// D1..D7 on the dying CPU, HU1..HU3, SU1..SU4); a never-started thread is started by firmware on cpu_up.
#include "oracle/reference.h"

namespace crashdiff {
namespace {

// The offline loop with the safe order of DOMAIN §3.3: sleep, clear what woke it, full barrier, then check. It
// returns when cpu_up asked it to (H0), through start_secondary (SU1..SU4).
Task<> PpcOfflineLoop(ReferenceProgram& p, Cpu& cpu) {
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.irq_disable("E1");
  co_await cpu.write(p.dead(cpu.id()), 1, "E3");  // generic_set_cpu_dead
  co_await cpu.barrier("E3");
  const SourceMask wakes = Bit(Source::kHdoorbell) | Bit(Source::kExternal) | Bit(Source::kHvi);
  for (;;) {
    if (co_await cpu.read(p.offline_control(cpu.id()), "H0") == ReferenceProgram::kUp) break;
    const Wake wake = co_await cpu.enter_stop(wakes, /*loses_state=*/false, "L2");
    co_await cpu.local("L3", "nothing lazily pending");
    if (wake.source == Source::kReset) {
      // The wake consumed the reset: replay it like the kernel does (WAKERESET -> system reset handler). With a
      // crash in progress that is the receiver; without one, the operator's dump request (a panic), as for an
      // online CPU.
      co_await cpu.barrier("L5");
      co_await p.Interrupt(cpu, Source::kReset);
      if (p.crashing_cpu().value >= 0) co_return;
    }
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
  co_await cpu.write(p.offline_control(cpu.id()), 0, "SU1");
  co_await p.ComeUp(cpu, "SU2");
  co_await cpu.local("SU3", "cpu_state = CPU_ONLINE");
  co_await cpu.irq_enable("SU4");
}

// take_cpu_down on the dying CPU, then the idle loop's way to cpu_die. Interrupts stay off (the reset, the only
// wake that matters, is non-maskable).
Task<> PpcTakeDown(ReferenceProgram& p, Cpu& cpu) {
  co_await cpu.local("D1", "local_irq_disable");
  co_await cpu.irq_disable("D1b");
  co_await p.SetOnline(cpu, false, "D2");
  co_await cpu.local("D3", "remove_cpu_from_masks");
  co_await cpu.local("D4", "migrate interrupts away");
  co_await cpu.local("D5", "leave the stopper");
  co_await cpu.read(p.online(cpu.id()), "D6");  // do_idle: cpu_is_offline()
  co_await cpu.local("D7", "cpu_die");
}

Task<> PpcKickUp(ReferenceProgram& /*p*/, Cpu& cpu, uint32_t target) {
  co_await cpu.hw_op("HU2", "doorbell", [&cpu, target] { cpu.machine().cpu(target).hw().doorbell = true; });
}

// cpu_up of a thread firmware holds: firmware is asked to start it (opal_start_cpu); HU2 as the kick of an offline
// CPU.
Task<> PpcStartRequest(ReferenceProgram& /*p*/, Cpu& cpu, uint32_t target) {
  co_await cpu.hw_op("HU2", "firmware: start the thread",
                     [&cpu, target] { cpu.machine().cpu(target).QueueFirmwareStart(); });
}

// A thread firmware started enters the OS at the kernel's entry point, on a fresh stack with interrupts off
// (Cpu::StartFromFirmware), sets up its per-CPU area, and comes online as a CPU leaving the offline loop does
// (SU1..SU4).
Task<> PpcBootFromFirmware(ReferenceProgram& p, Cpu& cpu) {
  cpu.set_location(Location::kTransit);
  co_await cpu.local("SS1", "enter the OS: set up the per-CPU area");
  co_await cpu.local("SU1", "start_secondary");
  co_await p.ComeUp(cpu, "SU2");
  co_await cpu.local("SU3", "cpu_state = CPU_ONLINE");
  co_await cpu.irq_enable("SU4");
}

bool PpcCanDown(const Machine& /*m*/, uint32_t /*target*/) {
  return true;
}

Task<> PpcPark(ReferenceProgram& /*p*/, Cpu& cpu, Label label) {
  co_await cpu.enter_firmware(Location::kParkedFw, label);  // opal_return_cpu
}

bool PpcCanUp(const Machine& /*m*/, uint32_t /*target*/) {
  return true;
}

}  // namespace

const ReferenceProfile& PpcReferenceProfile() {
  static const ReferenceProfile kProfile{
      pb::PPC,
      Source::kReset,
      /*arrival_timeout=*/10 * kSec,
      PpcPark,
      PpcOfflineLoop,
      /*wake_offline_into_receiver=*/true,
      /*collect_offline=*/nullptr,
      {Region::kCrashKernel, Region::kLowVectors},
      {Region::kOldKernelText, Region::kOldKernelData, Region::kOldPageTables, Region::kLowVectors},
      /*relocation_holds=*/0,
      {"I2", "I6", "I5a", "I5b", "I7", "I9", "I10", "I11", "I14", "R1", "R2", "R3", "R4", "R5", "N2"},
      {"HD0", "HD1", "HD1", "HD2", "HD4", "HU0", "HU1", "HU1", "HU3", "HU4", /*kexec_lock=*/"KX0", /*kexec_wait=*/"KX1",
       /*process_context_only=*/false, PpcCanDown,
       /*can_up=*/PpcCanUp, PpcTakeDown, PpcKickUp, PpcStartRequest, PpcBootFromFirmware},
      /*oops_entry=*/"DIE",
      /*oops=*/"DIE",
      /*nmi_entry=*/"",
  };
  return kProfile;
}

}  // namespace crashdiff
