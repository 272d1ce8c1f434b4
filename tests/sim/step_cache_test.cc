// What the step loop remembers between steps instead of recomputing (docs/SIMULATOR.md "Cost: linear in CPUs and
// events"): a CPU's pending-source mask, kept until its latches can change; the CPU that stepped, not evaluated
// again while it certainly stays runnable; a finished run's facts, reused by the next run's builder. Each must give
// what recomputing gives.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "fuzz/mutator/mutator.h"
#include "oracle/facts.h"
#include "oracle/outcome.h"
#include "oracle/properties.h"
#include "oracle/reference.h"
#include "sim/machine.h"
#include "sim/scenario_io.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

std::vector<pb::Scenario> Corpus() {
  return testing::LoadCorpusScenarios({"corpus/seeds", "corpus/findings"});
}

TEST(StepCache, PendingMaskFollowsEveryLatchChange) {
  const pb::Scenario s = fuzz::MinimalScenario(pb::PPC);
  Machine m(s);
  Cpu& c = m.cpu(0);
  EXPECT_EQ(c.pending_mask(), 0u);
  c.hw().dec = true;
  EXPECT_EQ(c.pending_mask(), Bit(Source::kDec));
  // A reference taken before the mask is read and written after it (within one step, as model code does).
  CpuHw& hw = c.hw();
  hw.doorbell = true;
  hw.xive_queue.push_back(XiveEntry{true, 0});
  EXPECT_EQ(c.pending_mask(), Bit(Source::kDec) | Bit(Source::kHdoorbell) | Bit(Source::kHvi));
  c.hw().Clear(Source::kDec);
  EXPECT_EQ(c.pending_mask(), c.hw().PendingMask());
  EXPECT_EQ(c.pending_mask() & Bit(Source::kDec), 0u);
}

// Every corpus scenario on the reference and every target with the runnable set checked against a full evaluation
// at every step (and each remembered pending mask against its latches): the run aborts on a difference.
TEST(StepCache, EveryCorpusRunMatchesAFullEvaluationAtEveryStep) {
  const std::vector<pb::Scenario> corpus = Corpus();
  ASSERT_GE(corpus.size(), 50u);
  for (const pb::Scenario& s : corpus) {
    SCOPED_TRACE(s.name());
    const RunResult ref = RunReference(s, RunOptions{.record_trace = false, .verify_runnable = true});
    EXPECT_EQ(ref.trace_hash, RunReference(s, RunOptions{.record_trace = false}).trace_hash);
    for (const TargetSpec* target : TargetsFor(s)) {
      SCOPED_TRACE(target->name);
      const RunResult checked = RunOnTarget(*target, s, RunOptions{.record_trace = false, .verify_runnable = true});
      EXPECT_EQ(checked.trace_hash, RunOnTarget(*target, s, RunOptions{.record_trace = false}).trace_hash);
    }
  }
}

// The same with store buffers and invalidate queues: every seed of a family that has both (powerpc, arm64) run with
// memory_model ARCHITECTURE, so the agents' place in the runnable set and the queue counts completions skip on are
// checked at every step of runs that use them.
TEST(StepCache, EveryArchitectureRunMatchesAFullEvaluationAtEveryStep) {
  size_t runs = 0;
  for (pb::Scenario s : testing::LoadCorpusScenarios({"corpus/seeds"})) {
    if (s.machine().family() == pb::X86) continue;
    s.mutable_machine()->set_memory_model(pb::ARCHITECTURE);
    SCOPED_TRACE(s.name());
    for (const TargetSpec* target : TargetsFor(s)) {
      SCOPED_TRACE(target->name);
      const RunResult checked = RunOnTarget(*target, s, RunOptions{.record_trace = false, .verify_runnable = true});
      EXPECT_EQ(checked.trace_hash, RunOnTarget(*target, s, RunOptions{.record_trace = false}).trace_hash);
      ++runs;
    }
  }
  EXPECT_GE(runs, 100u);
}

std::string Describe(const pb::Scenario& s, const RunResult& r, const Facts& f) {
  std::string out = OutcomeSummary(ComputeOutcome(s, r, f));
  for (const Violation& v : CheckProperties(s, r, f)) {
    out += "\n" + v.property + " " + v.what + " cpu" + std::to_string(v.cpu) + " step" + std::to_string(v.witness.step);
  }
  return out;
}

// A builder given the facts of an earlier run (another scenario, another machine size) builds what a fresh one does.
TEST(StepCache, FactsBuilderReusingAnEarlierRunsFactsBuildsTheSameFacts) {
  const std::vector<pb::Scenario> corpus = Corpus();
  ASSERT_GE(corpus.size(), 2u);
  Facts spare;
  for (const pb::Scenario& s : corpus) {
    SCOPED_TRACE(s.name());
    const uint32_t cpus = s.machine().cores() * s.machine().threads_per_core();
    FactsBuilder fresh(cpus);
    const RunResult a = RunReference(s, RunOptions{.record_trace = false, .observer = &fresh});
    FactsBuilder reusing(cpus, std::move(spare));
    const RunResult b = RunReference(s, RunOptions{.record_trace = false, .observer = &reusing});
    const Facts fresh_facts = fresh.TakeFacts();
    Facts reused_facts = reusing.TakeFacts();
    EXPECT_EQ(Describe(s, a, fresh_facts), Describe(s, b, reused_facts));
    ASSERT_EQ(fresh_facts.cpus.size(), reused_facts.cpus.size());
    EXPECT_EQ(fresh_facts.handed_over, reused_facts.handed_over);
    EXPECT_EQ(fresh_facts.handover_step, reused_facts.handover_step);
    spare = std::move(reused_facts);
  }
}

}  // namespace
}  // namespace crashdiff
