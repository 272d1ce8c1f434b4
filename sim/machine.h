// Machine: the deterministic simulated machine a scenario runs on. It owns the CPUs, shared memory, time, the
// scheduler, the scenario's events and the trace; a Program (one target's kernel model) supplies the code.
// Time is discrete: every step costs kStepNs, and when no CPU can run the clock jumps to the next deadline or
// timed event, so a 10-second wait costs O(1) steps.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "proto/scenario.pb.h"
#include "sim/cpu.h"
#include "sim/memory_model.h"
#include "sim/observer.h"
#include "sim/program.h"
#include "sim/scheduler.h"
#include "sim/trace.h"

namespace crashdiff {

inline constexpr uint64_t kStepNs = 1;  // model time one step costs
// A run ends when model time would pass its limit: kTimeLimitNs after time 0, after the latest at_time_ns
// trigger, and (once handed over) after the hand-over plus the latest after_handover_ns trigger. So no event
// within the schema's ranges (both up to 3600 s) can by itself push a run to its limit.
inline constexpr uint64_t kTimeLimitNs = 3600 * kSec;
// Settling (Machine::Run) is bounded: a CPU's start-up path that has not blocked, entered firmware or finished
// within this many steps is a model bug, and the simulator aborts.
inline constexpr uint64_t kSettleStepLimit = 10'000;
// memory_model ARCHITECTURE: the most scheduled steps a store stays in a store buffer, or an invalidation in an
// invalidate queue (Machine::OverdueBuffer).
inline constexpr uint64_t kMaxBufferedSteps = 1'000;
// How many steps in a row, with some CPU able to run at every one of them, show a livelock. The longest run that
// ends in the corpus takes about 4,100 steps (an x86 kexec kick handshake); a budget far below this one cuts runs that
// would end, and what such a run never got to do (hand over, wake, park) says nothing about the model.
inline constexpr uint64_t kLivelockEvidenceSteps = 100'000;
// ... on a machine of num_cpus CPUs: the work a finishing run may legitimately need grows with the square of the
// machine (every CPU contending for one lock retries on each release: a system reset to every thread of a powerpc
// machine with store buffers ends after about 25 n^2 steps, 103 K at 64 CPUs, 2.7 M sequentially at 1,024), so
// the evidence is the larger of kLivelockEvidenceSteps and 50 n^2 steps (Machine::Run).
uint64_t LivelockEvidenceSteps(uint32_t num_cpus);
// A schedule that sets no step_budget may take this many times the evidence in all. A run whose CPUs keep waiting for
// time (every CPU blocked between ticks and deadlines: a kexec waiting 5 s for each of many stuck threads, with a
// 1 ms tick taking 4 steps) is not livelocked however many steps its ticks take, and gets that much longer to end;
// past it, it is cut (undecided), not judged a livelock.
inline constexpr uint64_t kWaitingBudgetFactor = 10;

#define CRASHDIFF_END_REASONS(X)                                                                          \
  X(kQuiescent, "quiescent", "no CPU can run and nothing is scheduled to happen")                         \
  X(kStepBudget, "livelock", "LivelockEvidenceSteps steps ran in a row with some CPU always able to run") \
  X(kTimeLimit, "time-limit", "model time passed the run's limit")                                        \
  X(kBudgetCut, "cut", "the step budget ran out without that evidence: bounded before it ended, not shown to livelock")

enum class EndReason : uint8_t {
#define CRASHDIFF_END_ENUM(e, name, meaning) e,
  CRASHDIFF_END_REASONS(CRASHDIFF_END_ENUM)
#undef CRASHDIFF_END_ENUM
};
std::string_view Name(EndReason r);

struct Diagnostic {
  uint64_t time_ns;
  uint32_t cpu;
  std::string text;
};

// What the run observed of one CPU.
struct CpuResult {
  Location at_handover = Location::kRunOld;  // meaningful when the run handed over
  Location final = Location::kRunOld;
  uint32_t saves = 0;          // crash_save_cpu with valid registers
  uint32_t invalid_saves = 0;  // crash_save_cpu with NULL / uninitialised registers
  uint32_t responses = 0;      // times it incremented the crash arrival counter (or equivalent)
  uint32_t shutdowns = 0;      // times it ran the architecture crash/kexec shutdown (PR9)
  bool entered_panic = false;  // entered panic(), crash_kexec() or die() itself
  bool woken = false;          // a crash wake was sent to it
};

struct RunResult {
  std::vector<CpuResult> cpus;
  bool handed_over = false;
  uint64_t handover_time_ns = 0;
  uint64_t handover_step = 0;
  uint32_t handover_cpu = kNoCpu;
  std::vector<Diagnostic> diagnostics;
  EndReason end = EndReason::kQuiescent;
  uint64_t steps = 0;             // scheduled steps (settling not included)
  uint64_t settle_steps = 0;      // steps the CPUs that are not initially online ran alone before step 0
  std::vector<Location> settled;  // each CPU's location at step 0, after settling
  uint64_t time_limit_ns = 0;     // the model time at which this run would end as time-limit
  uint64_t end_time_ns = 0;
  uint64_t trace_hash = 0;
  Trace trace;
  // Every bookkeeping call in order (kept even without record_trace: a few entries per CPU).
  std::vector<BookEntry> book;
};

// What the steps of a run touched beyond their trace entries, for explore/'s DPOR footprints (docs/EXPLORE.md,
// "Dependency under DPOR"): the shared variables and other CPUs' state a step's code read (its operation, a wait's
// predicate, and the plain code up to its next operation, through the same ReadLog the runnable set uses), and every
// CPU whose observable state changed (Cpu::Changed). Only filled when RunOptions::access is set; the caller clears it.
// Recording changes nothing the machine does: no pick, trace entry or hash depends on it.
struct StepAccess {
  ReadLog reads;                       // self: the CPU of the step being executed (its own state is not a read)
  std::vector<uint32_t> cpus_changed;  // every Cpu::Changed since the caller last cleared it (duplicates kept)
};

struct RunOptions {
  bool record_trace = true;
  // RunResult::trace_hash. The fuzz harness reads neither the hash nor the trace, and turns it off: hashing every
  // entry's label and text was 6 % of a campaign mutant's run.
  bool hash_trace = true;
  RunObserver* observer = nullptr;   // sees every trace entry and bookkeeping call as it happens
  SchedulePicker* picker = nullptr;  // when set, chooses every scheduled step (the scenario's schedule is unused)
  StepAccess* access = nullptr;      // when set, records what each step read and changed (explore's DPOR)
  // Checks the incrementally maintained runnable set against a full re-evaluation of every CPU at every step and
  // aborts on a difference (tests; also on when the environment sets CRASHDIFF_SIM_VERIFY=1).
  bool verify_runnable = false;
};

class Machine {
 public:
  // scenario must be valid (sim/validate.h).
  explicit Machine(const pb::Scenario& scenario, RunOptions options = {});
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // Runs program to the end. Call once (per Reset).
  RunResult Run(Program& program);

