#include "sim/machine.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <new>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace crashdiff {

std::string_view Name(EndReason r) {
  static constexpr std::string_view kNames[] = {
#define CRASHDIFF_END_NAME(e, name, meaning) name,
      CRASHDIFF_END_REASONS(CRASHDIFF_END_NAME)
#undef CRASHDIFF_END_NAME
  };
  return kNames[static_cast<size_t>(r)];
}

Machine::Machine(const pb::Scenario& scenario, RunOptions options)
    : owned_(scenario),
      scenario_(&owned_),
      options_(options),
      overwritten_(kNumRegions, false),
      buffers_stores_(BuffersStores(scenario.machine())),
      reorders_stores_(ReordersStores(scenario.machine())),
      queues_invalidates_(QueuesInvalidates(scenario.machine())),
      lwsync_orders_loads_(queues_invalidates_ && scenario.machine().family() == pb::PPC),
      sync_completes_stores_(lwsync_orders_loads_) {
  Init();
}

// Only memory moves from the old machine to the new one, never state: every container is emptied before Init, and
// every other member is built fresh by the constructor, so a reset machine is a new one (tests/sim/machine_reuse_test).
struct Machine::Spare {
  std::vector<Cpu> cpus;
  std::deque<Var> vars;
  std::vector<PendingEvent> events;
  std::vector<std::vector<uint32_t>> label_events;
  std::vector<uint32_t> due, runnable, forced, dirty, dirty_work, epoch;
  std::vector<uint8_t> runnable_flag, dirty_flag, initial;
  std::vector<std::vector<Waiter>> var_waiters, cpu_watchers;
  std::string detail;
  std::vector<std::vector<Frame>> frames;  // by CPU id, emptied
  std::vector<uint32_t> read_vars, read_cpus;
};

Machine::Machine(const pb::Scenario* borrowed, RunOptions options, Spare&& spare)
    : scenario_(borrowed),
      options_(options),
      cpus_(std::move(spare.cpus)),
      vars_(std::move(spare.vars)),
      overwritten_(kNumRegions, false),
      events_(std::move(spare.events)),
      buffers_stores_(BuffersStores(borrowed->machine())),
      reorders_stores_(ReordersStores(borrowed->machine())),
      queues_invalidates_(QueuesInvalidates(borrowed->machine())),
      lwsync_orders_loads_(queues_invalidates_ && borrowed->machine().family() == pb::PPC),
      sync_completes_stores_(lwsync_orders_loads_),
      label_events_(std::move(spare.label_events)),
      due_(std::move(spare.due)),
      runnable_(std::move(spare.runnable)),
      forced_(std::move(spare.forced)),
      runnable_flag_(std::move(spare.runnable_flag)),
      dirty_flag_(std::move(spare.dirty_flag)),
      initial_(std::move(spare.initial)),
      dirty_(std::move(spare.dirty)),
      dirty_work_(std::move(spare.dirty_work)),
      epoch_(std::move(spare.epoch)),
      var_waiters_(std::move(spare.var_waiters)),
      cpu_watchers_(std::move(spare.cpu_watchers)) {
  cpus_.clear();
  vars_.clear();
  events_.clear();
  // Lists indexed by CPU or variable id keep their inner lists' memory too, emptied: an index is only ever read
  // below the new machine's CPU or variable count, and a list past it stays empty.
  for (std::vector<uint32_t>& l : label_events_) l.clear();
  due_.clear();
  runnable_.clear();
  forced_.clear();
  runnable_flag_.clear();
  dirty_flag_.clear();
  dirty_.clear();
  dirty_work_.clear();
  epoch_.clear();
  for (std::vector<Waiter>& l : var_waiters_) l.clear();
  for (std::vector<Waiter>& l : cpu_watchers_) l.clear();
  scratch_entry_.detail = std::move(spare.detail);
  scratch_entry_.detail.clear();
  read_log_.vars = std::move(spare.read_vars);
  read_log_.cpus = std::move(spare.read_cpus);
  read_log_.vars.clear();
  read_log_.cpus.clear();
  Init();
  // A new CPU starts with no frame either way; its list keeps the memory the same CPU's had (no regrowth per run).
  for (size_t i = 0; i < cpus_.size() && i < spare.frames.size(); ++i) cpus_[i].frames() = std::move(spare.frames[i]);
  frame_stock_ = std::move(spare.frames);
}

void Machine::Reset(const pb::Scenario& scenario, RunOptions options) {
  assert(&scenario != &owned_);             // destroyed below
  for (Cpu& c : cpus_) c.frames().clear();  // as ~Machine: frames before the variables and CPUs they refer to
  std::vector<std::vector<Frame>> frames = std::move(frame_stock_);
  if (frames.size() < cpus_.size()) frames.resize(cpus_.size());
  for (size_t i = 0; i < cpus_.size(); ++i) frames[i] = std::move(cpus_[i].frames());
  Spare spare{
      std::move(cpus_),       std::move(vars_),          std::move(events_),        std::move(label_events_),
      std::move(due_),        std::move(runnable_),      std::move(forced_),        std::move(dirty_),
      std::move(dirty_work_), std::move(epoch_),         std::move(runnable_flag_), std::move(dirty_flag_),
      std::move(initial_),    std::move(var_waiters_),   std::move(cpu_watchers_),  std::move(scratch_entry_.detail),
      std::move(frames),      std::move(read_log_.vars), std::move(read_log_.cpus)};
  this->~Machine();
  new (this) Machine(&scenario, options, std::move(spare));
}

void Machine::Init() {
  const uint32_t threads = config().threads_per_core();
  const uint32_t n = config().cores() * threads;
  cpus_.reserve(n);
  for (uint32_t c = 0; c < n; ++c) cpus_.emplace_back(*this, c, c / threads);
  quiet_decs_.assign(n, 0);
  result_.cpus.resize(n);
  result_.book.reserve(4 * size_t{n});  // a few bookkeeping calls per CPU: no regrowth in a typical run
  result_.trace.set_record(options_.record_trace);
  result_.trace.set_hash(options_.hash_trace);
  detail_needed_ = options_.record_trace || (options_.observer != nullptr && options_.observer->WantsDetail());
  for (const pb::Event& e : scenario_->events()) {
    events_.push_back(PendingEvent{&e});
    if (e.trigger().has_at_time_ns()) ExtendTimeLimit(e.trigger().at_time_ns());
  }
  IndexEvents();
  scheduler_ = Scheduler::Create(scenario_->schedule(), n, num_agents());
  runnable_flag_.assign(n, 0);
  dirty_flag_.assign(n, 0);
  // The models ask per CPU, often per CPU per step: a lookup, not a search of the lists (quadratic at 1,024 CPUs).
  initial_.assign(n, kInitiallyOnline);
  for (uint32_t c : config().offline()) initial_[c] = kInitiallyOffline;
  for (uint32_t c : config().never_started()) initial_[c] = kNeverStarted;
  epoch_.assign(n, 0);
  cpu_watchers_.resize(n);
  runnable_.reserve(n);
  if (queues_invalidates_) queued_by_writer_.assign(n + 1, 0);
  static const bool verify_env = [] {
    const char* v = std::getenv("CRASHDIFF_SIM_VERIFY");
    return v != nullptr && v[0] == '1';
  }();
  options_.verify_runnable = options_.verify_runnable || verify_env;
}

