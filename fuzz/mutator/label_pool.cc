#include "fuzz/mutator/label_pool.h"

#include <algorithm>
#include <array>

#include "sim/trigger_points.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {
bool IsValidLabel(std::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) return false;
  for (char c : label) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

void LabelPool::Add(pb::Family family, std::string_view label) {
  if (!IsValidLabel(label)) return;
  if (steps_[Slot(family)].emplace(label).second) steps_dirty_[Slot(family)] = true;
  // Triggers only on trigger points: a label some model of the family does not reach would fire in some runs only.
  if (!IsTriggerPoint(family, label)) return;
  if (learned_[Slot(family)].emplace(label).second) dirty_[Slot(family)] = true;
}

const std::vector<std::string>& LabelPool::StepLabels(pb::Family family) const {
  const size_t s = Slot(family);
  if (steps_[s].empty()) return SpecLabels(family);
  if (steps_dirty_[s]) {
    sorted_steps_[s].assign(steps_[s].begin(), steps_[s].end());
    steps_dirty_[s] = false;
  }
  return sorted_steps_[s];
}

void LabelPool::AddTrace(pb::Family family, const Trace& trace) {
  for (const TraceEntry& e : trace.entries()) {
    // Steps (memory, barrier, local, hardware, wait) carry step labels; events, locations and diagnostics do not.
    if (e.cpu == kNoCpu || e.kind > TraceKind::kWake) continue;
    Add(family, e.label);
    if ((e.kind == TraceKind::kRead || e.kind == TraceKind::kRmw) && IsValidLabel(e.label)) {
      std::vector<std::string>& reads = reads_[Slot(family)];
      const auto at = std::lower_bound(reads.begin(), reads.end(), e.label);
      if (at == reads.end() || *at != e.label) reads.emplace(at, e.label);
    }
  }
}

bool LabelPool::Learned(pb::Family family) const {
  return !learned_[Slot(family)].empty();
}

const std::vector<std::string>& LabelPool::Labels(pb::Family family) const {
  const size_t s = Slot(family);
  if (learned_[s].empty()) return SpecLabels(family);
  if (dirty_[s]) {
    sorted_[s].assign(learned_[s].begin(), learned_[s].end());
    dirty_[s] = false;
  }
  return sorted_[s];
}

const std::vector<std::string>& LabelPool::SpecLabels(pb::Family family) {
  // The family's trigger points (sim/trigger_points.h): the only labels validation accepts.
  static const auto kLabels = [] {
    std::array<std::vector<std::string>, 4> out;
    for (pb::Family f : {pb::PPC, pb::X86, pb::ARM64}) {
      for (const TriggerPoint& t : TriggerPoints(f)) out[Slot(f)].emplace_back(t.label);
    }
    return out;
  }();
  return kLabels[Slot(family)];
}

}  // namespace crashdiff::fuzz
