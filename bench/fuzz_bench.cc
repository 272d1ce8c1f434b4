// Fuzzing throughput and effectiveness (the rediscovery requirement: docs/PERFORMANCE.md):
//   BM_Differential/<family>   differential executions per second per core over the seed corpus (one execution =
//                              the scenario on every target of its family + the reference + property checks)
//   BM_Corpus/<family>         the same over a campaign's kept corpus ($CRASHDIFF_BENCH_CORPUS): campaign mutants
//   BM_Mutate / BM_CrossOver / BM_FixValid / BM_ParseInput   the mutator's own costs
//   BM_Rediscover/<family>/<mutator>  attempts until the first documented (known) divergence the seeds do not
//                              show, starting from the family's seeds: structure-aware mutator vs a byte-level
//                              baseline (bit flips, byte sets, inserts, erases, chunk copies on the protobuf bytes;
//                              what does not decode to a valid scenario is rejected, as the harness does).
// A documented bug counts when some target declares it known and no seed shows it already (on any platform).
// Seeds come from $CRASHDIFF_SOURCE_DIR/corpus/seeds (default: ./corpus/seeds).
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "bench/byte_mutant.h"
#include "diff/differential.h"
#include "diff/runner.h"
#include "fuzz/mutator/fix.h"
#include "fuzz/mutator/input.h"
#include "fuzz/mutator/mutator.h"
#include "proto/family_name.h"
#include "sim/rng.h"
#include "sim/validate.h"

namespace crashdiff::fuzz {
namespace {

namespace fs = std::filesystem;

// The regular files under dir (its subdirectories too with fs::recursive_directory_iterator), sorted: the same
// order on every run.
template <typename Iterator>
std::vector<fs::path> SortedFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (auto it = Iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

const std::map<std::string, std::vector<pb::Scenario>>& Seeds() {
  static const auto seeds = [] {
    std::map<std::string, std::vector<pb::Scenario>> out;
    const char* root = std::getenv("CRASHDIFF_SOURCE_DIR");
    const fs::path dir = fs::path(root != nullptr ? root : ".") / "corpus" / "seeds";
    for (const fs::path& f : SortedFiles<fs::recursive_directory_iterator>(dir)) {
      if (auto s = ParseInputFile(f)) out[f.parent_path().filename().string()].push_back(*s);
    }
    for (const FamilyNameRow& row : kFamilyNames) {
      const std::string name(row.name);
      if (out[name].empty()) out[name].push_back(MinimalScenario(row.family));
    }
    return out;
  }();
  return seeds;
}

// As the fuzz harness runs an input (Harness::Run): no trace kept, no trace hash.
void RunSeeds(benchmark::State& state, const std::vector<pb::Scenario>& seeds) {
  DiffOptions as_harness;
  as_harness.hash_traces = false;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(RunDifferential(seeds[i++ % seeds.size()], as_harness));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["seeds"] = static_cast<double>(seeds.size());
}

// The malloc the figures were taken with, in the context block (the programs link mimalloc when it is installed).
[[maybe_unused]] const bool kAllocatorNoted = [] {
  benchmark::AddCustomContext("allocator", dlsym(RTLD_DEFAULT, "mi_version") != nullptr ? "mimalloc" : "libc");
  return true;
}();

void BM_Differential(benchmark::State& state, const char* family) {
  RunSeeds(state, Seeds().at(family));
}
BENCHMARK_CAPTURE(BM_Differential, ppc, "ppc")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Differential, x86, "x86")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Differential, arm64, "arm64")->Unit(benchmark::kMicrosecond);

// A campaign's kept corpus (libFuzzer's corpus directory, $CRASHDIFF_BENCH_CORPUS) per family: what executions of
// campaign mutants cost, without the engine's own work and without its load's noise (the same units every run).
const std::map<std::string, std::vector<pb::Scenario>>& CampaignCorpus() {
  static const auto corpus = [] {
    std::map<std::string, std::vector<pb::Scenario>> out;
    const char* dir = std::getenv("CRASHDIFF_BENCH_CORPUS");
    if (dir == nullptr) return out;
    for (const fs::path& f : SortedFiles<fs::directory_iterator>(dir)) {
      if (auto s = ParseInputFile(f)) out[FamilyName(s->machine().family())].push_back(*s);
    }
    return out;
  }();
  return corpus;
}

void BM_Corpus(benchmark::State& state, const char* family) {
  const auto it = CampaignCorpus().find(family);
  if (it == CampaignCorpus().end() || it->second.empty()) {
    state.SkipWithError("set CRASHDIFF_BENCH_CORPUS to a campaign's corpus directory (DIR/corpus)");
    return;
  }
  RunSeeds(state, it->second);
}
BENCHMARK_CAPTURE(BM_Corpus, ppc, "ppc")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Corpus, x86, "x86")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Corpus, arm64, "arm64")->Unit(benchmark::kMicrosecond);

