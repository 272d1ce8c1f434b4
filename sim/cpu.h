// Cpu: one hardware thread of the simulated machine, and the step operations model code awaits on it. Every
// operation is one scheduling point with a label (its DOMAIN.md step id). The operation takes effect when the
// scheduler picks the CPU, not when the coroutine reaches it, so the schedule decides every interleaving.
#pragma once

#include <coroutine>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/hw.h"
#include "sim/location.h"
#include "sim/memory.h"
#include "sim/shared_var.h"
#include "sim/task.h"
#include "sim/text.h"

namespace crashdiff {

class Machine;
class Cpu;

using Label = std::string_view;
inline constexpr uint64_t kForever = UINT64_MAX;
inline constexpr uint64_t kUs = 1000;
inline constexpr uint64_t kMs = 1000 * kUs;
inline constexpr uint64_t kSec = 1000 * kMs;

// An operation a CPU is suspended on. It lives in the awaiting coroutine's frame.
class PendingOp {
 public:
  enum class Result { kDone, kBlocked };
  virtual ~PendingOp() = default;
  // Performs the operation now. kBlocked: the CPU waits until CanProceed() (or an interrupt is taken).
  virtual Result Execute(Cpu& cpu) = 0;
  virtual bool CanProceed(const Cpu& /*cpu*/) const { return true; }
  // The model time at which a blocked op can proceed whatever else happens; kForever if none.
  virtual uint64_t Deadline() const { return kForever; }
  // Stop states, MWAIT and HLT handle wakes themselves instead of taking interrupts while blocked in them.
  virtual bool HandlesWakes() const { return false; }
  // A wait whose condition reads `var` alone and is monotone in it: once it holds for a value it holds for every
  // larger one (direction +1, "count >= n") or every smaller one (-1, "pending <= 0"). The explorer's persistent sets
  // at free switches rely on it (docs/EXPLORE.md). var nullptr: nothing is known.
  struct Monotone {
    const Var* var = nullptr;
    int direction = 0;
  };
  virtual Monotone MonotoneIn() const { return {}; }

  Label label;
  std::coroutine_handle<> waiter;
};

template <typename T>
class Op : public PendingOp {
 public:
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept;
  T await_resume() { return std::move(result_); }

 protected:
  Op(Cpu& cpu, Label l) : cpu_(&cpu) { label = l; }
  Cpu* cpu_;
  T result_{};
};

template <>
class Op<void> : public PendingOp {
 public:
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept;
  void await_resume() noexcept {}

 protected:
  Op(Cpu& cpu, Label l) : cpu_(&cpu) { label = l; }
  Cpu* cpu_;
};

// Whether an operator's system reset (OPERATOR_RESET, the BMC/HMC reset of every thread the hardware has enabled)
// takes a thread out of the firmware that holds it. powernv: yes. The reset enters at the architecture's 0x100,
// and real address 0 belongs to the OS once firmware has started it (skiboot cpu_set_sreset_enable(false) before
// load_and_boot_kernel); firmware is not involved, so the thread runs the OS's reset vector (vector_region).
// x86 and arm64 firmware holds (wait-for-SIPI, PSCI CPU_OFF) keep the thread.
// kResetAndMceToOsVector: a machine check takes it out too. skiboot runs its held threads with MSR[ME] = 1, and
// once the OS owns real address 0 the 0x200 vector is the OS's as well (skiboot's own 0x200 handler, asm/head.S,
// was overwritten). Used where the OS's handler cannot return to firmware (a thread with no paca); a thread with a
// paca would run the OS's machine_check_early on skiboot's context, whose recovery is not modelled (it keeps
// kToOsVector and its machine check stays latched).
enum class FwReset : uint8_t { kHolds, kToOsVector, kResetAndMceToOsVector };

// What woke a CPU from a stop state, MWAIT or HLT.
struct Wake {
  Source source = Source::kSpurious;
  uint32_t srr1 = 0;  // powerpc wake reason (0: none)
};

// A store the CPU executed that other CPUs cannot see yet (memory_model ARCHITECTURE): a store to a variable (var
// set; hw, if any, runs after it becomes visible), or a store-like hardware write (var null, hw its effect: msgclr,
// an MMIO write to the CPU's interrupt controller).
struct BufferedStore {
  Var* var = nullptr;
  int64_t value = 0;
  Label label;
  std::function<void()> hw;
  std::string what;
  uint64_t issued_step = 0;  // the scheduled step at which the CPU executed it (bounds its time in the buffer)
  // The CPU's write-barrier count when it executed the store: on a machine that reorders stores, a store may
  // become visible before older ones only if they share its epoch (Machine::CommitIndex).
  uint32_t epoch = 0;
};

// A pending invalidation in a CPU's invalidate queue (memory_model ARCHITECTURE on powerpc / arm64): another CPU's
// store to var became visible, and until the entry is applied this CPU's loads of var still read `value`, what
// memory held before (the oldest such value: a CPU keeps its entry across later stores). One entry per variable.
struct StaleEntry {
  Var* var = nullptr;
  int64_t value = 0;
  uint64_t queued_step = 0;  // the scheduled step at which it was queued (bounds its time in the queue)
  uint32_t writer = 0;       // the CPU whose store queued it (kNoCpu-like values for a store of no CPU)
  bool shared = false;       // another CPU has stored to var since (a completion by either applies it)
};

// One execution context on a CPU: the program, an interrupt handler, or a software event.
struct Frame {
  Task<> root;
  PendingOp* op = nullptr;
  bool is_interrupt = false;
  Source source = Source::kSpurious;
  bool saved_irq_enabled = false;
  bool saved_in_nmi = false;
  Location saved_location = Location::kRunOld;
  // Raw spinlocks this context holds (Cpu::enter_critical): the model describes every instruction until the unlock,
  // so no unmodelled code runs in between that could fault.
  uint32_t critical = 0;
  // The task asleep in this context was woken on another CPU (Machine::MoveSleepingTask): the CPU never returns
  // here; once the frames above it are done, it is dropped and the CPU goes on with the frame below (its idle loop).
  bool moved = false;
};

class Cpu {
 public:
  Cpu(Machine& machine, uint32_t id, uint32_t core);
  Cpu(const Cpu&) = delete;
  Cpu& operator=(const Cpu&) = delete;
  Cpu(Cpu&&) = default;

