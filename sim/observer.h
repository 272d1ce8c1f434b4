// Observing a run as it happens: every trace entry and every bookkeeping call a target makes (panic, shutdown,
// wake sent, save, response), in one ordered stream. The oracle's property checks build compact facts from this
// stream, so fuzzing runs need not keep the trace (RunOptions::record_trace = false).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "sim/trace.h"

namespace crashdiff {

#define CRASHDIFF_BOOK_KINDS(X)   \
  X(kPanic, "panic")              \
  X(kShutdown, "shutdown")        \
  X(kWakeSent, "wake-sent")       \
  X(kSave, "save")                \
  X(kInvalidSave, "invalid-save") \
  X(kResponse, "response")        \
  X(kOnline, "online")            \
  X(kOffline, "offline")          \
  X(kKickSent, "kick-sent")       \
  X(kShutdownMoved, "shutdown-moved")

enum class BookKind : uint8_t {
#define CRASHDIFF_BOOK_ENUM(e, name) e,
  CRASHDIFF_BOOK_KINDS(CRASHDIFF_BOOK_ENUM)
#undef CRASHDIFF_BOOK_ENUM
};

inline constexpr std::array<std::string_view, 10> kBookKindNames = {
#define CRASHDIFF_BOOK_NAME(e, name) name,
    CRASHDIFF_BOOK_KINDS(CRASHDIFF_BOOK_NAME)
#undef CRASHDIFF_BOOK_NAME
};
constexpr std::string_view Name(BookKind k) {
  return kBookKindNames[static_cast<size_t>(k)];
}

// One bookkeeping call (Machine::RecordPanic, RecordShutdown, RecordWakeSent, RecordSave, RecordResponse,
// RecordOnline, MoveSleepingTask). kOnline / kOffline: a hotplug transition of the CPU's online bit (cpu_up /
// cpu_down, SMT off), recorded by every model where its kernel flips the bit, so the oracle knows who is online
// without knowing the target. kShutdownMoved: the shutdown `by` had booked goes on as a task on `cpu` (`by` went
// down under it).
struct BookEntry {
  BookKind kind = BookKind::kPanic;
  uint32_t cpu = kNoCpu;  // the CPU the record is about (for kWakeSent: the CPU the wake was sent to)
  uint32_t by = kNoCpu;   // the CPU executing when the call was made (for kWakeSent: the sender)
  uint64_t step = 0;
  uint64_t time_ns = 0;
  uint64_t trace_pos = 0;  // number of trace entries recorded before this call: merges the two streams exactly
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void OnEntry(const TraceEntry& entry) = 0;
  virtual void OnBook(const BookEntry& entry) = 0;
  // Whether OnEntry reads TraceEntry::detail. An observer that does not (the oracle's facts) spares a run that keeps
  // no trace the copy of every entry's text; the hash covers the text either way.
  virtual bool WantsDetail() const { return true; }
};

}  // namespace crashdiff
