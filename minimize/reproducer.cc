#include "minimize/reproducer.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

constexpr std::string_view kSignatureLine = "# signature: ";
constexpr std::string_view kExpectLine = "# expect ";
constexpr std::string_view kClean = "clean";

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace

std::string SignatureKey(const std::string& signature) {
  const size_t bracket = signature.rfind(" [");
  if (bracket == std::string::npos || signature.back() != ']') return signature;
  return signature.substr(0, bracket);
}

std::string SignatureTarget(const std::string& signature) {
  const size_t bracket = signature.rfind(" [");
  if (bracket == std::string::npos || signature.back() != ']') return "";
  const std::string inside = signature.substr(bracket + 2, signature.size() - bracket - 3);
  return inside.substr(0, inside.find('/'));
}

std::string SignatureRole(const std::string& signature) {
  // "<PRn> <short-name>: <role> <what> [<target>/<platform>]"
  const size_t colon = signature.find(": ");
  if (colon == std::string::npos) return "";
  const size_t start = colon + 2;
  return signature.substr(start, signature.find(' ', start) - start);
}

std::string ReproducerFileName(const std::string& signature) {
  std::string out;
  bool dash = false;
  for (char c : signature) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (dash && !out.empty()) out += '-';
      out += c;
      dash = false;
    } else {
      dash = true;
    }
    if (out.size() >= 100) break;
  }
  // A readable prefix can be shared by two signatures ("...[t/doorbell]" and "...[t/doorbell+nmi-sysreset]" cut
  // at the same place): a hash of the whole signature keeps every name distinct (FNV-1a, stable across builds).
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : signature) h = (h ^ c) * 0x100000001b3ull;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(h ^ (h >> 32)));
  return out + "-" + hex + ".textproto";
}

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

std::string FormatReproducer(const pb::Scenario& scenario, const std::string& signature, const DiffReport& report,
                             const std::string& replay_path) {
  std::ostringstream h;
  h << "# crashdiff reproducer (minimized)\n";
  h << kSignatureLine << signature << "\n";
  h << "# replay: ./crashdiff run " << replay_path << " --explain\n";
  h << "#\n# Diverging targets, and how (per CPU: location at hand-over -> at the end):\n";
  for (const TargetReport& t : report.targets) {
    bool shows = false;
    for (const Divergence& d : t.divergences) shows |= d.signature == signature;
    if (!shows) continue;
    h << "#   " << t.target << ":";
    for (size_t c = 0; c < t.result.cpus.size(); ++c) {
      h << " cpu" << c << "=" << Name(t.result.cpus[c].at_handover) << "->" << Name(t.result.cpus[c].final);
    }
    h << "\n";
  }
  h << "#   reference:";
  for (size_t c = 0; c < report.reference.cpus.size(); ++c) {
    h << " cpu" << c << "=" << Name(report.reference.cpus[c].at_handover) << "->"
      << Name(report.reference.cpus[c].final);
  }
  h << "\n#\n# Expected outcome per target (crashdiff regress compares against these lines):\n";
  for (const Expectation& e : ExpectationsFrom(report)) {
    if (e.signatures.empty()) h << kExpectLine << e.target << ": " << kClean << "\n";
    for (const std::string& s : e.signatures) h << kExpectLine << e.target << ": " << s << "\n";
  }
  h << "\n" << ScenarioToText(scenario);
  return h.str();
}

ReproducerHeader ParseReproducerHeader(const std::string& text) {
  ReproducerHeader out;
  std::map<std::string, std::vector<std::string>> expect;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.rfind(kSignatureLine, 0) == 0) {
      out.signature = line.substr(kSignatureLine.size());
    } else if (line.rfind(kExpectLine, 0) == 0) {
      const std::string rest = line.substr(kExpectLine.size());
      const size_t colon = rest.find(": ");
      if (colon == std::string::npos) continue;
      const std::string target = rest.substr(0, colon);
      const std::string sig = rest.substr(colon + 2);
      auto& list = expect[target];
      if (sig != kClean) list.push_back(sig);
    }
  }
  for (auto& [target, sigs] : expect) {
    std::sort(sigs.begin(), sigs.end());
    out.expect.push_back(Expectation{target, sigs});
  }
  return out;
}

}  // namespace crashdiff
