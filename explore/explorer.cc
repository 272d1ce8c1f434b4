#include "explore/explorer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <unordered_set>
#include <utility>

#include "diff/runner.h"
#include "explore/state.h"
#include "oracle/facts.h"
#include "sim/validate.h"
#include "targets/target.h"

namespace crashdiff {
namespace {

// What one scheduled step touched, from the trace entries and bookkeeping calls it made. A global step is
// dependent with every step; the others only with steps that access one of their variables, one of them writing.
struct Footprint {
  bool global = false;
  std::vector<std::pair<std::string, bool>> vars;  // variable name, written
};

enum class Effect : uint8_t { kNone, kRead, kWrite, kGlobal };

// How each trace kind counts. Only plain memory accesses and CPU-private steps may commute; everything that
// blocks, wakes, takes or returns from an interrupt, touches a latch (kHw: msgsnd / msgclr / a controller write can
// make another CPU's next step an interrupt), fires an event, prints (the console is one ordered log), saves,
// hands over, overwrites or corrupts is dependent with every other step.
constexpr Effect kEffects[] = {
    Effect::kRead,    // kRead
    Effect::kWrite,   // kWrite
    Effect::kWrite,   // kRmw (even one that left the value alone: conservative)
    Effect::kNone,    // kBarrier (the simulator is sequentially consistent: program order only)
    Effect::kNone,    // kLocal (the CPU's own state: irq flags, a comment step)
    Effect::kGlobal,  // kHw
    Effect::kGlobal,  // kBlock
    Effect::kGlobal,  // kTimeout
    Effect::kGlobal,  // kWake
    Effect::kGlobal,  // kIrq
    Effect::kGlobal,  // kIrqReturn
    Effect::kGlobal,  // kEvent
    Effect::kGlobal,  // kEventIgnored
    Effect::kNone,    // kLocation (the CPU's own location; facts read it against global steps only)
    Effect::kGlobal,  // kDiag
    Effect::kGlobal,  // kSave
    Effect::kGlobal,  // kHandover
    Effect::kGlobal,  // kOverwrite
    Effect::kGlobal,  // kCorrupt
    Effect::kGlobal,  // kEnd
};
static_assert(std::size(kEffects) == kTraceKindNames.size());

bool Independent(const Footprint& a, const Footprint& b) {
  if (a.global || b.global) return false;
  for (const auto& [va, wa] : a.vars) {
    for (const auto& [vb, wb] : b.vars) {
      if (va == vb && (wa || wb)) return false;
    }
  }
  return true;
}

// Passes everything on to the facts builder and collects the footprint of the step being executed.
class StepObserver : public RunObserver {
 public:
  explicit StepObserver(RunObserver& next) : next_(next) {}
  void OnEntry(const TraceEntry& e) override {
    next_.OnEntry(e);
    const Effect effect = kEffects[static_cast<size_t>(e.kind)];
    if (effect == Effect::kGlobal || (effect != Effect::kNone && e.cpu == kNoCpu)) {
      current_.global = true;
    } else if (effect == Effect::kRead || effect == Effect::kWrite) {
      current_.vars.emplace_back(e.detail, effect == Effect::kWrite);
    }
  }
  void OnBook(const BookEntry& b) override {
    next_.OnBook(b);
    current_.global = true;  // panic, wake sent, save, response, shutdown, hotplug: the oracle orders them all
  }
  Footprint Take() { return std::exchange(current_, Footprint{}); }

