#include "oracle/reference.h"

#include <algorithm>

namespace crashdiff {
namespace {

constexpr uint64_t kParkTimeout = 10 * kSec;  // DOMAIN §2.8 I11 (REAL_MODE_TIMEOUT)
constexpr uint64_t kHotplugWait = 10 * kSec;  // the requester's bounded wait for the dead / online report
constexpr int64_t kNoOwner = -1;              // the hotplug lock is free
constexpr int64_t kKexecOwns = -2;            // panic_cpu: a normal kexec owns the machine (the kexec lock)

}  // namespace

const ReferenceProfile& ReferenceProfileFor(pb::Family family) {
  switch (family) {
    case pb::X86: return X86ReferenceProfile();
    case pb::ARM64: return Arm64ReferenceProfile();
    default: return PpcReferenceProfile();
  }
}

ReferenceProgram::ReferenceProgram(Machine& machine, const ReferenceProfile& profile) : m_(machine), profile_(profile) {
  panic_cpu_ = &m_.NewVar("panic_cpu", -1);
  crashing_cpu_ = &m_.NewVar(SharedVar::kCrashingCpu, -1);
  cpus_in_crash_ = &m_.NewVar(SharedVar::kCpusInCrash, 0);
  time_to_dump_ = &m_.NewVar("time_to_dump", 0);
  offline_control_ = m_.NewVarArray("offline_control", 0);
  online_ = m_.NewVarArray("cpu_online", 0);
  dead_ = m_.NewVarArray("cpu_dead", 0);
  down_request_ = m_.NewVarArray("cpu_down_request", 0);
  hotplug_lock_ = &m_.NewVar("hotplug_lock", kNoOwner);
  hotplug_disabled_ = &m_.NewVar("hotplug_disabled", 0);
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    online_[c]->value = m_.initially_online(c) ? 1 : 0;
    dead_[c]->value = !m_.initially_online(c) && !m_.never_started(c) ? 1 : 0;
  }
  in_receiver_.assign(m_.num_cpus(), false);
  parked_.assign(m_.num_cpus(), false);
}

Task<> ReferenceProgram::Start(Cpu& cpu) {
  if (m_.never_started(cpu.id())) {
    // Left only when firmware starts the thread (ppc cpu_up: opal_start_cpu): it then runs FirmwareEntry afresh.
    co_await cpu.enter_firmware(Location::kNeverStarted, "hold");
    co_return;
  }
  co_await Idle(cpu, !m_.initially_online(cpu.id()));
}

// A CPU firmware started on cpu_up's request (arm64 PSCI CPU_ON after CPU_OFF; ppc opal_start_cpu for a
// never-started thread): back online, then the same life as any online CPU.
Task<> ReferenceProgram::FirmwareEntry(Cpu& cpu) {
  co_await profile_.hotplug.firmware_entry(*this, cpu);
  co_await Idle(cpu, /*offline=*/false);
}

// A CPU's life: online idle until cpu_down, then the offline loop, which returns only when cpu_up brought the CPU
// back online (the crash path never returns; arm64's returns through FirmwareEntry instead).
Task<> ReferenceProgram::Idle(Cpu& cpu, bool offline) {
  for (;;) {
    if (!offline) {
      co_await OnlineIdle(cpu);
      co_await profile_.hotplug.take_down(*this, cpu);
    }
    co_await profile_.offline_loop(*this, cpu);
    offline = false;
  }
}

// An online CPU idles with interrupts enabled until asked to go down; software events run on top of this frame.
Task<> ReferenceProgram::OnlineIdle(Cpu& cpu) {
  cpu.set_location(Location::kRunOld);
  Var& req = *down_request_[cpu.id()];
  co_await cpu.wait_until([&req] { return req.value != 0; }, kForever, "idle");
  co_await cpu.write(req, 0, "idle");
}

Task<> ReferenceProgram::SetOnline(Cpu& cpu, bool online, Label label) {
  co_await cpu.write(*online_[cpu.id()], online ? 1 : 0, label);
  m_.RecordOnline(cpu.id(), online, /*hotplug=*/true);
}

