// Shared memory: named variables, each living in a memory region. Regions matter because hand-over and kexec
// relocation overwrite whole regions: a CPU that later executes code, or takes a vector, from an overwritten
// region is executing replaced memory (DEAD_CORRUPT), and a write to a monitored line fires x86 MONITOR.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/shared_var.h"

namespace crashdiff {

#define CRASHDIFF_REGIONS(X)                                                               \
  X(kOldKernelData, "old-kernel-data", "old kernel data: per-CPU areas, flags, stacks")    \
  X(kOldKernelText, "old-kernel-text", "old kernel text, incl. x86 IDT handlers")          \
  X(kOldPageTables, "old-page-tables", "old kernel page tables")                           \
  X(kLowVectors, "low-vectors", "powerpc exception vectors at real address 0 (0x100 ...)") \
  X(kCrashKernel, "crash-kernel", "memory reserved for the kdump kernel")                  \
  X(kFirmware, "firmware", "firmware (OPAL / PSCI / BIOS) memory")                         \
  X(kKexecControl, "kexec-control", "kexec control page: relocation code, never a copy destination")

enum class Region : uint8_t {
#define CRASHDIFF_REGION_ENUM(e, name, meaning) e,
  CRASHDIFF_REGIONS(CRASHDIFF_REGION_ENUM)
#undef CRASHDIFF_REGION_ENUM
};

inline constexpr std::array<std::string_view, 7> kRegionNames = {
#define CRASHDIFF_REGION_NAME(e, name, meaning) name,
    CRASHDIFF_REGIONS(CRASHDIFF_REGION_NAME)
#undef CRASHDIFF_REGION_NAME
};
inline constexpr size_t kNumRegions = kRegionNames.size();
constexpr std::string_view Name(Region r) {
  return kRegionNames[static_cast<size_t>(r)];
}

// One shared variable. Model code never touches value directly: it goes through Cpu step operations so that
// every access is a scheduling point and appears in the trace. (Predicates of blocking waits read it directly:
// a wait re-reads its condition every time it is scheduled.)
struct Var {
  uint32_t id = 0;
  std::string name;
  int64_t value = 0;
  Region region = Region::kOldKernelData;
  SharedVar shared = SharedVar::kNone;  // what the oracle knows it as, whatever its name

  TraceTags tags() const { return TraceTags{shared, id, TraceMark::kNone}; }
};

}  // namespace crashdiff
