// Compact facts about one run, built from the ordered stream of trace entries and bookkeeping calls. The
// property checks (properties.h) read only these and the RunResult, so they work the same on a fuzzing run
// (observer attached, no trace kept) and on a recorded or hand-built trace (replayed through the builder).
//
// The facts recognise entries by their typed tags (sim/shared_var.h), never by names or trace text: the shared
// variables a target declares by id (docs/ORACLE.md "Names the facts rely on"),
//   SharedVar::kCrashingCpu  (PR4: the kdump check an offline loop reads, the flag the initiator writes before waking)
//   SharedVar::kCpusInCrash  (PR6: a write of 0 resets the arrival count, as the ppc initiator's I8 does)
// and the simulator's own operations (TraceMark: barrier, monitor, stop, mwait, relocation store, kexec request).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/machine.h"
#include "sim/observer.h"

namespace crashdiff {

// Where a violation shows: the CPU, the step label it executed, the global step and the model time. The label
// is a view: step labels are string literals in model code or names from the simulator's static tables (the
// same contract as TraceEntry::label), so witnesses stay valid for the whole program.
struct Witness {
  uint32_t cpu = kNoCpu;
  uint64_t step = 0;
  uint64_t time_ns = 0;
  std::string_view label;
  bool set() const { return cpu != kNoCpu; }
};

// A CPU's hotplug transitions (Machine::RecordOnline) relative to the crash (or kexec) start, the first panic or
// shutdown: what roles (roles.h) follow. The scenario gives the state before any transition.
struct HotplugFacts {
  enum class Last : uint8_t { kNone, kOnline, kOffline };
  Last before_start = Last::kNone;    // its last transition before the crash started
  bool offline_during_crash = false;  // taken offline after the crash started, before hand-over
};

// Applies one book entry (in order) to per-CPU hotplug facts; started (updated) says whether the crash has
// started, handed_over whether the hand-over already happened.
void TrackHotplug(const BookEntry& b, bool handed_over, bool& started, std::vector<HotplugFacts>& cpus);

// The hotplug facts of a finished run, from its book (kept even without a trace).
std::vector<HotplugFacts> HotplugFromRun(const RunResult& result);

struct CpuFacts {
  Location location = Location::kRunOld;  // current, while building
  Witness last;                           // the CPU's most recent trace entry
  // Set by an interrupt's return, until the CPU's next own step: where the interrupted code stands (Position). Next
  // to `last`, which every step writes: the per-step test of it touches no other cache line.
  Witness resumed;
  Witness last_before_handover;
  // The same without interrupt entries: where the CPU's own code was when the hand-over came. An interrupt taken at
  // that instant (a reset arriving with the hand-over) runs nothing before it and is not where the CPU was left.
  Witness last_own;
  Witness last_own_before_handover;
  // Where the CPU stands: its last own step, with every interrupt it took and returned from taken out (an SMI, or
  // an NMI the kernel found no reason for, leaves it where it was: spinning on a lock, in a park). While a handler
  // runs, or if it never returns, the handler's steps. What PR1 and PR9 name as the place a CPU was left in.
  const Witness& Position() const { return resumed.set() ? resumed : last; }
  Witness position_before_handover;
  uint8_t interrupt_depth = 0;  // interrupts entered and not yet returned from
  uint32_t saves_before_handover = 0;
  Witness second_save;  // PR5 "saved twice": the save that overwrote the first note
  uint32_t invalid_saves_before_handover = 0;
  uint32_t responses_before_handover = 0;
  bool panicked = false;
  uint64_t panic_time_ns = 0;  // first RecordPanic
  // PR8: the initiator waited for an operator reset (WAITING_OPERATOR) at some point.
  bool waited_for_operator = false;
  Witness operator_wait;
  // PR8: system resets this CPU took before the hand-over (on ppc each may cost the crashing CPU a SECONDARY_TIMEOUT
  // wait in crash_kexec_secondary for a crashing_cpu only its own interrupted frame would write).
  uint32_t resets_before_handover = 0;
  bool kexec_event = false;
  uint64_t kexec_time_ns = 0;  // first KEXEC event on this CPU
  // When this CPU began a shutdown (first RecordShutdown): a kexec's bounded protocol starts there, after the
  // system call's own waits (kexec_mutex, cpu_add_remove_lock behind a cpu_down in progress).
  uint64_t shutdown_time_ns = 0;
  // Crash wakes sent to this CPU; kicked: one of them was x86's kick out of mwait_play_dead (PR11).
  bool kicked = false;
  bool woken_before_handover = false;
  bool woken = false;
  Witness first_wake;  // cpu = the sender; step/time of the send
  // PR2: the first location change (or corruption) after hand-over.
  bool moved_after_handover = false;
  Location handover_location = Location::kRunOld;
  Location moved_to = Location::kRunOld;
  Witness moved_at;
  // PR3: slept (stop / mwait with nothing pending) after a wake, and whether it was collected later.
  bool collected = false;  // reached the receiver or a parked state (or saved / responded)
  Witness slept_after_wake;
  bool slept_uncollected = false;              // slept after a wake while not yet collected
  uint64_t parked_after_wake_ns = UINT64_MAX;  // PR11: first time parked after the first wake
  // PR4.
  bool woke_unbarriered = false;  // woke from stop/mwait, no full barrier since
  Witness read_before_barrier;    // read crashing_cpu in that window
  bool wrote_crashing_unbarriered = false;
  Witness wake_before_barrier;  // sent a wake after writing crashing_cpu, no barrier in between
  // With store buffers (memory_model ARCHITECTURE). pending_stores: the variables of this CPU's buffered stores,
  // oldest first (kNoVar for a hardware store). overtaken: the variables whose stores were still buffered in the
  // sender when a crash wake reached this CPU; stale_read_after_wake: this CPU then read one of them from memory
  // before the store became visible (the wake overtook the store it was meant to publish).
  std::vector<uint32_t> pending_stores;
  std::vector<uint32_t> overtaken;
  Witness stale_read_after_wake;
  // PR6.
  uint32_t responses_since_reset = 0;
  Witness counted_twice;
  // PR9.
  Witness shutdown_after_handover;
  // PR10.
  uint32_t monitored = kNoVar;  // the line (Var::id) an armed MONITOR watches
  Witness relocated_monitor;
  Witness ran_after_relocation;
  Witness corrupt;
  Location corrupt_from = Location::kRunOld;  // where it was when it ran replaced memory (the park it left)
  // Where a reset or machine check took it out of firmware from (PARKED_FW, NEVER_STARTED), while it runs RUN_OLD
  // since: a corruption on that way is judged by the park it left.
  Location left_firmware_from = Location::kRunOld;
  // The last time something took it out of firmware (the leave entry; from: the park it left), and the same as of
  // the hand-over: PR1 and PR2 tell a thread the machine reset out of firmware as the hand-over came from one the
  // kernel left running.
  struct FirmwareExit {
    Witness at;
    Location from = Location::kRunOld;
    bool by_kernel = false;  // the kernel's own system reset (an NMI IPI), not the machine's reset or machine check
  };
  FirmwareExit firmware_exit;
  FirmwareExit firmware_exit_before_handover;
  bool shutdown_started = false;              // it booked the start of a crash/kexec shutdown
  // The positions the interrupts being handled interrupted, innermost last (nesting deeper than this keeps the
  // return itself as the position). Last: touched only when an interrupt comes.
  std::array<Witness, 4> interrupted;
};

struct Facts {
  std::vector<CpuFacts> cpus;
  bool handed_over = false;
  uint64_t handover_step = 0;
  uint64_t handover_time_ns = 0;
  uint32_t handover_cpu = kNoCpu;
  bool relocated = false;  // an overwrite before hand-over (kexec relocation)
  Witness first_relocation;
  // PR6: over-counting of the arrival counter since its last reset, as of hand-over.
  bool overcount_at_handover = false;
  std::vector<HotplugFacts> hotplug;  // per CPU
};

class FactsBuilder : public RunObserver {
 public:
  explicit FactsBuilder(uint32_t num_cpus);
  // The same builder, reusing the memory of a finished run's facts (spare: taken, its content dropped).
  FactsBuilder(uint32_t num_cpus, Facts&& spare);
  void OnEntry(const TraceEntry& e) override;
  void OnBook(const BookEntry& b) override;
  bool WantsDetail() const override { return false; }  // facts recognise entries by tags, never by text
  const Facts& facts() const { return facts_; }
  // The facts, moved out (the builder is done): a differential run takes them without copying every CPU's.
  Facts TakeFacts() { return std::move(facts_); }

 private:
  void OnLocation(uint32_t cpu, Location l, const TraceEntry& e);
  static void OnInterruptReturn(CpuFacts& c, const TraceEntry& e);
  Facts facts_;
  bool crash_started_ = false;
  bool overcount_ = false;
};

// Rebuilds the facts of a run whose trace was recorded (or built by hand): replays trace entries and book
// entries in their recorded order.
Facts FactsFromRun(const RunResult& result);

}  // namespace crashdiff
