// The header of a finding file: a text-format scenario behind "# " comment lines. One format, read and written
// here, for both kinds of file:
//   a campaign finding (fuzz/harness_core.cc writes it into <out>/findings/): "# signature:", "# known:",
//     "# property:", "# root-cause:", "# targets:", "# witness:", "# known-as:" and the "# found-after-*" lines;
//   a reproducer (minimize/reproducer.cc: corpus/regressions, <out>/reproducers): a title line, "# signature:",
//     "# replay:", the per-target outcomes ("#   <target>: cpu0=A->B ...") and the "# expect <target>: <signature>"
//     lines `crashdiff regress` compares against.
// The header is the "#" lines the file starts with; readers skip lines they do not know, so the header can grow.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "diff/differential.h"

namespace crashdiff {

// What one target is expected to show on a reproducer: its divergence signatures (empty: clean).
struct Expectation {
  std::string target;
  std::vector<std::string> signatures;
  bool operator==(const Expectation&) const = default;
};

struct FindingHeader {
  enum class Kind { kFinding, kReproducer };
  Kind kind = Kind::kFinding;  // a reproducer starts with kReproducerTitle
  std::string signature;
  // Campaign findings.
  bool known = false;
  std::string property;
  std::string root_cause;            // Divergence::root_cause
  std::vector<std::string> targets;  // every target of the run that showed the signature
  // Per target that showed it as a documented bug: "<target>: <Describe(mechanism)>" (rediscovery watches these).
  std::vector<std::string> known_as;
  std::string witness;
  // The step label of the witness of its root cause's divergence when it is a consequence of another (the witness's
  // own label otherwise, and then not written): what triage records' witness labels are checked against.
  std::string cause_witness;
  // The event kinds of the scenario (EventKindsOf; "# events:", by name), which triage records may require; absent
  // in findings written before the line existed.
  std::optional<uint64_t> scenario_events;
  // When the campaign found it: the harness call that found it and milliseconds since its first call.
  std::optional<uint64_t> found_after_execs;
  std::optional<int64_t> found_after_ms;
  // Reproducers.
  std::string replay;                 // the command that replays it
  std::vector<std::string> outcomes;  // "<target>: cpu0=A->B ..." per diverging target, then "reference: ..."
  std::vector<Expectation> expect;    // sorted by target; each target's signatures sorted
};

inline constexpr const char* kReproducerTitle = "# crashdiff reproducer (minimized)";

// The header for divergence d of report (its targets are every target of report showing d's signature).
FindingHeader MakeFindingHeader(const Divergence& d, const DiffReport& report);
// "#" lines, each ending in '\n', in the layout of h.kind (a reproducer's ends with "#" lines explaining it).
std::string FormatFindingHeader(const FindingHeader& h);
// The header of a finding's or reproducer's text (the "#" lines it starts with). No "# signature:": signature "".
FindingHeader ParseFindingHeader(const std::string& text);
// The same for a file; signature "" when it cannot be read.
FindingHeader ReadFindingHeader(const std::filesystem::path& file);

// The file stem the fuzz harness gives the finding of a signature: "sig-" + 16 hex digits of its FNV-1a hash (a
// campaign's findings/ directory: one file per signature, the first finder's).
std::string FindingStem(const std::string& signature);

// When a finding was found, for benchmarks (bench/rediscover.cc): the finder's executions up to and including the
// one that found it (the fuzz harness: calls of Harness::Run()), and milliseconds since its first execution.
struct FoundAfter {
  uint64_t executions = 0;
  std::optional<int64_t> milliseconds;  // unset: the header has no found-after-ms line
};

// Writes scenario (text format, with a header naming the divergence) as <dir>/FindingStem(signature).textproto,
// atomically: a temporary file, then link() to the final name, so concurrent workers never see half a file and the
// first finder of a signature keeps it. Returns true if this call created the file. With found_after, the header also
// has "# found-after-execs: N" and "# found-after-ms: T" (readers of findings skip "#" lines they do not know).
bool RecordFinding(const std::string& dir, const Divergence& divergence, const DiffReport& report,
                   const pb::Scenario& scenario, const FoundAfter* found_after = nullptr);

}  // namespace crashdiff
