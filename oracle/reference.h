// The reference model (ARCHITECTURE §6): the crash/kexec protocol as DOMAIN.md intends it, without implementation
// accidents. It runs as a Program on the same simulator and scenario as the targets, so events, hotplug requests
// and the schedule apply the same way. What it guarantees, by construction:
//   - the crash wake cannot be lost: it is a non-maskable, non-clearable source (ppc system reset, x86/arm64
//     NMI), sent after crashing_cpu is written and a full barrier;
//   - every expected responder (and every loser) enters the receiver exactly once: saved once, counted once;
//   - offline CPUs are collected too (ppc: woken into the receiver; x86: kicked into HLT by a handshake;
//     arm64: already in firmware after CPU_OFF);
//   - the initiator waits a bounded time for arrivals and for every collected CPU to be parked, then hands over.
// One engine serves all families; a profile per family (reference_<family>.cc) says what differs.
#pragma once

#include <memory>
#include <vector>

#include "sim/machine.h"
#include "sim/program.h"

namespace crashdiff {

class ReferenceProgram;

// Step labels of the reference, the DOMAIN.md step ids where the reference has the same step (DOMAIN §2.8, §2.9,
// §3.9, §3.10, §3.11), so scenario events triggered on a label fire in the reference run too.
struct ReferenceLabels {
  Label write_crashing, barrier, send_online, send_offline, arrival_wait, save_self, go, park_wait, handover;
  Label r_irq_off, r_save, r_count, r_wait, r_park, wake_check;
};

// Hotplug in the reference (cpu_down / cpu_up as the protocol intends), with the targets' step labels for the same
// moments (sim/trigger_points.h). Hotplug operations run one at a time (begin / end take and drop the hotplug lock,
// kernel/cpu.c's cpu_add_remove_lock, which every family's kernel takes). The requester asks (down_check,
// down_request) and waits (down_wait); the dying CPU leaves the online set (its profile's take_down) and walks into
// the offline loop; cpu_up (up_* labels) asks the offline loop to return, and the CPU comes back online (come_up)
// and idles again.
struct ReferenceHotplug {
  Label down_begin, down_check, down_request, down_wait, down_end;
  Label up_begin, up_check, up_request, up_wait, up_end;
  // A normal kexec owns the machine (kexec_lock), then waits for the hotplug operation in progress and disables
  // hotplug until it runs on the reboot CPU (kernel_kexec's cpu_hotplug_disable / enable pair, kexec_wait): under
  // the targets' labels for those moments.
  Label kexec_lock, kexec_wait;
  bool process_context_only;  // x86/arm64: hotplug and kexec are system calls: base frame, interrupts on
  bool (*can_down)(const Machine& machine, uint32_t target);  // x86: not the boot CPU; arm64: not on spin-table
  bool (*can_up)(const Machine& machine, uint32_t target);    // arm64: not on spin-table (nothing hotpluggable)
  // The dying CPU, from the stop request to the offline loop (leaves the online set on the way).
  Task<> (*take_down)(ReferenceProgram& program, Cpu& cpu);
  // The requester's wake of an offline CPU asked to come up (ppc: a doorbell; x86: the loop's line; arm64: PSCI
  // CPU_ON, which starts the core at firmware_entry).
  Task<> (*kick_up)(ReferenceProgram& program, Cpu& requester, uint32_t target);
  // A never-started CPU asked to come up: the requester asks firmware to start it (ppc opal_start_cpu,
  // Cpu::QueueFirmwareStart). nullptr: the family's targets never start one (the request does nothing).
  Task<> (*start_request)(ReferenceProgram& program, Cpu& requester, uint32_t target);
  // What a CPU firmware started runs (on a fresh stack) before it idles online (arm64 after CPU_ON, ppc after
  // opal_start_cpu: back online); null where no firmware starts one.
  Task<> (*firmware_entry)(ReferenceProgram& program, Cpu& cpu);
};

struct ReferenceProfile {
  pb::Family family;
  Source wake;  // the crash wake: non-maskable, cannot be cleared by the receiver
  // How long the initiator waits for arrivals: the family's own bound (ppc IPI_TIMEOUT 10 s; x86 nmi_shootdown_cpus
  // 1 s; arm64 crash_smp_send_stop 1 s), so the reference is held to the same PR8 bound as the targets.
  uint64_t arrival_timeout;
  // Parks a collected CPU for good (OPAL return, PSCI CPU_OFF, x86 INIT or HLT).
  Task<> (*park)(ReferenceProgram& program, Cpu& cpu, Label label);
  // What an offline CPU runs from the start (its offline loop).
  Task<> (*offline_loop)(ReferenceProgram& program, Cpu& cpu);
  // How the initiator collects offline CPUs before hand-over (ppc: wakes them into the receiver like every
  // other CPU; x86: the handshake kick; arm64: nothing, they are in firmware).
  bool wake_offline_into_receiver;
  Task<> (*collect_offline)(ReferenceProgram& program, Cpu& initiator);
  std::vector<Region> crash_handover_regions;  // overwritten when the kdump kernel takes over
  std::vector<Region> kexec_relocation;        // overwritten by a normal kexec before the jump
  SourceMask relocation_holds;                 // what the kexec CPU holds off while relocating (arm64: DAIF)
  ReferenceLabels labels;
  ReferenceHotplug hotplug;
  Label oops_entry;  // die() entry (x86/arm64 D0, ppc DIE)
  Label oops;        // die(): the oops is printed under the die lock (x86/arm64 D2, ppc DIE)
  Label nmi_entry;   // x86 exc_nmi() entry (N0); empty elsewhere
};

const ReferenceProfile& PpcReferenceProfile();
const ReferenceProfile& X86ReferenceProfile();
const ReferenceProfile& Arm64ReferenceProfile();
const ReferenceProfile& ReferenceProfileFor(pb::Family family);

class ReferenceProgram : public Program {
 public:
  ReferenceProgram(Machine& machine, const ReferenceProfile& profile);

