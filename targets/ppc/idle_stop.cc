// pnv_cpu_offline with the idle state the firmware's table gave (Firmware.idle_states; idle_states.h chose it at
// boot), step by step (docs/DOMAIN.md §2.2 "Idle states by their effect"; docs/FIDELITY-ppc.md rows
// "L2 (idle_states)", L2c, L2r):
//   POWER9, EC=ESL=0 (stop0_lite): isa300_idle_stop_noloss. Any pending exception ends the stop, masked or not and
//     whatever the LPCR says; the thread resumes after the stop instruction and returns 0 (no SRR1 reason), so the
//     offline loop clears nothing. Only a system reset still comes in through 0x100 with an SRR1 reason.
//   POWER9, EC=ESL=1: the wake is a system-reset interrupt at 0x100 with the SRR1 reason, ended by the LPCR's PECE
//     bits. At or above the kernel's first state-loss level the kernel saved its SPRs, cleared its bit in the core
//     idle word before the stop, and on the way back takes the core idle lock: the first thread of the core to wake
//     restores the per-core SPRs and resyncs the timebase (opal_resync_timebase), then every thread restores its
//     own SPRs, the LPCR among them, after the unlock. The SLW engine restores the stop-api image (LPCR) first, when
//     the level loses hypervisor state.
//   POWER8 nap: always through 0x100, no core idle word. Sleep and winkle: idle_power8.cc (the winkle count).
//   POWER9 levels 2 and deeper are core states, 8 and deeper its EX's (core pair), 11 and deeper its quad's: the
//     core goes no deeper than its shallowest thread, nor than its pair / quad allow, and the kernel restores by
//     the level the thread reports (PSSCR[PLS]), not the one it asked for (idle_p9_core.cc).
//   OPAL_PM_DEC_STOP: the decrementer does not count while the state holds it: a thread-level state's own
//     (DecStops), a core-level state's for the whole core while the core is in it (idle_p9_core.cc CoreDecsStop).
// Versions (Variant.idle_restore): the asm of idle_book3s.S before 10d91611f426 (power_enter_stop,
// pnv_wakeup_tb_loss: the entry honours the lock bit, the timebase is resynced before the per-core SPRs, the unlock
// is lwsync + store, and LPCR comes back from save_sprs_to_stack's _LPCR on POWER9 only); the C of idle.c
// power9_idle_stop / power7_idle_insn since 10d91611f426 (entry clear_bit without the lock on POWER9, per-core SPRs
// before the timebase, unlock by cmpxchg, sprs.lpcr on POWER9 and after a POWER8 full winkle). Read: the v10 patch
// of 10d91611f426 (linuxppc-dev, 2019-04-28; the removed asm is in its diff) and idle.c at blob 0c8fb653d487.
#include <algorithm>
#include <cstdio>

#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {
namespace {

constexpr int64_t kCoreIdleLockBit = int64_t{1} << 28;  // PNV_CORE_IDLE_LOCK_BIT (0x10000000 in both eras)

// Everything that ends an EC=0 stop: every exception the thread can have pending (ISA 3.0 PSSCR[EC] = 0, "exit on
// any interrupt"; QEMU cpu_has_work_POWER9 and helper_pminsn model the same).
constexpr SourceMask kAnyException = [] {
  SourceMask m = 0;
  for (Source s : kStopWakePriority) m |= Bit(s);
  return m;
}();

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

}  // namespace

Task<Wake> PpcKernel::PnvCpuOfflineByState(Cpu& cpu) {
  if (idle_.kind == OfflineIdleKind::kBusyPoll) {  // the snooze fallback, as with idle_state_usable: false
    Var& state = *pc(cpu).cpu_state;
    co_await cpu.wait_until([&state] { return state.value == kCpuUpPrepare; }, kForever, "L2");
    co_return Wake{Source::kSpurious, 0};
  }
  if (idle_.kind == OfflineIdleKind::kStop && !idle_.wakes_at_vector) co_return co_await StopNoLoss(cpu);
  if (idle_.kind == OfflineIdleKind::kSleep || idle_.kind == OfflineIdleKind::kWinkle) {
    co_return co_await Power7IdleInsn(cpu);
  }
  co_return co_await StopThroughVector(cpu);
}

