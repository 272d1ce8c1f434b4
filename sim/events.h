// The event alphabet as one table: for each kind, whether it is software (the CPU runs kernel code) or hardware
// (latches are set), how many CPUs it names, whether all_cpus is allowed, and the families it exists on. The
// validator, the simulator, the mutator and the docs all read this table.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/scenario.pb.h"

namespace crashdiff {

inline constexpr uint32_t kFamPpc = 1u << pb::PPC;
inline constexpr uint32_t kFamX86 = 1u << pb::X86;
inline constexpr uint32_t kFamArm64 = 1u << pb::ARM64;
inline constexpr uint32_t kFamAll = kFamPpc | kFamX86 | kFamArm64;

struct EventInfo {
  pb::EventKind kind;
  bool software;      // runs kernel code on cpus[0]; else sets hardware latches
  uint32_t min_cpus;  // size of cpus when all_cpus is false
  uint32_t max_cpus;
  bool allows_all;    // all_cpus may be set
  uint32_t families;  // bit set of pb::Family
  std::string_view meaning;
  // A system call (kexec_load/reboot, a sysfs hotplug write): it starts only from task context, i.e. a CPU in its
  // base kernel context with interrupts on, never nested in an interrupt, a panic or another call on that CPU.
  bool syscall = false;
};

// Returns the row for kind, or nullptr for EVENT_UNSPECIFIED / unknown values.
const EventInfo* FindEventInfo(pb::EventKind kind);
std::string_view EventName(pb::EventKind kind);

}  // namespace crashdiff
