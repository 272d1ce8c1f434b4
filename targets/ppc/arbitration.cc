// The powerpc side of who becomes the initiator (DOMAIN §2.7, §4): the hooks of the generic panic() /
// crash_kexec() (targets/common/, which models kernel/panic.c and kernel/kexec_core.c for every family): how
// panic() masks interrupts (soft-disable), panic_smp_self_stop (generic weak form), crash_smp_send_stop (generic,
// and the 2022 powerpc override, torvalds/linux arch/powerpc/kernel/smp.c), smp_send_stop; and
// arch/powerpc/kernel/traps.c die().
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

// The crash path's powerpc hooks (targets/common/crash_core.h).
Task<> PpcKernel::PanicIrqDisable(Cpu& cpu, Label l) {
  co_await SoftIrqDisable(cpu, l);
}

// panic_smp_self_stop() (the generic weak one): spin with interrupts (soft-)disabled in old-kernel text.
Task<> PpcKernel::PanicSmpSelfStop(Cpu& cpu, bool /*nmi_panic*/) {
  co_await cpu.park(Location::kLoserSpin, "P2");
}

Task<> PpcKernel::PanicCrashSmpSendStop(Cpu& cpu) {
  co_await CrashSmpSendStop(cpu, /*from_panic=*/true);
}

// crash_smp_send_stop(): once. from_panic: called by panic() (crash_kexec_post_notifiers), ahead of
// machine_crash_shutdown.
Task<> PpcKernel::CrashSmpSendStop(Cpu& cpu, bool from_panic) {
  switch (v_.crash_shutdown) {
    case CrashShutdown::kV4_14: return CrashSmpSendStopGeneric(cpu);
    case CrashShutdown::kC7255058: return CrashSmpSendStopC7255058(cpu, from_panic);
  }
  return CrashSmpSendStopGeneric(cpu);
}

// Before 2021 powerpc has none of its own: the generic one (kernel/panic.c) runs smp_send_stop() once.
Task<> PpcKernel::CrashSmpSendStopGeneric(Cpu& cpu) {
  if (co_await cpu.read(s_.crash_stopped, "P3") != 0) co_return;
  co_await cpu.write(s_.crash_stopped, 1, "P3");
  co_await SmpSendStop(cpu);
}

// c7255058b543 (arch/powerpc/kernel/smp.c): with a crash image loaded, collect the CPUs for the dump right here
// (crash_kexec_prepare); without one, smp_send_stop(). From panic() it starts the crash shutdown, so it is booked
// there.
Task<> PpcKernel::CrashSmpSendStopC7255058(Cpu& cpu, bool from_panic) {
  if (co_await cpu.read(s_.crash_stopped, "P3") != 0) co_return;
  co_await cpu.write(s_.crash_stopped, 1, "P3");
  if (m_.config().crash_image_loaded()) {
    if (from_panic) m_.RecordShutdown(cpu.id());  // it sets crashing_cpu and collects the others
    co_await CrashKexecPrepare(cpu);
    co_return;
  }
  co_await SmpSendStop(cpu);
}

Task<> PpcKernel::SmpSendStop(Cpu& cpu) {
  switch (v_.send_stop) {
    case SendStop::kV4_14: return SmpSendStopV4_14(cpu);
    case SendStop::k6bed3237:
    case SendStop::k88b9a3d1:
    case SendStop::kBab26238: return SmpSendStopNmi(cpu);
  }
  return SmpSendStopNmi(cpu);
}

// From 6bed3237624e on: the NMI IPI with nmi_stop_this_cpu to every other online CPU, 1 s.
Task<> PpcKernel::SmpSendStopNmi(Cpu& cpu) {
  co_await NmiIpiSend(cpu, -1, kFnStopThisCpu, kNmiGatherUs, "P3");
}

// v4.14 smp_send_stop(): smp_call_function(stop_this_cpu, NULL, wait = 0) -> smp_call_function_many over
// smp_call_function(stop_this_cpu, NULL, wait = 0) -> smp_call_function_many over cpu_online_mask minus self:
// queue the csd on each target's call_single_queue, then arch_send_call_function_ipi_mask (one
// PPC_MSG_CALL_FUNCTION message pass each). wait = 0: the caller does not wait for the targets. [I] csd_lock
// (waiting for a csd still in use by an earlier call) is not modelled: smp_send_stop is the only caller here.
Task<> PpcKernel::SmpSendStopV4_14(Cpu& cpu) {
  CpuSet targets = co_await s_.online_mask.Read(cpu, "P3");
  targets.reset(cpu.id());
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    // llist_add: a csd queued earlier (kexec_smp_down) keeps its place; neither function returns.
    if (targets.test(c)) co_await cpu.cmpxchg(*s_.cpu[c].call_queue, kFnNone, kFnStopThisCpu, "P3");
  }
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (targets.test(c)) co_await MessagePass(cpu, c, Msg::kCallFunction, "P3");
  }
}

// die(): oops_begin masks interrupts; kexec_should_crash -> crash_kexec; then panic_on_oops.
Task<> PpcKernel::Die(Cpu& cpu, std::string why, Regs regs) {
  co_await SoftIrqDisable(cpu, "DIE");
  m_.Log(cpu.id(), why);
  co_await crash_.CrashKexec(cpu, regs);
  co_await crash_.Panic(cpu, why == "System Reset" ? why : "Fatal exception");
}

}  // namespace crashdiff::ppc