Machine::~Machine() {
  // Destroy coroutine frames before the variables and CPUs they refer to.
  for (Cpu& c : cpus_) c.frames().clear();
}

bool Machine::initially_online(uint32_t id) const {
  return initial_[id] == kInitiallyOnline;
}

bool Machine::never_started(uint32_t id) const {
  return initial_[id] == kNeverStarted;
}

namespace {

// Variable names, interned per thread. Every run of every target declares the same few hundred names (a model's
// variables, "name[cpu]" for its per-CPU arrays): building and freeing each as a string per run was a large part
// of a short run's cost. Per thread, so no lock (a campaign forks its workers); a Machine lives on one thread.
class NamePool {
 public:
  static NamePool& Get() {
    static thread_local NamePool pool;
    return pool;
  }
  std::string_view Intern(std::string_view name) {
    // A model names its variables with literals: the same address every run. A memo by address answers those
    // without hashing; it compares the text too (an address may be reused for another text), so it only ever
    // returns what the lookup below would.
    Memo& m = memo_[Slot(name)];
    if (m.data == name.data() && m.interned == name) return m.interned;
    std::string_view interned;
    if (const auto it = names_.find(name); it != names_.end()) {
      interned = *it;
    } else {
      interned = *names_.insert(storage_.emplace_back(name)).first;
    }
    m = Memo{name.data(), interned, nullptr};
    return interned;
  }
  // "base[0]" ... "base[n-1]".
  const std::vector<std::string_view>& Array(std::string_view base, uint32_t n) {
    Memo& m = array_memo_[Slot(base)];
    std::vector<std::string_view>* list = nullptr;
    if (m.data == base.data() && m.interned == base) {
      list = m.array;
    } else {
      auto it = arrays_.find(Intern(base));
      if (it == arrays_.end()) it = arrays_.emplace(Intern(base), std::vector<std::string_view>()).first;
      list = &it->second;
      m = Memo{base.data(), it->first, list};
    }
    for (uint32_t c = static_cast<uint32_t>(list->size()); c < n; ++c) {
      list->push_back(Intern(std::string(base) + "[" + std::to_string(c) + "]"));
    }
    return *list;
  }

 private:
  struct Memo {
    const char* data = nullptr;                      // the address a caller's text was at
    std::string_view interned;                       // its interned copy (same text)
    std::vector<std::string_view>* array = nullptr;  // Array's list for that base
  };
  static size_t Slot(std::string_view s) {
    return ((reinterpret_cast<uintptr_t>(s.data()) >> 3) ^ s.size()) % kMemoSlots;
  }
  static constexpr size_t kMemoSlots = 512;
  std::array<Memo, kMemoSlots> memo_{};
  std::array<Memo, kMemoSlots> array_memo_{};
  std::deque<std::string> storage_;             // never moves its strings: the views below stay valid
  std::unordered_set<std::string_view> names_;  // views into storage_
  std::unordered_map<std::string_view, std::vector<std::string_view>> arrays_;
};

}  // namespace

Var& Machine::NewVar(std::string_view name, int64_t init, Region region) {
  return NewNamedVar(NamePool::Get().Intern(name), init, region);
}

Var& Machine::NewNamedVar(std::string_view interned, int64_t init, Region region) {
  Var& v = vars_.emplace_back();
  v.id = static_cast<uint32_t>(vars_.size() - 1);
  v.name = interned;
  v.value = init;
  v.value.set_id(v.id);
  if (v.id >= var_waiters_.size()) var_waiters_.emplace_back();  // else an emptied list of a reset machine
  v.region = region;
  return v;
}

Var& Machine::NewVar(SharedVar shared, int64_t init, Region region, std::string_view name) {
  Var& v = NewVar(name.empty() ? Name(shared) : name, init, region);
  v.shared = shared;
  return v;
}

std::vector<Var*> Machine::NewVarArray(std::string_view name, int64_t init, Region region) {
  std::vector<Var*> out;
  out.reserve(num_cpus());
  const std::vector<std::string_view>& names = NamePool::Get().Array(name, num_cpus());
  for (uint32_t c = 0; c < num_cpus(); ++c) out.push_back(&NewNamedVar(names[c], init, region));
  return out;
}

void Machine::StoreToLine(Var& v, int64_t value, uint32_t by_cpu, Label label) {
  Store(v, value, by_cpu, label, TraceMark::kNone);
}

void Machine::Store(Var& v, int64_t value, uint32_t by_cpu, Label label, TraceMark mark) {
  const int64_t old = v.value.raw();
  v.value = value;
  // kexec's relocation copy is the next kernel's memory, written with the old kernel's CPUs stopped: no CPU's view
  // of it is modelled as lagging (reading memory is always allowed).
  if (queues_invalidates_ && mark != TraceMark::kRelocate) QueueInvalidates(v, old, by_cpu);
  TraceTags tags = v.tags();
  tags.mark = mark;
  Record(by_cpu, TraceKind::kWrite, label, v.name, value, tags);
  WakeWaiters(var_waiters_[v.id]);
  // x86 MONITOR fires on any store to the armed line, even one that writes the same value.
  if (v.monitors == 0) return;
  for (Cpu& c : cpus_) {
    if (c.monitored() == &v) c.hw().monitor_fired = true;
  }
}

void Machine::AtomicUpdate(Var& v, int64_t value, uint32_t by_cpu, Label label, int64_t shown, TraceTags tags) {
  const int64_t old = v.value.raw();
  const bool changes = value != old;
  v.value = value;
  if (queues_invalidates_) QueueInvalidates(v, old, by_cpu);
  Record(by_cpu, TraceKind::kRmw, label, v.name, shown, tags);
  if (!changes) return;
  WakeWaiters(var_waiters_[v.id]);
  if (v.monitors == 0) return;
  for (Cpu& c : cpus_) {
    if (c.monitored() == &v) c.hw().monitor_fired = true;
  }
}

// ---- Store buffers ----
// A buffered store is recorded twice: where the CPU executes it (kBuffer, a step of the CPU) and where it becomes
// visible (the kWrite / kHw entry an unbuffered store makes, marked kCommit: not a step of the CPU). Monitors,
// waits and the oracle see the commit.

void Machine::BufferStore(Cpu& cpu, BufferedStore store) {
  std::vector<BufferedStore>& buffer = cpu.store_buffer();
  TraceTags tags;
  if (store.var != nullptr) {
    ++store.var->buffered;
    tags = store.var->tags();
  }
  Record(cpu.id(), TraceKind::kBuffer, store.label,
         store.var != nullptr ? std::string_view(store.var->name) : store.what, store.value, tags);
  store.epoch = cpu.store_epoch();
  store.issued_step = step_;  // its time in the buffer is bounded from here (OverdueBuffer)
  buffer.push_back(std::move(store));
  if (buffer.size() == 1) SetBufferRunnable(cpu.id(), true);
}

