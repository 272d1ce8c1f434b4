// Trigger points (sim/trigger_points.h) and roles that follow hotplug (oracle/roles.h).
#include "sim/trigger_points.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "diff/differential.h"
#include "diff/runner.h"
#include "fuzz/mutator/fix.h"
#include "fuzz/mutator/label_pool.h"
#include "oracle/roles.h"
#include "sim/scenario_io.h"
#include "sim/validate.h"

namespace crashdiff {
namespace {

namespace fs = std::filesystem;

pb::Scenario Parse(const std::string& text) {
  LoadResult r = ParseScenarioText(text, "test");
  EXPECT_TRUE(r.scenario.has_value()) << (r.errors.empty() ? "" : r.errors.front());
  return r.scenario.value_or(pb::Scenario{});
}

// Purpose-built scenarios that walk every model through hotplug down and up, an oops, an NMI and a kexec.
std::vector<std::string> BuiltScenarios(pb::Family family) {
  switch (family) {
    case pb::PPC:
      return {R"(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 3 }
                 events { kind: HOTPLUG_DOWN cpus: 0 cpus: 1 trigger { at_time_ns: 1000 } }
                 events { kind: HOTPLUG_UP cpus: 0 cpus: 1 trigger { at_time_ns: 2000000000 } }
                 events { kind: OOPS cpus: 2 trigger { at_time_ns: 9000000000 } })"};
    case pb::X86:
      return {R"(machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 3 }
                 events { kind: HOTPLUG_DOWN cpus: 0 cpus: 1 trigger { at_time_ns: 1000 } }
                 events { kind: HOTPLUG_UP cpus: 0 cpus: 1 trigger { at_time_ns: 20000000000 } }
                 events { kind: NMI cpus: 2 trigger { at_time_ns: 30000000000 } }
                 events { kind: OOPS cpus: 2 trigger { at_time_ns: 40000000000 } })",
              R"(machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 3
                           kexec_image_loaded: true }
                 events { kind: KEXEC cpus: 0 trigger { at_time_ns: 1000 } })"};
    default:
      return {R"(machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 offline: 3 }
                 events { kind: HOTPLUG_DOWN cpus: 0 cpus: 1 trigger { at_time_ns: 1000 } }
                 events { kind: HOTPLUG_UP cpus: 0 cpus: 3 trigger { at_time_ns: 2000000000 } }
                 events { kind: OOPS cpus: 2 trigger { at_time_ns: 9000000000 } })"};
  }
}

// Step labels a run executed.
void Collect(const RunResult& r, std::set<std::string>& out) {
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu != kNoCpu && !e.label.empty()) out.emplace(e.label);
  }
}

class TriggerPointsFamily : public ::testing::TestWithParam<pb::Family> {};

// The table's claim: every model of the family (reference included) executes every trigger point, on a seed
// scenario of the family or a purpose-built one.
TEST_P(TriggerPointsFamily, EveryModelExecutesEveryTriggerPoint) {
  const pb::Family family = GetParam();
  std::vector<pb::Scenario> scenarios;
  for (const std::string& text : BuiltScenarios(family)) scenarios.push_back(Parse(text));
  const std::string dir = family == pb::PPC ? "ppc" : family == pb::X86 ? "x86" : "arm64";
  for (const auto& e : fs::directory_iterator(fs::path(CRASHDIFF_SOURCE_DIR) / "corpus/seeds" / dir)) {
    LoadResult r = LoadScenarioFile(e.path().string());
    ASSERT_TRUE(r.scenario.has_value()) << e.path() << ": " << (r.errors.empty() ? "" : r.errors.front());
    scenarios.push_back(*r.scenario);
  }
  std::map<std::string, std::set<std::string>> executed;  // model -> labels
  for (const pb::Scenario& s : scenarios) {
    Collect(RunReference(s), executed["reference"]);
    for (const TargetSpec* t : TargetsFor(s)) Collect(RunOnTarget(*t, s), executed[t->name]);
  }
  ASSERT_GE(executed.size(), 2u);
  for (const auto& [model, labels] : executed) {
    for (const TriggerPoint& p : TriggerPoints(family)) {
      EXPECT_TRUE(labels.count(std::string(p.label)))
          << model << " never executes " << p.label << " (" << p.meaning << ")";
    }
  }
}