  // Makes this machine what Machine(scenario, options) would be, for another run, keeping the memory its
  // containers hold (a campaign's runs set up the same shapes over and over). The scenario is borrowed, not
  // copied: it must outlive the run. Any program built on the previous run must be gone (its frames are destroyed
  // here); the previous run's RunResult is the caller's. (docs/SIMULATOR.md "Reusing a machine".)
  void Reset(const pb::Scenario& scenario, RunOptions options = {});

  // ---- Topology and configuration ----
  const pb::Scenario& scenario() const { return *scenario_; }
  const pb::Machine& config() const { return scenario_->machine(); }
  uint32_t num_cpus() const { return static_cast<uint32_t>(cpus_.size()); }
  uint32_t threads_per_core() const { return config().threads_per_core(); }
  Cpu& cpu(uint32_t id) { return cpus_[id]; }
  const Cpu& cpu(uint32_t id) const { return cpus_[id]; }
  bool initially_online(uint32_t id) const;
  bool never_started(uint32_t id) const;

  // ---- Shared memory ----
  Var& NewVar(std::string_view name, int64_t init, Region region = Region::kOldKernelData);
  // A variable the oracle's properties read (sim/shared_var.h): declared by its id, so the properties follow it
  // under any display name (name defaults to the canonical one).
  Var& NewVar(SharedVar shared, int64_t init, Region region = Region::kOldKernelData, std::string_view name = {});
  std::vector<Var*> NewVarArray(std::string_view name, int64_t init, Region region = Region::kOldKernelData);
  bool overwritten(Region r) const { return overwritten_[static_cast<size_t>(r)]; }
  void Overwrite(Region r, uint32_t by_cpu);
  void StoreToLine(Var& v, int64_t value, uint32_t by_cpu, Label label);  // a store that fires monitors
  // A result-less atomic's update (Cpu::atomic_add, set_bit, clear_bit): one kRmw entry showing its operand (not the
  // value), then, if the value changes, the store as StoreToLine makes it (waiters, monitors).
  void AtomicUpdate(Var& v, int64_t value, uint32_t by_cpu, Label label, int64_t shown, TraceTags tags);

