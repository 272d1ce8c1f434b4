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

// A documented bug of the target, named by its mechanism: a divergence is known when its property matches and
// every field given here matches too (an empty field matches anything). Precise fields keep a different cause
// on the same role visible: a known lost wake in the offline loop's stop (PR3, offline-target, witness L2) does
// not hide a PR3 of an online CPU, nor one that sleeps elsewhere.
struct KnownDivergence {
  std::string property{};                 // "PR3"
  std::string role{};                     // "offline-target", or "" for any role
  std::string what{};                     // a fragment of the digit-free what, e.g. "STOPPED_HW at hand-over"
  std::vector<std::string> labels{};      // witness step labels the mechanism shows at ("L2"), or {} for any
  std::vector<pb::Platform> platforms{};  // where the mechanism exists, or {} for every platform of the target
  std::string fixed_by{};                 // the commit that fixed it upstream, or "" if unfixed
  std::string note{};
};

// A property that does not apply to a target (or to some of its platforms), with the kernel reason. Its checker
// is not run on that target: a protocol the implementation does not have cannot be broken by it.
struct NotApplicable {
  std::string property{};                 // "PR11"
  std::vector<pb::Platform> platforms{};  // {} for every platform of the target
  std::string reason{};
};

struct TargetSpec {
  std::string name;  // e.g. "ppc-upstream-clear-then-check"
  pb::Family family;
  std::vector<pb::Platform> platforms;  // platforms it can run on
  std::string models;                   // kernel tree, file, function, commit it models
  std::string summary;
  std::vector<KnownDivergence> known;
  std::vector<NotApplicable> not_applicable{};
  // Not a kernel tree: a mutant of a real target (one ordering removed) that exists to measure the tool, or a
  // suggested fix (docs/REPORTS). Never part of a campaign, `regress` or the target list; runs only when named
  // (--target), e.g. by the ordering-witness bench or `regress --target` / `patch --target` for a fix.
  bool test_only = false;
  // Creates the target's shared state on the machine and returns the kernel model to run.
  std::function<std::unique_ptr<Program>(Machine&)> make;

  bool Supports(pb::Platform p) const;
  // Whether the property's checker runs on this target on platform p.
  bool Applies(std::string_view property, pb::Platform p) const;
};

// "PR3 offline-target \"sleeps in STOPPED_HW\" @L2" : a known mechanism for people.
std::string Describe(const KnownDivergence& k);

bool RegisterTarget(const TargetSpec& spec);
// Every registered target but the test-only mutants, sorted by name.
const std::vector<const TargetSpec*>& AllTargets();
// The test-only mutants, sorted by name.
std::vector<const TargetSpec*> TestOnlyTargets();
// Any registered target, test-only mutants included.
const TargetSpec* FindTarget(std::string_view name);

#define CRASHDIFF_TARGET_CONCAT2(a, b) a##b
#define CRASHDIFF_TARGET_CONCAT(a, b) CRASHDIFF_TARGET_CONCAT2(a, b)
#define CRASHDIFF_TARGET(spec)                                                                  \
  [[maybe_unused]] static const bool CRASHDIFF_TARGET_CONCAT(crashdiff_registered_, __LINE__) = \
      ::crashdiff::RegisterTarget(spec)

}  // namespace crashdiff
