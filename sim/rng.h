// A small deterministic random number generator (SplitMix64) with a portable bounded draw. std::mt19937 is
// portable but std::uniform_int_distribution is not, and reproducers must replay bit for bit on every build.
#pragma once

#include <cstdint>

namespace crashdiff {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // Uniform in [0, bound); bound > 0. Lemire's multiply-shift, without the rejection step: the bias is below
  // 2^-32 for the bounds used here and the result is the same on every platform.
  uint64_t Below(uint64_t bound) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(Next()) * bound) >> 64);
  }

  bool Chance(uint32_t numerator, uint32_t denominator) { return Below(denominator) < numerator; }

 private:
  uint64_t state_;
};

}  // namespace crashdiff
