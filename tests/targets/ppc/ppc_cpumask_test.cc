// Cpumasks as arrays of 64-bit words (targets/ppc/cpumask.h): a powerpc machine beyond 64 CPUs validates and crashes
// to a hand-over on every ppc target, saving every online CPU; a whole-mask read takes one step per word, so a store
// between two of its loads is seen only in a word not yet loaded; validation stops at 1,024 CPUs.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "sim/machine.h"
#include "sim/validate.h"
#include "targets/ppc/cpumask.h"
#include "targets/target.h"
#include "tests/fixtures/explore_test_util.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

std::vector<const TargetSpec*> PpcTargets() {
  std::vector<const TargetSpec*> out;
  for (const TargetSpec* t : AllTargets()) {
    if (t->family == pb::PPC) out.push_back(t);
  }
  for (const TargetSpec* t : TestOnlyTargets()) {
    if (t->family == pb::PPC && t->models != testing::kTestProgramModels) out.push_back(t);
  }
  return out;
}

// 256 threads (64 cores of 4), all online; the panic is on CPU 200, in the mask's fourth word.
constexpr const char* kBigMachine = R"pb(
  machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 64 threads_per_core: 4 panic_timeout: 10 }
  events {
    kind: PANIC
    cpus: 200
    trigger { at_time_ns: 1000 }
  }
)pb";

TEST(PpcCpumask, BigMachineHandsOverWithEveryOnlineCpuSaved) {
  const pb::Scenario s = ScenarioFromText(kBigMachine);
  ASSERT_TRUE(IsValid(s));
  const auto targets = PpcTargets();
  ASSERT_GE(targets.size(), 4u);
  for (const TargetSpec* t : targets) {
    SCOPED_TRACE(t->name);
    const RunResult r = RunOnTarget(*t, s);
    ASSERT_TRUE(r.handed_over);
    EXPECT_EQ(r.handover_cpu, 200u);
    ASSERT_EQ(r.cpus.size(), 256u);
    for (uint32_t c = 0; c < 256; ++c) EXPECT_GE(r.cpus[c].saves, 1u) << "cpu" << c;
  }
}

// The same crash with offline threads in every word (SMT off on half the cores): still a hand-over with every online
// CPU saved.
TEST(PpcCpumask, BigMachineWithOfflineThreadsInEveryWord) {
  std::string text =
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 32 threads_per_core: 4 panic_timeout: 10";
  std::vector<bool> offline(128, false);
  for (uint32_t c = 1; c < 128; c += 16) {
    offline[c] = true;
    text += " offline: " + std::to_string(c);
  }
  text += " }\nevents { kind: PANIC cpus: 70 trigger { at_time_ns: 1000 } }\n";
  const pb::Scenario s = ScenarioFromText(text);
  ASSERT_TRUE(IsValid(s));
  for (const TargetSpec* t : PpcTargets()) {
    SCOPED_TRACE(t->name);
    const RunResult r = RunOnTarget(*t, s);
    ASSERT_TRUE(r.handed_over);
    EXPECT_EQ(r.handover_cpu, 70u);
    ASSERT_EQ(r.cpus.size(), 128u);
    for (uint32_t c = 0; c < 128; ++c) {
      if (!offline[c]) EXPECT_GE(r.cpus[c].saves, 1u) << "cpu" << c;
    }
  }
}

// Hotplug in the second word: cpu127 (bit 63 of word 1, its sign bit) goes down and cpu65 comes up before a crash on
// cpu100; set_cpu_online touches only cpu_online_mask[1].
TEST(PpcCpumask, HotplugInTheSecondWord) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 32 threads_per_core: 4 panic_timeout: 10 offline: 65 }
    events {
      kind: HOTPLUG_DOWN
      cpus: [ 0, 127 ]
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: HOTPLUG_UP
      cpus: [ 0, 65 ]
      trigger { at_time_ns: 30000000 }
    }
    events {
      kind: PANIC
      cpus: 100
      trigger { at_time_ns: 60000000 }
    }
  )pb");
  ASSERT_TRUE(IsValid(s));
  for (const TargetSpec* t : PpcTargets()) {
    SCOPED_TRACE(t->name);
    const RunResult r = RunOnTarget(*t, s);
    ASSERT_TRUE(r.handed_over);
    bool down = false, up = false;
    for (const BookEntry& b : r.book) {
      down |= b.kind == BookKind::kOffline && b.cpu == 127;
      up |= b.kind == BookKind::kOnline && b.cpu == 65;
    }
    EXPECT_TRUE(down);
    EXPECT_TRUE(up);
    int second_word = 0;
    for (const TraceEntry& e : r.trace.entries()) {
      if ((e.label == "D2" || e.label == "SU2") && e.detail.find("cpu_online_mask") != std::string::npos) {
        EXPECT_NE(e.detail.find("cpu_online_mask[1]"), std::string::npos) << e.detail;
        ++second_word;
      }
    }
    EXPECT_GE(second_word, 2);
  }
}

