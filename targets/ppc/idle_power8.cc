// POWER8 (ISA 2.07) sleep and winkle in pnv_cpu_offline, step by step (docs/FIDELITY-ppc.md rows L2c8, L2h8, L2r8):
// the core idle word's winkle count and per-thread winkle bits as the kernel keeps them, and the core's power
// management, which takes the core into fast sleep or winkle only once every thread of it is in one.
//   Hardware (P8HwEnter / P8HwWake): a thread's sleep or winkle instruction alone loses nothing the kernel
//     restores; when the last thread of a core enters, the core goes to the shallowest state of its threads: fast
//     sleep stops the timebase (every thread wakes with SRR1[46:47] = 11, hypervisor state lost), winkle also loses
//     the per-core, per-subcore and per-thread hypervisor SPRs (the SLW engine gives back the stop-api image, LPCR).
//     Both stop the core's decrementers while the core is in them when the state has OPAL_PM_DEC_STOP (skiboot's
//     fastsleep_ and winkle entries): from the last thread's entry to the first thread's wake (idle_p9_core.cc).
//   Kernel, two eras (Variant.idle_restore):
//     asm (idle_book3s.S, v4.14-v5.1): pnv_enter_arch207_idle_mode's lwarx_loop1 adds PNV_CORE_IDLE_WINKLE_COUNT
//     for a winkle and clears the thread bit in one stwcx.; the last thread in applies the fastsleep workaround
//     with the lock bit set. On the way back pnv_restore_hyp_resource_arch207 sends every sleep/winkle wake to
//     pnv_wakeup_tb_loss: lock; a winkler sets all eight THREAD_WINKLE bits if the count has its ALL bit (8) and
//     takes one off the count; its own winkle bit (cleared) says full loss (cr4); first in subcore and full: SDR1,
//     RPR, AMOR; first in core: workaround undo, opal_resync_timebase if SRR1 says hypervisor state lost, TSCR and
//     WORC if full; clear_lock (lwsync, stw); full: SLB, SPURR, PURR, DSCR, WORT, cpu_restore. No LPCR is saved.
//     C (10d91611f426, v5.2): power7_idle_insn: under atomic_lock_thread_idle clear the thread bit, workaround,
//     winkle count += 1 and, when it equals threads_per_core, all THREAD_WINKLE bits; unlock. Wake without
//     SRR1_WS_HVLOSS: lock, count -= 1 and our winkle bit cleared, unlock-and-set. With it: lock, count -= 1, our
//     winkle bit = full_winkle; first in core: TSCR/WORC (full), workaround undo, opal_resync_timebase; full and
//     first in subcore: SDR1, RPR; isync; unlock-and-set; full: per-thread SPRs with sprs.lpcr.
// Read: the v10 patch of 10d91611f426 (linuxppc-dev 2019-04-28: the removed asm in its diff, the new C);
// asm/cpuidle.h at 5cc619db5c34 (the word's layout); idle.c pnv_init_idle_states (ER1 and the workaround).
#include <algorithm>
#include <string>

#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {
namespace {

// asm/cpuidle.h (5cc619db5c34; the same values in 10d91611f426 with NR_PNV_CORE_IDLE_LOCK_BIT 28)
constexpr int64_t kLockBit = int64_t{1} << 28;      // PNV_CORE_IDLE_LOCK_BIT
constexpr int64_t kWinkleCount = 0x00010000;        // PNV_CORE_IDLE_WINKLE_COUNT
constexpr int64_t kWinkleCountAllBit = 0x00080000;  // PNV_CORE_IDLE_WINKLE_COUNT_ALL_BIT (asm: a count of 8)
constexpr int64_t kWinkleCountBits = 0x000F0000;    // PNV_CORE_IDLE_WINKLE_COUNT_BITS
constexpr int kThreadWinkleShift = 8;               // PNV_CORE_IDLE_THREAD_WINKLE_BITS_SHIFT
constexpr int64_t kThreadWinkleBits = 0x0000FF00;   // PNV_CORE_IDLE_THREAD_WINKLE_BITS
constexpr int64_t kThreadBits = 0x000000FF;         // PNV_CORE_IDLE_THREAD_BITS

}  // namespace

