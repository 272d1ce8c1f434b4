#include "diff/runner.h"

namespace crashdiff {

std::vector<const TargetSpec*> TargetsFor(const pb::Scenario& scenario, std::string_view only) {
  std::vector<const TargetSpec*> out;
  auto add = [&](const TargetSpec* t) {
    if (t->family == scenario.machine().family() && t->Supports(scenario.machine().platform())) out.push_back(t);
  };
  if (!only.empty()) {
    if (const TargetSpec* t = FindTarget(only)) add(t);  // a test-only mutant runs when named
    return out;
  }
  for (const TargetSpec* t : AllTargets()) add(t);
  return out;
}

RunResult RunOnTarget(const TargetSpec& target, const pb::Scenario& scenario, RunOptions options) {
  Machine machine(scenario, options);
  std::unique_ptr<Program> program = target.make(machine);
  return machine.Run(*program);
}

}  // namespace crashdiff

#include "oracle/reference.h"

namespace crashdiff {

RunResult RunReference(const pb::Scenario& scenario, RunOptions options) {
  Machine machine(scenario, options);
  std::unique_ptr<Program> program = MakeReference(machine);
  return machine.Run(*program);
}

}  // namespace crashdiff
