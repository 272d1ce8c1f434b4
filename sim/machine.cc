#include "sim/machine.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

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
    : scenario_(scenario), options_(options), overwritten_(kNumRegions, false) {
  const uint32_t threads = config().threads_per_core();
  const uint32_t n = config().cores() * threads;
  cpus_.reserve(n);
  for (uint32_t c = 0; c < n; ++c) cpus_.emplace_back(*this, c, c / threads);
  result_.cpus.resize(n);
  result_.trace.set_record(options_.record_trace);
  for (const pb::Event& e : scenario_.events()) {
    events_.push_back(PendingEvent{&e});
    if (e.trigger().has_at_time_ns()) ExtendTimeLimit(e.trigger().at_time_ns());
  }
  scheduler_ = Scheduler::Create(scenario_.schedule(), n);
}

Machine::~Machine() {
  // Destroy coroutine frames before the variables and CPUs they refer to.
  for (Cpu& c : cpus_) c.frames().clear();
}

bool Machine::initially_online(uint32_t id) const {
  const auto& off = config().offline();
  return std::find(off.begin(), off.end(), id) == off.end() && !never_started(id);
}

bool Machine::never_started(uint32_t id) const {
  const auto& ns = config().never_started();
  return std::find(ns.begin(), ns.end(), id) != ns.end();
}

Var& Machine::NewVar(std::string name, int64_t init, Region region) {
  Var& v = vars_.emplace_back();
  v.id = static_cast<uint32_t>(vars_.size() - 1);
  v.name = std::move(name);
  v.value = init;
  v.region = region;
  return v;
}

Var& Machine::NewVar(SharedVar shared, int64_t init, Region region, std::string name) {
  Var& v = NewVar(name.empty() ? std::string(Name(shared)) : std::move(name), init, region);
  v.shared = shared;
  return v;
}

std::vector<Var*> Machine::NewVarArray(const std::string& name, int64_t init, Region region) {
  std::vector<Var*> out;
  out.reserve(num_cpus());
  for (uint32_t c = 0; c < num_cpus(); ++c) {
    out.push_back(&NewVar(name + "[" + std::to_string(c) + "]", init, region));
  }
  return out;
}

void Machine::StoreToLine(Var& v, int64_t value, uint32_t by_cpu, Label label) {
  Store(v, value, by_cpu, label, TraceMark::kNone);
}

void Machine::Store(Var& v, int64_t value, uint32_t by_cpu, Label label, TraceMark mark) {
  v.value = value;
  TraceTags tags = v.tags();
  tags.mark = mark;
  Record(by_cpu, TraceKind::kWrite, label, v.name, value, tags);
  // x86 MONITOR fires on any store to the armed line, even one that writes the same value.
  for (Cpu& c : cpus_) {
    if (c.monitored() == &v) c.hw().monitor_fired = true;
  }
}

void Machine::Overwrite(Region r, uint32_t by_cpu) {
  overwritten_[static_cast<size_t>(r)] = true;
  Record(by_cpu, TraceKind::kOverwrite, Name(r));
  for (Var& v : vars_) {
    if (v.region == r) Store(v, static_cast<int64_t>(0x5A5A5A5A5A5A5A5Aull), by_cpu, "relocate", TraceMark::kRelocate);
  }
}

void Machine::Record(uint32_t cpu, TraceKind kind, Label label, std::string_view detail, int64_t value,
                     TraceTags tags) {
  // One entry reused for every step: assigning into its detail string keeps the capacity, so a run that does not
  // record its trace (fuzzing) allocates nothing per step here.
  TraceEntry& e = scratch_entry_;
  e.step = step_;
  e.time_ns = now_;
  e.cpu = cpu;
  e.kind = kind;
  e.label = label;
  e.detail.assign(detail);
  e.value = value;
  e.tags = tags;
  e.location = cpu != kNoCpu ? cpus_[cpu].location() : Location::kRunOld;
  if (options_.observer != nullptr) options_.observer->OnEntry(e);
  ++trace_pos_;
  result_.trace.Add(e);
}

