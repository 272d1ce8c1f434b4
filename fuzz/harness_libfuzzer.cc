// libFuzzer entry points: every input is a scenario (binary protobuf; text format accepted for hand-written
// seeds), run through the differential engine on every target of its family and on the reference model.
// Mutation is structure-aware (fuzz/mutator); 1 in 16 mutations is libFuzzer's own byte-level one, kept when
// it still decodes to a valid scenario, so the byte mutators still contribute. See fuzz/harness_core.h for the
// environment it reads.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fuzz/harness_core.h"
#include "fuzz/mutator/fix.h"
#include "sim/rng.h"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

crashdiff::fuzz::Harness& TheHarness() {
  static auto* harness = new crashdiff::fuzz::Harness(crashdiff::fuzz::HarnessConfig::FromEnvironment());
  return *harness;
}

// At exit, how often each mutation strategy was applied (like libFuzzer's -print_final_stats for its own).
void PrintMutatorStats() {
  std::fprintf(stderr, "crashdiff mutator stats:");
  for (const crashdiff::fuzz::StrategyStats& s : TheHarness().mutator().stats()) {
    std::fprintf(stderr, " %.*s=%llu", static_cast<int>(s.name.size()), s.name.data(),
                 static_cast<unsigned long long>(s.applied));
  }
  std::fprintf(stderr, "\n");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  // Corpus directories on the command line also supply step labels for on_label triggers.
  std::vector<std::string> dirs;
  for (int i = 1; i < *argc; ++i) {
    if ((*argv)[i][0] != '-') dirs.emplace_back((*argv)[i]);
  }
  TheHarness().Initialize(dirs);
  std::atexit(PrintMutatorStats);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return TheHarness().Run(data, size);
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  // CRASHDIFF_MUTATOR=bytes: libFuzzer's byte-level mutations only (the baseline for comparisons, and the way to
  // feed the harness arbitrary bytes).
  static const bool bytes_only = [] {
    const char* m = std::getenv("CRASHDIFF_MUTATOR");
    return m != nullptr && std::string(m) == "bytes";
  }();
  if (bytes_only) return LLVMFuzzerMutate(data, size, max_size);
  crashdiff::Rng rng(seed);
  if (rng.Chance(1, 16)) {
    // Byte-level: kept only if it still decodes to a valid scenario, then held to the limits every structure-aware
    // mutant keeps (a changed varint can make a 136-thread machine: valid, but 30x the cost of the 4-thread one).
    std::vector<uint8_t> copy(data, data + size);
    copy.resize(max_size);
    const size_t n = TheHarness().FitMutant(copy.data(), LLVMFuzzerMutate(copy.data(), size, max_size), max_size);
    if (n != 0) {
      std::memcpy(data, copy.data(), n);
      return n;
    }
  }
  return TheHarness().Mutate(data, size, max_size, rng.Next());
}

extern "C" size_t LLVMFuzzerCustomCrossOver(const uint8_t* data1, size_t size1, const uint8_t* data2, size_t size2,
                                            uint8_t* out, size_t max_out_size, unsigned int seed) {
  if (const char* m = std::getenv("CRASHDIFF_MUTATOR"); m != nullptr && std::string(m) == "bytes") return 0;
  return TheHarness().CrossOver(data1, size1, data2, size2, out, max_out_size, seed);
}