Task<> ReferenceProgram::ComeUp(Cpu& cpu, Label label) {
  co_await cpu.write(*dead_[cpu.id()], 0, label);
  co_await SetOnline(cpu, true, label);
  cpu.set_location(Location::kRunOld);
  co_await cpu.barrier(label);
  if (co_await cpu.read(*crashing_cpu_, label) >= 0) co_await Receiver(cpu);
}

bool ReferenceProgram::SyscallAllowed(const Cpu& cpu) const {
  for (const Frame& f : cpu.frames()) {
    if (f.is_interrupt) return false;  // cpu_up/cpu_down sleep: never from interrupt context
  }
  return !profile_.hotplug.process_context_only || (cpu.frames().size() == 2 && cpu.irq_enabled());
}

// The hotplug lock is a sleeping mutex in every kernel: the requester waits with interrupts as they were, so a crash
// wake still reaches it while another CPU's operation holds the lock; asleep there, a request whose own CPU is asked
// to go down starts over on another CPU (`elsewhere`, MoveSleepingTaskOf).
Task<> ReferenceProgram::LockHotplug(Cpu& cpu, Label label, Cpu::Resume elsewhere) {
  const bool movable = elsewhere != nullptr;
  if (movable) cpu.set_sleeping_task(std::move(elsewhere), TraceMark::kNone);
  co_await cpu.spin_cmpxchg(*hotplug_lock_, kNoOwner, cpu.id(), label);
  if (movable) cpu.clear_sleeping_task();
}

// A task asleep on a CPU asked to go down goes on from the first other online CPU, as the targets' take-down moves
// it (select_fallback_rq); the CPU's idle loop then sees the request.
void ReferenceProgram::MoveSleepingTaskOf(uint32_t target) {
  Cpu& c = m_.cpu(target);
  if (!c.has_sleeping_task()) return;
  const uint32_t to = FirstOnline(target);
  if (to < m_.num_cpus()) m_.MoveSleepingTask(c, to);
}

uint32_t ReferenceProgram::FirstOnline(uint32_t except) const {
  uint32_t c = 0;
  while (c < m_.num_cpus() && (c == except || !is_online(c))) ++c;
  return c;
}

Task<> ReferenceProgram::UnlockHotplug(Cpu& cpu, Label label) {
  co_await cpu.store_release(*hotplug_lock_, kNoOwner, label);
}

// Under the lock: a request finds hotplug disabled while a normal kexec moves to its reboot CPU, and is refused
// (-EBUSY), as in every kernel (cpu_hotplug_disabled). Only a holder of the lock writes the flag, so reading it with
// the lock taken is the same as reading it in the step that took the lock: no step of its own.
bool ReferenceProgram::HotplugEnabled() const {
  return hotplug_disabled_->value == 0;
}

// cpu_down(): under the hotplug lock, the requester checks the target is online, asks it to stop, and waits
// (bounded) for its dead report.
Task<> ReferenceProgram::CpuDown(Cpu& cpu, uint32_t target) {
  const ReferenceHotplug& H = profile_.hotplug;
  const bool held = m_.never_started(target) && m_.cpu(target).held_by_firmware();
  if (!H.can_down(m_, target) || target == cpu.id() || held || !SyscallAllowed(cpu)) co_return;
  co_await LockHotplug(cpu, H.down_begin, [this, target](Cpu& to) { return CpuDown(to, target); });
  if (HotplugEnabled() && co_await cpu.read(*online_[target], H.down_check) == 1) {
    co_await cpu.write(*dead_[target], 0, H.down_request);
    co_await cpu.write(*down_request_[target], 1, H.down_request, [this, target] { MoveSleepingTaskOf(target); });
    Var& dead = *dead_[target];
    co_await cpu.wait_until([&dead] { return dead.value == 1; }, kHotplugWait, H.down_wait);
  }
  co_await UnlockHotplug(cpu, H.down_end);
}

