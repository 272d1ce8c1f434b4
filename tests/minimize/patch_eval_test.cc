// Evaluating a patch against its base (minimize/patch_eval.h): hand-made one-step variants of
// ppc-upstream-clear-then-check, registered only here, compared with it on the corpus and a short campaign.
#include "minimize/patch_eval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "diff/differential.h"
#include "sim/scenario_io.h"
#include "targets/ppc/ppc_kernel.h"
#include "targets/target.h"
#include "tests/fixtures/cli_test_util.h"

namespace crashdiff {
namespace {

const std::string kSource = CRASHDIFF_SOURCE_DIR;
constexpr uint64_t kMutants = 400;

PatchOptions Options(uint64_t mutants = kMutants) {
  PatchOptions o;
  o.regressions = kSource + "/corpus/regressions";
  o.seeds = kSource + "/corpus/seeds";
  o.findings = kSource + "/corpus/findings";
  o.mutants = mutants;
  return o;
}

// Whether the input places an event by global step count (at_step): a patch that adds or removes a step anywhere
// before it moves the event to another instruction, so on such an input an unrelated race can change too.
bool StepAnchored(const std::string& path) {
  const LoadResult r = LoadScenarioFile(path);
  if (!r.scenario) return false;
  return std::any_of(r.scenario->events().begin(), r.scenario->events().end(),
                     [](const pb::Event& e) { return e.trigger().has_at_step(); });
}

const TargetSpec& Base() {
  const TargetSpec* base = FindTarget("ppc-upstream-clear-then-check");
  EXPECT_NE(base, nullptr);
  return *base;
}

// The base's Variant, as targets/ppc/upstream_clear_then_check.cc spells it.
constexpr ppc::Variant kUpstream{
    .crash_ipi_callback = ppc::CrashIpiCb::kNoOnlineTest,
    .prepare_cpus = ppc::PrepareCpus::k4145f358,
    .kill_self = ppc::KillSelf::k4145f358,
    .crash_shutdown = ppc::CrashShutdown::kV4_14,
    .nmi_ipi = ppc::NmiIpi::k88b9a3d1,
    .send_stop = ppc::SendStop::k88b9a3d1,
};

// A patch as a developer models one: a copy of the base under a new name, one step changed, nothing documented.
TargetSpec Patched(const std::string& name, std::function<std::unique_ptr<Program>(Machine&)> make) {
  TargetSpec spec = Base();
  spec.name = name;
  spec.known.clear();
  spec.make = std::move(make);
  return spec;
}
// ... one of the base's own parameters changed.
TargetSpec Patched(const std::string& name, const std::function<void(ppc::Variant&)>& change) {
  ppc::Variant v = kUpstream;
  change(v);
  return Patched(name, [v](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<ppc::PpcKernel>(m, v); });
}

// ... or its own version of the one function it changes (docs/PATCH-WORKFLOW.md): here the offline loop's wake
// handling with the kdump check moved before the clear (the v1 ordering, with saved registers).
class CheckBeforeClear : public ppc::PpcKernel {
 public:
  CheckBeforeClear(Machine& m) : PpcKernel(m, kUpstream) {}

 protected:
  Task<> OfflineWake(Cpu& cpu, Wake wake) override {
    if (co_await cpu.read(s_.crashing_cpu, "L2a") >= 0) co_await CrashIpiCallback(cpu, ppc::Regs{true, 0});
    co_await ClearWake(cpu, wake, /*replay_reset=*/true);
    co_await cpu.barrier("L5");
  }
};

TargetSpec CheckBeforeClearPatch() {
  return Patched("ppc-check-before-clear",
                 [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<CheckBeforeClear>(m); });
}

std::set<std::string> Causes(const PatchReport& r, PatchChange c) {
  std::set<std::string> out;
  for (const RootCauseRow& row : r.root_causes) {
    if (row.change == c) out.insert(row.root_cause);
  }
  return out;
}

bool AllStartWith(const std::set<std::string>& causes, const std::vector<std::string>& prefixes) {
  return std::all_of(causes.begin(), causes.end(), [&](const std::string& c) {
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return c.rfind(p, 0) == 0; });
  });
}

