// The mutator's contracts (the rediscovery requirement): Fix() is a no-op on valid scenarios and repairs invalid ones;
// every mutant and every crossover child is valid; the same seed gives the same mutants; every strategy gets used;
// trimming only ever shrinks a scenario and keeps it valid.
#include "fuzz/mutator/mutator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "fuzz/mutator/fix.h"
#include "fuzz/mutator/input.h"
#include "fuzz/mutator/reflect.h"
#include "fuzz/mutator/trim.h"
#include "fuzz/mutator/value_pools.h"
#include "sim/scenario_io.h"
#include "sim/validate.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff::fuzz {
namespace {

using crashdiff::testing::ScenarioFromText;

// Scenarios built here, so the tests mean something before corpus/seeds/ has anything in it.
std::vector<pb::Scenario> BuiltInScenarios() {
  return {
      ScenarioFromText(R"pb(
        name: "ppc offline thread, stray doorbell just before the crash"
        machine {
          family: PPC
          platform: POWER9_DOORBELL_XIVE
          cores: 2
          threads_per_core: 4
          offline: [ 3, 5 ]
          panic_timeout: 10
          firmware { system_reset_supported: true system_reset_fails_for: 5 }
        }
        events {
          kind: STRAY_DOORBELL
          cpus: 3
          trigger { at_step: 10 }
        }
        events {
          kind: PANIC
          cpus: 0
          trigger { at_step: 12 }
        }
        events {
          kind: HMI
          all_cpus: true
          trigger { after_handover_ns: 1000 }
        }
        schedule {
          choices { cpu: 0 steps: 5 }
          choices { cpu: 3 steps: 1 }
          policy: PCT
          seed: 7
          pct_depth: 3
        })pb"),
      ScenarioFromText(R"pb(
        machine { family: X86 platform: X86_INTEL_MWAIT cores: 4 threads_per_core: 1 offline: 2 never_started: 3 }
        events {
          kind: KEXEC
          cpus: 1
          trigger { at_time_ns: 5000000 }
        }
        events {
          kind: NMI
          cpus: [ 2, 3 ]
          trigger { on_label { cpu: 1 label: "K1" occurrence: 2 } }
        }
        schedule { policy: RANDOM seed: 99 step_budget: 5000 })pb"),
      ScenarioFromText(R"pb(
        machine {
          family: ARM64
          platform: ARM64_PSCI
          cores: 1
          threads_per_core: 2
          offline: 1
          firmware { cpu_off_fails_for: 0 pseudo_nmi: true }
        }
        events {
          kind: PANIC
          cpus: 0
          trigger { at_step: 0 }
        }
        events {
          kind: OOPS
          cpus: 0
          trigger { at_time_ns: 1000000001 }
        })pb"),
      MinimalScenario(pb::PPC),
      MinimalScenario(pb::X86),
      MinimalScenario(pb::ARM64),
  };
}

// Every valid scenario under corpus/seeds/, plus the built-in ones.
std::vector<pb::Scenario> AllSeeds() {
  std::vector<pb::Scenario> out = BuiltInScenarios();
  const std::filesystem::path dir = std::filesystem::path(CRASHDIFF_SOURCE_DIR) / "corpus" / "seeds";
  if (!std::filesystem::exists(dir)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && (e.path().extension() == ".textproto" || e.path().extension() == ".pb")) {
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    LoadResult r = LoadScenarioFile(f.string());
    EXPECT_TRUE(r.scenario.has_value()) << f << ": " << (r.errors.empty() ? "" : r.errors.front());
    if (r.scenario) out.push_back(*r.scenario);
  }
  return out;
}

std::string Bytes(const pb::Scenario& s) {
  std::string out;
  s.SerializeToString(&out);
  return out;
}

TEST(MutatorFix, IsANoOpOnEveryValidSeed) {
  for (const pb::Scenario& seed : AllSeeds()) {
    ASSERT_TRUE(IsValid(seed));
    pb::Scenario copy = seed;
    EXPECT_FALSE(Fix(copy));
    EXPECT_EQ(Bytes(copy), Bytes(seed)) << ScenarioToText(seed);
  }
}

TEST(MutatorFix, RepairsEachKindOfViolationLocally) {
  pb::Scenario s;
  pb::Machine& m = *s.mutable_machine();
  m.set_family(pb::X86);
  m.set_platform(pb::POWER8_XICS);  // not an x86 platform
  m.set_cores(9);
  m.set_threads_per_core(3);
  m.add_offline(0);   // the boot CPU
  m.add_offline(40);  // does not exist
  m.add_offline(2);
  m.add_never_started(2);  // also offline
  m.set_panic_timeout(-7);
  m.set_offline_dec_ns(kMaxOfflineDecNs + 1);
  m.set_tick_ns(kMinTickNs);         // powerpc only
  pb::Event& hmi = *s.add_events();  // a ppc-only event on x86: becomes an NMI
  hmi.set_kind(pb::HMI);
  hmi.add_cpus(1);
  pb::Event& hot = *s.add_events();  // one CPU short, no trigger
  hot.set_kind(pb::HOTPLUG_DOWN);
  hot.add_cpus(1);
  pb::Event& label = *s.add_events();
  label.set_kind(pb::PANIC);
  label.add_cpus(0);
  label.mutable_trigger()->mutable_on_label()->set_label("C6 (bad)");
  label.mutable_trigger()->mutable_on_label()->set_occurrence(0);
  s.mutable_schedule()->set_step_budget(5);
  s.mutable_schedule()->add_choices()->set_cpu(77);

  ASSERT_FALSE(IsValid(s));
  EXPECT_TRUE(Fix(s));
  ASSERT_TRUE(IsValid(s)) << PathToString(Validate(s).front().path) << ": " << Validate(s).front().reason;
  EXPECT_EQ(s.machine().platform(), pb::X86_INTEL_MWAIT);
  EXPECT_EQ(s.machine().cores(), 8u);
  EXPECT_EQ(s.machine().threads_per_core(), 2u);
  ASSERT_EQ(s.machine().offline_size(), 1);
  EXPECT_EQ(s.machine().offline(0), 2u);
  EXPECT_EQ(s.machine().never_started_size(), 0);
  EXPECT_EQ(s.machine().panic_timeout(), -1);
  EXPECT_EQ(s.machine().offline_dec_ns(), kMaxOfflineDecNs);
  EXPECT_FALSE(s.machine().has_tick_ns());
  ASSERT_EQ(s.events_size(), 3);
  EXPECT_EQ(s.events(0).kind(), pb::NMI);
  EXPECT_EQ(s.events(1).cpus_size(), 2);
  EXPECT_EQ(s.events(1).trigger().at_step(), 0u);
  // Cleaned to "C6bad", then mapped onto the x86 trigger points (no common prefix: the table's first label).
  EXPECT_EQ(s.events(2).trigger().on_label().label(), "D0");
  EXPECT_EQ(s.events(2).trigger().on_label().occurrence(), 1u);
  EXPECT_EQ(s.schedule().step_budget(), kMinStepBudget);
  EXPECT_EQ(s.schedule().choices(0).cpu(), 77u % 16u);
}

TEST(MutatorFix, DropsEventsTheMachineCannotHost) {
  pb::Scenario s = MinimalScenario(pb::PPC);
  s.mutable_machine()->set_threads_per_core(1);
  s.mutable_machine()->clear_offline();
  pb::Event& hot = *s.add_events();  // needs two CPUs; the machine has one
  hot.set_kind(pb::HOTPLUG_UP);
  hot.add_cpus(0);
  hot.mutable_trigger()->set_at_step(3);
  EXPECT_TRUE(Fix(s));
  EXPECT_TRUE(IsValid(s));
  EXPECT_EQ(s.events_size(), 1);
}

TEST(MutatorFix, MovesSoftwareEventsOffCpusThatCannotRunKernelCode) {
  pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 boot_cpu: 0 }
  )pb");
  s.mutable_machine()->add_offline(1);
  s.mutable_machine()->add_never_started(3);
  pb::Event& panic = *s.add_events();  // on an offline CPU nothing brings online
  panic.set_kind(pb::PANIC);
  panic.add_cpus(1);
  panic.mutable_trigger()->set_at_step(0);
  pb::Event& down = *s.add_events();  // requested by a never-started CPU, of the boot CPU
  down.set_kind(pb::HOTPLUG_DOWN);
  down.add_cpus(3);
  down.add_cpus(0);
  down.mutable_trigger()->set_at_step(5);
  pb::Event& reset = *s.add_events();  // hardware: may target any CPU
  reset.set_kind(pb::SYSTEM_RESET);
  reset.add_cpus(3);
  reset.mutable_trigger()->set_at_step(7);

  ASSERT_FALSE(IsValid(s));
  EXPECT_TRUE(Fix(s));
  ASSERT_TRUE(IsValid(s)) << PathToString(Validate(s).front().path) << ": " << Validate(s).front().reason;
  ASSERT_EQ(s.events_size(), 3);
  EXPECT_EQ(s.events(0).cpus(0), 0u);  // the boot CPU
  EXPECT_EQ(s.events(1).cpus(0), 2u);  // the lowest online CPU other than cpus[1]
  EXPECT_EQ(s.events(1).cpus(1), 0u);
  EXPECT_EQ(s.events(2).cpus(0), 3u);
  EXPECT_EQ(s.machine().offline_size(), 1);
  EXPECT_EQ(s.machine().never_started_size(), 1);

  // An offline CPU that a HOTPLUG_UP brings online keeps its event: nothing to repair.
  pb::Scenario up = s;
  up.mutable_events(0)->set_cpus(0, 1);
  pb::Event& online = *up.add_events();
  online.set_kind(pb::HOTPLUG_UP);
  online.add_cpus(0);
  online.add_cpus(1);
  online.mutable_trigger()->set_at_step(1);
  ASSERT_TRUE(IsValid(up));
  EXPECT_FALSE(Fix(up));
}

