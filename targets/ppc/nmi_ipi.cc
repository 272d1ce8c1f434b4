// The powerpc "NMI IPI" layer (DOMAIN §2.6): arch/powerpc/kernel/smp.c smp_send_nmi_ipi / smp_handle_nmi_ipi /
// do_smp_send_nmi_ipi, and powernv pnv_cause_nmi_ipi (platforms/powernv/smp.c, firmware system reset), in two
// versions side by side (NmiIpi): v4.14 (busy count, S4) and v5.x (88b9a3d1425a busy flag, function cleared after
// the round; OPAL quiesce around a single-target reset, S3/S6).
#include <bit>

#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

// __nmi_ipi_lock_start() hard-disables and spins; from here to the unlock every step is modelled, and none of them
// can fault (Cpu::enter_critical): a scenario's PANIC cannot land between them.
Task<> PpcKernel::NmiLock(Cpu& cpu, Label l) {
  cpu.enter_critical();
  co_await cpu.spin_cmpxchg(s_.nmi_lock, 0, 1, l);  // atomic_cmpxchg until it takes the word, spinning between
}

// nmi_ipi_unlock(): smp_mb(), then the lock word is set free (atomic_set / atomic_dec: no ordering of its own).
Task<> PpcKernel::NmiUnlock(Cpu& cpu, Label l) {
  co_await cpu.store_after_mb(s_.nmi_lock, 0, l);
  cpu.leave_critical();
}

Task<bool> PpcKernel::NmiIpiSend(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l) {
  switch (v_.nmi_ipi) {
    case NmiIpi::kV4_14: return NmiIpiSendV4_14(cpu, target, fn, delay_us, l);
    case NmiIpi::k5b73151f: return NmiIpiSend5b73151f(cpu, target, fn, delay_us, l);
    case NmiIpi::k88b9a3d1: return NmiIpiSend88b9a3d1(cpu, target, fn, delay_us, l);
  }
  return NmiIpiSendV4_14(cpu, target, fn, delay_us, l);
}

// smp_send_nmi_ipi() up to the round (both versions): interrupts off, the lock, and wait until no round is busy.
Task<> PpcKernel::NmiIpiEnter(Cpu& cpu, Label l) {
  co_await cpu.irq_disable(l);  // local_irq_save + hard_irq_disable
  co_await NmiLock(cpu, l);
  while (co_await cpu.read(s_.nmi_busy, l) != 0) {
    co_await NmiUnlock(cpu, l);
    Var& busy = s_.nmi_busy;
    co_await cpu.wait_until([&busy] { return busy.value == 0; }, kForever, l);
    co_await NmiLock(cpu, l);
  }
}

// The pending mask: target < 0 is NMI_IPI_ALL_OTHERS (the online mask without us).
Task<CpuSet> PpcKernel::NmiIpiSetPending(Cpu& cpu, int target, Label l) {
  CpuSet targets;
  if (target < 0) {
    // cpumask_copy from cpu_online_mask, then cpumask_clear_cpu of ourselves: every word read, then every word stored.
    targets = co_await s_.online_mask.Read(cpu, l);
    targets.reset(cpu.id());
    co_await s_.nmi_pending.Write(cpu, targets, l);
  } else {
    // cpumask_set_cpu: the word that holds the target's bit (the round's other words are not touched).
    const auto t = static_cast<uint32_t>(target);
    Var& word = s_.nmi_pending.word_of(t);
    const int64_t bits = (co_await cpu.read(word, l)) | MaskBit(t);
    co_await cpu.write(word, bits, l);
    targets.set_word(MaskWord(t), bits);
  }
  co_return targets;
}

