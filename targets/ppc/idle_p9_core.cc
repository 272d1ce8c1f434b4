// The POWER9 core's stop level and the decrementers of a core in a DEC_STOP state: hardware, not kernel code
// (docs/FIDELITY-ppc.md rows L2h9, L2 (DEC_STOP)).
//   A thread's stop instruction takes the thread itself no deeper than stop1; stop2 and deeper are core states the
//   core's CME enters only once every thread of the core is stopped, at the shallowest level they request
//   (open-power/hcode import/chips/p9/procedures/ppe_closed/cme/stop_cme/p9_cme_stop_entry.c at ca06a0c996e3,
//   p9_cme_stop_entry: the core's pm_state req_level, "core cannot enter stop if core is already stopped", stop1
//   done by the core's hardware). A thread's PSSCR[PLS] reports the deepest level it was in since its stop (asm/reg.h
//   / idle.c "Power-Saving Level Status"), and the kernel restores by it, not by what it asked for (torvalds/linux
//   arch/powerpc/platforms/powernv/idle.c power9_idle_stop at 0c8fb653d487: "just always test PSSCR for SPR/TB
//   state loss"; the asm before 10d91611f426: pnv_restore_hyp_resource_arch300 compares PLS with
//   pnv_first_deep_stop_state). What the core-level state loses (the chosen state's OPAL_PM_LOSE_FULL_CONTEXT) is
//   lost only when the core got there, and so is the timebase (SRR1[46:47] = HVLOSS).
//   When the first thread of a core wakes, the core leaves its state: the others stay stopped at thread level, their
//   PLS keeps the deeper level they were in.
// Like the POWER8 core's fast sleep (idle_power8.cc P8HwEnter), this runs inside the entering thread's step, with a
// hardware trace entry: the decision reads its siblings' state, which lives in no variable.
#include <algorithm>
#include <string>

#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

void PpcKernel::P9HwEnter(Cpu& cpu) {
  const uint32_t tpc = m_.threads_per_core();
  const uint32_t core = cpu.id() / tpc;
  const uint32_t first = core * tpc;
  const uint32_t id = cpu.id();
  p9_req_[id] = static_cast<uint8_t>(idle_.level);
  // The thread's own part of the stop.
  const uint32_t own = std::min<uint32_t>(idle_.level, kP9ThreadLevelMax);
  p9_pls_[id] = static_cast<uint8_t>(std::max<uint32_t>(p9_pls_[id], own));
  uint32_t in = 0;
  uint32_t core_level = kP9Running;
  for (uint32_t t = first; t < first + tpc; ++t) {
    if (p9_req_[t] == kP9Running) continue;
    ++in;
    core_level = std::min<uint32_t>(core_level, p9_req_[t]);
  }
  const std::string name = "core " + std::to_string(core);
  // A thread-level state is reached alone, whatever the siblings do; its DEC_STOP is the thread's own
  // (idle_stop.cc DecStops). No sibling is read: no entry.
  if (idle_.level <= kP9ThreadLevelMax) return;
  if (in < tpc) {
    m_.Record(id, TraceKind::kHw, "L2h9",
              name + " stays up: " + std::to_string(in) + " of " + std::to_string(tpc) +
                  " threads in stop; this thread stops at level " + std::to_string(own),
              own);
    return;
  }
  for (uint32_t t = first; t < first + tpc; ++t) {
    p9_pls_[t] = static_cast<uint8_t>(std::max<uint32_t>(p9_pls_[t], core_level));
  }
  m_.Record(id, TraceKind::kHw, "L2h9",
            name + ": every thread in stop, the core enters stop" + std::to_string(core_level) +
                (idle_.hw_loses_hv_state ? " (hypervisor state and timebase lost)" : ""),
            core_level);
  if (idle_.dec_stop && core_level == idle_.level) CoreDecsStop(core, id);
}

uint32_t PpcKernel::P9HwWake(Cpu& cpu) {
  const uint32_t tpc = m_.threads_per_core();
  const uint32_t core = cpu.id() / tpc;
  const uint32_t pls = p9_pls_[cpu.id()];
  p9_req_[cpu.id()] = kP9Running;
  p9_pls_[cpu.id()] = 0;
  // The core leaves its state with its first thread; every decrementer of it counts again.
  if (core_dec_stopped_[core]) CoreDecsCount(core, cpu.id());
  return pls;
}

// The core enters a state with OPAL_PM_DEC_STOP (its last thread, by, stops): every armed decrementer of its
// threads stops where it is (the state's DEC_STOP: skiboot hw/slw.c power8/power9_cpu_idle_states). A
// hardware entry only when one is armed (an unarmed one has nothing to keep).
void PpcKernel::CoreDecsStop(uint32_t core, uint32_t by) {
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
  m_.Record(
      by, TraceKind::kHw, m_.config().platform() == pb::POWER8_XICS ? "L2h8" : "L2h9",
      "core " + std::to_string(core) + " in " + idle_.name + " (OPAL_PM_DEC_STOP): the decrementers stop:" + held);
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