void Machine::CommitOldest(Cpu& cpu) {
  Commit(cpu, 0);
}

size_t Machine::CommitIndex(const Cpu& cpu, std::string_view store) const {
  if (!reorders_stores_ || store.empty()) return 0;
  const std::vector<BufferedStore>& buffer = cpu.store_buffer();
  for (size_t i = 0; i < buffer.size(); ++i) {
    const BufferedStore& s = buffer[i];
    if ((s.var != nullptr ? std::string_view(s.var->name) : std::string_view(s.what)) != store) continue;
    // Epochs only grow along the buffer: the oldest store sharing this one's epoch means all between do too.
    return s.epoch == buffer.front().epoch ? i : 0;
  }
  return 0;
}

void Machine::CommitCandidates(uint32_t cpu, std::vector<std::string_view>& out) const {
  out.clear();
  const std::vector<BufferedStore>& buffer = cpus_[cpu].store_buffer();
  if (buffer.empty()) return;
  auto name = [](const BufferedStore& s) { return s.var != nullptr ? std::string_view(s.var->name) : s.what; };
  out.push_back(name(buffer.front()));
  if (!reorders_stores_ || OverdueBuffer() != kNoCpu) return;
  // Epochs only grow along the buffer: the stores sharing the oldest one's epoch are a prefix of it.
  for (size_t i = 1; i < buffer.size() && buffer[i].epoch == buffer.front().epoch; ++i) {
    const std::string_view n = name(buffer[i]);
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
}

void Machine::Commit(Cpu& cpu, size_t index) {
  std::vector<BufferedStore>& buffer = cpu.store_buffer();
  BufferedStore s = std::move(buffer[index]);
  buffer.erase(buffer.begin() + static_cast<std::ptrdiff_t>(index));
  if (buffer.empty()) SetBufferRunnable(cpu.id(), false);
  current_cpu_ = cpu.id();  // what the commit books (a wake the store carries) is this CPU's
  if (s.var != nullptr) {
    --s.var->buffered;
    Store(*s.var, s.value, cpu.id(), s.label, TraceMark::kCommit);
    if (s.hw) s.hw();
  } else {
    s.hw();
    Record(cpu.id(), TraceKind::kHw, s.label, s.what, 0, TraceTags{.mark = TraceMark::kCommit});
  }
}

void Machine::CommitStores(Cpu& cpu) {
  while (!cpu.store_buffer().empty()) CommitOldest(cpu);
}

// Every entry another CPU holds for a store of cpu's (or one other CPUs stored to as well: applying more than needed
// only reads newer values) is applied there, oldest first, under that CPU.
void Machine::CompleteStores(Cpu& cpu) {
  CommitStores(cpu);
  if (!queues_invalidates_ || (queued_by_writer_[cpu.id()] == 0 && queued_shared_ == 0)) return;
  for (Cpu& c : cpus_) {
    if (c.id() == cpu.id()) continue;
    ApplyInvalidatesIf(c, [&](const StaleEntry& e) { return e.writer == cpu.id() || e.shared; });
  }
}

bool Machine::BufferedElsewhere(const Var& v, uint32_t self) const {
  for (const Cpu& c : cpus_) {
    if (c.id() == self) continue;
    const BufferedStore* s = c.Forward(v);
    if (s != nullptr && s->value != v.value.raw()) return true;
  }
  return false;
}

// ---- Invalidate queues ----
// McKenney's operational model ("Memory Barriers: a Hardware View for Software Hackers", 2010): a CPU acknowledges
// an invalidation at once but applies it later, so until then its loads of that line hit the old copy. Per
// variable, an entry holds what memory had before the first store the CPU has not applied; memory stays one copy.
// A CPU that executes no code again (finished, or held by firmware, whose exits drain) gets none: it never reads.

void Machine::QueueInvalidates(Var& v, int64_t old_value, uint32_t by_cpu) {
  // Coherence: the storing CPU reads its own store or a newer one from now on.
  if (by_cpu < num_cpus()) DropInvalidate(cpus_[by_cpu], v);
  if (old_value == v.value.raw()) return;  // nothing a load could tell apart
  for (Cpu& c : cpus_) {
    if (c.id() == by_cpu || c.finished_ || c.in_firmware_) continue;
    if (StaleEntry* e = c.StaleMutable(v)) {
      if (!e->shared && e->writer != by_cpu) {
        e->shared = true;
        ++queued_shared_;
      }
      continue;
    }
    c.invalidate_queue_.push_back(StaleEntry{&v, old_value, step_, by_cpu, false});
    ++queued_by_writer_[WriterSlot(by_cpu)];
    ++v.queued;
    if (c.invalidate_queue_.size() == 1) SetAgentRunnable(2 * num_cpus() + c.id(), true);
  }
}

size_t Machine::InvalidateIndex(const Cpu& cpu, std::string_view var) const {
  if (var.empty()) return 0;
  const std::vector<StaleEntry>& queue = cpu.invalidate_queue();
  for (size_t i = 0; i < queue.size(); ++i) {
    if (queue[i].var->name == var) return i;
  }
  return 0;
}

void Machine::InvalidateCandidates(uint32_t cpu, std::vector<std::string_view>& out) const {
  out.clear();
  const std::vector<StaleEntry>& queue = cpus_[cpu].invalidate_queue();
  if (queue.empty()) return;
  out.push_back(queue.front().var->name);
  if (OverdueBuffer() != kNoCpu) return;
  for (size_t i = 1; i < queue.size(); ++i) out.push_back(queue[i].var->name);  // one entry per variable
}

void Machine::ApplyInvalidate(Cpu& cpu, size_t index) {
  std::vector<StaleEntry>& queue = cpu.invalidate_queue_;
  const StaleEntry e = queue[index];
  queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(index));
  if (queue.empty()) SetAgentRunnable(2 * num_cpus() + cpu.id(), false);
  Applied(cpu, e);
}

// Not a step of the CPU's code: recorded under it (kInvalidate, the value it now reads), like a buffer's commit.
void Machine::Applied(Cpu& cpu, const StaleEntry& e) {
  Unqueued(e);
  const Var& v = *e.var;
  Record(cpu.id(), TraceKind::kInvalidate, "invalidate", v.name, v.value.raw(), v.tags());
}

void Machine::Unqueued(const StaleEntry& e) {
  --e.var->queued;
  --queued_by_writer_[WriterSlot(e.writer)];
  if (e.shared) --queued_shared_;
}

// The entries `take` selects, oldest first, as ApplyInvalidate would apply them one by one, in one pass over the
// queue (a barrier or a completion applies several at once; each erase would shift the rest again).
template <typename Take>
void Machine::ApplyInvalidatesIf(Cpu& cpu, Take take) {
  std::vector<StaleEntry>& queue = cpu.invalidate_queue_;
  if (queue.empty()) return;
  size_t kept = 0;
  for (size_t i = 0; i < queue.size(); ++i) {
    if (take(queue[i])) {
      Applied(cpu, queue[i]);
    } else {
      queue[kept++] = queue[i];
    }
  }
  queue.resize(kept);
  if (kept == 0) SetAgentRunnable(2 * num_cpus() + cpu.id(), false);
}