 private:
  RunObserver& next_;
  Footprint current_;
};

struct Sleeper {
  uint32_t cpu;
  Footprint step;  // its next step (unchanged while it sleeps: only independent steps ran since)
};

// One scheduled step of the current path: what could run, what ran, and what is left to try.
struct Node {
  std::vector<uint32_t> runnable;
  uint32_t last = kNoCpu;      // the CPU that ran the step before
  uint32_t preemptions = 0;    // before this step
  std::vector<Sleeper> sleep;  // asleep on entry: not chosen here
  uint32_t chosen = kNoCpu;
  std::vector<uint32_t> tried;  // chosen so far here, in order
  Footprint chosen_step;        // footprint of chosen's step (set when the next step is picked)
  bool last_tried = false;      // last's step was explored from here, its footprint in last_step
  Footprint last_step;
};

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool Asleep(const Node& n, uint32_t cpu) {
  return std::any_of(n.sleep.begin(), n.sleep.end(), [cpu](const Sleeper& s) { return s.cpu == cpu; });
}

bool IsPreemption(const Node& n, uint32_t cpu) {
  return n.last != kNoCpu && cpu != n.last && Contains(n.runnable, n.last);
}

// The next choice to explore at n: the CPU that ran last first (no preemption), then the others by id; not one
// already tried, not one asleep, not one that would exceed the preemption bound. kNoCpu when none is left.
uint32_t NextChoice(const Node& n, uint32_t bound) {
  auto allowed = [&](uint32_t c) {
    return !Contains(n.tried, c) && !Asleep(n, c) && n.preemptions + (IsPreemption(n, c) ? 1 : 0) <= bound;
  };
  if (n.last != kNoCpu && Contains(n.runnable, n.last) && allowed(n.last)) return n.last;
  for (uint32_t c : n.runnable) {
    if (allowed(c)) return c;
  }
  return kNoCpu;
}

uint32_t SkippedAsleep(const Node& n, uint32_t bound) {
  uint32_t skipped = 0;
  for (uint32_t c : n.runnable) {
    if (Asleep(n, c) && n.preemptions + (IsPreemption(n, c) ? 1 : 0) <= bound) ++skipped;
  }
  return skipped;
}

// Drives one run: replays the path's choices, then extends the path with first choices up to max_steps; past
// max_steps (or once every allowed choice is asleep) the lowest-numbered runnable CPU runs. That tail depends on
// the machine's state only, so equivalent prefixes get the same tail.
// Thrown by the picker to abandon a run at a state already explored (the run's Machine is destroyed with it).
struct Cut {};

// What state hashing needs at a choice: the running machine, the CPUs' histories, the facts so far, the table.
struct StateContext {
  const Machine* machine = nullptr;
  HistoryTracker* history = nullptr;
  const FactsBuilder* facts = nullptr;
  VisitedSet* visited = nullptr;
};

class PathPicker : public SchedulePicker {
 public:
  PathPicker(std::vector<Node>& path, StepObserver& steps, const ExploreOptions& options, ExploreResult& stats,
             StateContext state)
      : path_(path), steps_(steps), options_(options), stats_(stats), state_(state) {}

  uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t step) override {
    if (state_.history != nullptr) state_.history->AtChoice(*state_.machine, picks_.empty() ? kNoCpu : picks_.back());
    Footprint before = steps_.Take();  // of the previous step (or settling and step-0 events: fixed)
    if (step > 0) FinishStep(step - 1, std::move(before), runnable);
    prev_runnable_ = runnable;
    uint32_t cpu = kNoCpu;
    if (step < path_.size()) {
      if (path_[step].runnable != runnable) {
        std::fprintf(stderr, "crashdiff explore: simulator invariant: step %llu replayed with other runnable CPUs\n",
                     static_cast<unsigned long long>(step));
        std::abort();
      }
      cpu = path_[step].chosen;
    } else if (!tail_ && step < options_.max_steps) {
      cpu = Extend(runnable);
    }
    if (cpu == kNoCpu) {
      tail_ = true;
      cpu = runnable.front();
    }
    picks_.push_back(cpu);
    return cpu;
  }

  const std::vector<uint32_t>& picks() const { return picks_; }
  void set_machine(const Machine* m) { state_.machine = m; }
  bool blocked() const { return blocked_; }

 private:
  // The step at index i has run: its footprint (made global when it changed whether another CPU can run: a
  // write a waiter waits for, a timeout that expired meanwhile) goes to its node.
  void FinishStep(uint64_t i, Footprint fp, const std::vector<uint32_t>& runnable_now) {
    if (i >= path_.size()) return;
    Node& n = path_[i];
    for (uint32_t c : n.runnable) {
      if (c != n.chosen && !Contains(runnable_now, c)) fp.global = true;
    }
    for (uint32_t c : runnable_now) {
      if (c != n.chosen && !Contains(n.runnable, c)) fp.global = true;
    }
    if (n.chosen == n.last && !n.last_tried) {
      n.last_tried = true;
      n.last_step = fp;
    }
    n.chosen_step = std::move(fp);
  }

  uint32_t Extend(const std::vector<uint32_t>& runnable) {
    Node n;
    n.runnable = runnable;
    if (!path_.empty()) {
      const Node& p = path_.back();
      n.last = p.chosen;
      n.preemptions = p.preemptions + (IsPreemption(p, p.chosen) ? 1 : 0);
      if (options_.reduction) n.sleep = ChildSleep(p);
    }
    if (state_.visited != nullptr && Explored(n)) {
      ++stats_.state_pruned;
      throw Cut{};
    }
    stats_.sleep_skipped += SkippedAsleep(n, options_.preemptions);
    const uint32_t cpu = NextChoice(n, options_.preemptions);
    if (cpu == kNoCpu) {
      blocked_ = true;  // every allowed choice is asleep: each continuation is equivalent to an explored one
      return kNoCpu;
    }
    n.chosen = cpu;
    n.tried.push_back(cpu);
    path_.push_back(std::move(n));
    return cpu;
  }

