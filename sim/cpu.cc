#include "sim/cpu.h"

#include <array>
#include <string>

#include "sim/machine.h"

namespace crashdiff {
namespace {

constexpr TraceTags kStopTags{.mark = TraceMark::kStop};
constexpr TraceTags kMwaitTags{.mark = TraceMark::kMwait};

}  // namespace

Cpu::Cpu(Machine& machine, uint32_t id, uint32_t core) : machine_(&machine), id_(id), core_(core) {}

void Cpu::set_location(Location l) {
  if (l == location_) return;
  location_ = l;
  Changed();
  machine_->Record(id_, TraceKind::kLocation, Name(l));
}

void Cpu::LeaveFirmware(Source vector, bool by_kernel) {
  in_firmware_ = false;
  code_region_ = Region::kOldKernelText;  // the handler the vector leads to is kernel code
  Changed();
  machine_->DrainQueue(*this);  // it executed firmware, which got no invalidations: its view starts afresh
  const bool mce = vector == Source::kMce;
  machine_->Record(id_, TraceKind::kEvent, mce ? "MCE" : "SYSTEM_RESET",
                   mce ? "machine check: leaves firmware for the OS's 0x200 vector"
                       : "system reset: leaves firmware for the reset vector",
                   0, TraceTags{.mark = by_kernel ? TraceMark::kKernelLeaveFirmware : TraceMark::kLeaveFirmware});
  // From here the thread executes old-kernel code (the vector, then its handler), whatever its firmware park said:
  // the oracle must see it running, not parked, until the handler parks it or it returns to firmware.
  set_location(Location::kRunOld);
}

void Cpu::RaiseSystemReset(bool by_kernel) {
  if (in_firmware() && fw_reset() != FwReset::kHolds) LeaveFirmware(Source::kReset, by_kernel);
  hw().reset = true;
}

void Cpu::QueueFirmwareStart() {
  fw_start_queued_ = true;
  Changed();
  machine_->Record(id_, TraceKind::kEvent, "FW_START_JOB", "firmware accepts a start request for the thread");
}

void Cpu::QueueTask(Task<> task, TraceMark start_mark) {
  queued_tasks_.push_back(QueuedTask{std::move(task), start_mark});
  Changed();
}

void Cpu::StartFromFirmware() {
  frames_.clear();  // the firmware hold's frames: destroying their tasks destroys every coroutine they awaited
  sleeping_task_ = nullptr;  // it belonged to one of them
  in_firmware_ = false;
  held_by_firmware_ = false;
  fw_start_queued_ = false;
  blocked_ = false;
  irq_enabled_ = false;
  in_nmi_ = false;
  held_sources_ = 0;
  code_region_ = Region::kOldKernelText;  // the entry point the kernel gave firmware is kernel text
  Changed();
  machine_->DrainQueue(*this);  // a fresh start: its view of memory is memory
  machine_->Record(id_, TraceKind::kEvent, "FW_START", "firmware starts the thread at the kernel's entry point");
}

void Cpu::NoteReadIn(ReadLog& log) const {
  if (log.self != id_) log.cpus.push_back(id_);
}

void Cpu::Changed() {
  machine_->NoteCpuChanged(id_);
}

void Cpu::set_monitored(Var* v) {
  machine_->NoteMonitor(monitored_, v);
  monitored_ = v;
}

void Cpu::Suspend(PendingOp* op) {
  frames_.back().op = op;
}

void Cpu::Finish(Location final_location) {
  set_location(final_location);
  finished_ = true;
  Changed();
}

const BufferedStore* Cpu::Forward(const Var& v) const {
  if (v.buffered == 0) return nullptr;
  for (auto it = store_buffer_.rbegin(); it != store_buffer_.rend(); ++it) {
    if (it->var == &v) return &*it;
  }
  return nullptr;
}

void CommitStoreBuffer(Cpu& cpu) {
  Machine& m = cpu.machine();
  m.CompleteStores(cpu);
  // powerpc's ordered hardware operations start with a sync, a full barrier: MMIO accessors (in_be32 / out_be32,
  // arch/powerpc/include/asm/io.h) and the OPAL entry (skiboot asm/head.S). arm64's (an SMC / HVC, a GIC SGI
  // write) are preceded by dsb ishst, which orders stores only.
  if (m.lwsync_orders_loads()) m.DrainQueue(cpu);
}

void RecordHw(Cpu& cpu, Label label, std::string_view what, int64_t value) {
  cpu.machine().Record(cpu.id(), TraceKind::kHw, label, what, value);
}

// ---- Factories ----

Cpu::ReadOp Cpu::read(Var& v, Label l) {
  return ReadOp(*this, v, l);
}
Cpu::ReadOp Cpu::read_acquire(Var& v, Label l) {
  return ReadOp(*this, v, l, ReadOp::Order::kAcquire);
}
Cpu::ReadOp Cpu::read_ordered(Var& v, Label l) {
  return ReadOp(*this, v, l, ReadOp::Order::kDependent);
}
Cpu::WriteOp Cpu::write(Var& v, int64_t value, Label l, std::function<void()> on_visible) {
  return WriteOp(*this, v, value, l, std::move(on_visible));
}
Cpu::RmwOp Cpu::fetch_add(Var& v, int64_t delta, Label l) {
  return RmwOp(*this, v, RmwOp::Kind::kAdd, delta, 0, l);
}
Cpu::RmwOp Cpu::cmpxchg(Var& v, int64_t expected, int64_t desired, Label l) {
  return RmwOp(*this, v, RmwOp::Kind::kCmpxchg, expected, desired, l);
}
Cpu::SpinCmpxchgOp Cpu::spin_cmpxchg(Var& v, int64_t expected, int64_t desired, Label l) {
  return SpinCmpxchgOp(*this, v, expected, desired, l);
}
Cpu::AtomicOp Cpu::atomic_add(Var& v, int64_t delta, Label l) {
  return AtomicOp(*this, v, WordAccess::kAdd, delta, 0, l);
}
Cpu::AtomicOp Cpu::set_bit(Var& v, uint32_t bit, Label l) {
  return AtomicOp(*this, v, WordAccess::kSetBit, int64_t{1} << bit, static_cast<uint8_t>(bit), l);
}
Cpu::AtomicOp Cpu::clear_bit(Var& v, uint32_t bit, Label l) {
  return AtomicOp(*this, v, WordAccess::kClearBit, ~(int64_t{1} << bit), static_cast<uint8_t>(bit), l);
}
Cpu::TestBitOp Cpu::test_bit(Var& v, uint32_t bit, Label l) {
  return TestBitOp(*this, v, static_cast<uint8_t>(bit), l);
}
Cpu::LocalOp Cpu::barrier(Label l) {
  return LocalOp(
      *this, l, [](Cpu& c) { c.machine().FullBarrier(c); }, "barrier", TraceTags{.mark = TraceMark::kBarrier});
}
Cpu::LocalOp Cpu::read_barrier(Label l) {
  return LocalOp(
      *this, l, [](Cpu& c) { c.machine().DrainQueue(c); }, "read barrier", TraceTags{.mark = TraceMark::kReadBarrier});
}
// powerpc smp_wmb() is lwsync for cacheable memory (arch/powerpc/include/asm/barrier.h: __lwsync), which also
// orders load->load: there it drains the queue too. arm64's dmb ishst orders stores only.
Cpu::LocalOp Cpu::write_barrier(Label l) {
  return LocalOp(
      *this, l,
      [](Cpu& c) {
        c.order_stores();
        if (c.machine().lwsync_orders_loads()) c.machine().DrainQueue(c);
      },
      "write barrier", TraceTags{.mark = TraceMark::kWriteBarrier});
}
Cpu::WriteOp Cpu::store_release(Var& v, int64_t value, Label l) {
  return WriteOp(*this, v, value, l, nullptr, WriteOp::Order::kRelease);
}
Cpu::WriteOp Cpu::store_after_mb(Var& v, int64_t value, Label l) {
  return WriteOp(*this, v, value, l, nullptr, WriteOp::Order::kAfterFullBarrier);
}
Cpu::LocalOp Cpu::hw_store(Label l, Text what, std::function<void()> f, bool sync_first) {
  return LocalOp(*this, l, nullptr, std::move(what), TraceTags{}, std::move(f), sync_first);
}
Cpu::LocalOp Cpu::local(Label l, Text what) {
  return LocalOp(*this, l, nullptr, std::move(what));
}
Cpu::LocalOp Cpu::irq_disable(Label l) {
  return LocalOp(*this, l, [](Cpu& c) { c.set_irq_enabled(false); }, "irq-disable");
}
Cpu::LocalOp Cpu::irq_enable(Label l) {
  return LocalOp(*this, l, [](Cpu& c) { c.set_irq_enabled(true); }, "irq-enable");
}
Cpu::WaitOp Cpu::wait_until(std::function<bool()> pred, uint64_t timeout_ns, Label l) {
  return WaitOp(*this, std::move(pred), timeout_ns, l);
}
Cpu::WaitOp Cpu::wait_at_least(Var& v, int64_t n, uint64_t timeout_ns, Label l) {
  return WaitOp(*this, [&v, n] { return v.value >= n; }, timeout_ns, l, {&v, +1});
}
Cpu::WaitOp Cpu::wait_at_most(Var& v, int64_t n, uint64_t timeout_ns, Label l) {
  return WaitOp(*this, [&v, n] { return v.value <= n; }, timeout_ns, l, {&v, -1});
}
Cpu::WaitOp Cpu::delay(uint64_t ns, Label l) {
  return WaitOp(*this, nullptr, ns, l);
}
Cpu::StopOp Cpu::enter_stop(SourceMask wake_enable, bool loses_state, Label l) {
  return StopOp(*this, wake_enable, loses_state, l);
}
Cpu::StopOp Cpu::enter_stop_lpcr(bool loses_state, Label l, std::optional<uint64_t> kernel_lpcr, Text what) {
  return StopOp(*this, 0, loses_state, l, /*from_lpcr=*/true, kernel_lpcr, std::move(what));
}
Cpu::LocalOp Cpu::mtspr_lpcr(uint64_t value, bool stop_api, Label l, Text what) {
  return LocalOp(
      *this, l,
      [value, stop_api](Cpu& c) {
        c.lpcr_ = value;
        if (stop_api) c.slw_lpcr_ = value;
        c.Changed();
      },
      std::move(what));
}
Cpu::LocalOp Cpu::mtspr_dec(uint64_t ns, Label l, Text what) {
  return LocalOp(*this, l, [ns](Cpu& c) { c.machine().ArmDec(c, ns); }, std::move(what));
}
Cpu::LocalOp Cpu::monitor(Var& line, Label l) {
  return LocalOp(
      *this, l,
      [&line](Cpu& c) {
        c.set_monitored(&line);
        c.hw().monitor_fired = false;
      },
      "monitor " + std::string(line.name), TraceTags{.var = line.id, .mark = TraceMark::kMonitor});
}
Cpu::MwaitOp Cpu::mwait(Label l) {
  return MwaitOp(*this, l);
}
Cpu::HltOp Cpu::hlt(Label l) {
  return HltOp(*this, l);
}
Cpu::ParkOp Cpu::park(Location l, Label label) {
  return ParkOp(*this, l, false, label);
}
Cpu::ParkOp Cpu::enter_firmware(Location l, Label label, FwReset reset) {
  return ParkOp(*this, l, true, label, reset);
}
Cpu::HandoverOp Cpu::handover(std::vector<Region> overwritten, Label l, Text what, std::function<void()> in_sequence) {
  return HandoverOp(*this, std::move(overwritten), l, std::move(what), std::move(in_sequence));
}
Cpu::LocalOp Cpu::overwrite(Region r, Label l) {
  return LocalOp(*this, l, [r](Cpu& c) { c.machine().Overwrite(r, c.id()); }, "overwrite " + std::string(Name(r)));
}

// ---- Execution ----

// A load sees this CPU's newest buffered store to the variable, else its pending invalidation's stale value, else
// memory. A load from memory while another CPU still buffers a store of a different value to the variable reads a
// value that store has already replaced in program order, and a stale value is one memory no longer holds: the
// entry says so (TraceMark::kStale), which is what the oracle's ordering property looks for. (A buffered store of
// the value memory already holds changes nothing a load can see.)
namespace {

// Where a load reads: the CPU's own newest buffered store, else the stale value of its invalidate queue's entry,
// else memory, marked stale while another CPU's buffer holds a store to the variable. note_read: whether the whole
// word's value counts as a dependency of the step.
int64_t LoadVisible(Cpu& cpu, Var& v, TraceTags& tags, bool note_read) {
  if (const BufferedStore* own = cpu.Forward(v)) return own->value;
  const int64_t memory = note_read ? int64_t{v.value} : v.value.raw();
  if (const StaleEntry* stale = cpu.Stale(v)) {
    tags.mark = TraceMark::kStale;
    return stale->value;
  }
  if (v.buffered > 0 && cpu.machine().BufferedElsewhere(v, cpu.id())) tags.mark = TraceMark::kStale;
  return memory;
}

}  // namespace

// An acquire reads as a plain load and then orders every later load (drains the queue); a dependent load reads
// memory: the model applies the variable's pending invalidation first. Both may read newer values than the
// hardware must return, never older: sound under-approximations (docs/SIMULATOR.md "Invalidate queues").
PendingOp::Result Cpu::ReadOp::Execute(Cpu& cpu) {
  Machine& m = cpu.machine();
  if (order_ == Order::kDependent) m.DropInvalidate(cpu, *var_);
  TraceTags tags = var_->tags();
  result_ = LoadVisible(cpu, *var_, tags, true);
  m.Record(cpu.id(), TraceKind::kRead, label, var_->name, result_, tags);
  if (order_ == Order::kAcquire) m.DrainQueue(cpu);
  return Result::kDone;
}

PendingOp::Result Cpu::WriteOp::Execute(Cpu& cpu) {
  Machine& m = cpu.machine();
  if (m.buffers_stores()) {
    if (order_ == Order::kAfterFullBarrier) m.FullBarrier(cpu);
    if (order_ != Order::kPlain) cpu.order_stores();
    // powerpc's release is lwsync, which orders earlier loads too (arch/powerpc/include/asm/barrier.h:
    // __smp_store_release is __lwsync() then the store).
    if (order_ == Order::kRelease && m.lwsync_orders_loads()) m.DrainQueue(cpu);
    m.BufferStore(cpu, BufferedStore{var_, value_, label, std::move(on_visible_), {}});
  } else {
    m.StoreToLine(*var_, value_, cpu.id(), label);
    if (on_visible_) on_visible_();
  }
  return Result::kDone;
}

namespace {

// Value-returning atomics are fully ordered (Linux atomic_t semantics; a LOCK-prefixed instruction on x86): the
// buffer commits first. next_of(old) is the value to store; an update that changes nothing is recorded as the
// read-modify-write it was. Returns the old value.
template <typename NextOf>
int64_t FullyOrderedRmw(Cpu& cpu, Var& v, Label label, NextOf next_of) {
  Machine& m = cpu.machine();
  m.FullBarrier(cpu);  // fully ordered: no later load reads older values than this one
  const int64_t old = v.value;
  const int64_t next = next_of(old);
  if (next != old) {
    m.StoreToLine(v, next, cpu.id(), label);
  } else {
    m.Record(cpu.id(), TraceKind::kRmw, label, v.name, old, v.tags());
  }
  m.FullBarrierStores(cpu);  // the trailing barrier (powerpc: a sync completes the update too)
  return old;
}

}  // namespace

PendingOp::Result Cpu::RmwOp::Execute(Cpu& cpu) {
  result_ = FullyOrderedRmw(cpu, *var_, label, [this](int64_t old) {
    // Two's-complement wrap, as the hardware adds (a cpumask word's bit 63 is the sign bit: its delta is INT64_MIN).
    if (kind_ == Kind::kAdd) return static_cast<int64_t>(static_cast<uint64_t>(old) + static_cast<uint64_t>(a_));
    return old == a_ ? b_ : old;
  });
  return Result::kDone;
}

// Every attempt is a fully ordered cmpxchg, as RmwOp's. A failed one is recorded as cmpxchg() records it, and the
// CPU blocks; it is runnable again only when the lock word reads free (a spinner's loads reach memory), and the
// attempt it then makes succeeds in the same step: no other CPU can take the word between the check and the store.
PendingOp::Result Cpu::SpinCmpxchgOp::Execute(Cpu& cpu) {
  const int64_t old =
      FullyOrderedRmw(cpu, *var_, label, [this](int64_t seen) { return seen == expected_ ? desired_ : seen; });
  if (old == expected_) return Result::kDone;
  if (!cpu.blocked()) cpu.machine().Record(cpu.id(), TraceKind::kBlock, label, "spin");
  return Result::kBlocked;
}

bool Cpu::SpinCmpxchgOp::CanProceed(const Cpu& /*cpu*/) const {
  return var_->value == expected_;
}

// A result-less atomic: as fetch_add (the buffer commits first; the kernel's atomic_inc is not ordered, so this is
// stronger than the kernel, as today's fetch_add was), but what the model learns is nothing, and what the entry
// shows is the operand (the delta; the bit's mask ORed in; the mask ANDed for a clear), the same whatever other CPUs
// did before. The value is read raw: the step depends on no value, so it notes no read of the whole word.
PendingOp::Result Cpu::AtomicOp::Execute(Cpu& cpu) {
  cpu.machine().CommitStores(cpu);
  cpu.machine().DropInvalidate(cpu, *var_);  // it acts on memory (not ordered: other entries stay)
  const int64_t old = var_->value.raw();
  int64_t next = static_cast<int64_t>(static_cast<uint64_t>(old) + static_cast<uint64_t>(operand_));  // wraps
  if (access_ == WordAccess::kSetBit) next = old | operand_;
  if (access_ == WordAccess::kClearBit) next = old & operand_;
  TraceTags tags = var_->tags();
  tags.access = access_;
  tags.bit = bit_;
  cpu.machine().AtomicUpdate(*var_, next, cpu.id(), label, operand_, tags);
  return Result::kDone;
}

// A one-bit read: where a load would read (own buffer, else memory, marked stale as ReadOp marks it), but the entry
// shows only the bit (the value masked to it), and the step notes no read of the whole word.
PendingOp::Result Cpu::TestBitOp::Execute(Cpu& cpu) {
  TraceTags tags = var_->tags();
  const int64_t value = LoadVisible(cpu, *var_, tags, false);
  tags.access = WordAccess::kTestBit;
  tags.bit = bit_;
  const int64_t masked = value & (int64_t{1} << bit_);
  result_ = masked != 0;
  cpu.machine().Record(cpu.id(), TraceKind::kRead, label, var_->name, masked, tags);
  return Result::kDone;
}

PendingOp::Result Cpu::LocalOp::Execute(Cpu& cpu) {
  if (hw_store_) {
    Machine& m = cpu.machine();
    if (sync_first_) {
      m.CompleteStores(cpu);  // sync: a full barrier, complete on every CPU
      m.DrainQueue(cpu);
    }
    if (m.buffers_stores()) {
      m.BufferStore(cpu, BufferedStore{nullptr, 0, label, std::move(hw_store_), std::string(what_.view())});
    } else {
      hw_store_();
      RecordHw(cpu, label, what_, 0);
    }
    return Result::kDone;
  }
  if (effect_) effect_(cpu);
  cpu.machine().Record(cpu.id(), TraceKind::kLocal, label, what_, 0, tags_);
  return Result::kDone;
}

PendingOp::Result Cpu::WaitOp::Execute(Cpu& cpu) {
  Machine& m = cpu.machine();
  if (!started_) {
    started_ = true;
    deadline_ = timeout_ == kForever || m.clock() > kForever - timeout_ ? kForever : m.clock() + timeout_;
  }
  if (pred_ && Poll(cpu)) {
    result_ = true;
    m.Record(cpu.id(), TraceKind::kWake, label, "condition");
    return Result::kDone;
  }
  if (m.clock() >= deadline_) {
    result_ = false;
    m.Record(cpu.id(), TraceKind::kTimeout, label, pred_ ? "timeout" : "delay", static_cast<int64_t>(m.clock()));
    return Result::kDone;
  }
  if (!cpu.blocked()) m.Record(cpu.id(), TraceKind::kBlock, label, pred_ ? "wait" : "delay");
  return Result::kBlocked;
}

// A wait re-reads memory each time it is scheduled (a spin loop of loads that eventually sees the newest value): the
// variables its condition read drop their pending invalidations on this CPU, so a later plain load of one of them
// never reads an older value than the wait saw (coherence).
bool Cpu::WaitOp::Poll(Cpu& cpu) const {
  if (cpu.invalidate_queue().empty()) return pred_();
  ReadLog seen;
  seen.self = cpu.id();
  ReadLog* outer = ReadLog::Current();
  ReadLog::Current() = &seen;
  const bool holds = pred_();
  ReadLog::Current() = outer;
  if (outer != nullptr) {
    outer->vars.insert(outer->vars.end(), seen.vars.begin(), seen.vars.end());
    outer->cpus.insert(outer->cpus.end(), seen.cpus.begin(), seen.cpus.end());
  }
  Machine& m = cpu.machine();
  for (uint32_t id : seen.vars) m.DropInvalidate(cpu, m.vars()[id]);
  return holds;
}

bool Cpu::WaitOp::CanProceed(const Cpu& cpu) const {
  return (pred_ && pred_()) || cpu.machine().clock() >= deadline_;
}

namespace {

// Returns the highest-priority pending source in mask, if any.
std::optional<Source> FirstPending(const CpuHw& hw, SourceMask mask) {
  const SourceMask pending = hw.PendingMask() & mask;
  if (pending == 0) return std::nullopt;
  for (Source s : kStopWakePriority) {
    if (pending & Bit(s)) return s;
  }
  for (size_t i = 0; i < kNumSources; ++i) {
    if (pending & Bit(static_cast<Source>(i))) return static_cast<Source>(i);
  }
  return std::nullopt;
}

// "stop wake <source>", built once per source (a wake's entry text).
std::string_view StopWakeText(Source s) {
  static const std::array<std::string, kNumSources> texts = [] {
    std::array<std::string, kNumSources> t;
    for (size_t i = 0; i < kNumSources; ++i) t[i] = "stop wake " + std::string(Name(static_cast<Source>(i)));
    return t;
  }();
  return texts[static_cast<size_t>(s)];
}

constexpr SourceMask kAlwaysWakesStop =
    Bit(Source::kReset) | Bit(Source::kMce) | Bit(Source::kHmi) | Bit(Source::kSpurious);

}  // namespace

SourceMask Cpu::StopOp::wake_mask(const Cpu& cpu) const {
  return (from_lpcr_ ? LpcrStopWakes(cpu.lpcr()) : enable_) | kAlwaysWakesStop;
}

PendingOp::Result Cpu::StopOp::Execute(Cpu& cpu) {
  Machine& m = cpu.machine();
  if (!started_) {
    started_ = true;
    before_ = cpu.location();
    cpu.set_location(Location::kStoppedHw);
  }
  const std::optional<Source> s = FirstPending(cpu.hw(), wake_mask(cpu));
  if (!s) {
    if (!cpu.blocked()) m.Record(cpu.id(), TraceKind::kBlock, label, "stop", 0, kStopTags);
    return Result::kBlocked;
  }
  result_ = Wake{*s, Info(*s).srr1};
  if (Info(*s).consumed_by_wake) cpu.hw().Clear(*s);
  m.Record(cpu.id(), TraceKind::kWake, label, StopWakeText(*s), result_.srr1, kStopTags);
  // A state-losing stop wakes through the system-reset vector: after hand-over that vector is the next kernel's.
  if (loses_state_ && m.overwritten(cpu.vector_region())) {
    m.Corrupt(cpu, "woke from state-losing stop into replaced reset vector");
    return Result::kBlocked;
  }
  if (loses_state_) m.DrainQueue(cpu);  // the thread lost its state (and caches): its view is memory's
  // The SLW engine restores the LPCR from the stop-api image before the thread executes the reset vector. Traced
  // only when that changes it (an image programmed with other PECE bits than the register held).
  if (loses_state_ && from_lpcr_ && cpu.lpcr() != cpu.slw_lpcr()) {
    cpu.restore_lpcr_from_slw();
    m.Record(cpu.id(), TraceKind::kHw, label, "SLW restores LPCR from the stop-api image",
             static_cast<int64_t>(cpu.slw_lpcr()));
  }
  if (loses_state_ && from_lpcr_ && kernel_lpcr_) {
    cpu.lpcr_ = *kernel_lpcr_;
    cpu.Changed();
    m.Record(cpu.id(), TraceKind::kHw, label, kernel_what_, static_cast<int64_t>(*kernel_lpcr_));
  }
  cpu.set_location(before_);
  return Result::kDone;
}

bool Cpu::StopOp::CanProceed(const Cpu& cpu) const {
  return FirstPending(cpu.hw(), wake_mask(cpu)).has_value();
}

// MWAIT and HLT with interrupts off: a store to the monitored line (MWAIT) or a spurious wake ends them here;
// an NMI, SMI, MCE or INIT is taken as an interrupt through the normal path, and the instruction completes when
// its handler returns.
PendingOp::Result Cpu::MwaitOp::Execute(Cpu& cpu) {
  Machine& m = cpu.machine();
  if (!started_) {
    started_ = true;
    before_ = cpu.location();
    irqs_at_start_ = cpu.irq_count();
    cpu.set_location(Location::kStoppedHw);
  }
  std::string_view why;  // the entry's whole text: "mwait wake <reason>"
  if (cpu.hw().monitor_fired)
    why = "mwait wake monitor";
  else if (cpu.hw().spurious)
    why = "mwait wake spurious";
  else if (cpu.irq_count() != irqs_at_start_)
    why = "mwait wake interrupt";
  if (why.empty()) {
    if (!cpu.blocked()) m.Record(cpu.id(), TraceKind::kBlock, label, "mwait", 0, kMwaitTags);
    return Result::kBlocked;
  }
  cpu.hw().spurious = false;
  cpu.hw().monitor_fired = false;
  cpu.set_monitored(nullptr);
  m.Record(cpu.id(), TraceKind::kWake, label, why, 0, kMwaitTags);
  cpu.set_location(before_);
  return Result::kDone;
}

bool Cpu::MwaitOp::CanProceed(const Cpu& cpu) const {
  return cpu.hw().monitor_fired || cpu.hw().spurious || cpu.irq_count() != irqs_at_start_;
}

PendingOp::Result Cpu::HltOp::Execute(Cpu& cpu) {
  Machine& m = cpu.machine();
  if (!started_) {
    started_ = true;
    irqs_at_start_ = cpu.irq_count();
  }
  if (cpu.irq_count() == irqs_at_start_) {
    if (!cpu.blocked()) m.Record(cpu.id(), TraceKind::kBlock, label, "hlt");
    return Result::kBlocked;
  }
  m.Record(cpu.id(), TraceKind::kWake, label, "hlt resumed after interrupt");
  return Result::kDone;
}

bool Cpu::HltOp::CanProceed(const Cpu& cpu) const {
  return cpu.irq_count() != irqs_at_start_;
}

PendingOp::Result Cpu::ParkOp::Execute(Cpu& cpu) {
  if (firmware_) {
    cpu.set_in_firmware(reset_);
    cpu.set_code_region(Region::kFirmware);
  }
  cpu.set_location(where_);
  if (!cpu.blocked()) cpu.machine().Record(cpu.id(), TraceKind::kBlock, label, firmware_ ? "firmware" : "park");
  return Result::kBlocked;
}

PendingOp::Result Cpu::HandoverOp::Execute(Cpu& cpu) {
  cpu.machine().CompleteStores(cpu);  // the jump to the next kernel is preceded by a sync (kexec's relocation tail)
  cpu.machine().DrainQueue(cpu);
  if (in_sequence_) {
    in_sequence_();
    RecordHw(cpu, label, what_, 0);
  }
  cpu.machine().Handover(cpu.id(), regions_);
  return Result::kBlocked;
}

}  // namespace crashdiff
