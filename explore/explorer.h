// Systematic exploration of one scenario's interleavings on one target (docs/EXPLORE.md): stateless model checking
// with a preemption bound, as CHESS does it (Musuvathi, Qadeer et al., OSDI 2008; "Iterative context bounding",
// PLDI 2007). Every schedule is a run from the start (no state is saved): a depth-first search over the CPU chosen
// at each scheduled step, driven through the simulator's SchedulePicker. Sleep sets (Godefroid 1996) skip
// branches that only reorder independent steps, restricted so that the skipped schedule's equivalent never needs
// more preemptions (docs/EXPLORE.md, "Reduction"). Each schedule's run is checked against the oracle's properties.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "oracle/properties.h"
#include "proto/scenario.pb.h"
#include "sim/machine.h"

namespace crashdiff {

// ExploreOptions::preemptions: no bound.
inline constexpr uint64_t kFirstDeepeningSteps = 16;  // ExploreOptions::deepen: the first round's step bound
inline constexpr uint32_t kNoPreemptionBound = UINT32_MAX;

struct ExploreOptions {
  std::string target;                  // a registered target of the scenario's family (required)
  uint32_t preemptions = 2;            // K: schedules with at most K preemptions (kNoPreemptionBound: any number)
  uint64_t max_steps = 1000;           // N: scheduling choices are explored in the first N steps; later ones are fixed
  uint64_t max_schedules = 1'000'000;  // a cap: reaching it makes the search not exhaustive
  // A wall-clock cap (a campaign's explore worker has the campaign's time): reaching it, the search ends between two
  // schedules, not exhaustive. The default never comes: searches are deterministic unless a caller sets one.
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  bool reduction = true;  // sleep sets
  // Bounded search, with reduction: at a free switch (the CPU that ran last cannot run), an explored sibling's whole
  // segment (its steps until it can no longer run) sleeps in the later siblings, and a state explored with an empty
  // sleep set covers the same state reached with sleeping CPUs (docs/EXPLORE.md, "Segment sleep sets across free
  // switches"). Same guarantee; false: only the non-preempting step sleeps (the reduction before 2026-12-04).
  bool segment_sleep = true;
  // Bounded search, with segment_sleep: at a free switch, once the first choice's subtree is explored, a probe run
  // checks whether it covers the other choices (what the other CPUs can do there without it is independent of its
  // segment, and wakes nobody); if so they are not taken (docs/EXPLORE.md, "Persistent sets at free switches").
  bool persistent_sets = true;
  // Source-set DPOR with sleep sets (Abdulla et al., POPL 2014) instead of trying every CPU at every step. Needs
  // preemptions == kNoPreemptionBound (Explore throws std::invalid_argument otherwise); turns state hashing off.
  bool dpor = false;
  // The dependency relation of DPOR and of the bounded search's sleep sets: each step's footprint (variables, CPU
  // states, console, oracle; docs/EXPLORE.md, "Dependency under DPOR"), or (false) the coarse table, where hardware
  // ops, waits, wakes and interrupts are dependent with every step ("Reduction").
  bool fine_dependency = true;
  // Iterative deepening of the step bound: first explore choices in the first 16 steps, then 32, ... up to
  // max_steps, stopping at the first violation; the last round is the plain search with max_steps (the guarantee).
  bool deepen = false;
  // Search order: at each step try the preempting choices before the CPU that ran last. With K = 1 the search then
  // tries the preemption points from the earliest on (bugs that need an early preemption show first); the
  // restricted sleep sets then prune nothing. Same guarantee when exhaustive. Ignored with dpor.
  bool preempt_first = false;
  // Store buffers on powerpc / arm64 (memory_model ARCHITECTURE): a buffer's step commits the oldest store only, as
  // before 2026-12-04 (store->load reordering only; for measurement). false: each store the buffer may commit
  // (Machine::CommitCandidates) is a choice of its own, so store->store reordering is enumerated too. DPOR needs
  // true there (Explore throws std::invalid_argument otherwise).
  bool oldest_commit_only = false;
  bool state_hashing = true;             // prune a choice point whose state was explored with as much budget left
  uint64_t memory_bytes = 256ull << 20;  // the visited set's size (fingerprints, 8 bytes each)
  std::vector<std::string> properties;   // "PR1".."PR11" the search looks for; empty: all of them
  // Narrower still (set by callers looking for one mechanism, e.g. a target's documented bug): only violations it
  // accepts count, and the guarantee says so ("... of the kind asked for").
  std::function<bool(const Violation&)> accept{};
  bool verify_fingerprints = false;      // tests: check the incremental fingerprint against a full recomputation
};

struct ExploreResult {
  bool exhaustive = false;  // every schedule within the bounds was explored (or is equivalent to an explored one)
  bool found = false;       // a schedule violates one of the properties searched for
  std::vector<Violation> violations;  // the counterexample's violations of the properties searched for
  std::vector<uint32_t> picks;        // the counterexample's agent (CPU, or num_cpus + CPU: its buffer) at every step
  std::vector<std::string> commits;   // per pick: the store a buffer's step named (Choice.commit), empty: the oldest
  pb::Scenario reproducer;            // the scenario with the counterexample as an explicit schedule
  bool reproducer_replays = false;    // replaying reproducer without the picker gives the same trace
  uint64_t schedules = 0;             // complete schedules run and checked
  uint64_t sleep_blocked = 0;         // runs abandoned at a step where every allowed choice was asleep
  uint64_t sleep_skipped = 0;         // branches (choices at a step) not taken because the CPU was asleep
  uint64_t segment_sleepers = 0;      // segment_sleep: explored siblings' segments put to sleep in a later sibling
  uint64_t empty_sleep_covered = 0;   // segment_sleep: runs cut at a state explored with an empty sleep set
  bool persistent_sets = false;       // ExploreOptions::persistent_sets applied (not with DPOR, store buffers, ...)
  uint64_t persistent_probes = 0;     // persistent_sets: probe runs at free switches
  uint64_t persistent_covered = 0;    // ... that showed the first choice covers the others
  uint64_t persistent_pruned = 0;     // ... choices not taken there
  uint64_t distinct_final_states = 0;
  std::vector<uint64_t> final_states;   // the distinct final states' hashes, sorted
  uint64_t races = 0;                   // DPOR: races found between a new step and an earlier one
  uint64_t backtrack_points = 0;        // DPOR: CPUs added to a step's backtrack set by a race
  uint64_t fingerprint_mismatches = 0;  // verify_fingerprints: choices where incremental != full
  uint64_t state_pruned = 0;            // runs cut at a state already explored with at least as much budget left
  uint64_t distinct_states = 0;         // states (choice points) entered in the visited set
  uint64_t visited_evictions = 0;       // fingerprints evicted from the full visited set (pruning lost, not soundness)
  uint64_t visited_memory_bytes = 0;    // the visited set's size
  double collision_bound = 0;           // bound on the probability that a fingerprint collision pruned a new state
  uint64_t steps_executed = 0;          // scheduled steps run in all runs (replayed prefixes included)
  uint64_t longest_run = 0;             // scheduled steps of the longest run
  uint64_t runs_past_max_steps = 0;     // runs that went on past N steps (their tail is fixed)
  uint64_t runs_budget_cut = 0;         // runs the scenario's step budget cut before hand-over (EndReason::kBudgetCut)
  bool store_buffers = false;           // the machine has store buffers (memory_model ARCHITECTURE)
  bool stores_reorder = false;          // ... and reorders stores (powerpc, arm64)
  bool commits_enumerated = false;      // ... and each store a buffer may commit was a choice (not oldest_commit_only)
  uint64_t named_commits = 0;           // choices explored that commit a store other than its buffer's oldest
  uint64_t named_applies = 0;           // choices explored that apply an entry other than its queue's oldest
  uint32_t max_preemptions_used = 0;
  double seconds = 0;
  uint64_t max_steps = 0;             // the step bound of the search that gave these counts (deepen: of the last round)
  uint32_t rounds = 1;                // deepen: rounds run (the result's counts are the last round's)
  uint64_t schedules_all_rounds = 0;  // deepen: runs of every round (schedules, runs cut)
};

// scenario must be valid; options.target must run it (TargetsFor). Deterministic: the same input gives the same
// counts and the same counterexample.
ExploreResult Explore(const pb::Scenario& scenario, const ExploreOptions& options);

// The scenario with picks as explicit schedule choices ({cpu steps} runs), which `crashdiff run` replays. commits
// (optional, one per pick): the store a buffer's step named, written as Choice.commit (empty: the oldest).
// Returns false when the schedule does not fit the schema's limits (10000 choices of at most 10000 steps).
bool WithExplicitSchedule(const pb::Scenario& scenario, const std::vector<uint32_t>& picks, pb::Scenario& out,
                          const std::vector<std::string>* commits = nullptr);

// "PR1..PR11" for all properties, else the list searched for ("PR3", "PR1,PR3").
std::string PropertiesText(const std::vector<std::string>& properties);

// The statement an exhaustive clean search proves (docs/EXPLORE.md), or what it does not.
std::string GuaranteeText(const ExploreOptions& options, const ExploreResult& result);

}  // namespace crashdiff
