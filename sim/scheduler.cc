#include "sim/scheduler.h"

#include <algorithm>

namespace crashdiff {
namespace {

bool Contains(const std::vector<uint32_t>& v, uint32_t x) {
  return std::binary_search(v.begin(), v.end(), x);
}

// Runs the lowest-numbered runnable CPU after the one that ran last, one step each.
class RoundRobin : public Scheduler {
 public:
  RoundRobin(const pb::Schedule& s, uint32_t num_cpus) : Scheduler(s, num_cpus) {}

 private:
  uint32_t PickByPolicy(const std::vector<uint32_t>& runnable, uint64_t /*step*/) override {
    auto it = std::upper_bound(runnable.begin(), runnable.end(), last_);
    last_ = it == runnable.end() ? runnable.front() : *it;
    return last_;
  }
  uint32_t last_ = UINT32_MAX;
};

class Random : public Scheduler {
 public:
  Random(const pb::Schedule& s, uint32_t num_cpus) : Scheduler(s, num_cpus), rng_(s.seed()) {}

 private:
  uint32_t PickByPolicy(const std::vector<uint32_t>& runnable, uint64_t /*step*/) override {
    return runnable[rng_.Below(runnable.size())];
  }
  Rng rng_;
};

// PCT (Burckhardt, Kothari, Musuvathi, Nagarakatte, ASPLOS 2010): distinct random initial priorities >= depth;
// depth-1 change points drawn from the first pct_horizon steps; at the i-th change point the CPU that runs
// gets priority i (lower than every initial one). Always run the highest-priority runnable CPU.
class Pct : public Scheduler {
 public:
  Pct(const pb::Schedule& s, uint32_t num_cpus, uint32_t num_agents) : Scheduler(s, num_cpus), rng_(s.seed()) {
    const uint32_t depth = s.pct_depth();
    priority_.resize(num_agents);
    for (uint32_t i = 0; i < num_agents; ++i) priority_[i] = depth + i;
    for (uint32_t i = num_agents; i > 1; --i) std::swap(priority_[i - 1], priority_[rng_.Below(i)]);
    for (uint32_t i = 1; i < depth; ++i)
      change_points_.push_back(rng_.Below(std::min(s.pct_horizon(), s.step_budget())));
    // Equal points would collapse into one change; spread them so there are exactly depth-1 changes.
    std::sort(change_points_.begin(), change_points_.end());
    for (size_t i = 1; i < change_points_.size(); ++i) {
      change_points_[i] = std::max(change_points_[i], change_points_[i - 1] + 1);
    }
  }
  const std::vector<uint64_t>& change_points() const { return change_points_; }

 private:
  uint32_t PickByPolicy(const std::vector<uint32_t>& runnable, uint64_t step) override {
    uint32_t best = runnable.front();
    for (uint32_t c : runnable) {
      if (priority_[c] > priority_[best]) best = c;
    }
    while (next_change_ < change_points_.size() && change_points_[next_change_] <= step) {
      // Demote the CPU that would run at this change point, then choose again.
      priority_[best] = static_cast<uint32_t>(change_points_.size() - next_change_);
      ++next_change_;
      best = runnable.front();
      for (uint32_t c : runnable) {
        if (priority_[c] > priority_[best]) best = c;
      }
    }
    return best;
  }
  Rng rng_;
  std::vector<uint32_t> priority_;
  std::vector<uint64_t> change_points_;
  size_t next_change_ = 0;
};

}  // namespace

std::unique_ptr<Scheduler> Scheduler::Create(const pb::Schedule& schedule, uint32_t num_cpus, uint32_t num_agents) {
  switch (schedule.policy()) {
    case pb::RANDOM: return std::make_unique<Random>(schedule, num_cpus);
    case pb::PCT: return std::make_unique<Pct>(schedule, num_cpus, num_agents);
    case pb::POLICY_UNSPECIFIED:
    case pb::ROUND_ROBIN: break;
  }
  return std::make_unique<RoundRobin>(schedule, num_cpus);
}

void Scheduler::Executed(uint32_t cpu, std::string_view label) {
  if (remaining_ > 0 || armed_ || next_choice_ >= schedule_.choices_size()) return;
  const pb::Choice& c = schedule_.choices(next_choice_);
  if (!c.has_after() || c.after().cpu() != cpu || c.after().label() != label) return;
  armed_ = ++anchor_hits_ >= c.after().occurrence();
}

uint32_t Scheduler::AgentOf(const pb::Choice& c) const {
  return c.store_buffer() ? num_cpus_ + c.cpu() : c.invalidate_queue() ? 2 * num_cpus_ + c.cpu() : c.cpu();
}

void Scheduler::Begin(const pb::Choice& c) {
  ++next_choice_;
  armed_ = false;
  anchor_hits_ = 0;
  current_ = AgentOf(c);
  remaining_ = c.steps();
  holding_ = c.hold();
  commit_ = c.invalidate_queue() ? c.invalidate() : c.commit();
  ++followed_;
}

void Scheduler::Forced(uint32_t agent) {
  if (remaining_ == 0 && next_choice_ < schedule_.choices_size()) {
    const pb::Choice& c = schedule_.choices(next_choice_);
    if ((c.has_after() && !armed_) || c.hold() || AgentOf(c) != agent) return;
    Begin(c);
  }
  if (remaining_ > 0 && !holding_ && current_ == agent) --remaining_;
}

uint32_t Scheduler::Pick(const std::vector<uint32_t>& runnable, uint64_t step) {
  request_ = {};
  while (remaining_ > 0 || next_choice_ < schedule_.choices_size()) {
    if (remaining_ == 0) {
      const pb::Choice& c = schedule_.choices(next_choice_);
      if (c.has_after() && !armed_) break;  // waiting for its preemption point: the policy picks meanwhile
      Begin(c);
    }
    if (holding_) {
      // A held CPU's store buffer and invalidate queue are held with it: the stall a hold stands for (a cache-miss
      // storm, SMT priority) keeps its stores waiting for their lines, and its invalidations unprocessed, too. A held
      // buffer or queue holds only itself.
      const bool cpu = current_ < num_cpus_;
      const uint32_t buffer = cpu ? num_cpus_ + current_ : current_;
      const uint32_t queue = cpu ? 2 * num_cpus_ + current_ : current_;
      others_.clear();
      for (uint32_t c : runnable) {
        if (c != current_ && c != buffer && c != queue) others_.push_back(c);
      }
      if (!others_.empty()) {
        --remaining_;
        return PickByPolicy(others_, step);
      }
      remaining_ = 0;  // nobody else can run: the hold ends
      continue;
    }
    if (Contains(runnable, current_)) {
      --remaining_;
      request_ = commit_;
      return current_;
    }
    remaining_ = 0;  // the chosen CPU cannot run: the rest of this choice is dropped
  }
  return PickByPolicy(runnable, step);
}

}  // namespace crashdiff
