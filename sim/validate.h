// Scenario validation: every field has a documented range (proto/scenario.proto); a scenario outside it is
// rejected with the field's path and the reason. Nothing is clamped. The CLI maps each path to file:line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proto/scenario.pb.h"

namespace google::protobuf {
class FieldDescriptor;
}

namespace crashdiff {

struct FieldStep {
  const google::protobuf::FieldDescriptor* field;
  int index;  // element of a repeated field, or -1
};
using FieldPath = std::vector<FieldStep>;

struct ValidationError {
  FieldPath path;
  std::string reason;
};

std::string PathToString(const FieldPath& path);  // e.g. "events[2].trigger.on_label.cpu"

// All problems, in field order; empty when the scenario is valid.
std::vector<ValidationError> Validate(const pb::Scenario& scenario);
inline bool IsValid(const pb::Scenario& scenario) {
  return Validate(scenario).empty();
}

// Limits shared with the mutator and the docs.
// Machine size: real machines (cores * threads_per_core up to 1,024 in every family; up to 4,096 events). The
// simulator's cost per execution is linear in both (docs/PERFORMANCE.md, "Simulator scaling"). The ppc models keep
// their cpumasks as the kernel does, an array of 64-bit words (targets/ppc/cpumask.h), so they need no lower limit.
inline constexpr uint32_t kMaxTopologyCores = 1024;
inline constexpr uint32_t kMaxCpus = 1024;
inline constexpr int kMaxEvents = 4096;
// The machine sizes the mutator draws and repairs to (cores, CPUs): small machines are where the crash-path races
// are found, and a mutant stays cheap to run. Validation accepts the larger limits above.
inline constexpr uint32_t kMaxCores = 8;
inline constexpr uint32_t kMaxMutantCpus = 32;
inline constexpr int kMaxChoices = 10000;
inline constexpr uint32_t kMaxChoiceSteps = 10000;
inline constexpr size_t kMaxCommitName = 64;  // Choice.commit
inline constexpr uint64_t kMinStepBudget = 100;
inline constexpr uint64_t kMaxStepBudget = 10'000'000;
inline constexpr uint64_t kMaxTimeNs = 3'600'000'000'000ull;
// Machine.offline_dec_ns: DECREMENTER_MAX (2^31 - 1 ticks) of the 512 MHz powerpc timebase, rounded up.
inline constexpr uint64_t kMaxOfflineDecNs = 4'194'304'000ull;
// Machine.tick_ns: 0 or [HZ 1000's 1 ms, DECREMENTER_MAX].
inline constexpr uint64_t kMinTickNs = 1'000'000ull;
// Firmware.idle_states (powerpc): at most this many states; the OPAL_PM_* flag bits and PSSCR bits a state may set
// (asm/opal-api.h; asm/reg.h RL | MTL | TR | PSLL | EC | ESL); the POWER8-only and POWER9-only flags.
inline constexpr int kMaxIdleStates = 16;
inline constexpr size_t kMaxIdleStateName = 15;  // PNV_IDLE_NAME_LEN - 1
inline constexpr uint32_t kIdleStateFlagBits = 0x3 | 0x7000 | 0xF0000 | 0x300000;
inline constexpr uint32_t kIdleStateP8OnlyFlags = 0xF0000;   // NAP, SLEEP, WINKLE, SLEEP_ER1
inline constexpr uint32_t kIdleStateP9OnlyFlags = 0x300000;  // STOP_INST_FAST, STOP_INST_DEEP
inline constexpr uint64_t kIdleStatePsscrBits = 0x3F03FF;
inline constexpr uint32_t kMaxPctDepth = 16;
inline constexpr uint32_t kMaxOccurrence = 1000;
inline constexpr size_t kMaxLabelLength = 32;
inline constexpr size_t kMaxNameLength = 200;

bool PlatformInFamily(pb::Platform platform, pb::Family family);
// Why cpu can never run kernel code in this scenario, for a software event on it (its cpus[0]): it never started
// (and, on PPC, no HOTPLUG_UP event starts it), or it is offline from the start and no HOTPLUG_UP event brings it
// online (on ARM64_SPIN_TABLE none can). Empty when it can. The validator refuses such events; the mutator's repair
// moves them to a CPU that can.
std::string CannotRunKernelCode(const pb::Scenario& scenario, uint32_t cpu);
// Why a KVM_ENTER event cannot be run as given (not POWER8_XICS with kvm_hv, cpus[0] not the first thread of its
// core, a guest thread outside that core); empty when it can. Duplicates are CpuList's to refuse.
std::string KvmEnterProblem(const pb::Scenario& scenario, const pb::Event& event);
// Choice.commit: 1..kMaxCommitName printable ASCII characters (a buffered store's trace name).
bool ValidCommitName(std::string_view name);

// The event kinds a scenario has, bit k for pb::EventKind k (every kind number is below 64).
uint64_t EventKindsOf(const pb::Scenario& scenario);
// The names of the kinds in such a set, by kind number ("PANIC", "SYSTEM_RESET", ...).
std::vector<std::string> EventKindNames(uint64_t kinds);

}  // namespace crashdiff
