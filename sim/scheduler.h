// Scheduler: which runnable CPU executes the next step. Explicit choices from the scenario come first, then the
// scenario's default policy. Every policy is deterministic given the scenario (seeded where random).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "proto/scenario.pb.h"
#include "sim/rng.h"

namespace crashdiff {

// Drives the scheduling choice from outside the scenario (systematic exploration, explore/): when a run has one
// (RunOptions::picker), it chooses every scheduled step instead of the scenario's schedule.
class SchedulePicker {
 public:
  virtual ~SchedulePicker() = default;
  // runnable is sorted and non-empty. Returns one of its elements.
  virtual uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t step) = 0;
  // After Pick returned a store buffer's agent: the store it commits, named as Choice.commit does (empty: the
  // oldest); after an invalidate queue's agent: the variable whose entry it applies, as Choice.invalidate. Asked
  // only when no buffer or queue is overdue; the machine applies the choice's rule (CommitIndex, InvalidateIndex).
  virtual std::string_view Commit() const { return {}; }
};

class Scheduler {
 public:
  // Agents are the CPUs (0 .. num_cpus-1), with store buffers their buffers (num_cpus + cpu), and with invalidate
  // queues their queues (2 * num_cpus + cpu).
  static std::unique_ptr<Scheduler> Create(const pb::Schedule& schedule, uint32_t num_cpus, uint32_t num_agents);
  virtual ~Scheduler() = default;
  // runnable is sorted and non-empty. Returns one of its elements.
  uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t step);
  // The machine ran `agent` without asking (an overdue store buffer): an explicit choice to run that agent counts
  // the step, as it did in the run the choice was written from (explore records every step's agent). Holds, other
  // agents' choices and the policy are left as they are.
  void Forced(uint32_t agent);
  // cpu has just executed a step with this label: arms the next choice when it is anchored there.
  void Executed(uint32_t cpu, std::string_view label);
  // How many explicit choices were followed (a choice whose CPU cannot run is dropped).
  uint32_t choices_followed() const { return followed_; }
  // The store the last pick's choice asks its store buffer to commit (Choice.commit), or the variable it asks its
  // invalidate queue to apply (Choice.invalidate), or empty: the oldest.
  std::string_view commit_request() const { return request_; }

 protected:
  Scheduler(const pb::Schedule& schedule, uint32_t num_cpus) : schedule_(schedule), num_cpus_(num_cpus) {}
  virtual uint32_t PickByPolicy(const std::vector<uint32_t>& runnable, uint64_t step) = 0;

 private:
  uint32_t AgentOf(const pb::Choice& c) const;
  void Begin(const pb::Choice& c);  // the next explicit choice becomes the current one
  const pb::Schedule& schedule_;
  uint32_t num_cpus_;
  int next_choice_ = 0;
  uint32_t remaining_ = 0;  // steps left in the current choice
  uint32_t current_ = 0;
  bool holding_ = false;          // the current choice holds current_ rather than running it
  std::vector<uint32_t> others_;  // runnable CPUs but the held one (kept to avoid an allocation per step)
  uint32_t followed_ = 0;
  uint32_t anchor_hits_ = 0;  // occurrences of the next choice's anchor so far
  bool armed_ = false;        // the next choice's anchor has been reached
  std::string_view commit_;   // the running choice's Choice.commit (points into schedule_)
  std::string_view request_;  // what the last pick asks (commit_ when it ran the choice's buffer, else empty)
};

}  // namespace crashdiff
