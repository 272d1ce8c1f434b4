// The crash receiver and its entry paths (DOMAIN §2.9): arch/powerpc/kexec/crash.c crash_ipi_callback and
// crash_kexec_secondary (S18/S22), arch/powerpc/kernel/traps.c system_reset_exception (S25), powernv
// pnv_kexec_cpu_down(1, 1) (S20), kernel/smp.c nmi_stop_this_cpu / v4.14 stop_this_cpu (smp_send_stop). Versions
// side by side: crash_ipi_callback (CrashIpiCb), the stop function (SendStop).
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

Task<> PpcKernel::CrashIpiCallback(Cpu& cpu, Regs regs) {
  switch (v_.crash_ipi_callback) {
    case CrashIpiCb::kV4_14: return CrashIpiCallbackV4_14(cpu, regs);
    case CrashIpiCb::kNoOnlineTest: return CrashIpiCallbackNoOnlineTest(cpu, regs);
  }
  return CrashIpiCallbackNoOnlineTest(cpu, regs);
}

// v4.14: "if (!cpu_online(cpu)) return" first (R0), then as below.
Task<> PpcKernel::CrashIpiCallbackV4_14(Cpu& cpu, Regs regs) {
  if (!co_await s_.online_mask.Test(cpu, cpu.id(), "R0")) co_return;
  co_await CrashIpiCallbackNoOnlineTest(cpu, regs);
}

// From "powerpc/crash: Remove the test for cpu_online in the IPI callback" (the parent of 4145f358644b; its id was
// not found, DOMAIN §9) on: an offline CPU woken by the crash is collected like any other.
Task<> PpcKernel::CrashIpiCallbackNoOnlineTest(Cpu& cpu, Regs regs) {
  // From here the CPU runs only crash_ipi_callback, which never returns: no other kernel code (a panic, an oops)
  // starts on it any more.
  cpu.set_location(Location::kReceiverWait);
  co_await cpu.irq_disable("R1");  // hard_irq_disable
  // cpumask_test_cpu (a read of this CPU's bit only), crash_save_cpu, cpumask_set_cpu (set_bit: atomic, returns
  // nothing); then atomic_inc(&cpus_in_crash) (returns nothing) and smp_mb__after_atomic (torvalds/linux
  // arch/powerpc/kexec/crash.c crash_ipi_callback, read at f4d8f354d753). The model learns only its own bit, and
  // nothing of the count: receivers that finish in another order reach the same state (docs/EXPLORE.md).
  if (!co_await s_.cpus_state_saved.TestBit(cpu, cpu.id(), "R2")) {
    co_await cpu.local("R2", regs.valid ? "crash_save_cpu(regs)" : "crash_save_cpu(NULL)");
    m_.RecordSave(cpu.id(), regs.valid);
    co_await s_.cpus_state_saved.SetBit(cpu, cpu.id(), "R2");
  }
  co_await cpu.atomic_add(s_.cpus_in_crash, 1, "R3");
  m_.RecordResponse(cpu.id());
  co_await cpu.barrier("R3");
  Var& go = s_.time_to_dump;
  co_await cpu.wait_until([&go] { return go.value != 0; }, kForever, "R4");
  cpu.set_location(Location::kTransit);
  co_await PnvKexecCpuDownSecondary(cpu, "R5");  // pnv_kexec_cpu_down(1, 1)
}

// pnv_kexec_cpu_down(crash_shutdown, 1) (platforms/powernv/setup.c, S20), the same for a crash (1, 1) and a normal
// kexec's kexec_smp_down (0, 1): interrupt-controller teardown, kexec_state = REAL_MODE, back to OPAL.
Task<> PpcKernel::PnvKexecCpuDownSecondary(Cpu& cpu, Label l) {
  if (XiveEnabled()) {
    co_await cpu.hw_op(l, "xive_teardown_cpu", [&cpu] { cpu.hw().xive_queue.clear(); });
  } else {
    co_await cpu.hw_store(
        l, "xics_kexec_teardown_cpu: MFRR = 0xff", [&cpu] { cpu.hw().mfrr = kMfrrNone; }, /*sync_first=*/true);
  }
  co_await cpu.barrier(l);
  co_await cpu.write(*pc(cpu).kexec_state, kKexecStateRealMode, l);
  co_await cpu.barrier(l);
  // opal_return_cpu(): skiboot's cpu_callin marks the thread held (cpu_state_active) and it runs skiboot's job loop;
  // it does not come back, unless an operator's reset takes it to the old kernel's 0x100 with its paca intact.
  co_await cpu.enter_firmware(Location::kParkedFw, l, FwReset::kToOsVector);
}