  uint32_t id() const { return id_; }
  uint32_t core() const { return core_; }
  Machine& machine() const { return *machine_; }
  // The state another CPU's wait condition may read (latches, location, finished, firmware) notes the read in
  // the current ReadLog; a mutable reference to the latches counts as a change (sim/machine.cc, "Runnable set").
  CpuHw& hw() {
    NoteRead();
    Changed();
    pending_valid_ = false;
    return hw_;
  }
  const CpuHw& hw() const {
    NoteRead();
    return hw_;
  }
  // hw().PendingMask(), remembered until the latches can next change: every change goes through the mutable hw(),
  // whose reference model code uses within one step, and the machine asks between steps and at a step's start.
  SourceMask pending_mask() const {
    NoteRead();
    if (!pending_valid_) {
      pending_ = hw_.PendingMask();
      pending_valid_ = true;
    }
    return pending_;
  }
  Location location() const {
    NoteRead();
    return location_;
  }
  bool irq_enabled() const { return irq_enabled_; }
  bool in_nmi() const { return in_nmi_; }
  // A raw spinlock taken / dropped by the running context (bookkeeping, not a step). While the innermost context
  // holds one, no software event (PANIC, OOPS, a system call) can start on this CPU: a scenario's fault stands for
  // unmodelled kernel code, and inside a modelled critical section there is none. An interrupt nested on top is
  // another context, with its own count.
  void enter_critical() { ++frames_.back().critical; }
  void leave_critical() { --frames_.back().critical; }
  bool in_critical() const { return !frames_.empty() && frames_.back().critical != 0; }
  bool in_firmware() const {
    NoteRead();
    return in_firmware_;
  }
  bool finished() const {
    NoteRead();
    return finished_;
  }
  Region code_region() const { return code_region_; }
  Region vector_region() const { return vector_region_; }
  Var* monitored() const { return monitored_; }
  // Non-maskable sources the CPU's hardware state holds pending instead of taking (x86 wait-for-SIPI holds NMI,
  // SMI and INIT; arm64 DAIF masking holds pseudo-NMIs). Empty by default.
  SourceMask held_sources() const { return held_sources_; }

  // Synchronous local state (not shared memory, so not a scheduling point; recorded in the trace).
  void set_location(Location l);
  void set_code_region(Region r) { code_region_ = r; }
  void set_vector_region(Region r) { vector_region_ = r; }
  void set_held_sources(SourceMask m) {
    held_sources_ = m;
    Changed();
  }

