// Step labels the mutator may use, per family: for on_label triggers only the family's trigger points
// (sim/trigger_points.h); for a schedule choice's preemption point any step a model executes. The caller fills the
// pool (typically from the traces of seed runs); without any learned label, both lists are the trigger points.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proto/scenario.pb.h"
#include "sim/trace.h"

namespace crashdiff::fuzz {

// A plain store some model executed: its step label, the variable (its trace name) and the CPU that stored it.
struct StoreSite {
  std::string label;
  std::string var;
  uint32_t cpu = 0;
  auto operator<=>(const StoreSite&) const = default;
};

class LabelPool {
 public:
  // Adds a label seen on family; labels that the validator would reject are ignored.
  void Add(pb::Family family, std::string_view label);
  // Adds the label of every executed step of a run's trace (what on_label triggers and preemption points see).
  void AddTrace(pb::Family family, const Trace& trace);
  // Sorted, deduplicated trigger points of family seen; all of them when nothing was added for it.
  const std::vector<std::string>& Labels(pb::Family family) const;
  // Every well-formed step label seen on family (preemption points); the trigger points when none was added.
  const std::vector<std::string>& StepLabels(pb::Family family) const;
  // The labels of shared-memory reads among them (the check of a check-then-act window); may be empty.
  const std::vector<std::string>& ReadLabels(pb::Family family) const { return reads_[Slot(family)]; }
  // The same two lists restricted to steps a CPU executed at location (e.g. OFFLINE_LOOP: what an offline thread
  // runs when something wakes it); empty when none was seen there.
  const std::vector<std::string>& LabelsAt(pb::Family family, Location location) const;
  const std::vector<std::string>& ReadLabelsAt(pb::Family family, Location location) const;
  // The reads among them of a variable another CPU of the same run wrote: the check of a check-then-act race
  // (crashing_cpu read by an offline thread, written by the initiator), where holding the reader opens a window.
  const std::vector<std::string>& ContendedReadLabelsAt(pb::Family family, Location location) const;
  // The first trigger point a CPU executed after it woke (from a stop, MWAIT, HLT or a wait) at location: the
  // moment a sleeping CPU is back in the race (ppc: L3, right after an offline thread's stop wake).
  const std::vector<std::string>& WakeLabelsAt(pb::Family family, Location location) const;
  // Plain stores seen on family (sorted, deduplicated): where a Choice.commit may make one overtake older stores.
  const std::vector<StoreSite>& Stores(pb::Family family) const { return stores_[Slot(family)]; }
  size_t Size(pb::Family family) const { return Labels(family).size(); }
  bool Learned(pb::Family family) const;

  // The family's trigger points: used when no label was learned.
  static const std::vector<std::string>& SpecLabels(pb::Family family);

 private:
  void AddStore(pb::Family family, const TraceEntry& e);
  static size_t Slot(pb::Family f) { return static_cast<size_t>(f) < 4 ? static_cast<size_t>(f) : 0; }
  // Per family, sorted and deduplicated: trigger points seen, every step label seen, the reads among them.
  std::vector<std::string> learned_[4];
  std::vector<std::string> steps_[4];
  std::vector<std::string> reads_[4];
  std::map<Location, std::vector<std::string>> learned_at_[4];
  std::map<Location, std::vector<std::string>> reads_at_[4];
  std::map<Location, std::vector<std::string>> contended_reads_at_[4];
  std::map<Location, std::vector<std::string>> after_wake_at_[4];
  std::vector<StoreSite> stores_[4];
};

// Valid as an on_label label (sim/validate.cc): 1..32 characters from [A-Za-z0-9_.-].
bool IsValidLabel(std::string_view label);

}  // namespace crashdiff::fuzz
