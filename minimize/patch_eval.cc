#include "minimize/patch_eval.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <iterator>
#include <tuple>

#include "diff/differential.h"
#include "diff/runner.h"
#include "fuzz/mutator/label_pool.h"
#include "fuzz/mutator/mutator.h"
#include "minimize/reproducer.h"
#include "proto/family_name.h"
#include "sim/rng.h"
#include "sim/scenario_io.h"
#include "targets/target.h"
#include "util/atomic_file.h"

namespace crashdiff {
namespace {

namespace fs = std::filesystem;

constexpr const char* kChangeNames[] = {
#define CRASHDIFF_PATCH_CHANGE_NAME(e, name, meaning) name,
    CRASHDIFF_PATCH_CHANGES(CRASHDIFF_PATCH_CHANGE_NAME)
#undef CRASHDIFF_PATCH_CHANGE_NAME
};

// Tally sides: on which of the two targets an input shows a root cause.
enum Side : int { kBoth = 0, kBaseOnly = 1, kPatchOnly = 2 };

// Root cause -> one signature of it, for one target's divergences: the cause itself when its consequences on the
// same CPU share its root cause (a lost wake's PR3 rather than the PR1 it leads to).
std::map<std::string, std::string> RootCauses(const DiffReport& report) {
  std::map<std::string, std::string> out;
  for (const Divergence& d : report.divergences) {
    const bool is_cause = d.root_cause.rfind(d.property + " ", 0) == 0;
    auto [it, added] = out.emplace(d.root_cause, d.signature);
    if (!added && is_cause && it->second.rfind(d.property + " ", 0) != 0) it->second = d.signature;
  }
  return out;
}

DiffReport RunOne(const TargetSpec& spec, const pb::Scenario& scenario) {
  DiffOptions options;
  options.target_override = &spec;
  return RunDifferential(scenario, options);
}

// "<PRn> <short-name>" of a root cause "<PRn> <short-name> @<label>".
std::string PropertyOf(const std::string& cause) {
  return cause.substr(0, cause.rfind(" @"));
}

// Whether causes holds the property of cause at another witness step.
bool ShowsElsewhere(const std::map<std::string, std::string>& causes, const std::string& cause) {
  const std::string property = PropertyOf(cause);
  return std::any_of(causes.begin(), causes.end(),
                     [&](const auto& c) { return c.first != cause && PropertyOf(c.first) == property; });
}

PatchChange Classify(int both, int base_only, int patch_only) {
  if (patch_only > 0) return PatchChange::kIntroduced;
  if (base_only > 0) return both > 0 ? PatchChange::kPartlyFixed : PatchChange::kFixed;
  return PatchChange::kUnchanged;
}

// The side whose inputs a change is about.
Side SideOf(PatchChange c) {
  switch (c) {
    case PatchChange::kIntroduced: return kPatchOnly;
    case PatchChange::kFixed:
    case PatchChange::kPartlyFixed: return kBaseOnly;
    case PatchChange::kUnchanged: break;
  }
  return kBoth;
}

struct NamedScenario {
  std::string name;
  pb::Scenario scenario;
};

// Every scenario file under dir (not recursive), sorted by path; unreadable ones go to errors.
std::vector<NamedScenario> LoadDir(const std::string& dir, std::vector<std::string>& errors) {
  std::vector<NamedScenario> out;
  if (dir.empty()) return out;
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".textproto" || ext == ".pb" || ext == ".bin") files.push_back(entry.path().string());
  }
  if (ec) errors.push_back(dir + ":0: cannot read directory: " + ec.message());
  std::sort(files.begin(), files.end());
  for (const std::string& file : files) {
    LoadResult loaded = LoadScenarioFile(file);
    if (!loaded.scenario) {
      errors.insert(errors.end(), loaded.errors.begin(), loaded.errors.end());
      continue;
    }
    out.push_back({file, std::move(*loaded.scenario)});
  }
  return out;
}

// Step labels both targets really execute on the corpus: the mutator's on_label triggers name steps that exist.
void LearnLabels(const TargetSpec& spec, const std::vector<NamedScenario>& inputs, fuzz::LabelPool& pool) {
  for (const NamedScenario& in : inputs) {
    pool.AddTrace(in.scenario.machine().family(),
                  RunOnTarget(spec, in.scenario, RunOptions{.record_trace = true}).trace);
  }
}

