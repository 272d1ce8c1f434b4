// The arm64 kernel model: PSCI / spin-table CPU hotplug, the crash stop (crash_smp_send_stop with IPI then
// pseudo-NMI), the loser's self-offline, panic arbitration and normal kexec (DOMAIN §3.11, §4).
// Sources: torvalds/linux arch/arm64/kernel/{smp.c,machine_kexec.c,psci.c,traps.c}, kernel/{panic.c,kexec_core.c}.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/cpu.h"
#include "sim/machine.h"
#include "sim/program.h"
#include "targets/common/crash_core.h"
#include "targets/common/stop_machine.h"

namespace crashdiff::arm64 {

using common::kNoCpuId;
// cpu_down_request values: a user cpu_down, and kexec's smp_shutdown_nonboot_cpus (which collects the CPU).
inline constexpr int64_t kDownForHotplug = 1;
inline constexpr int64_t kDownForKexec = 2;
inline constexpr uint32_t kIpiCallFunc = 1;  // IPI_CALL_FUNC (wakes a stopper for cpu_down)
inline constexpr uint32_t kIpiCpuStop = 2;   // IPI_CPU_STOP
// cpuhp ap_sync_state (kernel/cpu.c, CONFIG_HOTPLUG_CORE_SYNC since v6.5) as the model keeps it in cpuhp_dead:
// ONLINE (and SHOULD_DIE: the model does not tell them apart), DEAD (cpuhp_ap_report_dead), KICKED (bringup_cpu).
inline constexpr int64_t kSyncOnline = 0;
inline constexpr int64_t kSyncDead = 1;
inline constexpr int64_t kSyncKicked = 2;
// secondary_data.status (arch/arm64/include/asm/smp.h): what the booting CPU reached.
inline constexpr int64_t kCpuMmuOff = -1;
inline constexpr int64_t kCpuBootSuccess = 0;
inline constexpr int64_t kCpuStuckInKernel = 2;
inline constexpr int64_t kCpuBootStatusMask = 0xff;
// PSCI return codes (Arm DEN0022 "Power State Coordination Interface", CPU_ON).
inline constexpr int64_t kPsciSuccess = 0;
inline constexpr int64_t kPsciAlreadyOn = -4;
inline constexpr int64_t kPsciOnPending = -5;
inline constexpr int64_t kEinval = 22;

// PSCI CPU_ON as firmware performs it (DEN0022 §5.6): a core that is OFF (it called CPU_OFF, or never ran: a CPU
// maxcpus= left to firmware) is powered on and starts at the kernel's entry point (ON_PENDING until it runs); one
// that is ON returns ALREADY_ON and nothing changes.
int64_t PsciCpuOn(Machine& m, uint32_t target);
// psci_to_linux_errno(): every CPU_ON failure code but NOT_SUPPORTED / DENIED is -EINVAL.
inline int64_t PsciToLinuxErrno(int64_t psci) {
  return psci == kPsciSuccess ? 0 : -kEinval;
}

class Arm64Kernel : public Program, private common::CrashArch, private common::KexecArch {
 public:
  explicit Arm64Kernel(Machine& m);

  Task<> Start(Cpu& cpu) override;
  Task<> Interrupt(Cpu& cpu, Source source) override;
  Task<> Software(Cpu& cpu, const pb::Event& event) override;
  Task<> FirmwareEntry(Cpu& cpu) override;  // secondary_entry after PSCI CPU_ON (arm64_cpu_up.cc)

 private:
  // arm64_hotplug.cc: cpu_die (PSCI CPU_OFF), spin-table CPUs stuck in the kernel, cpu_down for kexec.
  Task<> CpuDie(Cpu& cpu);
  Task<> StuckInKernel(Cpu& cpu);
  Task<> CpuStopper(Cpu& cpu);
  Task<> TakeCpuDown(Cpu& cpu, bool for_kexec);
  Task<> CpuDown(Cpu& cpu, uint32_t target);
  Task<> CpuDownLocked(Cpu& cpu, uint32_t target, uint64_t timeout_ns, int64_t request);
  Task<> OpCpuKill(Cpu& cpu, uint32_t target);
  Task<> DaifMask(Cpu& cpu, Label label);
  // arm64_cpu_up.cc: cpu_up (kernel/cpu.c bringup_cpu, smp.c __cpu_up, psci.c cpu_psci_cpu_boot) and the booting
  // CPU's secondary_start_kernel.
  Task<> CpuUp(Cpu& cpu, uint32_t target);
  Task<> BringupCpu(Cpu& cpu, uint32_t target);
  Task<bool> CpuUpArch(Cpu& cpu, uint32_t target);
  Task<> CpuUpFailed(Cpu& cpu, uint32_t target);
  // hotplug: a user cpu_down (booked for the oracle's roles); false for what collects the CPU: the crash stop,
  // local_cpu_stop, and kexec's smp_shutdown_nonboot_cpus.
  Task<> SetCpuOnline(Cpu& cpu, bool online, Label label, bool hotplug = true);
  bool PsciCanTurnOff(uint32_t cpu) const;
  // num_other_online_cpus(): as a step (reads) and as a wait condition.
  Task<int64_t> NumOtherOnline(Cpu& cpu, Label label);
  bool OthersOnline(uint32_t self) const;