// The core's power management (POWER8 hardware, not kernel code): the core enters fast sleep or winkle only when
// every one of its threads has executed sleep or winkle, and then the shallower of them. What that costs is kept
// per thread until it wakes (SRR1's wake-state field). Runs within the thread's step that enters the idle state.
void PpcKernel::P8HwEnter(Cpu& cpu, uint8_t type) {
  const uint32_t tpc = m_.threads_per_core();
  const uint32_t first = cpu.id() / tpc * tpc;
  p8_hw_idle_[cpu.id()] = type;
  uint8_t core = kPnvThreadWinkle;
  uint32_t in = 0;
  for (uint32_t t = first; t < first + tpc; ++t) {
    core = std::min(core, p8_hw_idle_[t]);
    in += p8_hw_idle_[t] >= kPnvThreadSleep;
  }
  const std::string name = "core " + std::to_string(cpu.id() / tpc);
  // Always an entry (a hardware one): the decision reads the siblings' state, which lives in no variable, so the
  // step must be dependent with every other (docs/EXPLORE.md, per-step footprints).
  if (core < kPnvThreadSleep) {  // a thread runs or naps: the core stays up
    m_.Record(cpu.id(), TraceKind::kHw, "L2h8",
              name + " stays up: " + std::to_string(in) + " of " + std::to_string(tpc) + " threads in sleep/winkle",
              kP8LossNone);
    return;
  }
  const uint8_t loss = core == kPnvThreadWinkle ? kP8LossFull : kP8LossTimebase;
  for (uint32_t t = first; t < first + tpc; ++t) p8_hw_loss_[t] = std::max(p8_hw_loss_[t], loss);
  m_.Record(cpu.id(), TraceKind::kHw, "L2h8",
            core == kPnvThreadWinkle
                ? name +
                      ": every thread in winkle, the core winkles (timebase, per-core and per-thread hypervisor "
                      "state lost)"
                : name + ": every thread in sleep or winkle, the core fast-sleeps (timebase stops)",
            loss);
  // Fast sleep and winkle stop the core's clocks: its decrementers too when the state has OPAL_PM_DEC_STOP
  // (idle_p9_core.cc CoreDecsStop).
  if (idle_.dec_stop) CoreDecsStop(cpu.id() / tpc, cpu.id());
}

uint8_t PpcKernel::P8HwWake(Cpu& cpu) {
  p8_hw_idle_[cpu.id()] = kPnvThreadRunning;
  // The first thread to wake takes the core out of fast sleep / winkle: its decrementers count again.
  const uint32_t core = cpu.id() / m_.threads_per_core();
  if (core_dec_stopped_[core]) CoreDecsCount(core, cpu.id());
  const uint8_t loss = p8_hw_loss_[cpu.id()];
  p8_hw_loss_[cpu.id()] = kP8LossNone;
  return loss;
}

// pnv_cpu_offline -> power7_offline -> power7_idle_insn(power7_offline_type) (C), or power7_winkle / power7_sleep ->
// pnv_powersave_common -> pnv_enter_arch207_idle_mode (asm).
Task<Wake> PpcKernel::Power7IdleInsn(Cpu& cpu) {
  const uint8_t type = idle_.kind == OfflineIdleKind::kWinkle ? kPnvThreadWinkle : kPnvThreadSleep;
  const uint64_t saved_lpcr = cpu.lpcr();  // C: sprs.lpcr, a stack slot (winkle only; the asm saves none)
  co_await cpu.local("L2",
                     v_.idle_restore == IdleRestore::k10d91611
                         ? "run-latch off; power7_idle_insn(" + idle_.name + ")"
                         : "run-latch off; pnv_powersave_common, pnv_enter_arch207_idle_mode(" + idle_.name + ")");
  if (kvm_) co_await KvmIdleEnter(cpu);  // hwthread_state = IN_IDLE before the idle instruction (kvm.cc)
  co_await P8CoreIdleEnter(cpu, type);
  P8HwEnter(cpu, type);  // the instruction: the thread is in the state from here
  // Through the 0x100 vector whatever was lost: the op restores nothing itself (what is lost is the core's
  // decision, known at the wake).
  const Wake wake = co_await cpu.enter_stop_lpcr(/*loses_state=*/false, "L2");
  const uint8_t loss = P8HwWake(cpu);
  if (!StopWakeIsVector(cpu)) co_await cpu.wait_until([] { return false; }, kForever, "L2");
  // A full winkle: the SLW engine restores the stop-api image before the vector runs (same step as the wake).
  if (loss == kP8LossFull && cpu.lpcr() != cpu.slw_lpcr()) {
    cpu.restore_lpcr_from_slw();
    m_.Record(cpu.id(), TraceKind::kHw, "L2", "SLW restores LPCR from the stop-api image (core winkled)",
              static_cast<int64_t>(cpu.slw_lpcr()));
  }
  co_await P8CoreIdleWake(cpu, type, loss, saved_lpcr);
  if (kvm_) co_return co_await KvmPowersaveWakeup(cpu, wake);  // after the restore, as pnv_powersave_wakeup does
  co_return wake;
}