  Task<> Start(Cpu& cpu) override;
  Task<> Interrupt(Cpu& cpu, Source source) override;
  Task<> Software(Cpu& cpu, const pb::Event& event) override;
  Task<> FirmwareEntry(Cpu& cpu) override;

  // Used by the family files.
  Machine& machine() { return m_; }
  Var& crashing_cpu() { return *crashing_cpu_; }
  Var& offline_control(uint32_t c) { return *offline_control_[c]; }
  Task<> Receiver(Cpu& cpu);
  // Parks cpu with the profile's park; from then on interrupts it still takes return at once.
  Task<> Park(Cpu& cpu, Label label);
  void MarkParked(uint32_t cpu) { parked_[cpu] = true; }
  // Waits (bounded) until CPU c is in a parked location.
  Task<bool> WaitParked(Cpu& self, uint32_t c, uint64_t timeout_ns, Label label);
  bool in_receiver(uint32_t c) const { return in_receiver_[c]; }

  // Hotplug state: the online set (cpu_online_mask), the dead report, the request to come up.
  Var& online(uint32_t c) { return *online_[c]; }
  bool is_online(uint32_t c) const { return online_[c]->value == 1; }
  Var& dead(uint32_t c) { return *dead_[c]; }
  // Flips the CPU's online bit and books the hotplug transition (Machine::RecordOnline).
  Task<> SetOnline(Cpu& cpu, bool online, Label label);
  // Back online after cpu_up: with crashing_cpu written before the initiator looked at the online set, the CPU
  // joins the receiver itself (either the initiator saw it online and woke it, or it sees the crash here).
  // The caller enables interrupts after its own remaining steps.
  Task<> ComeUp(Cpu& cpu, Label label);

  static constexpr int64_t kKick = 1;
  static constexpr int64_t kUp = 2;  // offline_control: cpu_up asks the offline loop to return

 private:
  Task<> Panic(Cpu& cpu);
  Task<> Loser(Cpu& cpu);
  Task<> Initiator(Cpu& cpu, bool crash);
  // The normal kexec (kernel_kexec): owns the machine, disables hotplug, and collects it from the reboot CPU.
  Task<> KernelKexec(Cpu& cpu);
  Task<> MigrateToRebootCpu(Cpu& cpu);
  Task<> RebootCpuKexec(Cpu& cpu, bool crash = false);
  Task<> DisableHotplug(Cpu& cpu, Label label, Cpu::Resume elsewhere);
  Task<> SetHotplugDisabled(Cpu& cpu, int64_t disabled, Label label);
  Task<bool> LockHotplugForKexec(Cpu& cpu, Label label);
  Task<> Idle(Cpu& cpu, bool offline);
  Task<> OnlineIdle(Cpu& cpu);
  Task<> CpuDown(Cpu& cpu, uint32_t target);
  Task<> CpuUp(Cpu& cpu, uint32_t target);
  Task<> LockHotplug(Cpu& cpu, Label label, Cpu::Resume elsewhere = nullptr);
  void MoveSleepingTaskOf(uint32_t target);
  uint32_t FirstOnline(uint32_t except = kNoCpu) const;  // the lowest online CPU but `except`; num_cpus if none
  Task<> UnlockHotplug(Cpu& cpu, Label label);
  bool HotplugEnabled() const;
  bool SyscallAllowed(const Cpu& cpu) const;

  Machine& m_;
  const ReferenceProfile& profile_;
  Var* panic_cpu_;
  Var* crashing_cpu_;
  Var* cpus_in_crash_;
  Var* time_to_dump_;
  Var* hotplug_lock_;      // the CPU holding it, -1 when free
  Var* hotplug_disabled_;  // cpu_hotplug_disabled: a normal kexec on its way to the reboot CPU
  std::vector<Var*> offline_control_;
  std::vector<Var*> online_;
  std::vector<Var*> dead_;
  std::vector<Var*> down_request_;
  std::vector<bool> in_receiver_;
  std::vector<bool> parked_;
  uint32_t kexec_pending_on_ = kNoCpu;  // the CPU holding a normal kexec's remaining work (asleep or queued)
  bool crash_ = false;  // the shutdown in progress is a crash (saves registers), not a normal kexec
};

std::unique_ptr<Program> MakeReference(Machine& machine);

}  // namespace crashdiff