TEST(MutatorFix, KvmEnterMovesToItsCoresFirstThreadKeepsThatCoresGuestsOrIsDropped) {
  pb::Scenario s = ScenarioFromText(R"pb(
    machine {
      family: PPC
      platform: POWER8_XICS
      cores: 2
      threads_per_core: 4
      offline: [ 1, 2, 3 ]
      kvm_hv: true
    }
  )pb");
  pb::Event& run = *s.add_events();  // on thread 4's core's third thread, one guest on another core
  run.set_kind(pb::KVM_ENTER);
  run.add_cpus(6);
  run.add_cpus(1);
  run.add_cpus(7);
  run.mutable_trigger()->set_at_step(2);
  ASSERT_FALSE(IsValid(s));
  EXPECT_TRUE(Fix(s));
  ASSERT_TRUE(IsValid(s)) << PathToString(Validate(s).front().path) << ": " << Validate(s).front().reason;
  ASSERT_EQ(s.events_size(), 1);
  ASSERT_EQ(s.events(0).cpus_size(), 2);
  EXPECT_EQ(s.events(0).cpus(0), 4u);
  EXPECT_EQ(s.events(0).cpus(1), 7u);

  // Without kvm_hv there is nothing to run it on.
  pb::Scenario off = s;
  off.mutable_machine()->clear_kvm_hv();
  EXPECT_TRUE(Fix(off));
  EXPECT_TRUE(IsValid(off));
  EXPECT_EQ(off.events_size(), 0);
  // On POWER9 kvm_hv stays (the offline stop's KVM handshake), KVM_ENTER does not (POWER8 only).
  pb::Scenario p9 = s;
  p9.mutable_machine()->set_platform(pb::POWER9_DOORBELL_XIVE);
  EXPECT_TRUE(Fix(p9));
  EXPECT_TRUE(IsValid(p9));
  EXPECT_TRUE(p9.machine().kvm_hv());
  EXPECT_EQ(p9.events_size(), 0);
  // Off powerpc it is cleared.
  pb::Scenario x86 = s;
  x86.mutable_machine()->set_family(pb::X86);
  x86.mutable_machine()->set_platform(pb::X86_HLT);
  x86.clear_events();
  Fix(x86);
  EXPECT_TRUE(IsValid(x86));
  EXPECT_FALSE(x86.machine().kvm_hv());
}