// The entry's core idle word update (L2c8).
Task<> PpcKernel::P8CoreIdleEnter(Cpu& cpu, uint8_t type) {
  const uint32_t tpc = m_.threads_per_core();
  Var& word = *core_idle_[cpu.id() / tpc];
  const int64_t bit = int64_t{1} << (cpu.id() % tpc);
  const int64_t add = type == kPnvThreadWinkle ? kWinkleCount : 0;
  if (v_.idle_restore == IdleRestore::k10d91611) {
    // power7_idle_insn: atomic_lock_thread_idle, then plain updates under the lock, atomic_unlock_thread_idle.
    int64_t w = (co_await CoreIdleLock(cpu, "L2c8")) & ~bit;
    if (idle_.fastsleep_workaround && (w & ((int64_t{1} << tpc) - 1)) == 0) {
      co_await cpu.local("L2c8", "last thread in core: opal_config_cpu_idle_state(FASTSLEEP, APPLY)");
    }
    if (type == kPnvThreadWinkle) {
      w += kWinkleCount;
      if ((w & kWinkleCountBits) >> 16 == static_cast<int64_t>(tpc)) w |= kThreadWinkleBits;  // all winkling
    }
    co_await cpu.write(word, w, "L2c8");
    co_await cpu.fetch_add(word, -kLockBit, "L2c8");  // clear_bit_unlock
    co_return;
  }
  // lwarx_loop1: spin while locked (core_idle_lock_held), add the winkle count, clear the thread bit, stwcx.
  for (;;) {
    const int64_t v = co_await cpu.read(word, "L2c8");
    if (v & kLockBit) {
      co_await cpu.wait_until([&word] { return (word.value & kLockBit) == 0; }, kForever, "L2c8");
      continue;
    }
    const int64_t w = (v + add) & ~bit;
    if (idle_.fastsleep_workaround && (w & kThreadBits) == 0) {
      // fastsleep_workaround_at_entry: the last thread stores with the lock bit, calls OPAL, unlocks (lwsync; stw).
      if (co_await cpu.cmpxchg(word, v, w | kLockBit, "L2c8") != v) continue;
      co_await cpu.local("L2c8", "last thread in core: opal_config_cpu_idle_state(FASTSLEEP, APPLY)");
      co_await cpu.store_release(word, w, "L2c8");
      co_return;
    }
    if (co_await cpu.cmpxchg(word, v, w, "L2c8") == v) co_return;
  }
}

