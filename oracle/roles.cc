#include "oracle/roles.h"

namespace crashdiff {
namespace {

// The CPU of the first book entry of kind, kNoCpu if none.
uint32_t FirstBooked(const RunResult& result, BookKind kind) {
  for (const BookEntry& b : result.book) {
    if (b.kind == kind) return b.cpu;
  }
  return kNoCpu;
}

// The CPU running the first shutdown booked: where it was booked, or where its task went on when that CPU went
// down (kShutdownMoved, by = the CPU it left).
uint32_t FirstShutdown(const RunResult& result) {
  uint32_t c = kNoCpu;
  for (const BookEntry& b : result.book) {
    if (c == kNoCpu && b.kind == BookKind::kShutdown) c = b.cpu;
    if (c != kNoCpu && b.kind == BookKind::kShutdownMoved && b.by == c) c = b.cpu;
  }
  return c;
}

// Per CPU: it entered the crash path before the hand-over (a panic after it belongs to no round of this crash).
// Hand-built results without a book fall back on the per-CPU flag. One pass over the book: roles run per execution.
std::vector<bool> PanickedBeforeHandover(const RunResult& result) {
  std::vector<bool> out(result.cpus.size(), false);
  if (result.book.empty()) {
    for (size_t c = 0; c < out.size(); ++c) out[c] = result.cpus[c].entered_panic;
    return out;
  }
  for (const BookEntry& b : result.book) {
    if (b.kind == BookKind::kPanic && b.cpu < out.size() && (!result.handed_over || b.step <= result.handover_step)) {
      out[b.cpu] = true;
    }
  }
  return out;
}

}  // namespace

uint32_t InitiatorOf(const RunResult& result) {
  if (result.handed_over) return result.handover_cpu;
  uint32_t c = FirstShutdown(result);
  if (c != kNoCpu) return c;
  // Hand-built results without a book: fall back on the per-CPU counters (lowest id, a deterministic choice).
  for (uint32_t i = 0; i < result.cpus.size(); ++i) {
    if (result.cpus[i].shutdowns > 0) return i;
  }
  // A panic with nothing to hand over to: the CPU that won panic_cpu halts in panic(); the others lost.
  for (uint32_t i = 0; i < result.cpus.size(); ++i) {
    if (result.cpus[i].entered_panic && result.cpus[i].final == Location::kPanicHalt) return i;
  }
  c = FirstBooked(result, BookKind::kPanic);
  if (c != kNoCpu) return c;
  for (uint32_t i = 0; i < result.cpus.size(); ++i) {
    if (result.cpus[i].entered_panic) return i;
  }
  return kNoCpu;
}

namespace {

// Offline at the crash start, or taken offline (by hotplug) before the hand-over.
bool OfflineTarget(bool initially_offline, const HotplugFacts& hotplug) {
  using Last = HotplugFacts::Last;
  const bool offline_at_start =
      hotplug.before_start == Last::kNone ? initially_offline : hotplug.before_start == Last::kOffline;
  return offline_at_start || hotplug.offline_during_crash;
}

// Per CPU, whether the scenario lists it: one pass over the list instead of a search per CPU (a 1,024-CPU machine
// lists hundreds of offline CPUs, and roles are computed for every target of every execution).
std::vector<bool> Listed(const google::protobuf::RepeatedField<uint32_t>& list, size_t cpus) {
  std::vector<bool> out(cpus, false);
  for (uint32_t c : list) {
    if (c < cpus) out[c] = true;
  }
  return out;
}

}  // namespace

std::vector<Role> RolesOf(const pb::Scenario& scenario, const RunResult& result) {
  return RolesOf(scenario, result, HotplugFromRun(result));
}

std::vector<Role> RolesOf(const pb::Scenario& scenario, const RunResult& result,
                          const std::vector<HotplugFacts>& hotplug) {
  const uint32_t initiator = InitiatorOf(result);
  std::vector<Role> roles(result.cpus.size(), Role::kOnlineTarget);
  const std::vector<bool> panicked = PanickedBeforeHandover(result);
  const std::vector<bool> never_started = Listed(scenario.machine().never_started(), roles.size());
  const std::vector<bool> offline = Listed(scenario.machine().offline(), roles.size());
  for (uint32_t c = 0; c < roles.size(); ++c) {
    if (c == initiator) {
      roles[c] = Role::kInitiator;
    } else if (never_started[c] &&
               (c >= hotplug.size() ||
                (hotplug[c].before_start == HotplugFacts::Last::kNone && !hotplug[c].offline_during_crash)) &&
               !panicked[c]) {
      // Still held by firmware when the crash started (a powerpc cpu_up may have started it before: then it is an
      // online or offline target like any other; started and taken offline while the crash runs, it is an offline
      // target like any CPU a cpu_down takes during the crash; started and then calling panic before the hand-over, a
      // loser).
      roles[c] = Role::kNeverStarted;
    } else if (OfflineTarget(offline[c], c < hotplug.size() ? hotplug[c] : HotplugFacts{})) {
      // An offline thread woken by a system reset enters crash_kexec through the reset path (DOMAIN §2.9 N2):
      // it is still an offline target, which keeps roles comparable across wake mechanisms.
      roles[c] = Role::kOfflineTarget;
    } else if (panicked[c]) {
      roles[c] = Role::kLoser;
    }
  }
  return roles;
}

}  // namespace crashdiff