  // powerpc per-thread idle/wake registers. lpcr: the LPCR, whose PECE bits decide what ends a stop
  // (enter_stop_lpcr); slw_lpcr: the LPCR value the stop-api (OPAL's SLW image) gives back on a state-losing wake;
  // dec_expiry: the model time the decrementer next expires (kForever: not within the run). Only step operations
  // change them (mtspr_lpcr, mtspr_dec), except the boot value set before step 0 (init_lpcr).
  uint64_t lpcr() const {
    NoteRead();
    return lpcr_;
  }
  uint64_t slw_lpcr() const { return slw_lpcr_; }
  uint64_t dec_expiry() const { return dec_expiry_; }
  // What the boot path left (cpu setup, the stop-api programmed once at boot), before step 0: not a step.
  void init_lpcr(uint64_t v) {
    lpcr_ = v;
    slw_lpcr_ = v;
  }
  // The stop-api image alone, for a thread firmware still holds (it gets its LPCR when the OS starts it).
  void init_slw_lpcr(uint64_t v) { slw_lpcr_ = v; }
  // A state-losing wake: the SLW engine restores the LPCR from its image before the reset vector runs.
  void restore_lpcr_from_slw() {
    lpcr_ = slw_lpcr_;
    Changed();
  }

  // ---- Step operations (co_await each). ----
  class ReadOp;
  class WriteOp;
  class RmwOp;
  class SpinCmpxchgOp;
  class AtomicOp;
  class TestBitOp;
  class LocalOp;
  class WaitOp;
  class StopOp;
  class MwaitOp;
  class HltOp;
  class ParkOp;
  class HandoverOp;
  template <typename T, typename F>
  class HwOp;

