#include "explore/explorer.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "diff/runner.h"
#include "explore/state.h"
#include "oracle/facts.h"
#include "sim/memory_model.h"
#include "sim/validate.h"
#include "targets/target.h"
#include "util/join.h"

namespace crashdiff {
namespace {

// How a step touched an object. Besides reads and writes, the fine relation knows updates that commute with each
// other (docs/EXPLORE.md, "Commuting atomics"): result-less adds of one variable (kAdd), result-less set / clear of
// bits of one word (kBitUpdate: the word level; the bit itself is an object of its own, written), one-bit reads
// (kBitTest: the word level; the bit is read). The oracle's per-CPU bookkeeping adds to the book in kAdd mode.
enum class Mode : uint8_t { kRead, kWrite, kAdd, kBitUpdate, kBitTest };

// Whether two accesses of one object, by steps of different CPUs, are dependent: unless both orders reach the same
// state with neither seeing a different value. A plain write conflicts with everything; a read of the whole word
// with every update; two adds commute (same sum, no result); bit updates and bit reads of the word commute at the
// word level (their bit objects decide); an add changes every bit, so it conflicts with bit updates and bit reads.
constexpr bool Conflicts(Mode a, Mode b) {
  if (a == Mode::kWrite || b == Mode::kWrite) return true;
  auto either = [a, b](Mode x, Mode y) { return (a == x && b == y) || (a == y && b == x); };
  return either(Mode::kRead, Mode::kAdd) || either(Mode::kRead, Mode::kBitUpdate) ||
         either(Mode::kAdd, Mode::kBitUpdate) || either(Mode::kAdd, Mode::kBitTest);
}

// Two accesses of one object in the same step, as one: the same mode, a read that covers a bit read, else a write.
constexpr Mode Merge(Mode a, Mode b) {
  if (a == b) return a;
  if ((a == Mode::kRead && b == Mode::kBitTest) || (a == Mode::kBitTest && b == Mode::kRead)) return Mode::kRead;
  return Mode::kWrite;
}
inline constexpr size_t kNumModes = 5;

// What one scheduled step touched, as the objects it reads and writes: shared variables (Var::id), and with the fine
// relation (DPOR) a CPU's state, the console, the oracle's bookkeeping and single bits of a word (keys below). A
// global step is dependent with every step; the others only with steps that access one of their objects in
// conflicting modes (Conflicts).
struct Footprint {
  bool global = false;
  std::vector<std::pair<uint32_t, Mode>> vars;  // object key, how
};

// Object keys of the fine relation besides variables (Var::id is far below them).
constexpr uint32_t kCpuObject = 1u << 28;   // + c: CPU c's state (latches, location, frames, runnability, buffer)
constexpr uint32_t kConsole = 1u << 29;     // the console: printk lines are one ordered log
constexpr uint32_t kOracle = kConsole + 1;  // book entries, saves, writes of the variables the facts follow
// + c: the oracle's facts of CPU c alone (its saves and responses: they change c's facts and counters, and set the
// global over-count flag, which only ever goes from false to true, so two CPUs' entries commute).
constexpr uint32_t kOracleCpu = kConsole + 2;
constexpr uint32_t kQueueOrder = kConsole + 3;  // the order of the entries in every invalidate queue
constexpr uint32_t kBitObject = 1u << 30;  // + (var << 6) + bit: one bit of a word (bit ops; var < 2^24)

uint32_t BitKey(uint32_t var, uint32_t bit) {
  return var < (1u << 24) ? kBitObject + (var << 6) + bit : var;  // (a larger id: the whole word, conservative)
}

enum class Effect : uint8_t { kNone, kRead, kWrite, kGlobal, kConsole, kOracle };

// How each trace kind counts in the coarse relation (docs/EXPLORE.md, "Reduction": the bounded search's sleep sets).
// Only plain memory accesses and CPU-private steps may commute; everything that blocks, wakes, takes or returns
// from an interrupt, touches a latch (kHw: msgsnd / msgclr / a controller write can make another CPU's next step
// an interrupt), fires an event, prints (the console is one ordered log), saves, hands over, overwrites or corrupts
// is dependent with every other step. The end-of-run entry is not a step.
constexpr Effect kEffects[] = {
    Effect::kRead,    // kRead
    Effect::kWrite,   // kWrite
    Effect::kWrite,   // kRmw (even one that left the value alone: conservative)
    Effect::kNone,    // kBarrier (program order only; the stores it commits are entries of their own)
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
    Effect::kNone,    // kEnd (recorded after the last step; the last step is made global instead, see FinishRun)
    Effect::kWrite,   // kBuffer: a store entering the store buffer orders before its commit (same variable)
    Effect::kWrite,   // kInvalidate: a CPU's view of the variable catches up (ordered with its reads and the stores)
};
static_assert(std::size(kEffects) == kTraceKindNames.size());

// The fine relation (DPOR; docs/EXPLORE.md, "Dependency under DPOR"). Every step reads and writes its own CPU's state
// (its next step may become an interrupt when a latch is set, so a step that sets CPU j's latch is dependent with every
// step of j); what a step's code read or changed of other CPUs and of variables comes from the machine's
// StepAccess and from the entries below. Steps whose outcome depends on the clock are global: a timeout, an event
// (it fires at a time or step count, or after a label, and may reach any CPU), and (FinishStep) a step that reads
// now(), leaves its CPU in a timed wait (its deadline is the clock plus the timeout) or runs while a deadline
// passes. Hand-over (reads every CPU's location, overwrites memory), overwrites and corruption stay global.
constexpr Effect kFineEffects[] = {
    Effect::kRead,     // kRead
    Effect::kWrite,    // kWrite
    Effect::kWrite,    // kRmw
    Effect::kNone,     // kBarrier
    Effect::kNone,     // kLocal (with a variable: MONITOR arming, ordered against stores to the line)
    Effect::kNone,     // kHw: the latches it set or read are in StepAccess
    Effect::kNone,     // kBlock: a wait's predicate reads are in StepAccess; timed waits: FinishStep
    Effect::kGlobal,   // kTimeout
    Effect::kNone,     // kWake: the predicate's reads, or the CPU's own latches
    Effect::kNone,     // kIrq: the CPU's own latch and frames
    Effect::kNone,     // kIrqReturn
    Effect::kGlobal,   // kEvent
    Effect::kGlobal,   // kEventIgnored
    Effect::kNone,     // kLocation: the CPU's own state
    Effect::kConsole,  // kDiag
    Effect::kOracle,   // kSave
    Effect::kGlobal,   // kHandover
    Effect::kGlobal,   // kOverwrite
    Effect::kGlobal,   // kCorrupt
    Effect::kNone,     // kEnd
    Effect::kWrite,    // kBuffer
    Effect::kWrite,    // kInvalidate
};
static_assert(std::size(kFineEffects) == kTraceKindNames.size());

// The fine relation's assumption: model code reads another CPU's state only through the simulator (variables, Cpu
// accessors), so a step's footprint shows everything its outcome depends on. The x86 models break it in hardware
// ops: nmi_shootdown_cpus / smp_send_stop and stop_machine's CALL_FUNCTION_VECTOR skip a CPU whose local APIC its own
// offline path disabled (X86Kernel::apic_enabled_, a plain member), so a send that skipped a CPU would look
// independent of the step that disabled the APIC. On x86 every hardware op stays global.
bool HwOpsReadHiddenState(const pb::Scenario& scenario) {
  return scenario.machine().family() == pb::X86;
}

bool Independent(const Footprint& a, const Footprint& b) {
  if (a.global || b.global) return false;
  for (const auto& [va, ma] : a.vars) {
    for (const auto& [vb, mb] : b.vars) {
      if (va == vb && Conflicts(ma, mb)) return false;
    }
  }
  return true;
}

// Adds (key, mode) to fp, merging with an access already there.
void Touch(Footprint& fp, uint32_t key, Mode mode) {
  for (auto& [k, m] : fp.vars) {
    if (k == key) {
      m = Merge(m, mode);
      return;
    }
  }
  fp.vars.emplace_back(key, mode);
}
void Touch(Footprint& fp, uint32_t key, bool written) {
  Touch(fp, key, written ? Mode::kWrite : Mode::kRead);
}

// Adds b's accesses to a without merging modes of one object: a footprint of several steps that is dependent with
// exactly the steps one of them is dependent with (Merge, which is for one step's accesses, would make a bit test
// and a bit update of one word, in two steps, a write of it).
void UnionOfSteps(Footprint& a, const Footprint& b) {
  a.global = a.global || b.global;
  for (const auto& access : b.vars) {
    if (std::find(a.vars.begin(), a.vars.end(), access) == a.vars.end()) a.vars.push_back(access);
  }
}

// A result-less atomic or a one-bit read (sim: Cpu::atomic_add, set_bit, clear_bit, test_bit), in the fine relation.
void TouchWordAccess(Footprint& fp, const TraceEntry& e) {
  switch (e.tags.access) {
    case WordAccess::kWord: break;
    case WordAccess::kAdd: Touch(fp, e.tags.var, Mode::kAdd); break;
    case WordAccess::kSetBit:
    case WordAccess::kClearBit:
      Touch(fp, e.tags.var, Mode::kBitUpdate);
      Touch(fp, BitKey(e.tags.var, e.tags.bit), Mode::kWrite);
      break;
    case WordAccess::kTestBit:
      Touch(fp, e.tags.var, Mode::kBitTest);
      Touch(fp, BitKey(e.tags.var, e.tags.bit), Mode::kRead);
      break;
  }
}

// Passes everything on to the facts builder and collects the footprint of the step being executed, in both
// relations (the search uses one), and the CPUs its entries name (fine: another CPU's entry changes its state).
class StepObserver : public RunObserver {
 public:
  StepObserver(RunObserver& next, bool hw_global, bool queue_order = false)
      : next_(next), hw_global_(hw_global), queue_order_(queue_order) {}
  void OnEntry(const TraceEntry& e) override {
    next_.OnEntry(e);
    // Oldest-first invalidate queues: a visible store appends an entry to other CPUs' queues, so two stores to
    // different variables decide which entry a third CPU applies first. Visible stores are ordered among themselves.
    if (queue_order_ && (e.kind == TraceKind::kWrite || e.kind == TraceKind::kRmw) &&
        e.tags.mark != TraceMark::kRelocate) {
      Touch(coarse_, kQueueOrder, true);
      Touch(fine_, kQueueOrder, true);
    }
    const Effect effect = kEffects[static_cast<size_t>(e.kind)];
    if (effect == Effect::kGlobal || (effect != Effect::kNone && (e.cpu == kNoCpu || e.tags.var == kNoVar))) {
      coarse_.global = true;
    } else if (effect == Effect::kRead || effect == Effect::kWrite) {
      Touch(coarse_, e.tags.var, effect == Effect::kWrite);
    }
    if (e.kind == TraceKind::kEnd) return;
    Effect fine = kFineEffects[static_cast<size_t>(e.kind)];
    if (e.kind == TraceKind::kLocal && e.tags.var != kNoVar) fine = Effect::kRead;  // MONITOR arms on the line
    if (e.cpu == kNoCpu || ((fine == Effect::kRead || fine == Effect::kWrite) && e.tags.var == kNoVar)) {
      fine = Effect::kGlobal;
    }
    if (e.cpu != kNoCpu) cpus_.push_back(e.cpu);
    if (e.kind == TraceKind::kHw && hw_global_) fine = Effect::kGlobal;
    switch (fine) {
      case Effect::kNone: break;
      case Effect::kRead:
      case Effect::kWrite:
        // The facts read no value of a result-less atomic or a bit read (only a kWrite of a followed variable, a
        // reset of the arrival count, and reads of crashing_cpu, whole-word ops): no oracle object.
        if (e.tags.access != WordAccess::kWord) {
          TouchWordAccess(fine_, e);
          break;
        }
        Touch(fine_, e.tags.var, fine == Effect::kWrite);
        // The facts order a write of a variable they follow (a reset of the arrival count) with the book.
        if (fine == Effect::kWrite && e.tags.shared != SharedVar::kNone) Touch(fine_, kOracle, true);
        break;
      case Effect::kGlobal: fine_.global = true; break;
      case Effect::kConsole: Touch(fine_, kConsole, true); break;
      case Effect::kOracle:
        if (e.kind == TraceKind::kSave) {
          TouchOwnFacts(e.cpu);  // a save changes only its CPU's facts and counters
        } else {
          Touch(fine_, kOracle, true);
        }
        break;
    }
  }
  void OnBook(const BookEntry& b) override {
    next_.OnBook(b);
    coarse_.global = true;  // panic, wake sent, save, response, shutdown, hotplug: the oracle orders them all
    // Fine: ordered among themselves and with the CPU they are about; a save or a response changes only the facts
    // and counters of its CPU (FactsBuilder::OnBook) and may set the over-count flag, so those of two CPUs commute.
    const bool own = b.kind == BookKind::kSave || b.kind == BookKind::kInvalidSave || b.kind == BookKind::kResponse;
    if (own && b.cpu != kNoCpu) {
      TouchOwnFacts(b.cpu);
    } else {
      Touch(fine_, kOracle, true);
    }
    if (b.cpu != kNoCpu) cpus_.push_back(b.cpu);
  }
  // CPU c's own facts: written; the book as a whole: a commuting update (ordered with every other book entry).
  void TouchOwnFacts(uint32_t c) {
    Touch(fine_, kOracleCpu + c, Mode::kWrite);
    Touch(fine_, kOracle, Mode::kAdd);
  }
  // The step's footprint in the relation asked for, and the CPUs its entries and book entries named.
  Footprint Take(bool fine, std::vector<uint32_t>& cpus) {
    cpus.swap(cpus_);
    cpus_.clear();
    Footprint c = std::exchange(coarse_, Footprint{});
    Footprint f = std::exchange(fine_, Footprint{});
    return fine ? f : c;
  }

