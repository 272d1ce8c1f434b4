// A machine reset for another run (Machine::Reset, the pool RunOnTarget and RunReference use) is a fresh machine:
// every corpus seed, run in sequence on one reused machine (each run after a different scenario, of another
// topology and family), gives exactly the fresh run's trace, hash, outcome and bookkeeping, on the reference and
// on every target of its family.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "oracle/reference.h"
#include "sim/machine.h"
#include "sim/scenario_io.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

std::vector<pb::Scenario> CorpusSeeds() {
  return testing::LoadCorpusScenarios({"corpus/seeds"});
}

// Everything a run reports, as text (a difference shows where).
std::string Summary(const RunResult& r) {
  std::string s = "end " + std::string(Name(r.end)) + " steps " + std::to_string(r.steps) + " settle " +
                  std::to_string(r.settle_steps) + " handed_over " + std::to_string(r.handed_over) + " at " +
                  std::to_string(r.handover_step) + "/" + std::to_string(r.handover_time_ns) + " by " +
                  std::to_string(r.handover_cpu) + " limit " + std::to_string(r.time_limit_ns) + " end_time " +
                  std::to_string(r.end_time_ns) + " hash " + std::to_string(r.trace_hash) + "\n";
  for (const CpuResult& c : r.cpus) {
    s += "cpu " + std::string(Name(c.at_handover)) + " " + std::string(Name(c.final)) + " " + std::to_string(c.saves) +
         " " + std::to_string(c.invalid_saves) + " " + std::to_string(c.responses) + " " + std::to_string(c.shutdowns) +
         " " + std::to_string(c.entered_panic) + " " + std::to_string(c.woken) + "\n";
  }
  for (const Location l : r.settled) s += "settled " + std::string(Name(l)) + "\n";
  for (const BookEntry& b : r.book) {
    s += "book " + std::to_string(static_cast<int>(b.kind)) + " " + std::to_string(b.cpu) + " " + std::to_string(b.by) +
         " " + std::to_string(b.step) + " " + std::to_string(b.time_ns) + " " + std::to_string(b.trace_pos) + "\n";
  }
  for (const Diagnostic& d : r.diagnostics) s += "diag " + std::to_string(d.time_ns) + " " + d.text + "\n";
  return s + r.trace.ToText();
}

using MakeProgram = std::function<std::unique_ptr<Program>(Machine&)>;

RunResult Fresh(const pb::Scenario& s, const MakeProgram& make, RunOptions options) {
  Machine m(s, options);
  std::unique_ptr<Program> p = make(m);
  return m.Run(*p);
}

RunResult Reused(std::unique_ptr<Machine>& m, const pb::Scenario& s, const MakeProgram& make, RunOptions options) {
  if (m == nullptr) {
    m = std::make_unique<Machine>(s, options);
  } else {
    m->Reset(s, options);
  }
  std::unique_ptr<Program> p = make(*m);
  return m->Run(*p);
}

TEST(MachineReuse, EverySeedInSequenceOnOneReusedMachineRunsAsOnAFreshOne) {
  const std::vector<pb::Scenario> seeds = CorpusSeeds();
  ASSERT_GE(seeds.size(), 30u);
  std::unique_ptr<Machine> reused;
  size_t runs = 0;
  for (const pb::Scenario& s : seeds) {
    std::vector<std::pair<std::string, MakeProgram>> programs = {{"reference", MakeReference}};
    for (const TargetSpec* t : TargetsFor(s)) programs.emplace_back(t->name, t->make);
    for (const auto& [name, make] : programs) {
      SCOPED_TRACE(s.machine().ShortDebugString() + " on " + name);
      const RunResult fresh = Fresh(s, make, {});
      // The hash-only run (no kept trace) first, so the kept-trace run after it is a reset after the same scenario.
      const RunResult hash_only = Reused(reused, s, make, RunOptions{.record_trace = false});
      EXPECT_EQ(hash_only.trace_hash, fresh.trace_hash);
      const RunResult again = Reused(reused, s, make, {});
      EXPECT_EQ(Summary(again), Summary(fresh));
      // The pooled runner (what the differential executor calls) agrees too.
      const RunResult pooled = name == "reference" ? RunReference(s) : RunOnTarget(*FindTarget(name), s);
      EXPECT_EQ(Summary(pooled), Summary(fresh));
      ++runs;
    }
  }
  EXPECT_GE(runs, 100u);
}

// Reset keeps no state of the previous run even when the next scenario is smaller: a large machine, then a small
// one, then the large one again.
TEST(MachineReuse, ShrinkingAndGrowingTheTopologyBetweenRuns) {
  std::vector<pb::Scenario> seeds = CorpusSeeds();
  ASSERT_FALSE(seeds.empty());
  std::sort(seeds.begin(), seeds.end(), [](const pb::Scenario& a, const pb::Scenario& b) {
    return a.machine().cores() * a.machine().threads_per_core() > b.machine().cores() * b.machine().threads_per_core();
  });
  const pb::Scenario& big = seeds.front();
  const pb::Scenario& small = seeds.back();
  ASSERT_GT(big.machine().cores() * big.machine().threads_per_core(),
            small.machine().cores() * small.machine().threads_per_core());
  const MakeProgram make = MakeReference;
  std::unique_ptr<Machine> reused;
  for (const pb::Scenario* s : {&big, &small, &big, &small}) {
    EXPECT_EQ(Summary(Reused(reused, *s, make, {})), Summary(Fresh(*s, make, {})));
  }
}

}  // namespace
}  // namespace crashdiff