void Machine::DrainQueue(Cpu& cpu) {
  ApplyInvalidatesIf(cpu, [](const StaleEntry&) { return true; });
}

void Machine::DropInvalidate(Cpu& cpu, const Var& v) {
  if (v.queued == 0) return;
  const std::vector<StaleEntry>& queue = cpu.invalidate_queue_;
  for (size_t i = 0; i < queue.size(); ++i) {
    if (queue[i].var == &v) {
      ApplyInvalidate(cpu, i);
      return;
    }
  }
}

// The declared initial state is one the kernel reached long ago: every CPU's view has caught up.
void Machine::ClearQueues() {
  for (Cpu& c : cpus_) {
    if (c.invalidate_queue_.empty()) continue;
    for (const StaleEntry& e : c.invalidate_queue_) Unqueued(e);
    c.invalidate_queue_.clear();
    SetAgentRunnable(2 * num_cpus() + c.id(), false);
  }
}

// Hardware drains a store buffer in bounded time: a store buffered kMaxBufferedSteps scheduled steps ago commits
// now, whatever the policy or a hold would pick (unbounded buffering would turn a spin on a lock, or an interrupt
// controller's flush loop, into a livelock no machine has). The buffer with the oldest such store goes first. An
// invalidate queue likewise applies an entry kMaxBufferedSteps old (hardware processes its queue in bounded time).
uint32_t Machine::OverdueBuffer() const {
  if (!buffers_stores_ || step_ < overdue_scan_from_) return kNoCpu;
  uint32_t best = kNoCpu;
  uint64_t oldest = UINT64_MAX;
  uint64_t oldest_front = step_;
  const uint32_t n = num_cpus();
  for (auto it = runnable_.rbegin(); it != runnable_.rend() && *it >= n; ++it) {
    const uint64_t issued = *it >= 2 * n ? cpus_[*it - 2 * n].invalidate_queue().front().queued_step
                                         : cpus_[*it - n].store_buffer().front().issued_step;
    oldest_front = std::min(oldest_front, issued);
    if (step_ - issued >= kMaxBufferedSteps && issued <= oldest) {
      oldest = issued;
      best = *it;
    }
  }
  // A front only gets newer (its entry leaves; an entry joins at the current step), so nothing is overdue before
  // the oldest front seen here is: until then the answer is kNoCpu without a scan of every buffer and queue.
  overdue_scan_from_ = oldest_front + kMaxBufferedSteps;
  return best;
}

void Machine::SetBufferRunnable(uint32_t cpu, bool runnable) {
  SetAgentRunnable(num_cpus() + cpu, runnable);
}

// Agents sort after every CPU: only the tail of runnable_ holds them, and a queue or buffer turning empty or
// non-empty is the commonest change on a machine with them, so the place is looked for there, from the back.
void Machine::SetAgentRunnable(uint32_t agent, bool runnable) {
  const auto first = runnable_.end() - runnable_agents_;
  auto it = runnable_.end();
  if (runnable_agents_ <= kAgentScan) {
    while (it != first && *(it - 1) >= agent) --it;
  } else {
    it = std::lower_bound(first, runnable_.end(), agent);
  }
  if (runnable) {
    runnable_.insert(it, agent);
    ++runnable_agents_;
  } else {
    runnable_.erase(it);
    --runnable_agents_;
  }
}

void Machine::NoteMonitor(Var* old_line, Var* new_line) {
  if (old_line != nullptr) --old_line->monitors;
  if (new_line != nullptr) ++new_line->monitors;
}

void Machine::Overwrite(Region r, uint32_t by_cpu) {
  overwritten_[static_cast<size_t>(r)] = true;
  Record(by_cpu, TraceKind::kOverwrite, Name(r));
  for (Var& v : vars_) {
    if (v.region == r) Store(v, static_cast<int64_t>(0x5A5A5A5A5A5A5A5Aull), by_cpu, "relocate", TraceMark::kRelocate);
  }
}

namespace {

// What a CPU's timer interrupt may do in a periodic steady state: read, run private code (its own registers, its
// own decrementer, interrupt masks), block and wake. Anything else (a store, a hardware latch of another CPU, a
// location change, a log line, a save, an event other than the decrementer) ends the steady state.
bool ChangesSharedState(TraceKind kind, Label label) {
  switch (kind) {
    case TraceKind::kRead:
    case TraceKind::kBarrier:
    case TraceKind::kLocal:
    case TraceKind::kBlock:
    case TraceKind::kWake:
    case TraceKind::kIrq:
    case TraceKind::kIrqReturn: return false;
    case TraceKind::kEvent: return label != "DEC";
    default: return true;
  }
}

}  // namespace

void Machine::Record(uint32_t cpu, TraceKind kind, Label label, std::string_view detail, int64_t value,
                     TraceTags tags) {
  // One entry reused for every step: assigning into its detail string keeps the capacity, so a run that does not
  // record its trace (fuzzing) allocates nothing per step here. Its text is copied only when someone reads it (the
  // kept trace, an observer that wants it); the hash reads the view.
  TraceEntry& e = scratch_entry_;
  e.step = step_;
  e.time_ns = now_;
  e.cpu = cpu;
  e.kind = kind;
  e.label = label;
  if (detail_needed_) e.detail.assign(detail);
  e.value = value;
  e.tags = tags;
  e.location = cpu != kNoCpu ? cpus_[cpu].location() : Location::kRunOld;
  if (options_.observer != nullptr) options_.observer->OnEntry(e);
  if (ChangesSharedState(kind, label)) ++effects_;
  ++trace_pos_;
  result_.trace.Add(e, detail);
}

void Machine::Book(BookKind kind, uint32_t cpu) {
  ++effects_;
  const BookEntry b{kind, cpu, current_cpu_, step_, now_, trace_pos_};
  if (options_.observer != nullptr) options_.observer->OnBook(b);
  result_.book.push_back(b);
}

void Machine::MoveSleepingTask(Cpu& from, uint32_t to) {
  Cpu& dest = cpus_[to];
  dest.QueueTask(from.sleeping_task_(dest), from.sleeping_task_mark_);
  from.sleeping_task_ = nullptr;
  from.frames_[from.sleeping_frame_].moved = true;
  // Moved by another CPU's step, the sleeping context is the top one and goes now; by the dying CPU's own take-down
  // (an interrupt context above it), once the contexts above it are done (PopFinishedFrames).
  if (from.sleeping_frame_ + 1 == from.frames_.size()) {
    PopFinishedFrames(from);
    MarkDirty(from.id());
  }
  if (result_.cpus[from.id()].shutdowns > 0) {
    --result_.cpus[from.id()].shutdowns;
    ++result_.cpus[to].shutdowns;
    Book(BookKind::kShutdownMoved, to);
  }
}

void Machine::Log(uint32_t cpu, std::string text) {
  Record(cpu, TraceKind::kDiag, "printk", text);
  result_.diagnostics.push_back(Diagnostic{now_, cpu, std::move(text)});
}

