// A campaign finding: the scenario that first showed a divergence signature, in text format behind a "# key: value"
// header. The fuzz harness writes it (fuzz/harness_core.cc); `crashdiff fuzz`, the rediscovery benchmark and the
// tests read it. Readers skip header keys they do not know, so the header can grow.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "diff/differential.h"

namespace crashdiff {

struct FindingHeader {
  std::string signature;
  bool known = false;
  std::string property;
  std::string root_cause;            // Divergence::root_cause
  std::vector<std::string> targets;  // every target of the run that showed the signature
  // Per target that showed it as a documented bug: "<target>: <Describe(mechanism)>" (rediscovery watches these).
  std::vector<std::string> known_as;
  std::string witness;
  // When the campaign found it: the harness call that found it and milliseconds since its first call.
  std::optional<uint64_t> found_after_execs;
  std::optional<int64_t> found_after_ms;
};

// The header for divergence d of report (its targets are every target of report showing d's signature).
FindingHeader MakeFindingHeader(const Divergence& d, const DiffReport& report);
// "# key: value" lines, each ending in '\n'.
std::string FormatFindingHeader(const FindingHeader& h);
// The header of a finding's text (the "#" lines it starts with). A text without "# signature:" has signature "".
FindingHeader ParseFindingHeader(const std::string& text);
// The same for a file; signature "" when it cannot be read.
FindingHeader ReadFindingHeader(const std::filesystem::path& file);

}  // namespace crashdiff