  ReadOp read(Var& v, Label l);
  // smp_load_acquire / atomic_read_acquire / a lock acquire: reads as read() does (it may read a stale value), then
  // orders every later load after it: with invalidate queues, drains this CPU's queue.
  ReadOp read_acquire(Var& v, Label l);
  // A load the kernel orders after earlier loads by what the model has no step for: an address dependency on an
  // earlier load (rcu_dereference, a pointer chase), or a lock it does not model (its acquire). The model reads
  // memory (the variable's pending invalidation is applied first): always a value the hardware may return.
  ReadOp read_ordered(Var& v, Label l);
  // on_visible (optional) runs when the store becomes visible to other CPUs: at once, or at its commit. A wake that
  // a store carries (x86: a store to the line another CPU's MONITOR watches) is booked there.
  WriteOp write(Var& v, int64_t value, Label l, std::function<void()> on_visible = nullptr);
  RmwOp fetch_add(Var& v, int64_t delta, Label l);                    // returns the old value
  RmwOp cmpxchg(Var& v, int64_t expected, int64_t desired, Label l);  // returns the old value
  // A spin lock's acquire loop (arch_spin_lock, the NMI IPI lock, a mutex's slow path): cmpxchg(v, expected,
  // desired) until it succeeds, spinning on plain loads of v between attempts. The first attempt is one step, as
  // cmpxchg() is; after a failure the CPU waits until v == expected, and its next step is the attempt that
  // succeeds. The retries that fail in between store nothing and, after the first attempt's barrier, order nothing
  // (the spinner has no stores left to commit), so they are not steps, as the loads of wait_until() are not; without
  // this, every release would let each spinner wake, fail and block again (O(spinners) steps per release).
  SpinCmpxchgOp spin_cmpxchg(Var& v, int64_t expected, int64_t desired, Label l);
  // Result-less atomics, as the kernel has them (atomic_inc / atomic_dec / atomic_add; set_bit / clear_bit,
  // cpumask_set_cpu / cpumask_clear_cpu): the model gets nothing back, and the entry records the operand (the delta,
  // the bit's mask), not the value, so two of them on one variable commute (docs/EXPLORE.md, "Commuting atomics").
  // Apart from the missing result they act as fetch_add does: the buffer commits first, a changed value is stored.
  AtomicOp atomic_add(Var& v, int64_t delta, Label l);
  AtomicOp set_bit(Var& v, uint32_t bit, Label l);    // bit < 64 (bit 63 is the sign bit)
  AtomicOp clear_bit(Var& v, uint32_t bit, Label l);  // bit < 64
  // A read of one bit (test_bit, cpumask_test_cpu): returns whether it is set; the entry records only that bit
  // (the value masked to it), so it does not observe, and does not conflict with, updates of other bits.
  TestBitOp test_bit(Var& v, uint32_t bit, Label l);
  // A full barrier (smp_mb: sync, mfence, dmb ish): with store buffers, commits this CPU's buffered stores; with
  // invalidate queues, applies every pending invalidation.
  LocalOp barrier(Label l);
  // A read barrier (smp_rmb: powerpc lwsync, arm64 dmb ishld; on x86 only the compiler's): loads after it read
  // values at least as new as loads before it did: with invalidate queues, drains this CPU's queue.
  LocalOp read_barrier(Label l);
  // A write barrier (smp_wmb: powerpc lwsync, arm64 dmb ishst; on x86 only the compiler's): stores after it become
  // visible after every store before it. Loads may still pass it (they pass stores; a later load is not ordered).
  // powerpc's is lwsync, which orders load->load too: there it also drains the invalidate queue.
  LocalOp write_barrier(Label l);
  // A release store (smp_store_release, atomic_set_release, an unlock): visible only after every earlier store.
  // powerpc's release is lwsync then the store, so it also drains the invalidate queue; arm64's stlr does not.
  WriteOp store_release(Var& v, int64_t value, Label l);
  // smp_mb() then a plain store with nothing modelled between (powerpc nmi_ipi_unlock): the barrier's commit of
  // every earlier store and the store are one step.
  WriteOp store_after_mb(Var& v, int64_t value, Label l);
  LocalOp local(Label l, Text what = {});         // a private step (register save, printk ...)
  LocalOp irq_disable(Label l);                   // hard-disable (MSR[EE]=0 / cli / DAIF)
  LocalOp irq_enable(Label l);
  // Blocks until pred() holds or timeout_ns passes; returns whether pred held. O(1) steps however long.
  WaitOp wait_until(std::function<bool()> pred, uint64_t timeout_ns, Label l);
  // wait_until(v >= n) and wait_until(v <= n), declared as such: the condition reads v alone and stays true as v
  // grows (falls) (PendingOp::MonotoneIn).
  WaitOp wait_at_least(Var& v, int64_t n, uint64_t timeout_ns, Label l);
  WaitOp wait_at_most(Var& v, int64_t n, uint64_t timeout_ns, Label l);
  WaitOp delay(uint64_t ns, Label l);
  // powerpc stop: sleeps until a source in wake_enable (reset, MCE and HMI always) is pending; returns the wake.
  // loses_state: the wakeup enters through the system-reset vector (vector_region) rather than the next instruction.
  StopOp enter_stop(SourceMask wake_enable, bool loses_state, Label l);
  // powerpc stop whose wake enables are the LPCR's PECE bits when a latch is examined (LpcrStopWakes). A
  // state-losing wake restores the LPCR from the stop-api image (slw_lpcr, the SLW engine) and then, if
  // kernel_lpcr is set, the kernel's real-mode wake path writes that saved value back (described by what), in
  // the same step: the register is private to the thread, and nothing the model has runs in between.
  StopOp enter_stop_lpcr(bool loses_state, Label l, std::optional<uint64_t> kernel_lpcr = std::nullopt, Text what = {});
  // mtspr LPCR, value; stop_api: also program the stop-api image with it (opal_slw_set_reg): both are this
  // thread's private state, so one step loses no interleaving.
  LocalOp mtspr_lpcr(uint64_t value, bool stop_api, Label l, Text what);
  // mtspr DEC: the decrementer expires ns from now and latches DEC (kForever: it does not expire in the run).
  LocalOp mtspr_dec(uint64_t ns, Label l, Text what);
  LocalOp monitor(Var& line, Label l);  // x86 MONITOR: arm the monitor on line
  // x86 MWAIT: ends on a store to the monitored line, a spurious wake, or after a taken interrupt returns.
  MwaitOp mwait(Label l);
  // x86 HLT: ends after a taken interrupt returns (with IF=0 only NMI, SMI, MCE and INIT are taken).
  HltOp hlt(Label l);
  // Stays at location forever; only interrupts the CPU can still take (per its mask) run anything.
  ParkOp park(Location l, Label label);
  // Hands the CPU to firmware (OPAL return, PSCI CPU_OFF): it executes no kernel code again, unless reset says an
  // operator's system reset takes it out (Machine::ApplyHardware, OPERATOR_RESET).
  ParkOp enter_firmware(Location l, Label label, FwReset reset = FwReset::kHolds);
  // Jumps to the next kernel: records hand-over, overwrites the given regions; this CPU becomes NEXT_KERNEL.
  // in_sequence (optional, described by what): hardware work the kexec sequence does in real mode between copying
  // the vectors and the jump (powerpc's hash-table clear), in the same step: no protocol step of another CPU comes
  // between the sequence's parts.
  HandoverOp handover(std::vector<Region> overwritten, Label l, Text what = {},
                      std::function<void()> in_sequence = nullptr);
  // Overwrites one region (kexec relocation copying the new image); a step of its own.
  LocalOp overwrite(Region r, Label l);
  // An atomic operation on hardware state (latches of this or another CPU): f() runs when scheduled.
  template <typename F>
  auto hw_op(Label l, Text what, F f);
  // A hardware op whose kernel path makes every earlier store visible first, with no step of its own: an IPI
  // send behind x86 x2APIC's weak_wrmsr_fence, or arm64 GICv3's dsb(ishst) before the SGI register write.
  template <typename F>
  auto ordered_hw_op(Label l, Text what, F f);
  // A store-like write to hardware state (msgclr; an MMIO store to the CPU's interrupt controller): with store
  // buffers it is buffered like a store, and f() runs when the buffer commits it. sync_first: the accessor
  // commits this CPU's earlier stores first (powerpc out_8() starts with a sync), with no step of its own.
  LocalOp hw_store(Label l, Text what, std::function<void()> f, bool sync_first = false);