// cpu_up(): under the hotplug lock, the requester asks the offline loop to return and waits (bounded) for the CPU
// to be online.
Task<> ReferenceProgram::CpuUp(Cpu& cpu, uint32_t target) {
  const ReferenceHotplug& H = profile_.hotplug;
  const bool from_firmware = m_.never_started(target) && m_.cpu(target).held_by_firmware();
  if (!H.can_up(m_, target) || target == cpu.id() || (from_firmware && H.start_request == nullptr) ||
      !SyscallAllowed(cpu)) {
    co_return;
  }
  co_await LockHotplug(cpu, H.up_begin, [this, target](Cpu& to) { return CpuUp(to, target); });
  if (HotplugEnabled() && co_await cpu.read(*online_[target], H.up_check) != 1) {
    if (from_firmware) {
      co_await H.start_request(*this, cpu, target);  // firmware starts it when it holds it
    } else {
      co_await cpu.write(*offline_control_[target], kUp, H.up_request);
      co_await cpu.barrier(H.up_request);
      co_await profile_.hotplug.kick_up(*this, cpu, target);
    }
    Var& online = *online_[target];
    co_await cpu.wait_until([&online] { return online.value == 1; }, kHotplugWait, H.up_wait);
  }
  co_await UnlockHotplug(cpu, H.up_end);
}

Task<> ReferenceProgram::Software(Cpu& cpu, const pb::Event& event) {
  switch (event.kind()) {
    case pb::PANIC: co_await Panic(cpu); break;
    case pb::OOPS:
      // die(): the oops is printed (the moment label triggers name), then panic_on_oops.
      co_await cpu.irq_disable(profile_.oops_entry);
      m_.RecordPanic(cpu.id());  // the crash starts at die()'s first step, as in the targets
      co_await cpu.local(profile_.oops, "__die: print oops");
      co_await Panic(cpu);
      break;
    case pb::HOTPLUG_DOWN: co_await CpuDown(cpu, event.cpus(1)); break;
    case pb::HOTPLUG_UP: co_await CpuUp(cpu, event.cpus(1)); break;
    case pb::KEXEC:
      // The normal kexec (DOMAIN §3.8-3.11; powerpc §3.12): every other CPU is collected and parked before the
      // jump, as for a crash but without saving registers.
      // arm64 spin-table refuses normal kexec at load time: CPUs are stuck in the kernel (DOMAIN §3.11).
      // kexec is a system call: like the targets, not from inside another kernel path (SyscallAllowed).
      if (m_.config().kexec_image_loaded() && m_.config().platform() != pb::ARM64_SPIN_TABLE && SyscallAllowed(cpu)) {
        co_await KernelKexec(cpu);
      }
      break;
    default: break;
  }
}

// kernel_kexec(): the kexec owns the machine from its first step (the targets' kexec lock): a panic from then on is a
// loser the kexec collects.
Task<> ReferenceProgram::KernelKexec(Cpu& cpu) {
  if (co_await cpu.cmpxchg(*panic_cpu_, -1, kKexecOwns, profile_.hotplug.kexec_lock) != -1) co_return;
  kexec_pending_on_ = cpu.id();
  co_await MigrateToRebootCpu(cpu);
}

// migrate_to_reboot_cpu(): hotplug disabled first, so no CPU is half way up or down when the collection starts (the
// wait may sleep behind a cpu_down of this very CPU, which wakes the task on another CPU: it starts over there); then
// the reboot CPU, chosen once hotplug is quiet: the boot CPU, or the first online CPU if the boot CPU is offline. The
// rest runs there, in task context (Cpu::QueueTask).
Task<> ReferenceProgram::MigrateToRebootCpu(Cpu& cpu) {
  const Label label = profile_.hotplug.kexec_wait;
  co_await DisableHotplug(cpu, label, [this](Cpu& to) {
    kexec_pending_on_ = to.id();
    return MigrateToRebootCpu(to);
  });
  const uint32_t boot = m_.config().boot_cpu();
  bool moved = false;
  if (cpu.id() != boot) {
    moved = co_await cpu.ordered_hw_op(label, "move to the reboot CPU", [this, &cpu, boot] {
      const uint32_t reboot = is_online(boot) ? boot : FirstOnline();
      if (reboot >= m_.num_cpus() || reboot == cpu.id()) return false;
      m_.cpu(reboot).QueueTask(RebootCpuKexec(m_.cpu(reboot)), TraceMark::kKexecRequest);
      kexec_pending_on_ = reboot;
      return true;
    });
  }
  if (!moved) co_await RebootCpuKexec(cpu);
}

