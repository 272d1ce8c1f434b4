#include "campaign/findings.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "diff/differential.h"
#include "diff/finding.h"
#include "minimize/minimize.h"
#include "minimize/reproducer.h"
#include "minimize/triage.h"
#include "sim/scenario_io.h"
#include "sim/validate.h"
#include "util/atomic_file.h"
#include "util/join.h"

namespace crashdiff::campaign {
namespace {

namespace fs = std::filesystem;

// The root cause of a finding written before findings carried one, from its signature and witness.
// The step label a header's witness names: "cpu2 at step 24 (D1) t=1018 ns" -> "D1"; "" if none.
std::string WitnessLabel(const FindingHeader& h) {
  const size_t open = h.witness.find('(');
  const size_t close = h.witness.find(')', open);
  return open == std::string::npos || close == std::string::npos ? std::string()
                                                                 : h.witness.substr(open + 1, close - open - 1);
}

std::string RootCauseFromWitness(const FindingHeader& h) {
  std::string label = WitnessLabel(h);
  if (label.empty()) label = "-";
  const std::optional<Signature> s = Signature::Parse(h.signature);
  if (!s) return Signature::KeyOf(h.signature) + " @" + label;
  return RootCauseKey(s->property, s->short_name, label, s->what);
}

// The header the current models, oracle and known lists give the finding's signature on its own scenario; nullopt
// when the scenario no longer shows it (a model or oracle fix since) or cannot be read.
std::optional<FindingHeader> Rejudge(const fs::path& file, const std::string& signature) {
  const LoadResult loaded = LoadScenarioFile(file.string());
  if (!loaded.scenario) return std::nullopt;
  const DiffReport report = RunDifferential(*loaded.scenario);
  const Divergence* d = report.Find(signature);
  if (d == nullptr) return std::nullopt;
  return MakeFindingHeader(*d, report);
}

}  // namespace

std::vector<Finding> ReadFindings(const fs::path& dir, const CorpusBook& corpus, bool rejudge, size_t* gone) {
  std::vector<Finding> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->path().extension() != ".textproto") continue;
    FindingHeader h = ReadFindingHeader(it->path());
    if (h.signature.empty()) continue;
    if (rejudge) {
      std::optional<FindingHeader> now = Rejudge(it->path(), h.signature);
      if (!now) {
        if (gone != nullptr) ++*gone;
        continue;
      }
      h = *now;
    }
    Finding f;
    f.reproducer = it->path();
    f.signature = h.signature;
    f.known = h.known;
    f.root_cause = h.root_cause.empty() ? RootCauseFromWitness(h) : h.root_cause;
    for (const std::string& t : h.targets) f.targets += (f.targets.empty() ? "" : " ") + t;
    if (!h.scenario_events) {  // a finding from before the header named them: read its scenario
      const LoadResult loaded = LoadScenarioFile(it->path().string());
      h.scenario_events = loaded.scenario ? EventKindsOf(*loaded.scenario) : 0;
    }
    f.witness_label = h.cause_witness.empty() ? WitnessLabel(h) : h.cause_witness;
    f.scenario_events = *h.scenario_events;
    const Judgement j =
        Judge(corpus, h.property == "OUTCOME", h.known, h.signature, f.root_cause, f.scenario_events, f.witness_label);
    f.status = j.status;
    f.triage = j.triage;
    out.push_back(f);
  }
  std::vector<JudgedItem> items;
  for (Finding& f : out) {
    const std::optional<Signature> s = Signature::Parse(f.signature);
    items.push_back({f.root_cause, s ? s->target : std::string(), &f.status});
  }
  OpenAsAWhole(items);
  std::sort(out.begin(), out.end(), [](const Finding& a, const Finding& b) {
    return a.status != b.status ? a.status < b.status : a.signature < b.signature;
  });
  return out;
}