void ExpectNothingChanged(const PatchReport& r) {
  EXPECT_TRUE(r.errors.empty());
  EXPECT_GT(r.compared, 100u);
  EXPECT_FALSE(r.root_causes.empty());  // the base's own bugs: unchanged, not new
  for (const auto* rows : {&r.root_causes, &r.outcomes}) {
    for (const RootCauseRow& row : *rows) {
      EXPECT_EQ(row.change, PatchChange::kUnchanged) << row.root_cause;
      EXPECT_EQ(row.base_only + row.patch_only, 0) << row.root_cause;
      EXPECT_TRUE(row.reproducer_input.empty()) << row.root_cause;
    }
  }
  EXPECT_FALSE(r.introduced());
}

TEST(PatchEval, AnIdenticalCopyOfTheBaseChangesNothing) {
  TargetSpec copy = Base();
  copy.name = "ppc-upstream-copy";
  copy.known.clear();
  ExpectNothingChanged(EvaluatePatch(copy, Base(), Options()));
}

// The test's own spelling of the base's Variant is the base: the one-step variants below differ in one step only.
TEST(PatchEval, TheBaseRebuiltFromItsVariantChangesNothing) {
  ExpectNothingChanged(EvaluatePatch(Patched("ppc-upstream-rebuilt", [](ppc::Variant&) {}), Base(), Options()));
}

// The v1 ordering (DOMAIN §3.2) on the upstream base: the kdump check moved before the clear. A stray wake merged
// with the crash wake is cleared after the check and lost: the lost wake (PR3 at the stop it sleeps in, L2) and
// its consequences are introduced, and the static ordering check (PR4 at the moved read, L2a) fails. The change
// is in the offline loop: on the corpus, whatever differs is about an offline thread, nothing about online CPUs,
// losers or the initiator (PR6-PR8). (On mutants that claim does not hold: one more step in the offline loop
// shifts every later step of a random or PCT schedule, and of a choice anchored at the new step, so an unrelated
// race elsewhere can be won on one side and lost on the other. Both sides' behaviours are real; the patch report
// lists them, and the corpus is the stable reference for "nothing else".)
TEST(PatchEval, CheckingBeforeTheClearIntroducesTheLostWakeAndNothingElse) {
  const TargetSpec patch = CheckBeforeClearPatch();
  const PatchReport campaign = EvaluatePatch(patch, Base(), Options());
  EXPECT_TRUE(campaign.errors.empty());
  const std::set<std::string> introduced = Causes(campaign, PatchChange::kIntroduced);
  EXPECT_TRUE(introduced.count("PR3 lost-wake @L2")) << ::testing::PrintToString(introduced);
  EXPECT_TRUE(introduced.count("PR4 ordering @L2a")) << ::testing::PrintToString(introduced);
  EXPECT_TRUE(campaign.introduced());
  const PatchReport r = EvaluatePatch(patch, Base(), Options(0));
  EXPECT_TRUE(Causes(r, PatchChange::kIntroduced).count("PR3 lost-wake @L2"));
  for (const RootCauseRow& row : r.root_causes) {
    if (row.change == PatchChange::kUnchanged) continue;
    EXPECT_FALSE(row.platforms.empty());
    EXPECT_FALSE(row.reproducer_input.empty());
    // "Nothing else" holds where the scenario is the same scenario on both sides: not where an event is placed by
    // step count and the offline loop's extra step moves it (the nested-reset deadlock finding: the second reset
    // lands inside __nmi_ipi_lock on one side only). Such rows are still reported, above, as partly fixed.
    if (StepAnchored(row.reproducer_input)) continue;
    EXPECT_NE(row.example.find(": offline-target "), std::string::npos)
        << Name(row.change) << " " << row.example << " from " << row.reproducer_input;
    EXPECT_TRUE(AllStartWith({row.root_cause}, {"PR1 ", "PR2 ", "PR3 ", "PR4 ", "PR5 "})) << row.root_cause;
    const bool introduced_row = row.change == PatchChange::kIntroduced;
    EXPECT_GT(introduced_row ? row.patch_only : row.base_only, 0) << row.root_cause;
    EXPECT_NE(row.example.find(introduced_row ? "[ppc-check-before-clear/" : "[ppc-upstream-clear-then-check/"),
              std::string::npos)
        << row.example;
  }
  // The offline thread's lost wake needs a stray wake before the crash wake: the seed that models one shows it.
  // (The base shows the same root cause, an online thread's lost wake in the same stop, on other inputs.)
  for (const RootCauseRow& row : r.root_causes) {
    if (row.root_cause != "PR3 lost-wake @L2") continue;
    EXPECT_NE(row.reproducer_input.find("corpus/seeds/ppc/b_stray_doorbell_before_crash_wake.textproto"),
              std::string::npos);
    EXPECT_EQ(row.example,
              "PR3 lost-wake: offline-target sleeps in STOPPED_HW after crash wake "
              "[ppc-check-before-clear/doorbell]");
  }
}

