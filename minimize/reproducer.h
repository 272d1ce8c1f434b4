// Reproducer files: a text-format scenario with a header comment that says what it shows — the signature, which
// targets diverge and how, the expected outcome per target, and the command that replays it. The "# expect" lines
// are also what `crashdiff regress` compares against.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "diff/differential.h"
#include "proto/scenario.pb.h"

namespace crashdiff {

// What one target is expected to show on a reproducer: its divergence signatures (empty: clean).
struct Expectation {
  std::string target;
  std::vector<std::string> signatures;
};

// The part of a signature that names the bug, without the "[target/platform]" suffix, so the same bug can be
// recognised on another target (a patch modelled as a new target).
std::string SignatureKey(const std::string& signature);
// The target a signature names in its "[target/platform]" suffix (empty when it has none).
std::string SignatureTarget(const std::string& signature);
// The role a signature names ("loser", "offline-target", ...); "" when it has none.
std::string SignatureRole(const std::string& signature);

// Deterministic file name for a signature: lower-case words joined by '-', plus ".textproto".
std::string ReproducerFileName(const std::string& signature);

// The expectation for every target in report (sorted by target name).
std::vector<Expectation> ExpectationsFrom(const DiffReport& report);

// Header comment + scenario text. replay_path is the path the header's replay command names.
std::string FormatReproducer(const pb::Scenario& scenario, const std::string& signature, const DiffReport& report,
                             const std::string& replay_path);

// The "# signature:" and "# expect" lines of a reproducer's header.
struct ReproducerHeader {
  std::string signature;
  std::vector<Expectation> expect;
};
ReproducerHeader ParseReproducerHeader(const std::string& text);

}  // namespace crashdiff
