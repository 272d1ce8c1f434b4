// The powerpc "NMI IPI" layer (DOMAIN §2.6): arch/powerpc/kernel/smp.c smp_send_nmi_ipi / smp_handle_nmi_ipi /
// do_smp_send_nmi_ipi, in the v4.14 form (busy count, S4) and the v5.x form (busy flag, function cleared after
// the round, OPAL quiesce around a single-target reset, S3/S6). Firmware system reset: powernv
// pnv_cause_nmi_ipi (platforms/powernv/smp.c).
#include <bit>

#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

Task<> PpcKernel::NmiLock(Cpu& cpu, Label l) {
  for (;;) {
    if (co_await cpu.cmpxchg(s_.nmi_lock, 0, 1, l) == 0) co_return;
    Var& lock = s_.nmi_lock;
    co_await cpu.wait_until([&lock] { return lock.value == 0; }, kForever, l);
  }
}

Task<> PpcKernel::NmiUnlock(Cpu& cpu, Label l) {
  co_await cpu.write(s_.nmi_lock, 0, l);
}

// target < 0: NMI_IPI_ALL_OTHERS. Returns 1 if every target called in before delay_us ran out.
Task<bool> PpcKernel::NmiIpiSend(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l) {
  const uint32_t me = cpu.id();
  co_await cpu.irq_disable(l);  // local_irq_save + hard_irq_disable
  co_await NmiLock(cpu, l);
  while (co_await cpu.read(s_.nmi_busy, l) != 0) {
    co_await NmiUnlock(cpu, l);
    Var& busy = s_.nmi_busy;
    co_await cpu.wait_until([&busy] { return busy.value == 0; }, kForever, l);
    co_await NmiLock(cpu, l);
  }
  if (v_.nmi_form == NmiIpiForm::kBusyFlag) co_await cpu.write(s_.nmi_busy, 1, l);
  co_await cpu.write(s_.nmi_function, fn, l);
  int64_t targets = 0;
  if (target < 0) {
    targets = (co_await cpu.read(s_.online_mask, l)) & ~CpuBit(me);
  } else {
    targets = (co_await cpu.read(s_.nmi_pending, l)) | CpuBit(static_cast<uint32_t>(target));
  }
  co_await cpu.write(s_.nmi_pending, targets, l);
  if (v_.nmi_form == NmiIpiForm::kBusyCount) co_await cpu.fetch_add(s_.nmi_busy, 1, l);
  co_await NmiUnlock(cpu, l);
  if (fn == kFnCrashIpiCallback) {
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      if (targets & CpuBit(c)) m_.RecordWakeSent(c);
    }
  }

  co_await DoSmpSendNmiIpi(cpu, target, l);

  // Poll the pending mask in 1 us steps until it empties or the delay runs out (O(1) steps in the model).
  Var& pending = s_.nmi_pending;
  co_await cpu.wait_until([&pending] { return pending.value == 0; }, delay_us * kUs, l);
  co_await NmiLock(cpu, l);
  bool all_gathered = true;
  if (co_await cpu.read(s_.nmi_pending, l) != 0) {
    all_gathered = false;  // "could not gather all CPUs": late arrivals find themselves not pending
    co_await cpu.write(s_.nmi_pending, 0, l);
  }
  if (v_.nmi_form == NmiIpiForm::kBusyFlag) {
    co_await cpu.write(s_.nmi_function, kFnNone, l);
    co_await cpu.write(s_.nmi_busy, 0, l);
  } else {
    co_await cpu.fetch_add(s_.nmi_busy, -1, l);
  }
  co_await NmiUnlock(cpu, l);
  co_return all_gathered;
}