  // ---- Used by the machine. ----
  std::vector<Frame>& frames() { return frames_; }
  const std::vector<Frame>& frames() const { return frames_; }
  void Suspend(PendingOp* op);
  bool blocked() const { return blocked_; }
  void set_blocked(bool b) { blocked_ = b; }
  void Finish(Location final_location);
  void enter_irq(bool nmi) {
    irq_enabled_ = false;
    if (nmi) in_nmi_ = true;
  }
  void restore_irq(bool enabled, bool nmi) {
    irq_enabled_ = enabled;
    in_nmi_ = nmi;
  }
  void set_in_firmware(FwReset reset) {
    in_firmware_ = true;
    held_by_firmware_ = true;
    fw_reset_ = reset;
    Changed();
  }
  FwReset fw_reset() const { return fw_reset_; }
  // Firmware's own record that it holds the thread (skiboot: cpu_state_active, set by cpu_callin when the thread
  // enters it; opal_query_cpu_status answers OPAL_THREAD_INACTIVE). A reset that takes the thread out does not
  // tell firmware, so the record stays while the thread executes kernel code; only handing the thread to the OS
  // (the start job below: cpu_give_self_os) clears it. Compare in_firmware(): where the thread really is.
  bool held_by_firmware() const {
    NoteRead();
    return held_by_firmware_;
  }
  // A system reset (Source::kReset) or a machine check (kMce) took the thread out of firmware: it executes kernel
  // code again, starting at that vector (the interrupt the machine delivers next); the firmware park resumes if the
  // handler returns.
  // by_kernel: the kernel's own system reset (an NMI IPI through firmware), not the machine's or an operator's; the
  // oracle tells the two apart (the kernel can avoid its own).
  void LeaveFirmware(Source vector, bool by_kernel = false);
  // A system reset reaches the thread: latched, and a firmware hold that resets reach (fw_reset() != kHolds) is
  // left for the OS's 0x100 vector. The operator's reset and skiboot's OPAL_SIGNAL_SYSTEM_RESET both raise it by
  // direct control, whatever the thread runs; by_kernel says the kernel asked for it.
  void RaiseSystemReset(bool by_kernel = false);
  // Firmware accepted a request to start this thread at an entry point the kernel gave: skiboot opal_start_cpu
  // queues a start job on a thread it holds (__cpu_queue_job), PSCI CPU_ON powers on a core that is off (ON_PENDING
  // until it runs). Firmware state: call it from another CPU's hw_op. The thread runs the start only from firmware
  // (in_firmware; a thread a reset took out of firmware does not run it until it is back there): at its next step
  // it leaves firmware for good and runs Program::FirmwareEntry on a fresh stack (Machine::ExecuteStep).
  void QueueFirmwareStart();
  bool firmware_start_queued() const {
    NoteRead();
    return fw_start_queued_;
  }
  // The scheduler moved a task here from another CPU (set_cpus_allowed_ptr onto this CPU's runqueue): the machine
  // starts it as a frame of its own once this CPU is in task context, as a system call starts (Machine::TaskStarts),
  // and tags that start's trace entry with start_mark. Call it from another CPU's hw_op.
  void QueueTask(Task<> task, TraceMark start_mark);
  size_t queued_tasks() const {
    NoteRead();
    return queued_tasks_.size();
  }
  // A task asleep here (in a mutex) that the kernel would wake on another CPU if this one went down first
  // (select_fallback_rq): model code sets how the task goes on elsewhere, and the start_mark of that start (as
  // QueueTask's), just before such a wait and clears it once the wait is over; the dying CPU's take-down moves it
  // (Machine::MoveSleepingTask). Only the scheduler reads it (the take-down, or the reference's down request): not
  // state a model's code can observe.
  using Resume = std::function<Task<>(Cpu&)>;
  void set_sleeping_task(Resume resume, TraceMark start_mark) {
    sleeping_task_ = std::move(resume);
    sleeping_task_mark_ = start_mark;
    sleeping_frame_ = frames_.size() - 1;  // the context that sleeps; interrupts only stack above it
  }
  void clear_sleeping_task() { sleeping_task_ = nullptr; }
  bool has_sleeping_task() const { return sleeping_task_ != nullptr; }
  // Machine only: firmware starts the thread at the kernel's entry point (skiboot opal_start_thread_job:
  // cpu_give_self_os clears firmware's record; PSCI: the core powers on). Real firmware enters at that address with
  // a fresh stack: no kernel frame survives, interrupts and non-maskable sources are as the entry code sets them (all
  // masked until it unmasks), out of firmware for good.
  void StartFromFirmware();
  void set_irq_enabled(bool e) { irq_enabled_ = e; }
  void set_monitored(Var* v);
  uint64_t irq_count() const { return irq_count_; }
  void count_irq() { ++irq_count_; }
  // The store buffer (memory_model ARCHITECTURE; empty otherwise), oldest first. Only the machine commits it. A
  // vector: it usually holds a few stores, and unlike a deque an empty one allocates nothing (every CPU of every run).
  std::vector<BufferedStore>& store_buffer() { return store_buffer_; }
  const std::vector<BufferedStore>& store_buffer() const { return store_buffer_; }
  // The newest buffered store to v, if any: the value this CPU's own loads see.
  const BufferedStore* Forward(const Var& v) const;
  // How many write barriers (and release stores) this CPU has executed: the epoch of its next buffered store.
  uint32_t store_epoch() const { return store_epoch_; }
  void order_stores() { ++store_epoch_; }
  // The invalidate queue (memory_model ARCHITECTURE on powerpc / arm64; empty otherwise), oldest first. Only the
  // machine changes it (Machine::QueueInvalidates, ApplyInvalidate, DrainQueue).
  std::vector<StaleEntry>& invalidate_queue() { return invalidate_queue_; }
  const std::vector<StaleEntry>& invalidate_queue() const { return invalidate_queue_; }
  // This CPU's pending invalidation of v, if any: the stale value its plain loads of v read.
  const StaleEntry* Stale(const Var& v) const {
    if (v.queued == 0) return nullptr;
    for (const StaleEntry& e : invalidate_queue_) {
      if (e.var == &v) return &e;
    }
    return nullptr;
  }
  StaleEntry* StaleMutable(const Var& v) { return const_cast<StaleEntry*>(Stale(v)); }

