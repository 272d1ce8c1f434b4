#include "diff/explain.h"

#include <deque>

namespace crashdiff {

std::vector<std::string> ExplainDivergence(const RunResult& run, const Divergence& divergence, size_t max_lines) {
  const Witness& w = divergence.at;
  std::deque<const TraceEntry*> window;
  for (const TraceEntry& e : run.trace.entries()) {
    if (e.step > w.step) break;
    const bool relevant = e.cpu == w.cpu || (e.cpu == kNoCpu && e.kind == TraceKind::kEvent) ||
                          e.kind == TraceKind::kHandover || e.kind == TraceKind::kOverwrite;
    if (!relevant) continue;
    window.push_back(&e);
    if (window.size() > max_lines) window.pop_front();
  }
  std::vector<std::string> out;
  for (const TraceEntry* e : window) out.push_back(run.trace.Format(*e));
  return out;
}

}  // namespace crashdiff
