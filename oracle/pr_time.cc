// PR8 bounded initiator, PR11 handshake completion (DOMAIN §6).
#include <algorithm>
#include <cctype>

#include "oracle/pr_util.h"

namespace crashdiff {

uint64_t InitiatorBoundNs(const pb::Scenario& scenario, bool kexec, uint32_t resets) {
  const pb::Machine& m = scenario.machine();
  const uint64_t cpus = static_cast<uint64_t>(m.cores()) * m.threads_per_core();
  const uint64_t online = cpus - m.offline_size() - m.never_started_size();
  uint64_t bound = 0;
  switch (m.family()) {
    case pb::PPC:
      // 0.5 s reset wait + 1 s NMI round + 10 s arrival wait + 10 s real-mode wait + 1 s per online CPU (OPAL),
      // + 1 s secondary wait per system reset the initiator took (at least the one of a reset-driven entry): a reset
      // that reaches it before it wrote crashing_cpu waits SECONDARY_TIMEOUT in crash_kexec_secondary, by design;
      // + skiboot's opal_reinit_cpus, 1 s for a thread still in the OS before it gives up, restarted by each thread
      // that comes back meanwhile (the online ones had their 1 s already: at most the offline ones).
      bound = 500 * kMs + 1 * kSec + 10 * kSec + 10 * kSec + online * kSec + std::max<uint64_t>(resets, 1) * kSec +
              (1 + static_cast<uint64_t>(m.offline_size())) * kSec;
      break;
    case pb::X86:
      // kdump: the NMI shootdown waits <= 1 s; kexec: <= 5 ms per offline CPU, then <= 1 s stop + NMI fallback.
      bound = kexec ? static_cast<uint64_t>(m.offline_size()) * 5 * kMs + 1 * kSec + 10 * kMs : 1 * kSec;
      break;
    case pb::ARM64: bound = 1 * kSec + 10 * kMs; break;
    default: bound = 1 * kSec;
  }
  return bound + bound / 10 + 10 * kMs;  // slack for the steps between the waits
}

uint64_t KexecStartNs(const CpuFacts& f) {
  return f.shutdown_started ? f.shutdown_time_ns : f.kexec_time_ns;
}

void CheckUnboundedInitiator(const RunView& run, std::vector<Violation>& out) {
  if (!run.crash && !run.kexec) return;
  const uint32_t i = run.initiator;
  const CpuFacts& f = run.facts.cpus[i];
  const uint64_t start = run.crash ? f.panic_time_ns : KexecStartNs(f);
  if (f.waited_for_operator) {
    // The ppc initiator with panic_timeout <= 0 after a first timeout: not a deadlock (DOMAIN §6 PR8), whether or
    // not an operator reset came later.
    out.push_back(MakeViolation("PR8", run, i, "waits for an operator reset (HANG_WAITING_OPERATOR)",
                                Severity::kWarning, f.operator_wait));
    return;
  }
  if (run.result.handed_over) {
    if (run.result.handover_time_ns - start > InitiatorBoundNs(run.scenario, run.kexec, f.resets_before_handover)) {
      out.push_back(
          MakeViolation("PR8", run, i, "hands over after its time bound", Severity::kError, HandoverWitness(run, i)));
    }
    return;
  }
  if (run.cut_before_handover()) return;  // it may still hand over
  Witness w = f.last;
  if (!w.set()) w = Witness{i, run.result.steps, run.result.end_time_ns, "END"};
  // Without a crash image panic() ends in its own halt by design: nothing to hand over to. With one, an initiator
  // that halts never started the crash kernel it had: that is the hang, whatever else it left undone.
  if (run.result.cpus[i].final == Location::kPanicHalt && !run.crash) return;
  // A panic on another CPU supersedes a normal kexec: its stop halts the kexec CPU (or wins the stop against it).
  // Without a crash image the panic ends in panic()'s own halt by design: nothing to hand over to, not a hang of the
  // kexec. With one, the kexec's kexec_lock keeps the panic from starting it: no kernel starts, which stays PR8.
  if (!run.crash && !run.scenario.machine().crash_image_loaded()) {
    for (const CpuResult& c : run.result.cpus) {
      if (c.entered_panic && c.final == Location::kPanicHalt) return;
    }
  }
  out.push_back(MakeViolation("PR8", run, i, "never hands over (" + std::string(Name(run.result.end)) + ")",
                              Severity::kError, w));
}

namespace {

// "CPU3 is stuck in mwait_play_dead()" names CPU 3: the first number after "CPU" in the line.
bool NamesCpu(const std::string& text, uint32_t cpu) {
  const size_t at = text.find("CPU");
  if (at == std::string::npos) return false;
  size_t p = at + 3;
  while (p < text.size() && text[p] == ' ') ++p;
  if (p >= text.size() || !std::isdigit(static_cast<unsigned char>(text[p]))) return false;
  uint32_t n = 0;
  while (p < text.size() && std::isdigit(static_cast<unsigned char>(text[p]))) n = n * 10 + (text[p++] - '0');
  return n == cpu;
}

}  // namespace

bool ParkedInTimeAfterWake(const CpuFacts& f) {
  constexpr uint64_t kBudget = 5 * kMs + 100 * kUs;  // 1000 x 5 us, plus the steps of the loop
  return f.parked_after_wake_ns != UINT64_MAX && f.parked_after_wake_ns - f.first_wake.time_ns <= kBudget;
}

void CheckHandshake(const RunView& run, std::vector<Violation>& out) {
  // The kick handshake belongs to a normal kexec (DOMAIN §3.9: only when kexec_in_progress).
  // A cut run may still see the kick acknowledged or reported.
  if (run.scenario.machine().family() != pb::X86 || !run.kexec || run.cut_before_handover()) return;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    const CpuFacts& f = run.facts.cpus[c];
    // The handshake answers a kick: a CPU only ever woken by something else (another CPU's crash NMI round, which
    // stopped the kexec before it kicked anyone) has no handshake to time.
    if (run.roles[c] != Role::kOfflineTarget || !f.woken || !f.kicked) continue;
    const bool in_time = ParkedInTimeAfterWake(f);
    const auto stuck_lines = std::count_if(
        run.result.diagnostics.begin(), run.result.diagnostics.end(),
        [c](const Diagnostic& d) { return d.text.find("stuck") != std::string::npos && NamesCpu(d.text, c); });
    Witness w = f.first_wake;
    w.cpu = c;
    if (stuck_lines > 1) {
      out.push_back(MakeViolation("PR11", run, c, "reported stuck more than once", Severity::kError, w));
    } else if (!in_time && stuck_lines == 0) {
      out.push_back(MakeViolation("PR11", run, c, "neither acknowledges the kick in time nor is reported stuck",
                                  Severity::kError, w));
    }
  }
}

}  // namespace crashdiff
