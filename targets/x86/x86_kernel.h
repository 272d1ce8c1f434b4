// The x86 kernel model shared by every x86 target: one Program whose pieces (offline play-dead loops, the
// stop-other-CPUs path, the kdump NMI shootdown, panic arbitration, normal kexec) live in small files of their
// own. A target is this model with one X86Variant, i.e. one point in the kernel's history (DOMAIN §3.8-§3.10, §4).
// Sources: torvalds/linux arch/x86/kernel/{smpboot.c,smp.c,reboot.c,crash.c,machine_kexec_64.c,nmi.c},
// kernel/{panic.c,kexec_core.c}; commits named where each step is modelled.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "sim/cpu.h"
#include "sim/machine.h"
#include "sim/program.h"
#include "targets/common/crash_core.h"
#include "targets/common/stop_machine.h"

namespace crashdiff::x86 {

// Which era of the kernel a target models.
struct X86Variant {
  // f9c9987bf52f + d7893093a741 (2023): offline CPUs monitor a dedicated {control, status} record and the kexec
  // path kicks them into HLT (smp_kick_mwait_play_dead). false: they monitor the idle task's thread flags.
  bool dedicated_mwait_line = false;
  // 1f5e7eb7868e "x86/smp: Make stop_other_cpus() more robust" (2023): wait on cpus_stop_mask, which a target
  // clears right before HLT, instead of num_online_cpus(), which it clears first.
  bool robust_stop_mask = false;
  // 45e34c8af58f: after the reboot-vector wait, send INIT to every other present CPU; b1472a60a584: only when
  // running on the boot CPU; Aug 2023 follow-up: only CPUs booted at least once.
  bool park_in_init = false;
};

// Kernel constants (values from the kernel sources).
using common::kNoCpuId;
inline constexpr int64_t kCpuDeadMwaitWait = 0xDEADBEEF;      // CPUDEAD_MWAIT_WAIT
inline constexpr int64_t kCpuDeadMwaitKexecHlt = 0x4A17DEAD;  // CPUDEAD_MWAIT_KEXEC_HLT
inline constexpr uint32_t kRebootVector = 0xf8;               // REBOOT_VECTOR
inline constexpr uint32_t kCallFunctionVector = 0xfc;         // CALL_FUNCTION_VECTOR (stop_machine work)
inline constexpr int kKickAttempts = 1000;                    // smp_kick_mwait_play_dead: 1000 x 5 us
inline constexpr uint64_t kKickDelayNs = 5 * kUs;

class X86Kernel : public Program, private common::CrashArch, private common::KexecArch {
 public:
  X86Kernel(Machine& m, X86Variant variant);

  Task<> Start(Cpu& cpu) override;
  Task<> Interrupt(Cpu& cpu, Source source) override;
  Task<> Software(Cpu& cpu, const pb::Event& event) override;

 protected:
  // The family's building blocks are protected, as in PpcKernel: a patch (or a test-only mutant) subclasses
  // X86Kernel and overrides the one function it changes (docs/PATCH-WORKFLOW.md).
  // x86_play_dead.cc: offline CPUs (smpboot.c mwait_play_dead / hlt_play_dead) and INIT.
  Task<> SmpCallin(Cpu& cpu);
  Task<> PlayDead(Cpu& cpu);
  Task<> MwaitPlayDeadThreadFlags(Cpu& cpu);
  Task<> MwaitPlayDeadDedicated(Cpu& cpu);
  Task<> HaltForever(Cpu& cpu, Label label);
  Task<> WaitForSipi(Cpu& cpu);
  Task<> MachineCheck(Cpu& cpu);

  // x86_stop.cc: native_stop_other_cpus and its receivers.
  // hotplug: a cpu_down/cpu_up transition (booked for the oracle's roles); false for stop_this_cpu.
  Task<> SetCpuOnline(Cpu& cpu, bool online, Label label, bool hotplug = true);
  Task<> StopOtherCpus(Cpu& cpu, bool wait);
  Task<> KickMwaitPlayDead(Cpu& cpu);
  Task<bool> ParkOtherCpusInInit(Cpu& cpu);
  Task<> StopThisCpu(Cpu& cpu);
  // ordered: the send makes this CPU's earlier stores visible first (x2APIC weak_wrmsr_fence, xAPIC's uncached
  // ICR store): true for every kernel the family models.
  Task<> SendToOthers(Cpu& cpu, Source kind, Label label, bool only_stop_mask, bool ordered = true);
  bool OthersStopped(uint32_t self) const;
  void SendSystemVector(uint32_t target, uint32_t vector);

