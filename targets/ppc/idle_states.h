// The idle state a powernv kernel puts its offline threads in, chosen at boot from the firmware's idle-state table
// (Firmware.idle_states) the way pnv_init_idle_states does, and what that state does to the thread: how it ends,
// where the thread resumes, and what it loses (docs/DOMAIN.md §2.2 "Idle states by their effect").
// Sources (torvalds/linux): arch/powerpc/platforms/powernv/idle.c pnv_init_idle_states, pnv_probe_idle_states,
// pnv_arch300_idle_init (pnv_power9_idle_init before 2020), validate_psscr_val_mask, pnv_disable_deep_states,
// pnv_cpu_offline (blob read at 0c8fb653d487); asm/cpuidle.h PSSCR_HV_DEFAULT_*; asm/reg.h PSSCR_*; asm/opal-api.h
// OPAL_PM_*. The flags and PSSCR values the firmware offers: skiboot hw/slw.c power9_cpu_idle_states.
#pragma once

#include <cstdint>
#include <string>

#include "proto/scenario.pb.h"

namespace crashdiff::ppc {

// asm/opal-api.h
inline constexpr uint32_t kOpalPmDecStop = 0x1;
inline constexpr uint32_t kOpalPmTimebaseStop = 0x2;
inline constexpr uint32_t kOpalPmLoseUserContext = 0x1000;
inline constexpr uint32_t kOpalPmLoseHypContext = 0x2000;
inline constexpr uint32_t kOpalPmLoseFullContext = 0x4000;
inline constexpr uint32_t kOpalPmNapEnabled = 0x10000;
inline constexpr uint32_t kOpalPmSleepEnabled = 0x20000;
inline constexpr uint32_t kOpalPmWinkleEnabled = 0x40000;
inline constexpr uint32_t kOpalPmSleepEnabledEr1 = 0x80000;
inline constexpr uint32_t kOpalPmStopInstFast = 0x100000;
inline constexpr uint32_t kOpalPmStopInstDeep = 0x200000;

// asm/reg.h
inline constexpr uint64_t kPsscrRlMask = 0xF;
inline constexpr uint64_t kPsscrMtlMask = 0xF0;
inline constexpr uint64_t kPsscrTrMask = 0x300;
inline constexpr uint64_t kPsscrPsllMask = 0xF0000;
inline constexpr uint64_t kPsscrEc = 0x100000;
inline constexpr uint64_t kPsscrEsl = 0x200000;
// asm/cpuidle.h: what an older firmware's state (psscr_mask 0xF, RL only) gets.
inline constexpr uint64_t kPsscrHvDefaultVal = kPsscrEsl | kPsscrEc | kPsscrPsllMask | kPsscrTrMask | kPsscrMtlMask;
inline constexpr uint64_t kPsscrHvDefaultMask = kPsscrHvDefaultVal | kPsscrRlMask;
inline constexpr uint64_t kMaxStopState = 0xF;  // idle.c MAX_STOP_STATE

// How pnv_cpu_offline idles.
enum class OfflineIdleKind {
  kOneBit,    // Firmware.idle_states empty: the one-bit description (idle_state_usable, stop_loses_state)
  kBusyPoll,  // no usable state: the snooze fallback (poll cpu_state)
  kStop,      // POWER9 stop with the deepest state's PSSCR (arch300_offline_stop)
  kNap,       // POWER8 power7_offline types (PNV_THREAD_NAP / SLEEP / WINKLE)
  kSleep,
  kWinkle,
};

struct OfflineIdle {
  OfflineIdleKind kind = OfflineIdleKind::kOneBit;
  std::string name;    // the firmware's name of the chosen state
  uint64_t psscr = 0;  // kStop: (PSSCR & ~mask) | val, the register being 0 before (__restore_cpu_power9)
  uint32_t level = 0;  // kStop: the requested level, PSSCR[RL]
  // The thread wakes through the system-reset vector (0x100) with an SRR1 wake reason, ended by the LPCR's PECE
  // bits (PSSCR[EC] = 1; nap / sleep / winkle always); else (EC = 0) any pending exception ends the stop, masked or
  // not, and the thread resumes after the stop instruction with nothing in SRR1 (isa300_idle_stop_noloss returns 0).
  bool wakes_at_vector = true;
  // The hardware loses hypervisor state in this state (the chosen state's OPAL_PM_LOSE_FULL_CONTEXT; POWER8
  // winkle): the SLW engine restores the registers the stop-api image holds (LPCR) before the reset vector runs.
  bool hw_loses_hv_state = false;
  // The kernel's side: the level is at or above deep_spr_loss_state (pnv_first_deep_stop_state in the asm), so it
  // saved its SPRs and takes the core idle lock on the way back (power9_idle_stop; POWER8: sleep and winkle).
  bool kernel_restores = false;
  // The first thread of a core to wake resyncs the timebase (C: level >= pnv_first_tb_loss_level; asm: any wake
  // with hypervisor state loss; POWER8 sleep and winkle). POWER9: what the kernel compares the woken thread's
  // PSSCR[PLS] with, the level the core actually reached (idle_p9_core.cc): spr_loss_level (C deep_spr_loss_state,
  // asm pnv_first_deep_stop_state) decides the restore, tb_loss_level (C pnv_first_tb_loss_level) the resync.
  bool tb_loss = false;
  uint32_t spr_loss_level = kMaxStopState + 1;
  uint32_t tb_loss_level = kMaxStopState + 1;
  // pnv_program_cpu_hotplug_lpcr writes the stop-api too: supported_cpuidle_states has OPAL_PM_LOSE_FULL_CONTEXT.
  bool lpcr_via_stop_api = false;
  // The chosen state has OPAL_PM_DEC_STOP: the decrementer does not count while the thread is in it, so it neither
  // expires nor ends the stop there. POWER9 EC=ESL=1 at a core level (2 and deeper) and POWER8 fast sleep / winkle:
  // only while the whole core is in the state (idle_p9_core.cc, idle_power8.cc: CoreDecsStop); POWER9 levels 0-1
  // and EC=0: for the thread's own stop (idle_stop.cc DecStops).
  bool dec_stop = false;
  // POWER8: the table offers OPAL_PM_SLEEP_ENABLED_ER1, so the fastsleep hardware workaround stays in the idle code
  // (pnv_init_idle_states patches the calls out otherwise; C: power7_fastsleep_workaround_entry/exit): the last
  // thread of a core to enter sleep or winkle applies it, the first to wake undoes it (idle_power8.cc).
  bool fastsleep_workaround = false;
};

// The POWER8 idle instruction a thread executed (asm/cpuidle.h PNV_THREAD_*).
inline constexpr uint8_t kPnvThreadRunning = 0;
inline constexpr uint8_t kPnvThreadNap = 1;
inline constexpr uint8_t kPnvThreadSleep = 2;
inline constexpr uint8_t kPnvThreadWinkle = 3;
// What a POWER8 thread lost while its core was in a deep state (the hardware's SRR1[46:47] on the wake).
inline constexpr uint8_t kP8LossNone = 0;      // the core never went deeper than nap: not SRR1_WS_HVLOSS
inline constexpr uint8_t kP8LossTimebase = 1;  // fast sleep: the timebase stopped (SRR1_WS_HVLOSS)
inline constexpr uint8_t kP8LossFull = 2;      // winkle: also the per-core and per-thread hypervisor SPRs

// pnv_init_idle_states at boot: the state pnv_cpu_offline will use on this platform. With an empty idle_states
// list the kind is kOneBit and the rest describes the one-bit firmware (for LpcrViaStopApi).
OfflineIdle PnvOfflineIdle(const pb::Firmware& fw, pb::Platform platform, bool c_idle_code);

// POWER9: the deepest level a thread's stop reaches while a sibling of its core is not in stop. Levels 0 and 1 are
// the thread's own (the core's hardware enters stop1 itself); stop2 and deeper are entered for the whole core by
// its CME once every thread is stopped, at the shallowest level they request (hcode p9_cme_stop_entry.c).
inline constexpr uint32_t kP9ThreadLevelMax = 1;
inline constexpr uint8_t kP9Running = 0xFF;  // a thread not in stop (running, or in firmware)

// POWER9 stop levels by the unit that owns them (open-power/hcode at ca06a0c996e3; docs/FIDELITY-ppc.md L2h9, L2h9x):
// 2-7 the core's (its CME: stop2 clocks off, stop4 power off, stop3 rounded to stop2, 5-7 recorded as stop5 when
// handed to the SGPE), 8-10 the EX's (the core pair 2k, 2k+1 sharing an L2: the SGPE stops the L2 clocks once the
// shallower request of the pair is >= LEVEL_EX_BASE, recorded as stop8), 11-15 the quad's (EQ, cores 4k..4k+3
// sharing the L3: the SGPE powers the cache off once the shallowest request of the four is >= LEVEL_EQ_BASE,
// recorded as stop11). A core the chip does not have counts as STOP_LEVEL_15 (p9_sgpe_stop_init: a partial-bad
// core's level); a core with a thread not in stop as 0.
inline constexpr uint32_t kP9PowerOffLevel = 4;  // the CME powers the core off: its hypervisor state is lost
inline constexpr uint32_t kP9CoreLevelMax = 5;   // the deepest a core reaches alone
inline constexpr uint32_t kP9ExLevel = 8;        // p9_sgpe_stop.h LEVEL_EX_BASE
inline constexpr uint32_t kP9QuadLevel = 11;     // p9_sgpe_stop.h LEVEL_EQ_BASE
inline constexpr uint32_t kP9AbsentCore = 15;    // STOP_LEVEL_15
inline constexpr uint32_t kP9CoresPerEx = 2;
inline constexpr uint32_t kP9CoresPerQuad = 4;

// The level a core whose threads are all stopped is in: req is the shallowest request of its threads, ex the
// shallowest of the two cores of its EX, quad of the four of its quad (the stop state history each unit writes:
// SSH_ACT_LV2/4/5, LV8, LV11, which the thread reads back as PSSCR[PLS]).
constexpr uint32_t P9CoreReach(uint32_t req, uint32_t ex, uint32_t quad) {
  if (req >= kP9QuadLevel && quad >= kP9QuadLevel) return kP9QuadLevel;
  if (req >= kP9ExLevel && ex >= kP9ExLevel) return kP9ExLevel;
  if (req == 3) return 2;  // p9_cme_stop_entry: "Round Stop3 to Stop2"
  return req < kP9CoreLevelMax ? req : kP9CoreLevelMax;
}

}  // namespace crashdiff::ppc
