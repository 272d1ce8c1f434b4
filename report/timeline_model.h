// What a timeline shows, extracted from a run's trace: per CPU, the location states as spans over model time, the
// markers (wakes, interrupts, events, console lines) and the shared writes; plus machine-wide events. Drawing is
// separate (timeline.cc), so this part is easy to test and the renderer never walks the trace itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/machine.h"

namespace crashdiff {

#define CRASHDIFF_MARK_KINDS(X)                               \
  /*  enum            name              legend text */        \
  X(kWake, "wake", "woke (stop / mwait / wait)")              \
  X(kIrq, "irq", "took an interrupt")                         \
  X(kEvent, "event", "scenario event delivered")              \
  X(kEventIgnored, "event-ignored", "scenario event ignored") \
  X(kDiag, "diag", "console line (printk)")

enum class MarkKind : uint8_t {
#define CRASHDIFF_MARK_ENUM(e, name, legend) e,
  CRASHDIFF_MARK_KINDS(CRASHDIFF_MARK_ENUM)
#undef CRASHDIFF_MARK_ENUM
};

struct MarkKindInfo {
  std::string_view name;
  std::string_view legend;
};
inline constexpr MarkKindInfo kMarkKindInfo[] = {
#define CRASHDIFF_MARK_INFO(e, name, legend) {name, legend},
    CRASHDIFF_MARK_KINDS(CRASHDIFF_MARK_INFO)
#undef CRASHDIFF_MARK_INFO
};
constexpr const MarkKindInfo& Info(MarkKind k) {
  return kMarkKindInfo[static_cast<size_t>(k)];
}

struct Mark {
  uint64_t time_ns = 0;
  MarkKind kind = MarkKind::kWake;
  std::string text;  // one line for hover text
};

struct Span {
  uint64_t from_ns = 0;
  uint64_t to_ns = 0;
  Location location = Location::kRunOld;
  std::vector<std::string> notes;  // shared writes, saves, console lines ... during the span, in order
};

struct Lane {
  uint32_t cpu = 0;
  std::vector<Span> spans;  // contiguous, in time order, adjacent spans differ in location
  std::vector<Mark> marks;
  std::vector<Mark> writes;  // shared writes (write, rmw, hardware latch ops); kind is unused
};

struct TimelineModel {
  std::vector<Lane> lanes;           // one per CPU, in CPU order
  std::vector<Mark> machine_events;  // hardware events, which name their CPUs in the text
  std::vector<uint64_t> times;       // every moment something happens (for the time axis)
  uint64_t end_ns = 0;
};

TimelineModel BuildTimelineModel(const RunResult& run);

// One line describing a trace entry for hover text: "120 ns  write crash_wake = 1  [L6]".
std::string DescribeEntry(const TraceEntry& e);

}  // namespace crashdiff