  // x86_crash.cc: the crash path's x86 hooks (targets/common/crash_core.h), die(), the kdump NMI shootdown.
  Task<> PanicIrqDisable(Cpu& cpu, Label l) override;
  Task<> PanicSmpSelfStop(Cpu& cpu, bool nmi_panic) override;
  Task<> SmpSendStop(Cpu& cpu) override;
  Task<> PanicCrashSmpSendStop(Cpu& cpu) override;
  Task<> MachineCrashShutdown(Cpu& cpu, common::Regs regs) override;
  Task<> MachineKexec(Cpu& cpu) override;
  Task<> Oops(Cpu& cpu);
  Task<> OopsBegin(Cpu& cpu);
  Task<> OopsEnd(Cpu& cpu);
  Task<> CrashSmpSendStop(Cpu& cpu);
  Task<> NmiShootdownCpus(Cpu& cpu);
  // Whether nmi_shootdown_cpus orders the stores it publishes before its NMI: the wmb() and the send's own fence
  // (SendToOthers `ordered`). Every kernel does; only a test-only mutant says no.
  virtual bool ShootdownOrdersStores() const { return true; }
  Task<> CrashNmiCallback(Cpu& cpu);
  Task<> PanicSelfStop(Cpu& cpu);
  Task<> Nmi(Cpu& cpu);

  // x86_kexec.cc: the normal kexec's x86 hooks (targets/common/crash_core.h KexecArch): native_machine_shutdown,
  // machine_kexec.
  Task<bool> MachineKexecPrepare(Cpu& cpu, Label l) override;
  Task<> MachineShutdown(Cpu& cpu) override;
  Task<bool> MachineKexecCheck(Cpu& cpu, Label l) override;
  Task<> MachineKexecIrqDisable(Cpu& cpu, Label l) override;
  std::string_view RelocationEntry() const override;

  // x86_hotplug.cc: cpu_down / cpu_up requested by another CPU.
  Task<> CpuDown(Cpu& cpu, uint32_t target);
  Task<> CpuDownLocked(Cpu& cpu, uint32_t target);
  Task<> CpuStopper(Cpu& cpu);
  Task<> TakeCpuDown(Cpu& cpu);
  Task<> CpuUp(Cpu& cpu, uint32_t target);
  Task<> CpuUpLocked(Cpu& cpu, uint32_t target);
  Task<> StartSecondary(Cpu& cpu);
  bool CpuOnline(uint32_t c) const override { return online_[c]->value == 1; }

  Machine& m_;
  X86Variant v_;
  // Shared kernel variables (every access is a step).
  Var& panic_cpu_;
  Var& kexec_lock_;
  Var& die_lock_;        // arch_spinlock_t die_lock: 0 free, 1 held
  Var& die_owner_;       // dumpstack.c die_owner: the CPU inside oops_begin/oops_end, -1 none
  Var& die_nest_count_;  // dumpstack.c die_nest_count: nested oopses on the owner
  common::CpuMaps cpu_maps_;  // cpu_add_remove_lock, cpu_hotplug_disabled
  Var& kexec_in_progress_;
  Var& stopping_cpu_;
  Var& num_online_;
  Var& stop_nmi_handler_;   // register_stop_handler() done
  Var& crash_nmi_handler_;  // crash_nmi_callback registered (NMI_FLAG_FIRST: first in the chain)
  Var& crashing_cpu_;
  Var& shootdown_callback_;  // 1 = kdump_nmi_callback
  Var& waiting_for_crash_ipi_;
  Var& crash_ipi_issued_;
  Var& crash_cpus_stopped_;         // crash_smp_send_stop's static cpus_stopped
  std::vector<Var*> online_;        // cpu_online_mask
  std::vector<Var*> stop_mask_;     // cpus_stop_mask
  std::vector<Var*> thread_flags_;  // idle task thread_info->flags: the pre-2023 monitored line
  std::vector<Var*> md_control_;    // mwait_cpu_dead.control (the dedicated line)
  std::vector<Var*> md_status_;     // mwait_cpu_dead.status
  std::vector<Var*> cpu_dead_;      // cpuhp: the CPU reported dead
  std::vector<Var*> sipi_;          // STARTUP IPI received (wait-for-SIPI ends)
  common::StopMachine stop_machine_;  // cpu_down's stop_machine: every online CPU's stopper, take_cpu_down on one
  // CPU-local hardware state (not shared memory).
  std::vector<bool> apic_enabled_;
  std::vector<bool> in_wait_for_sipi_;
  // The local APIC's IRR bits of the kernel's own system vectors (REBOOT_VECTOR, CALL_FUNCTION_VECTOR), set only by
  // the kernel's IPI sends. A DEVICE_IRQ's number is a device's IRQ, which the vector allocator maps below
  // FIRST_SYSTEM_VECTOR: whatever its value, it never runs a system vector's handler.
  std::vector<std::set<uint32_t>> system_irr_;
  // The frame depth at which the CPU spins in oops_begin's arch_spin_lock(&die_lock) with interrupts off; 0 when
  // it does not. That loop calls nothing, so a software event cannot start directly on top of it.
  std::vector<size_t> die_spin_depth_;
  bool stuck_reported_ = false;  // pr_err_once
  common::CrashCore crash_;      // panic(), crash_kexec(), __crash_kexec() (targets/common/)
  common::KexecCore kexec_;      // kernel_kexec() (targets/common/)
};

}  // namespace crashdiff::x86