// The same seeds with store buffers on (machine.memory_model ARCHITECTURE): what the memory model costs. Compare
// with BM_Differential of the same family.
void BM_DifferentialStoreBuffers(benchmark::State& state, const char* family) {
  std::vector<pb::Scenario> seeds = Seeds().at(family);
  for (pb::Scenario& s : seeds) s.mutable_machine()->set_memory_model(pb::ARCHITECTURE);
  RunSeeds(state, seeds);
}
BENCHMARK_CAPTURE(BM_DifferentialStoreBuffers, ppc, "ppc")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DifferentialStoreBuffers, x86, "x86")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DifferentialStoreBuffers, arm64, "arm64")->Unit(benchmark::kMicrosecond);

// A generated scenario of a given size: a panic on cpu0, every other odd CPU offline (half the other threads),
// and `events` stray hardware events at distinct times spread over the CPUs (ppc: doorbells, HMIs, spurious
// wakes; x86: spurious wakes and SMIs).
pb::Scenario ScaleScenario(pb::Family family, uint32_t cpus, uint32_t events) {
  pb::Scenario s;
  pb::Machine* m = s.mutable_machine();
  m->set_family(family);
  m->set_platform(family == pb::PPC ? pb::POWER9_DOORBELL_XIVE : pb::X86_HLT);
  const uint32_t threads = cpus >= 4 ? 4 : 1;
  m->set_cores(cpus / threads);
  m->set_threads_per_core(threads);
  for (uint32_t c = 1; c < cpus; c += 2) m->add_offline(c);
  pb::Event* panic = s.add_events();
  panic->set_kind(pb::PANIC);
  panic->add_cpus(0);
  panic->mutable_trigger()->set_at_time_ns(100);
  const pb::EventKind ppc_kinds[] = {pb::STRAY_DOORBELL, pb::HMI, pb::SPURIOUS_WAKE};
  const pb::EventKind x86_kinds[] = {pb::SPURIOUS_WAKE, pb::SMI};
  for (uint32_t i = 0; i < events; ++i) {
    pb::Event* e = s.add_events();
    e->set_kind(family == pb::PPC ? ppc_kinds[i % 3] : x86_kinds[i % 2]);
    e->add_cpus(1 + i % (cpus - 1));
    e->mutable_trigger()->set_at_time_ns(50 + 7 * uint64_t{i});
  }
  s.mutable_schedule()->set_step_budget(kMaxStepBudget);
  return s;
}

// BM_Scale/<cpus>/<events>: one differential execution (every target of the family and the reference) of a
// generated scenario of that size. us_per_cpu and us_per_event divide the execution's CPU time by the size.
void BM_Scale(benchmark::State& state, pb::Family family) {
  const auto cpus = static_cast<uint32_t>(state.range(0));
  const auto events = static_cast<uint32_t>(state.range(1));
  const pb::Scenario s = ScaleScenario(family, cpus, events);
  if (const auto errors = Validate(s); !errors.empty()) {
    state.SkipWithError((PathToString(errors.front().path) + ": " + errors.front().reason).c_str());
    return;
  }
  for (auto _ : state) {
    const DiffReport r = RunDifferential(s);
    benchmark::DoNotOptimize(r);
  }
  using C = benchmark::Counter;
  state.counters["us_per_cpu"] = C(cpus * 1e-6, C::kIsIterationInvariantRate | C::kInvert);
  state.counters["us_per_event"] = C(events * 1e-6, C::kIsIterationInvariantRate | C::kInvert);
}
// ppc sweeps to 1,024 CPUs: its cpumasks are arrays of 64-bit words (targets/ppc/cpumask.h), 16 of them at 1,024.
BENCHMARK_CAPTURE(BM_Scale, ppc, pb::PPC)
    ->Args({4, 1})
    ->Args({16, 1})
    ->Args({32, 1})
    ->Args({64, 1})
    ->Args({256, 1})
    ->Args({1024, 1})
    ->Args({8, 1})
    ->Args({8, 10})
    ->Args({8, 100})
    ->Args({8, 1024})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Scale, x86, pb::X86)
    ->Args({4, 1})
    ->Args({32, 1})
    ->Args({256, 1})
    ->Args({1024, 1})
    ->Args({8, 1024})
    ->Unit(benchmark::kMicrosecond);