void Machine::Book(BookKind kind, uint32_t cpu) {
  const BookEntry b{kind, cpu, current_cpu_, step_, now_, trace_pos_};
  if (options_.observer != nullptr) options_.observer->OnBook(b);
  result_.book.push_back(b);
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
    for (const PendingEvent& pe : events_) {
      const pb::Trigger& t = pe.event->trigger();
      if (t.has_after_handover_ns()) ExtendTimeLimit(now_ + std::min(t.after_handover_ns(), kForever - now_));
    }
  }
  Record(cpu, TraceKind::kHandover, "HANDOVER");
  for (Region r : overwritten) Overwrite(r, cpu);
}

void Machine::ExtendTimeLimit(uint64_t event_ns) {
  const uint64_t limit = event_ns > kForever - kTimeLimitNs ? kForever : event_ns + kTimeLimitNs;
  time_limit_ns_ = std::max(time_limit_ns_, limit);
}

void Machine::Corrupt(Cpu& cpu, std::string why) {
  cpu.Finish(Location::kDeadCorrupt);
  Record(cpu.id(), TraceKind::kCorrupt, "DEAD", std::move(why));
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
  while (!cpu.frames().empty() && cpu.frames().back().root.handle().done()) {
    Frame& f = cpu.frames().back();
    const bool irq = f.is_interrupt;
    if (irq) {
      cpu.restore_irq(f.saved_irq_enabled, f.saved_in_nmi);
      cpu.set_location(f.saved_location);
      Record(cpu.id(), TraceKind::kIrqReturn, Name(f.source));
    } else {
      // A software event's code returned (e.g. crash_kexec lost arbitration): back to what the CPU was doing.
      cpu.set_location(f.saved_location);
    }
    cpu.frames().pop_back();
    cpu.set_blocked(false);
  }
  if (cpu.frames().empty() && !cpu.finished()) cpu.Finish(cpu.location());
}

// ---- Scheduling ----

std::optional<Source> Machine::DeliverableInterrupt(const Cpu& cpu) const {
  if (cpu.finished() || cpu.in_firmware()) return std::nullopt;
  // Nothing pending is the common case for every CPU at every step: test it before the virtual call.
  const SourceMask pending = cpu.hw().PendingMask();
  if (pending == 0) return std::nullopt;
  const Frame& top = cpu.frames().back();
  if (top.op != nullptr && top.op->HandlesWakes() && cpu.blocked()) return std::nullopt;
  for (size_t i = 0; i < kNumSources; ++i) {
    const auto s = static_cast<Source>(i);
    const SourceInfo& info = Info(s);
    if (!(pending & Bit(s)) || !info.interrupt) continue;
    if (cpu.held_sources() & Bit(s)) continue;
    if (info.maskable && !cpu.irq_enabled()) continue;
    if (s == Source::kNmi && cpu.in_nmi()) continue;  // NMIs do not nest
    return s;
  }
  return std::nullopt;
}

bool Machine::Runnable(const Cpu& cpu) const {
  if (cpu.finished() || cpu.in_firmware() || cpu.frames().empty()) return false;
  const PendingOp* op = cpu.frames().back().op;
  if (op != nullptr && !cpu.blocked()) return true;  // cheapest first: this runs for every CPU at every step
  if (DeliverableInterrupt(cpu)) return true;
  return op != nullptr && op->CanProceed(cpu);
}