void Machine::RecordSave(uint32_t cpu, bool regs_valid) {
  if (regs_valid) {
    ++result_.cpus[cpu].saves;
  } else {
    ++result_.cpus[cpu].invalid_saves;
  }
  Book(regs_valid ? BookKind::kSave : BookKind::kInvalidSave, cpu);
  Record(cpu, TraceKind::kSave, "crash_save_cpu", regs_valid ? "regs" : "NULL regs");
}

void Machine::Handover(uint32_t cpu, const std::vector<Region>& overwritten) {
  Cpu& self = cpus_[cpu];
  self.Finish(Location::kNextKernel);
  if (!result_.handed_over) {
    result_.handed_over = true;
    result_.handover_time_ns = now_;
    result_.handover_step = step_;
    result_.handover_cpu = cpu;
    for (uint32_t c = 0; c < num_cpus(); ++c) result_.cpus[c].at_handover = cpus_[c].location();
    // The latest after_handover_ns trigger bounds the run (the limit is monotone in it).
    if (any_after_handover_) ExtendTimeLimit(now_ + std::min(max_after_handover_ns_, kForever - now_));
  }
  Record(cpu, TraceKind::kHandover, "HANDOVER");
  for (Region r : overwritten) Overwrite(r, cpu);
}

void Machine::ExtendTimeLimit(uint64_t event_ns) {
  const uint64_t limit = event_ns > kForever - kTimeLimitNs ? kForever : event_ns + kTimeLimitNs;
  time_limit_ns_ = std::max(time_limit_ns_, limit);
}

void Machine::Corrupt(Cpu& cpu, std::string_view why) {
  cpu.Finish(Location::kDeadCorrupt);
  Record(cpu.id(), TraceKind::kCorrupt, "DEAD", why);
}

// ---- Frames ----

void Machine::PushFrame(Cpu& cpu, Task<> task, bool is_interrupt, Source source) {
  current_cpu_ = cpu.id();
  Frame f;
  f.is_interrupt = is_interrupt;
  f.source = source;
  f.saved_irq_enabled = cpu.irq_enabled();
  f.saved_in_nmi = cpu.in_nmi();
  f.saved_location = cpu.location();
  f.root = std::move(task);
  std::coroutine_handle<> h = f.root.handle();
  cpu.frames().push_back(std::move(f));
  cpu.set_blocked(false);
  MarkDirty(cpu.id());
  if (is_interrupt) cpu.enter_irq(source == Source::kNmi);
  ResumeLeaf(cpu, h);
}

void Machine::ResumeLeaf(Cpu& cpu, std::coroutine_handle<> h) {
  const size_t depth = cpu.frames().size();
  h.resume();  // runs model code up to its next step operation, or to the end of the frame's root task
  assert(cpu.frames().size() == depth);
  (void)depth;
  PopFinishedFrames(cpu);
}

void Machine::PopFinishedFrames(Cpu& cpu) {
  while (!cpu.frames().empty() && (cpu.frames().back().root.handle().done() || cpu.frames().back().moved)) {
    Frame& f = cpu.frames().back();
    const bool irq = f.is_interrupt;
    if (irq) {
      cpu.restore_irq(f.saved_irq_enabled, f.saved_in_nmi);
      cpu.set_location(f.saved_location);
      Record(cpu.id(), TraceKind::kIrqReturn, Name(f.source));
    } else {
      // A software event's code returned (e.g. crash_kexec lost arbitration), or its task moved to another CPU:
      // back to what the CPU was doing.
      cpu.set_location(f.saved_location);
    }
    cpu.frames().pop_back();
    cpu.set_blocked(false);
  }
  if (cpu.frames().empty() && !cpu.finished()) cpu.Finish(cpu.location());
}

// ---- Scheduling ----

namespace {

// The sources that can be taken as an interrupt, and those of them interrupts-off blocks (the hw.h table).
constexpr SourceMask SourcesWhere(bool SourceInfo::*field) {
  SourceMask m = 0;
  for (size_t i = 0; i < kNumSources; ++i) {
    if (kSourceInfo[i].*field) m |= Bit(static_cast<Source>(i));
  }
  return m;
}
constexpr SourceMask kInterruptSources = SourcesWhere(&SourceInfo::interrupt);
constexpr SourceMask kMaskableSources = SourcesWhere(&SourceInfo::maskable);

}  // namespace

std::optional<Source> Machine::DeliverableInterrupt(const Cpu& cpu) const {
  if (cpu.finished() || cpu.in_firmware()) return std::nullopt;
  // Nothing pending is the common case for every CPU at every step: test it before the virtual call.
  const SourceMask pending = cpu.pending_mask();
  if (pending == 0) return std::nullopt;
  const Frame& top = cpu.frames().back();
  if (top.op != nullptr && top.op->HandlesWakes() && cpu.blocked()) return std::nullopt;
  // The takeable sources as a mask; the lowest source id among them is the one taken (table order).
  SourceMask takeable = pending & kInterruptSources & ~cpu.held_sources();
  if (!cpu.irq_enabled()) takeable &= ~kMaskableSources;
  if (cpu.in_nmi()) takeable &= ~Bit(Source::kNmi);  // NMIs do not nest
  if (takeable == 0) return std::nullopt;
  return static_cast<Source>(std::countr_zero(takeable));
}

bool Machine::Runnable(const Cpu& cpu) const {
  if (FirmwareStarts(cpu)) return true;
  if (cpu.finished() || cpu.in_firmware() || cpu.frames().empty()) return false;
  const PendingOp* op = cpu.frames().back().op;
  if (op != nullptr && !cpu.blocked()) return true;  // cheapest first: this runs for every CPU at every step
  if (DeliverableInterrupt(cpu)) return true;
  if (TaskStarts(cpu)) return true;
  return op != nullptr && op->CanProceed(cpu);
}

void Machine::TakeInterrupt(Cpu& cpu, Source s) {
  if (Info(s).cleared_on_take) cpu.hw().Clear(s);
  if (s == Source::kReset) DrainQueue(cpu);  // a system reset: the thread's view of memory starts afresh
  cpu.count_irq();
  Record(cpu.id(), TraceKind::kIrq, Name(s), {}, 0,
         TraceTags{.mark = s == Source::kReset ? TraceMark::kSystemReset : TraceMark::kNone});
  if (s == Source::kSmi) {
    // SMIs are handled in SMM by firmware (SMRAM, not the kernel's vectors) and return to the interrupted
    // instruction: whether that instruction is still there is the code-region check of the next step.
    Record(cpu.id(), TraceKind::kIrqReturn, Name(s), "SMM");
    return;
  }
  // The vector lives in vector_region: once the next kernel owns (has overwritten) it, an old-kernel CPU that
  // takes the interrupt runs the new kernel's handler with old-kernel state.
  if (overwritten(cpu.vector_region())) {
    Corrupt(cpu, "took " + std::string(Name(s)) + " through a replaced vector");
    return;
  }
  PushFrame(cpu, program_->Interrupt(cpu, s), true, s);
}

bool Machine::FirmwareStarts(const Cpu& cpu) const {
  return !cpu.finished() && cpu.in_firmware() && cpu.firmware_start_queued();
}