// A thread-level state (level 0-1, or EC=0) with OPAL_PM_DEC_STOP (not in skiboot's tables: there only stop8 and
// stop11, core levels, have it; those are idle_p9_core.cc's): the decrementer does not count in it, so it can neither
// expire there nor end the stop, whatever LPCR[PECE1] or PSSCR[EC] say; it counts on from what it held once the thread
// is awake (the hardware's, at the stop instruction and at the wake: the kernel writes nothing; the cpuidle driver's
// CPUIDLE_FLAG_TIMER_STOP is its answer when online). A latch the DEC set before the stop stays pending. Only when the
// DEC is armed: otherwise no step.
Task<uint64_t> PpcKernel::DecStops(Cpu& cpu) {
  if (!idle_.dec_stop || cpu.dec_expiry() == kForever) co_return kForever;
  const uint64_t left = cpu.dec_expiry() > m_.now() ? cpu.dec_expiry() - m_.now() : 0;
  co_await cpu.mtspr_dec(kForever, "L2",
                         "hardware: " + idle_.name + " has OPAL_PM_DEC_STOP, the decrementer stops (" +
                             std::to_string(left) + " ns left)");
  co_return left;
}

Task<> PpcKernel::DecResumes(Cpu& cpu, uint64_t left) {
  if (left == kForever) co_return;
  co_await cpu.mtspr_dec(left, "L2",
                         "hardware: awake, the decrementer counts again (" + std::to_string(left) + " ns left)");
}

// A wake through the system-reset vector executes it: after a hand-over that is the next kernel's code.
bool PpcKernel::StopWakeIsVector(Cpu& cpu) {
  if (!m_.overwritten(cpu.vector_region())) return true;
  m_.Corrupt(cpu, "woke from stop through the 0x100 vector into the replaced reset vector");
  return false;
}

// isa300_idle_stop_noloss: mtspr PSSCR; stop; li r3,0. The latch that ended the stop is not taken (MSR[EE] = 0)
// and nothing in the offline loop clears it (SRR1 is 0), so every following stop ends at once: the loop spins,
// re-reading cpu_state (and, from the v1 patch on, kdump_in_progress) until one of them changes or a system reset
// or machine check comes. That spin is modelled as the poll of what it reads (as the snooze fallback is), so that
// a spinning thread costs O(1) steps, not one loop per nanosecond of model time.
Task<Wake> PpcKernel::StopNoLoss(Cpu& cpu) {
  co_await cpu.local("L2", "run-latch off; isa300_idle_stop_noloss: PSSCR = " + Hex(idle_.psscr) + " (" + idle_.name +
                               ", EC=ESL=0), stop");
  if (kvm_) co_await KvmIdleEnter(cpu);  // power9_offline_stop: hwthread_state = IN_IDLE (kvm.cc)
  // The latch that ended the previous lite stop, if it is still pending: this stop ends at once again.
  const int latch = ec0_latch_[cpu.id()];
  if (latch >= 0 && cpu.hw().Pending(static_cast<Source>(latch))) {
    Var& state = *pc(cpu).cpu_state;
    Var& crashing = s_.crashing_cpu;
    const bool reads_kdump = v_.kill_self != KillSelf::kV4_14;
    const Source src = static_cast<Source>(latch);
    co_await cpu.wait_until(
        [&state, &crashing, &cpu, reads_kdump, src] {
          return state.value == kCpuUpPrepare || (reads_kdump && crashing.value >= 0) || cpu.hw().reset ||
                 cpu.hw().mce || !cpu.hw().Pending(src);
        },
        kForever, "L2");
  }
  const uint64_t dec_left = co_await DecStops(cpu);
  const Wake wake = co_await cpu.enter_stop(kAnyException, /*loses_state=*/false, "L2");
  ec0_latch_[cpu.id()] = -1;
  co_await DecResumes(cpu, dec_left);
  if (wake.source == Source::kReset) {  // "SRESET via xscom may still cause a 0x100 powersave wakeup"
    if (!StopWakeIsVector(cpu)) co_await cpu.wait_until([] { return false; }, kForever, "L2");
    if (kvm_) co_return co_await KvmIdleWake(cpu, wake, /*through_vector=*/true);
    co_return wake;
  }
  if (!Info(wake.source).consumed_by_wake) ec0_latch_[cpu.id()] = static_cast<int>(wake.source);
  // [I] The spin above stands for the loop's passes, each with its own KVM stores and (C) hwthread_req read: on
  // POWER9 nothing sets hwthread_req, so only this last pass's steps are taken.
  if (kvm_) co_return co_await KvmIdleWake(cpu, Wake{wake.source, 0}, /*through_vector=*/false);
  co_return Wake{wake.source, 0};
}