// On the reboot CPU the kexec's ownership becomes this CPU's (a panic nested here later runs the crash from here);
// hotplug is enabled again (kernel_kexec does it before machine_shutdown, which may need it), so a request from then
// on runs beside the collection and its CPUs are collected with the others; then the collection. Also run, as a
// crash, by a loser on the CPU that held the kexec's remaining work (Loser).
Task<> ReferenceProgram::RebootCpuKexec(Cpu& cpu, bool crash) {
  const Label label = profile_.hotplug.kexec_wait;
  co_await cpu.write(*panic_cpu_, cpu.id(), label);
  kexec_pending_on_ = kNoCpu;  // in the step that made it this CPU's: a panic here is never left without a path
  co_await SetHotplugDisabled(cpu, 0, label);
  co_await cpu.irq_disable(label);
  co_await Initiator(cpu, crash);
}

// cpu_hotplug_disable(), asleep until it has the lock: while it waits, a cpu_down of this CPU moves it (elsewhere).
// Once it holds the lock no cpu_down can ask for this CPU, so the registration can stay until the flag is set.
Task<> ReferenceProgram::DisableHotplug(Cpu& cpu, Label label, Cpu::Resume elsewhere) {
  cpu.set_sleeping_task(std::move(elsewhere), TraceMark::kKexecRequest);
  co_await SetHotplugDisabled(cpu, 1, label);
  cpu.clear_sleeping_task();
}

// cpu_hotplug_disable() / cpu_hotplug_enable(): the flag changes under the hotplug lock, so it waits for the
// operation in progress to end; on a lock abandoned for good (LockHotplugForKexec) it stays as it was.
Task<> ReferenceProgram::SetHotplugDisabled(Cpu& cpu, int64_t disabled, Label label) {
  if (!co_await LockHotplugForKexec(cpu, label)) co_return;
  co_await cpu.write(*hotplug_disabled_, disabled, label);
  co_await UnlockHotplug(cpu, label);
}

// The kexec's hold of the hotplug lock. An operation whose requester panicked and lost never ends (that CPU spins
// as a loser, the lock held for good): false, and the kexec goes on without the lock and collects that CPU with the
// others.
Task<bool> ReferenceProgram::LockHotplugForKexec(Cpu& cpu, Label label) {
  Var& lock = *hotplug_lock_;
  const auto abandoned = [this, &lock] {
    const int64_t owner = lock.value;
    return owner != kNoOwner && m_.cpu(static_cast<uint32_t>(owner)).location() == Location::kLoserSpin;
  };
  for (;;) {
    co_await cpu.wait_until([&lock, &abandoned] { return lock.value == kNoOwner || abandoned(); }, kForever, label);
    if (abandoned()) co_return false;
    if (co_await cpu.cmpxchg(lock, kNoOwner, cpu.id(), label) == kNoOwner) co_return true;
  }
}

Task<> ReferenceProgram::Park(Cpu& cpu, Label label) {
  MarkParked(cpu.id());
  co_await profile_.park(*this, cpu, label);
}

Task<> ReferenceProgram::Interrupt(Cpu& cpu, Source source) {
  const ReferenceLabels& L = profile_.labels;
  // A parked CPU that still takes an interrupt (x86 HLT: NMI, SMI, MCE) runs only the return.
  if (parked_[cpu.id()]) co_return;
  if (source == Source::kExternal || source == Source::kHvi) {
    // Level sources stay pending until the handler accepts them: accept (and drop) everything presented.
    co_await cpu.hw_op("irq", "accept", [&cpu] {
      cpu.hw().mfrr = kMfrrNone;
      cpu.hw().device_pending.clear();
      cpu.hw().xive_queue.clear();
    });
  }
  if (source != profile_.wake) co_return;  // device interrupts, stray IPIs, HMIs, MCEs: handled and returned
  if (!profile_.nmi_entry.empty()) co_await cpu.local(profile_.nmi_entry, "exc_nmi");
  // The protocol's receiver orders its loads after the wake it took (Linux's IPI receivers do: powerpc
  // smp_ipi_demux's mb(), the generic call-function path's fully ordered llist_del_all): with invalidate queues
  // (powerpc / arm64 ARCHITECTURE) a read barrier, so it never misses the crash its initiator published before
  // the wake. Elsewhere loads are not reordered with loads, and the reference keeps its steps.
  if (m_.queues_invalidates()) co_await cpu.read_barrier(L.wake_check);
  const int64_t crashing = co_await cpu.read(*crashing_cpu_, L.wake_check);
  if (crashing >= 0) {
    if (crashing != cpu.id()) co_await Receiver(cpu);
    co_return;
  }
  // A powerpc system reset with no crash in progress is an operator's (or firmware's) request for a dump.
  if (profile_.family == pb::PPC) co_await Panic(cpu);
}

