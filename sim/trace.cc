#include "sim/trace.h"

#include <cstdio>

namespace crashdiff {
namespace {

void Mix(uint64_t& h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001B3ull;  // FNV-1a prime
  }
}

template <typename T>
void MixValue(uint64_t& h, T v) {
  // Little-endian byte order regardless of host, so the hash is the same on every build.
  unsigned char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<unsigned char>(static_cast<uint64_t>(v) >> (8 * i));
  Mix(h, bytes, sizeof(T));
}

}  // namespace

void Trace::Add(TraceEntry e) {
  MixValue(hash_, e.step);
  MixValue(hash_, e.time_ns);
  MixValue(hash_, e.cpu);
  MixValue(hash_, static_cast<uint8_t>(e.kind));
  Mix(hash_, e.label.data(), e.label.size());
  MixValue(hash_, static_cast<uint8_t>(e.location));
  Mix(hash_, e.detail.data(), e.detail.size());
  MixValue(hash_, e.value);
  if (record_) entries_.push_back(std::move(e));
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
