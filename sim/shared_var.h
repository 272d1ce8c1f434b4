// The typed interface between the simulator's trace and the oracle's facts (oracle/facts.h): the shared
// variables the properties read, and the simulator's own step operations the facts recognise. Targets declare
// the variables by id (Machine::NewVar(SharedVar, ...)) and the simulator tags every entry it records, so a
// property never depends on a display name or a trace text: renaming a target's variable (or a detail string)
// cannot silently turn a property check into a no-op. Dependency direction: schema -> sim -> targets, oracle.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace crashdiff {

// Shared variables with a meaning the oracle relies on (docs/ORACLE.md "Names the facts rely on"): id, the
// canonical (DOMAIN.md) name a declaration gets unless it names itself, and what reads it.
#define CRASHDIFF_SHARED_VARS(X)                                                                              \
  X(kNone, "", "an ordinary variable: the oracle does not look at it")                                        \
  X(kCrashingCpu, "crashing_cpu", "PR4: the crash owner the initiator writes before waking, the kdump check") \
  X(kCpusInCrash, "cpus_in_crash", "PR6: the arrival count; a write of 0 resets it")

enum class SharedVar : uint8_t {
#define CRASHDIFF_SHARED_VAR_ENUM(e, name, meaning) e,
  CRASHDIFF_SHARED_VARS(CRASHDIFF_SHARED_VAR_ENUM)
#undef CRASHDIFF_SHARED_VAR_ENUM
};

inline constexpr std::array<std::string_view, 3> kSharedVarNames = {
#define CRASHDIFF_SHARED_VAR_NAME(e, name, meaning) name,
    CRASHDIFF_SHARED_VARS(CRASHDIFF_SHARED_VAR_NAME)
#undef CRASHDIFF_SHARED_VAR_NAME
};
constexpr std::string_view Name(SharedVar v) {
  return kSharedVarNames[static_cast<size_t>(v)];
}

// Entries the simulator's own operations record and the facts recognise (none for everything else).
#define CRASHDIFF_TRACE_MARKS(X)                                                                           \
  X(kNone, "")                                                                                             \
  X(kBarrier, "barrier")        /* Cpu::barrier: a full barrier */                                         \
  X(kWriteBarrier, "wmb")       /* Cpu::write_barrier: orders stores only */                               \
  X(kMonitor, "monitor")        /* Cpu::monitor: arms MONITOR on TraceEntry::var */                        \
  X(kStop, "stop")              /* Cpu::enter_stop: its block and its wake */                              \
  X(kMwait, "mwait")            /* Cpu::mwait: its block and its wake */                                   \
  X(kRelocate, "relocate")      /* Machine::Overwrite: the store replacing a variable */                   \
  X(kKexecRequest, "kexec")     /* a KEXEC event started on its CPU */                                     \
  X(kSystemReset, "reset")      /* Machine::TakeInterrupt: entry through the system-reset vector */        \
  X(kStale, "stale")            /* a read of a value another CPU's store replaced (buffered or queued) */  \
  X(kCommit, "commit")          /* a store buffer made a buffered store visible (not a step of the CPU) */ \
  X(kLeaveFirmware, "leave-fw") /* Cpu::LeaveFirmware: a reset or machine check took it out of firmware */ \
  X(kReadBarrier, "rmb")        /* Cpu::read_barrier: orders loads only */                                 \
  X(kKernelLeaveFirmware, "kernel-leave-fw") /* the same, by the kernel's own system reset (an NMI IPI) */

enum class TraceMark : uint8_t {
#define CRASHDIFF_TRACE_MARK_ENUM(e, name) e,
  CRASHDIFF_TRACE_MARKS(CRASHDIFF_TRACE_MARK_ENUM)
#undef CRASHDIFF_TRACE_MARK_ENUM
};

inline constexpr uint32_t kNoVar = 0xFFFFFFFF;

// How a memory entry touched its variable: the whole word (a read, a store, a value-returning rmw), or through a
// result-less atomic / one-bit operation (Cpu::atomic_add, set_bit, clear_bit, test_bit). explore/ reads it to
// know which accesses commute (docs/EXPLORE.md, "Commuting atomics"); the oracle does not need it.
enum class WordAccess : uint8_t {
  kWord,      // the whole value (read, write, fetch_add, cmpxchg)
  kAdd,       // an atomic add whose result the model does not get (atomic_inc / atomic_dec / atomic_add)
  kSetBit,    // an atomic set of bit `bit` (set_bit, cpumask_set_cpu), no result
  kClearBit,  // an atomic clear of bit `bit` (clear_bit, cpumask_clear_cpu), no result
  kTestBit,   // a read of bit `bit` only (test_bit, cpumask_test_cpu)
};

// What an entry is, typed: recorded with it, never part of its text or the trace hash (both stay as they were).
struct TraceTags {
  SharedVar shared = SharedVar::kNone;  // the shared variable a read / write / rmw accessed
  uint32_t var = kNoVar;                // Var::id of the variable accessed (or the line MONITOR armed)
  TraceMark mark = TraceMark::kNone;
  WordAccess access = WordAccess::kWord;
  uint8_t bit = 0;  // the bit a kSetBit / kClearBit / kTestBit entry touched
};

}  // namespace crashdiff