Task<> ReferenceProgram::Panic(Cpu& cpu) {
  co_await cpu.irq_disable("P1");
  m_.RecordPanic(cpu.id());  // entered once its first step ran, as in every target
  const int64_t old = co_await cpu.cmpxchg(*panic_cpu_, -1, cpu.id(), "P2");
  if (old != -1 && old != cpu.id()) {
    co_await Loser(cpu);
    co_return;
  }
  if (!m_.config().crash_image_loaded()) {
    cpu.set_location(Location::kPanicHalt);
    co_await cpu.park(Location::kPanicHalt, "P9");
    co_return;
  }
  co_await Initiator(cpu, /*crash=*/true);
}

// A loser is collected like any other CPU: it joins the receiver as soon as the crash (or the kexec that owns the
// machine) is under way. A panic on the CPU that holds a kexec's remaining work (its task asleep or queued there)
// buries that work under the loser, before the kexec collected anyone: the panic supersedes it, and this CPU runs
// the crash from the kexec's next step on, as the best protocol would.
Task<> ReferenceProgram::Loser(Cpu& cpu) {
  cpu.set_location(Location::kLoserSpin);
  const uint32_t self = cpu.id();
  // kexec_pending_on_ is the reference's own bookkeeping, not a variable the wait registers on: it names this CPU
  // either before the loser began (its work asleep below) or with a task queued here (Cpu::QueueTask re-evaluates
  // this CPU's wait; CRASHDIFF_SIM_VERIFY checks it).
  const auto go = [this, self] { return crashing_cpu_->value >= 0 || kexec_pending_on_ == self; };
  if (!co_await cpu.wait_until(go, kForever, "P3")) co_return;
  if (crashing_cpu_->value < 0) {
    cpu.clear_sleeping_task();  // the buried work never resumes, here or on a CPU a cpu_down would move it to
    co_await RebootCpuKexec(cpu, /*crash=*/true);
  } else {
    co_await Receiver(cpu);
  }
}

