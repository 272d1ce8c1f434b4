#include <algorithm>

#include "targets/target.h"

namespace crashdiff {
namespace {

std::vector<const TargetSpec*>& Registry() {
  static std::vector<const TargetSpec*> targets;
  return targets;
}

}  // namespace

bool TargetSpec::Supports(pb::Platform p) const {
  return std::find(platforms.begin(), platforms.end(), p) != platforms.end();
}

bool RegisterTarget(const TargetSpec& spec) {
  auto& r = Registry();
  r.push_back(&spec);
  std::sort(r.begin(), r.end(), [](const TargetSpec* a, const TargetSpec* b) { return a->name < b->name; });
  return true;
}

const std::vector<const TargetSpec*>& AllTargets() {
  return Registry();
}

const TargetSpec* FindTarget(std::string_view name) {
  for (const TargetSpec* t : Registry()) {
    if (t->name == name) return t;
  }
  return nullptr;
}

}  // namespace crashdiff
