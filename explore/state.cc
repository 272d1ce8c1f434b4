#include "explore/state.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <utility>

#include "oracle/properties.h"

namespace crashdiff {
namespace {

uint64_t HashText(std::string_view s) {
  return std::hash<std::string_view>{}(s);
}

// A label is a string literal or a name from a static table (TraceEntry::label's contract): distinct texts never
// share an address, so the address identifies it without hashing the text (the same text at two code sites hashes
// apart, which only separates states, never merges different ones).
uint64_t HashLabel(std::string_view l) {
  return reinterpret_cast<uintptr_t>(l.data()) * 0x9E3779B97F4A7C15ull ^ l.size();
}

template <typename Set>
uint64_t HashSet(uint64_t h, const Set& s) {
  h = Mix(h, s.size());
  for (uint32_t v : s) h = Mix(h, v);
  return h;
}

uint64_t HashHw(uint64_t h, const CpuHw& hw) {
  h = Mix(h, uint64_t{hw.reset} | uint64_t{hw.mce} << 1 | uint64_t{hw.hmi} << 2 | uint64_t{hw.nmi} << 3 |
                 uint64_t{hw.smi} << 4 | uint64_t{hw.init} << 5 | uint64_t{hw.doorbell} << 6 | uint64_t{hw.dec} << 7 |
                 uint64_t{hw.spurious} << 8 | uint64_t{hw.monitor_fired} << 9 | uint64_t{hw.isi} << 10 |
                 uint64_t{hw.mfrr} << 16);
  h = HashSet(h, hw.device_pending);
  h = HashSet(h, hw.masked_vectors);
  h = HashSet(h, hw.ipi_vectors);
  h = HashSet(h, hw.taken_ipi_vectors);
  h = Mix(h, hw.xive_queue.size());
  for (const XiveEntry& x : hw.xive_queue) h = Mix(h, uint64_t{x.is_ipi} << 32 | x.vector);
  return h;
}

// A CPU's own state: its history stands for its coroutines' control state and locals; the rest is the state the
// simulator keeps for it (and what blocked operations hold: a wait's deadline is absolute time).
uint64_t HashCpu(const Cpu& c, uint64_t history) {
  uint64_t h = Mix(history, static_cast<uint64_t>(c.location()));
  h = Mix(h, uint64_t{c.blocked()} | uint64_t{c.irq_enabled()} << 1 | uint64_t{c.in_nmi()} << 2 |
                 uint64_t{c.in_firmware()} << 3 | uint64_t{c.finished()} << 4 | uint64_t{c.held_by_firmware()} << 5 |
                 uint64_t{c.firmware_start_queued()} << 6 | uint64_t{c.queued_tasks() != 0} << 7 |
                 static_cast<uint64_t>(c.code_region()) << 8 |
                 static_cast<uint64_t>(c.vector_region()) << 16 | uint64_t{c.held_sources()} << 32);
  h = Mix(h, c.monitored() != nullptr ? c.monitored()->id : kNoVar);
  h = Mix(h, c.irq_count());
  h = HashHw(h, c.hw());
  // powerpc idle registers: the LPCR (a stop's wake enables), its stop-api image, the decrementer's expiry.
  h = Mix(Mix(Mix(h, c.lpcr()), c.slw_lpcr()), c.dec_expiry());
  // Its store buffer: what other CPUs will see, in program order (a hardware store by its label and what), and each
  // store's write-barrier epoch relative to the CPU's (which stores may overtake which, now and against later ones).
  h = Mix(h, c.store_buffer().size());
  for (const BufferedStore& s : c.store_buffer()) {
    h = Mix(Mix(h, s.var != nullptr ? s.var->id : HashText(s.what)), static_cast<uint64_t>(s.value));
    h = Mix(Mix(h, HashLabel(s.label)), c.store_epoch() - s.epoch);
  }
  // Its invalidate queue: which variables it still sees stale, and the values it reads of them, oldest first (the
  // order an oldest-first apply takes; overdue entries apply in it).
  h = Mix(h, c.invalidate_queue().size());
  for (const StaleEntry& e : c.invalidate_queue()) h = Mix(Mix(h, e.var->id), static_cast<uint64_t>(e.value));
  h = Mix(h, c.frames().size());
  for (const Frame& f : c.frames()) {
    h = Mix(h, uint64_t{f.is_interrupt} | uint64_t{f.saved_irq_enabled} << 1 | uint64_t{f.saved_in_nmi} << 2 |
                   uint64_t{f.moved} << 3 | static_cast<uint64_t>(f.source) << 8 |
                   static_cast<uint64_t>(f.saved_location) << 16);
    if (f.op != nullptr) h = Mix(Mix(h, HashLabel(f.op->label)), f.op->Deadline());
  }
  return h;
}

// What a property can read of a witness: whether it is set, by whom, at which step label, and where its step lies
// relative to the hand-over and the first relocation (the only comparisons the properties make of witness steps;
// both happen at most once, so before they happen every witness set so far lies before them).
uint64_t HashWitness(uint64_t h, const Witness& w, const Facts& f) {
  if (!w.set()) return Mix(h, 0);
  const bool after_h = f.handed_over && w.step > f.handover_step;
  const bool at_or_after_h = f.handed_over && w.step >= f.handover_step;
  const bool after_r = f.relocated && w.step >= f.first_relocation.step;
  return Mix(Mix(h, uint64_t{w.cpu} << 8 | after_h << 1 | at_or_after_h << 2 | after_r << 3 | 1), HashLabel(w.label));
}

uint64_t HashCpuFacts(uint64_t h, const CpuFacts& c, const Facts& f) {
  for (const Witness* w :
       {&c.last, &c.last_before_handover, &c.last_own, &c.last_own_before_handover, &c.second_save, &c.operator_wait,
        &c.slept_after_wake, &c.read_before_barrier, &c.wake_before_barrier, &c.stale_read_after_wake, &c.counted_twice,
        &c.shutdown_after_handover, &c.relocated_monitor, &c.ran_after_relocation, &c.corrupt, &c.moved_at}) {
    h = HashWitness(h, *w, f);
  }
  // first_wake's time is read only against parked_after_wake_ns (PR11: their difference against a budget). Until
  // the CPU parks, the time is kept exactly (the difference is still to come); once it parked, only PR11's answer
  // (ParkedInTimeAfterWake), so that CPUs woken and parked at other times in two interleavings do not keep the
  // states apart (docs/EXPLORE.md, "Commuting atomics").
  const bool parked = c.parked_after_wake_ns != UINT64_MAX;
  h = HashWitness(Mix(h, parked ? uint64_t{ParkedInTimeAfterWake(c)} : c.first_wake.time_ns), c.first_wake, f);
  h = Mix(h, uint64_t{parked} | uint64_t{c.kicked} << 1);
  // PR1 / PR2 read the last exit from firmware (and its copy at the hand-over) against the CPU's last own step: the
  // order of the two, not their steps.
  for (const auto& [x, own] : {std::pair{&c.firmware_exit, &c.last_own},
                               std::pair{&c.firmware_exit_before_handover, &c.last_own_before_handover}}) {
    const bool newer = x->at.set() && (!own->set() || own->step < x->at.step);
    h = HashWitness(Mix(h, static_cast<uint64_t>(x->from) | uint64_t{x->by_kernel} << 8 | uint64_t{newer} << 9), x->at,
                    f);
  }
  h = Mix(h, static_cast<uint64_t>(c.location) | static_cast<uint64_t>(c.handover_location) << 8 |
                 static_cast<uint64_t>(c.moved_to) << 16 | static_cast<uint64_t>(c.corrupt_from) << 24);
  h = Mix(h, uint64_t{c.saves_before_handover} | uint64_t{c.invalid_saves_before_handover} << 16 |
                 uint64_t{c.responses_before_handover} << 32 | uint64_t{c.resets_before_handover} << 48);
  h = Mix(h, uint64_t{c.responses_since_reset} | uint64_t{c.monitored} << 32);
  h = Mix(h, uint64_t{c.panicked} | uint64_t{c.waited_for_operator} << 1 | uint64_t{c.kexec_event} << 2 |
                 uint64_t{c.woken_before_handover} << 3 | uint64_t{c.woken} << 4 |
                 uint64_t{c.moved_after_handover} << 5 | uint64_t{c.collected} << 6 |
                 uint64_t{c.slept_uncollected} << 7 | uint64_t{c.woke_unbarriered} << 8 |
                 uint64_t{c.wrote_crashing_unbarriered} << 9 | uint64_t{c.shutdown_started} << 10);
  h = Mix(Mix(h, c.panic_time_ns), c.kexec_time_ns);
  for (uint32_t v : c.overtaken) h = Mix(h, uint64_t{v} | uint64_t{1} << 40);
  h = Mix(h, c.shutdown_time_ns);
  return h;
}

uint64_t HashResultCpu(uint64_t h, const CpuResult& c) {
  h = Mix(h, static_cast<uint64_t>(c.at_handover) | uint64_t{c.entered_panic} << 8 | uint64_t{c.woken} << 9);
  return Mix(h, uint64_t{c.saves} | uint64_t{c.invalid_saves} << 16 | uint64_t{c.responses} << 32 |
                    uint64_t{c.shutdowns} << 48);
}

// One CPU's term: its history, the simulator's state of it, its facts and its result counters, salted by its id.
uint64_t CpuTerm(const Machine& m, uint32_t c, uint64_t history, const Facts& facts) {
  uint64_t h = HashCpu(m.cpu(c), history);
  h = HashCpuFacts(h, facts.cpus[c], facts);
  h = HashResultCpu(h, m.result_so_far().cpus[c]);
  const HotplugFacts& hp = facts.hotplug[c];
  h = Mix(h, static_cast<uint64_t>(hp.before_start) | uint64_t{hp.offline_during_crash} << 8);
  return Mix(0xC6A4A7935BD1E995ull + c, h);
}

uint64_t VarTerm(uint32_t id, int64_t value) {
  return Mix(Mix(0x2545F4914F6CDD1Dull, id), static_cast<uint64_t>(value));
}

uint64_t DiagTerm(uint32_t cpu, std::string_view text) {
  return Mix(cpu, HashText(text));
}

uint8_t FwBits(const Cpu& c) {
  return static_cast<uint8_t>(uint8_t{c.in_firmware()} | uint8_t{c.finished()} << 1 |
                              uint8_t{c.held_by_firmware()} << 2 | uint8_t{c.firmware_start_queued()} << 3);
}

uint64_t FwTerm(uint32_t c, uint8_t bits) {
  return Mix(0x94D049BB133111EBull + c, bits);
}

// Entries after which any CPU's state may have changed without an entry naming it: a hardware op (it can set
// another CPU's latch), an event, the hand-over (every CPU's hand-over location and witnesses), a relocation, and
// entries of no CPU.
bool TouchesAll(const TraceEntry& e) {
  switch (e.kind) {
    case TraceKind::kHw:
    case TraceKind::kEvent:
    case TraceKind::kEventIgnored:
    case TraceKind::kHandover:
    case TraceKind::kOverwrite:
    case TraceKind::kEnd: return true;
    // The facts reset every CPU's response count when the arrival counter is cleared, and note relocated monitors.
    case TraceKind::kWrite: return e.tags.mark == TraceMark::kRelocate || e.tags.shared == SharedVar::kCpusInCrash;
    default: return e.cpu == kNoCpu;
  }
}

// The global part: time, steps, the search context, regions, events, hand-over and relocation, diagnostics, and
// the two sums.
uint64_t Combine(const Machine& m, const Facts& facts, uint32_t last, const std::vector<uint32_t>& asleep,
                 uint64_t var_sum, uint64_t cpu_sum, uint64_t diag_sum) {
  const RunResult& r = m.result_so_far();
  uint64_t h = Mix(Mix(m.clock(), m.step()), m.time_limit_ns());
  h = Mix(h, last);
  for (uint32_t c : asleep) h = Mix(h, uint64_t{c} | uint64_t{1} << 40);
  for (size_t i = 0; i < kNumRegions; ++i) h = Mix(h, m.overwritten(static_cast<Region>(i)));
  for (size_t i = 0; i < m.num_events(); ++i) h = Mix(h, uint64_t{m.event_fired(i)} << 32 | m.event_label_hits(i));
  h = Mix(h, uint64_t{r.handed_over} | uint64_t{facts.relocated} << 1 | uint64_t{facts.overcount_at_handover} << 2);
  h = Mix(Mix(h, r.handover_cpu), r.handover_time_ns);
  h = HashWitness(h, facts.first_relocation, facts);
  h = Mix(Mix(h, r.diagnostics.size()), diag_sum);
  return Mix(Mix(h, var_sum), cpu_sum);
}

}  // namespace

StateTracker::StateTracker(uint32_t num_cpus, RunObserver& next)
    : history_(num_cpus, 0x51ED270B2E5A1C3Full),
      next_(next),
      fw_bits_(num_cpus, 0),
      is_touched_(num_cpus, 0),
      cpu_term_(num_cpus, 0),
      is_dirty_(num_cpus, 0) {
  for (uint32_t c = 0; c < num_cpus; ++c) fw_sum_ += FwTerm(c, 0);
}

void StateTracker::Touch(uint32_t cpu) {
  if (cpu >= history_.size() || is_touched_[cpu]) return;
  is_touched_[cpu] = 1;
  touched_.push_back(cpu);
}

void StateTracker::Dirty(uint32_t cpu) {
  if (is_dirty_[cpu]) return;
  is_dirty_[cpu] = 1;
  dirty_.push_back(cpu);
}

void StateTracker::OnEntry(const TraceEntry& e) {
  next_.OnEntry(e);
  if (TouchesAll(e)) touched_all_ = true;
  if (e.kind == TraceKind::kWrite && e.tags.var != kNoVar) {
    written_.push_back(e.tags.var);
    if (vars_ready_ && e.tags.var < values_.size()) {
      int64_t& v = values_[e.tags.var];
      var_sum_ += VarTerm(e.tags.var, e.value) - VarTerm(e.tags.var, v);
      v = e.value;
    }
  }
  // A result-less atomic (Cpu::atomic_add, set_bit, clear_bit) stores without a kWrite entry.
  if (e.kind == TraceKind::kRmw && e.tags.access != WordAccess::kWord && e.tags.var != kNoVar) {
    written_.push_back(e.tags.var);
    updated_.push_back(e.tags.var);
  }
  if (e.kind == TraceKind::kDiag) diag_sum_ += DiagTerm(e.cpu, e.detail);
  if (e.cpu >= history_.size()) return;
  Touch(e.cpu);
  step_time_ = e.time_ns;
  // A buffer's commit is not a step of the CPU's code: nothing it observes (its coroutine does not run, and no step
  // operation returns anything then). What the commit changed is in the state itself: the variable's value, the
  // buffer's contents (the CPU's term), latches a hardware store set, monitors fired and wakes booked (the CPUs they
  // touch). So when the CPU's stores became visible, and in which order, stays out of its history, and commit orders
  // that reach the same memory and buffers meet (docs/EXPLORE.md, "Store->store reordering").
  // An invalidate queue's apply is not a step of the CPU's code either: its effect is the queue's contents.
  if (e.tags.mark == TraceMark::kCommit || e.kind == TraceKind::kInvalidate) return;
  uint64_t& h = history_[e.cpu];
  // (How a memory entry touched its word is part of what the CPU did: a bit set and a bit clear show different
  // operands anyway, a one-bit read shows the bit alone.)
  h = Mix(h, static_cast<uint64_t>(e.kind) << 8 | static_cast<uint64_t>(e.location) |
                 static_cast<uint64_t>(e.tags.access) << 16 | uint64_t{e.tags.bit} << 24);
  h = Mix(h, HashLabel(e.label));
  // A memory access's detail is its variable's name: its id says the same, without hashing the text.
  const bool access = e.kind == TraceKind::kRead || e.kind == TraceKind::kWrite || e.kind == TraceKind::kRmw;
  h = Mix(h, access && e.tags.var != kNoVar ? e.tags.var : HashText(e.detail));
  h = Mix(h, static_cast<uint64_t>(e.value));
}

void StateTracker::OnBook(const BookEntry& b) {
  next_.OnBook(b);
  Touch(b.cpu);
  Touch(b.by);
}

void StateTracker::AtChoice(const Machine& m, uint32_t ran, const std::vector<uint32_t>* read_cpus) {
  // Variables: read once after settling (their creation and initial values are the target's), then followed by
  // their stores. One created later is picked up here with its value.
  if (!vars_ready_) {
    values_.clear();
    var_sum_ = 0;
    vars_ready_ = true;
  }
  for (size_t i = values_.size(); i < m.vars().size(); ++i) {
    values_.push_back(m.vars()[i].value);
    var_sum_ += VarTerm(static_cast<uint32_t>(i), values_.back());
  }
  for (uint32_t id : updated_) {
    if (id >= values_.size()) continue;  // created since: picked up above with its value
    const int64_t now = m.vars()[id].value.raw();
    var_sum_ += VarTerm(id, now) - VarTerm(id, values_[id]);
    values_[id] = now;
  }
  updated_.clear();
  Touch(ran);
  // A visible store queues invalidations on other CPUs (powerpc / arm64 invalidate queues) without an entry of
  // theirs: every CPU whose queue holds one may have changed (an apply or a drain has an entry of its CPU).
  if (!written_.empty() && m.queues_invalidates()) {
    for (uint32_t c = 0; c < m.num_cpus(); ++c) {
      if (!m.cpu(c).invalidate_queue().empty()) Touch(c);
    }
  }
  // A store fires the monitors armed on its line (x86 MONITOR): those CPUs changed without an entry of their own.
  if (!written_.empty()) {
    for (uint32_t c = 0; c < m.num_cpus(); ++c) {
      const Var* line = m.cpu(c).monitored();
      if (line != nullptr && std::find(written_.begin(), written_.end(), line->id) != written_.end()) Touch(c);
    }
    written_.clear();
  }
  if (touched_all_) {
    for (uint32_t c = 0; c < history_.size(); ++c) Touch(c);
    all_dirty_ = true;
    touched_all_ = false;
  }
  // Model code reads which CPUs are in firmware in plain code (ppc initiator's I13 loop): the CPU that ran absorbs
  // those bits. They change only in steps that name their CPU. With the step's access log, only the bits of the CPUs
  // it read, as they were before the step and after it (a step reads them once, before or after changing them):
  // a receiver whose steps read no other CPU then does not record which of the others were in firmware when it
  // ran, so receivers that finish in another order meet (docs/EXPLORE.md, "Commuting atomics").
  if (read_cpus != nullptr && ran < history_.size()) {
    for (uint32_t c : *read_cpus) {
      if (c < history_.size())
        history_[ran] = Mix(history_[ran], uint64_t{c} << 16 | fw_bits_[c] << 8 | FwBits(m.cpu(c)));
    }
  }
  for (uint32_t c : touched_) {
    const uint8_t bits = FwBits(m.cpu(c));
    if (bits != fw_bits_[c]) {
      fw_sum_ += FwTerm(c, bits) - FwTerm(c, fw_bits_[c]);
      fw_bits_[c] = bits;
    }
  }
  if (read_cpus == nullptr && ran < history_.size()) history_[ran] = Mix(history_[ran], fw_sum_);
  if (m.clock_reads() != clock_reads_) {
    clock_reads_ = m.clock_reads();
    // Before step 0 (settling) the reader is not known: every settled CPU absorbs the time, which is the same in
    // every run anyway.
    if (ran < history_.size()) {
      history_[ran] = Mix(history_[ran], step_time_);  // the time of its step's entries: what now() returned
    } else {
      for (uint64_t& h : history_) h = Mix(h, m.clock());
      all_dirty_ = true;
    }
  }
  for (uint32_t c : touched_) {
    is_touched_[c] = 0;
    Dirty(c);
  }
  touched_.clear();
}

uint64_t StateTracker::Fingerprint(const Machine& m, const Facts& facts, uint32_t last,
                                   const std::vector<uint32_t>& asleep) {
  if (all_dirty_) {
    dirty_.clear();
    for (uint32_t c = 0; c < history_.size(); ++c) dirty_.push_back(c);
    all_dirty_ = false;
  }
  for (uint32_t c : dirty_) {
    const uint64_t term = CpuTerm(m, c, history_[c], facts);
    cpu_sum_ += term - cpu_term_[c];
    cpu_term_[c] = term;
    is_dirty_[c] = 0;
    ++recomputed_;
  }
  dirty_.clear();
  return Combine(m, facts, last, asleep, var_sum_, cpu_sum_, diag_sum_);
}

uint64_t FullFingerprint(const Machine& m, const StateTracker& t, const Facts& facts, uint32_t last,
                         const std::vector<uint32_t>& asleep) {
  uint64_t var_sum = 0;
  for (const Var& v : m.vars()) var_sum += VarTerm(v.id, v.value);
  uint64_t cpu_sum = 0;
  for (uint32_t c = 0; c < m.num_cpus(); ++c) cpu_sum += CpuTerm(m, c, t.history(c), facts);
  uint64_t diag_sum = 0;
  for (const Diagnostic& d : m.result_so_far().diagnostics) diag_sum += DiagTerm(d.cpu, d.text);
  return Combine(m, facts, last, asleep, var_sum, cpu_sum, diag_sum);
}

VisitedSet::VisitedSet(uint64_t memory_bytes) {
  max_slots_ = std::bit_floor(std::max<uint64_t>(1024, memory_bytes / sizeof(uint64_t)));
  Resize(std::min<uint64_t>(max_slots_, kInitialSlots));
}

VisitedSet::~VisitedSet() = default;

void VisitedSet::Resize(uint64_t slots) {
  std::vector<uint64_t> old;
  old.swap(slots_);
  slots_.assign(slots, 0);
  mask_ = slots - 1;
  size_ = 0;
  for (uint64_t s : old) {
    if (s != 0) Insert(s);
  }
}

uint64_t VisitedSet::Home(uint64_t key) const {
  return (key >> kBudgetBits) * 0x9E3779B97F4A7C15ull >> 20;
}

// Places a slot value that is not in the table; false when its probe window is full.
bool VisitedSet::Insert(uint64_t slot) {
  const uint64_t home = Home(slot);
  for (int i = 0; i < kProbe; ++i) {
    uint64_t& s = slots_[(home + i) & mask_];
    if (s == 0) {
      s = slot;
      ++size_;
      return true;
    }
  }
  if (slots_.size() < max_slots_) {  // rehashing into a larger table (only while growing)
    Resize(slots_.size() * 2);
    return Insert(slot);
  }
  slots_[home & mask_] = slot;  // full window at the bound: evict the home slot (pruning lost, not soundness)
  ++evictions_;
  return false;
}

const uint64_t* VisitedSet::Find(uint64_t key) const {
  const uint64_t home = Home(key);
  for (int i = 0; i < kProbe; ++i) {
    const uint64_t& s = slots_[(home + i) & mask_];
    if (s == 0) return nullptr;
    if (KeyOf(s) == key) return &s;
  }
  return nullptr;
}

bool VisitedSet::Visit(uint64_t fp, uint32_t remaining) {
  const uint64_t budget = BudgetOf(remaining);
  const uint64_t key = KeyOf(fp);
  if (const uint64_t* found = Find(key)) {
    if ((*found & kBudgetMask) >= budget) return true;
    slots_[found - slots_.data()] = key | budget;
    return false;
  }
  ++inserted_;
  // The table starts small (it stays in cache) and doubles at half load up to the memory bound.
  if (slots_.size() < max_slots_ && (size_ + 1) * 2 > slots_.size()) Resize(slots_.size() * 2);
  Insert(key | budget);
  return false;
}

bool VisitedSet::Contains(uint64_t fp, uint32_t remaining) const {
  const uint64_t* found = Find(KeyOf(fp));
  return found != nullptr && (*found & kBudgetMask) >= BudgetOf(remaining);
}

double VisitedSet::CollisionBound() const {
  const double n = static_cast<double>(inserted_);
  return std::min(1.0, n * n / std::ldexp(1.0, 64 - kBudgetBits + 1));
}

}  // namespace crashdiff
