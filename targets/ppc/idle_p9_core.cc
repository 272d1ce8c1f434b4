// The POWER9 stop level of each core, EX and quad, and the decrementers of a core in a DEC_STOP state: hardware,
// not kernel code (docs/FIDELITY-ppc.md rows L2h9, L2h9x, L2 (DEC_STOP)).
//   A thread's stop instruction takes the thread itself no deeper than stop1; stop2 and deeper are entered for the
//   whole core by its CME once every thread of the core is stopped, at the shallowest level they request
//   (open-power/hcode import/chips/p9/procedures/ppe_closed/cme/stop_cme/p9_cme_stop_entry.c at ca06a0c996e3,
//   p9_cme_stop_entry: the core's pm_state req_level, "core cannot enter stop if core is already stopped", stop1
//   done by the core's hardware). The core goes no deeper than stop5 alone: the CME powers it off (stop4) and hands
//   a request of 5 or more to the SGPE recording stop5 (SSH_ACT_LV5_CONTINUE; the L2 purge only when both cores of
//   its EX request stop8 or deeper). The SGPE (sgpe/stop_gpe/p9_sgpe_stop_entry.c, same commit) stops the EX's L2
//   clocks once the shallower request of the core pair is >= 8 and records stop8 in both cores' history; it powers
//   the quad's cache off once the shallowest request of its four cores is >= 11 and records stop11 in all four. A
//   core the chip does not have counts as stop15 (p9_sgpe_stop_init.c), so the only core of an EX or a quad
//   reaches its levels alone. Pair and quad are cores (2k, 2k+1) and 4k..4k+3 (skiboot include/xscom.h
//   XSCOM_ADDR_P9_EX / _EQ: EX = core >> 1, EQ = core >> 2).
//   A thread's PSSCR[PLS] reports the deepest level it was in since its stop (asm/reg.h / idle.c "Power-Saving
//   Level Status"), and the kernel restores by it, not by what it asked for (torvalds/linux
//   arch/powerpc/platforms/powernv/idle.c power9_idle_stop at 0c8fb653d487: "just always test PSSCR for SPR/TB
//   state loss"; the asm before 10d91611f426: pnv_restore_hyp_resource_arch300 compares PLS with
//   pnv_first_deep_stop_state). What the chosen state loses (OPAL_PM_LOSE_FULL_CONTEXT) is lost once the core is
//   powered off (stop4) or reached the state (SRR1[46:47] = HVLOSS); its DEC_STOP holds from stop8 (skiboot hw/slw.c
//   power9_cpu_idle_states: stop4/stop5 lose full context but keep DEC and timebase, stop8/stop11 stop both).
//   When the first thread of a core wakes, the core leaves its state, and its EX and quad leave theirs with it
//   (p9_sgpe_stop_exit.c: the quad's cache powered on, the L2 clocks of the waking core's EX started); the other
//   cores stay stopped at what they reach without it (the pair core stop5, the other EX of the quad stop8), their
//   threads' PLS keeps the deeper level they were in, and their stopped decrementers stay stopped until their own
//   core wakes (the timebase they lost is resynced only by a thread of theirs).
// Like the POWER8 core's fast sleep (idle_power8.cc P8HwEnter), this runs inside the entering or waking thread's
// step, with hardware trace entries: the decision reads other threads' state, which lives in no variable.
#include <algorithm>
#include <string>

#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

uint32_t PpcKernel::P9CoreRequest(uint32_t core) const {
  const uint32_t tpc = m_.threads_per_core();
  if (core * tpc >= m_.num_cpus()) return kP9AbsentCore;
  uint32_t req = kP9Running;
  for (uint32_t t = core * tpc; t < (core + 1) * tpc; ++t) {
    if (p9_req_[t] == kP9Running) return kP9Running;
    req = std::min<uint32_t>(req, p9_req_[t]);
  }
  return req;
}

uint32_t PpcKernel::P9Reach(uint32_t core) const {
  const auto level = [this](uint32_t c) {
    const uint32_t r = P9CoreRequest(c);
    return r == kP9Running ? 0 : r;
  };
  const uint32_t ex0 = core - core % kP9CoresPerEx;
  const uint32_t q0 = core - core % kP9CoresPerQuad;
  const uint32_t ex = std::min(level(ex0), level(ex0 + 1));
  uint32_t quad = kP9AbsentCore;
  for (uint32_t c = q0; c < q0 + kP9CoresPerQuad; ++c) quad = std::min(quad, level(c));
  return P9CoreReach(level(core), ex, quad);
}

