#include "fuzz/mutator/trim.h"

#include "fuzz/mutator/fix.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {

Trimmer::Trimmer(const pb::Scenario& scenario, const LabelPool* labels) : labels_(labels), current_(scenario) {
  Fix(current_, labels_);
  // Back to front, so indices of what is left stay meaningful after a kept removal.
  for (int i = current_.events_size() - 1; i >= 0; --i) plan_.push_back({Op::kDropEvent, i});
  for (int i = (current_.schedule().choices_size() - 1) / 8; i >= 0 && current_.schedule().choices_size() > 0; --i) {
    plan_.push_back({Op::kDropChoices, i * 8});
  }
  for (int i = current_.machine().offline_size() - 1; i >= 0; --i) plan_.push_back({Op::kDropOffline, i});
  for (int i = current_.machine().never_started_size() - 1; i >= 0; --i) plan_.push_back({Op::kDropNeverStarted, i});
  if (!current_.name().empty()) plan_.push_back({Op::kClearName, 0});
  if (current_.machine().has_firmware()) plan_.push_back({Op::kClearFirmware, 0});
}

bool Trimmer::Apply(const Step& step, pb::Scenario& s) const {
  switch (step.op) {
    case Op::kDropEvent:
      if (step.index >= s.events_size()) return false;
      s.mutable_events()->DeleteSubrange(step.index, 1);
      return true;
    case Op::kDropChoices: {
      const int n = s.schedule().choices_size();
      if (step.index >= n) return false;
      s.mutable_schedule()->mutable_choices()->DeleteSubrange(step.index, std::min(8, n - step.index));
      return true;
    }
    case Op::kDropOffline:
      if (step.index >= s.machine().offline_size()) return false;
      s.mutable_machine()->mutable_offline()->erase(s.mutable_machine()->mutable_offline()->begin() + step.index);
      return true;
    case Op::kDropNeverStarted:
      if (step.index >= s.machine().never_started_size()) return false;
      s.mutable_machine()->mutable_never_started()->erase(s.mutable_machine()->mutable_never_started()->begin() +
                                                          step.index);
      return true;
    case Op::kClearName: s.clear_name(); return true;
    case Op::kClearFirmware: s.mutable_machine()->clear_firmware(); return true;
  }
  return false;
}

const pb::Scenario& Trimmer::Candidate() {
  candidate_ = current_;
  if (next_ < plan_.size() && Apply(plan_[next_], candidate_)) {
    Fix(candidate_, labels_);
    if (!IsValid(candidate_)) candidate_ = current_;
  }
  return candidate_;
}

void Trimmer::Accept(bool kept) {
  if (kept) current_ = candidate_;
  ++next_;
}

}  // namespace crashdiff::fuzz
