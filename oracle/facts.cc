#include "oracle/facts.h"

#include <algorithm>

namespace crashdiff {
namespace {

// Entries that are steps the CPU executed (as opposed to bookkeeping of the machine about it).
bool IsStep(TraceKind k) {
  switch (k) {
    case TraceKind::kRead:
    case TraceKind::kWrite:
    case TraceKind::kRmw:
    case TraceKind::kBarrier:
    case TraceKind::kLocal:
    case TraceKind::kHw:
    case TraceKind::kBlock:
    case TraceKind::kTimeout:
    case TraceKind::kWake:
    case TraceKind::kIrq:
    case TraceKind::kBuffer: return true;
    default: return false;
  }
}

// A store buffer's commit is recorded under its CPU but is not an instruction the CPU executed then.
bool IsOwnStep(const TraceEntry& e) {
  return IsStep(e.kind) && e.tags.mark != TraceMark::kCommit;
}

bool IsBarrier(const TraceEntry& e) {
  return e.kind == TraceKind::kBarrier || (e.kind == TraceKind::kLocal && e.tags.mark == TraceMark::kBarrier);
}

// A stop or MWAIT (its block, its wake): the sleeps a crash wake must end (PR3, PR4).
bool IsStopOrMwait(const TraceEntry& e) {
  return e.tags.mark == TraceMark::kStop || e.tags.mark == TraceMark::kMwait;
}

// Stores and atomics may be fully ordered (Linux value-returning atomics are), and the trace does not tell a
// plain store from an atomic one, so PR4 treats both as ordering points: it never blames an atomic for a
// missing barrier, at the price of missing a bug hidden behind a plain store.
bool MayOrder(const TraceEntry& e) {
  return IsBarrier(e) || e.kind == TraceKind::kWrite || e.kind == TraceKind::kRmw;
}

// Locations that mean the crash path has collected the CPU (DOMAIN §6 PR3: "in the receiver or parked").
bool Collected(Location l) {
  switch (l) {
    case Location::kReceiverWait:
    case Location::kTransit:
    case Location::kParkedFw:
    case Location::kParkedSpin:
    case Location::kParkedHlt:
    case Location::kParkedInit: return true;
    default: return false;
  }
}

Witness At(uint32_t cpu, uint64_t step, uint64_t time_ns, std::string_view label) {
  return Witness{cpu, step, time_ns, label};
}

}  // namespace

void TrackHotplug(const BookEntry& b, bool handed_over, bool& started, std::vector<HotplugFacts>& cpus) {
  if (b.kind == BookKind::kPanic || b.kind == BookKind::kShutdown) started = true;
  if (b.cpu >= cpus.size() || (b.kind != BookKind::kOnline && b.kind != BookKind::kOffline)) return;
  HotplugFacts& h = cpus[b.cpu];
  if (!started) {
    h.before_start = b.kind == BookKind::kOnline ? HotplugFacts::Last::kOnline : HotplugFacts::Last::kOffline;
  } else if (b.kind == BookKind::kOffline && !handed_over) {
    h.offline_during_crash = true;
  }
}

std::vector<HotplugFacts> HotplugFromRun(const RunResult& result) {
  std::vector<HotplugFacts> cpus(result.cpus.size());
  bool started = false;
  // The hand-over CPU books nothing in its hand-over step, so a step after it is after the hand-over.
  for (const BookEntry& b : result.book)
    TrackHotplug(b, result.handed_over && b.step > result.handover_step, started, cpus);
  return cpus;
}

FactsBuilder::FactsBuilder(uint32_t num_cpus) {
  facts_.cpus.resize(num_cpus);
  facts_.hotplug.resize(num_cpus);
}

FactsBuilder::FactsBuilder(uint32_t num_cpus, Facts&& spare) {
  facts_.cpus = std::move(spare.cpus);
  facts_.hotplug = std::move(spare.hotplug);
  facts_.cpus.clear();
  facts_.hotplug.clear();
  facts_.cpus.resize(num_cpus);
  facts_.hotplug.resize(num_cpus);
}

void FactsBuilder::OnLocation(uint32_t cpu, Location l, const TraceEntry& e) {
  CpuFacts& c = facts_.cpus[cpu];
  if (l == Location::kWaitingOperator) {
    if (!c.waited_for_operator)
      c.operator_wait = At(cpu, e.step, e.time_ns, c.last.step == e.step ? c.last.label : Name(l));
    c.waited_for_operator = true;
  }
  if (l == Location::kDeadCorrupt && c.location != Location::kDeadCorrupt) {
    c.corrupt_from = c.location == Location::kRunOld ? c.left_firmware_from : c.location;
  }
  if (l != Location::kRunOld) c.left_firmware_from = Location::kRunOld;
  c.location = l;
  if (Collected(l)) {
    c.collected = true;
    if (c.woken && c.parked_after_wake_ns == UINT64_MAX && Info(l).parked) c.parked_after_wake_ns = e.time_ns;
  }
  if (facts_.handed_over && cpu != facts_.handover_cpu && !c.moved_after_handover) {
    c.moved_after_handover = true;
    c.moved_to = l;
    // The step that moved it (a wake, an interrupt) was recorded just before, in the same global step.
    c.moved_at = At(cpu, e.step, e.time_ns, c.last.step == e.step && !c.last.label.empty() ? c.last.label : Name(l));
  }
}

// The simulator nests interrupt frames strictly (an entry, its handler, its return), so a stack mirrors them.
void FactsBuilder::OnInterruptReturn(CpuFacts& c, const TraceEntry& e) {
  if (c.interrupt_depth == 0) return;
  --c.interrupt_depth;
  const bool kept = c.interrupt_depth < c.interrupted.size() && c.interrupted[c.interrupt_depth].set();
  c.resumed = kept ? c.interrupted[c.interrupt_depth] : At(e.cpu, e.step, e.time_ns, e.label);
}

void FactsBuilder::OnEntry(const TraceEntry& e) {
  if (e.kind == TraceKind::kHandover) {
    if (facts_.handed_over) return;
    facts_.handed_over = true;
    facts_.handover_step = e.step;
    facts_.handover_time_ns = e.time_ns;
    facts_.handover_cpu = e.cpu;
    facts_.overcount_at_handover = overcount_;
    for (CpuFacts& c : facts_.cpus) {
      c.handover_location = c.location;
      c.last_before_handover = c.last;
      c.last_own_before_handover = c.last_own;
      c.position_before_handover = c.Position();
      c.firmware_exit_before_handover = c.firmware_exit;
    }
    return;
  }
  if (e.cpu == kNoCpu || e.cpu >= facts_.cpus.size()) return;
  CpuFacts& c = facts_.cpus[e.cpu];
  if (e.location != c.location) OnLocation(e.cpu, e.location, e);
  if (IsOwnStep(e)) {
    if (e.kind == TraceKind::kIrq) {
      if (c.interrupt_depth < c.interrupted.size()) c.interrupted[c.interrupt_depth] = c.Position();
      ++c.interrupt_depth;
    }
    // Both from the entry, not one from the other: reading back the stores just made stalls store forwarding.
    const Witness here = At(e.cpu, e.step, e.time_ns, e.label);
    c.last = here;
    if (e.kind != TraceKind::kIrq) c.last_own = here;
    if (c.resumed.set()) c.resumed = Witness{};
  } else if (e.kind == TraceKind::kIrqReturn) {
    OnInterruptReturn(c, e);
  }
  if (e.tags.mark == TraceMark::kSystemReset && !facts_.handed_over) ++c.resets_before_handover;
  if (e.tags.mark == TraceMark::kLeaveFirmware || e.tags.mark == TraceMark::kKernelLeaveFirmware) {
    c.left_firmware_from = c.location;
    c.firmware_exit = {At(e.cpu, e.step, e.time_ns, e.label), c.location,
                       e.tags.mark == TraceMark::kKernelLeaveFirmware};
  }

  switch (e.kind) {
    case TraceKind::kEvent:
      // The kexec's entry is the last request before this CPU's shutdown starts: an earlier request that found
      // the CPU outside process context was never started, and one that finds it in panic() never will be.
      if (e.tags.mark == TraceMark::kKexecRequest && !c.shutdown_started && !c.panicked) {
        c.kexec_event = true;
        c.kexec_time_ns = e.time_ns;
      }
      break;
    case TraceKind::kBlock:
      if (IsStopOrMwait(e) && c.woken && !c.collected && !c.slept_uncollected) {
        c.slept_uncollected = true;
        c.slept_after_wake = At(e.cpu, e.step, e.time_ns, e.label);
      }
      break;
    case TraceKind::kWake:
      if (IsStopOrMwait(e)) c.woke_unbarriered = true;
      if (e.tags.mark == TraceMark::kMwait) c.monitored = kNoVar;
      break;
    case TraceKind::kRead:
      if (e.tags.shared == SharedVar::kCrashingCpu && c.woke_unbarriered && !c.read_before_barrier.set()) {
        c.read_before_barrier = At(e.cpu, e.step, e.time_ns, e.label);
      }
      if (e.tags.mark == TraceMark::kStale && !c.stale_read_after_wake.set() &&
          std::find(c.overtaken.begin(), c.overtaken.end(), e.tags.var) != c.overtaken.end()) {
        c.stale_read_after_wake = At(e.cpu, e.step, e.time_ns, e.label);
      }
      break;
    case TraceKind::kBuffer: c.pending_stores.push_back(e.tags.var); break;
    case TraceKind::kLocal:
      if (e.tags.mark == TraceMark::kMonitor) c.monitored = e.tags.var;
      break;
    case TraceKind::kOverwrite:
      if (!facts_.handed_over && !facts_.relocated) {
        facts_.relocated = true;
        facts_.first_relocation = At(e.cpu, e.step, e.time_ns, e.label);
      }
      break;
    case TraceKind::kCorrupt:
      if (!c.corrupt.set()) c.corrupt = At(e.cpu, e.step, e.time_ns, c.last.step == e.step ? c.last.label : e.label);
      break;
    default: break;
  }

  if (e.tags.mark == TraceMark::kCommit && !c.pending_stores.empty()) c.pending_stores.erase(c.pending_stores.begin());
  if (e.kind == TraceKind::kWrite) {
    if (e.tags.mark == TraceMark::kRelocate) {
      if (!facts_.handed_over) {
        for (uint32_t o = 0; o < facts_.cpus.size(); ++o) {
          CpuFacts& other = facts_.cpus[o];
          if (o == e.cpu || other.relocated_monitor.set() || other.monitored != e.tags.var) continue;
          if (other.location == Location::kStoppedHw) other.relocated_monitor = At(o, e.step, e.time_ns, e.label);
        }
      }
    } else if (e.tags.shared == SharedVar::kCrashingCpu && e.value >= 0) {
      c.wrote_crashing_unbarriered = true;
      return;  // the write itself is not the ordering point that follows it
    } else if (e.tags.shared == SharedVar::kCpusInCrash && e.value == 0) {
      for (CpuFacts& o : facts_.cpus) o.responses_since_reset = 0;
      overcount_ = false;
    }
  }
  // An interrupt is a new context: the reads its handler makes are not the offline loop's kdump check.
  if (MayOrder(e) || e.kind == TraceKind::kIrq) {
    c.woke_unbarriered = false;
    c.wrote_crashing_unbarriered = false;
  }
  // Entering HLT / a park is what a CPU may still do after relocation; anything else executes instructions.
  if (facts_.relocated && IsOwnStep(e) && e.kind != TraceKind::kBlock && e.tags.mark != TraceMark::kRelocate &&
      e.cpu != facts_.first_relocation.cpu && !c.ran_after_relocation.set()) {
    c.ran_after_relocation = At(e.cpu, e.step, e.time_ns, e.label);
  }
}

void FactsBuilder::OnBook(const BookEntry& b) {
  TrackHotplug(b, facts_.handed_over, crash_started_, facts_.hotplug);
  if (b.cpu >= facts_.cpus.size()) return;
  CpuFacts& c = facts_.cpus[b.cpu];
  const std::string_view by_label = b.by < facts_.cpus.size() ? facts_.cpus[b.by].last.label : std::string_view();
  const std::string_view own_label = c.last.label;
  const bool before_h = !facts_.handed_over;
  switch (b.kind) {
    case BookKind::kPanic:
      if (!c.panicked) {
        c.panicked = true;
        c.panic_time_ns = b.time_ns;
      }
      // A kexec this CPU was asked for but had not begun (no shutdown booked yet) never runs: panic() does not
      // return. The run is the panic's, not a kexec (its kick handshake, PR11, was never started).
      if (!c.shutdown_started) c.kexec_event = false;
      break;
    case BookKind::kShutdown:
      if (!c.shutdown_started) c.shutdown_time_ns = b.time_ns;
      c.shutdown_started = true;
      if (!before_h && !c.shutdown_after_handover.set()) {
        c.shutdown_after_handover = At(b.cpu, b.step, b.time_ns, own_label);
      }
      break;
    case BookKind::kShutdownMoved:
      // The task that runs the shutdown went on here when its CPU went down: the shutdown, and the kexec request
      // it serves, are this CPU's from now on (their start times are the task's).
      if (b.by < facts_.cpus.size() && b.by != b.cpu) {
        CpuFacts& from = facts_.cpus[b.by];
        c.shutdown_started = from.shutdown_started;
        c.shutdown_time_ns = from.shutdown_time_ns;
        c.kexec_event = from.kexec_event;
        c.kexec_time_ns = from.kexec_time_ns;
        from.shutdown_started = false;
        from.kexec_event = false;
      }
      break;
    case BookKind::kKickSent:  // a wake that is a kick
      c.kicked = true;
      [[fallthrough]];
    case BookKind::kWakeSent:
      if (!c.woken) {
        c.woken = true;
        c.first_wake = At(b.by, b.step, b.time_ns, by_label);
        // Already parked when the wake (a kick) comes: there is nothing left to acknowledge (spec PR11 asks only
        // of CPUs still waiting at the kick).
        if (Info(c.location).parked) c.parked_after_wake_ns = b.time_ns;
      }
      if (before_h) c.woken_before_handover = true;
      if (b.by < facts_.cpus.size()) {
        CpuFacts& sender = facts_.cpus[b.by];
        for (uint32_t v : sender.pending_stores) {
          if (v != kNoVar && std::find(c.overtaken.begin(), c.overtaken.end(), v) == c.overtaken.end()) {
            c.overtaken.push_back(v);
          }
        }
        if (sender.wrote_crashing_unbarriered && !sender.wake_before_barrier.set()) {
          sender.wake_before_barrier = At(b.by, b.step, b.time_ns, by_label);
        }
      }
      break;
    case BookKind::kSave:
    case BookKind::kInvalidSave:
      c.collected = true;
      if (before_h) ++(b.kind == BookKind::kSave ? c.saves_before_handover : c.invalid_saves_before_handover);
      if (before_h && c.saves_before_handover == 2 && !c.second_save.set()) {
        c.second_save = At(b.cpu, b.step, b.time_ns, own_label);
      }
      break;
    case BookKind::kResponse:
      c.collected = true;
      if (before_h) ++c.responses_before_handover;
      if (++c.responses_since_reset >= 2) {
        overcount_ = true;
        if (!c.counted_twice.set()) c.counted_twice = At(b.cpu, b.step, b.time_ns, own_label);
      }
      break;
    case BookKind::kOnline:
    case BookKind::kOffline: break;  // hotplug_ follows them
  }
}

Facts FactsFromRun(const RunResult& result) {
  FactsBuilder builder(static_cast<uint32_t>(result.cpus.size()));
  const std::vector<TraceEntry>& entries = result.trace.entries();
  size_t next_book = 0;
  for (size_t i = 0; i <= entries.size(); ++i) {
    while (next_book < result.book.size() && result.book[next_book].trace_pos <= i) {
      builder.OnBook(result.book[next_book++]);
    }
    if (i < entries.size()) builder.OnEntry(entries[i]);
  }
  while (next_book < result.book.size()) builder.OnBook(result.book[next_book++]);
  return builder.TakeFacts();
}

}  // namespace crashdiff