void PpcKernel::P9HwEnter(Cpu& cpu) {
  const uint32_t tpc = m_.threads_per_core();
  const uint32_t core = cpu.id() / tpc;
  const uint32_t first = core * tpc;
  const uint32_t id = cpu.id();
  p9_req_[id] = static_cast<uint8_t>(idle_.level);
  // The thread's own part of the stop.
  const uint32_t own = std::min<uint32_t>(idle_.level, kP9ThreadLevelMax);
  p9_pls_[id] = static_cast<uint8_t>(std::max<uint32_t>(p9_pls_[id], own));
  // A thread-level state is reached alone, whatever the siblings do; its DEC_STOP is the thread's own
  // (idle_stop.cc DecStops). No sibling is read: no entry.
  if (idle_.level <= kP9ThreadLevelMax) return;
  uint32_t in = 0;
  for (uint32_t t = first; t < first + tpc; ++t) in += p9_req_[t] != kP9Running;
  if (in < tpc) {
    m_.Record(id, TraceKind::kHw, "L2h9",
              "core " + std::to_string(core) + " stays up: " + std::to_string(in) + " of " + std::to_string(tpc) +
                  " threads in stop; this thread stops at level " + std::to_string(own),
              own);
    return;
  }
  P9Settle(core, id);
}

namespace {

std::string Stop(uint32_t level) {
  return "stop" + std::to_string(level);
}

// The hardware entry for core c moving from level was to now, after core by_core's entry or wake (req: c's
// shallowest request).
std::string LevelChange(uint32_t by_core, uint32_t c, uint32_t req, uint32_t was, uint32_t now) {
  const std::string name = "core " + std::to_string(c);
  const std::string ex = "EX " + std::to_string(c / kP9CoresPerEx);
  const std::string quad = "quad " + std::to_string(c / kP9CoresPerQuad);
  std::string what;
  if (c == by_core && was == kP9Running) {
    what = name + ": every thread in stop, the core enters " + Stop(now);
    if (now < req && req >= kP9QuadLevel && now == kP9ExLevel) {
      what.append(" (requested ").append(Stop(req)).append(": not all cores of ").append(quad).append(" are; ");
      what.append(ex).append(" is in stop8)");
    } else if (now < req && req >= kP9ExLevel) {
      what.append(" (requested ").append(Stop(req)).append(": its pair core ").append(std::to_string(c ^ 1));
      what.append(" of ").append(ex).append(" is not in stop8 or deeper, the core stops alone)");
    } else if (now < req) {
      what.append(" (requested ").append(Stop(req)).append(")");
    }
  } else if (was == kP9Running || now > was) {
    what = name + " goes to " + Stop(now) + " with its " + (now >= kP9QuadLevel ? quad : ex) + " (core " +
           std::to_string(by_core) + " stopped)";
  } else {
    what = name + " stays stopped at " + Stop(now) + ": its " + (was >= kP9QuadLevel ? quad : ex) + " left " +
           Stop(was) + " with core " + std::to_string(by_core) + " (its threads' PLS keep their deepest)";
  }
  return what;
}

}  // namespace

