// The typed interface between targets and the oracle (sim/shared_var.h): the properties follow the shared
// variables a target declares by id, whatever it calls them, and never a variable that merely has the name.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "oracle/facts.h"
#include "oracle/properties.h"
#include "targets/target.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff::testing {
namespace {

using Declare = std::function<Var&(Machine&, SharedVar, int64_t)>;

struct Observed {
  Facts facts;
  std::vector<Violation> violations;
};

// cpu1 responds twice (cpus_in_crash += 1, twice); cpu0 writes crashing_cpu, sends a crash wake with no barrier
// in between (PR4), waits for both responses, resets the count (PR6's reset) and hands over.
Observed CrashWithoutBarrier(const Declare& declare) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
  )pb");
  FactsBuilder facts(2);
  Machine m(s, RunOptions{.observer = &facts});
  Var& owner = declare(m, SharedVar::kCrashingCpu, -1);
  Var& count = declare(m, SharedVar::kCpusInCrash, 0);
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) {
      return [](Cpu& c, Var& owner, Var& count) -> Task<> {
        c.set_location(Location::kCrashing);
        co_await c.write(owner, 0, "I2");
        co_await c.hw_op("I5b", "msgsnd", [&c] { c.machine().RecordWakeSent(1); });
        co_await c.wait_until([&count] { return count.value == 2; }, kSec, "I5");
        co_await c.write(count, 0, "I8");
        co_await c.handover({}, "I14");
      }(cpu, owner, count);
    }
    return [](Cpu& c, Var& count) -> Task<> {
      for (int i = 0; i < 2; ++i) {
        co_await c.fetch_add(count, 1, "R3");
        c.machine().RecordResponse(c.id());
      }
      co_await c.park(Location::kParkedSpin, "R4");
    }(cpu, count);
  };
  const RunResult r = m.Run(p);
  return Observed{facts.facts(), CheckProperties(s, r, facts.facts())};
}

bool HasPr4OnCpu0(const Observed& o) {
  for (const Violation& v : o.violations) {
    if (v.property == "PR4" && v.cpu == 0) return true;
  }
  return false;
}

TEST(SharedVar, PropertiesFollowTheIdUnderAnotherDisplayName) {
  const Observed o = CrashWithoutBarrier([](Machine& m, SharedVar id, int64_t init) -> Var& {
    return m.NewVar(id, init, Region::kOldKernelData, id == SharedVar::kCrashingCpu ? "paca_crash_owner" : "arrived");
  });
  // PR4: the write of the renamed crashing_cpu, then a wake with no barrier.
  EXPECT_TRUE(o.facts.cpus[0].wake_before_barrier.set());
  EXPECT_TRUE(HasPr4OnCpu0(o));
  // PR6: cpu1 was counted twice, and the write of 0 to the renamed cpus_in_crash reset the count before hand-over.
  EXPECT_TRUE(o.facts.cpus[1].counted_twice.set());
  EXPECT_FALSE(o.facts.overcount_at_handover);
}

TEST(SharedVar, TheCanonicalNameAloneMeansNothing) {
  const Observed o = CrashWithoutBarrier(
      [](Machine& m, SharedVar id, int64_t init) -> Var& { return m.NewVar(std::string(Name(id)), init); });
  EXPECT_FALSE(o.facts.cpus[0].wake_before_barrier.set());
  EXPECT_FALSE(HasPr4OnCpu0(o));
  EXPECT_TRUE(o.facts.overcount_at_handover);  // no reset seen
}

TEST(SharedVar, DeclaredWithTheCanonicalNameByDefault) {
  const Observed o =
      CrashWithoutBarrier([](Machine& m, SharedVar id, int64_t init) -> Var& { return m.NewVar(id, init); });
  EXPECT_TRUE(HasPr4OnCpu0(o));
  EXPECT_FALSE(o.facts.overcount_at_handover);
}

// Every target whose PR4 / PR6 check can see something declares the variable it reads by id: a family whose
// targets model crashing_cpu (ppc, x86) or cpus_in_crash (ppc) must carry the ids in its traces.
TEST(SharedVar, EveryTargetModellingTheVariablesDeclaresThemById) {
  struct Need {
    pb::Family family;
    std::vector<SharedVar> vars;
  };
  const std::vector<Need> needs = {{pb::PPC, {SharedVar::kCrashingCpu, SharedVar::kCpusInCrash}},
                                   {pb::X86, {SharedVar::kCrashingCpu}}};
  for (const Need& need : needs) {
    for (const TargetSpec* t : AllTargets()) {
      if (t->family != need.family) continue;
      pb::Scenario s;
      s.mutable_machine()->set_family(need.family);
      s.mutable_machine()->set_platform(t->platforms.front());
      s.mutable_machine()->set_cores(2);
      s.mutable_machine()->set_threads_per_core(1);
      s.add_events()->set_kind(pb::PANIC);
      s.mutable_events(0)->add_cpus(0);
      s.mutable_events(0)->mutable_trigger()->set_at_time_ns(1000);
      Machine m(s);
      std::unique_ptr<Program> p = t->make(m);
      const RunResult r = m.Run(*p);
      for (SharedVar v : need.vars) {
        bool seen = false;
        for (const TraceEntry& e : r.trace.entries()) seen = seen || e.tags.shared == v;
        EXPECT_TRUE(seen) << t->name << " never accesses " << Name(v) << " by id in a panic";
      }
    }
  }
}

}  // namespace
}  // namespace crashdiff::testing