TEST(MutatorFix, FirmwareSystemResetLeavesAMachineThatBecomesPower8) {
  pb::Scenario s = ScenarioFromText(R"pb(
    machine {
      family: PPC
      platform: POWER9_XIVE_IPI
      firmware { system_reset_supported: true system_reset_fails_for: 1 }
    }
  )pb");
  s.mutable_machine()->set_platform(pb::POWER8_XICS);
  ASSERT_FALSE(IsValid(s));
  EXPECT_TRUE(Fix(s));
  EXPECT_TRUE(IsValid(s));
  EXPECT_FALSE(s.machine().firmware().system_reset_supported());
}

TEST(Mutator, HundredThousandMutationsAreAllValid) {
  const std::vector<pb::Scenario> seeds = AllSeeds();
  Mutator mutator;
  Rng rng(12345);
  pb::Scenario current = seeds.front();
  for (int i = 0; i < 100000; ++i) {
    if (i % 50 == 0) current = seeds[static_cast<size_t>(i / 50) % seeds.size()];  // keep mutants diverse but small
    mutator.Mutate(current, rng);
    const auto errors = Validate(current);
    ASSERT_TRUE(errors.empty()) << "mutation " << i << " (" << mutator.last()
                                << "): " << PathToString(errors.front().path) << ": " << errors.front().reason << "\n"
                                << ScenarioToText(current);
  }
  for (const StrategyStats& s : mutator.stats()) EXPECT_GT(s.applied, 0u) << s.name << " was never applied";
}

TEST(Mutator, SameSeedGivesSameMutants) {
  for (const pb::Scenario& seed : AllSeeds()) {
    Mutator a, b;
    Rng ra(77), rb(77);
    pb::Scenario sa = seed, sb = seed;
    for (int i = 0; i < 200; ++i) {
      a.Mutate(sa, ra);
      b.Mutate(sb, rb);
      ASSERT_EQ(Bytes(sa), Bytes(sb));
      ASSERT_EQ(a.last(), b.last());
    }
  }
}