// After the core's last thread stopped or its first woke (by): every core of its quad moves to the level it reaches
// now; a level reached raises its threads' PLS (the unit's stop history) and may hold its DECs.
void PpcKernel::P9Settle(uint32_t core, uint32_t by) {
  const uint32_t tpc = m_.threads_per_core();
  const uint32_t q0 = core - core % kP9CoresPerQuad;
  for (uint32_t c = q0; c < q0 + kP9CoresPerQuad && c * tpc < m_.num_cpus(); ++c) {
    const uint32_t req = P9CoreRequest(c);
    const uint32_t was = p9_core_level_[c];
    const uint32_t now = req == kP9Running ? kP9Running : P9Reach(c);
    if (now == was) continue;
    p9_core_level_[c] = static_cast<uint8_t>(now);
    if (now == kP9Running) continue;  // the waking core: its threads read their own PLS
    for (uint32_t t = c * tpc; t < (c + 1) * tpc; ++t) {
      p9_pls_[t] = static_cast<uint8_t>(std::max<uint32_t>(p9_pls_[t], now));
    }
    std::string what = LevelChange(core, c, req, was, now);
    if (idle_.hw_loses_hv_state && now >= std::min(idle_.level, kP9PowerOffLevel) && (was == kP9Running || now > was)) {
      what += now == idle_.level ? " (hypervisor state and timebase lost)" : " (hypervisor state lost)";
    }
    m_.Record(by, TraceKind::kHw, "L2h9", what, now);
    // The chosen state's DEC_STOP holds from the EX level on (stop4/stop5 keep the DEC): from the moment the core
    // gets there until its own first thread wakes.
    if (idle_.dec_stop && now >= std::min(idle_.level, kP9ExLevel) && !core_dec_stopped_[c]) {
      CoreDecsStop(c, by, now == idle_.level ? std::string() : Stop(now));
    }
  }
}

uint32_t PpcKernel::P9HwWake(Cpu& cpu) {
  const uint32_t tpc = m_.threads_per_core();
  const uint32_t core = cpu.id() / tpc;
  const uint32_t pls = p9_pls_[cpu.id()];
  p9_req_[cpu.id()] = kP9Running;
  p9_pls_[cpu.id()] = 0;
  // The core leaves its state with its first thread, its EX and quad with it.
  if (p9_core_level_[core] != kP9Running) P9Settle(core, cpu.id());
  // Every decrementer of the core counts again.
  if (core_dec_stopped_[core]) CoreDecsCount(core, cpu.id());
  return pls;
}

// The core enters a state with OPAL_PM_DEC_STOP (its last thread, by, stops): every armed decrementer of its
// threads stops where it is (the state's DEC_STOP: skiboot hw/slw.c power8/power9_cpu_idle_states). A
// hardware entry only when one is armed (an unarmed one has nothing to keep).
void PpcKernel::CoreDecsStop(uint32_t core, uint32_t by, const std::string& level) {
  const uint32_t tpc = m_.threads_per_core();
  core_dec_stopped_[core] = 1;
  std::string held;
  for (uint32_t t = core * tpc; t < (core + 1) * tpc; ++t) {
    Cpu& c = m_.cpu(t);
    if (c.dec_expiry() == kForever) continue;
    dec_left_[t] = c.dec_expiry() > m_.now() ? c.dec_expiry() - m_.now() : 0;
    m_.ArmDec(c, kForever);
    held += " cpu" + std::to_string(t) + " (" + std::to_string(dec_left_[t]) + " ns left)";
  }
  if (held.empty()) return;
  m_.Record(by, TraceKind::kHw, m_.config().platform() == pb::POWER8_XICS ? "L2h8" : "L2h9",
            "core " + std::to_string(core) + " in " + (level.empty() ? idle_.name : level + " (" + idle_.name + ")") +
                " (OPAL_PM_DEC_STOP): the decrementers stop:" + held);
}

// The core leaves that state (its first thread wakes, by): the stopped decrementers count on from what they held.
// Nothing the kernel or OPAL runs on the wake writes the DEC (idle.c power9_idle_stop / power7_idle_insn; skiboot
// chiptod_wakeup_resync, opal_resync_timebase's body, writes only TFMR and the timebase).
void PpcKernel::CoreDecsCount(uint32_t core, uint32_t by) {
  const uint32_t tpc = m_.threads_per_core();
  core_dec_stopped_[core] = 0;
  std::string resumed;
  for (uint32_t t = core * tpc; t < (core + 1) * tpc; ++t) {
    if (dec_left_[t] == kForever) continue;
    m_.ArmDec(m_.cpu(t), dec_left_[t]);
    resumed += " cpu" + std::to_string(t) + " (" + std::to_string(dec_left_[t]) + " ns left)";
    dec_left_[t] = kForever;
  }
  if (resumed.empty()) return;
  m_.Record(by, TraceKind::kHw, m_.config().platform() == pb::POWER8_XICS ? "L2h8" : "L2h9",
            "core " + std::to_string(core) + " leaves " + idle_.name + ": the decrementers count again:" + resumed);
}

}  // namespace crashdiff::ppc