void BM_Mutate(benchmark::State& state) {
  const auto& seeds = Seeds().at("ppc");
  Mutator m;
  Rng rng(1);
  size_t i = 0;
  for (auto _ : state) {
    pb::Scenario s = seeds[i++ % seeds.size()];
    m.Mutate(s, rng);
    benchmark::DoNotOptimize(s);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_Mutate);

void BM_CrossOver(benchmark::State& state) {
  const auto& seeds = Seeds().at("ppc");
  Mutator m;
  Rng rng(1);
  size_t i = 0;
  for (auto _ : state) {
    pb::Scenario child;
    m.CrossOver(seeds[i % seeds.size()], seeds[(i * 7 + 3) % seeds.size()], child, rng);
    ++i;
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_CrossOver);

void BM_FixValid(benchmark::State& state) {
  pb::Scenario s = Seeds().at("ppc").front();
  for (auto _ : state) benchmark::DoNotOptimize(Fix(s));
}
BENCHMARK(BM_FixValid);

void BM_ParseInput(benchmark::State& state) {
  std::string bytes;
  Seeds().at("ppc").front().SerializeToString(&bytes);
  for (auto _ : state) {
    benchmark::DoNotOptimize(ParseInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  }
}
BENCHMARK(BM_ParseInput);

// A documented bug regardless of platform: the signature without the "/platform" of "[target/platform]".
std::string BugKey(const std::string& signature) {
  const std::optional<Signature> s = Signature::Parse(signature);
  return s ? s->Key() + " [" + s->target + "]" : signature;
}

void BM_Rediscover(benchmark::State& state, const char* family, bool structure_aware) {
  std::vector<pb::Scenario> clean;
  std::set<std::string> in_seeds;  // documented bugs the seeds already show: finding those again does not count
  for (const pb::Scenario& s : Seeds().at(family)) {
    if (TargetsFor(s).empty()) continue;
    clean.push_back(s);
    for (const Divergence& d : RunDifferential(s).divergences) {
      if (d.known) in_seeds.insert(BugKey(d.signature));
    }
  }
  if (clean.empty()) {
    state.SkipWithError("no target for this family");
    return;
  }
  const pb::Family only = clean.front().machine().family();
  constexpr int kBudget = 20000;
  double found = 0, executions = 0, rejected = 0, trials = 0;
  uint64_t seed = 1;
  for (auto _ : state) {
    Rng rng(seed++);
    MutatorOptions options;
    options.only_family = only;
    Mutator mutator(options);
    std::vector<pb::Scenario> pool = clean;
    int n = 0;
    bool hit = false;
    for (; n < kBudget && !hit; ++n) {
      const pb::Scenario& parent = pool[rng.Below(pool.size())];
      std::optional<pb::Scenario> mutant;
      if (structure_aware) {
        mutant = parent;
        mutator.Mutate(*mutant, rng);
      } else {
        mutant = ByteMutant(parent, rng);
      }
      if (!mutant) {
        ++rejected;
        continue;
      }
      const DiffReport r = RunDifferential(*mutant);
      for (const Divergence& d : r.divergences) hit |= d.known && !in_seeds.count(BugKey(d.signature));
      if (!hit && pool.size() < 256 && rng.Chance(1, 8)) pool.push_back(*mutant);
    }
    executions += n;
    found += hit;
    ++trials;
  }
  state.counters["attempts_to_first_known"] = executions / trials;
  state.counters["found_fraction"] = found / trials;
  state.counters["rejected_per_trial"] = rejected / trials;
}
BENCHMARK_CAPTURE(BM_Rediscover, ppc_structure, "ppc", true)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Rediscover, ppc_bytes, "ppc", false)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Rediscover, x86_structure, "x86", true)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Rediscover, x86_bytes, "x86", false)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Rediscover, arm64_structure, "arm64", true)->Iterations(5)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Rediscover, arm64_bytes, "arm64", false)->Iterations(5)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace crashdiff::fuzz