// After the lock is dropped: send, poll the pending mask in 1 us steps until it empties or the delay runs out (O(1)
// steps in the model), take the lock again and clear what is still pending. Returns 1 if every target called in.
// The lock is held on return.
Task<bool> PpcKernel::NmiIpiGather(Cpu& cpu, int target, NmiFn fn, CpuSet targets, uint64_t delay_us, Label l,
                                   uint64_t* left_ns) {
  if (fn == kFnCrashIpiCallback) {
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      if (targets.test(c)) m_.RecordWakeSent(c);
    }
  }
  co_await DoSmpSendNmiIpi(cpu, target, l);
  const CpuMask& pending = s_.nmi_pending;
  const auto gathered = [&pending] { return pending.IsEmpty(); };
  if (left_ns != nullptr) {
    *left_ns = delay_us * kUs;
    co_await WaitFromBudget(cpu, gathered, *left_ns, l);
  } else {
    co_await cpu.wait_until(gathered, delay_us * kUs, l);
  }
  co_await NmiLock(cpu, l);
  bool all_gathered = true;
  if (!co_await s_.nmi_pending.Empty(cpu, l)) {
    all_gathered = false;  // "could not gather all CPUs": late arrivals find themselves not pending
    co_await s_.nmi_pending.Write(cpu, CpuSet{}, l);  // cpumask_clear
  }
  co_return all_gathered;
}

// The busy-count senders' start (v4.14, 5b73151fff63): the function, the pending mask, the count raised for the
// round (each handler raises it too while its function runs), the lock dropped. Returns the round's targets.
Task<CpuSet> PpcKernel::NmiIpiOpenCountedRound(Cpu& cpu, int target, NmiFn fn, Label l) {
  co_await NmiIpiEnter(cpu, l);
  co_await cpu.write(s_.nmi_function, fn, l);
  const CpuSet targets = co_await NmiIpiSetPending(cpu, target, l);
  co_await cpu.fetch_add(s_.nmi_busy, 1, l);
  co_await NmiUnlock(cpu, l);
  co_return targets;
}

// v4.14 smp_send_nmi_ipi(): the count drops as soon as the gather ends.
Task<bool> PpcKernel::NmiIpiSendV4_14(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l) {
  const CpuSet targets = co_await NmiIpiOpenCountedRound(cpu, target, fn, l);
  const bool all_gathered = co_await NmiIpiGather(cpu, target, fn, targets, delay_us, l);
  co_await cpu.fetch_add(s_.nmi_busy, -1, l);
  co_await NmiUnlock(cpu, l);
  co_return all_gathered;
}

// 5b73151fff63 (v4.17), "fully synchronous": after the gather the sender also polls, lock dropped, until the busy
// count is back to its own (every handler's function returned), from what the gather left of the same delay; on
// timeout it takes the count back to its own. Until 1b5fc84aba17, a gather that used the delay up broke out with
// nothing left, and a delay of 0 means no timeout: the second poll then waits for good.
Task<bool> PpcKernel::NmiIpiSend5b73151f(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l) {
  const CpuSet targets = co_await NmiIpiOpenCountedRound(cpu, target, fn, l);
  uint64_t left = 0;
  bool all_done = co_await NmiIpiGather(cpu, target, fn, targets, delay_us, l, &left);
  if (left == 0) left = kForever;
  Var& busy = s_.nmi_busy;
  while (co_await cpu.read(busy, l) > 1) {
    if (left == 0) {  // "Timeout waiting for CPUs to execute fn"
      all_done = false;
      co_await cpu.write(busy, 1, l);
      break;
    }
    co_await NmiUnlock(cpu, l);
    co_await WaitFromBudget(
        cpu, [&busy] { return busy.value <= 1; }, left, l);
    co_await NmiLock(cpu, l);
  }
  co_await cpu.fetch_add(busy, -1, l);
  co_await NmiUnlock(cpu, l);
  co_return all_done;
}