void Machine::TakeInterrupt(Cpu& cpu, Source s) {
  if (Info(s).cleared_on_take) cpu.hw().Clear(s);
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

void Machine::ExecuteStep(Cpu& cpu) {
  current_cpu_ = cpu.id();
  // Executing anything from a region the next kernel has overwritten means running replaced code.
  if (overwritten(cpu.code_region())) {
    Corrupt(cpu, "resumed in overwritten " + std::string(Name(cpu.code_region())));
    return;
  }
  if (std::optional<Source> s = DeliverableInterrupt(cpu)) {
    TakeInterrupt(cpu, *s);
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

uint64_t Machine::NextTimePoint() const {
  uint64_t next = kForever;
  for (const Cpu& c : cpus_) {
    if (c.finished() || c.in_firmware() || c.frames().empty()) continue;
    const PendingOp* op = c.frames().back().op;
    if (op != nullptr && op->Deadline() > now_) next = std::min(next, op->Deadline());
  }
  for (const PendingEvent& pe : events_) {
    if (pe.fired) continue;
    const pb::Trigger& t = pe.event->trigger();
    if (t.has_at_time_ns() && t.at_time_ns() > now_) next = std::min(next, t.at_time_ns());
    if (t.has_after_handover_ns() && result_.handed_over) {
      next = std::min(next, std::max(now_ + 1, result_.handover_time_ns + t.after_handover_ns()));
    }
  }
  return next;
}

void Machine::FireDueEvents() {
  for (PendingEvent& pe : events_) {
    if (pe.fired) continue;
    const pb::Trigger& t = pe.event->trigger();
    bool due = false;
    if (t.has_at_step()) due = step_ >= t.at_step();
    if (t.has_at_time_ns()) due = now_ >= t.at_time_ns();
    if (t.has_after_handover_ns()) {
      due = result_.handed_over && now_ >= result_.handover_time_ns + t.after_handover_ns();
    }
    if (due) Fire(pe);
  }
}

void Machine::CheckLabelTriggers(uint32_t cpu, Label label) {
  if (settling_) return;  // the scenario starts after settling: its label occurrences count from step 0
  scheduler_->Executed(cpu, label);
  for (PendingEvent& pe : events_) {
    if (pe.fired || !pe.event->trigger().has_on_label()) continue;
    const pb::OnLabel& on = pe.event->trigger().on_label();
    if (on.cpu() != cpu || on.label() != label) continue;
    if (++pe.label_hits >= on.occurrence()) Fire(pe);
  }
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
  for (bool progressed = true; progressed;) {
    progressed = false;
    for (Cpu& c : cpus_) {
      if (initially_online(c.id())) continue;
      while (Runnable(c)) {
        if (++steps > kSettleStepLimit) {
          std::fprintf(stderr,
                       "crashdiff: simulator invariant: cpu%u did not settle into its initial state within %llu "
                       "steps (the model's offline or firmware start-up path never blocks): model bug\n",
                       c.id(), static_cast<unsigned long long>(kSettleStepLimit));
          std::abort();
        }
        ExecuteStep(c);
        progressed = true;
      }
    }
  }
  settling_ = false;
  result_.settle_steps = steps;
  for (const Cpu& c : cpus_) result_.settled.push_back(c.location());
}

RunResult Machine::Run(Program& program) {
  Start(program);
  Settle();
  const uint64_t budget = scenario_.schedule().step_budget();
  std::vector<uint32_t> runnable;
  for (;;) {
    FireDueEvents();
    runnable.clear();
    for (const Cpu& c : cpus_) {
      if (Runnable(c)) runnable.push_back(c.id());
    }
    if (runnable.empty()) {
      const uint64_t next = NextTimePoint();
      if (next == kForever) {
        result_.end = EndReason::kQuiescent;
        break;
      }
      if (next > time_limit_ns_) {
        result_.end = EndReason::kTimeLimit;
        break;
      }
      now_ = next;
      continue;
    }
    if (step_ >= budget) {
      result_.end = EndReason::kStepBudget;
      break;
    }
    const uint32_t id =
        options_.picker != nullptr ? options_.picker->Pick(runnable, step_) : scheduler_->Pick(runnable, step_);
    assert(std::binary_search(runnable.begin(), runnable.end(), id));
    Cpu& c = cpus_[id];
    ExecuteStep(c);
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
