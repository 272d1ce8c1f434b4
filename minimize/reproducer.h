// Reproducer files: a text-format scenario with a header comment that says what it shows — the signature, which
// targets diverge and how, the expected outcome per target, and the command that replays it. The header format is
// diff/finding.h's (kind kReproducer); its "# expect" lines are what `crashdiff regress` compares against.
#pragma once

#include <string>
#include <vector>

#include "diff/differential.h"
#include "diff/finding.h"
#include "proto/scenario.pb.h"

namespace crashdiff {

// The expectation for every target in report (sorted by target name).
std::vector<Expectation> ExpectationsFrom(const DiffReport& report);

// The reproducer header for signature on report. replay_path is the path the header's replay command names.
FindingHeader MakeReproducerHeader(const std::string& signature, const DiffReport& report,
                                   const std::string& replay_path);

// Header comment + scenario text.
std::string FormatReproducer(const pb::Scenario& scenario, const std::string& signature, const DiffReport& report,
                             const std::string& replay_path);

}  // namespace crashdiff