// 88b9a3d1425a: a busy flag set for the round only; the function is cleared when the round ends, so a handler that
// comes late runs nothing.
Task<bool> PpcKernel::NmiIpiSend88b9a3d1(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l) {
  co_await NmiIpiEnter(cpu, l);
  co_await cpu.write(s_.nmi_busy, 1, l);
  co_await cpu.write(s_.nmi_function, fn, l);
  const CpuSet targets = co_await NmiIpiSetPending(cpu, target, l);
  co_await NmiUnlock(cpu, l);
  const bool all_gathered = co_await NmiIpiGather(cpu, target, fn, targets, delay_us, l);
  co_await cpu.write(s_.nmi_function, kFnNone, l);
  co_await cpu.write(s_.nmi_busy, 0, l);
  co_await NmiUnlock(cpu, l);
  co_return all_gathered;
}

// Run by a target from the IPI demux (muxed) or from the system-reset handler. Returns whether it was an NMI IPI
// for this CPU (and the function ran; the crash function never returns).
Task<bool> PpcKernel::NmiIpiHandle(Cpu& cpu, Regs regs) {
  switch (v_.nmi_ipi) {
    case NmiIpi::kV4_14:
    case NmiIpi::k5b73151f: return NmiIpiHandleV4_14(cpu, regs);
    case NmiIpi::k88b9a3d1: return NmiIpiHandle88b9a3d1(cpu, regs);
  }
  return NmiIpiHandleV4_14(cpu, regs);
}

// v4.14 smp_handle_nmi_ipi(): only while a round is busy; the handler holds the busy count while fn runs.
Task<bool> PpcKernel::NmiIpiHandleV4_14(Cpu& cpu, Regs regs) {
  // cpumask_test_cpu / cpumask_clear_cpu of our own bit: the word that holds it.
  Var& word = s_.nmi_pending.word_of(cpu.id());
  const int64_t me = MaskBit(cpu.id());
  co_await NmiLock(cpu, "NMI-H");
  int64_t fn = kFnNone;
  const bool busy = co_await cpu.read(s_.nmi_busy, "NMI-H") != 0;
  const int64_t pending = busy ? co_await cpu.read(word, "NMI-H") : 0;
  if (pending & me) fn = co_await cpu.read(s_.nmi_function, "NMI-H");
  if (fn != kFnNone) {
    co_await cpu.write(word, pending & ~me, "NMI-H");
    co_await cpu.fetch_add(s_.nmi_busy, 1, "NMI-H");  // held while fn runs: a never-returning fn leaks it
  }
  co_await NmiUnlock(cpu, "NMI-H");
  if (fn == kFnNone) co_return false;
  co_await RunNmiFunction(cpu, fn, regs);
  co_await NmiLock(cpu, "NMI-H");
  // 5b73151fff63: only while the count is above the sender's own ("can race with caller time-out").
  if (v_.nmi_ipi != NmiIpi::k5b73151f || co_await cpu.read(s_.nmi_busy, "NMI-H") > 1) {
    co_await cpu.fetch_add(s_.nmi_busy, -1, "NMI-H");
  }
  co_await NmiUnlock(cpu, "NMI-H");
  co_return true;
}

// 88b9a3d1425a smp_handle_nmi_ipi(): take ourselves out of the pending mask and run the round's function.
Task<bool> PpcKernel::NmiIpiHandle88b9a3d1(Cpu& cpu, Regs regs) {
  Var& word = s_.nmi_pending.word_of(cpu.id());  // our bit's word
  const int64_t me = MaskBit(cpu.id());
  co_await NmiLock(cpu, "NMI-H");
  int64_t fn = kFnNone;
  const int64_t pending = co_await cpu.read(word, "NMI-H");
  bool handled = false;
  if (pending & me) {
    co_await cpu.write(word, pending & ~me, "NMI-H");
    fn = co_await cpu.read(s_.nmi_function, "NMI-H");
    handled = true;
  }
  co_await NmiUnlock(cpu, "NMI-H");
  if (fn != kFnNone) co_await RunNmiFunction(cpu, fn, regs);
  co_return handled;
}