// Picks CPU 0, then CPU 1, then CPU 0 again, then whatever runs first.
class ReadSetRead : public SchedulePicker {
 public:
  uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t step) override {
    static constexpr uint32_t kOrder[] = {0, 1, 0};
    if (step < 3) {
      for (const uint32_t a : runnable) {
        if (a == kOrder[step]) return a;
      }
    }
    return runnable.front();
  }
};

struct ReadResult {
  ppc::CpuSet seen;
  std::vector<std::string> order;  // "cpu:label" of each step of CPUs 0 and 1
};

// On a 128-CPU machine CPU 0 reads a mask (every CPU's bit clear) while CPU 1 sets `bit` between its two loads.
ReadResult ReadWhileSetting(uint32_t bit) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 32 threads_per_core: 4 }
  )pb");
  EXPECT_TRUE(IsValid(s));
  ReadSetRead picker;
  Machine m(s, RunOptions{.picker = &picker});
  ppc::CpuMask mask(m, "test_mask", m.num_cpus());
  EXPECT_EQ(mask.num_words(), 2u);
  EXPECT_EQ(mask.word(0).name, "test_mask");
  EXPECT_EQ(mask.word(1).name, "test_mask[1]");
  ReadResult out;
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) out.seen = co_await mask.Read(cpu, "RD");
    if (cpu.id() == 1) co_await mask.SetBit(cpu, bit, "WR");
  };
  const RunResult r = m.Run(p);
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu <= 1 && (e.label == "RD" || e.label == "WR"))
      out.order.push_back(std::to_string(e.cpu) + ":" + std::string(e.label));
  }
  return out;
}

TEST(PpcCpumask, WholeMaskReadIsOneLoadPerWord) {
  const std::vector<std::string> interleaved = {"0:RD", "1:WR", "0:RD"};
  // Set in the second word, not yet loaded: seen.
  const ReadResult second = ReadWhileSetting(100);
  EXPECT_EQ(second.order, interleaved);
  EXPECT_TRUE(second.seen.test(100));
  EXPECT_EQ(second.seen.count(), 1u);
  // Set in the first word, already loaded: not seen.
  const ReadResult first = ReadWhileSetting(5);
  EXPECT_EQ(first.order, interleaved);
  EXPECT_FALSE(first.seen.test(5));
  EXPECT_TRUE(first.seen.empty());
}

// A system reset to every thread of a 96-CPU machine with store buffers sends all of them through the NMI-IPI lock
// one after another, and each of their stores reaches every other thread's invalidate queue: the run needs more than
// the old fixed 100,000 steps. With no step_budget
// the run gets the machine's livelock evidence (LivelockEvidenceSteps, 50 n^2) and ends; an explicit budget of
// 100,000 is below that evidence, so running out of it is a cut, not a livelock.
TEST(PpcCpumask, BigMachineBudgetGrowsWithTheSquareOfTheMachine) {
  EXPECT_EQ(LivelockEvidenceSteps(4), kLivelockEvidenceSteps);
  EXPECT_EQ(LivelockEvidenceSteps(44), kLivelockEvidenceSteps);
  EXPECT_EQ(LivelockEvidenceSteps(96), 50u * 96 * 96);
  const TargetSpec* t = FindTarget("ppc-prefix-nowake");
  ASSERT_NE(t, nullptr);
  pb::Scenario s =
      ScenarioFromText(R"pb(machine { family: PPC platform: POWER9_ICP_OPAL cores: 96 memory_model: ARCHITECTURE }
                            events {
                              kind: OPERATOR_RESET
                              trigger { at_time_ns: 0 }
                            })pb");
  const RunResult ends = RunOnTarget(*t, s);
  EXPECT_EQ(ends.end, EndReason::kQuiescent);
  EXPECT_GT(ends.steps, kLivelockEvidenceSteps);
  EXPECT_TRUE(ends.handed_over);
  s.mutable_schedule()->set_step_budget(kLivelockEvidenceSteps);
  const RunResult cut = RunOnTarget(*t, s);
  EXPECT_EQ(cut.end, EndReason::kBudgetCut);
}

TEST(PpcCpumask, ValidationStopsAt1024Cpus) {
  pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 256 threads_per_core: 4 }
  )pb");
  EXPECT_TRUE(IsValid(s));  // 1,024 CPUs
  s.mutable_machine()->set_cores(513);
  s.mutable_machine()->set_threads_per_core(2);  // 1,026 CPUs
  auto errors = Validate(s);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].reason, "cores * threads_per_core must be at most 1024, got 1026");
  s.mutable_machine()->set_cores(1025);  // 1,025 one-thread cores
  s.mutable_machine()->set_threads_per_core(1);
  errors = Validate(s);
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].reason, "must be in [1, 1024], got 1025");
}

}  // namespace
}  // namespace crashdiff