 private:
  // Inline test, out-of-line log: the machine reads CPU state at every step and a log is active only while a blocked
  // CPU is evaluated (or explore records a step).
  void NoteRead() const {
    if (ReadLog* log = ReadLog::Current(); log != nullptr) [[unlikely]]
      NoteReadIn(*log);
  }
  void NoteReadIn(ReadLog& log) const;
  void Changed();  // tells the machine this CPU's observable state changed

  Machine* machine_;
  uint32_t id_;
  uint32_t core_;
  CpuHw hw_;
  mutable SourceMask pending_ = 0;  // pending_mask()'s value while pending_valid_
  mutable bool pending_valid_ = false;
  std::vector<Frame> frames_;
  Location location_ = Location::kRunOld;
  Region code_region_ = Region::kOldKernelText;
  Region vector_region_ = Region::kOldKernelText;
  Var* monitored_ = nullptr;
  SourceMask held_sources_ = 0;
  std::vector<BufferedStore> store_buffer_;
  std::vector<StaleEntry> invalidate_queue_;
  uint32_t store_epoch_ = 0;
  uint64_t irq_count_ = 0;
  bool irq_enabled_ = true;
  bool in_nmi_ = false;
  bool in_firmware_ = false;
  FwReset fw_reset_ = FwReset::kHolds;
  bool held_by_firmware_ = false;
  bool fw_start_queued_ = false;
  struct QueuedTask {
    Task<> task;
    TraceMark start_mark;
  };
  std::vector<QueuedTask> queued_tasks_;  // oldest first
  Resume sleeping_task_;
  TraceMark sleeping_task_mark_ = TraceMark::kNone;
  size_t sleeping_frame_ = 0;
  bool finished_ = false;
  bool blocked_ = false;
  uint64_t lpcr_ = 0;
  uint64_t slw_lpcr_ = 0;
  uint64_t dec_expiry_ = kForever;
  friend class Machine;  // arms and fires the decrementer (Machine::ArmDec / FireDueDecs)
};

template <typename T>
void Op<T>::await_suspend(std::coroutine_handle<> h) noexcept {
  waiter = h;
  cpu_->Suspend(this);
}
inline void Op<void>::await_suspend(std::coroutine_handle<> h) noexcept {
  waiter = h;
  cpu_->Suspend(this);
}

class Cpu::ReadOp : public Op<int64_t> {
 public:
  enum class Order : uint8_t { kPlain, kAcquire, kDependent };
  ReadOp(Cpu& c, Var& v, Label l, Order order = Order::kPlain) : Op(c, l), var_(&v), order_(order) {}
  Result Execute(Cpu& cpu) override;