// The root file a mutant descends from: "mutant 12 of corpus/seeds/ppc/x.textproto".
std::string MutantName(uint64_t n, const std::string& parent) {
  const std::string root = parent.rfind("mutant ", 0) == 0 ? parent.substr(parent.find(" of ") + 4) : parent;
  return "mutant " + std::to_string(n) + " of " + root;
}

// The campaign: mutants of the corpus inputs (and of mutants that showed something not seen before).
size_t Campaign(PatchComparison& cmp, const TargetSpec& patch, const TargetSpec& base, std::vector<NamedScenario> pool,
                const PatchOptions& options, size_t& skipped) {
  if (options.mutants == 0) return 0;
  if (pool.empty()) pool.push_back({"a minimal scenario", fuzz::MinimalScenario(patch.family)});
  fuzz::LabelPool labels;
  LearnLabels(patch, pool, labels);
  LearnLabels(base, pool, labels);
  fuzz::Mutator mutator(fuzz::MutatorOptions{.labels = &labels, .only_family = patch.family});
  Rng rng(options.rng_seed);
  const auto start = std::chrono::steady_clock::now();
  const auto out_of_time = [&] {
    return options.seconds > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >= options.seconds;
  };
  size_t made = 0;
  while (made < options.mutants && !out_of_time()) {
    const NamedScenario& parent = pool[rng.Below(pool.size())];
    NamedScenario mutant{MutantName(++made, parent.name), parent.scenario};
    mutator.Mutate(mutant.scenario, rng);
    if (!cmp.Applies(mutant.scenario)) {
      ++skipped;
      continue;
    }
    if (cmp.Add(mutant.name, mutant.scenario)) pool.push_back(std::move(mutant));
  }
  return made;
}

void AppendShows(std::string& out, const char* role, const TargetSpec& spec, const pb::Scenario& scenario) {
  const DiffReport r = RunOne(spec, scenario);
  out += "# " + std::string(role) + " " + spec.name + ":";
  if (r.divergences.empty()) out += " nothing";
  out += "\n";
  for (const Divergence& d : r.divergences) out += "#   " + d.signature + "  (root cause " + d.root_cause + ")\n";
}

}  // namespace

const char* Name(PatchChange c) {
  return kChangeNames[static_cast<int>(c)];
}

int RootCauseRow::inputs() const {
  const int by_side[] = {both, base_only, patch_only};
  return by_side[SideOf(change)];
}

size_t PatchReport::Count(PatchChange c) const {
  return static_cast<size_t>(
      std::count_if(root_causes.begin(), root_causes.end(), [c](const RootCauseRow& r) { return r.change == c; }));
}

PatchComparison::PatchComparison(const TargetSpec& patch, const TargetSpec& base) : patch_(patch), base_(base) {}

bool PatchComparison::Applies(const pb::Scenario& scenario) const {
  const pb::Family f = scenario.machine().family();
  const pb::Platform p = scenario.machine().platform();
  return f == patch_.family && f == base_.family && patch_.Supports(p) && base_.Supports(p);
}

bool PatchComparison::Add(const std::string& name, const pb::Scenario& scenario) {
  ++compared_;
  const std::map<std::string, std::string> on_patch = RootCauses(RunOne(patch_, scenario));
  const std::map<std::string, std::string> on_base = RootCauses(RunOne(base_, scenario));
  const std::string platform = PlatformTag(scenario);
  bool novel = false;
  const auto tally = [&](const std::string& cause, Side side, const std::string& signature) {
    Tally& t = tallies_[cause];
    int* counts[] = {&t.both, &t.base_only, &t.patch_only};
    if ((*counts[side])++ == 0) {
      t.first_name[side] = name;
      t.first[side] = scenario;
      t.first_example[side] = signature;
    }
    t.platforms[side].insert(platform);
    const auto& other = side == kPatchOnly ? on_base : on_patch;
    if (side != kBoth && ShowsElsewhere(other, cause)) ++t.moved[side];
  };
  for (const auto& [cause, signature] : on_patch) {
    tally(cause, on_base.count(cause) ? kBoth : kPatchOnly, signature);
    novel |= seen_.emplace(0, cause).second;
  }
  for (const auto& [cause, signature] : on_base) {
    if (!on_patch.count(cause)) tally(cause, kBaseOnly, signature);
    novel |= seen_.emplace(1, cause).second;
  }
  return novel;
}

