#include "diff/finding.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string_view>
#include <system_error>

#include "sim/scenario_io.h"
#include "sim/validate.h"
#include "util/atomic_file.h"

namespace crashdiff {
namespace {

constexpr std::string_view kExpectPrefix = "# expect ";
constexpr std::string_view kOutcomePrefix = "#   ";
constexpr std::string_view kClean = "clean";

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

void FormatFinding(const FindingHeader& h, std::ostringstream& out) {
  out << "# signature: " << h.signature << "\n"
      << "# known: " << (h.known ? "yes" : "no") << "\n"
      << "# property: " << h.property << "\n"
      << "# root-cause: " << h.root_cause << "\n"
      << "# targets:";
  for (const std::string& t : h.targets) out << " " << t;
  out << "\n# witness: " << h.witness << "\n";
  if (!h.cause_witness.empty()) out << "# cause-witness: " << h.cause_witness << "\n";
  for (const std::string& k : h.known_as) out << "# known-as: " << k << "\n";
  if (h.scenario_events) {
    out << "# events:";
    for (const std::string& name : EventKindNames(*h.scenario_events)) out << " " << name;
    out << "\n";
  }
  if (h.found_after_execs) out << "# found-after-execs: " << *h.found_after_execs << "\n";
  if (h.found_after_ms) out << "# found-after-ms: " << *h.found_after_ms << "\n";
}

void FormatReproducer(const FindingHeader& h, std::ostringstream& out) {
  out << kReproducerTitle << "\n# signature: " << h.signature << "\n# replay: " << h.replay << "\n";
  out << "#\n# Diverging targets, and how (per CPU: location at hand-over -> at the end):\n";
  for (const std::string& o : h.outcomes) out << kOutcomePrefix << o << "\n";
  out << "#\n# Expected outcome per target (crashdiff regress compares against these lines):\n";
  for (const Expectation& e : h.expect) {
    if (e.signatures.empty()) out << kExpectPrefix << e.target << ": " << kClean << "\n";
    for (const std::string& s : e.signatures) out << kExpectPrefix << e.target << ": " << s << "\n";
  }
}

// "# key: value" fields, by key.
void SetField(FindingHeader& h, const std::string& key, const std::string& value) {
  if (key == "signature") h.signature = value;
  if (key == "known") h.known = value == "yes";
  if (key == "property") h.property = value;
  if (key == "root-cause") h.root_cause = value;
  if (key == "witness") h.witness = value;
  if (key == "cause-witness") h.cause_witness = value;
  if (key == "known-as") h.known_as.push_back(value);
  if (key == "replay") h.replay = value;
  if (key == "targets") {
    std::istringstream words(value);
    for (std::string t; words >> t;) h.targets.push_back(t);
  }
  if (key == "events") {
    std::istringstream words(value);
    uint64_t kinds = 0;
    pb::EventKind kind;
    for (std::string name; words >> name;) {
      if (pb::EventKind_Parse(name, &kind)) kinds |= uint64_t{1} << kind;
    }
    h.scenario_events = kinds;
  }
  if (key == "found-after-execs") h.found_after_execs = std::strtoull(value.c_str(), nullptr, 10);
  if (key == "found-after-ms") h.found_after_ms = std::strtoll(value.c_str(), nullptr, 10);
}

}  // namespace

FindingHeader MakeFindingHeader(const Divergence& d, const DiffReport& report) {
  FindingHeader h;
  h.signature = d.signature;
  h.known = d.known;
  h.property = d.property;
  h.root_cause = d.root_cause;
  h.witness = d.witness;
  if (d.cause_label != d.at.label) h.cause_witness = std::string(d.cause_label);
  h.scenario_events = d.scenario_events;
  for (const Divergence& other : report.divergences) {
    if (other.signature != d.signature) continue;
    h.targets.push_back(other.target);
    if (other.known) h.known_as.push_back(other.target + ": " + other.known_as);
  }
  return h;
}

std::string FormatFindingHeader(const FindingHeader& h) {
  std::ostringstream out;
  if (h.kind == FindingHeader::Kind::kReproducer) {
    FormatReproducer(h, out);
  } else {
    FormatFinding(h, out);
  }
  return out.str();
}

FindingHeader ParseFindingHeader(const std::string& text) {
  FindingHeader h;
  std::map<std::string, std::vector<std::string>> expect;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line) && line.rfind('#', 0) == 0;) {
    line = TrimRight(line);
    if (line == kReproducerTitle) h.kind = FindingHeader::Kind::kReproducer;
    if (line.rfind(kExpectPrefix, 0) == 0) {
      // "# expect <target>: <signature>" or "# expect <target>: clean"
      const std::string rest = line.substr(kExpectPrefix.size());
      const size_t colon = rest.find(": ");
      if (colon == std::string::npos) continue;
      std::vector<std::string>& list = expect[rest.substr(0, colon)];
      if (rest.substr(colon + 2) != kClean) list.push_back(rest.substr(colon + 2));
      continue;
    }
    if (line.rfind(kOutcomePrefix, 0) == 0) {
      h.outcomes.push_back(line.substr(kOutcomePrefix.size()));
      continue;
    }
    const size_t colon = line.find(": ");
    if (line.rfind("# ", 0) != 0 || colon == std::string::npos) continue;
    SetField(h, line.substr(2, colon - 2), line.substr(colon + 2));
  }
  for (auto& [target, sigs] : expect) {
    std::sort(sigs.begin(), sigs.end());
    h.expect.push_back(Expectation{target, std::move(sigs)});
  }
  return h;
}

FindingHeader ReadFindingHeader(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string head;
  for (std::string line; std::getline(in, line) && line.rfind('#', 0) == 0;) head += line + "\n";
  return ParseFindingHeader(head);
}

std::string FindingStem(const std::string& signature) {
  uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a, as fuzz::FeatureHash: the names of existing work directories
  for (char ch : signature) {
    h ^= static_cast<uint8_t>(ch);
    h *= 0x100000001B3ull;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "sig-%016llx", static_cast<unsigned long long>(h));
  return buf;
}

bool RecordFinding(const std::string& dir, const Divergence& d, const DiffReport& report, const pb::Scenario& s,
                   const FoundAfter* found_after) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string stem = FindingStem(d.signature);
  const std::string final_path = dir + "/" + stem + ".textproto";
  if (std::filesystem::exists(final_path, ec)) return false;
  FindingHeader header = MakeFindingHeader(d, report);
  if (found_after != nullptr) {
    header.found_after_execs = found_after->executions;
    header.found_after_ms = found_after->milliseconds;
  }
  // The first worker to find a signature keeps its reproducer.
  return CreateFileAtomically(final_path, FormatFindingHeader(header) + ScenarioToText(s)) == CreateResult::kCreated;
}

}  // namespace crashdiff
