#include "fuzz/features.h"

#include <algorithm>
#include <cstddef>
#include <string>

extern "C" {
// Provided by libFuzzer (and other SanitizerCoverage consumers); weak so the AFL++ build links without it.
__attribute__((weak)) void __sanitizer_cov_8bit_counters_init(uint8_t* start, uint8_t* stop);
__attribute__((weak)) void __sanitizer_cov_pcs_init(const uintptr_t* beg, const uintptr_t* end);
// The linker's bounds of SanitizerCoverage's inline 8-bit counters (the instrumented code's edges); weak: absent
// in a build without -fsanitize-coverage=inline-8bit-counters.
__attribute__((weak)) extern uint8_t __start___sancov_cntrs[];  // NOLINT(bugprone-reserved-identifier)
__attribute__((weak)) extern uint8_t __stop___sancov_cntrs[];   // NOLINT(bugprone-reserved-identifier)
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

size_t NonZeroEdgeCounters() {
  if (__start___sancov_cntrs == nullptr) return 0;
  size_t n = 0;
  for (const uint8_t* p = __start___sancov_cntrs; p < __stop___sancov_cntrs; ++p) n += *p != 0;
  return n;
}

size_t NonZeroModelCounters() {
  size_t n = 0;
  for (uint8_t c : counters) n += c != 0;
  return n;
}

void ClearEdgeCounters() {
  if (__start___sancov_cntrs == nullptr) return;
  std::fill(__start___sancov_cntrs, __stop___sancov_cntrs, 0);
}

void SaturateCounters(uint8_t* begin, uint8_t* end) {
  // A plain loop the compiler vectorizes (16 counters an instruction, no branch): on 13,000 counters with 1,450 set
  // (a ppc mutant's count) about 4x faster than the eight-at-a-time word loop it replaced, whose skip-zero branch
  // mispredicts when the set counters are spread out (docs/PERFORMANCE.md).
  for (uint8_t* p = begin; p < end; ++p) *p = static_cast<uint8_t>(*p != 0);
}

void SaturateEdgeCounters() {
  if (__start___sancov_cntrs != nullptr) SaturateCounters(__start___sancov_cntrs, __stop___sancov_cntrs);
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

namespace {

// What a CPU is declared to be at the start (online, offline, never started): CPUs of one class are
// interchangeable, so a feature keyed by class counts "an offline CPU ended parked" once however many there are
// and whichever index it has. Keyed by CPU index, a 32-CPU machine made 32 features of one fact, and the corpus
// kept machines that differ only in which CPU did it.
enum class CpuClass : uint64_t { kOnline, kOffline, kNeverStarted };

std::vector<CpuClass> CpuClasses(const pb::Scenario& s) {
  const pb::Machine& m = s.machine();
  std::vector<CpuClass> out(static_cast<size_t>(m.cores()) * m.threads_per_core(), CpuClass::kOnline);
  for (uint32_t c : m.offline()) {
    if (c < out.size()) out[c] = CpuClass::kOffline;
  }
  for (uint32_t c : m.never_started()) {
    if (c < out.size()) out[c] = CpuClass::kNeverStarted;
  }
  return out;
}

void ResultFeatures(std::string_view who, const RunResult& r, const std::vector<CpuClass>& classes,
                    std::vector<uint64_t>& out) {
  const uint64_t base = FeatureHash(who);
  out.push_back(FeatureHash(static_cast<uint64_t>(r.end) * 2 + r.handed_over, base));
  for (size_t c = 0; c < r.cpus.size(); ++c) {
    const CpuResult& cr = r.cpus[c];
    uint64_t h = FeatureHash(static_cast<uint64_t>(c < classes.size() ? classes[c] : CpuClass::kOnline), base);
    h = FeatureHash(static_cast<uint64_t>(cr.at_handover) << 8 | static_cast<uint64_t>(cr.final), h);
    h = FeatureHash((cr.saves > 0) | (cr.invalid_saves > 0) << 1 | (cr.responses > 0) << 2 | (cr.responses > 1) << 3 |
                        (cr.shutdowns > 0) << 4 | cr.entered_panic << 5 | cr.woken << 6,
                    h);
    out.push_back(h);
  }
  for (const Diagnostic& d : r.diagnostics) {
    std::string text;
    for (char ch : d.text) text += (ch >= '0' && ch <= '9') ? '#' : ch;
    out.push_back(FeatureHash(text, base));
  }
}

}  // namespace

void ModelFeatureHashes(const pb::Scenario& scenario, const DiffReport& report, std::vector<uint64_t>& out) {
  const std::vector<CpuClass> classes = CpuClasses(scenario);
  out.clear();
  ResultFeatures("reference", report.reference, classes, out);
  for (const TargetReport& t : report.targets) ResultFeatures(t.target, t.result, classes, out);
  for (const Divergence& d : report.divergences) out.push_back(FeatureHash(d.signature));
}

}  // namespace crashdiff::fuzz