Task<Wake> PpcKernel::StopThroughVector(Cpu& cpu) {
  const uint64_t saved_lpcr = cpu.lpcr();  // save_sprs_to_stack _LPCR / sprs.lpcr: a stack slot, no step
  const bool p9 = idle_.kind == OfflineIdleKind::kStop;
  const std::string what = p9 ? "run-latch off; power9_idle_stop: PSSCR = " + Hex(idle_.psscr) + " (" + idle_.name +
                                    ", level " + std::to_string(idle_.level) + ", EC=ESL=1)"
                              : "run-latch off; power7_idle_insn(" + idle_.name + ")";
  co_await cpu.local("L2", what);
  // hwthread_state = IN_IDLE before the idle instruction (kvm.cc), on POWER9 before the core idle word
  if (kvm_) co_await KvmIdleEnter(cpu);
  if (idle_.kernel_restores) co_await CoreIdleEnter(cpu);
  if (!p9) {  // POWER8 nap: nothing lost, no DEC_STOP
    const Wake wake = co_await cpu.enter_stop_lpcr(/*loses_state=*/false, "L2");
    if (!StopWakeIsVector(cpu)) co_await cpu.wait_until([] { return false; }, kForever, "L2");
    if (kvm_) co_return co_await KvmIdleWake(cpu, wake, /*through_vector=*/true);
    co_return wake;
  }
  // A thread-level state (stop0, stop1) with DEC_STOP stops the thread's own DEC; a core-level one the core's,
  // once the core is in it (P9HwEnter).
  const uint64_t dec_left = idle_.level <= kP9ThreadLevelMax ? co_await DecStops(cpu) : kForever;
  P9HwEnter(cpu);  // the stop instruction: the thread, and perhaps its core, is in the state from here
  // What was lost is known at the wake (PSSCR[PLS]): the op restores nothing itself.
  const Wake wake = co_await cpu.enter_stop_lpcr(/*loses_state=*/false, "L2");
  const uint32_t pls = P9HwWake(cpu);
  if (!StopWakeIsVector(cpu)) co_await cpu.wait_until([] { return false; }, kForever, "L2");
  // The level reached loses hypervisor state (SRR1[46:47] = HVLOSS): the chosen state loses it and the core got
  // there, or was powered off on the way (stop4 and deeper: a lone core requesting stop11 stops at stop5,
  // idle_p9_core.cc). The SLW engine restores the stop-api image before the vector runs (same step as the wake).
  const bool hv_loss = idle_.hw_loses_hv_state && pls >= std::min(idle_.level, kP9PowerOffLevel);
  if (hv_loss && cpu.lpcr() != cpu.slw_lpcr()) {
    cpu.restore_lpcr_from_slw();
    m_.Record(cpu.id(), TraceKind::kHw, "L2", "SLW restores LPCR from the stop-api image",
              static_cast<int64_t>(cpu.slw_lpcr()));
  }
  co_await DecResumes(cpu, dec_left);
  if (idle_.kernel_restores) co_await CoreIdleWake(cpu, saved_lpcr, pls, hv_loss);
  // After the restore, as pnv_powersave_wakeup (asm) and power9_offline_stop (C) do.
  if (kvm_) co_return co_await KvmIdleWake(cpu, wake, /*through_vector=*/true);
  co_return wake;
}

// Before a deep stop (POWER9) the thread clears its bit in the core idle word. C (atomic_start_thread_idle): a plain
// atomic clear_bit, not looking at the lock. The asm (lwarx_loop_stop): wait while the lock bit is set, then clear
// the bit atomically. POWER8: P8CoreIdleEnter.
Task<> PpcKernel::CoreIdleEnter(Cpu& cpu) {
  const uint32_t tpc = m_.threads_per_core();
  Var& word = *core_idle_[cpu.id() / tpc];
  const int64_t bit = int64_t{1} << (cpu.id() % tpc);
  if (v_.idle_restore == IdleRestore::k10d91611) {
    co_await cpu.clear_bit(word, cpu.id() % tpc, "L2c");  // set while the thread runs; clear_bit has no ordering
    co_return;
  }
  for (;;) {
    const int64_t v = co_await cpu.read(word, "L2c");
    if (v & kCoreIdleLockBit) {
      co_await cpu.wait_until([&word] { return (word.value & kCoreIdleLockBit) == 0; }, kForever, "L2c");
      continue;
    }
    if (co_await cpu.cmpxchg(word, v, v & ~bit, "L2c") == v) co_return;
  }
}