// A mutant equal to its input costs the engine an execution of what it has just run.
TEST(Mutator, MutantsDifferFromTheirInput) {
  Mutator mutator;
  Rng rng(4242);
  int unchanged = 0, total = 0;
  for (const pb::Scenario& seed : AllSeeds()) {
    pb::Scenario current = seed;
    for (int i = 0; i < 500; ++i, ++total) {
      const std::string before = Bytes(current);
      mutator.Mutate(current, rng);
      if (Bytes(current) == before) ++unchanged;
    }
  }
  EXPECT_LE(unchanged * 1000, total) << unchanged << " of " << total << " mutants equal their input";
}

TEST(Mutator, DifferentSeedsExploreDifferentMutants) {
  const pb::Scenario seed = BuiltInScenarios().front();
  std::set<std::string> distinct;
  for (uint64_t s = 0; s < 64; ++s) {
    Mutator m;
    Rng rng(s);
    pb::Scenario x = seed;
    m.Mutate(x, rng);
    distinct.insert(Bytes(x));
  }
  EXPECT_GT(distinct.size(), 40u);
}

TEST(Mutator, LabelTriggersUseTheCallersPool) {
  LabelPool pool;
  pool.Add(pb::PPC, "L2");
  pool.Add(pb::PPC, "I9");
  pool.Add(pb::PPC, "L2a");           // rejected: not a trigger point
  pool.Add(pb::PPC, "not a label!");  // rejected: the validator would refuse it
  EXPECT_EQ(pool.Labels(pb::PPC), (std::vector<std::string>{"I9", "L2"}));
  MutatorOptions options;
  options.labels = &pool;
  Mutator mutator(options);
  Rng rng(3);
  std::map<std::string, int> seen;
  for (int i = 0; i < 3000; ++i) {
    pb::Scenario s = BuiltInScenarios().front();
    mutator.Mutate(s, rng);
    if (s.machine().family() != pb::PPC) continue;  // ChangeFamily: other families use their own (DOMAIN.md) labels
    for (const pb::Event& e : s.events()) {
      if (e.trigger().has_on_label()) ++seen[e.trigger().on_label().label()];
    }
  }
  for (const auto& [label, count] : seen) EXPECT_TRUE(label == "L2" || label == "I9") << label;
  EXPECT_GT(seen["L2"], 0);
  EXPECT_GT(seen["I9"], 0);
}

// One trace entry of a hand-written trace (what the label pool reads of it).
TraceEntry Entry(uint64_t step, uint32_t cpu, TraceKind kind, std::string_view label, Location at,
                 std::string detail = {}) {
  TraceEntry e;
  e.step = step;
  e.cpu = cpu;
  e.kind = kind;
  e.label = label;
  e.location = at;
  e.detail = std::move(detail);
  return e;
}

// The pool keeps, per location, the trigger points and reads CPUs executed there: what an offline thread runs
// when woken (ppc: L3 is a trigger point, L2a a read) is apart from what online CPUs run.
TEST(LabelPool, KeepsLabelsByTheLocationTheyRanAt) {
  Trace trace;
  trace.Add(Entry(1, 1, TraceKind::kLocal, "L3", Location::kOfflineLoop));
  trace.Add(Entry(2, 1, TraceKind::kRead, "L2a", Location::kOfflineLoop));
  trace.Add(Entry(3, 0, TraceKind::kRead, "I4", Location::kCrashing));
  LabelPool pool;
  pool.AddTrace(pb::PPC, trace);
  EXPECT_EQ(pool.LabelsAt(pb::PPC, Location::kOfflineLoop), (std::vector<std::string>{"L3"}));
  EXPECT_EQ(pool.ReadLabelsAt(pb::PPC, Location::kOfflineLoop), (std::vector<std::string>{"L2a"}));
  EXPECT_EQ(pool.ReadLabelsAt(pb::PPC, Location::kCrashing), (std::vector<std::string>{"I4"}));
  EXPECT_TRUE(pool.LabelsAt(pb::PPC, Location::kRunOld).empty());
  EXPECT_TRUE(pool.ReadLabelsAt(pb::X86, Location::kOfflineLoop).empty());
}

// Offline thread `thread` checks for a cpu_up (H0) and stops (L2); woken, it goes on (L3), reads its own state (H0)
// and crashing_cpu (L2a); cpu0 then writes crashing_cpu.
Trace OfflineThreadRacingTheCrash(uint32_t thread) {
  const std::string state = "cpu_state[" + std::to_string(thread) + "] = 7";
  Trace trace;
  const auto add = [&](uint64_t step, uint32_t cpu, TraceKind kind, std::string_view label, Location at,
                       std::string detail) { trace.Add(Entry(step, cpu, kind, label, at, std::move(detail))); };
  add(0, thread, TraceKind::kRead, "H0", Location::kOfflineLoop, state);
  add(0, thread, TraceKind::kBlock, "L2", Location::kStoppedHw, "stop");
  add(1, thread, TraceKind::kWake, "L2", Location::kStoppedHw, "stop wake");
  add(1, thread, TraceKind::kLocal, "L3", Location::kOfflineLoop, "");
  add(2, thread, TraceKind::kRead, "H0", Location::kOfflineLoop, state);
  add(3, thread, TraceKind::kRead, "L2a", Location::kOfflineLoop, "crashing_cpu = -1");
  add(4, 0, TraceKind::kWrite, "I2", Location::kCrashing, "crashing_cpu = 0");
  return trace;
}

