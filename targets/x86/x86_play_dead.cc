// Offline x86 CPUs. Models torvalds/linux arch/x86/kernel/smpboot.c:
//  - mwait_play_dead() before 2023: MONITOR on the idle task's thread-info flags (an ordinary data line), loop
//    CLFLUSH/MONITOR/MWAIT forever (DOMAIN §3.8, S31/S32);
//  - mwait_play_dead() after f9c9987bf52f "Use dedicated cache-line for mwait_play_dead()" and d7893093a741
//    "Cure kexec() vs. mwait_play_dead() breakage": a per-CPU {control, status} record, status = WAIT, and a HLT
//    loop once control reads KEXEC_HLT (DOMAIN §3.9, S34);
//  - hlt_play_dead() for CPUs without a usable MWAIT (platform X86_HLT);
//  - smp_callin()'s mop-up of the record (O0), and INIT: wait-for-SIPI (45e34c8af58f, SDM).
// The monitored line and the loop's code are old-kernel memory: a relocation write that wakes the CPU makes it
// resume in replaced memory, which the simulator turns into DEAD_CORRUPT by itself.
#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {

Task<> X86Kernel::SmpCallin(Cpu& cpu) {
  if (!v_.dedicated_mwait_line) co_return;
  // O0: a CPU coming online mops up whatever a previous life left in its record.
  co_await cpu.write(*md_status_[cpu.id()], 0, "O0");
  co_await cpu.write(*md_control_[cpu.id()], 0, "O0");
}

Task<> X86Kernel::PlayDead(Cpu& cpu) {
  // O1: common play-dead: the idle task leaves, reports the CPU dead, interrupts off. The local APIC is already
  // soft-disabled: native_cpu_disable() did it in take_cpu_down (TakeCpuDown), not play_dead.
  co_await cpu.irq_disable("O1");
  cpu.set_location(Location::kOfflineLoop);
  co_await cpu.write(*cpu_dead_[cpu.id()], 1, "O1");  // report dead
  if (m_.config().platform() == pb::X86_HLT) {
    co_await cpu.local("O2", "hlt_play_dead: wbinvd");
    co_await HaltForever(cpu, "OH");
    co_return;
  }
  if (v_.dedicated_mwait_line) {
    co_await MwaitPlayDeadDedicated(cpu);
  } else {
    co_await MwaitPlayDeadThreadFlags(cpu);
  }
}

Task<> X86Kernel::MwaitPlayDeadThreadFlags(Cpu& cpu) {
  co_await cpu.local("O2", "CPUID leaf 5 hint; monitor idle thread flags; wbinvd");
  Var& line = *thread_flags_[cpu.id()];
  for (;;) {
    co_await cpu.barrier("O3a");
    co_await cpu.local("O3a", "clflush idle thread flags");
    co_await cpu.barrier("O3a");
    co_await cpu.monitor(line, "O3b");
    co_await cpu.barrier("O3c");
    co_await cpu.mwait("O3d");
    // Only CPU 0 checks for a hibernation-restore wake here; nothing else leaves the loop.
  }
}

Task<> X86Kernel::MwaitPlayDeadDedicated(Cpu& cpu) {
  Var& control = *md_control_[cpu.id()];
  Var& status = *md_status_[cpu.id()];
  co_await cpu.write(status, kCpuDeadMwaitWait, "O2");
  co_await cpu.write(control, kCpuDeadMwaitWait, "O2");
  co_await cpu.local("O2", "CPUID leaf 5 hint; wbinvd");
  for (;;) {
    co_await cpu.barrier("O3a");
    co_await cpu.local("O3a", "clflush mwait_cpu_dead");
    co_await cpu.barrier("O3a");
    // The record is one cache line; control is the field other agents store to.
    co_await cpu.monitor(control, "O3b");
    co_await cpu.barrier("O3c");
    co_await cpu.mwait("O3d");
    if (co_await cpu.read(control, "O4") == kCpuDeadMwaitKexecHlt) {
      // Kexec is coming: acknowledge and never go back into MWAIT.
      co_await cpu.write(status, kCpuDeadMwaitKexecHlt, "O4");
      co_await HaltForever(cpu, "O4h");
    }
  }
}

Task<> X86Kernel::HaltForever(Cpu& cpu, Label label) {
  // HLT with IF=0: NMI, SMI, MCE and INIT resume it; the loop then halts again (from old-kernel text).
  cpu.set_location(Location::kParkedHlt);
  for (;;) co_await cpu.hlt(label);
}

Task<> X86Kernel::WaitForSipi(Cpu& cpu) {
  // INIT resets the CPU into wait-for-SIPI: no instruction is fetched, NMI/SMI/INIT are held pending, the monitor
  // is disarmed. A machine check still gets in (spec: INIT is weak only against broadcast MCE).
  in_wait_for_sipi_[cpu.id()] = true;
  cpu.set_monitored(nullptr);
  cpu.set_held_sources(Bit(Source::kNmi) | Bit(Source::kSmi) | Bit(Source::kInit));
  cpu.set_code_region(Region::kFirmware);
  cpu.set_location(Location::kParkedInit);
  Var& sipi = *sipi_[cpu.id()];
  co_await cpu.wait_until([&sipi] { return sipi.value == 1; }, kForever, "INIT");
  // STARTUP IPI: boot again through the trampoline (cpu_up). Never returns to the interrupted code.
  co_await StartSecondary(cpu);
}

Task<> X86Kernel::MachineCheck(Cpu& cpu) {
  if (in_wait_for_sipi_[cpu.id()]) {
    // CR4.MCE is clear after INIT: the processor shuts down and executes nothing, so there is no step to record
    // (a step would read as code run, e.g. after relocation started). The simulator has already turned the
    // delivery into DEAD_CORRUPT if the vector memory was replaced; otherwise the model leaves the CPU where it is
    // (the shutdown is not modelled further).
    co_return;
  }
  co_await cpu.local("MC", "do_machine_check: log and recover");
}

}  // namespace crashdiff::x86