  // ---- Store buffers (memory_model ARCHITECTURE; docs/SIMULATOR.md "Store buffers") ----
  bool buffers_stores() const { return buffers_stores_; }
  // What the scheduler chooses among: the CPUs (ids 0 .. num_cpus-1), with store buffers each CPU's buffer (id
  // num_cpus + cpu), runnable while it holds a store and committing one per step, and with invalidate queues each
  // CPU's queue (id 2 * num_cpus + cpu), runnable while it holds an entry and applying one per step.
  uint32_t num_agents() const {
    return queues_invalidates_ ? 3 * num_cpus() : buffers_stores_ ? 2 * num_cpus() : num_cpus();
  }
  void BufferStore(Cpu& cpu, BufferedStore store);
  void CommitOldest(Cpu& cpu);  // one store of cpu's buffer becomes visible
  // The store a commit naming `store` (Choice.commit) makes visible: the oldest buffered store to that variable
  // (or hardware store of that name) if every older one shares its write-barrier epoch, else the oldest (0).
  size_t CommitIndex(const Cpu& cpu, std::string_view store) const;
  // The stores cpu's buffer may commit at this step, by name (Choice.commit), oldest first: the oldest store of each
  // name that the epoch rule lets overtake (CommitIndex); only the oldest store where stores are not reordered (x86)
  // or a buffer is overdue (it commits its oldest). Empty when the buffer is. Views into the buffer: copy them.
  void CommitCandidates(uint32_t cpu, std::vector<std::string_view>& out) const;
  void Commit(Cpu& cpu, size_t index);
  void CommitStores(Cpu& cpu);  // all of them, oldest first (a full barrier)
  // A completion barrier (powerpc sync, arm64 dsb): commits cpu's buffer, and its stores are then observed by every
  // CPU: the invalidations they queued on other CPUs are applied (docs/SIMULATOR.md "Invalidate queues").
  void CompleteStores(Cpu& cpu);
  // smp_mb's effect on stores: powerpc's sync completes them (CompleteStores); arm64's dmb ish and x86's mfence
  // commit the buffer (CommitStores).
  void FullBarrierStores(Cpu& cpu) {
    if (sync_completes_stores_) {
      CompleteStores(cpu);
    } else {
      CommitStores(cpu);
    }
  }
  // smp_mb (sync, dmb ish, mfence): its effect on stores, and no later load reads older values than memory holds now.
  void FullBarrier(Cpu& cpu) {
    FullBarrierStores(cpu);
    DrainQueue(cpu);
  }
  // Whether a CPU other than self buffers a store to v of a value memory does not hold.
  bool BufferedElsewhere(const Var& v, uint32_t self) const;

  // ---- Invalidate queues (powerpc / arm64 ARCHITECTURE; docs/SIMULATOR.md "Invalidate queues") ----
  bool queues_invalidates() const { return queues_invalidates_; }
  // Whether powerpc's lwsync stands behind smp_wmb and release stores: they then order loads too (drain).
  bool lwsync_orders_loads() const { return lwsync_orders_loads_; }
  // The entry an apply naming `var` (Choice.invalidate) applies: that variable's, else the oldest (0).
  size_t InvalidateIndex(const Cpu& cpu, std::string_view var) const;
  // The entries cpu's queue may apply at this step, by variable name, oldest first (only the oldest when a buffer or
  // queue is overdue). Empty when the queue is. Views of interned names.
  void InvalidateCandidates(uint32_t cpu, std::vector<std::string_view>& out) const;
  void ApplyInvalidate(Cpu& cpu, size_t index);  // cpu's loads of that variable read memory again
  void DrainQueue(Cpu& cpu);                     // every entry, oldest first (a read or full barrier)
  void DropInvalidate(Cpu& cpu, const Var& v);   // v's entry, if any (cpu read memory, or stored to v)

  // Read-only views for state summaries (explore/state.h): every variable in creation order (Var::id), and each
  // scenario event's progress (fired; on_label occurrences seen so far).
  const std::deque<Var>& vars() const { return vars_; }
  size_t num_events() const { return events_.size(); }
  bool event_fired(size_t i) const { return events_[i].fired; }
  uint32_t event_label_hits(size_t i) const { return events_[i].label_hits; }
  uint64_t time_limit_ns() const { return time_limit_ns_; }