 private:
  Var* var_;
  Order order_;
};

class Cpu::WriteOp : public Op<void> {
 public:
  enum class Order : uint8_t { kPlain, kRelease, kAfterFullBarrier };
  WriteOp(Cpu& c, Var& v, int64_t value, Label l, std::function<void()> on_visible, Order order = Order::kPlain)
      : Op(c, l), var_(&v), value_(value), on_visible_(std::move(on_visible)), order_(order) {}
  Result Execute(Cpu& cpu) override;

 private:
  Var* var_;
  int64_t value_;
  std::function<void()> on_visible_;
  Order order_;
};

class Cpu::RmwOp : public Op<int64_t> {
 public:
  enum class Kind { kAdd, kCmpxchg };
  RmwOp(Cpu& c, Var& v, Kind k, int64_t a, int64_t b, Label l) : Op(c, l), var_(&v), kind_(k), a_(a), b_(b) {}
  Result Execute(Cpu& cpu) override;

 private:
  Var* var_;
  Kind kind_;
  int64_t a_;
  int64_t b_;
};

class Cpu::SpinCmpxchgOp : public Op<void> {
 public:
  SpinCmpxchgOp(Cpu& c, Var& v, int64_t expected, int64_t desired, Label l)
      : Op(c, l), var_(&v), expected_(expected), desired_(desired) {}
  Result Execute(Cpu& cpu) override;
  bool CanProceed(const Cpu& cpu) const override;

 private:
  Var* var_;
  int64_t expected_;
  int64_t desired_;
};

class Cpu::AtomicOp : public Op<void> {
 public:
  AtomicOp(Cpu& c, Var& v, WordAccess access, int64_t operand, uint8_t bit, Label l)
      : Op(c, l), var_(&v), access_(access), operand_(operand), bit_(bit) {}
  Result Execute(Cpu& cpu) override;

 private:
  Var* var_;
  WordAccess access_;  // kAdd, kSetBit or kClearBit
  int64_t operand_;    // the delta, or the bit's mask
  uint8_t bit_;
};

class Cpu::TestBitOp : public Op<bool> {
 public:
  TestBitOp(Cpu& c, Var& v, uint8_t bit, Label l) : Op(c, l), var_(&v), bit_(bit) {}
  Result Execute(Cpu& cpu) override;

 private:
  Var* var_;
  uint8_t bit_;
};

class Cpu::LocalOp : public Op<void> {
 public:
  LocalOp(Cpu& c, Label l, std::function<void(Cpu&)> effect, Text what, TraceTags tags = {},
          std::function<void()> hw_store = nullptr, bool sync_first = false)
      : Op(c, l),
        effect_(std::move(effect)),
        what_(std::move(what)),
        tags_(tags),
        hw_store_(std::move(hw_store)),
        sync_first_(sync_first) {}
  Result Execute(Cpu& cpu) override;

 private:
  std::function<void(Cpu&)> effect_;
  Text what_;
  TraceTags tags_;                  // set only by the simulator's own operations (barrier, monitor)
  std::function<void()> hw_store_;  // Cpu::hw_store: a store-like hardware write, recorded as kHw
  bool sync_first_;
};

class Cpu::WaitOp : public Op<bool> {
 public:
  WaitOp(Cpu& c, std::function<bool()> pred, uint64_t timeout, Label l, Monotone monotone = {})
      : Op(c, l), pred_(std::move(pred)), timeout_(timeout), monotone_(monotone) {}
  Result Execute(Cpu& cpu) override;
  bool CanProceed(const Cpu& cpu) const override;
  uint64_t Deadline() const override { return deadline_; }
  Monotone MonotoneIn() const override { return monotone_; }

