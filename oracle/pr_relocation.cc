// PR10 relocation memory safety (DOMAIN §6): once kexec relocation starts overwriting memory (before hand-over),
// no other CPU may be woken by a store to the line it monitors, resume into replaced memory, or (offline CPUs)
// execute anything but HLT / INIT wait.
#include "oracle/pr_util.h"

namespace crashdiff {

void CheckRelocationUnsafe(const RunView& run, std::vector<Violation>& out) {
  if (!run.facts.relocated) return;
  const uint64_t from = run.facts.first_relocation.step;
  for (uint32_t c = 0; c < run.num_cpus(); ++c) {
    if (c == run.initiator || c == run.facts.first_relocation.cpu) continue;
    const CpuFacts& f = run.facts.cpus[c];
    if (f.relocated_monitor.set()) {
      out.push_back(MakeViolation("PR10", run, c, "woken by a relocation store to its monitored line",
                                  Severity::kCritical, f.relocated_monitor));
    } else if (f.corrupt.set() && f.corrupt.step >= from) {
      out.push_back(MakeViolation("PR10", run, c, "resumes into relocated memory from " + LocName(f.corrupt_from),
                                  Severity::kCritical, f.corrupt));
    } else if (run.roles[c] == Role::kOfflineTarget && f.ran_after_relocation.set()) {
      out.push_back(MakeViolation("PR10", run, c, "executes old-kernel code after relocation started",
                                  Severity::kCritical, f.ran_after_relocation));
    }
  }
}

}  // namespace crashdiff