  // ---- Time and bookkeeping used by step operations and targets ----
  // Model time. Model code reading it is an observation the trace does not show: clock_reads() counts those
  // reads (explore/'s state summary folds the time into the reading CPU's history). The simulator's own
  // operations read clock(), which is not counted.
  uint64_t now() const {
    ++clock_reads_;
    return now_;
  }
  uint64_t clock() const { return now_; }
  uint64_t clock_reads() const { return clock_reads_; }
  uint64_t step() const { return step_; }
  void Record(uint32_t cpu, TraceKind kind, Label label, std::string_view detail = {}, int64_t value = 0,
              TraceTags tags = {});
  void Log(uint32_t cpu, std::string text);  // a kernel console line (printk)
  void RecordSave(uint32_t cpu, bool regs_valid);
  void RecordResponse(uint32_t cpu) {
    ++result_.cpus[cpu].responses;
    Book(BookKind::kResponse, cpu);
  }
  void RecordShutdown(uint32_t cpu) {
    ++result_.cpus[cpu].shutdowns;
    Book(BookKind::kShutdown, cpu);
  }
  // The scheduler wakes the task asleep on `from` (Cpu::set_sleeping_task), which is going down, on `to`: it goes on
  // there as a task moved to that CPU (Cpu::QueueTask), with the shutdown `from` had booked, if any. `from` never
  // returns to the context that slept (Frame::moved). Call it from the dying CPU's step (a target's take-down), or
  // from the step that asks `from` to go down (the reference).
  void MoveSleepingTask(Cpu& from, uint32_t to);
  // The CPU entered the crash path (panic(), crash_kexec(), die() with panic_on_oops). Models book it once the
  // entry's first step has run: an interrupt taken just before that step is handled first, and one that never
  // returns (a hotplug take-down, whose task the kernel would migrate) leaves no crash entry on this CPU.
  void RecordPanic(uint32_t cpu) {
    result_.cpus[cpu].entered_panic = true;
    Book(BookKind::kPanic, cpu);
  }
  void RecordWakeSent(uint32_t cpu) {
    result_.cpus[cpu].woken = true;
    Book(BookKind::kWakeSent, cpu);
  }
  // A wake that is x86's kick out of mwait_play_dead (smp_kick_mwait_play_dead): what the kexec's handshake (PR11)
  // waits for an answer to. Other wakes (a crash NMI round) are no kick. One entry, a wake of its own kind: the kick
  // repeats every 5 us until answered.
  void RecordKickSent(uint32_t cpu) {
    result_.cpus[cpu].woken = true;
    Book(BookKind::kKickSent, cpu);
  }
  // The kernel flipped cpu's online bit. Only hotplug transitions (cpu_down / cpu_up, SMT off) are booked: the
  // crash and kexec stops also clear the bit of the CPUs they collect (x86 stop_this_cpu, arm64 crash stop), but
  // a CPU the stop collected is not an "offline CPU" in the kernel's (and the oracle's role) sense.
  void RecordOnline(uint32_t cpu, bool online, bool hotplug) {
    if (hotplug) Book(online ? BookKind::kOnline : BookKind::kOffline, cpu);
  }
  void Handover(uint32_t cpu, const std::vector<Region>& overwritten);
  bool handed_over() const { return result_.handed_over; }
  const RunResult& result_so_far() const { return result_; }
  // Marks the CPU DEAD_CORRUPT and stops it for good.
  void Corrupt(Cpu& cpu, std::string_view why);

  // powerpc decrementer: cpu's DEC expires ns after now and then latches DEC (kForever: disarmed). One pending
  // expiry per CPU; a later write replaces it (Cpu::mtspr_dec).
  void ArmDec(Cpu& cpu, uint64_t ns);

  // ---- Runnable-set bookkeeping (sim/machine.cc, "Runnable set"); called by Cpu. ----
  // cpu's state another CPU can observe changed: it and the waits that read its state are re-evaluated.
  void NoteCpuChanged(uint32_t cpu);
  void NoteMonitor(Var* old_line, Var* new_line);  // a CPU's armed monitor moved (either may be null)