 private:
  bool Poll(Cpu& cpu) const;
  std::function<bool()> pred_;
  uint64_t timeout_;
  Monotone monotone_;
  uint64_t deadline_ = kForever;
  bool started_ = false;
};

class Cpu::StopOp : public Op<Wake> {
 public:
  StopOp(Cpu& c, SourceMask enable, bool loses_state, Label l, bool from_lpcr = false,
         std::optional<uint64_t> kernel_lpcr = std::nullopt, Text what = {})
      : Op(c, l),
        enable_(enable),
        loses_state_(loses_state),
        from_lpcr_(from_lpcr),
        kernel_lpcr_(kernel_lpcr),
        kernel_what_(std::move(what)) {}
  Result Execute(Cpu& cpu) override;
  bool CanProceed(const Cpu& cpu) const override;
  bool HandlesWakes() const override { return true; }
  SourceMask wake_mask(const Cpu& cpu) const;

 private:
  SourceMask enable_;
  bool loses_state_;
  bool from_lpcr_;
  std::optional<uint64_t> kernel_lpcr_;
  Text kernel_what_;
  bool started_ = false;
  Location before_ = Location::kOfflineLoop;
};

class Cpu::MwaitOp : public Op<void> {
 public:
  MwaitOp(Cpu& c, Label l) : Op(c, l) {}
  Result Execute(Cpu& cpu) override;
  bool CanProceed(const Cpu& cpu) const override;

 private:
  bool started_ = false;
  uint64_t irqs_at_start_ = 0;
  Location before_ = Location::kOfflineLoop;
};

class Cpu::HltOp : public Op<void> {
 public:
  HltOp(Cpu& c, Label l) : Op(c, l) {}
  Result Execute(Cpu& cpu) override;
  bool CanProceed(const Cpu& cpu) const override;

 private:
  bool started_ = false;
  uint64_t irqs_at_start_ = 0;
};

class Cpu::ParkOp : public Op<void> {
 public:
  ParkOp(Cpu& c, Location where, bool firmware, Label l, FwReset reset = FwReset::kHolds)
      : Op(c, l), where_(where), firmware_(firmware), reset_(reset) {}
  Result Execute(Cpu& cpu) override;
  // A firmware park never ends by itself: a firmware start drops it with every other frame (Machine::ExecuteStep).
  bool CanProceed(const Cpu& /*cpu*/) const override { return false; }

 private:
  Location where_;
  bool firmware_;
  FwReset reset_;
};

class Cpu::HandoverOp : public Op<void> {
 public:
  HandoverOp(Cpu& c, std::vector<Region> regions, Label l, Text what, std::function<void()> in_sequence)
      : Op(c, l), regions_(std::move(regions)), what_(std::move(what)), in_sequence_(std::move(in_sequence)) {}
  Result Execute(Cpu& cpu) override;
  bool CanProceed(const Cpu& /*cpu*/) const override { return false; }

 private:
  std::vector<Region> regions_;
  Text what_;
  std::function<void()> in_sequence_;
};

void CommitStoreBuffer(Cpu& cpu);  // Machine::CompleteStores (the machine is incomplete here)

template <typename T, typename F>
class Cpu::HwOp : public Op<T> {
 public:
  HwOp(Cpu& c, Label l, Text what, F f, bool ordered = false)
      : Op<T>(c, l), what_(std::move(what)), f_(std::move(f)), ordered_(ordered) {}
  PendingOp::Result Execute(Cpu& cpu) override {
    if (ordered_) CommitStoreBuffer(cpu);
    this->result_ = f_();
    int64_t shown = 0;
    if constexpr (std::is_convertible_v<T, int64_t>) shown = static_cast<int64_t>(this->result_);
    RecordHw(cpu, this->label, what_, shown);
    return PendingOp::Result::kDone;
  }

 private:
  Text what_;
  F f_;
  bool ordered_;
};

template <typename F>
class Cpu::HwOp<void, F> : public Op<void> {
 public:
  HwOp(Cpu& c, Label l, Text what, F f, bool ordered = false)
      : Op<void>(c, l), what_(std::move(what)), f_(std::move(f)), ordered_(ordered) {}
  PendingOp::Result Execute(Cpu& cpu) override {
    if (ordered_) CommitStoreBuffer(cpu);
    f_();
    RecordHw(cpu, this->label, what_, 0);
    return PendingOp::Result::kDone;
  }

 private:
  Text what_;
  F f_;
  bool ordered_;
};

void RecordHw(Cpu& cpu, Label label, std::string_view what, int64_t value);

template <typename F>
auto Cpu::hw_op(Label l, Text what, F f) {
  using T = decltype(f());
  return HwOp<T, F>(*this, l, std::move(what), std::move(f));
}

template <typename F>
auto Cpu::ordered_hw_op(Label l, Text what, F f) {
  using T = decltype(f());
  return HwOp<T, F>(*this, l, std::move(what), std::move(f), /*ordered=*/true);
}

}  // namespace crashdiff