// A task another CPU moved here runs when the scheduler could switch to it: the CPU runs ordinary kernel code in
// task context (its base frame, interrupts on, no raw spinlock held), where a system call starts (Fire). A CPU in
// an interrupt handler, a system call or a crash path runs it later or never, as a runqueue would.
bool Machine::TaskStarts(const Cpu& cpu) const {
  return !cpu.queued_tasks_.empty() && RunsKernelCode(cpu) && !cpu.in_critical() && InTaskContext(cpu);
}

bool Machine::RunsKernelCode(const Cpu& cpu) {
  return !cpu.finished() && !cpu.in_firmware() && cpu.location() == Location::kRunOld;
}

bool Machine::InTaskContext(const Cpu& cpu) {
  return cpu.frames().size() == 1 && cpu.irq_enabled();
}

void Machine::ExecuteStep(Cpu& cpu) {
  current_cpu_ = cpu.id();
  if (FirmwareStarts(cpu)) {
    // Firmware releases the thread at the kernel's entry point (PSCI CPU_ON, skiboot's start job): one step, then
    // the entry code runs on a fresh stack (from kernel text: if the next kernel replaced it, the following step
    // finds it overwritten).
    cpu.StartFromFirmware();
    PushFrame(cpu, program_->FirmwareEntry(cpu), false, Source::kSpurious);
    return;
  }
  // Executing anything from a region the next kernel has overwritten means running replaced code.
  if (overwritten(cpu.code_region())) {
    Corrupt(cpu, "resumed in overwritten " + std::string(Name(cpu.code_region())));
    return;
  }
  if (std::optional<Source> s = DeliverableInterrupt(cpu)) {
    TakeInterrupt(cpu, *s);
    return;
  }
  if (TaskStarts(cpu)) {
    Cpu::QueuedTask queued = std::move(cpu.queued_tasks_.front());
    cpu.queued_tasks_.erase(cpu.queued_tasks_.begin());
    Record(cpu.id(), TraceKind::kEvent, "TASK", "the scheduler runs a task moved here", 0,
           TraceTags{.mark = queued.start_mark});
    PushFrame(cpu, std::move(queued.task), false, Source::kSpurious);
    return;
  }
  Frame& top = cpu.frames().back();
  PendingOp* op = top.op;
  const Label label = op->label;
  if (op->Execute(cpu) == PendingOp::Result::kBlocked) {
    cpu.set_blocked(true);
  } else {
    cpu.set_blocked(false);
    top.op = nullptr;
    ResumeLeaf(cpu, op->waiter);
  }
  CheckLabelTriggers(cpu.id(), label);
}

void Machine::ExecuteScheduled(uint32_t id) {
  const uint32_t n = num_cpus();
  const uint32_t cpu = id >= 2 * n ? id - 2 * n : id >= n ? id - n : id;
  const bool recording = options_.access != nullptr;
  if (recording) {
    options_.access->reads.self = cpu;
    ReadLog::Current() = &options_.access->reads;
  }
  if (id >= 2 * n) {
    ApplyInvalidate(cpus_[cpu], InvalidateIndex(cpus_[cpu], commit_request_));
  } else if (id >= n) {
    Commit(cpus_[cpu], CommitIndex(cpus_[cpu], commit_request_));
  } else {
    Cpu& c = cpus_[cpu];
    ExecuteStep(c);
    // The CPU that stepped is evaluated again, unless it is certainly still runnable: it has a next operation and is
    // not blocked on it, and it was runnable already. EvaluateRunnable would return true at once and change
    // nothing; only its epoch step (its older registrations are stale) is kept.
    if (dirty_flag_[cpu] == 0 && runnable_flag_[cpu] != 0 && !c.finished_ && !c.in_firmware_ && !c.blocked_ &&
        !c.frames_.empty() && c.frames_.back().op != nullptr) {
      ++epoch_[cpu];
    } else {
      MarkDirty(cpu);
    }
  }
  if (recording) ReadLog::Current() = nullptr;  // outside a recorded step or a runnable evaluation it is unset
}

// ---- Event schedule ----
// Each trigger kind keeps its unfired events sorted by when they become due (ties in scenario order) with a
// cursor, and label triggers are listed per CPU, so a step costs O(1) for events however many a scenario has.
// Events due together fire in scenario order, as a scan of the whole list would fire them.

void Machine::IndexEvents() {
  label_events_.resize(num_cpus());
  for (uint32_t i = 0; i < events_.size(); ++i) {
    const pb::Trigger& t = events_[i].event->trigger();
    if (t.has_at_step()) by_step_.order.emplace_back(t.at_step(), i);
    if (t.has_at_time_ns()) by_time_.order.emplace_back(t.at_time_ns(), i);
    if (t.has_after_handover_ns()) {
      after_handover_.order.emplace_back(t.after_handover_ns(), i);
      max_after_handover_ns_ = std::max(max_after_handover_ns_, t.after_handover_ns());
      any_after_handover_ = true;
    }
    if (t.has_on_label() && t.on_label().cpu() < num_cpus()) label_events_[t.on_label().cpu()].push_back(i);
  }
  for (EventQueue* q : {&by_step_, &by_time_, &after_handover_}) std::sort(q->order.begin(), q->order.end());
}

// Moves every event of q with key + base <= limit to due_.
bool Machine::FrontDue(const EventQueue& q, uint64_t limit, uint64_t base) {
  return q.cursor < q.order.size() && q.order[q.cursor].first + base <= limit;
}

void Machine::TakeDue(EventQueue& q, uint64_t limit, uint64_t base) {
  while (FrontDue(q, limit, base)) {
    due_.push_back(q.order[q.cursor++].second);
  }
}

void Machine::ArmDec(Cpu& cpu, uint64_t ns) {
  cpu.dec_expiry_ = ns == kForever || now_ > kForever - ns ? kForever : now_ + ns;
  if (cpu.dec_expiry_ != kForever) decs_.emplace(cpu.dec_expiry_, cpu.id());
}

// An expired decrementer latches DEC on its CPU (a hardware change: the CPU's waits are re-evaluated). Expiries due
// together fire in CPU id order.
void Machine::FireDueDecs() {
  while (!decs_.empty() && decs_.top().first <= now_) {
    const auto [time, id] = decs_.top();
    decs_.pop();
    Cpu& c = cpus_[id];
    if (c.dec_expiry_ != time) continue;
    c.dec_expiry_ = kForever;
    c.hw().dec = true;
    if (effects_ != effects_seen_) {
      effects_seen_ = effects_;
      std::fill(quiet_decs_.begin(), quiet_decs_.end(), 0);
    }
    if (quiet_decs_[id] < 2) ++quiet_decs_[id];
    // A machine entry, as a hardware event's: the CPU executes nothing (its last step stays what it was).
    Record(kNoCpu, TraceKind::kEvent, "DEC", "decrementer expired: DEC latched cpu" + std::to_string(id),
           static_cast<int64_t>(time));
  }
}