// A read is contended when another CPU of the same run wrote the variable it read: the offline thread's read of
// crashing_cpu (written by the initiator) is; its read of its own cpu_state (written only by itself) is not.
TEST(LabelPool, MarksReadsOfVariablesAnotherCpuWrote) {
  const Trace trace = OfflineThreadRacingTheCrash(1);
  LabelPool pool;
  pool.AddTrace(pb::PPC, trace);
  EXPECT_EQ(pool.ReadLabelsAt(pb::PPC, Location::kOfflineLoop), (std::vector<std::string>{"H0", "L2a"}));
  EXPECT_EQ(pool.ContendedReadLabelsAt(pb::PPC, Location::kOfflineLoop), (std::vector<std::string>{"L2a"}));
  EXPECT_TRUE(pool.ContendedReadLabelsAt(pb::PPC, Location::kCrashing).empty());
  // The first trigger point after the stop wake is L3; H0 ran there too, but not right after a wake.
  EXPECT_EQ(pool.LabelsAt(pb::PPC, Location::kOfflineLoop), (std::vector<std::string>{"H0", "L3"}));
  EXPECT_EQ(pool.WakeLabelsAt(pb::PPC, Location::kOfflineLoop), (std::vector<std::string>{"L3"}));
}

// Coincide makes two events meet on one CPU: another event fires when the CPU an event names reaches a trigger
// point, and, some of the time, that CPU is held right after one of its steps while the others run.
TEST(Mutator, CoincideFiresAnEventOnTheCpuAnotherEventNames) {
  const auto& table = Strategies();
  const auto it = std::find_if(table.begin(), table.end(), [](const Strategy& st) { return st.name == "Coincide"; });
  ASSERT_NE(it, table.end());
  pb::Scenario base;
  base.mutable_machine()->set_family(pb::PPC);
  base.mutable_machine()->set_platform(pb::POWER9_DOORBELL_XIVE);
  base.mutable_machine()->set_cores(2);
  base.mutable_machine()->add_offline(3);
  pb::Event& stray = *base.add_events();
  stray.set_kind(pb::STRAY_DOORBELL);
  stray.add_cpus(3);
  stray.mutable_trigger()->set_at_time_ns(500);
  pb::Event& panic = *base.add_events();
  panic.set_kind(pb::PANIC);
  panic.add_cpus(0);
  panic.mutable_trigger()->set_at_time_ns(0);
  MutatorOptions options;
  Rng rng(5);
  MutationContext ctx{options, rng};
  int panic_on_woken = 0, held = 0;
  for (int i = 0; i < 400; ++i) {
    pb::Scenario s = base;
    if (!it->apply(s, ctx)) continue;
    const pb::Trigger& t = s.events(1).trigger();
    if (t.has_on_label() && t.on_label().cpu() == 3) ++panic_on_woken;
    for (const pb::Choice& c : s.schedule().choices()) held += c.hold() && c.cpu() == c.after().cpu();
  }
  EXPECT_GT(panic_on_woken, 100);
  EXPECT_GT(held, 50);

  // With a learned pool, the hold mostly follows a contended read of the woken thread (L2a: crashing_cpu, which the
  // initiator writes), not its read of its own state (H0).
  const Trace trace = OfflineThreadRacingTheCrash(3);
  LabelPool pool;
  pool.AddTrace(pb::PPC, trace);
  options.labels = &pool;
  int after_l2a = 0, after_h0 = 0;
  for (int i = 0; i < 400; ++i) {
    pb::Scenario s = base;
    if (!it->apply(s, ctx)) continue;
    for (const pb::Choice& c : s.schedule().choices()) {
      if (!c.hold() || c.cpu() != 3) continue;
      after_l2a += c.after().label() == "L2a";
      after_h0 += c.after().label() == "H0";
    }
  }
  EXPECT_GT(after_h0, 0) << "other reads stay possible";
  EXPECT_GT(after_l2a, 4 * after_h0) << "about 7 in 8 holds follow the contended read";

  // The event fired is mostly the protocol's start (the panic, not the device interrupt), and mostly at the
  // thread's first step after its wake (L3, not H0).
  pb::Scenario three = base;
  pb::Event& device = *three.add_events();
  device.set_kind(pb::DEVICE_IRQ);
  device.add_cpus(0);
  device.mutable_trigger()->set_at_time_ns(100);
  int panic_fired = 0, device_fired = 0, at_l3 = 0, at_h0 = 0;
  for (int i = 0; i < 400; ++i) {
    pb::Scenario s = three;
    if (!it->apply(s, ctx)) continue;
    for (const pb::Event& e : s.events()) {
      if (!e.trigger().has_on_label() || e.trigger().on_label().cpu() != 3) continue;
      panic_fired += e.kind() == pb::PANIC;
      device_fired += e.kind() == pb::DEVICE_IRQ;
      at_l3 += e.trigger().on_label().label() == "L3";
      at_h0 += e.trigger().on_label().label() == "H0";
    }
  }
  EXPECT_GT(device_fired, 0);
  EXPECT_GT(panic_fired, 3 * device_fired);
  EXPECT_GT(at_h0, 0);
  EXPECT_GT(at_l3, 3 * at_h0);
}

