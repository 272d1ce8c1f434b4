// Structure-aware trimming (AFL++'s trim API): a sequence of reductions that each remove one piece of structure
// (an event, a block of schedule choices, an offline CPU, the name, the firmware). The engine runs each candidate;
// if the run still behaves the same it keeps it (Accept(true)) and later candidates build on it.
#pragma once

#include "fuzz/mutator/label_pool.h"
#include "proto/scenario.pb.h"

namespace crashdiff::fuzz {

class Trimmer {
 public:
  explicit Trimmer(const pb::Scenario& scenario, const LabelPool* labels = nullptr);
  // How many reductions remain to try (an upper bound: some may turn out not to apply).
  int remaining() const { return static_cast<int>(plan_.size() - next_); }
  bool done() const { return next_ >= plan_.size(); }
  // The next candidate (valid). Call only when !done().
  const pb::Scenario& Candidate();
  // Whether the last candidate was kept. Advances to the next reduction.
  void Accept(bool kept);
  const pb::Scenario& current() const { return current_; }

 private:
  enum class Op { kDropEvent, kDropChoices, kDropOffline, kDropNeverStarted, kClearName, kClearFirmware };
  struct Step {
    Op op;
    int index;
  };
  bool Apply(const Step& step, pb::Scenario& s) const;

  const LabelPool* labels_;
  pb::Scenario current_;
  pb::Scenario candidate_;
  std::vector<Step> plan_;
  size_t next_ = 0;
};

}  // namespace crashdiff::fuzz