// The machine is idle and nothing is ahead but decrementers: events, timed waits and deadlines are all done. If
// every armed decrementer has expired twice since anything changed shared state, each CPU's timer interrupt only
// re-arms its own decrementer, and the model being deterministic, every later period repeats the last: the run is
// over, as quiescent as one with no timer armed (the periodic tick of an idle machine, docs/SIMULATOR.md).
bool Machine::OnlyRepeatingTimersAhead() {
  if (NextTimePointBesidesDecs() != kForever) return false;
  for (const Cpu& c : cpus_) {
    // A decrementer due after the time limit cannot expire within the run (POWER9's large decrementer_max is two
    // years): it counts as disarmed. One due within it must have repeated, with nothing else happening.
    if (c.dec_expiry_ == kForever || c.dec_expiry_ > time_limit_ns_) continue;
    if (effects_ != effects_seen_ || quiet_decs_[c.id()] < 2) return false;
  }
  return true;
}

uint64_t Machine::NextTimePoint() {
  while (!decs_.empty() && cpus_[decs_.top().second].dec_expiry_ != decs_.top().first) decs_.pop();
  const uint64_t next = NextTimePointBesidesDecs();
  return decs_.empty() ? next : std::min(next, decs_.top().first);
}

uint64_t Machine::NextTimePointBesidesDecs() {
  uint64_t next = kForever;
  // Deadlines of blocked CPUs (stale entries, of CPUs evaluated since, are dropped here).
  while (!deadlines_.empty() && deadlines_.top().epoch != epoch_[deadlines_.top().cpu]) deadlines_.pop();
  if (!deadlines_.empty()) next = std::min(next, deadlines_.top().time);
  // Every due event has fired, so the queues' fronts are in the future.
  if (by_time_.cursor < by_time_.order.size()) next = std::min(next, by_time_.order[by_time_.cursor].first);
  if (result_.handed_over && after_handover_.cursor < after_handover_.order.size()) {
    next = std::min(next,
                    std::max(now_ + 1, result_.handover_time_ns + after_handover_.order[after_handover_.cursor].first));
  }
  return next;
}

void Machine::FireDueEvents() {
  // Nothing due is the common case at every step: the queues' fronts, tested before any is walked.
  if (!FrontDue(by_step_, step_, 0) && !FrontDue(by_time_, now_, 0) &&
      !(result_.handed_over && FrontDue(after_handover_, now_, result_.handover_time_ns))) {
    return;
  }
  due_.clear();
  TakeDue(by_step_, step_, 0);
  TakeDue(by_time_, now_, 0);
  if (result_.handed_over) TakeDue(after_handover_, now_, result_.handover_time_ns);
  if (due_.empty()) return;
  std::sort(due_.begin(), due_.end());
  for (uint32_t i : due_) Fire(events_[i]);
}

void Machine::CheckLabelTriggers(uint32_t cpu, Label label) {
  if (settling_) return;  // the scenario starts after settling: its label occurrences count from step 0
  scheduler_->Executed(cpu, label);
  std::vector<uint32_t>& mine = label_events_[cpu];
  if (mine.empty()) return;  // the common case: no label trigger on this CPU, no string compared
  bool fired = false;
  for (uint32_t i : mine) {
    PendingEvent& pe = events_[i];
    const pb::OnLabel& on = pe.event->trigger().on_label();
    if (on.label() != label) continue;
    if (++pe.label_hits >= on.occurrence()) {
      Fire(pe);
      fired = true;
    }
  }
  if (fired) std::erase_if(mine, [this](uint32_t i) { return events_[i].fired; });
}

// ---- Runnable set ----
// Runnable(c) depends on c's own state (changes only when c steps, takes an interrupt or has a frame pushed),
// its latches (changed through the mutable Cpu::hw(), which reports it), model time (a blocked wait's deadline)
// and, for a blocked wait, whatever its condition reads: shared variables and other CPUs' state. Evaluating a
// blocked CPU logs those reads (ReadLog) and registers the CPU on each; a store to a variable or a change of a
// CPU's state marks the registered CPUs dirty, a deadline heap marks CPUs whose deadline time reached, and only
// dirty CPUs are evaluated again. So a step costs O(CPUs it affects), and runnable_ (CPU id ascending, what
// the scheduler is given) is exactly what evaluating every CPU would give: CRASHDIFF_SIM_VERIFY=1 checks it.

void Machine::NoteCpuChanged(uint32_t cpu) {
  if (cpu >= dirty_flag_.size()) return;  // during construction
  if (options_.access != nullptr) options_.access->cpus_changed.push_back(cpu);
  MarkDirty(cpu);
  WakeWaiters(cpu_watchers_[cpu]);
}

void Machine::WakeWaiters(std::vector<Waiter>& list) {
  if (list.empty()) return;
  for (const Waiter& w : list) {
    if (epoch_[w.cpu] == w.epoch) MarkDirty(w.cpu);
  }
  list.clear();
}

bool Machine::EvaluateRunnable(Cpu& c) {
  const uint32_t id = c.id();
  const uint32_t epoch = ++epoch_[id];
  if (FirmwareStarts(c)) return true;
  if (c.finished() || c.in_firmware() || c.frames().empty()) return false;
  const PendingOp* op = c.frames().back().op;
  if (op != nullptr && !c.blocked()) return true;
  read_log_.self = id;
  read_log_.vars.clear();
  read_log_.cpus.clear();
  ReadLog::Current() = &read_log_;
  const bool runnable = DeliverableInterrupt(c).has_value() || TaskStarts(c) || (op != nullptr && op->CanProceed(c));
  ReadLog::Current() = nullptr;
  for (uint32_t v : read_log_.vars) var_waiters_[v].push_back(Waiter{id, epoch});
  for (uint32_t x : read_log_.cpus) cpu_watchers_[x].push_back(Waiter{id, epoch});
  if (!runnable && op != nullptr) {
    const uint64_t d = op->Deadline();
    if (d != kForever && d > now_) deadlines_.push(DeadlineEntry{d, id, epoch});
  }
  return runnable;
}

void Machine::RefreshRunnable() {
  while (!deadlines_.empty() && deadlines_.top().time <= now_) {
    const DeadlineEntry e = deadlines_.top();
    deadlines_.pop();
    if (e.epoch == epoch_[e.cpu]) MarkDirty(e.cpu);
  }
  // Evaluations may mark CPUs again (a condition that takes a mutable reference to latches): those wait for
  // the next refresh, which runs before the next pick.
  dirty_work_.swap(dirty_);
  dirty_.clear();
  for (uint32_t id : dirty_work_) {
    dirty_flag_[id] = 0;
    const bool r = EvaluateRunnable(cpus_[id]);
    if (r == static_cast<bool>(runnable_flag_[id])) continue;
    runnable_flag_[id] = r;
    const auto it = std::lower_bound(runnable_.begin(), runnable_.end() - runnable_agents_, id);
    if (r) {
      runnable_.insert(it, id);
    } else {
      runnable_.erase(it);
    }
  }
  dirty_work_.clear();
}