  // arm64_stop.cc: smp_send_stop (A1-A4) and the IPI_CPU_STOP receivers.
  Task<> SmpSendStop(Cpu& cpu) override;
  Task<> IpiCpuStop(Cpu& cpu);
  Task<> IpiCpuCrashStop(Cpu& cpu);
  Task<> LocalCpuStop(Cpu& cpu);

  // arm64_crash.cc: the crash path's arm64 hooks (targets/common/crash_core.h), die().
  Task<> PanicIrqDisable(Cpu& cpu, Label l) override;
  Task<> PanicSmpSelfStop(Cpu& cpu, bool nmi_panic) override;
  Task<> PanicCrashSmpSendStop(Cpu& cpu) override;
  Task<> MachineCrashShutdown(Cpu& cpu, common::Regs regs) override;
  Task<> MachineKexec(Cpu& cpu) override;
  Task<> Oops(Cpu& cpu);
  Task<> CrashSmpSendStop(Cpu& cpu);
  Task<bool> CpusAreStuckInKernel(Cpu& cpu, Label label);

  // arm64_kexec.cc: the normal kexec's arm64 hooks (targets/common/crash_core.h KexecArch): machine_kexec_prepare,
  // machine_shutdown (smp_shutdown_nonboot_cpus), machine_kexec.
  Task<bool> MachineKexecPrepare(Cpu& cpu, Label l) override;
  bool CpuOnline(uint32_t c) const override { return online_[c]->value == 1; }
  Task<> MachineShutdown(Cpu& cpu) override;
  Task<bool> MachineKexecCheck(Cpu& cpu, Label l) override;
  Task<> MachineKexecIrqDisable(Cpu& cpu, Label l) override;
  std::string_view RelocationEntry() const override;

  bool spin_table() const { return m_.config().platform() == pb::ARM64_SPIN_TABLE; }

  Machine& m_;
  Var& panic_cpu_;
  Var& kexec_lock_;
  Var& die_lock_;
  common::CpuMaps cpu_maps_;  // cpu_add_remove_lock, cpu_hotplug_disabled
  Var& kexec_in_progress_;
  Var& crash_stop_;        // "this stop is a crash stop", set once by crash_smp_send_stop
  Var& stop_in_progress_;  // smp_send_stop's static test-and-set bit
  Var& num_online_;
  Var& cpus_stuck_in_kernel_;
  std::vector<Var*> online_;            // cpu_online_mask
  std::vector<Var*> die_request_;       // why this CPU goes down (kDownForHotplug / kDownForKexec), read in RUN
  common::StopMachine stop_machine_;    // cpu_down's stop_machine: every online CPU's stopper, take_cpu_down on one
  std::vector<Var*> dead_;              // cpuhp ap_sync_state: kSyncOnline / kSyncDead / kSyncKicked
  std::vector<Var*> done_up_;           // cpuhp_cpu_state.done_up: the booting CPU reached cpuhp_online_idle
  Var& cpu_running_;                    // smp.c's cpu_running completion (its done count)
  Var& boot_status_;                    // secondary_data.status
  Var& early_boot_status_;              // __early_cpu_boot_status (head.S; the model's entry never writes it)
  std::vector<Var*> stop_nmi_pending_;  // GIC: the IPI_CPU_STOP_NMI SGI is pending for this CPU
  common::CrashCore crash_;             // panic(), crash_kexec(), __crash_kexec() (targets/common/)
  common::KexecCore kexec_;             // kernel_kexec() (targets/common/)
};

}  // namespace crashdiff::arm64
