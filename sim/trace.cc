#include "sim/trace.h"

#include <bit>
#include <cstdio>
#include <cstring>

namespace crashdiff {
namespace {

// The trace hash (docs/SIMULATOR.md "Trace hash"). Each entry is first reduced to one 64-bit digest by products of
// independent word pairs (so the multiplies of one entry run in parallel), and only the digests are chained, one
// multiply per entry. A product is "mum": the 128-bit product of two words, its halves xor-ed together. Every word
// is xor-ed with a key of its own position (field, and offset inside a text) before it is multiplied, so equal
// words in different places do not cancel. Texts are read 8 bytes at a time in little-endian order (the same on
// every build and host); only content is hashed, never an address.
inline uint64_t Mum(uint64_t a, uint64_t b) {
  const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}

// Fixed keys: odd, every byte with its top bit set. A product loses its other word when one operand is zero, i.e.
// when a word equals its key; position offsets and lengths only change a key's bytes 4-7, so no ASCII text word
// and no number below 2^48 (CPU, kind, location, steps) ever equals one.
inline constexpr uint64_t kKey[] = {
    0xA0F69DE4F8BDE4AFull, 0xE783FED1A0B4A8DBull, 0x8EBCEAF09C88C6E3ull, 0x9EB7F9B9FFCAFC95ull, 0xC2B2AEBDA7D4EBCFull,
    0xFFD1AFD7EDD58CCDull, 0xC4CEB9FE9A85ECD3ull, 0xD6E8FEB8E6D9FD93ull, 0x94D0C9BB93B191EBull,
};

inline uint64_t Load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}
inline uint64_t Load4(const char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap32(w);
  return w;
}

// A text's digest under keys ka, kb. Its bytes are determined by its length and the words read: up to 16 bytes,
// the first and the last 8 (or 4) bytes, overlapping when shorter than 16 (8); 1-3 bytes are packed one by one.
// Longer texts add one product per 16-byte block, keyed by the block's offset, and their last 16 bytes. The length
// is mixed in, so texts whose words overlap differently stay apart.
inline uint64_t TextDigest(std::string_view s, uint64_t ka, uint64_t kb) {
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t a = 0;
  uint64_t b = 0;
  uint64_t sum = 0;
  if (n >= 8) {
    if (n > 16) {
      size_t i = 0;
      for (; i + 16 < n; i += 16)
        sum += Mum(Load8(p + i) ^ ka ^ (uint64_t{i} << 32), Load8(p + i + 8) ^ kb ^ (uint64_t{i} << 32));
      a = Load8(p + n - 16);
    } else {
      a = Load8(p);
    }
    b = Load8(p + n - 8);
  } else if (n >= 4) {
    a = Load4(p);
    b = Load4(p + n - 4);
  } else {
    for (size_t i = 0; i < n; ++i) a |= uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  }
  return sum + Mum(a ^ ka, b ^ kb ^ (uint64_t{n} << 32));
}

}  // namespace

void Trace::Add(const TraceEntry& e, std::string_view detail) {
  if (record_) entries_.push_back(e);
  if (!hash_on_) return;
  const uint64_t packed =
      uint64_t{e.cpu} | uint64_t{static_cast<uint8_t>(e.kind)} << 32 | uint64_t{static_cast<uint8_t>(e.location)} << 40;
  const uint64_t digest = Mum(e.step ^ kKey[0], e.time_ns ^ kKey[1]) +
                          Mum(packed ^ kKey[2], static_cast<uint64_t>(e.value) ^ kKey[3]) +
                          TextDigest(e.label, kKey[4], kKey[5]) + TextDigest(detail, kKey[6], kKey[7]);
  // The chain: order matters, and every earlier entry reaches every later value.
  hash_ = Mum(hash_ ^ digest, kKey[8]);
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
  // A read of a value memory no longer holds (another CPU's store is buffered, or this CPU's invalidation of it is
  // still queued): shown, not hashed (the tag is not part of the entry's text).
  if (e.kind == TraceKind::kRead && e.tags.mark == TraceMark::kStale) line += " (stale)";
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
