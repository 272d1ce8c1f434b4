// The byte-level baseline shared by the benchmarks: one to four random byte edits (bit flip, byte set, insert,
// erase, chunk copy) on the serialised scenario, decoded back the way the harness decodes its input.
#pragma once

#include <algorithm>
#include <optional>
#include <string>

#include "fuzz/mutator/input.h"
#include "proto/scenario.pb.h"
#include "sim/rng.h"

namespace crashdiff::fuzz {

inline std::optional<pb::Scenario> ByteMutant(const pb::Scenario& s, Rng& rng) {
  std::string b;
  s.SerializeToString(&b);
  const int edits = 1 + static_cast<int>(rng.Below(4));
  for (int e = 0; e < edits; ++e) {
    const size_t at = b.empty() ? 0 : rng.Below(b.size());
    switch (rng.Below(5)) {
      case 0:
        if (!b.empty()) b[at] = static_cast<char>(b[at] ^ (1 << rng.Below(8)));
        break;
      case 1:
        if (!b.empty()) b[at] = static_cast<char>(rng.Below(256));
        break;
      case 2: b.insert(b.begin() + static_cast<long>(at), static_cast<char>(rng.Below(256))); break;
      case 3:
        if (!b.empty()) b.erase(at, 1 + rng.Below(std::min<size_t>(4, b.size() - at)));
        break;
      default:
        if (b.size() > 2) {
          const size_t from = rng.Below(b.size()), len = 1 + rng.Below(std::min<size_t>(8, b.size() - from));
          b.insert(at, b.substr(from, len));
        }
        break;
    }
  }
  return ParseInput(reinterpret_cast<const uint8_t*>(b.data()), b.size());
}

}  // namespace crashdiff::fuzz
