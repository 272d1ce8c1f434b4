#include "report/timeline_model.h"

#include <algorithm>
#include <optional>

#include "report/svg_text.h"

namespace crashdiff {
namespace {

std::optional<MarkKind> MarkFor(TraceKind k) {
  switch (k) {
    case TraceKind::kWake: return MarkKind::kWake;
    case TraceKind::kIrq: return MarkKind::kIrq;
    case TraceKind::kEvent: return MarkKind::kEvent;
    case TraceKind::kEventIgnored: return MarkKind::kEventIgnored;
    case TraceKind::kDiag: return MarkKind::kDiag;
    default: return std::nullopt;
  }
}

bool IsSharedWrite(TraceKind k) {
  return k == TraceKind::kWrite || k == TraceKind::kRmw || k == TraceKind::kHw;
}

// Entries worth listing in a span's hover text besides the writes.
bool IsNote(TraceKind k) {
  return IsSharedWrite(k) || k == TraceKind::kSave || k == TraceKind::kDiag || k == TraceKind::kHandover ||
         k == TraceKind::kOverwrite || k == TraceKind::kCorrupt || k == TraceKind::kEvent ||
         k == TraceKind::kEventIgnored;
}

}  // namespace

std::string DescribeEntry(const TraceEntry& e) {
  std::string s = FormatNs(e.time_ns) + "  " + std::string(Name(e.kind));
  if (!e.detail.empty()) s += " " + e.detail;
  if (IsSharedWrite(e.kind)) s += " = " + std::to_string(e.value);
  s += "  [" + std::string(e.label) + "]";
  return s;
}

TimelineModel BuildTimelineModel(const RunResult& run) {
  TimelineModel m;
  const uint32_t n = static_cast<uint32_t>(run.cpus.size());
  m.end_ns = run.end_time_ns;
  for (const TraceEntry& e : run.trace.entries()) m.end_ns = std::max(m.end_ns, e.time_ns);
  m.times = {0, m.end_ns};
  if (run.handed_over) m.times.push_back(run.handover_time_ns);

  m.lanes.resize(n);
  for (uint32_t c = 0; c < n; ++c) {
    m.lanes[c].cpu = c;
    m.lanes[c].spans.push_back({0, m.end_ns, Location::kRunOld, {}});
  }
  for (const TraceEntry& e : run.trace.entries()) {
    if (e.kind == TraceKind::kEnd) continue;
    m.times.push_back(e.time_ns);
    if (e.cpu == kNoCpu) {
      if (e.kind == TraceKind::kEvent) m.machine_events.push_back({e.time_ns, MarkKind::kEvent, DescribeEntry(e)});
      continue;
    }
    if (e.cpu >= n) continue;
    Lane& lane = m.lanes[e.cpu];
    if (e.location != lane.spans.back().location) {
      Span& open = lane.spans.back();
      if (open.from_ns == e.time_ns && open.notes.empty()) {
        open.location = e.location;  // changed again at the same moment: the earlier state never lasted
      } else {
        open.to_ns = e.time_ns;
        lane.spans.push_back({e.time_ns, m.end_ns, e.location, {}});
      }
      // Merging may leave two neighbours with the same state; join them.
      if (lane.spans.size() >= 2 && lane.spans[lane.spans.size() - 2].location == lane.spans.back().location) {
        Span last = std::move(lane.spans.back());
        lane.spans.pop_back();
        Span& prev = lane.spans.back();
        prev.to_ns = last.to_ns;
        prev.notes.insert(prev.notes.end(), last.notes.begin(), last.notes.end());
      }
    }
    if (IsNote(e.kind)) lane.spans.back().notes.push_back(DescribeEntry(e));
    if (IsSharedWrite(e.kind)) lane.writes.push_back({e.time_ns, MarkKind::kWake, DescribeEntry(e)});
    if (const auto mark = MarkFor(e.kind)) lane.marks.push_back({e.time_ns, *mark, DescribeEntry(e)});
  }
  return m;
}

}  // namespace crashdiff