// The wake's core idle word update and restore (L2r8). loss: what the core's deep state cost this thread (SRR1).
Task<> PpcKernel::P8CoreIdleWake(Cpu& cpu, uint8_t type, uint8_t loss, uint64_t saved_lpcr) {
  const uint32_t tpc = m_.threads_per_core();
  Var& word = *core_idle_[cpu.id() / tpc];
  const int64_t bit = int64_t{1} << (cpu.id() % tpc);
  const int64_t core_mask = (int64_t{1} << tpc) - 1;
  // paca->subcore_sibling_mask (update_subcore_sibling_mask): the threads of this thread's subcore.
  const uint32_t tps = tpc / std::max<uint32_t>(1, m_.config().subcores_per_core());
  const int64_t subcore_mask = ((int64_t{1} << tps) - 1) << (cpu.id() % tpc / tps * tps);
  const bool hv_loss = loss != kP8LossNone;  // (srr1 & SRR1_WAKESTATE) == SRR1_WS_HVLOSS
  const std::string core = " (core " + std::to_string(cpu.id() / tpc) + ")";
  if (v_.idle_restore == IdleRestore::k10d91611) {
    int64_t w = co_await CoreIdleLock(cpu, "L2r8");
    bool full_winkle = false;
    if (type == kPnvThreadWinkle) {
      w -= kWinkleCount;
      full_winkle = hv_loss && (w & (bit << kThreadWinkleShift)) != 0;
      w &= ~(bit << kThreadWinkleShift);
      co_await cpu.write(word, w, "L2r8");  // plain updates under the lock
    }
    if (hv_loss) {
      if ((w & core_mask) == 0) {  // first thread of the core awake
        if (full_winkle) co_await cpu.local("L2r8", "first thread in core: per-core SPRs TSCR, WORC" + core);
        if (idle_.fastsleep_workaround) {
          co_await cpu.local("L2r8", "first thread in core: opal_config_cpu_idle_state(FASTSLEEP, UNDO)");
        }
        co_await cpu.local("L2r8", "first thread in core: opal_resync_timebase (SRR1_WS_HVLOSS)" + core);
      }
      if (full_winkle && (w & subcore_mask) == 0) {
        co_await cpu.local("L2r8", "first thread in subcore: per-subcore SPRs SDR1, RPR" + core);
      }
      co_await cpu.local("L2r8", "isync");
    }
    // atomic_unlock_and_stop_thread_idle
    for (int64_t s = w;;) {
      const int64_t old = co_await cpu.cmpxchg(word, s, (s | bit) & ~kLockBit, "L2r8");
      if (old == s) break;
      s = old;
    }
    if (full_winkle) {
      co_await cpu.mtspr_lpcr(saved_lpcr, /*stop_api=*/false, "L2r8",
                              "power7_idle_insn: full winkle, per-thread SPRs: LPCR (sprs.lpcr), HFSCR, FSCR, PURR, "
                              "SPURR, DSCR, WORT, SPRG3; SLB");
    }
    co_return;
  }
  // pnv_wakeup_tb_loss (every sleep or winkle wake comes here, whatever SRR1 says).
  int64_t w = co_await CoreIdleLock(cpu, "L2r8");
  const bool first_in_core = (w & kThreadBits) == 0;  // cr2
  if (type == kPnvThreadWinkle) {
    if (w & kWinkleCountAllBit) w |= kThreadWinkleBits;  // all eight were in winkle
    w -= kWinkleCount;
  }
  const int64_t mine = w & (bit << kThreadWinkleShift);
  w &= ~mine;
  const bool full = mine != 0;  // cr4
  const bool first_in_subcore = (w & subcore_mask) == 0;
  w |= bit;
  if (first_in_subcore && full) {
    co_await cpu.local("L2r8", "first thread in subcore: per-subcore SPRs SDR1, RPR, AMOR" + core);
  }
  if (first_in_core) {
    if (idle_.fastsleep_workaround) {
      co_await cpu.local("L2r8", "first thread in core: fastsleep_workaround_at_exit, opal_config_cpu_idle_state");
    }
    if (hv_loss) {
      co_await cpu.local("L2r8", "first thread in core: opal_resync_timebase (SRR1: hypervisor state lost)" + core);
    }
    if (full) co_await cpu.local("L2r8", "first thread in core: per-core SPRs TSCR, WORC" + core);
  }
  co_await cpu.store_release(word, w & ~kLockBit, "L2r8");  // clear_lock: lwsync; stw
  if (full) {
    // common_exit: no LPCR saved on POWER8; cpu_restore (__restore_cpu_power8) ORs PECEDH, which the offline LPCR
    // has: the SLW image's LPCR stays.
    co_await cpu.local("L2r8", "common_exit: SLB, SPURR, PURR, DSCR, WORT; cpu_restore (__restore_cpu_power8)");
  }
}

}  // namespace crashdiff::ppc
