// PR5 exactly-once state save, PR6 counter soundness, PR9 single initiator (DOMAIN §6).
#include "oracle/pr_util.h"

namespace crashdiff {
namespace {

Witness SaveWitness(const RunView& run, uint32_t c) {
  Witness w = run.facts.cpus[c].last_own_before_handover;
  return w.set() ? w : HandoverWitness(run, c);
}

}  // namespace

void CheckIncompleteDump(const RunView& run, std::vector<Violation>& out) {
  if (!run.crash || !run.result.handed_over) return;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    if (c != run.initiator && !run.expected[c]) continue;
    const CpuFacts& f = run.facts.cpus[c];
    if (f.invalid_saves_before_handover > 0) {
      out.push_back(MakeViolation("PR5", run, c, "saved with NULL registers", Severity::kError, SaveWitness(run, c)));
    }
    if (f.saves_before_handover > 1) {
      // Witnessed where the second save overwrote the first: that step is the cause, wherever the CPU went next.
      const Witness w = f.second_save.set() ? f.second_save : SaveWitness(run, c);
      out.push_back(MakeViolation("PR5", run, c, "saved twice", Severity::kError, w));
    } else if (f.saves_before_handover == 0 && f.invalid_saves_before_handover == 0) {
      // Losers and non-responders: an incomplete dump, milder than a corrupt one (DOMAIN §6 PR5).
      out.push_back(MakeViolation("PR5", run, c, "not saved",
                                  c == run.initiator ? Severity::kError : Severity::kWarning, SaveWitness(run, c)));
    }
  }
}

// Only an over-count that can matter is reported: some CPU was counted twice since the counter's last reset, and
// at hand-over an expected responder had never responded, so the count stood in for it.
void CheckCounter(const RunView& run, std::vector<Violation>& out) {
  if (!run.result.handed_over || !run.facts.overcount_at_handover) return;
  bool missing = false;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    if (run.expected[c] && run.facts.cpus[c].responses_before_handover == 0) missing = true;
  }
  if (!missing) return;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    const Witness& w = run.facts.cpus[c].counted_twice;
    if (!w.set() || w.step > run.result.handover_step) continue;
    out.push_back(
        MakeViolation("PR6", run, c, "counted twice while an expected responder is missing", Severity::kError, w));
  }
}

void CheckMultipleInitiators(const RunView& run, std::vector<Violation>& out) {
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    const CpuResult& r = run.result.cpus[c];
    const CpuFacts& f = run.facts.cpus[c];
    if (f.shutdown_after_handover.set()) {
      out.push_back(MakeViolation("PR9", run, c, "runs the crash shutdown after hand-over", Severity::kCritical,
                                  f.shutdown_after_handover));
    } else if (c != run.initiator && r.shutdowns > 0) {
      out.push_back(MakeViolation("PR9", run, c, "runs a second crash shutdown", Severity::kCritical, f.last));
    }
    if (run.roles[c] != Role::kLoser || run.cut_before_handover()) continue;  // a cut run's loser may still stop
    // A loser must stop: spin in panic's self-stop loop, or be collected by the crash path. One that stopped and
    // was then resumed into replaced memory did stop: judge where it was (PR10 / PR1 judge the resume).
    Location at = run.settled(c);
    if (at == Location::kDeadCorrupt) at = f.corrupt_from;
    // LOOSE_VECTORS: a hardware event (the initiator's hash-table clear, an operator's reset) took it into the
    // low vectors from wherever it had stopped; PR1 / PR2 judge that.
    const bool stopped = at == Location::kLoserSpin || at == Location::kReceiverWait || at == Location::kTransit ||
                         (Info(at).parked && at != Location::kNeverStarted) || at == Location::kPanicHalt ||
                         at == Location::kLooseVectors;
    if (!stopped) {
      Witness w = run.result.handed_over ? f.position_before_handover : f.Position();
      if (!w.set()) w = HandoverWitness(run, c);
      out.push_back(MakeViolation("PR9", run, c, "keeps running in " + LocName(at), Severity::kError, w));
    }
  }
}

}  // namespace crashdiff
