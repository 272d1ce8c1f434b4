// Shared memory: named variables, each living in a memory region. Regions matter because hand-over and kexec
// relocation overwrite whole regions: a CPU that later executes code, or takes a vector, from an overwritten
// region is executing replaced memory (DEAD_CORRUPT), and a write to a monitored line fires x86 MONITOR.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

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

// What a blocked wait's condition read while the machine evaluated it: the variables and the CPUs whose state
// (location, finished, firmware, latches) it looked at. The machine re-evaluates a blocked CPU only when one of
// them changes, instead of every CPU at every step (sim/machine.cc, "Runnable set").
struct ReadLog {
  uint32_t self = UINT32_MAX;  // the CPU being evaluated: reads of its own state are not dependencies
  std::vector<uint32_t> vars;
  std::vector<uint32_t> cpus;
  // The log being filled on this thread, if any (set only while the machine evaluates a blocked CPU).
  static ReadLog*& Current() {
    static thread_local ReadLog* current __attribute__((tls_model("initial-exec"))) = nullptr;
    return current;
  }
};

// A shared variable's value: reads convert implicitly to int64_t (and are noted in the current ReadLog).
class VarValue {
 public:
  VarValue() = default;
  VarValue& operator=(int64_t v) {
    v_ = v;
    return *this;
  }
  operator int64_t() const {  // NOLINT: implicit so model code and predicates read it as a plain integer
    if (ReadLog* log = ReadLog::Current()) log->vars.push_back(id_);
    return v_;
  }
  int64_t raw() const { return v_; }  // a read that is not a dependency (the machine's own bookkeeping)
  void set_id(uint32_t id) { id_ = id; }

 private:
  int64_t v_ = 0;
  uint32_t id_ = 0;
};

// One shared variable. Model code never touches value directly: it goes through Cpu step operations so that
// every access is a scheduling point and appears in the trace. (Predicates of blocking waits read it directly:
// a wait re-reads its condition every time it is scheduled.)
struct Var {
  uint32_t id = 0;
  std::string_view name;  // interned by the machine (Machine::NewVar): valid for the thread's lifetime
  VarValue value;
  Region region = Region::kOldKernelData;
  SharedVar shared = SharedVar::kNone;  // what the oracle knows it as, whatever its name
  uint32_t buffered = 0;                // stores to it waiting in store buffers (memory_model ARCHITECTURE)
  uint32_t queued = 0;                  // CPUs whose invalidate queue holds an entry for it (powerpc / arm64)
  uint32_t monitors = 0;                // CPUs whose x86 monitor is armed on it (a store to it fires them)

  TraceTags tags() const { return TraceTags{shared, id, TraceMark::kNone}; }
};

}  // namespace crashdiff