// ClearField takes one set thing back to its default: over many draws on the first built-in scenario it clears
// the firmware flags, removes offline CPUs and events one at a time (keeping the others' order), and never
// touches the machine's family or leaves a trigger without its case.
TEST(Mutator, ClearFieldTakesOneSetThingBackToItsDefault) {
  const pb::Scenario base = BuiltInScenarios().front();
  MutatorOptions options;
  Rng rng(11);
  MutationContext ctx{options, rng};
  bool firmware_cleared = false, offline_dropped = false, event_dropped = false;
  for (int i = 0; i < 2000; ++i) {
    pb::Scenario s = base;
    ASSERT_TRUE(ClearRandomField(s, ctx));
    EXPECT_EQ(s.machine().family(), pb::PPC);
    for (const pb::Event& e : s.events()) EXPECT_NE(e.trigger().when_case(), pb::Trigger::WHEN_NOT_SET);
    firmware_cleared |= !s.machine().firmware().system_reset_supported();
    offline_dropped |= s.machine().offline_size() == 1;
    if (s.events_size() == base.events_size() - 1) {
      event_dropped = true;
      // The survivors keep their order: a subsequence of the original kinds.
      int j = 0;
      for (const pb::Event& e : base.events()) j += j < s.events_size() && e.kind() == s.events(j).kind();
      EXPECT_EQ(j, s.events_size());
    }
    // Exactly one thing changed: the scenario is never bigger than before.
    EXPECT_LE(s.ByteSizeLong(), base.ByteSizeLong());
  }
  EXPECT_TRUE(firmware_cleared);
  EXPECT_TRUE(offline_dropped);
  EXPECT_TRUE(event_dropped);
}

TEST(Mutator, TimeTriggersClusterAroundTheTimeouts) {
  Mutator mutator;
  Rng rng(5);
  int near_timeout = 0, total = 0;
  for (int i = 0; i < 3000; ++i) {
    pb::Scenario s = BuiltInScenarios()[1];
    mutator.Mutate(s, rng);
    for (const pb::Event& e : s.events()) {
      if (!e.trigger().has_at_time_ns()) continue;
      ++total;
      for (uint64_t t : Timeouts()) {
        const uint64_t v = e.trigger().at_time_ns();
        if (v + 1000 >= t && v <= t + 1000) {
          ++near_timeout;
          break;
        }
      }
    }
  }
  ASSERT_GT(total, 100);
  EXPECT_GT(near_timeout * 4, total);  // at least a quarter within a microsecond of a timeout
}

// An execution costs at least linear time in the CPUs, and most interleavings already show on small machines: an
// unselected walk of mutations (every mutant kept, as if every one added coverage) must stay mostly small, yet can
// still grow past 16 CPUs step by step.
TEST(Mutator, MachinesStaySmallUnlessGrowthIsKept) {
  Mutator mutator;
  Rng rng(99);
  pb::Scenario current = BuiltInScenarios().front();
  int large = 0, total = 0;
  uint32_t largest = 0;
  for (int i = 0; i < 20000; ++i, ++total) {
    mutator.Mutate(current, rng);
    const uint32_t n = NumCpus(current.machine());
    largest = std::max(largest, n);
    if (n > 16) ++large;
  }
  EXPECT_LT(large * 10, total) << large << " of " << total << " mutants have more than 16 CPUs";
  EXPECT_GT(largest, 16u);
}

