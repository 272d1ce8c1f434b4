#include "fuzz/mutator/label_pool.h"

#include <array>

#include "sim/trigger_points.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {
namespace {

size_t Slot(pb::Family f) {
  return static_cast<size_t>(f) < 4 ? static_cast<size_t>(f) : 0;
}

}  // namespace

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
  // Only trigger points: a label some model of the family does not reach would fire in some runs only.
  if (!IsValidLabel(label) || !IsTriggerPoint(family, label)) return;
  if (learned_[Slot(family)].emplace(label).second) dirty_[Slot(family)] = true;
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
