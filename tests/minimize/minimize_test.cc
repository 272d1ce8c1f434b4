// The minimizer keeps the property and removes everything else, deterministically, to 1-minimality.
#include "minimize/minimize.h"

#include <gtest/gtest.h>

#include "sim/scenario_io.h"
#include "sim/validate.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::ScenarioFromText;

// A large scenario: 200 events of assorted kinds, explicit choices, a seeded random policy.
pb::Scenario Noisy() {
  pb::Scenario s = ScenarioFromText(R"pb(
    machine {
      family: PPC
      platform: POWER9_DOORBELL_XIVE
      cores: 4
      threads_per_core: 2
      offline: 5
      offline: 6
      panic_timeout: 30
    }
    schedule { policy: RANDOM seed: 99 }
  )pb");
  const pb::EventKind kinds[] = {pb::HMI, pb::STRAY_DOORBELL, pb::SYSTEM_RESET, pb::SPURIOUS_WAKE, pb::PANIC};
  for (int i = 0; i < 200; ++i) {
    pb::Event* e = s.add_events();
    e->set_kind(kinds[i % 5]);
    const uint32_t cpu = static_cast<uint32_t>((i * 7) % 8);
    // A panic needs a CPU that runs kernel code: not the offline ones.
    e->add_cpus(kinds[i % 5] == pb::PANIC && (cpu == 5 || cpu == 6) ? 0 : cpu);
    e->mutable_trigger()->set_at_time_ns(static_cast<uint64_t>(1000 + i * 12345));
  }
  for (int i = 0; i < 30; ++i) {
    pb::Choice* c = s.mutable_schedule()->add_choices();
    c->set_cpu(static_cast<uint32_t>(i % 8));
    c->set_steps(static_cast<uint32_t>(1 + i));
  }
  EXPECT_TRUE(IsValid(s));
  return s;
}

// The "bug": a stray doorbell to CPU 5 and, later, a panic anywhere.
bool HasStrayThenPanic(const pb::Scenario& s) {
  uint64_t stray = UINT64_MAX;
  for (const pb::Event& e : s.events()) {
    if (e.kind() == pb::STRAY_DOORBELL && e.cpus_size() == 1 && e.cpus(0) == 5) {
      stray = std::min(stray, e.trigger().at_time_ns());
    }
  }
  for (const pb::Event& e : s.events()) {
    if (e.kind() == pb::PANIC && e.trigger().has_at_time_ns() && e.trigger().at_time_ns() > stray) return true;
  }
  return false;
}

TEST(Minimize, KeepsThePropertyAndRemovesEverythingElse) {
  const pb::Scenario input = Noisy();
  ASSERT_TRUE(HasStrayThenPanic(input));
  MinimizeStats stats;
  const pb::Scenario out = Minimize(input, HasStrayThenPanic, {}, &stats);
  EXPECT_TRUE(IsValid(out));
  EXPECT_TRUE(HasStrayThenPanic(out));
  EXPECT_EQ(out.events_size(), 2);
  EXPECT_EQ(out.schedule().choices_size(), 0);
  EXPECT_FALSE(out.schedule().has_policy());
  // Simplified: earliest trigger that still works (the stray at 0, the panic right after it), fewer CPUs.
  EXPECT_EQ(out.events(0).trigger().at_time_ns(), 0u);
  EXPECT_EQ(out.events(1).trigger().at_time_ns(), 1u);
  EXPECT_EQ(out.machine().cores() * out.machine().threads_per_core(), 6u);  // CPU 5 must still exist
  EXPECT_TRUE(IsOneMinimal(out, HasStrayThenPanic));
  EXPECT_GT(stats.accepted, 0u);
}

TEST(Minimize, SameInputTwiceGivesByteIdenticalOutput) {
  const pb::Scenario input = Noisy();
  EXPECT_EQ(ScenarioToText(Minimize(input, HasStrayThenPanic)), ScenarioToText(Minimize(input, HasStrayThenPanic)));
}

TEST(Minimize, StopsAtTheRunBudgetWithAValidResult) {
  MinimizeOptions options;
  options.max_runs = 5;
  MinimizeStats stats;
  const pb::Scenario out = Minimize(Noisy(), HasStrayThenPanic, options, &stats);
  EXPECT_TRUE(stats.budget_exhausted);
  EXPECT_LE(stats.runs, 5u);
  EXPECT_TRUE(HasStrayThenPanic(out));
}

TEST(Minimize, InterruptionReturnsTheBestSoFar) {
  std::atomic<bool> stop{false};
  MinimizeOptions options;
  options.stop = &stop;
  int improvements = 0;
  options.on_improved = [&](const pb::Scenario& s) {
    EXPECT_TRUE(HasStrayThenPanic(s));
    if (++improvements == 3) stop = true;
  };
  MinimizeStats stats;
  const pb::Scenario out = Minimize(Noisy(), HasStrayThenPanic, options, &stats);
  EXPECT_TRUE(stats.interrupted);
  EXPECT_EQ(stats.accepted, 3u);
  EXPECT_TRUE(HasStrayThenPanic(out));
  EXPECT_LT(out.events_size(), 200);
}

TEST(Minimize, OneMinimalityCheckSeesARemovableEvent) {
  pb::Scenario s = Noisy();
  EXPECT_FALSE(IsOneMinimal(s, HasStrayThenPanic));
}

}  // namespace
}  // namespace crashdiff