// Stronger where cheap: a PANIC triggered on each trigger point of the purpose-built hotplug scenario fires in
// the reference exactly when it fires in each target (the event is recorded as fired or ignored, never missing).
TEST_P(TriggerPointsFamily, LabelTriggeredPanicFiresInEveryModel) {
  const pb::Family family = GetParam();
  // Hotplug only (no oops, NMI): whether anything panics depends on the label trigger alone.
  const pb::Scenario built = Parse(BuiltScenarios(family).front());
  pb::Scenario base = built;
  base.clear_events();
  for (const pb::Event& e : built.events()) {
    if (e.kind() == pb::HOTPLUG_DOWN || e.kind() == pb::HOTPLUG_UP) *base.add_events() = e;
  }
  for (const TriggerPoint& p : TriggerPoints(family)) {
    if (p.meaning.find("requester") == std::string_view::npos) continue;  // CPU 0 is the requester here
    pb::Scenario s = base;
    pb::Event& e = *s.add_events();
    e.set_kind(pb::PANIC);
    e.add_cpus(2);
    e.mutable_trigger()->mutable_on_label()->set_cpu(0);
    e.mutable_trigger()->mutable_on_label()->set_label(std::string(p.label));
    e.mutable_trigger()->mutable_on_label()->set_occurrence(1);
    auto fired = [](const RunResult& r) {
      for (const BookEntry& b : r.book) {
        if (b.kind == BookKind::kPanic) return true;
      }
      return false;
    };
    const bool ref = fired(RunReference(s));
    EXPECT_TRUE(ref) << "reference never fires on " << p.label;
    for (const TargetSpec* t : TargetsFor(s)) {
      EXPECT_EQ(fired(RunOnTarget(*t, s)), ref) << t->name << " vs reference on " << p.label;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Families, TriggerPointsFamily, ::testing::Values(pb::PPC, pb::X86, pb::ARM64));

TEST(TriggerPoints, ValidationRefusesALabelOutsideTheTable) {
  LoadResult r = ParseScenarioText(R"(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2
                                                offline: 1 }
                                      events { kind: PANIC cpus: 0 trigger { on_label { cpu: 1 label: "L2a" } } })",
                                   "s.textproto");
  ASSERT_FALSE(r.scenario.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("s.textproto:"), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[0].find("on_label.label"), std::string::npos) << r.errors[0];
  EXPECT_NE(r.errors[0].find("valid: D1 D2"), std::string::npos) << r.errors[0];
}

TEST(TriggerPoints, FixMapsALabelOntoTheTable) {
  pb::Scenario s = Parse(R"(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 })");
  pb::Event& e = *s.add_events();
  e.set_kind(pb::PANIC);
  e.add_cpus(0);
  e.mutable_trigger()->mutable_on_label()->set_cpu(1);
  e.mutable_trigger()->mutable_on_label()->set_label("L2a");
  e.mutable_trigger()->mutable_on_label()->set_occurrence(1);
  EXPECT_TRUE(fuzz::Fix(s));
  EXPECT_EQ(s.events(0).trigger().on_label().label(), "L2");
  EXPECT_TRUE(Validate(s).empty());
}

TEST(TriggerPoints, LabelPoolOffersOnlyTableLabels) {
  fuzz::LabelPool pool;
  pool.Add(pb::PPC, "L2a");
  pool.Add(pb::PPC, "IDLE");
  EXPECT_FALSE(pool.Learned(pb::PPC));
  pool.Add(pb::PPC, "D6");
  EXPECT_EQ(pool.Labels(pb::PPC), std::vector<std::string>{"D6"});
  for (const std::string& l : fuzz::LabelPool::SpecLabels(pb::X86)) EXPECT_TRUE(IsTriggerPoint(pb::X86, l)) << l;
}

// A CPU unplugged before the crash is an offline-target, on every model: prefix-nowake (which by design never
// wakes offline CPUs) then shows only its documented offline-target behaviour, nothing on online-target.
TEST(HotplugRoles, UnpluggedBeforeTheCrashIsAnOfflineTarget) {
  const pb::Scenario s = Parse(R"(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 }
      events { kind: HOTPLUG_DOWN cpus: 0 cpus: 1 trigger { at_time_ns: 1000 } }
      events { kind: PANIC cpus: 2 trigger { at_time_ns: 2000000000 } })");
  ASSERT_EQ(TargetsFor(s, "ppc-prefix-nowake").size(), 1u);
  for (const TargetSpec* t : TargetsFor(s, "ppc-prefix-nowake")) {
    const RunResult r = RunOnTarget(*t, s);
    EXPECT_EQ(RolesOf(s, r)[1], Role::kOfflineTarget);
    EXPECT_EQ(RolesOf(s, r)[3], Role::kOnlineTarget);
  }
  const RunResult ref = RunReference(s);
  EXPECT_EQ(RolesOf(s, ref)[1], Role::kOfflineTarget);
  DiffOptions o;
  o.only_target = "ppc-prefix-nowake";
  for (const Divergence& d : RunDifferential(s, o).divergences) {
    EXPECT_NE(d.role, "online-target") << d.signature;
    EXPECT_TRUE(d.known) << d.signature;
  }
}

// A CPU taken offline during the crash (after the panic, before hand-over) is an offline-target too; one the crash
// stop collects (x86 stop_this_cpu, arm64 crash stop) clears its online bit but stays an online-target.
TEST(HotplugRoles, StopsDoNotMakeOfflineTargets) {
  const pb::Scenario s = Parse(R"(machine { family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2 }
      events { kind: PANIC cpus: 0 trigger { at_time_ns: 1000 } })");
  for (const TargetSpec* t : TargetsFor(s)) {
    const std::vector<Role> roles = RolesOf(s, RunOnTarget(*t, s));
    for (uint32_t c = 1; c < roles.size(); ++c) EXPECT_EQ(roles[c], Role::kOnlineTarget) << t->name << " cpu " << c;
  }
}

