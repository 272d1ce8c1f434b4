// Per-field value pools: the values worth trying for each kind of field. Times cluster just before, at and just
// after every timeout the models use (5 µs, 5 ms, 500 ms, 1 s, 10 s: DOMAIN §2.8, §3.8-3.11); CPU ids come from the
// machine (its offline, never-started and boot CPUs first); labels come from the caller's LabelPool.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/mutator/label_pool.h"
#include "proto/scenario.pb.h"
#include "sim/rng.h"

namespace crashdiff::fuzz {

// The timeouts of the crash-wake protocols, in nanoseconds.
const std::vector<uint64_t>& Timeouts();
// 0, and each timeout minus / plus a step or a microsecond.
const std::vector<uint64_t>& MeaningfulTimes();

uint64_t PickTime(Rng& rng);
// A global step index: small ones (the crash starts early) more often than large ones, never above budget.
uint64_t PickStep(Rng& rng, uint64_t budget);
// A CPU id < the machine's CPU count; offline / never-started / boot CPUs are favoured (they are where the bugs are).
uint32_t PickCpu(Rng& rng, const pb::Machine& machine);
std::string PickLabel(Rng& rng, const LabelPool* labels, pb::Family family);
// Any step label seen on the family (a preemption point of a schedule choice).
std::string PickStepLabel(Rng& rng, const LabelPool* labels, pb::Family family);
// Tweaks an integer a little (±1, ×2, ÷2) or a lot (an interesting boundary); stays within [lo, hi].
uint64_t Tweak(Rng& rng, uint64_t value, uint64_t lo, uint64_t hi);

uint32_t NumCpus(const pb::Machine& machine);

// Machine size. Small machines are where most of the protocol's interleavings already show and where an execution is
// cheap, so a new core count is mostly small (1-4) or one step from the old one (±1, ×2, ÷2): a large machine is
// reached only through a chain of kept inputs, that is, only when coverage keeps asking for more CPUs. Threads per
// core favour 1 and 2 over the SMT4 and SMT8 of the bigger parts.
uint32_t PickCores(Rng& rng, uint32_t old);
uint32_t PickThreadsPerCore(Rng& rng);
// Machine.offline_dec_ns: 0 (not expiring) a third of the time, else a tick (HZ 1000 / 250 / 100), a short
// expiry inside a crash's waits, or DECREMENTER_MAX.
uint64_t PickOfflineDecNs(Rng& rng);
// Machine.tick_ns (powerpc): 0 (no online tick) most of the time, else a period of HZ 100 (favoured), 250 or 1000.
uint64_t PickTickNs(Rng& rng);
// Firmware.idle_states: a table skiboot hands out (hw/slw.c power9_cpu_idle_states and its PEF and old-firmware
// variants, power8_cpu_idle_states), a prefix of it, or one state of it, for the platform; replaces fw's list.
void PickIdleStates(Rng& rng, pb::Platform platform, pb::Firmware& fw);

// What kind of value a scalar field holds, to pick from the right pool. Keyed by the field's full name.
enum class ValueKind : uint8_t {
  kOther,
  kCpuId,
  kTimeNs,
  kStepIndex,
  kLabel,      // a trigger point (on_label triggers)
  kStepLabel,  // any step label (preemption points)
  kOccurrence,
  kCores,
  kThreads,
  kPanicTimeout,
  kDecNs,   // Machine.offline_dec_ns
  kTickNs,  // Machine.tick_ns
  kVector,
  kChoiceSteps,
  kPctDepth,
  kPctHorizon,
  kSeed,
  kName,
  kBool,
  kEnum,
};

struct FieldPolicy {
  std::string_view full_name;  // e.g. "crashdiff.pb.OnLabel.cpu"
  ValueKind kind;
  uint32_t weight;  // relative chance of being picked by the generic field mutation; 0 = never
};

// The policy for a field: its row in the table, or a default derived from its type.
FieldPolicy PolicyFor(const google::protobuf::FieldDescriptor* field);

}  // namespace crashdiff::fuzz
