// The trace of one run: every step, event, interrupt, wake, location change and diagnostic, in order. The trace
// is deterministic (no pointers, no wall-clock), so its 64-bit hash is the determinism check.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/location.h"
#include "sim/shared_var.h"

namespace crashdiff {

#define CRASHDIFF_TRACE_KINDS(X)    \
  X(kRead, "read")                  \
  X(kWrite, "write")                \
  X(kRmw, "rmw")                    \
  X(kBarrier, "barrier")            \
  X(kLocal, "local")                \
  X(kHw, "hw")                      \
  X(kBlock, "block")                \
  X(kTimeout, "timeout")            \
  X(kWake, "wake")                  \
  X(kIrq, "irq")                    \
  X(kIrqReturn, "irq-return")       \
  X(kEvent, "event")                \
  X(kEventIgnored, "event-ignored") \
  X(kLocation, "location")          \
  X(kDiag, "diag")                  \
  X(kSave, "save")                  \
  X(kHandover, "handover")          \
  X(kOverwrite, "overwrite")        \
  X(kCorrupt, "corrupt")            \
  X(kEnd, "end")                    \
  X(kBuffer, "buffer")              \
  X(kInvalidate, "inval")

enum class TraceKind : uint8_t {
#define CRASHDIFF_TRACE_ENUM(e, name) e,
  CRASHDIFF_TRACE_KINDS(CRASHDIFF_TRACE_ENUM)
#undef CRASHDIFF_TRACE_ENUM
};

inline constexpr std::array<std::string_view, 22> kTraceKindNames = {
#define CRASHDIFF_TRACE_NAME(e, name) name,
    CRASHDIFF_TRACE_KINDS(CRASHDIFF_TRACE_NAME)
#undef CRASHDIFF_TRACE_NAME
};
constexpr std::string_view Name(TraceKind k) {
  return kTraceKindNames[static_cast<size_t>(k)];
}

inline constexpr uint32_t kNoCpu = 0xFFFF;

struct TraceEntry {
  uint64_t step = 0;
  uint64_t time_ns = 0;
  uint32_t cpu = kNoCpu;
  TraceKind kind = TraceKind::kLocal;
  std::string_view label;                 // a step label (string literal in model code) or a table name
  Location location = Location::kRunOld;  // the CPU's location after this entry
  std::string detail;                     // variable name and value, event name, diagnostic text
  int64_t value = 0;
  TraceTags tags;  // what the oracle recognises the entry by (sim/shared_var.h); not in the text or hash
};

class Trace {
 public:
  void Add(const TraceEntry& e) { Add(e, e.detail); }
  // The same, with the entry's detail given apart: e.detail is only read when the entry is kept (record), so a
  // caller that keeps no trace need not copy the text into it. The hash is the same as Add(e) with that detail.
  void Add(const TraceEntry& e, std::string_view detail);
  bool recording() const { return record_; }
  const std::vector<TraceEntry>& entries() const { return entries_; }
  uint64_t hash() const { return hash_; }
  // Keep only the hash, not the entries (fuzzing speed); the hash is computed the same way either way.
  void set_record(bool record) { record_ = record; }
  // Without the hash (a run nobody asks the hash of: the fuzz harness), hash() stays at its start value.
  void set_hash(bool hash) { hash_on_ = hash; }
  std::string Format(const TraceEntry& e) const;
  std::string ToText() const;

 private:
  std::vector<TraceEntry> entries_;
  uint64_t hash_ = 0xCBF29CE484222325ull;  // any fixed non-zero start
  bool record_ = true;
  bool hash_on_ = true;
};

}  // namespace crashdiff