// Without the offline wake round (crash_send_ipi before 4145f358644b): offline threads are never woken by the
// crash, so they are still asleep in the offline loop at hand-over (PR1 @STOPPED_HW) on inputs where the base
// parks them.
TEST(PatchEval, SkippingTheOfflineWakeRoundIntroducesUnsafeParkingOfOfflineThreads) {
  const TargetSpec patch =
      Patched("ppc-no-offline-wake", [](ppc::Variant& v) { v.prepare_cpus = ppc::PrepareCpus::kV4_14; });
  const PatchReport r = EvaluatePatch(patch, Base(), Options());
  bool found = false;
  for (const RootCauseRow& row : r.root_causes) {
    if (row.root_cause != "PR1 unsafe-parking @STOPPED_HW") continue;
    found = true;
    EXPECT_EQ(row.change, PatchChange::kIntroduced);
    EXPECT_GT(row.patch_only, 50);                  // most inputs with an offline thread
    EXPECT_LT(row.base_only, row.patch_only / 10);  // the base leaves a thread asleep only in rare hotplug races
    EXPECT_NE(row.example.find("offline-target STOPPED_HW at hand-over [ppc-no-offline-wake/"), std::string::npos)
        << row.example;
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(r.introduced());
}

// Swapping the roles swaps introduced and fixed on the same inputs: what P introduces over B, B fixes over P
// (fully or partly), and the reverse.
TEST(PatchEval, SwappingPatchAndBaseSwapsIntroducedAndFixed) {
  const TargetSpec patch = CheckBeforeClearPatch();
  const PatchReport forward = EvaluatePatch(patch, Base(), Options(0));  // the corpus alone: the same inputs
  const PatchReport backward = EvaluatePatch(Base(), patch, Options(0));
  const auto fixed = [](const PatchReport& r) {
    std::set<std::string> out = Causes(r, PatchChange::kFixed);
    for (const std::string& c : Causes(r, PatchChange::kPartlyFixed)) out.insert(c);
    return out;
  };
  // A root cause that each target shows on inputs where the other does not (a timing-dependent one) is introduced
  // in both directions; every other introduced one is fixed the other way round.
  const auto fixed_or_introduced = [&](const PatchReport& r) {
    std::set<std::string> out = fixed(r);
    for (const std::string& c : Causes(r, PatchChange::kIntroduced)) out.insert(c);
    return out;
  };
  EXPECT_FALSE(Causes(forward, PatchChange::kIntroduced).empty());
  EXPECT_TRUE(Causes(forward, PatchChange::kIntroduced).count("PR3 lost-wake @L2"));
  EXPECT_TRUE(fixed(backward).count("PR3 lost-wake @L2"));
  for (const std::string& c : Causes(forward, PatchChange::kIntroduced))
    EXPECT_TRUE(fixed_or_introduced(backward).count(c)) << c;
  for (const std::string& c : Causes(backward, PatchChange::kIntroduced))
    EXPECT_TRUE(fixed_or_introduced(forward).count(c)) << c;
  for (const std::string& c : fixed(backward)) EXPECT_TRUE(Causes(forward, PatchChange::kIntroduced).count(c)) << c;
  EXPECT_EQ(Causes(forward, PatchChange::kUnchanged).size() + Causes(forward, PatchChange::kIntroduced).size() +
                fixed(forward).size(),
            forward.root_causes.size());
}

TEST(PatchEval, OutcomeDifferencesAreNeverBugs) {
  const TargetSpec patch =
      Patched("ppc-no-offline-wake", [](ppc::Variant& v) { v.prepare_cpus = ppc::PrepareCpus::kV4_14; });
  const PatchReport r = EvaluatePatch(patch, Base(), Options());
  for (const RootCauseRow& row : r.root_causes) EXPECT_NE(row.root_cause.rfind("OUTCOME", 0), 0u) << row.root_cause;
  for (const RootCauseRow& row : r.outcomes) EXPECT_EQ(row.root_cause.rfind("OUTCOME ", 0), 0u) << row.root_cause;
}

TEST(PatchEval, TheSameSeedAndCountGiveTheSameReport) {
  const TargetSpec patch = CheckBeforeClearPatch();
  PatchOptions options = Options(200);
  options.rng_seed = 7;
  const PatchReport a = EvaluatePatch(patch, Base(), options);
  const PatchReport b = EvaluatePatch(patch, Base(), options);
  EXPECT_EQ(a.mutants, 200u);
  EXPECT_EQ(a.compared, b.compared);
  ASSERT_EQ(a.root_causes.size(), b.root_causes.size());
  for (size_t i = 0; i < a.root_causes.size(); ++i) {
    EXPECT_EQ(a.root_causes[i].root_cause, b.root_causes[i].root_cause);
    EXPECT_EQ(a.root_causes[i].patch_only, b.root_causes[i].patch_only);
    EXPECT_EQ(a.root_causes[i].both, b.root_causes[i].both);
    EXPECT_EQ(a.root_causes[i].reproducer_input, b.root_causes[i].reproducer_input);
  }
}

TEST(PatchEval, TargetsOfDifferentFamiliesAreRefused) {
  const TargetSpec* x86 = FindTarget("x86-mwait-fixed");
  ASSERT_NE(x86, nullptr);
  const PatchReport r = EvaluatePatch(*x86, Base(), Options(0));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("own family"), std::string::npos) << r.errors[0];
  EXPECT_EQ(r.compared, 0u);
}

