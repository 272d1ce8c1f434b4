// RunDifferential: the scenario on the reference and on every target of its family; property checks on every
// run; outcome comparison against the reference; one signature per divergence.
#include "diff/differential.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "diff/runner.h"
#include "oracle/properties.h"
#include "sim/validate.h"

namespace crashdiff {
namespace {

struct Observed {
  RunResult result;
  Facts facts;
};

// The facts of this thread's finished runs, each handed to a later run's builder: their per-CPU lists keep their
// memory (a differential execution builds facts for the reference and every target; two are alive at a time).
std::vector<Facts>& SpareFacts() {
  static thread_local std::vector<Facts> spare;
  return spare;
}
Facts TakeSpareFacts() {
  std::vector<Facts>& spare = SpareFacts();
  if (spare.empty()) return {};
  Facts f = std::move(spare.back());
  spare.pop_back();
  return f;
}
void RecycleFacts(Facts&& facts) {
  SpareFacts().push_back(std::move(facts));
}

template <typename RunFn>
Observed Observe(const pb::Scenario& scenario, const DiffOptions& diff, RunFn run) {
  FactsBuilder builder(scenario.machine().cores() * scenario.machine().threads_per_core(), TakeSpareFacts());
  RunOptions options;
  options.record_trace = diff.keep_traces;
  options.hash_trace = diff.hash_traces;
  options.observer = &builder;
  Observed o;
  o.result = run(options);
  o.facts = builder.TakeFacts();
  return o;
}

std::string WitnessText(const Witness& w) {
  if (!w.set()) return "no witness";
  return "cpu" + std::to_string(w.cpu) + " at step " + std::to_string(w.step) + " (" + std::string(w.label) +
         ") t=" + std::to_string(w.time_ns) + " ns";
}

Divergence FromViolation(const Violation& v, std::string_view target, const std::string& platform) {
  const PropertyInfo* p = FindProperty(v.property);
  Divergence d;
  d.property = v.property;
  d.short_name = p != nullptr ? std::string(p->short_name) : "unknown";
  d.role = std::string(Name(v.role));
  d.what = v.what;
  d.severity = std::string(Name(v.severity));
  d.target = std::string(target);
  d.signature = MakeSignature(d.property, d.short_name, d.role, d.what, target, platform);
  d.at = v.witness;
  d.cpu = v.cpu;
  d.witness = WitnessText(v.witness);
  d.root_cause = RootCauseKey(d.property, d.short_name, d.at.label, d.what);
  d.cause_label = d.at.label;
  return d;
}

Divergence FromOutcome(const OutcomeDifference& o, std::string_view target, const std::string& platform,
                       const RunResult& result) {
  Divergence d;
  d.property = "OUTCOME";
  d.short_name = o.field;
  d.role = std::string(Name(o.role));
  d.what = o.what;
  d.severity = "error";
  d.target = std::string(target);
  d.signature = MakeSignature(d.property, d.short_name, d.role, d.what, target, platform);
  const bool h = result.handed_over;
  d.at = Witness{o.cpu, h ? result.handover_step : result.steps, h ? result.handover_time_ns : result.end_time_ns,
                 h ? "HANDOVER" : "END"};
  d.cpu = o.cpu;
  d.witness = WitnessText(d.at);
  d.root_cause = RootCauseKey(d.property, d.short_name, d.at.label, d.what);
  d.cause_label = d.at.label;
  return d;
}

// A consequence is grouped under its cause's root cause and, when the target documents the cause, shares its verdict.
void TakeCause(Divergence& consequence, const Divergence& cause) {
  consequence.root_cause = cause.root_cause;
  consequence.cause_label = cause.cause_label;
  if (!consequence.known && cause.known) {
    consequence.known = true;
    consequence.known_as = cause.known_as;
  }
}

// One CPU shows one bug several times: its crash wake was lost (PR3), or it resumed into memory the relocation
// replaced (PR10), so it was not parked at hand-over (PR1), was not saved (PR5 "not saved") and may leave where
// it was afterwards (PR2). Each consequence takes the root cause of the earliest cause present on the same CPU
// (PR3 or PR10, else PR1) and, when the target documents that cause, its verdict. A CPU left in a weak park (a
// self-stop spin is no PR1) that the crash never collected shows PR5 "not saved"; what a later exception makes it
// do (PR2) is that miss's consequence. Violations on other CPUs, and other PR5s, keep their own root cause.
void FoldConsequencesPerCpu(std::vector<Divergence>& list) {
  const auto cause_on = [&list](uint32_t cpu, std::string_view property) -> const Divergence* {
    for (const Divergence& c : list) {
      if (c.property != property || c.cpu != cpu || cpu == kNoCpu) continue;
      if (property == "PR5" && c.what != "not saved") continue;
      return &c;
    }
    return nullptr;
  };
  // Causes first (a PR1 folds into a PR3 before the PR2s and PR5s that fold into that PR1 look at it).
  for (const std::string_view effect : {"PR1", "PR2", "PR5"}) {
    for (Divergence& d : list) {
      if (d.property != effect || (effect == "PR5" && d.what != "not saved")) continue;
      const Divergence* cause = cause_on(d.cpu, "PR3");
      if (cause == nullptr) cause = cause_on(d.cpu, "PR10");
      if (cause == nullptr && effect != "PR1") cause = cause_on(d.cpu, "PR1");
      if (cause == nullptr && effect == "PR2") cause = cause_on(d.cpu, "PR5");
      if (cause != nullptr) TakeCause(d, *cause);
    }
  }
}

// When the responder count was made up by a CPU counted twice (PR6 "... while an expected responder is missing"),
// the initiator stopped waiting without the CPUs it stood in for: their PR5 "not saved" and PR1, unless a cause of
// their own (PR3, PR10) is present, take the overcount's root cause (and their PR2 follows through the per-CPU
// fold). A missing responder is an expected one the crash never saved; a CPU it saved is not one.
void FoldIntoOvercount(std::vector<Divergence>& list) {
  const auto on = [&list](uint32_t cpu, std::string_view property, std::string_view what = {}) {
    return std::any_of(list.begin(), list.end(), [&](const Divergence& c) {
      return c.cpu == cpu && c.property == property && (what.empty() || c.what == what);
    });
  };
  for (const Divergence& over : list) {
    if (over.property != "PR6" || over.what != "counted twice while an expected responder is missing") continue;
    for (Divergence& d : list) {
      if (d.cpu == over.cpu || d.cpu == kNoCpu || !on(d.cpu, "PR5", "not saved")) continue;
      if (on(d.cpu, "PR3") || on(d.cpu, "PR10")) continue;
      if (d.property == "PR1" || (d.property == "PR5" && d.what == "not saved")) TakeCause(d, over);
    }
    return;
  }
}

// When the initiator hangs (PR8), what it never got to do shows on the other CPUs with the hang as witness (the
// same step): a wake never sent (PR7), a CPU never saved (PR5). Those take the hang's root cause and verdict.
void FoldIntoInitiatorHang(std::vector<Divergence>& list) {
  for (const Divergence& hang : list) {
    if (hang.property != "PR8" || !hang.at.set()) continue;
    for (Divergence& d : list) {
      if (&d == &hang || d.property == "PR8" || d.difference()) continue;
      if (d.at.step == hang.at.step && d.at.label == hang.at.label) TakeCause(d, hang);
    }
  }
}

void SortUnique(std::vector<Divergence>& list) {
  // Full order (the earliest witness first among equal signatures), so the kept witness is deterministic.
  std::sort(list.begin(), list.end(), [](const Divergence& a, const Divergence& b) {
    return std::tie(a.signature, a.at.step, a.at.cpu) < std::tie(b.signature, b.at.step, b.at.cpu);
  });
  list.erase(std::unique(list.begin(), list.end(),
                         [](const Divergence& a, const Divergence& b) { return a.signature == b.signature; }),
             list.end());
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

const Divergence* Named(const std::vector<Divergence>& list, std::string_view signature) {
  const auto it = std::find_if(list.begin(), list.end(), [&](const Divergence& d) { return d.signature == signature; });
  return it == list.end() ? nullptr : &*it;
}

bool SharedWithReference(const Violation& v, const std::vector<Violation>& reference) {
  return std::any_of(reference.begin(), reference.end(), [&v](const Violation& r) {
    return r.property == v.property && r.role == v.role && r.what == v.what;
  });
}

}  // namespace

bool MatchesKnown(const KnownDivergence& k, const Divergence& d) {
  if (k.property != d.property) return false;
  if (!k.role.empty() && k.role != d.role) return false;
  if (!k.what.empty() && d.what.find(k.what) == std::string::npos) return false;
  if (!k.labels.empty() && !Contains(k.labels, d.at.label)) return false;
  return k.platforms.empty() || std::find(k.platforms.begin(), k.platforms.end(), d.platform) != k.platforms.end();
}

bool MatchesKnown(const KnownDivergence& k, const Violation& v, pb::Platform p) {
  Divergence d = FromViolation(v, "", "");
  d.platform = p;
  return MatchesKnown(k, d);
}

const Divergence* TargetReport::Find(std::string_view signature) const {
  return Named(divergences, signature);
}

const Divergence* DiffReport::Find(std::string_view signature) const {
  return Named(divergences, signature);
}

bool DiffReport::ShowsThrough(std::string_view signature, std::string_view root_cause) const {
  for (const Divergence& d : divergences) {
    if (d.signature == signature && (root_cause.empty() || d.root_cause == root_cause)) return true;
  }
  return false;
}

std::string_view TargetReport::verdict() const {
  bool known = false;
  bool differs = false;
  for (const Divergence& d : divergences) {
    if (d.difference()) {
      differs = true;
    } else if (d.known) {
      known = true;
    } else {
      return "new";
    }
  }
  // A run its step budget cut before it could show a violation is undecided, not clean.
  return known ? "known" : differs ? "differs" : result.end == EndReason::kBudgetCut ? "cut" : "ok";
}

DiffReport RunDifferential(const pb::Scenario& scenario, const DiffOptions& options) {
  DiffReport report;
  const std::string platform = PlatformTag(scenario);
  const uint64_t events = EventKindsOf(scenario);

  Observed ref = Observe(scenario, options, [&](const RunOptions& ro) { return RunReference(scenario, ro); });
  report.reference_outcome = ComputeOutcome(scenario, ref.result, ref.facts);
  const std::vector<Violation> ref_violations = CheckProperties(scenario, ref.result, ref.facts);
  for (const Violation& v : ref_violations) {
    report.reference_violations.push_back(FromViolation(v, "reference", platform));
  }
  SortUnique(report.reference_violations);

  std::vector<const TargetSpec*> specs = TargetsFor(scenario, options.only_target);
  if (options.target_override != nullptr) {
    specs.clear();
    if (options.target_override->family == scenario.machine().family() &&
        options.target_override->Supports(scenario.machine().platform())) {
      specs.push_back(options.target_override);
    }
  }
  for (const TargetSpec* spec : specs) {
    Observed run = Observe(scenario, options, [&](const RunOptions& ro) { return RunOnTarget(*spec, scenario, ro); });
    TargetReport tr;
    tr.target = spec->name;
    tr.outcome = ComputeOutcome(scenario, run.result, run.facts);
    // Properties first: they are precise. An outcome difference is reported only for a role no property
    // already blamed, so one bug does not come with a tail of consequences.
    std::set<Role> blamed;
    for (const Violation& v : CheckProperties(scenario, run.result, run.facts)) {
      // What the reference itself suffers (e.g. a broadcast MCE after kexec relocation reaches every x86
      // park) is inherent to the machine, not a divergence of this target.
      if (SharedWithReference(v, ref_violations)) continue;
      if (!spec->Applies(v.property, scenario.machine().platform())) continue;
      blamed.insert(v.role);
      tr.divergences.push_back(FromViolation(v, spec->name, platform));
    }
    const bool any_violation = !tr.divergences.empty();
    for (const OutcomeDifference& o : CompareOutcomes(tr.outcome, report.reference_outcome)) {
      if (blamed.count(o.role)) continue;
      // Whole-run fields (hand-over, timing, end) are consequences of whatever property failed.
      const bool whole_run = o.field == "hand-over" || o.field == "timing" || o.field == "end";
      if (whole_run && any_violation) continue;
      tr.divergences.push_back(FromOutcome(o, spec->name, platform, run.result));
    }
    for (Divergence& d : tr.divergences) {
      d.platform = scenario.machine().platform();
      d.scenario_events = events;
      if (d.difference()) continue;
      const auto match = std::find_if(spec->known.begin(), spec->known.end(),
                                      [&d](const KnownDivergence& k) { return MatchesKnown(k, d); });
      d.known = match != spec->known.end();
      if (d.known) d.known_as = Describe(*match);
    }
    FoldIntoOvercount(tr.divergences);
    FoldConsequencesPerCpu(tr.divergences);
    FoldIntoInitiatorHang(tr.divergences);
    SortUnique(tr.divergences);
    report.divergences.insert(report.divergences.end(), tr.divergences.begin(), tr.divergences.end());
    tr.result = std::move(run.result);
    report.targets.push_back(std::move(tr));
    RecycleFacts(std::move(run.facts));
  }
  SortUnique(report.divergences);
  report.reference = std::move(ref.result);
  RecycleFacts(std::move(ref.facts));
  return report;
}

}  // namespace crashdiff
