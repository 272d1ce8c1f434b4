#include "minimize/reproducer.h"

#include <algorithm>

#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

// "<who>: cpu0=A->B cpu1=..." (location at hand-over -> at the end).
std::string OutcomeLine(const std::string& who, const RunResult& r) {
  std::string line = who + ":";
  for (size_t c = 0; c < r.cpus.size(); ++c) {
    line += " cpu" + std::to_string(c) + "=" + std::string(Name(r.cpus[c].at_handover)) + "->" +
            std::string(Name(r.cpus[c].final));
  }
  return line;
}

}  // namespace

std::vector<Expectation> ExpectationsFrom(const DiffReport& report) {
  std::vector<Expectation> out;
  for (const TargetReport& t : report.targets) {
    Expectation e{t.target, {}};
    for (const Divergence& d : t.divergences) e.signatures.push_back(d.signature);
    std::sort(e.signatures.begin(), e.signatures.end());
    e.signatures.erase(std::unique(e.signatures.begin(), e.signatures.end()), e.signatures.end());
    out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const Expectation& a, const Expectation& b) { return a.target < b.target; });
  return out;
}

FindingHeader MakeReproducerHeader(const std::string& signature, const DiffReport& report,
                                   const std::string& replay_path) {
  FindingHeader h;
  h.kind = FindingHeader::Kind::kReproducer;
  h.signature = signature;
  h.replay = "./crashdiff run " + replay_path + " --explain";
  for (const TargetReport& t : report.targets) {
    if (t.Find(signature) != nullptr) h.outcomes.push_back(OutcomeLine(t.target, t.result));
  }
  h.outcomes.push_back(OutcomeLine("reference", report.reference));
  h.expect = ExpectationsFrom(report);
  return h;
}

std::string FormatReproducer(const pb::Scenario& scenario, const std::string& signature, const DiffReport& report,
                             const std::string& replay_path) {
  return FormatFindingHeader(MakeReproducerHeader(signature, report, replay_path)) + "\n" + ScenarioToText(scenario);
}

}  // namespace crashdiff