 private:
  struct PendingEvent {
    const pb::Event* event;
    uint32_t label_hits = 0;
    bool fired = false;
  };
  // A blocked CPU's registration on what its last evaluation read; stale once the CPU is evaluated again.
  struct Waiter {
    uint32_t cpu;
    uint32_t epoch;
  };
  struct DeadlineEntry {
    uint64_t time;
    uint32_t cpu;
    uint32_t epoch;
    bool operator>(const DeadlineEntry& o) const { return time != o.time ? time > o.time : cpu > o.cpu; }
  };
  // Unfired events of one trigger kind in firing order: (key, scenario index) ascending, consumed from cursor.
  struct EventQueue {
    std::vector<std::pair<uint64_t, uint32_t>> order;
    size_t cursor = 0;
  };

  void Book(BookKind kind, uint32_t cpu);
  Var& NewNamedVar(std::string_view interned, int64_t init, Region region);
  void Store(Var& v, int64_t value, uint32_t by_cpu, Label label, TraceMark mark);
  void QueueInvalidates(Var& v, int64_t old_value, uint32_t by_cpu);  // after a store of v became visible
  void Applied(Cpu& cpu, const StaleEntry& e);  // an entry taken off cpu's queue: its counts and its trace entry
  void Unqueued(const StaleEntry& e);           // the counts of an entry taken off a queue (no trace entry)
  template <typename Take>
  void ApplyInvalidatesIf(Cpu& cpu, Take take);
  void ClearQueues();                                                 // settling: no entry, no trace
  void Start(Program& program);
  void Settle();
  void ExtendTimeLimit(uint64_t event_ns);
  void PushFrame(Cpu& cpu, Task<> task, bool is_interrupt, Source source);
  void ResumeLeaf(Cpu& cpu, std::coroutine_handle<> h);
  void PopFinishedFrames(Cpu& cpu);
  bool Runnable(const Cpu& cpu) const;
  bool FirmwareStarts(const Cpu& cpu) const;  // in firmware, and firmware was asked to start it
  bool TaskStarts(const Cpu& cpu) const;      // a task was moved here, and the CPU is in task context
  // Where a software event or a moved task can start: the CPU runs ordinary kernel code (not asleep, parked, in
  // firmware or in a crash path); task context is that code's base frame with interrupts on (a system call).
  static bool RunsKernelCode(const Cpu& cpu);
  static bool InTaskContext(const Cpu& cpu);
  std::optional<Source> DeliverableInterrupt(const Cpu& cpu) const;
  void ExecuteStep(Cpu& cpu);
  void ExecuteScheduled(uint32_t id);  // one scheduled step of a CPU or a store buffer (Run's loop)
  void TakeInterrupt(Cpu& cpu, Source s);
  uint64_t NextTimePoint();
  uint64_t NextTimePointBesidesDecs();
  bool OnlyRepeatingTimersAhead();
  void FireDueEvents();
  void FireDueDecs();
  void CheckLabelTriggers(uint32_t cpu, Label label);
  void Fire(PendingEvent& pe);
  void ApplyHardware(const pb::Event& event);
  std::vector<uint32_t> EventCpus(const pb::Event& event) const;
  void IndexEvents();
  static bool FrontDue(const EventQueue& q, uint64_t limit, uint64_t base);  // its next event is due
  void TakeDue(EventQueue& q, uint64_t limit, uint64_t base);
  void MarkDirty(uint32_t cpu) {
    if (dirty_flag_[cpu]) return;
    dirty_flag_[cpu] = 1;
    dirty_.push_back(cpu);
  }
  void WakeWaiters(std::vector<Waiter>& list);
  bool EvaluateRunnable(Cpu& cpu);
  void RefreshRunnable();
  void VerifyRunnable();
  void SetBufferRunnable(uint32_t cpu, bool runnable);
  void SetAgentRunnable(uint32_t agent, bool runnable);
  static constexpr uint32_t kAgentScan = 16;  // runnable agents scanned from the back; a binary search beyond
  // queued_by_writer_'s slot for an entry's writer: a store of no CPU (a device, the scenario) has the last.
  uint32_t WriterSlot(uint32_t writer) const { return writer < num_cpus() ? writer : num_cpus(); }
  // The agent of a buffer (queue) whose oldest store (entry) must commit (apply) now, or kNoCpu.
  uint32_t OverdueBuffer() const;
  mutable uint64_t overdue_scan_from_ = 0;  // OverdueBuffer: no front can be overdue before this step

  // Containers whose memory a Reset hands from the old machine to the new one (emptied, capacity kept).
  struct Spare;
  Machine(const pb::Scenario* borrowed, RunOptions options, Spare&& spare);
  void Init();  // what every constructor does once the members are set

