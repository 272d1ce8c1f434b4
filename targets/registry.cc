#include <algorithm>

#include "targets/target.h"

namespace crashdiff {
namespace {

std::vector<const TargetSpec*>& Registry() {  // every target, test-only mutants included
  static std::vector<const TargetSpec*> targets;
  return targets;
}
std::vector<const TargetSpec*>& Listed() {  // what AllTargets() returns
  static std::vector<const TargetSpec*> targets;
  return targets;
}

void SortByName(std::vector<const TargetSpec*>& r) {
  std::sort(r.begin(), r.end(), [](const TargetSpec* a, const TargetSpec* b) { return a->name < b->name; });
}

}  // namespace

bool TargetSpec::Supports(pb::Platform p) const {
  return std::find(platforms.begin(), platforms.end(), p) != platforms.end();
}

bool TargetSpec::Applies(std::string_view property, pb::Platform p) const {
  return std::none_of(not_applicable.begin(), not_applicable.end(), [&](const NotApplicable& n) {
    return n.property == property &&
           (n.platforms.empty() || std::find(n.platforms.begin(), n.platforms.end(), p) != n.platforms.end());
  });
}

std::string Describe(const KnownDivergence& k) {
  std::string out = k.property;
  out += k.role.empty() ? " any role" : " " + k.role;
  if (!k.what.empty()) out += " \"" + k.what + "\"";
  for (size_t i = 0; i < k.labels.size(); ++i) out += (i == 0 ? " @" : ",") + k.labels[i];
  for (size_t i = 0; i < k.platforms.size(); ++i) out += (i == 0 ? " on " : ",") + pb::Platform_Name(k.platforms[i]);
  return out;
}

bool RegisterTarget(const TargetSpec& spec) {
  Registry().push_back(&spec);
  SortByName(Registry());
  if (!spec.test_only) {
    Listed().push_back(&spec);
    SortByName(Listed());
  }
  return true;
}

const std::vector<const TargetSpec*>& AllTargets() {
  return Listed();
}

std::vector<const TargetSpec*> TestOnlyTargets() {
  std::vector<const TargetSpec*> out;
  for (const TargetSpec* t : Registry()) {
    if (t->test_only) out.push_back(t);
  }
  return out;
}

const TargetSpec* FindTarget(std::string_view name) {
  for (const TargetSpec* t : Registry()) {
    if (t->name == name) return t;
  }
  return nullptr;
}

}  // namespace crashdiff