// atomic_lock_thread_idle / the asm's lwarx loop with core_idle_lock_held: spin while the lock bit is set, then set
// it atomically. Returns the word with the lock held.
Task<int64_t> PpcKernel::CoreIdleLock(Cpu& cpu, Label l) {
  Var& word = *core_idle_[cpu.id() / m_.threads_per_core()];
  for (;;) {
    const int64_t v = co_await cpu.read(word, l);
    if (v & kCoreIdleLockBit) {
      co_await cpu.wait_until([&word] { return (word.value & kCoreIdleLockBit) == 0; }, kForever, l);
      continue;
    }
    if (co_await cpu.cmpxchg(word, v, v | kCoreIdleLockBit, l) == v) co_return v | kCoreIdleLockBit;
  }
}

// The wake side of a POWER9 state the kernel restores from (C power9_idle_stop's "HV state loss" branch; asm
// pnv_wakeup_tb_loss). POWER8: P8CoreIdleWake. The SPR writes other than LPCR change nothing the model reads: they
// are named in the steps' text, in the source's order.
Task<> PpcKernel::CoreIdleWake(Cpu& cpu, uint64_t saved_lpcr, uint32_t pls, bool hv_loss) {
  const uint32_t tpc = m_.threads_per_core();
  Var& word = *core_idle_[cpu.id() / tpc];
  const int64_t bit = int64_t{1} << (cpu.id() % tpc);
  const int64_t thread_mask = (int64_t{1} << tpc) - 1;
  // The level the thread was in is shallower than the first that loses SPRs (its core did not get there).
  if (pls < idle_.spr_loss_level) {
    if (v_.idle_restore == IdleRestore::k10d91611) {
      // power9_idle_stop: "pls < deep_spr_loss_state": atomic_stop_thread_idle (set_bit), nothing restored.
      co_await cpu.set_bit(word, cpu.id() % tpc, "L2r");
      co_return;
    }
    // pnv_restore_hyp_resource_arch300: PLS below pnv_first_deep_stop_state returns at once ("Waking up without
    // hypervisor state loss"): the thread bit lwarx_loop_stop cleared stays clear, nothing is restored.
    co_await cpu.local("L2r", "pnv_restore_hyp_resource_arch300: PSSCR[PLS] = " + std::to_string(pls) +
                                  " < pnv_first_deep_stop_state: blr (thread bit not set back)");
    co_return;
  }
  const int64_t locked = co_await CoreIdleLock(cpu);
  const bool first = (locked & thread_mask) == 0;  // every thread of the core was in a deep state
  if (v_.idle_restore == IdleRestore::k10d91611) {
    if (first) {
      co_await cpu.local("L2r", "first thread in core: per-core SPRs PTCR, RPR, TSCR");
      if (pls >= idle_.tb_loss_level) co_await cpu.local("L2r", "opal_resync_timebase (timebase lost)");
    }
    co_await cpu.local("L2r", "isync");
    // atomic_unlock_and_stop_thread_idle: our bit back and the lock released in one cmpxchg, retried if a sibling
    // cleared its own bit meanwhile (clear_bit does not look at the lock).
    for (int64_t s = locked;;) {
      const int64_t old = co_await cpu.cmpxchg(word, s, (s | bit) & ~kCoreIdleLockBit, "L2r");
      if (old == s) break;
      s = old;
    }
    co_await cpu.mtspr_lpcr(saved_lpcr, /*stop_api=*/false, "L2r",
                            "power9_idle_stop: per-thread SPRs: LPCR (sprs.lpcr), HFSCR, FSCR, PID, PURR, SPURR, DSCR, "
                            "CIABR, MMCRA/0/1/2, LDBAR, SPRG3; SLB");
    co_return;
  }
  // The asm: pnv_wakeup_tb_loss. First thread: timebase resync on a hypervisor-state-loss wake, then the per-core
  // SPRs; clear_lock: lwsync, store of the word with our bit set.
  if (first) {
    if (hv_loss) co_await cpu.local("L2r", "opal_resync_timebase (SRR1: hypervisor state lost)");
    co_await cpu.local("L2r", "first thread in core: per-core SPRs PTCR, RPR, AMOR, TSCR, WORC");
  }
  co_await cpu.store_release(word, (locked | bit) & ~kCoreIdleLockBit, "L2r");
  // common_exit: SLB, SPURR, PURR, DSCR, WORT; cur_cpu_spec->cpu_restore (__restore_cpu_power9: LPCR |= PECEDH |
  // HVEE | HVICE | HEIC); power9_restore_additional_sprs: LPCR = _LPCR, PID, LDBAR, FSCR, HFSCR, MMCR*.
  co_await cpu.mtspr_lpcr(saved_lpcr, /*stop_api=*/false, "L2r",
                          "power9_restore_additional_sprs: mtspr(LPCR, _LPCR saved by save_sprs_to_stack)");
}

}  // namespace crashdiff::ppc
