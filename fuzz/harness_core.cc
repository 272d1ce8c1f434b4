#include "fuzz/harness_core.h"

#include <fcntl.h>
#include <google/protobuf/stubs/logging.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "diff/finding.h"
#include "diff/runner.h"
#include "fuzz/features.h"
#include "fuzz/mutator/fix.h"
#include "fuzz/mutator/input.h"
#include "sim/rng.h"
#include "sim/scenario_io.h"
#include "sim/validate.h"
#include "util/atomic_file.h"

namespace crashdiff::fuzz {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

HarnessConfig HarnessConfig::FromEnvironment() {
  HarnessConfig c;
  c.findings_dir = Env("CRASHDIFF_FINDINGS_DIR");
  c.family = FamilyFromEnvironment();
  c.target = Env("CRASHDIFF_TARGET");
  if (!Env("CRASHDIFF_SEEDS").empty()) c.seed_dirs.push_back(Env("CRASHDIFF_SEEDS"));
  c.deterministic = Env("CRASHDIFF_DETERMINISTIC") == "1";
  if (Env("CRASHDIFF_EDGE_COUNTS") == "1") c.edges = EdgeFeatures::kWithCounts;
  if (Env("CRASHDIFF_EDGE_FEATURES") == "0") c.edges = EdgeFeatures::kNone;
  c.count_features = Env("CRASHDIFF_COUNT_FEATURES") == "1";
  return c;
}

void LearnLabels(const std::vector<pb::Scenario>& scenarios, LabelPool& pool) {
  for (const pb::Scenario& s : scenarios) {
    for (const TargetSpec* t : TargetsFor(s)) {
      pool.AddTrace(s.machine().family(), RunOnTarget(*t, s, RunOptions{.record_trace = true}).trace);
    }
  }
}

Harness::Harness(HarnessConfig config)
    : config_(std::move(config)), mutator_(MutatorOptions{.labels = &labels_, .only_family = config_.family}) {}

void Harness::Initialize(const std::vector<std::string>& extra_dirs) {
  RegisterModelFeatures();
  // Byte-level mutants put invalid UTF-8 into string fields; protobuf logs each one (for proto2 it only logs).
  // Those lines would drown the engine's own output.
  google::protobuf::SetLogHandler([](google::protobuf::LogLevel, const char*, int, const std::string&) {});
  std::vector<std::string> dirs = config_.seed_dirs;
  dirs.insert(dirs.end(), extra_dirs.begin(), extra_dirs.end());
  std::vector<pb::Scenario> seeds;
  for (const std::string& d : dirs) {
    std::vector<pb::Scenario> some = LoadScenarioDir(d);
    // Labels come from a sample: a large corpus would make start-up slow, and a few runs per family suffice.
    if (some.size() > 200) some.resize(200);
    seeds.insert(seeds.end(), some.begin(), some.end());
  }
  for (pb::Family f : {pb::PPC, pb::X86, pb::ARM64}) seeds.push_back(MinimalScenario(f));
  LearnLabels(seeds, labels_);
}

void Harness::RecordFeatures(const pb::Scenario& scenario, const DiffReport& report) {
  ModelFeatureHashes(scenario, report, features_);
  for (uint64_t h : features_) BumpFeature(h);
}

void Harness::CountFeatures() {
  edge_counters_ += NonZeroEdgeCounters();
  model_counters_ += NonZeroModelCounters();
  if (++counted_ % 5000 == 0) {
    std::fprintf(stderr, "crashdiff features per execution: edge %.1f model %.1f\n",
                 static_cast<double>(edge_counters_) / static_cast<double>(counted_),
                 static_cast<double>(model_counters_) / static_cast<double>(counted_));
  }
}

void Harness::Report(const pb::Scenario& scenario, const DiffReport& report) {
  for (const Divergence& d : report.divergences) {
    const auto it = std::lower_bound(seen_.begin(), seen_.end(), d.signature);
    if (it != seen_.end() && *it == d.signature) continue;
    seen_.insert(it, d.signature);
    if (!config_.findings_dir.empty()) {
      const auto elapsed = std::chrono::steady_clock::now() - started_;
      FoundAfter found{executions_, std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()};
      if (config_.deterministic) found.milliseconds.reset();
      if (RecordFinding(config_.findings_dir, d, report, scenario, &found)) ++recorded_;
      continue;
    }
    // OSS-Fuzz mode: a documented bug of a known-buggy target is not a crash, nor is an outcome difference with
    // no property violated (information about the implementation, not a bug).
    if (d.known || d.difference()) continue;
    std::fprintf(stderr, "==crashdiff== NEW DIVERGENCE: %s\n==crashdiff== witness: %s\n%s", d.signature.c_str(),
                 d.witness.c_str(), ScenarioToText(scenario).c_str());
    // The first line is what ClusterFuzz shows as the crash state; abort() gives it a stable stack.
    std::fprintf(stderr, "crashdiff divergence: %s\n", d.signature.c_str());
    std::abort();
  }
}

int Harness::Run(const uint8_t* data, size_t size) {
  // The campaign's clock starts with its first execution: the engine's own start-up (libFuzzer allocates its
  // feature tables, reads the corpus and dictionary) is not search time.
  if (executions_ == 0) started_ = std::chrono::steady_clock::now();
  ++executions_;
  const std::optional<pb::Scenario> s = ParseInput(data, size);
  if (!s) return -1;
  if (config_.family != pb::FAMILY_UNSPECIFIED && s->machine().family() != config_.family) return -1;
  DiffOptions options;
  options.only_target = config_.target;
  options.hash_traces = false;
  const DiffReport report = RunDifferential(*s, options);
  if (config_.edges == EdgeFeatures::kNone) ClearEdgeCounters();
  if (config_.edges == EdgeFeatures::kWithoutCounts) SaturateEdgeCounters();
  RecordFeatures(*s, report);
  if (config_.count_features) CountFeatures();
  Report(*s, report);
  return 0;
}

size_t Harness::Mutate(uint8_t* data, size_t size, size_t max_size, uint64_t seed) {
  Rng rng(seed);
  std::optional<pb::Scenario> s = ParseInput(data, size);
  if (!s) {
    // Not a scenario (e.g. an empty or byte-mutated input): start from a minimal one of an allowed family.
    static constexpr pb::Family kFamilies[] = {pb::PPC, pb::X86, pb::ARM64};
    s = MinimalScenario(config_.family != pb::FAMILY_UNSPECIFIED ? config_.family : kFamilies[rng.Below(3)]);
  }
  mutator_.Mutate(*s, rng);
  const size_t n = SerializeWithin(*s, data, max_size);
  return n == 0 ? size : n;
}

size_t Harness::FitMutant(uint8_t* data, size_t size, size_t max_size) const {
  std::optional<pb::Scenario> s = ParseInput(data, size);
  if (!s) return 0;
  mutator_.Fit(*s);
  return SerializeWithin(*s, data, max_size);
}

size_t Harness::CrossOver(const uint8_t* a, size_t a_size, const uint8_t* b, size_t b_size, uint8_t* out,
                          size_t max_size, uint64_t seed) {
  const std::optional<pb::Scenario> sa = ParseInput(a, a_size);
  const std::optional<pb::Scenario> sb = ParseInput(b, b_size);
  if (!sa || !sb) return 0;
  Rng rng(seed);
  pb::Scenario child;
  mutator_.CrossOver(*sa, *sb, child, rng);
  const size_t n = SerializeWithin(child, out, max_size);
  // A child identical to a parent (e.g. a splice of two inputs that share their events) is not worth an
  // execution: 0 makes libFuzzer choose another mutation.
  const auto same = [&](const uint8_t* p, size_t p_size) { return n == p_size && std::memcmp(out, p, n) == 0; };
  return same(a, a_size) || same(b, b_size) ? 0 : n;
}

}  // namespace crashdiff::fuzz
