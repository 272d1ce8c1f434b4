// The target interface: one model of a real crash-wake implementation. A target is one file that defines a
// TargetSpec and registers it with one line:
//   CRASHDIFF_TARGET(kPpcUpstream);
// The simulator runs the Program the spec's factory builds; the differ and the CLI find targets by name.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proto/scenario.pb.h"
#include "sim/program.h"

namespace crashdiff {

class Machine;

// A documented bug of the target: divergences whose signature contains `signature_part` are known, not new.
struct KnownDivergence {
  std::string signature_part;  // a fragment of the digit-free signature, e.g. "PR3 lost-wake"
  std::string fixed_by;        // the commit that fixed it upstream, or "" if unfixed
  std::string note;
};

struct TargetSpec {
  std::string name;  // e.g. "ppc-upstream-clear-then-check"
  pb::Family family;
  std::vector<pb::Platform> platforms;  // platforms it can run on
  std::string models;                   // kernel tree, file, function, commit it models
  std::string summary;
  std::vector<KnownDivergence> known;
  // Creates the target's shared state on the machine and returns the kernel model to run.
  std::function<std::unique_ptr<Program>(Machine&)> make;

  bool Supports(pb::Platform p) const;
};

bool RegisterTarget(const TargetSpec& spec);
// Every registered target, sorted by name.
const std::vector<const TargetSpec*>& AllTargets();
const TargetSpec* FindTarget(std::string_view name);

#define CRASHDIFF_TARGET_CONCAT2(a, b) a##b
#define CRASHDIFF_TARGET_CONCAT(a, b) CRASHDIFF_TARGET_CONCAT2(a, b)
#define CRASHDIFF_TARGET(spec)                                                                  \
  [[maybe_unused]] static const bool CRASHDIFF_TARGET_CONCAT(crashdiff_registered_, __LINE__) = \
      ::crashdiff::RegisterTarget(spec)

}  // namespace crashdiff
