// The properties PR1-PR11 (DOMAIN §6) as one table: id, short name, severity, checker. Each checker looks at
// a run (scenario, RunResult, facts) and reports violations with a witness. Short names are part of divergence
// signatures, which targets declare known divergences against: never rename them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "oracle/facts.h"
#include "oracle/roles.h"
#include "proto/scenario.pb.h"
#include "sim/machine.h"

namespace crashdiff {

enum class Severity : uint8_t { kCritical, kError, kWarning };
std::string_view Name(Severity s);

struct Violation {
  std::string property;  // "PR1".."PR11"
  Role role = Role::kOnlineTarget;
  std::string what;  // digit-free: no CPU numbers, times or counts
  Severity severity = Severity::kError;
  Witness witness;
  uint32_t cpu = kNoCpu;  // the CPU the violation is about (the witness may be another CPU's step)
};

// Everything a checker may look at, computed once per run.
struct RunView {
  const pb::Scenario& scenario;
  const RunResult& result;
  const Facts& facts;
  std::vector<Role> roles;
  uint32_t initiator = kNoCpu;
  bool crash = false;          // the initiator entered panic and a crash image is loaded
  bool kexec = false;          // the initiator started a normal kexec
  std::vector<bool> expected;  // R*: the expected responders (DOMAIN §6)

  RunView(const pb::Scenario& s, const RunResult& r, const Facts& f);
  uint32_t num_cpus() const { return static_cast<uint32_t>(roles.size()); }
  // The CPU's location at hand-over, or at the end when there was none.
  Location settled(uint32_t c) const;
  // The run stopped before hand-over at a step budget too small to show a livelock (EndReason::kBudgetCut): what
  // it has not done yet (hand over, send a wake, collect a sleeper, stop a loser) it may still do, so the
  // properties that judge what a run never does are not judged on it. What it did do is judged as on any run.
  bool cut_before_handover() const { return !result.handed_over && result.end == EndReason::kBudgetCut; }
};

using Checker = void (*)(const RunView& run, std::vector<Violation>& out);

struct PropertyInfo {
  std::string_view id;
  std::string_view short_name;
  Severity severity;  // of its main violation; some violations of a property are milder (see what)
  std::string_view summary;
  Checker check;
};

const std::vector<PropertyInfo>& Properties();
const PropertyInfo* FindProperty(std::string_view id);

// Runs every checker. Violations come in table order, then CPU order.
std::vector<Violation> CheckProperties(const pb::Scenario& scenario, const RunResult& result, const Facts& facts);

// Checkers, one per property (pr_*.cc).
void CheckUnsafeParking(const RunView& run, std::vector<Violation>& out);          // PR1
void CheckUnstableAfterHandover(const RunView& run, std::vector<Violation>& out);  // PR2
void CheckLostWake(const RunView& run, std::vector<Violation>& out);               // PR3
void CheckOrdering(const RunView& run, std::vector<Violation>& out);               // PR4
void CheckIncompleteDump(const RunView& run, std::vector<Violation>& out);         // PR5
void CheckCounter(const RunView& run, std::vector<Violation>& out);                // PR6
void CheckCoverage(const RunView& run, std::vector<Violation>& out);               // PR7
void CheckUnboundedInitiator(const RunView& run, std::vector<Violation>& out);     // PR8
void CheckMultipleInitiators(const RunView& run, std::vector<Violation>& out);     // PR9
void CheckRelocationUnsafe(const RunView& run, std::vector<Violation>& out);       // PR10
void CheckHandshake(const RunView& run, std::vector<Violation>& out);              // PR11

// PR8's bound on model time from crash entry (or a kexec's shutdown start) to hand-over, for this machine.
// resets: system resets the initiator took before the hand-over (ppc: each may add a SECONDARY_TIMEOUT wait).
uint64_t InitiatorBoundNs(const pb::Scenario& scenario, bool kexec, uint32_t resets = 0);
// Where a kexec's bounded protocol starts: its shutdown, else (none booked) its system call.
uint64_t KexecStartNs(const CpuFacts& f);
// PR11's test of one woken CPU: it parked within the kick handshake's budget after its first wake. This is all PR11
// reads of the two times, so explore's state summary keeps this instead of them once the CPU has parked.
bool ParkedInTimeAfterWake(const CpuFacts& f);

}  // namespace crashdiff
