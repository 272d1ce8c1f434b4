// PR1 safe parking at hand-over, PR2 stability after hand-over (DOMAIN §6).
#include "oracle/pr_util.h"

namespace crashdiff {

void CheckUnsafeParking(const RunView& run, std::vector<Violation>& out) {
  if (!run.result.handed_over) return;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    if (c == run.result.handover_cpu) continue;
    const Location at = run.result.cpus[c].at_handover;
    if (Info(at).parked) continue;  // PARKED_HLT / PARKED_INIT / LOSER_SPIN are weak, not violations
    std::string what = LocName(at) + " at hand-over";
    if (at == Location::kTransit) what += " (race window)";
    Witness w = run.facts.cpus[c].last_before_handover;
    if (!w.set()) w = HandoverWitness(run, c);
    out.push_back(MakeViolation("PR1", run, c, what, Severity::kCritical, w));
  }
}

void CheckUnstableAfterHandover(const RunView& run, std::vector<Violation>& out) {
  if (!run.result.handed_over) return;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    if (c == run.result.handover_cpu) continue;
    const CpuFacts& f = run.facts.cpus[c];
    const Location from = run.result.cpus[c].at_handover;
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
