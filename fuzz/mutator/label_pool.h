// Step labels the mutator may use in on_label triggers, per family: only the family's trigger points
// (sim/trigger_points.h). The caller fills the pool (typically from the traces of seed runs); labels that are not
// trigger points are ignored, and without any the whole table is the pool.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "proto/scenario.pb.h"

namespace crashdiff::fuzz {

class LabelPool {
 public:
  // Adds a label seen on family; labels that the validator would reject are ignored.
  void Add(pb::Family family, std::string_view label);
  // Sorted, deduplicated labels of family; the spec's step ids when nothing was added for it.
  const std::vector<std::string>& Labels(pb::Family family) const;
  size_t Size(pb::Family family) const { return Labels(family).size(); }
  bool Learned(pb::Family family) const;

  // The family's trigger points: used when no label was learned.
  static const std::vector<std::string>& SpecLabels(pb::Family family);

 private:
  std::set<std::string> learned_[4];
  mutable std::vector<std::string> sorted_[4];
  mutable bool dirty_[4] = {true, true, true, true};
};

// Valid as an on_label label (sim/validate.cc): 1..32 characters from [A-Za-z0-9_.-].
bool IsValidLabel(std::string_view label);

}  // namespace crashdiff::fuzz