  // Sleep set after p's chosen step: p's sleepers and, when p's chosen step preempts the CPU that ran last after
  // that CPU's own step was explored from p, that step; each stays asleep only if independent of the step taken.
  // Only the non-preempting step is put to sleep, because moving it ahead never adds a preemption. Let k have run
  // last at state a, t_k asleep, and a pruned schedule a.W.t_k.R (W starts with another CPU, has no step of k, all
  // independent of t_k: nobody's runnability changes). Its equivalent a.t_k.W.R pays [k->k] = 0, [k->W1] <= 1 and
  // [Wend->R1]; the original paid [k->W1] = 1 (k could run), [Wend->k] and [k->R1]. If Wend can still run after W,
  // [Wend->k] = 1 covers [Wend->R1]; if not, [Wend->R1] = 0 too. So the equivalent has no more preemptions and
  // was explored in t_k's subtree (docs/EXPLORE.md). Sleeping the step of any other CPU would break this: after j
  // ran, j.i.i (one preemption) is equivalent to i.j.i (two).
  static std::vector<Sleeper> ChildSleep(const Node& p) {
    std::vector<Sleeper> out;
    for (const Sleeper& s : p.sleep) {
      if (Independent(s.step, p.chosen_step)) out.push_back(s);
    }
    if (p.last_tried && p.chosen != p.last && !Asleep(p, p.last) && Independent(p.last_step, p.chosen_step)) {
      out.push_back(Sleeper{p.last, p.last_step});
    }
    return out;
  }

  // The choice point n (not yet on the path) was explored before from the same state, with the same CPU having
  // run last, the same sleeping CPUs and at least as many preemptions left: every continuation from here was.
  bool Explored(const Node& n) {
    std::vector<uint32_t> asleep;
    for (const Sleeper& s : n.sleep) asleep.push_back(s.cpu);
    std::sort(asleep.begin(), asleep.end());
    const uint64_t fp = StateFingerprint(*state_.machine, *state_.history, state_.facts->facts(), n.last, asleep);
    return state_.visited->Visit(fp, options_.preemptions - n.preemptions);
  }

  std::vector<Node>& path_;
  StepObserver& steps_;
  const ExploreOptions& options_;
  ExploreResult& stats_;
  StateContext state_;
  std::vector<uint32_t> prev_runnable_;
  std::vector<uint32_t> picks_;
  bool tail_ = false;
  bool blocked_ = false;
};

// The final state of a run as the oracle sees it: every CPU's location at hand-over and at the end, its saves,
// responses, shutdowns, panic and wake; who handed over and how the run ended.
uint64_t FinalState(const RunResult& r) {
  uint64_t h = Mix(static_cast<uint64_t>(r.end), r.handed_over ? r.handover_cpu : kNoCpu);
  for (const CpuResult& c : r.cpus) {
    h = Mix(h, static_cast<uint64_t>(c.at_handover) << 8 | static_cast<uint64_t>(c.final));
    h = Mix(h, uint64_t{c.saves} << 48 | uint64_t{c.invalid_saves} << 32 | uint64_t{c.responses} << 16 | c.shutdowns);
    h = Mix(h, uint64_t{c.entered_panic} << 1 | uint64_t{c.woken});
  }
  return h;
}

bool Wanted(const ExploreOptions& options, const Violation& v) {
  return options.properties.empty() || Contains(options.properties, v.property);
}

// Backtracks: the deepest node with a choice left gets it; the path below it is dropped. False when none is left.
bool Backtrack(std::vector<Node>& path, uint32_t bound) {
  while (!path.empty()) {
    Node& n = path.back();
    const uint32_t next = NextChoice(n, bound);
    if (next != kNoCpu) {
      n.chosen = next;
      n.tried.push_back(next);
      return true;
    }
    path.pop_back();
  }
  return false;
}

}  // namespace

bool WithExplicitSchedule(const pb::Scenario& scenario, const std::vector<uint32_t>& picks, pb::Scenario& out) {
  out = scenario;
  pb::Schedule* s = out.mutable_schedule();
  s->clear_choices();
  for (size_t i = 0; i < picks.size();) {
    size_t j = i;
    while (j < picks.size() && picks[j] == picks[i] && j - i < kMaxChoiceSteps) ++j;
    if (s->choices_size() >= kMaxChoices) return false;
    pb::Choice* c = s->add_choices();
    c->set_cpu(picks[i]);
    c->set_steps(static_cast<uint32_t>(j - i));
    i = j;
  }
  return true;
}