 private:
  RunObserver& next_;
  bool hw_global_;    // fine relation: hardware ops stay global (HwOpsReadHiddenState)
  bool queue_order_;  // invalidate queues applied oldest first only (--oldest-commit-only)
  Footprint coarse_;
  Footprint fine_;
  std::vector<uint32_t> cpus_;
};

// A choice of the search: an agent (a CPU, num_cpus + CPU for its store buffer, 2 * num_cpus + CPU for its invalidate
// queue) in the low 16 bits, and, for a buffer or queue on a machine that reorders stores and loads (powerpc, arm64;
// docs/EXPLORE.md "Store->store reordering", "Load->load reordering"), which store it commits or which variable's
// entry it applies: 1 + the name in the search's dictionary (CommitNames) above them. Slot 0: a CPU, or a buffer
// (queue) that commits (applies) its oldest (x86, --oldest-commit-only). kNoCpu (0xFFFF) is its own agent.
constexpr uint32_t kSlotShift = 16;
constexpr uint32_t kMaxSlot = (1u << 15) - 1;  // bit 31 marks a segment sleeper in the fingerprint's sleep set
constexpr uint32_t AgentOf(uint32_t choice) {
  return choice & ((1u << kSlotShift) - 1);
}
constexpr uint32_t SlotOf(uint32_t choice) {
  return choice >> kSlotShift;
}

// The names of the stores a buffer's choice commits, numbered in the order the search first met them (the same
// number in every run of one search: a sleeping choice and a replayed path name the same store).
class CommitNames {
 public:
  uint32_t Slot(std::string_view name) {
    const auto it = index_.find(name);
    if (it != index_.end()) return it->second;
    if (names_.size() >= kMaxSlot) throw std::length_error("explore: too many distinct buffered store names");
    names_.emplace_back(name);
    const auto slot = static_cast<uint32_t>(names_.size());
    index_.emplace(names_.back(), slot);
    return slot;
  }
  std::string_view Name(uint32_t slot) const { return names_[slot - 1]; }

