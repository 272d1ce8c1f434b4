// State summaries for the stateful part of systematic exploration (docs/EXPLORE.md, "State hashing"): a 64-bit
// fingerprint of everything that decides a run's future and its verdict, taken at each scheduling choice, and a
// memory-bounded visited set of fingerprints. Models are coroutines, so a CPU's control state is not observable; it
// is a deterministic function of what the CPU observed, so its summary is a hash of its own history (every trace
// entry it made: kind, label, detail, value; and the model time whenever its code read the clock).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "oracle/facts.h"
#include "sim/machine.h"
#include "sim/observer.h"

namespace crashdiff {

inline uint64_t Mix(uint64_t h, uint64_t v) {
  v *= 0x9E3779B97F4A7C15ull;
  v ^= v >> 29;
  h ^= v + 0xBF58476D1CE4E5B9ull + (h << 6) + (h >> 2);
  return h;
}

// Follows every CPU's history from the run's entry stream (it sits in front of the facts builder).
class HistoryTracker : public RunObserver {
 public:
  HistoryTracker(uint32_t num_cpus, RunObserver& next) : history_(num_cpus, 0x51ED270B2E5A1C3Full), next_(next) {}
  void OnEntry(const TraceEntry& e) override;
  void OnBook(const BookEntry& b) override { next_.OnBook(b); }
  // Called at every scheduling choice: a clock read since the last one was made by the CPU that ran the step
  // (model code runs only inside its CPU's step), so that CPU's history absorbs the time it read.
  void AtChoice(const Machine& m, uint32_t ran);
  uint64_t history(uint32_t cpu) const { return history_[cpu]; }

 private:
  std::vector<uint64_t> history_;
  RunObserver& next_;
  uint64_t clock_reads_ = 0;
  uint64_t step_time_ = 0;  // the model time of the latest entry
};

// The fingerprint of the machine's state at a scheduling choice, with the oracle's facts so far (what the
// verdict depends on) and the search's own context (the CPU that ran last, the sleeping CPUs). Equal states give
// equal fingerprints; see docs/EXPLORE.md for what is included and why that is enough.
uint64_t StateFingerprint(const Machine& m, const HistoryTracker& h, const Facts& facts, uint32_t last,
                          const std::vector<uint32_t>& asleep);

// A fixed-size open-addressing table of fingerprints, each with the largest remaining preemption budget it was
// explored with. Full: the oldest entry of a probe window is replaced (an eviction only loses pruning).
class VisitedSet {
 public:
  explicit VisitedSet(uint64_t memory_bytes);
  ~VisitedSet();
  VisitedSet(const VisitedSet&) = delete;
  VisitedSet& operator=(const VisitedSet&) = delete;
  // True when fp was explored with at least `remaining` preemptions left (the caller prunes); otherwise records
  // it with `remaining` and returns false.
  bool Visit(uint64_t fp, uint32_t remaining);
  uint64_t size() const { return size_; }
  uint64_t capacity() const { return mask_ + 1; }
  uint64_t evictions() const { return evictions_; }
  uint64_t memory_bytes() const { return capacity() * sizeof(uint64_t); }
  // Upper bound on the probability that two distinct states among those inserted shared a stored key (then one
  // was pruned wrongly): n^2 / 2^(bits+1) for n insertions of `bits`-bit keys (birthday bound).
  double CollisionBound() const;

 private:
  static constexpr int kBudgetBits = 8;  // the low bits of a slot hold the remaining budget
  static constexpr int kProbe = 8;
  // calloc'd: the system hands out zero pages lazily, so a large bound costs only the pages actually used.
  uint64_t* slots_ = nullptr;  // 0: empty
  uint64_t mask_ = 0;
  uint64_t size_ = 0;
  uint64_t inserted_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace crashdiff
