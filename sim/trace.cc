#include "sim/trace.h"

#include <bit>
#include <cstdio>
#include <cstring>

namespace crashdiff {
namespace {

// A 64-bit multiply-xorshift mix over whole words (the trace hash is on the hot path of every step). Strings are
// read 8 bytes at a time in little-endian order, so the hash is the same on every build and host.
inline void MixWord(uint64_t& h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 32;
}

void MixBytes(uint64_t& h, std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
    MixWord(h, w);
  }
  uint64_t tail = 0;
  if constexpr (std::endian::native == std::endian::little) {
    if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);  // the same word as the byte loop below
  } else {
    for (size_t k = 0; i + k < s.size(); ++k) tail |= uint64_t{static_cast<unsigned char>(s[i + k])} << (8 * k);
  }
  MixWord(h, tail ^ (uint64_t{s.size()} << 56));
}

}  // namespace

void Trace::Add(const TraceEntry& e, std::string_view detail) {
  MixWord(hash_, e.step);
  MixWord(hash_, e.time_ns);
  MixWord(hash_, uint64_t{e.cpu} | uint64_t{static_cast<uint8_t>(e.kind)} << 32 |
                     uint64_t{static_cast<uint8_t>(e.location)} << 40);
  MixBytes(hash_, e.label);
  MixBytes(hash_, detail);
  MixWord(hash_, static_cast<uint64_t>(e.value));
  if (record_) entries_.push_back(e);
}

std::string Trace::Format(const TraceEntry& e) const {
  char head[96];
  if (e.cpu == kNoCpu) {
    std::snprintf(head, sizeof head, "%8llu %14llu ns   -  ", static_cast<unsigned long long>(e.step),
                  static_cast<unsigned long long>(e.time_ns));
  } else {
    std::snprintf(head, sizeof head, "%8llu %14llu ns cpu%-2u", static_cast<unsigned long long>(e.step),
                  static_cast<unsigned long long>(e.time_ns), e.cpu);
  }
  std::string line = head;
  line += ' ';
  line += Name(e.kind);
  line.resize(std::max<size_t>(line.size(), 43), ' ');
  line += e.label;
  if (!e.detail.empty()) {
    line += "  ";
    line += e.detail;
  }
  if (e.kind == TraceKind::kRead || e.kind == TraceKind::kWrite || e.kind == TraceKind::kRmw ||
      e.kind == TraceKind::kHw) {
    line += " = " + std::to_string(e.value);
  }
  if (e.cpu != kNoCpu) {
    line += "  [";
    line += Name(e.location);
    line += ']';
  }
  return line;
}

std::string Trace::ToText() const {
  std::string out;
  for (const TraceEntry& e : entries_) {
    out += Format(e);
    out += '\n';
  }
  return out;
}

}  // namespace crashdiff