std::string PropertiesText(const std::vector<std::string>& properties) {
  if (properties.empty()) return "PR1..PR11";
  std::string out;
  for (const std::string& p : properties) out += (out.empty() ? "" : ",") + p;
  return out;
}

std::string GuaranteeText(const ExploreOptions& options, const ExploreResult& result) {
  const std::string bounds = "within " + std::to_string(options.preemptions) + " preemptions and " +
                             std::to_string(options.max_steps) + " steps";
  const std::string of =
      "no violation of " + PropertiesText(options.properties) + " on target " + options.target + " " + bounds;
  if (result.found) return "violation found " + bounds;
  if (!result.exhaustive) {
    return of + " in the " + std::to_string(result.schedules) + " schedules explored: bound reached, not exhaustive";
  }
  std::string how = ", exhaustively (" + std::to_string(result.schedules) + " schedules";
  if (options.state_hashing) {
    char p[32];
    std::snprintf(p, sizeof p, "%.1e", result.collision_bound);
    how += ", " + std::to_string(result.distinct_states) + " states; fingerprint-collision probability <= " + p;
  }
  return of + how + ")";
}

ExploreResult Explore(const pb::Scenario& scenario, const ExploreOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ExploreResult result;
  const TargetSpec* target = FindTarget(options.target);
  const uint32_t num_cpus = scenario.machine().cores() * scenario.machine().threads_per_core();
  std::vector<Node> path;
  std::unordered_set<uint64_t> finals;
  std::unique_ptr<VisitedSet> visited;
  if (options.state_hashing) visited = std::make_unique<VisitedSet>(options.memory_bytes);
  for (bool more = true; more;) {
    FactsBuilder facts(num_cpus);
    HistoryTracker history(num_cpus, facts);
    StepObserver steps(options.state_hashing ? static_cast<RunObserver&>(history) : facts);
    PathPicker picker(path, steps, options, result,
                      StateContext{nullptr, options.state_hashing ? &history : nullptr, &facts, visited.get()});
    RunOptions run;
    run.record_trace = false;
    run.observer = &steps;
    run.picker = &picker;
    RunResult r;
    bool cut = false;
    {
      Machine machine(scenario, run);
      picker.set_machine(&machine);
      const std::unique_ptr<Program> program = target->make(machine);
      try {
        r = machine.Run(*program);
      } catch (const Cut&) {
        cut = true;  // every continuation from the state reached was explored before
      }
      result.steps_executed += machine.step();
    }
    if (cut) {
      // counted by the picker
    } else if (picker.blocked()) {
      ++result.sleep_blocked;
    } else {
      ++result.schedules;
      finals.insert(FinalState(r));
      result.longest_run = std::max(result.longest_run, r.steps);
      if (r.steps > options.max_steps) ++result.runs_past_max_steps;
      if (!path.empty()) {
        const Node& last = path.back();
        result.max_preemptions_used =
            std::max(result.max_preemptions_used, last.preemptions + (IsPreemption(last, last.chosen) ? 1u : 0u));
      }
      for (const Violation& v : CheckProperties(scenario, r, facts.facts())) {
        if (Wanted(options, v)) result.violations.push_back(v);
      }
      if (!result.violations.empty()) {
        result.found = true;
        result.picks = picker.picks();
        break;
      }
    }
    more = Backtrack(path, options.preemptions);
    if (more && result.schedules + result.sleep_blocked >= options.max_schedules) break;
    result.exhaustive = !more;
  }
  result.distinct_final_states = finals.size();
  if (visited) {
    result.distinct_states = visited->size();
    result.visited_evictions = visited->evictions();
    result.visited_memory_bytes = visited->memory_bytes();
    result.collision_bound = visited->CollisionBound();
  }
  if (result.found && WithExplicitSchedule(scenario, result.picks, result.reproducer)) {
    RunOptions replay;
    replay.record_trace = false;
    const RunResult again = RunOnTarget(*target, result.reproducer, replay);
    RunOptions explored;
    explored.record_trace = false;
    // The explored run's hash, from a second run driven by the same picks.
    struct Fixed : SchedulePicker {
      const std::vector<uint32_t>& picks;
      explicit Fixed(const std::vector<uint32_t>& p) : picks(p) {}
      uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t step) override {
        return step < picks.size() ? picks[step] : runnable.front();
      }
    } fixed(result.picks);
    explored.picker = &fixed;
    result.reproducer_replays = RunOnTarget(*target, scenario, explored).trace_hash == again.trace_hash;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace crashdiff