PatchReport PatchComparison::Report() const {
  PatchReport report;
  report.patch = patch_.name;
  report.base = base_.name;
  report.compared = compared_;
  for (const auto& [cause, t] : tallies_) {
    RootCauseRow row;
    row.root_cause = cause;
    row.both = t.both;
    row.base_only = t.base_only;
    row.patch_only = t.patch_only;
    row.change = Classify(t.both, t.base_only, t.patch_only);
    const Side side = SideOf(row.change);
    row.moved = t.moved[side];
    if (t.platforms.count(side)) row.platforms = t.platforms.at(side);
    row.example = t.first_example[side];
    if (row.change != PatchChange::kUnchanged) {
      row.reproducer_input = t.first_name[side];
      row.reproducer = t.first[side];
    }
    const bool outcome = cause.rfind("OUTCOME ", 0) == 0;
    (outcome ? report.outcomes : report.root_causes).push_back(std::move(row));
  }
  for (auto* rows : {&report.root_causes, &report.outcomes}) {
    std::sort(rows->begin(), rows->end(), [](const RootCauseRow& a, const RootCauseRow& b) {
      return std::tie(a.change, a.root_cause) < std::tie(b.change, b.root_cause);
    });
  }
  return report;
}

std::string FamilyDir(pb::Family family) {
  return FamilyName(family);
}

PatchReport EvaluatePatch(const TargetSpec& patch, const TargetSpec& base, const PatchOptions& options) {
  if (patch.family != base.family) {
    PatchReport report;
    report.patch = patch.name;
    report.base = base.name;
    report.errors.push_back(patch.name + " is a " + FamilyDir(patch.family) + " target and " + base.name + " a " +
                            FamilyDir(base.family) + " one: a patch is compared with a target of its own family");
    return report;
  }
  std::vector<std::string> errors;
  std::vector<NamedScenario> corpus = LoadDir(options.regressions, errors);
  const std::string family = FamilyDir(patch.family);
  for (const std::string& dir : {options.seeds, options.findings}) {
    if (dir.empty()) continue;
    std::vector<NamedScenario> more = LoadDir((fs::path(dir) / family).string(), errors);
    corpus.insert(corpus.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  PatchComparison cmp(patch, base);
  size_t skipped = 0;
  std::vector<NamedScenario> applicable;
  for (NamedScenario& in : corpus) {
    if (!cmp.Applies(in.scenario)) {
      ++skipped;
      continue;
    }
    cmp.Add(in.name, in.scenario);
    applicable.push_back(std::move(in));
  }
  const size_t mutants = Campaign(cmp, patch, base, std::move(applicable), options, skipped);
  PatchReport report = cmp.Report();
  report.corpus_inputs = corpus.size();
  report.mutants = mutants;
  report.skipped = skipped;
  report.errors = std::move(errors);
  return report;
}

std::vector<std::string> WritePatchReproducers(PatchReport& report, const TargetSpec& patch, const TargetSpec& base,
                                               const std::string& dir) {
  std::vector<std::string> errors;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return {dir + ":0: cannot create directory: " + ec.message()};
  for (RootCauseRow& row : report.root_causes) {  // bugs only: an outcome difference is not one
    if (row.reproducer_input.empty()) continue;
    const std::string path =
        (fs::path(dir) / Signature::ReadableFileName(std::string(Name(row.change)) + " " + row.root_cause)).string();
    std::string text = "# crashdiff patch --target " + patch.name + " --base " + base.name + "\n";
    text += "# " + std::string(Name(row.change)) + ": " + row.root_cause + "\n";
    text += "# input: " + row.reproducer_input + "\n";
    AppendShows(text, "patch", patch, row.reproducer);
    AppendShows(text, "base ", base, row.reproducer);
    text += "# replay: crashdiff run " + path + " --target " + patch.name + " --explain\n\n";
    text += ScenarioToText(row.reproducer);
    const std::string error = WriteFileAtomically(path, text);
    if (error.empty()) {
      row.written = path;
    } else {
      errors.push_back(error);
    }
  }
  return errors;
}

}  // namespace crashdiff
