// State summaries for the stateful part of systematic exploration (docs/EXPLORE.md, "State hashing"): a 64-bit
// fingerprint of everything that decides a run's future and its verdict, taken at each scheduling choice, and a
// memory-bounded visited set of fingerprints. Models are coroutines, so a CPU's control state is not observable; it
// is a deterministic function of what the CPU observed, so its summary is a hash of its own history (every trace
// entry it made: kind, label, detail, value; and the model time whenever its code read the clock).
#pragma once

#include <algorithm>
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

// The state summary of one run, maintained incrementally (Zobrist style) as the run's entry stream goes by (it
// sits in front of the facts builder). The fingerprint combines a few global scalars with two sums: one term per
// variable (its id and value, updated on every store) and one per CPU (its history, the simulator's state of it,
// its facts and result counters), recomputed only for the CPUs a step touched: the CPU that ran, every CPU an
// entry or bookkeeping call names, and CPUs whose monitored line was stored to. Steps that can change any CPU's
// state without naming it (a hardware op setting another CPU's latch, an event, the hand-over, a relocation, a
// reset of the arrival counter, which the facts apply to every CPU) mark every CPU. A choice point therefore costs
// O(what the last step changed), not O(state). FullFingerprint recomputes the same value from scratch (tests check
// that both agree at every choice).
//
// A CPU's history is a hash of every trace entry it made (kind, label, detail, value, location), of the model
// time whenever its code read the clock, and of the other CPUs' in-firmware and finished bits its step read (the
// ppc initiator reads them in plain code): those of the CPUs in the step's access log when the search records one,
// else of every CPU whenever it ran.
class StateTracker : public RunObserver {
 public:
  StateTracker(uint32_t num_cpus, RunObserver& next);
  void OnEntry(const TraceEntry& e) override;
  void OnBook(const BookEntry& b) override;
  // Called at every scheduling choice (replayed ones too), with the CPU that ran the step before (kNoCpu at step 0).
  // read_cpus: the other CPUs whose state that step read (StepAccess::reads.cpus), if the search records them.
  void AtChoice(const Machine& m, uint32_t ran, const std::vector<uint32_t>* read_cpus = nullptr);
  // The fingerprint at the current choice, with the search's context (the CPU that ran last, the sleeping CPUs,
  // sorted). Updates the per-CPU terms the steps since the previous call touched.
  uint64_t Fingerprint(const Machine& m, const Facts& facts, uint32_t last, const std::vector<uint32_t>& asleep);
  uint64_t history(uint32_t cpu) const { return history_[cpu]; }
  uint64_t cpu_terms_recomputed() const { return recomputed_; }

 private:
  void Touch(uint32_t cpu);
  void Dirty(uint32_t cpu);

  std::vector<uint64_t> history_;
  RunObserver& next_;
  uint64_t clock_reads_ = 0;
  uint64_t step_time_ = 0;  // the model time of the latest entry
  // In-firmware / finished bits, folded into the history of the CPU that ran.
  std::vector<uint8_t> fw_bits_;
  uint64_t fw_sum_ = 0;
  std::vector<uint32_t> touched_;  // CPUs named since the last choice
  std::vector<uint8_t> is_touched_;
  bool touched_all_ = true;
  std::vector<uint32_t> written_;  // variables stored to since the last choice (monitors)
  // Variables a result-less atomic updated since the last choice: its entry shows the operand, not the value, so the
  // value is read from the machine at the choice.
  std::vector<uint32_t> updated_;
  // Per-CPU terms and their sum.
  std::vector<uint64_t> cpu_term_;
  uint64_t cpu_sum_ = 0;
  std::vector<uint32_t> dirty_;
  std::vector<uint8_t> is_dirty_;
  bool all_dirty_ = true;
  // Variable terms: the values as of the last store seen, and their sum.
  std::vector<int64_t> values_;
  uint64_t var_sum_ = 0;
  bool vars_ready_ = false;
  // The diagnostics as a multiset (the properties only count lines by text).
  uint64_t diag_sum_ = 0;
  uint64_t recomputed_ = 0;
};

// The fingerprint of the machine's state at a scheduling choice computed from scratch: equal to
// StateTracker::Fingerprint at the same choice. Equal states give equal fingerprints; see docs/EXPLORE.md for what
// is included and why that is enough.
uint64_t FullFingerprint(const Machine& m, const StateTracker& t, const Facts& facts, uint32_t last,
                         const std::vector<uint32_t>& asleep);

// An open-addressing table of fingerprints, each with the largest remaining preemption budget it was explored with.
// It grows by doubling up to its memory bound; at the bound, a full probe window evicts its home slot (an eviction
// only loses pruning).
class VisitedSet {
 public:
  explicit VisitedSet(uint64_t memory_bytes);
  ~VisitedSet();
  VisitedSet(const VisitedSet&) = delete;
  VisitedSet& operator=(const VisitedSet&) = delete;
  // True when fp was explored with at least `remaining` preemptions left (the caller prunes); otherwise records
  // it with `remaining` and returns false.
  bool Visit(uint64_t fp, uint32_t remaining);
  // True when fp was explored with at least `remaining` preemptions left; records nothing.
  bool Contains(uint64_t fp, uint32_t remaining) const;
  uint64_t size() const { return size_; }
  uint64_t capacity() const { return slots_.size(); }
  uint64_t evictions() const { return evictions_; }
  uint64_t memory_bytes() const { return capacity() * sizeof(uint64_t); }  // now (at most the bound)
  // Upper bound on the probability that two distinct states among those inserted shared a stored key (then one
  // was pruned wrongly): n^2 / 2^(bits+1) for n insertions of `bits`-bit keys (birthday bound).
  double CollisionBound() const;

 private:
  static constexpr int kBudgetBits = 8;  // the low bits of a slot hold the remaining budget
  static constexpr int kProbe = 8;
  static constexpr uint64_t kInitialSlots = uint64_t{1} << 12;  // 32 KiB
  void Resize(uint64_t slots);
  uint64_t Home(uint64_t key) const;
  bool Insert(uint64_t slot);
  static constexpr uint64_t kBudgetMask = (uint64_t{1} << kBudgetBits) - 1;
  // The stored budget of fp's key and a remaining preemption count as a budget (never 0: 0 marks an empty slot).
  static uint64_t KeyOf(uint64_t fp) { return fp & ~kBudgetMask; }
  static uint64_t BudgetOf(uint32_t remaining) { return std::min<uint64_t>(remaining, kBudgetMask - 1) + 1; }
  // The slot holding key within its probe window, or nullptr (an empty slot or the window's end first).
  const uint64_t* Find(uint64_t key) const;
  std::vector<uint64_t> slots_;  // 0: empty
  uint64_t mask_ = 0;
  uint64_t max_slots_ = 0;
  uint64_t size_ = 0;
  uint64_t inserted_ = 0;
  uint64_t evictions_ = 0;
};

}  // namespace crashdiff