void MinimizeNewFindings(const fs::path& reproducers, int budget, bool quiet, const volatile sig_atomic_t& stop,
                         std::vector<Finding>& findings) {
  for (Finding& f : findings) {
    if (f.status != Status::kNew || budget <= 0 || stop) continue;  // the next session minimizes the rest
    --budget;
    const LoadResult loaded = LoadScenarioFile(f.reproducer.string());
    if (!loaded.scenario) continue;
    const std::string signature = f.signature;
    // Through its own root cause: what makes it NEW is the mechanism, which the reproducer must keep.
    const KeepsProperty shows = [&](const pb::Scenario& s) {
      return RunDifferential(s).ShowsThrough(signature, f.root_cause);
    };
    if (!shows(*loaded.scenario)) continue;  // not reproducible from its text form: keep the raw finding
    if (!quiet) std::fprintf(stderr, "minimizing: %s\n", signature.c_str());
    MinimizeOptions options;
    options.max_runs = 3000;
    const pb::Scenario small = Minimize(*loaded.scenario, shows, options);
    const fs::path out = reproducers / Signature::ReadableFileName(signature);
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    const std::string text = FormatReproducer(small, signature, RunDifferential(small), out.string());
    if (WriteFileAtomically(out.string(), text).empty()) f.minimized = out;
  }
}

void PrintFindings(const fs::path& out, const std::vector<Finding>& findings) {
  struct RootCause {
    std::set<std::string> where;  // target/platform
    std::set<std::string> roles;
    int signatures = 0;
    fs::path reproducer;
    const TriageRecord* triage = nullptr;
  };
  std::map<std::pair<Status, std::string>, RootCause> causes;
  std::string all;
  std::string differences;
  for (const Finding& f : findings) {
    char status[12];
    std::snprintf(status, sizeof status, "%-8s", Name(f.status));
    const std::string line = status + f.signature + "  " + f.reproducer.string() + "\n";
    all += line;
    if (f.status == Status::kDifference) {
      differences += line;
      continue;
    }
    RootCause& c = causes[{f.status, f.root_cause}];
    if (const std::optional<Signature> s = Signature::Parse(f.signature)) {
      c.where.insert(s->Where());
      c.roles.insert(s->role);
    }
    ++c.signatures;
    if (f.triage != nullptr) c.triage = f.triage;
    if (!f.minimized.empty() || c.reproducer.empty()) c.reproducer = f.minimized.empty() ? f.reproducer : f.minimized;
  }
  WriteFileAtomically((out / "findings.txt").string(), all);
  WriteFileAtomically((out / "differences.txt").string(), differences);
  std::printf("\n%zu root cause(s) of property violations; every signature is listed in %s\n\n", causes.size(),
              (out / "findings.txt").c_str());
  Status last = Status::kDifference;
  for (const auto& [key, c] : causes) {
    const auto& [status, root_cause] = key;
    if (status != last) {
      static const char* const kHeadings[] = {
          "NEW: untriaged (minimize, then `crashdiff triage FILE`; record the verdict in corpus/triage/)",
          "triaged (corpus/triage/)", "open: a reproducer in corpus/regressions awaits triage",
          "known: documented by the target"};
      std::printf("%s\n", kHeadings[static_cast<size_t>(status)]);
      last = status;
    }
    // "target (platform, platform)" per target, platforms abbreviated to a count when there are many.
    std::map<std::string, std::vector<std::string>> by_target;
    for (const std::string& w : c.where) {
      const size_t slash = w.find('/');
      by_target[w.substr(0, slash)].push_back(slash == std::string::npos ? "" : w.substr(slash + 1));
    }
    std::string where;
    for (const auto& [target, platforms] : by_target) {
      std::string list;
      if (platforms.size() > 3) {
        list = std::to_string(platforms.size()) + " platforms";
      } else {
        list = Join(platforms, ", ");
      }
      where += (where.empty() ? "" : "; ") + target + " (" + list + ")";
    }
    const std::string roles = Join(c.roles, ",");
    std::printf("  %-7s %-36s %3d sig  roles %s\n          on %s\n", Name(status), root_cause.c_str(), c.signatures,
                roles.c_str(), where.c_str());
    if (c.triage != nullptr) {
      std::printf("          %s: %s (%s)\n", std::string(VerdictName(c.triage->triage.verdict())).c_str(),
                  c.triage->triage.summary().c_str(), c.triage->file.c_str());
    }
    std::printf("          %s\n", c.reproducer.c_str());
  }
  const size_t n_differences = static_cast<size_t>(std::count_if(
      findings.begin(), findings.end(), [](const Finding& f) { return f.status == Status::kDifference; }));
  if (n_differences > 0) {
    std::printf("\noutcome differences (no property violated; information, not bugs): %zu signature(s) in %s\n",
                n_differences, (out / "differences.txt").c_str());
  }
}

}  // namespace crashdiff::campaign
