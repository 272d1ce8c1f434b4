#include "diff/runner.h"

namespace crashdiff {
namespace {

// One machine per thread, reset for every run (Machine::Reset keeps its containers' memory): a differential
// execution runs the scenario on the reference and every target, a campaign runs millions of scenarios. A run
// started while the pooled machine is busy (none does today) gets a machine of its own.
template <typename MakeProgram>
RunResult RunPooled(const pb::Scenario& scenario, const RunOptions& options, MakeProgram make) {
  static thread_local std::unique_ptr<Machine> pooled;
  static thread_local bool busy = false;
  if (busy) {
    Machine machine(scenario, options);
    std::unique_ptr<Program> program = make(machine);
    return machine.Run(*program);
  }
  struct Release {
    ~Release() { busy = false; }
  } release;
  busy = true;
  if (pooled == nullptr) {
    pooled = std::make_unique<Machine>(scenario, options);
  } else {
    pooled->Reset(scenario, options);
  }
  std::unique_ptr<Program> program = make(*pooled);
  return pooled->Run(*program);
}

}  // namespace

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
  return RunPooled(scenario, options, [&target](Machine& machine) { return target.make(machine); });
}

}  // namespace crashdiff

#include "oracle/reference.h"

namespace crashdiff {

RunResult RunReference(const pb::Scenario& scenario, RunOptions options) {
  return RunPooled(scenario, options, [](Machine& machine) { return MakeReference(machine); });
}

}  // namespace crashdiff
