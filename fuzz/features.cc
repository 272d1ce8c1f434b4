#include "fuzz/features.h"

#include <cstddef>

extern "C" {
// Provided by libFuzzer (and other SanitizerCoverage consumers); weak so the AFL++ build links without it.
__attribute__((weak)) void __sanitizer_cov_8bit_counters_init(uint8_t* start, uint8_t* stop);
__attribute__((weak)) void __sanitizer_cov_pcs_init(const uintptr_t* beg, const uintptr_t* end);
}

namespace crashdiff::fuzz {
namespace {

// libFuzzer reads the counters by address range after every input and clears them before the next one.
alignas(64) uint8_t counters[kModelFeatureCounters];
// libFuzzer pairs each counter with a "PC" entry (pc, flags); fake PCs name the feature index.
alignas(64) uintptr_t pc_table[2 * kModelFeatureCounters];

}  // namespace

void RegisterModelFeatures() {
  static bool done = false;
  if (done) return;
  done = true;
  if (__sanitizer_cov_8bit_counters_init != nullptr)
    __sanitizer_cov_8bit_counters_init(counters, counters + kModelFeatureCounters);
  if (__sanitizer_cov_pcs_init != nullptr) {
    for (size_t i = 0; i < kModelFeatureCounters; ++i) {
      pc_table[2 * i] = 0xC0DE0000u + i;  // not a real address: only used for -print_pcs style output
      pc_table[2 * i + 1] = 0;
    }
    __sanitizer_cov_pcs_init(pc_table, pc_table + 2 * kModelFeatureCounters);
  }
}

void BumpFeature(uint64_t hash) {
  uint8_t& c = counters[hash % kModelFeatureCounters];
  if (c != 0xFF) ++c;
}

uint64_t FeatureHash(std::string_view text, uint64_t h) {
  for (char ch : text) {
    h ^= static_cast<uint8_t>(ch);
    h *= 0x100000001B3ull;
  }
  return h;
}

uint64_t FeatureHash(uint64_t value, uint64_t h) {
  for (int i = 0; i < 8; ++i) {
    h ^= (value >> (8 * i)) & 0xFF;
    h *= 0x100000001B3ull;
  }
  return h;
}

}  // namespace crashdiff::fuzz
