// Helpers for simulator tests: scenarios from inline text, and small CPU programs written as lambdas.
#pragma once

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "sim/machine.h"
#include "sim/scenario_io.h"

namespace crashdiff::testing {

inline pb::Scenario ScenarioFromText(const std::string& text) {
  LoadResult r = ParseScenarioText(text, "test.textproto");
  EXPECT_TRUE(r.errors.empty()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario());
}

// A scenario parsed but not validated: model tests that time an event on a model's own step label (one that is not
// a trigger point of its family, so input validation refuses it) build it this way.
inline pb::Scenario UnvalidatedScenarioFromText(const std::string& text) {
  pb::Scenario s;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &s)) << text;
  return s;
}

// A Program made of lambdas, for tests that need a few CPU programs of their own.
class LambdaProgram : public Program {
 public:
  std::function<Task<>(Cpu&)> start;
  std::function<Task<>(Cpu&, Source)> interrupt;
  std::function<Task<>(Cpu&, const pb::Event&)> software;

  Task<> Start(Cpu& cpu) override { return start(cpu); }
  Task<> Interrupt(Cpu& cpu, Source s) override {
    if (interrupt) return interrupt(cpu, s);
    return Nothing();
  }
  Task<> Software(Cpu& cpu, const pb::Event& e) override {
    if (software) return software(cpu, e);
    return Nothing();
  }
  static Task<> Nothing() { co_return; }
};

inline const char* kTwoCpuPpc = R"pb(
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
)pb";

}  // namespace crashdiff::testing