// Run by a target from the IPI demux (muxed) or from the system-reset handler. Returns whether it was an NMI IPI
// for this CPU (and the function ran; the crash function never returns).
Task<bool> PpcKernel::NmiIpiHandle(Cpu& cpu, Regs regs) {
  const int64_t me = CpuBit(cpu.id());
  co_await NmiLock(cpu, "NMI-H");
  int64_t fn = kFnNone;
  if (v_.nmi_form == NmiIpiForm::kBusyCount) {
    const bool busy = co_await cpu.read(s_.nmi_busy, "NMI-H") != 0;
    const int64_t pending = busy ? co_await cpu.read(s_.nmi_pending, "NMI-H") : 0;
    if (pending & me) fn = co_await cpu.read(s_.nmi_function, "NMI-H");
    if (fn != kFnNone) {
      co_await cpu.write(s_.nmi_pending, pending & ~me, "NMI-H");
      co_await cpu.fetch_add(s_.nmi_busy, 1, "NMI-H");  // held while fn runs: a never-returning fn leaks it
    }
    co_await NmiUnlock(cpu, "NMI-H");
    if (fn == kFnNone) co_return false;
    co_await RunNmiFunction(cpu, fn, regs);
    co_await NmiLock(cpu, "NMI-H");
    co_await cpu.fetch_add(s_.nmi_busy, -1, "NMI-H");
    co_await NmiUnlock(cpu, "NMI-H");
    co_return true;
  }
  const int64_t pending = co_await cpu.read(s_.nmi_pending, "NMI-H");
  bool handled = false;
  if (pending & me) {
    co_await cpu.write(s_.nmi_pending, pending & ~me, "NMI-H");
    fn = co_await cpu.read(s_.nmi_function, "NMI-H");
    handled = true;
  }
  co_await NmiUnlock(cpu, "NMI-H");
  if (fn != kFnNone) co_await RunNmiFunction(cpu, fn, regs);
  co_return handled;
}

Task<> PpcKernel::RunNmiFunction(Cpu& cpu, int64_t fn, Regs regs) {
  if (fn == kFnCrashIpiCallback) co_await CrashIpiCallback(cpu, regs);
  if (fn == kFnStopThisCpu) co_await StopThisCpu(cpu);
}

// do_smp_send_nmi_ipi(): a real NMI (firmware system reset) if available and it works, else the muxed message.
Task<> PpcKernel::DoSmpSendNmiIpi(Cpu& cpu, int target, Label l) {
  if (fw().system_reset_supported() && co_await CauseNmiIpi(cpu, target, l)) co_return;
  if (target >= 0) {
    co_await MessagePass(cpu, static_cast<uint32_t>(target), Msg::kNmiIpi, l);
    co_return;
  }
  const int64_t online = co_await cpu.read(s_.online_mask, l);
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c != cpu.id() && (online & CpuBit(c))) co_await MessagePass(cpu, c, Msg::kNmiIpi, l);
  }
}

Task<bool> PpcKernel::SignalSystemReset(Cpu& cpu, uint32_t target, Label l) {
  const auto& fails = fw().system_reset_fails_for();
  const bool fails_here = std::find(fails.begin(), fails.end(), target) != fails.end();
  Cpu& t = m_.cpu(target);
  // [I] OPAL refuses the calling thread itself and threads it does not consider running the OS (returned to
  // firmware, never started).
  const bool self = target == cpu.id();
  const bool ok =
      co_await cpu.hw_op(l, "opal_signal_system_reset cpu" + std::to_string(target), [&t, fails_here, self] {
        if (fails_here || self || t.in_firmware()) return false;
        t.hw().reset = true;
        return true;
      });
  co_return ok;
}

// pnv_cause_nmi_ipi(): single target (with OPAL quiesce in later kernels), or every online CPU but self; any
// failure returns 0 and the caller falls back to message passing ("may pick up the remainders").
Task<bool> PpcKernel::CauseNmiIpi(Cpu& cpu, int target, Label l) {
  const bool quiesce = v_.nmi_form == NmiIpiForm::kBusyFlag;
  if (target >= 0) {
    if (quiesce) co_await cpu.local("S1", "opal_quiesce(QUIESCE_HOLD)");
    const bool ok = co_await SignalSystemReset(cpu, static_cast<uint32_t>(target), "S2");
    if (quiesce) co_await cpu.local("S3", "opal_quiesce(QUIESCE_RESUME)");
    co_return ok;
  }
  const int64_t online = co_await cpu.read(s_.online_mask, l);
  bool success = true;
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id() || !(online & CpuBit(c))) continue;
    if (!co_await SignalSystemReset(cpu, c, "S2")) success = false;
  }
  co_return success;
}

}  // namespace crashdiff::ppc