// The reference models hotplug: the unplugged CPU leaves the online set and reaches its offline loop, and a
// PANIC triggered on the dying CPU's D6 fires in the reference too (no hand-over divergence on any target).
TEST(HotplugReference, PanicOnADyingCpuStepFiresInTheReference) {
  const pb::Scenario s = Parse(R"(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 }
      events { kind: HOTPLUG_DOWN cpus: 0 cpus: 1 trigger { at_time_ns: 1000 } }
      events { kind: PANIC cpus: 2 trigger { on_label { cpu: 1 label: "D6" } } })");
  const RunResult ref = RunReference(s);
  EXPECT_TRUE(ref.handed_over);
  EXPECT_TRUE(ref.cpus[2].entered_panic);
  for (const Divergence& d : RunDifferential(s).divergences) {
    EXPECT_EQ(d.signature.find("OUTCOME hand-over"), std::string::npos) << d.signature;
  }
}

TEST(HotplugReference, CpuUpBringsTheCpuBackAndTheCrashCollectsIt) {
  for (const char* text :
       {R"(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 1 }
           events { kind: HOTPLUG_UP cpus: 0 cpus: 1 trigger { at_time_ns: 1000 } }
           events { kind: PANIC cpus: 2 trigger { on_label { cpu: 1 label: "SU2" } } })",
        R"(machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 offline: 1 }
           events { kind: HOTPLUG_UP cpus: 0 cpus: 1 trigger { at_time_ns: 1000 } }
           events { kind: PANIC cpus: 2 trigger { on_label { cpu: 0 label: "HU2" } } })"}) {
    const pb::Scenario s = Parse(text);
    const RunResult ref = RunReference(s);
    EXPECT_TRUE(ref.handed_over) << text;
    for (uint32_t c = 0; c < ref.cpus.size(); ++c) {
      if (c != ref.handover_cpu) EXPECT_TRUE(Info(ref.cpus[c].at_handover).parked) << text << " cpu " << c;
    }
  }
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

// The reference stays a correct protocol under hotplug: crashes racing cpu_down / cpu_up (random schedules,
// crash times across the hotplug window, and panics on the dying CPU's trigger points) always hand over with every
// other started CPU parked, and the reference violates no property.
TEST(HotplugReference, NeverLosesACpuWhenACrashRacesHotplug) {
  struct Family {
    const char* machine;
    std::vector<std::string> labels;  // the dying / returning CPU's trigger points
  };
  const std::vector<Family> families = {
      {"family: PPC platform: POWER9_DOORBELL_XIVE", {"D1", "D2", "D6", "D7", "E1", "L2", "SU1", "SU2", "SU4"}},
      {"family: PPC platform: POWER8_XICS", {"D2", "D6", "E3", "SU2"}},
      {"family: X86 platform: X86_INTEL_MWAIT", {"HD2", "O1", "O2", "O3a", "O3d", "HU2"}},
      {"family: X86 platform: X86_HLT", {"HD2", "O1", "HU2"}},
      {"family: ARM64 platform: ARM64_PSCI", {"HP2", "AD1"}},
  };
  int runs = 0;
  for (const Family& f : families) {
    std::vector<std::string> panics;
    for (const char* t : {"at_time_ns: 0", "at_time_ns: 4", "at_time_ns: 9", "at_time_ns: 17", "at_time_ns: 40"}) {
      panics.push_back(std::string("trigger { ") + t + " }");
    }
    for (const std::string& l : f.labels) panics.push_back("trigger { on_label { cpu: 1 label: \"" + l + "\" } }");
    for (const std::string& panic : panics) {
      for (int seed = 0; seed < 6; ++seed) {
        const std::string text = std::string("machine { ") + f.machine +
                                 " cores: 2 threads_per_core: 2 offline: 3 kexec_image_loaded: true }\n"
                                 "events { kind: HOTPLUG_DOWN cpus: 0 cpus: 1 trigger { at_time_ns: 0 } }\n"
                                 "events { kind: HOTPLUG_UP cpus: 0 cpus: 3 trigger { at_time_ns: 2 } }\n"
                                 "events { kind: HOTPLUG_UP cpus: 0 cpus: 1 trigger { at_time_ns: 30 } }\n"
                                 "events { kind: PANIC cpus: 2 " +
                                 panic + " }\nschedule { policy: RANDOM seed: " + std::to_string(seed) + " }\n";
        const pb::Scenario s = Parse(text);
        const RunResult ref = RunReference(s);
        if (!ref.cpus[2].entered_panic) continue;  // the label was not reached under this schedule
        ++runs;
        ASSERT_TRUE(ref.handed_over) << text;
        for (uint32_t c = 0; c < ref.cpus.size(); ++c) {
          if (c != ref.handover_cpu) EXPECT_TRUE(Info(ref.cpus[c].at_handover).parked) << text << " cpu " << c;
        }
        DiffOptions o;
        o.only_target = "none";  // the reference alone
        for (const Divergence& d : RunDifferential(s, o).reference_violations) ADD_FAILURE() << text << d.signature;
      }
    }
  }
  EXPECT_GT(runs, 100);
}

}  // namespace
}  // namespace crashdiff
