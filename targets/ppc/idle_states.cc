// Boot-time choice of the offline idle state (idle_states.h). Pure: it reads the firmware description only, as
// the kernel's initcall reads the device tree once; no step of any CPU.
#include "targets/ppc/idle_states.h"

namespace crashdiff::ppc {
namespace {

struct StopPick {
  bool found = false;
  uint64_t val = 0;
  uint64_t mask = 0;
  uint32_t flags = 0;  // the flags of the state whose PSSCR is used (the hardware's loss at that level)
  std::string name;
};

// validate_psscr_val_mask: an older firmware's mask 0xF gets the default fields; otherwise ESL must equal EC, and a
// state that loses full context must allow state loss (ESL = 1). An invalid state is skipped (report_invalid_...).
bool ValidatePsscr(uint64_t& val, uint64_t& mask, uint32_t flags) {
  if (mask == 0xF) {
    val |= kPsscrHvDefaultVal;
    mask = kPsscrHvDefaultMask;
    return true;
  }
  const bool esl = (val & kPsscrEsl) != 0;
  const bool ec = (val & kPsscrEc) != 0;
  if (esl != ec) return false;                                 // ERR_EC_ESL_MISMATCH
  if ((flags & kOpalPmLoseFullContext) && !esl) return false;  // ERR_DEEP_STATE_ESL_MISMATCH
  return true;
}

OfflineIdle Power9(const pb::Firmware& fw, bool c_idle_code, uint32_t supported) {
  OfflineIdle o;
  // pnv_arch300_idle_init (pnv_power9_idle_init before the 2020 rename). The loss levels are computed over every
  // state, valid or not, before validation, as the kernel does.
  uint64_t first_tb_loss = kMaxStopState + 1;
  uint64_t deep_spr_loss = kMaxStopState + 1;
  // The asm idle code (before 10d91611f426) keys everything on pnv_first_deep_stop_state: the lowest level that
  // loses full context, MAX_STOP_STATE when none does.
  uint64_t first_deep_asm = kMaxStopState;
  uint32_t max_residency = 0;
  StopPick deepest;
  StopPick fallback;  // the default stop state: the first valid OPAL_PM_STOP_INST_FAST one
  for (const pb::IdleState& s : fw.idle_states()) {
    const uint64_t rl = s.psscr_val() & kPsscrRlMask;
    if ((s.flags() & kOpalPmTimebaseStop) && first_tb_loss > rl) first_tb_loss = rl;
    if ((s.flags() & kOpalPmLoseFullContext) && deep_spr_loss > rl) deep_spr_loss = rl;
    // TB loss in a shallower state than SPR loss is treated as SPR loss (10d91611f426's forward-compatibility rule).
    if ((s.flags() & kOpalPmTimebaseStop) && deep_spr_loss > rl) deep_spr_loss = rl;
    if ((s.flags() & kOpalPmLoseFullContext) && first_deep_asm > rl) first_deep_asm = rl;
    uint64_t val = s.psscr_val();
    uint64_t mask = s.psscr_mask();
    if (!ValidatePsscr(val, mask, s.flags())) continue;
    if (max_residency < s.residency_ns()) {
      max_residency = s.residency_ns();
      deepest = StopPick{true, val, mask, s.flags(), s.name()};
    }
    if (!fallback.found && (s.flags() & kOpalPmStopInstFast)) fallback = StopPick{true, val, mask, s.flags(), s.name()};
  }
  // pnv_init_idle_states: the stop-api programming (pnv_save_sprs_for_deep_states) failed: pnv_disable_deep_states.
  // pnv_deepest_stop_flag keeps the old state's flags; the PSSCR the offline path uses is the default state's.
  if ((supported & kOpalPmLoseFullContext) && fw.stop_api_fails()) {
    supported &= ~kOpalPmLoseFullContext;
    if (deepest.found && (deepest.flags & kOpalPmLoseFullContext)) deepest = fallback;
  }
  o.lpcr_via_stop_api = (supported & kOpalPmLoseFullContext) != 0;
  if (!deepest.found) {
    o.kind = OfflineIdleKind::kBusyPoll;  // "No suitable stop state for CPU-Hotplug. Offlined CPUs will busy wait"
    return o;
  }
  o.kind = OfflineIdleKind::kStop;
  o.name = deepest.name;
  o.psscr = (0 & ~deepest.mask) | deepest.val;
  o.level = static_cast<uint32_t>(o.psscr & kPsscrRlMask);
  o.wakes_at_vector = (o.psscr & (kPsscrEc | kPsscrEsl)) != 0;  // power9_idle_stop: EC=ESL=0 is the no-loss path
  o.hw_loses_hv_state = o.wakes_at_vector && (deepest.flags & kOpalPmLoseFullContext) != 0;
  o.dec_stop = (deepest.flags & kOpalPmDecStop) != 0;
  if (c_idle_code) {
    o.kernel_restores = o.wakes_at_vector && o.level >= deep_spr_loss;
    o.tb_loss = o.kernel_restores && o.level >= first_tb_loss;
    o.spr_loss_level = static_cast<uint32_t>(deep_spr_loss);
    o.tb_loss_level = static_cast<uint32_t>(first_tb_loss);
  } else {
    o.kernel_restores = o.wakes_at_vector && o.level >= first_deep_asm;
    o.tb_loss = o.kernel_restores && o.hw_loses_hv_state;  // timebase_resync on SRR1's hypervisor-state-loss code
    o.spr_loss_level = static_cast<uint32_t>(first_deep_asm);
  }
  return o;
}

// POWER8: power7_offline_type (10d91611f426; the asm era's pnv_cpu_offline tests the same flags in the same order):
// nap if offered, then winkle if winkle loses full context, else sleep (fast sleep, with or without ER1).
OfflineIdle Power8(const pb::Firmware& fw, uint32_t supported) {
  OfflineIdle o;
  o.lpcr_via_stop_api = (supported & kOpalPmLoseFullContext) != 0;
  o.kind = OfflineIdleKind::kBusyPoll;
  if (supported & kOpalPmNapEnabled) o.kind = OfflineIdleKind::kNap;
  if ((supported & kOpalPmWinkleEnabled) && (supported & kOpalPmLoseFullContext)) {
    o.kind = OfflineIdleKind::kWinkle;
  } else if (supported & (kOpalPmSleepEnabled | kOpalPmSleepEnabledEr1)) {
    o.kind = OfflineIdleKind::kSleep;
  }
  o.name = o.kind == OfflineIdleKind::kWinkle  ? "winkle"
           : o.kind == OfflineIdleKind::kSleep ? "fastsleep"
           : o.kind == OfflineIdleKind::kNap   ? "nap"
                                               : "";
  // nap, sleep and winkle all wake through the system-reset vector; sleep and winkle lose the timebase (the
  // first thread of the core resyncs it under the core idle lock); winkle loses hypervisor state.
  o.wakes_at_vector = true;
  o.kernel_restores = o.kind == OfflineIdleKind::kSleep || o.kind == OfflineIdleKind::kWinkle;
  o.tb_loss = o.kernel_restores;
  o.hw_loses_hv_state = o.kind == OfflineIdleKind::kWinkle;
  // pnv_init_idle_states: the workaround calls are patched out (C: the two booleans cleared) unless some state
  // needs it (OPAL_PM_SLEEP_ENABLED_ER1).
  o.fastsleep_workaround = (supported & kOpalPmSleepEnabledEr1) != 0;
  // The core's fast sleep / winkle stops the decrementer when the firmware's entry for that state says so
  // (skiboot hw/slw.c power8_cpu_idle_states: OPAL_PM_DEC_STOP on "fastsleep_" and "winkle"). The entries that
  // describe the state the kernel chose: those with its enable flag.
  const uint32_t enable = o.kind == OfflineIdleKind::kWinkle  ? kOpalPmWinkleEnabled
                          : o.kind == OfflineIdleKind::kSleep ? (kOpalPmSleepEnabled | kOpalPmSleepEnabledEr1)
                                                              : 0;
  for (const pb::IdleState& s : fw.idle_states()) {
    if ((s.flags() & enable) && (s.flags() & kOpalPmDecStop)) o.dec_stop = true;
  }
  return o;
}

}  // namespace

OfflineIdle PnvOfflineIdle(const pb::Firmware& fw, pb::Platform platform, bool c_idle_code) {
  if (fw.idle_states_size() == 0) {
    OfflineIdle o;
    o.lpcr_via_stop_api = fw.idle_state_usable() && fw.stop_loses_state();
    return o;
  }
  uint32_t supported = 0;  // pnv_probe_idle_states: the OR of every state's flags
  for (const pb::IdleState& s : fw.idle_states()) supported |= s.flags();
  return platform == pb::POWER8_XICS ? Power8(fw, supported) : Power9(fw, c_idle_code, supported);
}

}  // namespace crashdiff::ppc