void Machine::VerifyRunnable() {
  std::vector<uint32_t> full;
  for (const Cpu& c : cpus_) {
    if (Runnable(c)) full.push_back(c.id());
  }
  for (const Cpu& c : cpus_) {
    if (!c.store_buffer().empty()) full.push_back(num_cpus() + c.id());
  }
  for (const Cpu& c : cpus_) {
    if (!c.invalidate_queue().empty()) full.push_back(2 * num_cpus() + c.id());
  }
  // The counts the invalidate queues keep for completions (CompleteStores returns early on them).
  std::vector<uint32_t> by_writer(queued_by_writer_.size(), 0);
  uint32_t shared = 0;
  for (const Cpu& c : cpus_) {
    for (const StaleEntry& e : c.invalidate_queue()) {
      ++by_writer[WriterSlot(e.writer)];
      shared += e.shared ? 1 : 0;
    }
  }
  if (by_writer != queued_by_writer_ || shared != queued_shared_) {
    std::fprintf(stderr, "crashdiff: simulator invariant: invalidate-queue counts differ at step %llu\n",
                 static_cast<unsigned long long>(step_));
    std::abort();
  }
  for (const Cpu& c : cpus_) {
    if (c.pending_valid_ && c.pending_ != c.hw_.PendingMask()) {
      std::fprintf(stderr, "crashdiff: simulator invariant: cpu%u's remembered pending mask is stale at step %llu\n",
                   c.id(), static_cast<unsigned long long>(step_));
      std::abort();
    }
  }
  const auto agents = std::count_if(full.begin(), full.end(), [&](uint32_t id) { return id >= num_cpus(); });
  if (full == runnable_ && agents == runnable_agents_) return;
  std::fprintf(stderr,
               "crashdiff: simulator invariant: incremental runnable set differs at step %llu (%zu vs %zu CPUs)\n",
               static_cast<unsigned long long>(step_), runnable_.size(), full.size());
  std::abort();
}

void Machine::Start(Program& program) {
  program_ = &program;
  for (Cpu& c : cpus_) {
    if (never_started(c.id())) c.set_location(Location::kNeverStarted);
    PushFrame(c, program.Start(c), false, Source::kSpurious);
  }
}

// A declared initial state holds at step 0 exactly as the kernel leaves such a CPU: an offline CPU is already in
// its offline loop (asleep, busy-polling or in firmware, as the model's offline path ends), a never-started one is
// held by firmware. So before step 0 each CPU that is not initially online runs alone, in CPU id order, until it
// can no longer run; passes repeat until none can (one CPU's start-up may release another's wait). No event
// fires, no label trigger counts, the scheduler is not consulted, and the clock and step counter stay at 0: the
// entries are in the trace (the observer builds facts from them) at step 0, time 0. Online CPUs have not run.
void Machine::Settle() {
  settling_ = true;
  uint64_t steps = 0;
  // The CPUs to settle, found once (initially_online searches the offline lists: per CPU per pass it was
  // quadratic in the machine's size).
  std::vector<uint32_t> to_settle;
  for (const Cpu& c : cpus_) {
    if (!initially_online(c.id())) to_settle.push_back(c.id());
  }
  for (bool progressed = true; progressed;) {
    progressed = false;
    for (uint32_t id : to_settle) {
      Cpu& c = cpus_[id];
      // The bound is per CPU and pass (the comment on kSettleStepLimit), so a large machine is not a model bug.
      for (uint64_t own = 0; Runnable(c); ++steps) {
        if (++own > kSettleStepLimit) {
          std::fprintf(stderr,
                       "crashdiff: simulator invariant: cpu%u did not settle into its initial state within %llu "
                       "steps (the model's offline or firmware start-up path never blocks): model bug\n",
                       c.id(), static_cast<unsigned long long>(kSettleStepLimit));
          std::abort();
        }
        ExecuteStep(c);
        progressed = true;
      }
      CommitStores(c);  // the declared state is one the kernel reached long ago: its stores are visible
    }
  }
  ClearQueues();
  settling_ = false;
  result_.settle_steps = steps;
  for (const Cpu& c : cpus_) result_.settled.push_back(c.location());
}

uint64_t LivelockEvidenceSteps(uint32_t num_cpus) {
  const uint64_t n = num_cpus;
  return std::max(kLivelockEvidenceSteps, 50 * n * n);
}

RunResult Machine::Run(Program& program) {
  Start(program);
  Settle();
  const uint64_t evidence = LivelockEvidenceSteps(num_cpus());
  const pb::Schedule& schedule = scenario_->schedule();
  const uint64_t budget = schedule.has_step_budget() ? schedule.step_budget() : kWaitingBudgetFactor * evidence;
  // Livelock evidence is steps taken while some CPU could always run. A machine whose CPUs all wait between
  // ticks, deadlines and events is waiting for time, however many steps its ticks take: the step after its last
  // such wait starts the count again.
  uint64_t busy_from = step_;
  for (uint32_t c = 0; c < num_cpus(); ++c) MarkDirty(c);
  const std::vector<uint32_t>& runnable = runnable_;
  for (;;) {
    FireDueDecs();
    FireDueEvents();
    RefreshRunnable();
    if (options_.verify_runnable) VerifyRunnable();
    if (runnable.empty()) {
      const uint64_t next = NextTimePoint();
      if (next == kForever || OnlyRepeatingTimersAhead()) {
        result_.end = EndReason::kQuiescent;
        break;
      }
      if (next > time_limit_ns_) {
        result_.end = EndReason::kTimeLimit;
        break;
      }
      now_ = next;
      busy_from = step_;
      continue;
    }
    if (budget >= evidence && step_ - busy_from >= evidence) {
      result_.end = EndReason::kStepBudget;
      break;
    }
    if (step_ >= budget) {
      result_.end = EndReason::kBudgetCut;
      break;
    }
    // An overdue buffer is the only choice of this step (a picker is still asked, so its path stays aligned).
    const uint32_t overdue = OverdueBuffer();
    if (overdue != kNoCpu) forced_.assign(1, overdue);
    const std::vector<uint32_t>& choices = overdue != kNoCpu ? forced_ : runnable;
    const uint32_t id = options_.picker != nullptr ? options_.picker->Pick(choices, step_)
                        : overdue != kNoCpu        ? overdue
                                                   : scheduler_->Pick(runnable, step_);
    if (overdue != kNoCpu && options_.picker == nullptr) scheduler_->Forced(overdue);
    assert(std::binary_search(choices.begin(), choices.end(), id));
    // The scenario's choices or the picker may name a store; an overdue buffer commits the oldest.
    commit_request_ = overdue != kNoCpu            ? std::string_view()
                      : options_.picker != nullptr ? options_.picker->Commit()
                                                   : scheduler_->commit_request();
    ExecuteScheduled(id);
    ++step_;
    now_ += kStepNs;
  }
  Record(kNoCpu, TraceKind::kEnd, Name(result_.end));
  for (uint32_t c = 0; c < num_cpus(); ++c) {
    result_.cpus[c].final = cpus_[c].location();
    if (!result_.handed_over) result_.cpus[c].at_handover = cpus_[c].location();
  }
  result_.steps = step_;
  result_.time_limit_ns = time_limit_ns_;
  result_.end_time_ns = now_;
  result_.trace_hash = result_.trace.hash();
  return std::move(result_);
}

}  // namespace crashdiff
