// PR1 safe parking at hand-over, PR2 stability after hand-over (DOMAIN §6).
#include "oracle/pr_util.h"

namespace crashdiff {
namespace {

// The exit from firmware that left CPU c running old-kernel code (RUN_OLD) at the hand-over with nothing of its own
// executed since: the hand-over came as a reset or machine check took the thread out of the park the kernel (or
// firmware) had it in. nullptr if that is not how c came to be running at hand-over.
const CpuFacts::FirmwareExit* ExitAsHandoverCame(const RunView& run, uint32_t c) {
  const CpuFacts& f = run.facts.cpus[c];
  const CpuFacts::FirmwareExit& x = f.firmware_exit_before_handover;
  if (run.result.cpus[c].at_handover != Location::kRunOld || !x.at.set()) return nullptr;
  if (f.last_own_before_handover.set() && f.last_own_before_handover.step >= x.at.step) return nullptr;
  return &x;
}

}  // namespace

void CheckUnsafeParking(const RunView& run, std::vector<Violation>& out) {
  if (!run.result.handed_over) return;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    if (c == run.result.handover_cpu) continue;
    const Location at = run.result.cpus[c].at_handover;
    if (Info(at).parked) continue;  // PARKED_HLT / PARKED_INIT / LOSER_SPIN are weak, not violations
    std::string what = LocName(at) + " at hand-over";
    if (at == Location::kTransit) what += " (race window)";
    Witness w = run.facts.cpus[c].position_before_handover;
    if (const CpuFacts::FirmwareExit* x = ExitAsHandoverCame(run, c)) {
      // The machine's reset is no kernel's doing, the kernel's own reset of a thread it parked is: the what says
      // which, so that neither hides the other.
      what += ", out of " + LocName(x->from) + (x->by_kernel ? " by the kernel's system reset" : " by the machine");
      w = x->at;
    }
    if (!w.set()) w = HandoverWitness(run, c);
    out.push_back(MakeViolation("PR1", run, c, what, Severity::kCritical, w));
  }
}

void CheckUnstableAfterHandover(const RunView& run, std::vector<Violation>& out) {
  if (!run.result.handed_over) return;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    if (c == run.result.handover_cpu) continue;
    const CpuFacts& f = run.facts.cpus[c];
    Location from = run.result.cpus[c].at_handover;
    // Taken out of a firmware park by the machine as the hand-over came, it enters the next kernel's vector: judged
    // by the park it left, as a reset after the hand-over is.
    if (const CpuFacts::FirmwareExit* x = ExitAsHandoverCame(run, c); x && !x->by_kernel) from = x->from;
    // The headline bug: an old-kernel CPU runs replaced code or vectors after the next kernel took over.
    if (f.corrupt.set() && f.corrupt.step >= run.result.handover_step) {
      out.push_back(MakeViolation("PR2", run, c, "DEAD_CORRUPT after hand-over from " + LocName(from),
                                  Severity::kCritical, f.corrupt));
      continue;
    }
    // Leaving a parked state without an explicit release (there is none in the model) is instability.
    if (f.moved_after_handover && Info(from).parked && f.moved_to != from) {
      out.push_back(MakeViolation("PR2", run, c,
                                  "leaves " + LocName(from) + " for " + LocName(f.moved_to) + " after hand-over",
                                  Severity::kCritical, f.moved_at));
    }
  }
}

}  // namespace crashdiff