Task<> PpcKernel::RunNmiFunction(Cpu& cpu, int64_t fn, Regs regs) {
  if (fn == kFnCrashIpiCallback) co_await CrashIpiCallback(cpu, regs);
  if (fn == kFnStopThisCpu) co_await NmiStopThisCpu(cpu);
}

// do_smp_send_nmi_ipi(): a real NMI (firmware system reset) if available and it works, else the muxed message.
Task<> PpcKernel::DoSmpSendNmiIpi(Cpu& cpu, int target, Label l) {
  if (fw().system_reset_supported() && co_await CauseNmiIpi(cpu, target, l)) co_return;
  if (target >= 0) {
    co_await MessagePass(cpu, static_cast<uint32_t>(target), Msg::kNmiIpi, l);
    co_return;
  }
  const CpuSet online = co_await s_.online_mask.Read(cpu, l);
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c != cpu.id() && online.test(c)) co_await MessagePass(cpu, c, Msg::kNmiIpi, l);
  }
}

Task<bool> PpcKernel::SignalSystemReset(Cpu& cpu, uint32_t target, Label l) {
  const auto& fails = fw().system_reset_fails_for();
  const bool fails_here = std::find(fails.begin(), fails.end(), target) != fails.end();
  Cpu& t = m_.cpu(target);
  // skiboot refuses only the calling thread (do_sreset_cpu, core/direct-controls.c at ecebf4fb3d9c): it stops
  // any other thread by direct control and resets it, also one it holds (returned to firmware, never started).
  const bool self = target == cpu.id();
  const bool ok =
      co_await cpu.hw_op(l, "opal_signal_system_reset cpu" + std::to_string(target), [&t, fails_here, self] {
        if (fails_here || self) return false;
        t.RaiseSystemReset(/*by_kernel=*/true);
        return true;
      });
  co_return ok;
}

Task<bool> PpcKernel::CauseNmiIpi(Cpu& cpu, int target, Label l) {
  switch (v_.nmi_ipi) {
    case NmiIpi::kV4_14:
    case NmiIpi::k5b73151f: return CauseNmiIpiV4_14(cpu, target, l);
    case NmiIpi::k88b9a3d1: return CauseNmiIpi88b9a3d1(cpu, target, l);
  }
  return CauseNmiIpiV4_14(cpu, target, l);
}

// v4.14 pnv_cause_nmi_ipi(): a single target, or every online CPU but self; any failure returns 0 and the caller
// falls back to message passing ("may pick up the remainders").
Task<bool> PpcKernel::CauseNmiIpiV4_14(Cpu& cpu, int target, Label l) {
  if (target >= 0) co_return co_await SignalSystemReset(cpu, static_cast<uint32_t>(target), "S2");
  co_return co_await CauseNmiIpiAllOthers(cpu, l);
}

// v5.x pnv_cause_nmi_ipi() (the model's NmiIpi::k88b9a3d1 era): a single-target reset is bracketed by
// opal_quiesce(QUIESCE_HOLD / QUIESCE_RESUME).
Task<bool> PpcKernel::CauseNmiIpi88b9a3d1(Cpu& cpu, int target, Label l) {
  if (target < 0) co_return co_await CauseNmiIpiAllOthers(cpu, l);
  co_await cpu.local("S1", "opal_quiesce(QUIESCE_HOLD)");
  const bool ok = co_await SignalSystemReset(cpu, static_cast<uint32_t>(target), "S2");
  co_await cpu.local("S3", "opal_quiesce(QUIESCE_RESUME)");
  co_return ok;
}

Task<bool> PpcKernel::CauseNmiIpiAllOthers(Cpu& cpu, Label l) {
  const CpuSet online = co_await s_.online_mask.Read(cpu, l);
  bool success = true;
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id() || !online.test(c)) continue;
    if (!co_await SignalSystemReset(cpu, c, "S2")) success = false;
  }
  co_return success;
}

}  // namespace crashdiff::ppc
