// Who becomes the initiator (DOMAIN §2.7, §4): kernel/panic.c panic() and panic_smp_self_stop (generic weak form),
// kernel/kexec_core.c crash_kexec / __crash_kexec (2017-era mutex_trylock; kexec_trylock later, same effect),
// crash_smp_send_stop (generic, and the 2022 powerpc override), arch/powerpc/kernel/traps.c die().
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

Task<> PpcKernel::Panic(Cpu& cpu, std::string why) {
  co_await SoftIrqDisable(cpu, "P1");
  m_.RecordPanic(cpu.id());
  const int64_t me = cpu.id();
  const int64_t old = co_await cpu.cmpxchg(s_.panic_cpu, -1, me, "P2");
  if (old != -1 && old != me) {
    // panic_smp_self_stop(): spin with interrupts (soft-)disabled in old-kernel text.
    co_await cpu.park(Location::kLoserSpin, "P2");
  }
  m_.Log(cpu.id(), "Kernel panic - not syncing: " + why);
  if (!m_.config().crash_kexec_post_notifiers()) {
    co_await LockedCrashKexec(cpu, Regs{true, 0});  // __crash_kexec(NULL): regs of the current context
    co_await SmpSendStop(cpu);
  } else {
    co_await CrashSmpSendStop(cpu, /*from_panic=*/true);
    co_await cpu.local("P3", "panic notifiers, kmsg_dump");
    co_await LockedCrashKexec(cpu, Regs{true, 0});
  }
  m_.Log(cpu.id(), "---[ end Kernel panic - not syncing: " + why + " ]---");
  co_await cpu.park(Location::kPanicHalt, "P4");
}

Task<> PpcKernel::CrashKexec(Cpu& cpu, Regs regs) {
  const int64_t me = cpu.id();
  if (co_await cpu.cmpxchg(s_.panic_cpu, -1, me, "K0") != -1) co_return;  // another CPU (or we) own the crash
  // Bookkeeping: a crash_kexec() that starts a crash is a crash entry; one that finds the crash owned (a reset
  // receiver on its way to crash_kexec_secondary) is not a loser.
  m_.RecordPanic(cpu.id());
  co_await LockedCrashKexec(cpu, regs);
  co_await cpu.write(s_.panic_cpu, -1, "K0");  // __crash_kexec returned: nothing was loaded
}

// __crash_kexec(): only with the kexec lock and a crash image loaded.
Task<> PpcKernel::LockedCrashKexec(Cpu& cpu, Regs regs) {
  if (co_await cpu.cmpxchg(s_.kexec_lock, 0, 1, "K1") != 0) co_return;
  if (m_.config().crash_image_loaded()) {
    co_await cpu.local("K2", "crash_setup_regs, crash_save_vmcoreinfo");
    co_await MachineCrashShutdown(cpu, regs);  // ends in the hand-over
  }
  co_await cpu.write(s_.kexec_lock, 0, "K1");
}

// crash_smp_send_stop(): once. Before 2022 the generic one (smp_send_stop); from 2022 powerpc's own, which runs
// the crash CPU collection when a crash image is loaded. from_panic: called by panic() (crash_kexec_post_notifiers),
// ahead of machine_crash_shutdown, so the crash shutdown starts here.
Task<> PpcKernel::CrashSmpSendStop(Cpu& cpu, bool from_panic) {
  if (co_await cpu.read(s_.crash_stopped, "P3") != 0) co_return;
  co_await cpu.write(s_.crash_stopped, 1, "P3");
  if (v_.sreset_dump && m_.config().crash_image_loaded()) {
    if (from_panic) m_.RecordShutdown(cpu.id());  // it sets crashing_cpu and collects the others
    co_await CrashKexecPrepare(cpu, Regs{true, 0});
    co_return;
  }
  co_await SmpSendStop(cpu);
}

// smp_send_stop(). v4.14 (arch/powerpc/kernel/smp.c): smp_call_function(stop_this_cpu, NULL, 0). From
// 6bed3237624e on: the NMI IPI with nmi_stop_this_cpu to every other online CPU, 1 s.
Task<> PpcKernel::SmpSendStop(Cpu& cpu) {
  if (v_.send_stop == SendStopForm::kCallFunction) {
    co_await SmpCallFunctionStop(cpu);
    co_return;
  }
  co_await NmiIpiSend(cpu, -1, kFnStopThisCpu, kNmiGatherUs, "P3");
}

// smp_call_function(stop_this_cpu, NULL, wait = 0) -> smp_call_function_many over cpu_online_mask minus self:
// queue the csd on each target's call_single_queue, then arch_send_call_function_ipi_mask (one
// PPC_MSG_CALL_FUNCTION message pass each). wait = 0: the caller does not wait for the targets. [I] csd_lock
// (waiting for a csd still in use by an earlier call) is not modelled: smp_send_stop is the only caller here.
Task<> PpcKernel::SmpCallFunctionStop(Cpu& cpu) {
  const int64_t targets = (co_await cpu.read(s_.online_mask, "P3")) & ~CpuBit(cpu.id());
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (targets & CpuBit(c)) co_await cpu.write(*s_.cpu[c].call_queue, kFnStopThisCpu, "P3");
  }
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (targets & CpuBit(c)) co_await MessagePass(cpu, c, Msg::kCallFunction, "P3");
  }
}

// die(): oops_begin masks interrupts; kexec_should_crash -> crash_kexec; then panic_on_oops.
Task<> PpcKernel::Die(Cpu& cpu, std::string why, Regs regs) {
  co_await SoftIrqDisable(cpu, "DIE");
  m_.Log(cpu.id(), why);
  co_await CrashKexec(cpu, regs);
  co_await Panic(cpu, why == "System Reset" ? why : "Fatal exception");
}

}  // namespace crashdiff::ppc
