// PR3 no lost crash wake, PR4 ordering discipline, PR7 target coverage (DOMAIN §6).
#include "oracle/pr_util.h"
#include "sim/memory_model.h"

namespace crashdiff {
namespace {

bool CollectedBy(const RunView& run, uint32_t c) {
  const CpuFacts& f = run.facts.cpus[c];
  if (!run.result.handed_over) return f.collected;
  const Location at = run.result.cpus[c].at_handover;
  const bool in_crash_path = at == Location::kReceiverWait || at == Location::kTransit ||
                             (Info(at).parked && at != Location::kLoserSpin && at != Location::kNeverStarted);
  return in_crash_path || f.saves_before_handover > 0 || f.invalid_saves_before_handover > 0 ||
         f.responses_before_handover > 0;
}

}  // namespace

// DOMAIN §6 PR3's local invariant, relaxed to the eventual property it stands for: a CPU that was sent a wake and
// then went to sleep with nothing pending (the simulator blocks a stop / MWAIT only then), and was never
// collected afterwards (before hand-over), lost the wake.
void CheckLostWake(const RunView& run, std::vector<Violation>& out) {
  if (run.cut_before_handover()) return;  // a sleeper may still be collected
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    const CpuFacts& f = run.facts.cpus[c];
    // Only expected responders must answer a wake (x86 NMIs that reach offline CPUs are not meant to).
    if (!run.expected[c] || !f.slept_uncollected || !f.woken_before_handover) continue;
    if (run.result.handed_over && f.slept_after_wake.step >= run.result.handover_step) continue;
    if (CollectedBy(run, c)) continue;
    out.push_back(
        MakeViolation("PR3", run, c, "sleeps in STOPPED_HW after crash wake", Severity::kCritical, f.slept_after_wake));
  }
}

// PR4. With store buffers it is dynamic: a run that shows the reordering (here: a woken CPU reads a variable whose
// store the waker made before the wake but had not yet made visible, e.g. crashing_cpu or a handler's
// registration; a wake lost to a reordered clear is PR3's). Without them (sequential consistency, where no order can be
// violated) it is a lint over the steps a run executed: a read or a wake that a missing barrier leaves unordered.
void CheckOrdering(const RunView& run, std::vector<Violation>& out) {
  const bool buffered = BuffersStores(run.scenario.machine());
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    const CpuFacts& f = run.facts.cpus[c];
    if (buffered) {
      if (f.stale_read_after_wake.set()) {
        out.push_back(MakeViolation("PR4", run, c, "reads a store its crash wake overtook", Severity::kError,
                                    f.stale_read_after_wake));
      }
      continue;
    }
    if (f.read_before_barrier.set()) {
      out.push_back(MakeViolation("PR4", run, c, "reads crashing_cpu after a wake without a barrier", Severity::kError,
                                  f.read_before_barrier));
    }
    if (f.wake_before_barrier.set()) {
      out.push_back(MakeViolation("PR4", run, c, "sends a crash wake after writing crashing_cpu without a barrier",
                                  Severity::kError, f.wake_before_barrier));
    }
  }
}

void CheckCoverage(const RunView& run, std::vector<Violation>& out) {
  if (!run.crash || run.result.cpus[run.initiator].shutdowns == 0 || run.cut_before_handover()) return;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    if (!run.expected[c]) continue;
    const CpuFacts& f = run.facts.cpus[c];
    if (run.result.handed_over ? f.woken_before_handover : f.woken) continue;
    // A CPU that responded was reached (e.g. by the service processor's own reset in a reset-driven dump,
    // DOMAIN §3.6).
    if ((run.result.handed_over ? f.responses_before_handover : run.result.cpus[c].responses) > 0) continue;
    Witness w = run.facts.cpus[run.initiator].last_before_handover;
    if (!w.set()) w = run.facts.cpus[run.initiator].last;
    w.cpu = c;
    out.push_back(MakeViolation("PR7", run, c, "never sent a crash wake", Severity::kError, w));
  }
}

}  // namespace crashdiff
