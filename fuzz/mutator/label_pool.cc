#include "fuzz/mutator/label_pool.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string_view>

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

namespace {

constexpr size_t kMaxStoreSites = 4096;  // per family: every model's stores on machines up to 64 CPUs

// Keeps list sorted and without duplicates (a few dozen labels per family: a sorted vector is the simplest set).
void InsertSorted(std::vector<std::string>& list, std::string_view label) {
  const auto at = std::lower_bound(list.begin(), list.end(), label);
  if (at == list.end() || *at != label) list.emplace(at, label);
}

}  // namespace

void LabelPool::Add(pb::Family family, std::string_view label) {
  if (!IsValidLabel(label)) return;
  InsertSorted(steps_[Slot(family)], label);
  // Triggers only on trigger points: a label some model of the family does not reach would fire in some runs only.
  if (IsTriggerPoint(family, label)) InsertSorted(learned_[Slot(family)], label);
}

namespace {

// "crashing_cpu = -1" -> "crashing_cpu": the variable a memory step's detail names.
std::string_view VariableOf(const TraceEntry& e) {
  const std::string_view d = e.detail;
  return d.substr(0, d.find(" = "));
}

bool Reads(const TraceEntry& e) {
  return e.kind == TraceKind::kRead || e.kind == TraceKind::kRmw;
}

}  // namespace

// A plain store as the CPU executed it (kBuffer with store buffers; a commit is not a step of the CPU).
void LabelPool::AddStore(pb::Family family, const TraceEntry& e) {
  const bool store = (e.kind == TraceKind::kWrite && e.tags.mark != TraceMark::kCommit) || e.kind == TraceKind::kBuffer;
  if (!store) return;
  StoreSite site{std::string(e.label), std::string(VariableOf(e)), e.cpu};
  std::vector<StoreSite>& stores = stores_[Slot(family)];
  const auto at = std::lower_bound(stores.begin(), stores.end(), site);
  if ((at == stores.end() || *at != site) && stores.size() < kMaxStoreSites) stores.insert(at, std::move(site));
}

void LabelPool::AddTrace(pb::Family family, const Trace& trace) {
  // Who wrote each variable in this run: one writer id, or kNoCpu once two CPUs did.
  std::map<std::string_view, uint32_t> writer;
  for (const TraceEntry& e : trace.entries()) {
    if (e.cpu == kNoCpu || (e.kind != TraceKind::kWrite && e.kind != TraceKind::kRmw)) continue;
    const auto [it, inserted] = writer.emplace(VariableOf(e), e.cpu);
    if (!inserted && it->second != e.cpu) it->second = kNoCpu;
  }
  std::set<uint32_t> woken;  // CPUs that woke and have not reached a trigger point since
  for (const TraceEntry& e : trace.entries()) {
    if (e.cpu != kNoCpu && IsValidLabel(e.label)) AddStore(family, e);
    // Steps (memory, barrier, local, hardware, wait) carry step labels; events, locations and diagnostics do not.
    if (e.cpu == kNoCpu || e.kind > TraceKind::kWake) continue;
    Add(family, e.label);
    // The wake entry carries the blocked step's label; where the CPU goes on is its next trigger point.
    if (e.kind == TraceKind::kWake) woken.insert(e.cpu);
    if (!IsValidLabel(e.label)) continue;
    if (IsTriggerPoint(family, e.label)) {
      InsertSorted(learned_at_[Slot(family)][e.location], e.label);
      if (e.kind != TraceKind::kWake && woken.erase(e.cpu) > 0) {
        InsertSorted(after_wake_at_[Slot(family)][e.location], e.label);
      }
    }
    if (Reads(e)) {
      InsertSorted(reads_[Slot(family)], e.label);
      InsertSorted(reads_at_[Slot(family)][e.location], e.label);
      const auto w = writer.find(VariableOf(e));
      if (w != writer.end() && w->second != e.cpu) InsertSorted(contended_reads_at_[Slot(family)][e.location], e.label);
    }
  }
}

namespace {
const std::vector<std::string>& At(const std::map<Location, std::vector<std::string>>& by_location, Location l) {
  static const std::vector<std::string> kNone;
  const auto it = by_location.find(l);
  return it == by_location.end() ? kNone : it->second;
}
}  // namespace

const std::vector<std::string>& LabelPool::LabelsAt(pb::Family family, Location location) const {
  return At(learned_at_[Slot(family)], location);
}

const std::vector<std::string>& LabelPool::ReadLabelsAt(pb::Family family, Location location) const {
  return At(reads_at_[Slot(family)], location);
}

const std::vector<std::string>& LabelPool::ContendedReadLabelsAt(pb::Family family, Location location) const {
  return At(contended_reads_at_[Slot(family)], location);
}

const std::vector<std::string>& LabelPool::WakeLabelsAt(pb::Family family, Location location) const {
  return At(after_wake_at_[Slot(family)], location);
}

bool LabelPool::Learned(pb::Family family) const {
  return !learned_[Slot(family)].empty();
}

const std::vector<std::string>& LabelPool::Labels(pb::Family family) const {
  return learned_[Slot(family)].empty() ? SpecLabels(family) : learned_[Slot(family)];
}

const std::vector<std::string>& LabelPool::StepLabels(pb::Family family) const {
  return steps_[Slot(family)].empty() ? SpecLabels(family) : steps_[Slot(family)];
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