 private:
  std::deque<std::string> names_;  // stable: index_'s keys view them
  std::unordered_map<std::string_view, uint32_t> index_;
};

// An asleep CPU. Either its next step (the non-preempting step, "Reduction") or, put to sleep at a free switch, its
// whole segment: every step it takes from there until it can no longer run, as explored in its own subtree (the
// footprints' union, and how many steps). Both are unchanged while it sleeps: only independent steps ran since.
struct Sleeper {
  uint32_t cpu;  // the choice (AgentOf: its agent)
  Footprint step;
  bool segment = false;
  uint64_t len = 1;  // segment: its steps
};

// What a CPU chosen at a node did in the first run of its subtree, which lets it run until it can no longer run (it
// is the CPU that ran last at every node below, tried first): the union of its steps' footprints and their number.
// Not complete when that run was cut, ended or left the window before the CPU stopped being runnable.
struct Segment {
  Footprint steps;
  uint64_t len = 0;
  bool complete = false;
};

// One scheduled step of the current path: what could run, what ran, and what is left to try.
struct Node {
  std::vector<uint32_t> runnable;  // the choices: runnable agents, a reordering buffer once per store it may commit
  uint32_t last = kNoCpu;          // the agent that ran the step before
  uint32_t preemptions = 0;    // before this step
  std::vector<Sleeper> sleep;  // asleep on entry: not chosen here
  uint32_t chosen = kNoCpu;
  std::vector<uint32_t> tried;        // chosen so far here, in order
  std::vector<Footprint> tried_step;  // the footprint of each tried CPU's step from here (DPOR's sleep sets)
  Footprint chosen_step;              // footprint of chosen's step (set when the next step is picked)
  bool last_tried = false;            // last's step was explored from here, its footprint in last_step
  Footprint last_step;
  std::vector<uint32_t> backtrack;  // DPOR: the CPUs to explore from here (tried ones included)
  std::vector<Segment> segments;    // the segment of each tried CPU (by index in tried), when recorded
};

template <typename T>
bool Contains(const std::vector<T>& v, const T& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool Asleep(const Node& n, uint32_t cpu) {
  return std::any_of(n.sleep.begin(), n.sleep.end(), [cpu](const Sleeper& s) { return s.cpu == cpu; });
}

bool AgentRunnable(const Node& n, uint32_t agent) {
  return std::any_of(n.runnable.begin(), n.runnable.end(), [agent](uint32_t c) { return AgentOf(c) == agent; });
}

// Choosing another agent than the one that ran last while that one can still run. Which store a buffer commits is
// not a context switch: its choices cost the same (docs/EXPLORE.md, "Store->store reordering").
bool IsPreemption(const Node& n, uint32_t choice) {
  return n.last != kNoCpu && AgentOf(choice) != n.last && AgentRunnable(n, n.last);
}

// The next choice to explore at n: the CPU that ran last first (no preemption), then the others by id; not one
// already tried, not one asleep, not one that would exceed the preemption bound. With DPOR, only the CPUs in the
// node's backtrack set (the first choice seeds it). kNoCpu when none is left.
// preempt_first: the others first and the CPU that ran last at the end, so a depth-first search with K = 1 tries
// the preemption points from the earliest on (then the restricted sleep sets never apply: nothing is explored after
// the non-preempting step).
uint32_t NextChoice(const Node& n, uint32_t bound, bool dpor, bool preempt_first = false) {
  auto allowed = [&](uint32_t c) {
    return !Contains(n.tried, c) && !Asleep(n, c) && (!dpor || n.tried.empty() || Contains(n.backtrack, c)) &&
           n.preemptions + (IsPreemption(n, c) ? 1 : 0) <= bound;
  };
  // The agent that ran last: each of its choices (a reordering buffer has one per store it may commit), in order.
  auto of_last = [&](uint32_t c) { return n.last != kNoCpu && AgentOf(c) == n.last; };
  if (!preempt_first) {
    for (uint32_t c : n.runnable) {
      if (of_last(c) && allowed(c)) return c;
    }
  }
  for (uint32_t c : n.runnable) {
    if ((!preempt_first || !of_last(c)) && allowed(c)) return c;
  }
  if (preempt_first) {
    for (uint32_t c : n.runnable) {
      if (of_last(c) && allowed(c)) return c;
    }
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

// Thrown by the picker to abandon a run: at a state already explored, or where every allowed choice is asleep
// (every continuation is equivalent to an explored one). The run's Machine is destroyed with it.
struct Cut {
  bool asleep;
};

// What state hashing needs at a choice: the running machine, the state tracker, the facts so far, the table.
struct StateContext {
  const Machine* machine = nullptr;
  StateTracker* history = nullptr;
  const FactsBuilder* facts = nullptr;
  VisitedSet* visited = nullptr;
  bool verify = false;  // compare the incremental fingerprint with a full recomputation at every choice
};

// A vector clock over CPUs: clock[q] = 1 + the index of q's latest step that happens before (or is) the step.
using Clock = std::vector<uint32_t>;

void Join(Clock& a, const Clock& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] = std::max(a[i], b[i]);
}

// One step of the run for DPOR: who ran it, what it touched, its happens-before clock.
struct Event {
  uint32_t cpu;
  Footprint step;
  Clock clock;
};

// Happens-before over a run's steps (Mazurkiewicz order of the dependency relation above), kept per CPU, per
// variable and for the latest global step, so that each step's clock costs O(CPUs x its variables).
class HappensBefore {
 public:
  explicit HappensBefore(uint32_t num_cpus) : cpu_(num_cpus, Clock(num_cpus, 0)), global_(num_cpus, 0) {}

  // The previous step of cpu's clock (program order).
  const Clock& Of(uint32_t cpu) const { return cpu_[cpu]; }

  Clock Add(uint32_t index, uint32_t cpu, const Footprint& fp) {
    Clock c = cpu_[cpu];
    if (fp.global) {
      for (const Clock& o : cpu_) Join(c, o);  // dependent with every earlier step
    } else {
      Join(c, global_);
      for (const auto& [key, mode] : fp.vars) {
        const std::array<Clock, kNumModes>& seen = by_mode_[Index(key)];
        for (size_t m = 0; m < kNumModes; ++m) {
          if (Conflicts(mode, static_cast<Mode>(m))) Join(c, seen[m]);
        }
      }
    }
    c[cpu] = index + 1;
    cpu_[cpu] = c;
    if (fp.global) {
      global_ = c;
    } else {
      for (const auto& [key, mode] : fp.vars) Join(by_mode_[Index(key)][static_cast<size_t>(mode)], c);
    }
    return c;
  }

 private:
  // The dense index of an object key (variables, and the fine relation's CPU / console / oracle / bit objects).
  size_t Index(uint32_t key) {
    const auto [it, added] = index_.try_emplace(key, by_mode_.size());
    if (added) {
      std::array<Clock, kNumModes>& seen = by_mode_.emplace_back();
      for (Clock& k : seen) k.assign(global_.size(), 0);
    }
    return it->second;
  }
  std::vector<Clock> cpu_;
  Clock global_;
  std::unordered_map<uint32_t, size_t> index_;
  // Per object and mode: the join of the clocks of every access in that mode so far (a step joins the modes its own
  // conflicts with; for reads and writes alone this is the latest write and the reads since).
  std::vector<std::array<Clock, kNumModes>> by_mode_;
};

// A probe of the free switch at step `at` (docs/EXPLORE.md, "Persistent sets at free switches"): a run that replays
// the path up to `at`, then runs the other CPUs runnable there one after another until each can no longer run, never
// c, the choice explored there, then c's segment. covered: every check passed, so every schedule from `at` is
// equivalent to one that starts with c (whose subtree was explored) with no more preemptions.
struct FreeSwitchProbe {
  uint64_t at = 0;
  uint32_t c = kNoCpu;
  bool covered = false;
  uint64_t steps = 0;  // steps the probe ran from `at` (the others', then c's)
};

// Drives one run: replays the path's choices, then extends the path with first choices up to max_steps; past
// max_steps the lowest-numbered runnable CPU runs. That tail depends on the machine's state only, so equivalent
// prefixes get the same tail.
class PathPicker : public SchedulePicker {
 public:
  PathPicker(std::vector<Node>& path, StepObserver& steps, StepAccess* access, const ExploreOptions& options,
             ExploreResult& stats, StateContext state, uint32_t num_cpus, uint64_t first_new, CommitNames* names)
      : path_(path),
        steps_(steps),
        access_(access),
        options_(options),
        stats_(stats),
        state_(state),
        hb_(num_cpus),
        num_cpus_(num_cpus),
        first_new_(first_new),
        names_(names) {}

  uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t step) override {
    if (state_.history != nullptr) {
      state_.history->AtChoice(*state_.machine, picks_.empty() ? kNoCpu : AgentOf(picks_.back()),
                               access_ != nullptr ? &access_->reads.cpus : nullptr);
    }
    Footprint before = TakeStep();  // of the previous step (or settling and step-0 events: fixed)
    if (step > 0) FinishStep(step - 1, std::move(before), &runnable);
    prev_runnable_ = runnable;
    if (probe_ != nullptr && step >= probe_->at) return ProbePick(runnable, step);
    const std::vector<uint32_t>& choices = Choices(runnable);
    uint32_t cpu = kNoCpu;
    if (step < path_.size()) {
      if (path_[step].runnable != choices) {
        std::fprintf(stderr, "crashdiff explore: simulator invariant: step %llu replayed with other runnable CPUs\n",
                     static_cast<unsigned long long>(step));
        std::abort();
      }
      cpu = path_[step].chosen;
    } else if (!tail_ && step < options_.max_steps) {
      cpu = Extend(choices);
    }
    if (cpu == kNoCpu) {
      tail_ = true;
      cpu = choices.front();  // the lowest agent; a buffer's first choice is its oldest store
    }
    picks_.push_back(cpu);
    // The store a buffer's choice names; written into the reproducer only when it is not the buffer's oldest (the
    // first of its choices), so an oldest-first commit is written as before.
    commit_ = SlotOf(cpu) != 0 ? names_->Name(SlotOf(cpu)) : std::string_view();
    const auto at = std::find(choices.begin(), choices.end(), cpu);
    const bool oldest = at == choices.begin() || AgentOf(*(at - 1)) != AgentOf(cpu);
    commits_.emplace_back(oldest ? std::string_view() : commit_);
    if (!oldest && step >= first_new_) {
      ++(AgentOf(cpu) >= 2 * state_.machine->num_cpus() ? stats_.named_applies : stats_.named_commits);
    }
    return AgentOf(cpu);
  }

  std::string_view Commit() const override { return commit_; }

  // After a complete run: the last step's footprint. Whether it changed another CPU's runnability is not known
  // (no choice follows it), so it counts as global.
  void FinishRun() {
    Footprint last = TakeStep();
    last.global = true;
    if (!picks_.empty()) FinishStep(picks_.size() - 1, std::move(last), nullptr);
  }

  // The agent of every step, and the store each named (Choice.commit; empty: the oldest).
  std::vector<uint32_t> agents() const {
    std::vector<uint32_t> out;
    for (uint32_t c : picks_) out.push_back(AgentOf(c));
    return out;
  }
  const std::vector<std::string>& commits() const { return commits_; }
  void set_machine(const Machine* m) { state_.machine = m; }
  // The machine's step budget: the only way a run ends while a CPU can still run (segments must end before it).
  void set_step_budget(uint64_t budget) { step_budget_ = budget; }
  // Store buffers: an overdue buffer is forced as the only choice, which says nothing about whether the CPUs can run;
  // segments are not put to sleep then (the restricted sleep sets stay).
  void set_buffers(bool buffers) { buffers_ = buffers; }
  // Makes this run a probe of a free switch: it records nothing on the path (which it replays up to probe.at).
  void set_probe(FreeSwitchProbe* probe) { probe_ = probe; }
  // A probe's run ended: when nothing could run any more after a step of c, that step ended c's segment.
  void FinishProbe(EndReason end) {
    if (!c_running_ || probe_failed_ || end != EndReason::kQuiescent || picks_.empty()) return;
    const std::vector<uint32_t> none;
    FinishStep(picks_.size() - 1, TakeStep(), &none);
    if (!probe_failed_) ConcludeProbe();
  }

 private:
  // The search's choices at this step: the runnable agents, and on a machine that reorders stores a buffer once per
  // store it may commit now (Machine::CommitCandidates: oldest first) and an invalidate queue once per entry it may
  // apply (Machine::InvalidateCandidates: oldest first).
  const std::vector<uint32_t>& Choices(const std::vector<uint32_t>& runnable) {
    if (names_ == nullptr) return runnable;
    const uint32_t n = state_.machine->num_cpus();
    choices_.clear();
    for (uint32_t a : runnable) {
      if (a < n) {
        choices_.push_back(a);
        continue;
      }
      if (a >= 2 * n) {
        state_.machine->InvalidateCandidates(a - 2 * n, candidates_);
      } else {
        state_.machine->CommitCandidates(a - n, candidates_);
      }
      for (std::string_view name : candidates_) choices_.push_back(a | names_->Slot(name) << kSlotShift);
    }
    return choices_;
  }

  // The footprint of the step that just ran, from its entries and (fine relation) what the machine recorded.
  Footprint TakeStep() {
    Footprint fp = steps_.Take(access_ != nullptr, named_);
    if (access_ == nullptr) return fp;
    const uint64_t reads = state_.machine->clock_reads();
    if (reads != clock_reads_) fp.global = true;  // model code read now(): it depends on when it ran
    clock_reads_ = reads;
    for (uint32_t v : access_->reads.vars) Touch(fp, v, false);
    for (uint32_t c : access_->reads.cpus) Touch(fp, kCpuObject + c, false);
    for (uint32_t c : access_->cpus_changed) Touch(fp, kCpuObject + c, true);
    for (uint32_t c : named_) Touch(fp, kCpuObject + c, true);
    access_->reads.vars.clear();
    access_->reads.cpus.clear();
    access_->cpus_changed.clear();
    return fp;
  }

  // Fine relation (docs/EXPLORE.md, "Dependency under DPOR"): the step of agent (a CPU, or a CPU's store buffer) reads
  // and writes its CPU's state; a CPU whose runnability it changed has its state written, unless a deadline passed
  // (then the clock, not the step, decided: global), as does a step that leaves its own CPU in a timed wait (its
  // deadline is the clock plus the timeout).
  void Refine(uint32_t agent, Footprint& fp, const std::vector<uint32_t>& runnable_now) const {
    const Machine& m = *state_.machine;
    const uint32_t n = m.num_cpus();
    auto cpu_of = [n](uint32_t a) { return a >= 2 * n ? a - 2 * n : a >= n ? a - n : a; };
    Touch(fp, kCpuObject + cpu_of(agent), true);
    if (agent < n && InTimedWait(m.cpu(agent))) fp.global = true;
    // While a decrementer is armed (powerpc, Cpu::mtspr_dec) the clock decides when it latches, and a step that
    // moves the clock can change that CPU's runnability: every step is global then, as when a deadline passes.
    for (uint32_t c = 0; c < n && !fp.global; ++c) fp.global = m.cpu(c).dec_expiry() != kForever;
    auto changed = [&](uint32_t c) {
      if (c == agent) return;
      if (c < n && InTimedWait(m.cpu(c)) && Deadline(m.cpu(c)) <= m.clock()) fp.global = true;
      Touch(fp, kCpuObject + cpu_of(c), true);
    };
    for (uint32_t c : prev_runnable_) {
      if (!Contains(runnable_now, c)) changed(c);
    }
    for (uint32_t c : runnable_now) {
      if (!Contains(prev_runnable_, c)) changed(c);
    }
  }

  static uint64_t Deadline(const Cpu& c) {
    const PendingOp* op = c.frames().empty() ? nullptr : c.frames().back().op;
    return op == nullptr ? kForever : op->Deadline();
  }
  static bool InTimedWait(const Cpu& c) { return c.blocked() && Deadline(c) != kForever; }

  // The step at index i has run: its footprint goes to its node, and DPOR looks for its races. Coarse relation: made
  // global when it changed whether another CPU can run (a write a waiter waits for, a timeout that expired
  // meanwhile); fine relation: Refine.
  void FinishStep(uint64_t i, Footprint fp, const std::vector<uint32_t>* runnable_now) {
    const uint32_t cpu = AgentOf(picks_[i]);
    // Commits of one buffer are ordered with each other in both relations (the fine one: Refine), so a sleeping
    // commit wakes when its buffer commits another store (docs/EXPLORE.md, "Store->store reordering").
    // Likewise the applies of one invalidate queue.
    if (const uint32_t n = state_.machine->num_cpus(); names_ != nullptr && cpu >= n) {
      Touch(fp, kCpuObject + (cpu >= 2 * n ? cpu - 2 * n : cpu - n), true);
    }
    if (access_ != nullptr && runnable_now != nullptr) {
      Refine(cpu, fp, *runnable_now);
    } else if (runnable_now != nullptr) {
      for (uint32_t c : prev_runnable_) {
        if (c != cpu && !Contains(*runnable_now, c)) fp.global = true;
      }
      for (uint32_t c : *runnable_now) {
        if (c != cpu && !Contains(prev_runnable_, c)) fp.global = true;
      }
    }
    if (probe_ != nullptr) {
      if (i >= probe_->at) ProbeStep(cpu, fp);
      return;
    }
    if (i < path_.size()) {
      Node& n = path_[i];
      if (n.chosen == n.last && !n.last_tried) {
        n.last_tried = true;
        n.last_step = fp;
      }
      if (n.tried_step.size() < n.tried.size()) n.tried_step.push_back(fp);
      n.chosen_step = fp;
    }
    if (options_.dpor) AddEvent(static_cast<uint32_t>(i), cpu, std::move(fp));
  }

  // Source-set DPOR (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014, Algorithm 1): for each race of the new step j
  // with an earlier step i (dependent, other CPUs, i happens before j directly, not through another step), let v
  // be the steps after i that do not happen after i, followed by j. Some CPU that can start v (an initial of v: its
  // first step in v has no predecessor in v) must be explored from i's node; if none is in its backtrack set yet,
  // one is added. Steps replayed from an earlier run had their races handled then.
  void AddEvent(uint32_t j, uint32_t cpu, Footprint fp) {
    Clock covered = hb_.Of(cpu);
    Clock clock = hb_.Add(j, cpu, fp);
    if (j >= first_new_) {
      for (uint32_t i = j; i-- > 0;) {
        const Event& e = events_[i];
        if (e.cpu == cpu || Independent(e.step, fp)) continue;
        if (covered[e.cpu] < i + 1) Race(i, j, cpu, clock);
        Join(covered, e.clock);
        if (e.step.global) break;  // every earlier step happens before e, hence before j through e
      }
    }
    events_.push_back(Event{cpu, std::move(fp), std::move(clock)});
  }

  void Race(uint32_t i, uint32_t j, uint32_t cpu, const Clock& clock_j) {
    ++stats_.races;
    if (i >= path_.size()) return;  // past the explored window: no choice there
    Node& n = path_[i];
    const uint32_t ci = events_[i].cpu;
    // v: the steps in (i, j) that do not happen after i, then j.
    std::vector<uint32_t> v;
    for (uint32_t k = i + 1; k < j; ++k) {
      if (events_[k].clock[ci] < i + 1) v.push_back(k);
    }
    std::vector<uint32_t> first(num_cpus_, UINT32_MAX);  // each CPU's first step in v
    auto clock_of = [&](uint32_t k) -> const Clock& { return k == j ? clock_j : events_[k].clock; };
    auto cpu_of = [&](uint32_t k) { return k == j ? cpu : events_[k].cpu; };
    v.push_back(j);
    for (uint32_t k : v) {
      if (first[cpu_of(k)] == UINT32_MAX) first[cpu_of(k)] = k;
    }
    std::vector<uint32_t> initials;
    for (uint32_t q = 0; q < num_cpus_; ++q) {
      const uint32_t k = first[q];
      if (k == UINT32_MAX) continue;
      bool initial = true;
      for (uint32_t o = 0; o < num_cpus_ && initial; ++o) {
        if (o != q && first[o] < k && clock_of(k)[o] >= first[o] + 1) initial = false;
      }
      if (initial) initials.push_back(q);
    }
    for (uint32_t q : initials) {
      if (Contains(n.backtrack, q)) return;
    }
    // Prefer the racing CPU, then one that can run there and is awake; if none can run (a reversal the
    // dependency relation should exclude), every runnable CPU (conservative).
    std::vector<uint32_t> order;
    if (Contains(initials, cpu)) order.push_back(cpu);
    order.insert(order.end(), initials.begin(), initials.end());
    for (uint32_t q : order) {
      if (Contains(n.runnable, q) && !Asleep(n, q)) {
        n.backtrack.push_back(q);
        ++stats_.backtrack_points;
        return;
      }
    }
    for (uint32_t q : order) {
      if (Contains(n.runnable, q)) {
        n.backtrack.push_back(q);  // asleep there: covered by the explored sibling it sleeps for
        return;
      }
    }
    for (uint32_t q : n.runnable) {
      if (!Contains(n.backtrack, q)) {
        n.backtrack.push_back(q);
        ++stats_.backtrack_points;
      }
    }
  }

  // Persistent sets at free switches (docs/EXPLORE.md has the argument). At the free switch `at` the probe runs the
  // other runnable CPUs d1 < d2 < ... one after another, each until it can no longer run, then c until it can no
  // longer run, and checks that any schedule W of steps of CPUs other than c from `at` (c stays runnable throughout:
  // nothing writes its state, so the clock only advances by steps) consists of these steps and is independent of
  // c's segment:
  //  - each step of the others is independent of c's steps and of the other CPUs' steps (so each CPU's steps are the
  //    same in every interleaving, interleavings of prefixes of them are all W can be, and c's steps after them are
  //    the ones it takes from `at`), is not global (no clock read, timed wait, event or deadline), and writes no
  //    other CPU's state (nobody else wakes, is interrupted or released);
  //  - the CPUs that cannot run at `at` stay so in every such interleaving: a variable their wait conditions read is
  //    not written, unless the condition is monotone in it (PendingOp::MonotoneIn, "count >= n"), every write of it
  //    is a result-less add and its value never moves back (each add has the same sign in every interleaving), so
  //    that no interleaving gets further than the end of the others' steps, where the waiter still cannot run; a
  //    condition that reads the state of a CPU that runs there fails the probe.
  // Then a schedule W.c^k.R from `at` is equivalent to c^k.W.R, which makes no more preemptions (the switch into c
  // is free at a free switch) and lies in c's subtree, explored before.
  uint32_t ProbePick(const std::vector<uint32_t>& runnable, uint64_t step) {
    if (step == probe_->at) {
      StartProbe(runnable);
    } else if (!c_running_) {
      for (Watched& w : watched_) {
        const int64_t value = state_.machine->vars()[w.var].value.raw();
        if ((value - w.value) * w.direction < 0) probe_failed_ = true;  // it moved back
        w.value = value;
      }
    }
    // The CPU running goes on while it can; then the next one, which must still be able to run.
    while (!probe_failed_ && next_other_ < others_.size() && !Contains(runnable, others_[next_other_])) {
      if (!other_ran_) probe_failed_ = true;  // it could run at `at`, and only steps that do not write it ran since
      done_.push_back(std::exchange(running_, Footprint{}));
      other_ran_ = false;
      ++next_other_;
    }
    if (!c_running_) {
      const auto rest = others_.begin() + static_cast<ptrdiff_t>(std::min(next_other_, others_.size()));
      for (uint32_t a : runnable) {
        if (a != probe_->c && std::find(rest, others_.end(), a) == others_.end()) probe_failed_ = true;  // a wake
      }
    }
    if (probe_failed_ || step >= options_.max_steps) throw Cut{false};
    if (next_other_ < others_.size()) {
      other_ran_ = true;
      picks_.push_back(others_[next_other_]);
      return others_[next_other_];
    }
    // Only c can run: now its segment, which must be independent of everything the others did.
    c_running_ = true;
    if (!Contains(runnable, probe_->c)) {
      ConcludeProbe();
      throw Cut{false};
    }
    picks_.push_back(probe_->c);
    return probe_->c;
  }

  // c's segment has ended (c cannot run): covered if it is independent of everything the others did and the moved
  // steps stay within the window.
  void ConcludeProbe() {
    for (const Footprint& d : done_) {
      if (!Independent(d, c_steps_)) return;
    }
    probe_->covered = SegmentFits(probe_->at, probe_->steps);
  }

  void StartProbe(const std::vector<uint32_t>& runnable) {
    const Machine& m = *state_.machine;
    for (uint32_t a : runnable) {
      if (a != probe_->c) others_.push_back(a);
    }
    if (!Contains(runnable, probe_->c) || others_.empty()) probe_failed_ = true;
    for (uint32_t x = 0; x < m.num_cpus() && !probe_failed_; ++x) {
      const Cpu& cx = m.cpu(x);
      // Finished, in firmware, or between frames: only a write of its state (which fails the probe) changes that.
      if (Contains(runnable, x) || cx.finished() || cx.in_firmware() || cx.frames().empty()) continue;
      const PendingOp* op = cx.frames().back().op;
      if (op == nullptr) continue;  // waits for an interrupt: its latches are its state
      ReadLog log;
      log.self = x;
      ReadLog* outer = std::exchange(ReadLog::Current(), &log);
      (void)op->CanProceed(cx);
      ReadLog::Current() = outer;
      const PendingOp::Monotone monotone = op->MonotoneIn();
      for (uint32_t v : log.vars) {
        const auto w = std::find_if(watched_.begin(), watched_.end(), [v](const Watched& x) { return x.var == v; });
        if (monotone.var == nullptr || v != monotone.var->id ||
            (w != watched_.end() && w->direction != monotone.direction)) {
          if (!Contains(unwritten_, v)) unwritten_.push_back(v);
        } else if (w == watched_.end()) {
          watched_.push_back(Watched{v, monotone.direction, m.vars()[v].value.raw()});
        }
      }
      for (uint32_t y : log.cpus) {
        if (Contains(others_, y)) probe_failed_ = true;
      }
    }
  }

  bool Watches(uint32_t var) const {
    return std::any_of(watched_.begin(), watched_.end(), [var](const Watched& w) { return w.var == var; });
  }

  // One step of the probe (after Refine: its footprint includes the runnability it changed).
  void ProbeStep(uint32_t cpu, const Footprint& fp) {
    ++probe_->steps;
    if (probe_failed_) return;
    if (c_running_) {
      probe_failed_ = fp.global || cpu != probe_->c;
      UnionOfSteps(c_steps_, fp);
      return;
    }
    bool ok = !fp.global && next_other_ < others_.size() && cpu == others_[next_other_];
    for (size_t d = 0; d < done_.size() && ok; ++d) ok = Independent(fp, done_[d]);
    for (const auto& [key, mode] : fp.vars) {
      if (!ok) break;
      const bool written = mode != Mode::kRead && mode != Mode::kBitTest;
      if (key >= kCpuObject && key < kConsole) {
        ok = !written || key - kCpuObject == cpu;
      } else if (written && Contains(unwritten_, key)) {
        ok = false;
      } else if (written && Watches(key)) {
        ok = mode == Mode::kAdd;
      }
    }
    probe_failed_ = !ok;
    UnionOfSteps(running_, fp);
  }

  uint32_t Extend(const std::vector<uint32_t>& runnable) {
    Node n;
    n.runnable = runnable;
    if (!path_.empty()) {
      const Node& p = path_.back();
      n.last = AgentOf(p.chosen);
      n.preemptions = p.preemptions + (IsPreemption(p, p.chosen) ? 1 : 0);
      if (options_.reduction) n.sleep = options_.dpor ? DporChildSleep(p) : ChildSleep(p, path_.size());
    }
    if (state_.visited != nullptr && Explored(n)) {
      ++stats_.state_pruned;
      throw Cut{false};
    }
    stats_.sleep_skipped += SkippedAsleep(n, options_.preemptions);
    const uint32_t cpu = NextChoice(n, options_.preemptions, options_.dpor, options_.preempt_first && !options_.dpor);
    if (cpu == kNoCpu) {
      ++stats_.sleep_blocked;
      throw Cut{true};  // every allowed choice is asleep: each continuation is equivalent to an explored one
    }
    n.chosen = cpu;
    n.tried.push_back(cpu);
    n.backtrack.push_back(cpu);
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
  //
  // segment_sleep: every other CPU a tried at p before the chosen one b sleeps with its whole segment u (its steps
  // until it can no longer run), when b's step is independent of u and choosing a cost no more than choosing b
  // ([l->a] <= [l->b], l the CPU that ran last). A pruned schedule p.W.a^k.R (a^k a's maximal block there, a prefix
  // of u since W, independent of u, changes nothing a's steps read, a's runnability included) is equivalent to
  // p.a^k.W.R, which pays [l->a], [a->W1] (a still runnable after a^k) and [Wend->R1]; the original paid [l->b],
  // [Wend->a] and [a->R1] (= [a can still run]: R1 is not a by maximality). No more preemptions, and it lies in a's
  // subtree, explored before (docs/EXPLORE.md, "Segment sleep sets").
  //
  // A segment of len steps from node index i stays within the window (its steps, moved ahead, stay choices) and
  // before the step budget (the only end of a run while a CPU can still run: the machine runs until quiescent or out
  // of time, and then nothing can run), so a's block in a pruned schedule ends with a switch or with a unable to run.
  bool SegmentFits(uint64_t i, uint64_t len) const { return i + len <= options_.max_steps && i + len < step_budget_; }

  std::vector<Sleeper> ChildSleep(const Node& p, uint64_t child) {
    std::vector<Sleeper> out;
    for (const Sleeper& s : p.sleep) {
      if (s.segment && !SegmentFits(child, s.len)) continue;
      if (Independent(s.step, p.chosen_step)) out.push_back(s);
    }
    if (names_ == nullptr) {
      if (p.last_tried && p.chosen != p.last && !Asleep(p, p.last) && Independent(p.last_step, p.chosen_step)) {
        out.push_back(Sleeper{p.last, p.last_step});
      }
    } else if (AgentOf(p.chosen) != p.last) {
      // A reordering buffer that ran last has a choice per store: each one explored before is a non-preempting step
      // of the agent that ran last, and sleeps as above. Another choice of that agent puts none of them to sleep.
      for (size_t t = 0; t + 1 < p.tried.size() && t < p.tried_step.size(); ++t) {
        const uint32_t c = p.tried[t];
        if (AgentOf(c) == p.last && !Asleep(p, c) && Independent(p.tried_step[t], p.chosen_step)) {
          out.push_back(Sleeper{c, p.tried_step[t]});
        }
      }
    }
    if (options_.segment_sleep && !buffers_) {
      const bool chosen_preempts = IsPreemption(p, p.chosen);
      for (size_t t = 0; t + 1 < p.tried.size() && t < p.segments.size(); ++t) {
        const Segment& seg = p.segments[t];
        const uint32_t a = p.tried[t];
        // The CPU that ran last sleeps with its step (above); another only if choosing it cost no more than the
        // chosen CPU: [l->a] <= [l->b] (always, with the CPU that ran last tried first).
        if (a == p.last || (IsPreemption(p, a) && !chosen_preempts)) continue;
        if (!seg.complete || !SegmentFits(child, seg.len) || Asleep(p, a)) continue;
        if (!Independent(seg.steps, p.chosen_step)) continue;
        out.push_back(Sleeper{a, seg.steps, true, seg.len});
        ++stats_.segment_sleepers;
      }
    }
    return out;
  }

  // Without a preemption bound (DPOR) every explored sibling goes to sleep (Godefroid's sleep sets unrestricted):
  // p's sleepers and the CPUs tried at p before the chosen one, those independent of the step taken.
  static std::vector<Sleeper> DporChildSleep(const Node& p) {
    std::vector<Sleeper> out;
    for (const Sleeper& s : p.sleep) {
      if (Independent(s.step, p.chosen_step)) out.push_back(s);
    }
    for (size_t t = 0; t + 1 < p.tried.size() && t < p.tried_step.size(); ++t) {
      if (Independent(p.tried_step[t], p.chosen_step)) out.push_back(Sleeper{p.tried[t], p.tried_step[t]});
    }
    return out;
  }

  // The choice point n (not yet on the path) was explored before from the same state, with the same CPU having
  // run last, the same sleeping CPUs and at least as many preemptions left: every continuation from here was.
  bool Explored(const Node& n) {
    std::vector<uint32_t> asleep;
    // A segment sleeper prunes other schedules than a step sleeper of the same CPU: the kind is part of the key.
    for (const Sleeper& s : n.sleep) asleep.push_back(s.cpu | (s.segment ? 1u << 31 : 0u));
    std::sort(asleep.begin(), asleep.end());
    // Which CPU ran last matters only while it can still run (then choosing another is a preemption, and its step
    // may be put to sleep); once it blocked or finished every choice is free and nothing below depends on it, so
    // states reached after different CPUs blocked meet (docs/EXPLORE.md, "Commuting atomics").
    const uint32_t last = AgentRunnable(n, n.last) ? n.last : kNoCpu;
    const uint64_t fp = state_.history->Fingerprint(*state_.machine, state_.facts->facts(), last, asleep);
    if (state_.verify && fp != FullFingerprint(*state_.machine, *state_.history, state_.facts->facts(), last, asleep)) {
      ++stats_.fingerprint_mismatches;
    }
    const uint32_t remaining = options_.preemptions - n.preemptions;
    // The same state explored with nobody asleep had every continuation explored (within as much budget): it covers
    // this visit whatever sleeps here (segment_sleep; the sleep sets would otherwise keep such states apart).
    if (options_.segment_sleep && !asleep.empty()) {
      const uint64_t awake = state_.history->Fingerprint(*state_.machine, state_.facts->facts(), last, {});
      if (state_.verify &&
          awake != FullFingerprint(*state_.machine, *state_.history, state_.facts->facts(), last, {})) {
        ++stats_.fingerprint_mismatches;
      }
      if (state_.visited->Contains(awake, remaining)) {
        ++stats_.empty_sleep_covered;
        return true;
      }
    }
    return state_.visited->Visit(fp, remaining);
  }

  std::vector<Node>& path_;
  StepObserver& steps_;
  StepAccess* access_;           // set: the fine relation (DPOR)
  std::vector<uint32_t> named_;  // CPUs the last step's entries named (scratch)
  uint64_t clock_reads_ = 0;
  const ExploreOptions& options_;
  ExploreResult& stats_;
  StateContext state_;
  HappensBefore hb_;
  std::vector<Event> events_;
  uint32_t num_cpus_;
  uint64_t first_new_;  // the first step whose choice differs from the previous run's (DPOR: races from here on)
  std::vector<uint32_t> prev_runnable_;
  std::vector<uint32_t> picks_;  // choices
  std::vector<std::string> commits_;
  CommitNames* names_;  // set: buffers' choices name their store (a machine that reorders stores)
  std::vector<uint32_t> choices_;
  std::vector<std::string_view> candidates_;
  std::string_view commit_;
  bool tail_ = false;
  uint64_t step_budget_ = UINT64_MAX;
  bool buffers_ = false;
  // A probe run (set_probe): the state of its checks.
  FreeSwitchProbe* probe_ = nullptr;
  std::vector<uint32_t> others_;  // the CPUs runnable at `at` besides c, in the order they run
  size_t next_other_ = 0;         // the one running
  bool other_ran_ = false;        // it took a step
  Footprint running_;             // its steps so far
  std::vector<Footprint> done_;   // the steps of each one that ran until it could no longer run
  // Variables a waiter's monotone condition reads: written by adds only, never moving back (against the direction in
  // which the condition stays true).
  struct Watched {
    uint32_t var;
    int direction;
    int64_t value;
  };
  std::vector<Watched> watched_;
  std::vector<uint32_t> unwritten_;  // variables the other waiters' conditions read: not to be written
  bool c_running_ = false;           // the others are done: c runs its segment
  Footprint c_steps_;                // its steps so far
  bool probe_failed_ = false;
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
  return (options.properties.empty() || Contains(options.properties, v.property)) &&
         (!options.accept || options.accept(v));
}

// Backtracks: the deepest node with a choice left gets it; the path below it is dropped. Returns that node's
// index, or -1 when none is left.
// covered(i), asked once per node, when its first choice's subtree is done and another choice is left: whether that
// subtree covers the node's other choices (persistent sets at free switches); they are then not taken.
int64_t Backtrack(std::vector<Node>& path, uint32_t bound, bool dpor, bool preempt_first,
                  const std::function<bool(size_t)>& covered = {}) {
  while (!path.empty()) {
    Node& n = path.back();
    const uint32_t next = NextChoice(n, bound, dpor, preempt_first);
    if (next != kNoCpu && n.tried.size() == 1 && covered && covered(path.size() - 1)) {
      path.pop_back();
      continue;
    }
    if (next != kNoCpu) {
      n.chosen = next;
      n.tried.push_back(next);
      if (!Contains(n.backtrack, next)) n.backtrack.push_back(next);
      return static_cast<int64_t>(path.size()) - 1;
    }
    path.pop_back();
  }
  return -1;
}

// After a run whose choices differ from the previous run's from node `from` on: the segment of the CPU chosen at each
// node there (from, or a node this run added), i.e. its first run, in which it is tried first at every node below
// while it can run. Complete when a node of the path shows it can no longer run. Backwards: a node's segment is its
// step and the next node's segment when the same CPU runs there.
void RecordSegments(std::vector<Node>& path, size_t from) {
  for (size_t i = path.size(); i-- > from;) {
    Node& n = path[i];
    n.segments.resize(n.tried.size());
    Segment& seg = n.segments.back();
    const bool next = i + 1 < path.size();
    if (next && path[i + 1].chosen == n.chosen) {
      seg = path[i + 1].segments.back();
      UnionOfSteps(seg.steps, n.chosen_step);
      ++seg.len;
    } else {
      seg = Segment{n.chosen_step, 1, next && !Contains(path[i + 1].runnable, n.chosen)};
    }
    seg.complete = seg.complete && !seg.steps.global;
  }
}

// Persistent sets at free switches: whether the choices left at free switch path[at] are covered by the subtree of
// its first choice c, which the search has just finished: a probe run (FreeSwitchProbe) of what the other CPUs can
// do there without c, and of c's segment after them.
bool FirstChoiceCovers(const pb::Scenario& scenario, const TargetSpec& target, const ExploreOptions& options,
                       std::vector<Node>& path, size_t at, ExploreResult& stats) {
  const Node& n = path[at];
  if (n.runnable.size() < 2 || AgentRunnable(n, n.last)) return false;
  // c's steps in the first run of its subtree (a prefix of its segment) include a global one: the probe would fail.
  if (!n.segments.empty() && n.segments[0].steps.global) return false;
  ++stats.persistent_probes;
  const uint32_t num_cpus = scenario.machine().cores() * scenario.machine().threads_per_core();
  FreeSwitchProbe probe;
  probe.at = at;
  probe.c = n.tried[0];
  FactsBuilder facts(num_cpus);
  StepObserver steps(facts, HwOpsReadHiddenState(scenario));
  StepAccess access;
  ExploreResult scratch;
  PathPicker picker(path, steps, &access, options, scratch, StateContext{nullptr, nullptr, &facts, nullptr, false},
                    NumAgents(scenario.machine()), UINT64_MAX, nullptr);
  picker.set_probe(&probe);
  RunOptions run;
  run.record_trace = false;
  run.observer = &steps;
  run.picker = &picker;
  run.access = &access;
  Machine machine(scenario, run);
  picker.set_machine(&machine);
  picker.set_step_budget(scenario.schedule().step_budget());
  const std::unique_ptr<Program> program = target.make(machine);
  try {
    picker.FinishProbe(machine.Run(*program).end);
  } catch (const Cut&) {
  }
  stats.steps_executed += machine.step();
  if (!probe.covered) return false;
  ++stats.persistent_covered;
  for (uint32_t c : n.runnable) {
    if (!Contains(n.tried, c) && !Asleep(n, c)) ++stats.persistent_pruned;
  }
  return true;
}

}  // namespace

bool WithExplicitSchedule(const pb::Scenario& scenario, const std::vector<uint32_t>& picks, pb::Scenario& out,
                          const std::vector<std::string>* commits) {
  out = scenario;
  const uint32_t num_cpus = scenario.machine().cores() * scenario.machine().threads_per_core();
  pb::Schedule* s = out.mutable_schedule();
  s->clear_choices();
  static const std::string kOldest;
  auto commit = [commits](size_t i) -> const std::string& {
    return commits != nullptr && i < commits->size() ? (*commits)[i] : kOldest;
  };
  for (size_t i = 0; i < picks.size();) {
    size_t j = i;
    // One choice runs one agent and names one store (each of its steps commits the oldest store of that name).
    while (j < picks.size() && picks[j] == picks[i] && commit(j) == commit(i) && j - i < kMaxChoiceSteps) ++j;
    if (s->choices_size() >= kMaxChoices) return false;
    pb::Choice* c = s->add_choices();
    // A store buffer's agent (Machine::num_agents) is written as its CPU's store_buffer choice, an invalidate queue's
    // as its CPU's invalidate_queue choice (the name: the variable whose entry it applies).
    const bool queue = picks[i] >= 2 * num_cpus;
    c->set_cpu(queue ? picks[i] - 2 * num_cpus : picks[i] < num_cpus ? picks[i] : picks[i] - num_cpus);
    if (queue) {
      c->set_invalidate_queue(true);
    } else if (picks[i] >= num_cpus) {
      c->set_store_buffer(true);
    }
    if (!commit(i).empty()) {
      if (!ValidCommitName(commit(i))) return false;
      if (queue) {
        c->set_invalidate(commit(i));
      } else {
        c->set_commit(commit(i));
      }
    }
    c->set_steps(static_cast<uint32_t>(j - i));
    i = j;
  }
  return true;
}

std::string PropertiesText(const std::vector<std::string>& properties) {
  if (properties.empty()) return "PR1..PR11";
  return Join(properties, ",");
}

std::string GuaranteeText(const ExploreOptions& options, const ExploreResult& result) {
  const std::string steps = std::to_string(options.max_steps) + " steps";
  const std::string bounds = options.preemptions == kNoPreemptionBound
                                 ? "with any number of preemptions within " + steps
                                 : "within " + std::to_string(options.preemptions) + " preemptions and " + steps;
  const std::string of = "no violation of " + PropertiesText(options.properties) +
                         (options.accept ? " of the kind asked for" : "") + " on target " + options.target + " " +
                         bounds;
  if (result.found) return "violation found " + bounds;
  // A cut run is not judged on what it never did (docs/ORACLE.md, "Runs a step budget cut"): say what is not covered.
  const std::string cut = result.runs_budget_cut == 0
                              ? ""
                              : "; " + std::to_string(result.runs_budget_cut) +
                                    " runs cut by the scenario's step budget before hand-over: PR3, PR7, PR8, PR9 "
                                    "\"keeps running\" and PR11 not judged on them";
  if (!result.exhaustive) {
    return of + " in the " + std::to_string(result.schedules) + " schedules explored: bound reached, not exhaustive" +
           cut;
  }
  std::string how = ", exhaustively (" + std::to_string(result.schedules) + " schedules";
  if (options.dpor) how += ", source-set DPOR";
  if (options.state_hashing && !options.dpor) {
    char p[32];
    std::snprintf(p, sizeof p, "%.1e", result.collision_bound);
    how += ", " + std::to_string(result.distinct_states) + " states; fingerprint-collision probability <= " + p;
  }
  // What the store buffers' commits covered (docs/EXPLORE.md, "Store->store reordering").
  std::string buffers;
  if (result.commits_enumerated) {
    buffers =
        "; store buffers and invalidate queues: every commit and apply order the architecture allows (store->load, "
        "store->store and load->load reordering)";
  } else if (result.store_buffers && result.stores_reorder) {
    buffers =
        "; store buffers and invalidate queues: oldest first only (store->load reordering and non-multi-copy "
        "atomicity; store->store and load->load not enumerated)";
  } else if (result.store_buffers) {
    buffers = "; store buffers: in order (x86-TSO: store->load reordering)";
  }
  return of + how + ")" + buffers + cut;
}

namespace {
ExploreResult ExploreOnce(const pb::Scenario& scenario, const ExploreOptions& options);
}  // namespace

// Iterative deepening of the step bound: rounds with N = 16, 32, ... below options.max_steps, then the full bound. A
// round's runs are real runs (past its N the lowest-numbered runnable CPU runs), so a violation found early is a real
// counterexample; only the last round's search gives the guarantee (a round whose every run ended within its bound
// is the full search). The schedule cap and the deadline are shared.
ExploreResult Explore(const pb::Scenario& scenario, const ExploreOptions& options) {
  if (!options.deepen) return ExploreOnce(scenario, options);
  const auto start = std::chrono::steady_clock::now();
  ExploreOptions round = options;
  uint64_t spent = 0;
  ExploreResult r;
  for (uint64_t n = kFirstDeepeningSteps, rounds = 1;; n *= 2, ++rounds) {
    round.max_steps = std::min(n, options.max_steps);
    round.max_schedules = options.max_schedules - std::min(spent, options.max_schedules - 1);
    r = ExploreOnce(scenario, round);
    spent += r.schedules + r.sleep_blocked + r.state_pruned;
    r.rounds = static_cast<uint32_t>(rounds);
    if (r.found || round.max_steps == options.max_steps || spent >= options.max_schedules) break;
    // No run went past this round's bound: a larger one explores the same runs, so this was the full search.
    if (r.runs_past_max_steps == 0) break;
    if (std::chrono::steady_clock::now() >= options.deadline) break;
  }
  r.schedules_all_rounds = spent;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

namespace {

ExploreResult ExploreOnce(const pb::Scenario& scenario, const ExploreOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ExploreResult result;
  result.max_steps = options.max_steps;
  const TargetSpec* target = FindTarget(options.target);
  const uint32_t num_cpus = scenario.machine().cores() * scenario.machine().threads_per_core();
  std::vector<Node> path;
  std::unordered_set<uint64_t> finals;
  if (options.dpor && options.preemptions != kNoPreemptionBound) {
    throw std::invalid_argument("explore: DPOR needs an unbounded number of preemptions (docs/EXPLORE.md)");
  }
  // powerpc / arm64 store buffers: each store a buffer may commit is a choice (docs/EXPLORE.md, "Store->store
  // reordering"). DPOR assumes one next step per agent, so it runs only with oldest-first commits there.
  result.store_buffers = BuffersStores(scenario.machine());
  result.stores_reorder = ReordersStores(scenario.machine());
  result.commits_enumerated = result.stores_reorder && !options.oldest_commit_only;
  if (options.dpor && result.commits_enumerated) {
    throw std::invalid_argument(
        "explore: DPOR does not enumerate store->store reordering (powerpc / arm64 store buffers): add "
        "--oldest-commit-only, or use the bounded search (docs/EXPLORE.md)");
  }
  // Invalidate queues (powerpc / arm64 ARCHITECTURE): a store changes other CPUs' queues, which no footprint of DPOR's
  // fine relation shows; the bounded search handles them (docs/EXPLORE.md, "Load->load reordering").
  if (options.dpor && QueuesInvalidates(scenario.machine())) {
    throw std::invalid_argument(
        "explore: DPOR does not model invalidate queues (powerpc / arm64 memory_model ARCHITECTURE: load->load "
        "reordering): use the bounded search (docs/EXPLORE.md)");
  }
  CommitNames names;
  // State hashing is not combined with DPOR: a cut subtree's races would never be seen (docs/EXPLORE.md).
  const bool hashing = options.state_hashing && !options.dpor;
  std::unique_ptr<VisitedSet> visited;
  if (hashing) visited = std::make_unique<VisitedSet>(options.memory_bytes);
  // Persistent sets at free switches: with the segments, the fine relation, and one agent per CPU (no store buffers).
  result.persistent_sets = options.persistent_sets && options.segment_sleep && options.reduction &&
                           options.fine_dependency && !options.dpor && NumAgents(scenario.machine()) == num_cpus;
  std::function<bool(size_t)> covered;
  if (result.persistent_sets) {
    covered = [&](size_t at) { return FirstChoiceCovers(scenario, *target, options, path, at, result); };
  }
  for (int64_t first_new = 0; first_new >= 0;) {
    FactsBuilder facts(num_cpus);
    StateTracker history(num_cpus, facts);
    StepObserver steps(hashing ? static_cast<RunObserver&>(history) : facts, HwOpsReadHiddenState(scenario),
                       QueuesInvalidates(scenario.machine()) && !result.commits_enumerated);
    StepAccess access;
    // The per-step footprints are recorded only where a relation is used: DPOR, and the bounded search's sleep sets.
    StepAccess* fine = options.fine_dependency && (options.dpor || options.reduction) ? &access : nullptr;
    PathPicker picker(
        path, steps, fine, options, result,
        StateContext{nullptr, hashing ? &history : nullptr, &facts, visited.get(), options.verify_fingerprints},
        NumAgents(scenario.machine()), static_cast<uint64_t>(first_new), result.commits_enumerated ? &names : nullptr);
    RunOptions run;
    run.record_trace = false;
    run.observer = &steps;
    run.picker = &picker;
    run.access = fine;
    RunResult r;
    bool cut = false;
    {
      Machine machine(scenario, run);
      picker.set_machine(&machine);
      picker.set_step_budget(scenario.schedule().step_budget());
      picker.set_buffers(NumAgents(scenario.machine()) > num_cpus);
      const std::unique_ptr<Program> program = target->make(machine);
      try {
        r = machine.Run(*program);
        picker.FinishRun();
      } catch (const Cut&) {
        cut = true;  // counted by the picker
      }
      result.steps_executed += machine.step();
    }
    if (!cut) {
      ++result.schedules;
      finals.insert(FinalState(r));
      result.longest_run = std::max(result.longest_run, r.steps);
      if (r.steps > options.max_steps) ++result.runs_past_max_steps;
      if (r.end == EndReason::kBudgetCut && !r.handed_over) ++result.runs_budget_cut;
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
        result.picks = picker.agents();
        result.commits = picker.commits();
        break;
      }
    }
    if (options.segment_sleep && options.reduction && !options.dpor) RecordSegments(path, first_new);
    first_new = Backtrack(path, options.preemptions, options.dpor, options.preempt_first && !options.dpor, covered);
    if (first_new >= 0 && result.schedules + result.sleep_blocked >= options.max_schedules) break;
    if (first_new >= 0 && std::chrono::steady_clock::now() >= options.deadline) break;
    result.exhaustive = first_new < 0;
  }
  result.distinct_final_states = finals.size();
  result.final_states.assign(finals.begin(), finals.end());
  std::sort(result.final_states.begin(), result.final_states.end());
  if (visited) {
    result.distinct_states = visited->size();
    result.visited_evictions = visited->evictions();
    result.visited_memory_bytes = visited->memory_bytes();
    result.collision_bound = visited->CollisionBound();
  }
  if (result.found && WithExplicitSchedule(scenario, result.picks, result.reproducer, &result.commits)) {
    RunOptions replay;
    replay.record_trace = false;
    const RunResult again = RunOnTarget(*target, result.reproducer, replay);
    RunOptions explored;
    explored.record_trace = false;
    // The explored run's hash, from a second run driven by the same picks.
    struct Fixed : SchedulePicker {
      const std::vector<uint32_t>& picks;
      const std::vector<std::string>& commits;
      std::string_view commit;
      Fixed(const std::vector<uint32_t>& p, const std::vector<std::string>& c) : picks(p), commits(c) {}
      uint32_t Pick(const std::vector<uint32_t>& runnable, uint64_t step) override {
        commit = step < commits.size() ? std::string_view(commits[step]) : std::string_view();
        return step < picks.size() ? picks[step] : runnable.front();
      }
      std::string_view Commit() const override { return commit; }
    } fixed(result.picks, result.commits);
    explored.picker = &fixed;
    result.reproducer_replays = RunOnTarget(*target, scenario, explored).trace_hash == again.trace_hash;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

}  // namespace crashdiff
