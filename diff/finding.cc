#include "diff/finding.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace crashdiff {

FindingHeader MakeFindingHeader(const Divergence& d, const DiffReport& report) {
  FindingHeader h;
  h.signature = d.signature;
  h.known = d.known;
  h.property = d.property;
  h.root_cause = d.root_cause;
  h.witness = d.witness;
  for (const Divergence& other : report.divergences) {
    if (other.signature != d.signature) continue;
    h.targets.push_back(other.target);
    if (other.known) h.known_as.push_back(other.target + ": " + other.known_as);
  }
  return h;
}

std::string FormatFindingHeader(const FindingHeader& h) {
  std::ostringstream out;
  out << "# signature: " << h.signature << "\n"
      << "# known: " << (h.known ? "yes" : "no") << "\n"
      << "# property: " << h.property << "\n"
      << "# root-cause: " << h.root_cause << "\n"
      << "# targets:";
  for (const std::string& t : h.targets) out << " " << t;
  out << "\n# witness: " << h.witness << "\n";
  for (const std::string& k : h.known_as) out << "# known-as: " << k << "\n";
  if (h.found_after_execs) out << "# found-after-execs: " << *h.found_after_execs << "\n";
  if (h.found_after_ms) out << "# found-after-ms: " << *h.found_after_ms << "\n";
  return out.str();
}

FindingHeader ParseFindingHeader(const std::string& text) {
  FindingHeader h;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line) && line.rfind('#', 0) == 0;) {
    const size_t colon = line.find(": ");
    if (line.rfind("# ", 0) != 0 || colon == std::string::npos) continue;
    const std::string key = line.substr(2, colon - 2);
    const std::string value = line.substr(colon + 2);
    if (key == "signature") h.signature = value;
    if (key == "known") h.known = value == "yes";
    if (key == "property") h.property = value;
    if (key == "root-cause") h.root_cause = value;
    if (key == "witness") h.witness = value;
    if (key == "known-as") h.known_as.push_back(value);
    if (key == "targets") {
      std::istringstream words(value);
      for (std::string t; words >> t;) h.targets.push_back(t);
    }
    if (key == "found-after-execs") h.found_after_execs = std::strtoull(value.c_str(), nullptr, 10);
    if (key == "found-after-ms") h.found_after_ms = std::strtoll(value.c_str(), nullptr, 10);
  }
  return h;
}

FindingHeader ReadFindingHeader(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string head;
  for (std::string line; std::getline(in, line) && line.rfind('#', 0) == 0;) head += line + "\n";
  return ParseFindingHeader(head);
}

}  // namespace crashdiff