  pb::Scenario owned_;            // the copy Machine(scenario) takes; unused after Reset
  // Each CPU's frame list of the previous run, emptied (capacity kept), handed to the CPU of the same id by Reset.
  std::vector<std::vector<Frame>> frame_stock_;
  const pb::Scenario* scenario_;  // owned_ or the scenario Reset borrowed
  RunOptions options_;
  Program* program_ = nullptr;
  std::vector<Cpu> cpus_;
  std::deque<Var> vars_;
  std::vector<bool> overwritten_;
  std::vector<PendingEvent> events_;
  std::unique_ptr<Scheduler> scheduler_;
  uint64_t now_ = 0;
  uint64_t step_ = 0;
  uint64_t trace_pos_ = 0;         // trace entries recorded so far (whether or not they are kept)
  TraceEntry scratch_entry_;       // what Record fills for every step (see Record)
  bool detail_needed_ = true;      // whether Record copies each entry's text into scratch_entry_ (someone reads it)
  uint32_t current_cpu_ = kNoCpu;  // the CPU whose code is executing (for BookEntry::by)
  uint64_t time_limit_ns_ = kTimeLimitNs;
  mutable uint64_t clock_reads_ = 0;
  bool settling_ = false;
  bool buffers_stores_ = false;
  bool reorders_stores_ = false;  // a buffered store may become visible before an older one (not x86-TSO)
  bool queues_invalidates_ = false;   // CPUs have invalidate queues (load->load reordering: powerpc, arm64)
  bool lwsync_orders_loads_ = false;  // powerpc: smp_wmb and release stores drain the invalidate queue
  bool sync_completes_stores_ = false;  // powerpc with invalidate queues: smp_mb (sync) is a completion barrier
  std::string_view commit_request_;  // the store this step's buffer commit names (Choice.commit), or empty
  RunResult result_;

  // Event schedule: at_step / at_time_ns / after_handover_ns queues, label triggers per CPU (scenario order).
  EventQueue by_step_, by_time_, after_handover_;
  std::vector<std::vector<uint32_t>> label_events_;
  std::vector<uint32_t> due_;  // scratch: events due now, in scenario order
  uint64_t max_after_handover_ns_ = 0;
  bool any_after_handover_ = false;

  // Runnable set: runnable_ (sorted CPU ids) is kept equal to {c : Runnable(c)} by re-evaluating only dirty CPUs.
  std::vector<uint32_t> runnable_;
  uint32_t runnable_agents_ = 0;  // how many of runnable_'s ids are agents (>= num_cpus: they sort last)
  std::vector<uint32_t> forced_;  // scratch: the one choice of a step whose buffer is overdue
  std::vector<uint8_t> runnable_flag_;
  std::vector<uint8_t> dirty_flag_;
  enum : uint8_t { kInitiallyOnline, kInitiallyOffline, kNeverStarted };
  std::vector<uint8_t> initial_;  // by CPU: the scenario's offline and never_started lists
  std::vector<uint32_t> dirty_, dirty_work_;
  std::vector<uint32_t> epoch_;                    // per CPU: evaluations so far
  std::vector<std::vector<Waiter>> var_waiters_;   // by Var id
  std::vector<std::vector<Waiter>> cpu_watchers_;  // by CPU id: waits that read that CPU's state
  std::priority_queue<DeadlineEntry, std::vector<DeadlineEntry>, std::greater<>> deadlines_;
  // Decrementer expiries (time, cpu); an entry is stale once the CPU's dec_expiry differs from its time.
  std::priority_queue<std::pair<uint64_t, uint32_t>, std::vector<std::pair<uint64_t, uint32_t>>, std::greater<>> decs_;
  // The periodic steady state (OnlyRepeatingTimersAhead): trace entries that change what another CPU, the oracle or
  // the hardware could observe, and per CPU the decrementer expiries since the last of them.
  uint64_t effects_ = 0;
  uint64_t effects_seen_ = 0;
  std::vector<uint8_t> quiet_decs_;
  ReadLog read_log_;
  // Invalidate-queue entries held anywhere, by the CPU whose store queued them (index num_cpus: a store of no CPU),
  // and how many of them are shared: a completion with none of its own and none shared has nothing to apply.
  std::vector<uint32_t> queued_by_writer_;
  uint32_t queued_shared_ = 0;
};

}  // namespace crashdiff