Task<> ReferenceProgram::Initiator(Cpu& cpu, bool crash) {
  const ReferenceLabels& L = profile_.labels;
  crash_ = crash;
  cpu.set_location(Location::kCrashing);
  m_.RecordShutdown(cpu.id());
  co_await cpu.write(*crashing_cpu_, cpu.id(), L.write_crashing);
  co_await cpu.barrier(L.barrier);
  std::vector<uint32_t> woken;
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    // A never-started thread firmware still holds stays there (one started on cpu_up is collected like any CPU).
    if (c == cpu.id() || (m_.never_started(c) && m_.cpu(c).held_by_firmware())) continue;
    // The online set as of now, after crashing_cpu and the barrier: a CPU that comes online later sees the
    // crash itself (ComeUp); one that goes offline later was woken here and takes the wake wherever it is.
    const bool online = is_online(c);
    if (!online && !profile_.wake_offline_into_receiver) continue;
    m_.RecordWakeSent(c);
    const Source wake = profile_.wake;
    co_await cpu.hw_op(online ? L.send_online : L.send_offline, "crash wake", [this, c, wake] {
      CpuHw& hw = m_.cpu(c).hw();
      if (wake == Source::kReset) hw.reset = true;
      if (wake == Source::kNmi) hw.nmi = true;
    });
    woken.push_back(c);
  }
  const int64_t expected = static_cast<int64_t>(woken.size());
  co_await cpu.wait_until([this, expected] { return cpus_in_crash_->value >= expected; }, profile_.arrival_timeout,
                          L.arrival_wait);
  if (crash) {
    co_await cpu.local(L.save_self, "crash_save_cpu");
    m_.RecordSave(cpu.id(), true);
  }
  co_await cpu.write(*time_to_dump_, 1, L.go);
  const uint64_t deadline = m_.now() + kParkTimeout;
  for (uint32_t c : woken) {
    const uint64_t left = m_.now() < deadline ? deadline - m_.now() : 0;
    co_await WaitParked(cpu, c, left, L.park_wait);
  }
  // CPUs that came online during the crash joined the receiver themselves: wait for them too.
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id() || !in_receiver_[c] || std::find(woken.begin(), woken.end(), c) != woken.end()) continue;
    const uint64_t left = m_.now() < deadline ? deadline - m_.now() : 0;
    co_await WaitParked(cpu, c, left, L.park_wait);
  }
  if (profile_.collect_offline != nullptr) co_await profile_.collect_offline(*this, cpu);
  // A CPU caught between the offline loop and the online set (cpu_up in flight) was neither woken nor kicked; it
  // sees crashing_cpu itself once online and joins the receiver. So does a loser still in its self-stop (it may
  // have lost panic() after the wake round, e.g. during its own bring-up or take-down). Hand over only when every
  // CPU is parked for good (or can never run again), within the same deadline. A CPU firmware is about to start
  // (PSCI CPU_ON, or opal_start_cpu's job, issued before the crash) is not parked for good: it starts, comes online
  // and joins the receiver (ComeUp).
  const auto settled = [](const Cpu& other) {
    return (Info(other.location()).parked && other.location() != Location::kLoserSpin &&
            !other.firmware_start_queued()) ||
           other.finished();
  };
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    const Cpu& other = m_.cpu(c);
    if (c == cpu.id() || settled(other)) continue;
    const uint64_t left = m_.now() < deadline ? deadline - m_.now() : 0;
    co_await cpu.wait_until([&other, &settled] { return settled(other); }, left, L.park_wait);
  }
  if (!crash) {
    // The relocation code runs from the kexec control page, which relocation does not overwrite.
    cpu.set_code_region(Region::kKexecControl);
    cpu.set_held_sources(cpu.held_sources() | profile_.relocation_holds);
    for (Region r : profile_.kexec_relocation) co_await cpu.overwrite(r, "K3");
  }
  co_await cpu.handover(crash ? profile_.crash_handover_regions : std::vector<Region>{}, L.handover);
}

Task<bool> ReferenceProgram::WaitParked(Cpu& self, uint32_t c, uint64_t timeout_ns, Label label) {
  // The reference waits for the parked state itself (an idealisation: no TRANSIT window at hand-over).
  const Cpu& target = m_.cpu(c);
  co_return co_await self.wait_until([&target] { return Info(target.location()).parked; }, timeout_ns, label);
}

Task<> ReferenceProgram::Receiver(Cpu& cpu) {
  const ReferenceLabels& L = profile_.labels;
  if (in_receiver_[cpu.id()]) co_return;  // re-entry (a second wake): already saved and counted
  in_receiver_[cpu.id()] = true;
  co_await cpu.irq_disable(L.r_irq_off);
  if (crash_) {
    co_await cpu.local(L.r_save, "crash_save_cpu");
    m_.RecordSave(cpu.id(), true);
  }
  cpu.set_location(Location::kReceiverWait);
  co_await cpu.fetch_add(*cpus_in_crash_, 1, L.r_count);
  if (crash_) m_.RecordResponse(cpu.id());  // a kexec stop is acknowledged, but is not a crash arrival
  co_await cpu.wait_until([this] { return time_to_dump_->value == 1; }, kForever, L.r_wait);
  cpu.set_location(Location::kTransit);
  co_await Park(cpu, L.r_park);
}

std::unique_ptr<Program> MakeReference(Machine& machine) {
  return std::make_unique<ReferenceProgram>(machine, ReferenceProfileFor(machine.config().family()));
}

}  // namespace crashdiff