// libFuzzer's byte-level mutations change a varint as readily as anything: cores 2 -> 34 decodes to a valid
// 136-thread machine that the strategies would never make. Fit holds such a mutant to the same limits.
TEST(Mutator, FitHoldsAByteLevelMutantToTheMutantLimits) {
  pb::Scenario big = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER8_XICS cores: 34 threads_per_core: 4 offline: 1 offline: 100 }
    events {
      kind: PANIC
      trigger { at_time_ns: 0 }
      cpus: 130
    }
    events {
      kind: PANIC
      trigger { at_time_ns: 5 }
      cpus: 0
    }
  )pb");
  ASSERT_TRUE(IsValid(big)) << "a machine of real size is a valid scenario; only mutants are capped";
  MutatorOptions options;
  options.only_family = pb::PPC;
  Mutator(options).Fit(big);
  EXPECT_TRUE(IsValid(big));
  EXPECT_LE(NumCpus(big.machine()), kMaxMutantCpus);
  EXPECT_LE(big.machine().cores(), kMaxCores);
  EXPECT_EQ(big.machine().family(), pb::PPC);
  for (const uint32_t c : big.machine().offline()) EXPECT_LT(c, NumCpus(big.machine()));
  for (const pb::Event& e : big.events()) {
    for (const uint32_t c : e.cpus()) EXPECT_LT(c, NumCpus(big.machine())) << e.ShortDebugString();
  }

  MutatorOptions x86_only;
  x86_only.only_family = pb::X86;
  Mutator(x86_only).Fit(big);
  EXPECT_EQ(big.machine().family(), pb::X86) << "a campaign on one family gets mutants of that family";
  EXPECT_TRUE(IsValid(big));

  pb::Scenario seed = BuiltInScenarios().front();
  const pb::Scenario before = seed;
  Mutator().Fit(seed);
  EXPECT_EQ(seed.SerializeAsString(), before.SerializeAsString()) << "a scenario within the limits is left as is";
}

TEST(Mutator, NewCoreCountsAreSmallOrOneStepAway) {
  Rng rng(3);
  for (uint32_t old : {1u, 2u, 5u, kMaxCores}) {
    for (int i = 0; i < 2000; ++i) {
      const uint32_t c = PickCores(rng, old);
      ASSERT_GE(c, 1u);
      ASSERT_LE(c, kMaxCores);
      const bool small = c <= 4;
      const bool step = c == old + 1 || c + 1 == old || c == std::min(old * 2, kMaxCores) || c == old / 2 || c == old;
      EXPECT_TRUE(small || step) << old << " -> " << c;
    }
  }
}

TEST(MutatorCrossOver, ChildrenAreValidAndMixBothParents) {
  const auto seeds = AllSeeds();
  Mutator mutator;
  Rng rng(9);
  int mixed = 0;
  for (int i = 0; i < 2000; ++i) {
    const pb::Scenario& a = seeds[rng.Below(seeds.size())];
    const pb::Scenario& b = seeds[rng.Below(seeds.size())];
    pb::Scenario child;
    mutator.CrossOver(a, b, child, rng);
    ASSERT_TRUE(IsValid(child));
    EXPECT_EQ(child.machine().family(), a.machine().family());
    if (child.events_size() > 0 && &a != &b && Bytes(child) != Bytes(a)) ++mixed;
  }
  EXPECT_GT(mixed, 100);
}

TEST(MutatorTrim, EveryCandidateIsValidAndKeptRemovalsShrinkTheScenario) {
  const pb::Scenario seed = BuiltInScenarios().front();
  Trimmer trimmer(seed);
  int steps = 0;
  while (!trimmer.done()) {
    const pb::Scenario& c = trimmer.Candidate();
    ASSERT_TRUE(IsValid(c));
    // Pretend the behaviour survives unless the PANIC is removed.
    bool has_panic = false;
    for (const pb::Event& e : c.events()) has_panic |= e.kind() == pb::PANIC;
    trimmer.Accept(has_panic);
    ++steps;
  }
  EXPECT_GT(steps, 4);
  const pb::Scenario& t = trimmer.current();
  ASSERT_EQ(t.events_size(), 1);
  EXPECT_EQ(t.events(0).kind(), pb::PANIC);
  EXPECT_TRUE(t.name().empty());
  EXPECT_EQ(t.machine().offline_size(), 0);
  EXPECT_EQ(t.schedule().choices_size(), 0);
}

// What a campaign records is ScenarioToText of what ParseInput accepted, so that text must read back as the same
// scenario. Byte edits of the seeds' encodings (what libFuzzer's own mutations do) reach unknown fields inside
// sub-messages, which the text format cannot write back readably: ParseInput must refuse them.
TEST(FuzzInput, EveryAcceptedByteMutantReadsBackFromItsReproducerText) {
  Rng rng(2026);
  int accepted = 0;
  for (const pb::Scenario& seed : AllSeeds()) {
    const std::string base = Bytes(seed);
    for (int i = 0; i < 2000; ++i) {
      std::string bytes = base;
      for (uint64_t k = 1 + rng.Below(4); k > 0 && !bytes.empty(); --k) {
        bytes[rng.Below(bytes.size())] = static_cast<char>(rng.Below(256));
      }
      const auto s = ParseInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      if (!s) continue;
      ++accepted;
      const LoadResult back = ParseScenarioText(ScenarioToText(*s), "finding.textproto");
      ASSERT_TRUE(back.scenario.has_value()) << back.errors.front() << "\n" << ScenarioToText(*s);
      EXPECT_EQ(Bytes(*back.scenario), Bytes(*s));
    }
  }
  EXPECT_GT(accepted, 1000);  // the edits must reach valid scenarios often enough for the check to mean something
}