// N2: system reset (firmware NMI, operator dumprestart, or a reset wake replayed by the offline loop).
Task<> PpcKernel::SystemResetException(Cpu& cpu, Regs regs) {
  co_await cpu.local("N2", "system_reset_exception");
  if (co_await NmiIpiHandle(cpu, regs)) co_return;  // ppc_md.system_reset_exception = NMI IPI handler
  // debugger(regs): during the initiator's operator wait the fault hook longjmps its owner back to setjmp.
  if (co_await cpu.read(s_.crash_shutdown_cpu, "N2") == cpu.id()) {
    co_await cpu.local("N2", "handle_fault: longjmp(crash_shutdown_buf)");
    pc(cpu).longjmp_pending = true;
    co_return;
  }
  co_await crash_.CrashKexec(cpu, regs);    // returns: lost arbitration (or nothing to hand over to)
  co_await CrashKexecSecondary(cpu, regs);  // returns: no crash in progress within 1 s
  co_await Die(cpu, "System Reset", regs);
}

Task<> PpcKernel::CrashKexecSecondary(Cpu& cpu, Regs regs) {
  co_await cpu.local("N2", "crash_kexec_secondary: local_irq_save");
  Var& crashing = s_.crashing_cpu;
  const bool crashing_seen =
      co_await cpu.wait_until([&crashing] { return crashing.value >= 0; }, kSecondaryTimeoutNs, "N2");
  if (!crashing_seen) co_return;
  co_await CrashIpiCallback(cpu, regs);
}

// nmi_stop_this_cpu(): smp_send_stop's function on the other CPUs in the NMI-IPI era, one version per SendStop.
Task<> PpcKernel::NmiStopThisCpu(Cpu& cpu) {
  switch (v_.send_stop) {
    case SendStop::k6bed3237: return NmiStopThisCpu6bed3237(cpu);
    case SendStop::k88b9a3d1: return NmiStopThisCpu88b9a3d1(cpu);
    case SendStop::kV4_14:  // sends no NMI stop
    case SendStop::kBab26238: break;
  }
  return NmiStopThisCpuBab26238(cpu);
}

// The busy-count era (6bed3237624e "powerpc: use NMI IPI for smp_send_stop", v4.17, with de6e5d38417e "powerpc:
// smp_send_stop do not offline stopped CPUs"): the function never returns, so it gives back the busy count its
// handler took ("Mark it done now"; 88b9a3d1425a removed it with the count) and spins. It stays online: the crash
// round's snapshot, crash_kexec_wait_realmode and the OPAL wait still include it. The handler has already
// hard-disabled interrupts. [I] The commit that added the give-back is not verified (its diff is not in the index).
Task<> PpcKernel::NmiStopThisCpu6bed3237(Cpu& cpu) {
  cpu.set_location(Location::kTransit);  // from its entry the CPU runs only this function: nothing else starts
  co_await NmiLock(cpu, "STOP");
  if (co_await cpu.read(s_.nmi_busy, "STOP") > 1) co_await cpu.fetch_add(s_.nmi_busy, -1, "STOP");
  co_await NmiUnlock(cpu, "STOP");
  co_await cpu.irq_disable("STOP");
  co_await cpu.park(Location::kLoserSpin, "STOP");
}

// 88b9a3d1425a (busy flag, v5.x) until bab26238bbd4: nothing to give back, still no set_cpu_online(false): the
// stopped CPU stays in cpu_online_mask.
Task<> PpcKernel::NmiStopThisCpu88b9a3d1(Cpu& cpu) {
  cpu.set_location(Location::kTransit);
  co_await cpu.irq_disable("STOP");
  co_await cpu.park(Location::kLoserSpin, "STOP");
}

// bab26238bbd4 (2021) nmi_stop_this_cpu(): mark ourselves offline again (printk's panic flush wants to know), then
// spin forever in old-kernel text. The NMI handler has already hard-disabled interrupts.
Task<> PpcKernel::NmiStopThisCpuBab26238(Cpu& cpu) {
  cpu.set_location(Location::kTransit);  // from its entry the CPU runs only this function: nothing else starts
  co_await SetOnline(cpu, cpu.id(), false, "STOP", /*hotplug=*/false);
  co_await cpu.irq_disable("STOP");
  co_await cpu.park(Location::kLoserSpin, "STOP");
}

// v4.14 stop_this_cpu(void *) (smp_call_function's callback): set_cpu_online(false), local_irq_disable(),
// while (1). It runs from the IPI handler (or the dying CPU's queue flush), so MSR[EE] is already off; the soft
// mask is set on top. It never touches the NMI-IPI layer.
Task<> PpcKernel::StopThisCpuV4_14(Cpu& cpu) {
  cpu.set_location(Location::kTransit);  // as the NMI versions: no oops or panic can start inside it
  co_await SetOnline(cpu, cpu.id(), false, "STOP", /*hotplug=*/false);
  co_await SoftIrqDisable(cpu, "STOP");
  co_await cpu.park(Location::kLoserSpin, "STOP");
}

}  // namespace crashdiff::ppc