// Each written reproducer shows its root cause on the side it is about and not on the other.
TEST(PatchEval, WrittenReproducersReplayTheirChange) {
  const TargetSpec patch = CheckBeforeClearPatch();
  PatchReport r = EvaluatePatch(patch, Base(), Options(0));
  testing::TempDir dir;
  EXPECT_TRUE(WritePatchReproducers(r, patch, Base(), dir.path() + "/out").empty());
  const auto shows = [](const TargetSpec& t, const pb::Scenario& s, const std::string& cause) {
    DiffOptions o;
    o.target_override = &t;
    for (const Divergence& d : RunDifferential(s, o).divergences) {
      if (d.root_cause == cause) return true;
    }
    return false;
  };
  int written = 0;
  for (const RootCauseRow& row : r.root_causes) {
    if (row.change == PatchChange::kUnchanged) {
      EXPECT_TRUE(row.written.empty());
      continue;
    }
    ASSERT_FALSE(row.written.empty()) << row.root_cause;
    ++written;
    const LoadResult loaded = LoadScenarioFile(row.written);
    ASSERT_TRUE(loaded.scenario) << row.written;
    const bool introduced = row.change == PatchChange::kIntroduced;
    EXPECT_EQ(shows(patch, *loaded.scenario, row.root_cause), introduced) << row.written;
    EXPECT_EQ(shows(Base(), *loaded.scenario, row.root_cause), !introduced) << row.written;
    std::ifstream in(row.written);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_NE(text.str().find("# " + std::string(Name(row.change)) + ": " + row.root_cause), std::string::npos);
  }
  EXPECT_GT(written, 0);
}

}  // namespace
}  // namespace crashdiff