TEST(FuzzInput, RefusesUnknownFieldsInsideSubMessages) {
  for (pb::Scenario s : BuiltInScenarios()) {
    if (!s.has_schedule()) continue;
    const std::string valid = Bytes(s);
    ASSERT_TRUE(ParseInput(reinterpret_cast<const uint8_t*>(valid.data()), valid.size()).has_value());
    s.mutable_schedule()->GetReflection()->MutableUnknownFields(s.mutable_schedule())->AddVarint(99, 1);
    const std::string bytes = Bytes(s);
    EXPECT_FALSE(ParseInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()).has_value());
  }
}

}  // namespace
}  // namespace crashdiff::fuzz

namespace crashdiff::fuzz {
namespace {

// StaleRead (powerpc, arm64): another CPU's invalidate queue is held, or applies one variable's entry first, right
// after a store; the mutant is valid (ARCHITECTURE turned on), and x86 (no queues) is left alone.
TEST(Mutator, StaleReadHoldsOrNamesAnotherCpusInvalidateQueue) {
  const auto& table = Strategies();
  const auto it = std::find_if(table.begin(), table.end(), [](const Strategy& st) { return st.name == "StaleRead"; });
  ASSERT_NE(it, table.end());
  MutatorOptions options;
  Rng rng(11);
  MutationContext ctx{options, rng};
  for (const pb::Family family : {pb::PPC, pb::ARM64}) {
    pb::Scenario base;
    base.mutable_machine()->set_family(family);
    base.mutable_machine()->set_platform(family == pb::PPC ? pb::POWER9_DOORBELL_XIVE : pb::ARM64_PSCI);
    base.mutable_machine()->set_cores(2);
    int held = 0, named = 0;
    for (int i = 0; i < 200; ++i) {
      pb::Scenario s = base;
      ASSERT_TRUE(it->apply(s, ctx));
      ASSERT_TRUE(IsValid(s)) << PathToString(Validate(s).front().path) << ": " << Validate(s).front().reason;
      ASSERT_EQ(s.schedule().choices_size(), 1);
      const pb::Choice& c = s.schedule().choices(0);
      EXPECT_TRUE(c.invalidate_queue());
      EXPECT_NE(c.cpu(), c.after().cpu());  // a reader other than the writer
      held += c.hold();
      named += c.has_invalidate();
    }
    EXPECT_GT(held, 50);
    EXPECT_GT(named, 50);
  }
  pb::Scenario x86;
  x86.mutable_machine()->set_family(pb::X86);
  x86.mutable_machine()->set_platform(pb::X86_INTEL_MWAIT);
  EXPECT_FALSE(it->apply(x86, ctx));
}

// A queue choice on a machine without queues (x86, or not ARCHITECTURE) is dropped, with its name.
TEST(MutatorFix, ClearsInvalidateQueueChoicesWhereThereAreNoQueues) {
  pb::Scenario s;
  s.mutable_machine()->set_family(pb::X86);
  s.mutable_machine()->set_platform(pb::X86_INTEL_MWAIT);
  s.mutable_machine()->set_memory_model(pb::ARCHITECTURE);
  pb::Choice& c = *s.mutable_schedule()->add_choices();
  c.set_cpu(1);
  c.set_invalidate_queue(true);
  c.set_invalidate("x");
  ASSERT_FALSE(IsValid(s));
  EXPECT_TRUE(Fix(s));
  EXPECT_TRUE(IsValid(s));
  EXPECT_FALSE(s.schedule().choices(0).invalidate_queue());
  EXPECT_FALSE(s.schedule().choices(0).has_invalidate());
}

TEST(MutatorFix, BringsATickBetweenZeroAndOneMillisecondUpToHz1000) {
  pb::Scenario s = ScenarioFromText(
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }\n"
      "events { kind: PANIC cpus: 0 trigger { at_step: 1 } }\n");
  s.mutable_machine()->set_tick_ns(500'000);
  ASSERT_FALSE(IsValid(s));
  EXPECT_TRUE(Fix(s));
  EXPECT_TRUE(IsValid(s));
  EXPECT_EQ(s.machine().tick_ns(), kMinTickNs);
}

TEST(ValuePools, TicksAreMostlyOffElseAnHzPeriod) {
  Rng rng(7);
  std::map<uint64_t, int> seen;
  for (int i = 0; i < 4000; ++i) ++seen[PickTickNs(rng)];
  EXPECT_GT(seen[0], 2000);
  for (const auto& [ns, n] : seen) {
    EXPECT_TRUE(ns == 0 || ns == 1'000'000 || ns == 4'000'000 || ns == 10'000'000) << ns;
  }
  EXPECT_EQ(seen.size(), 4u);
}

}  // namespace
}  // namespace crashdiff::fuzz
