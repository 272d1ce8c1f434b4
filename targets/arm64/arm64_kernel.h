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

namespace crashdiff::arm64 {

inline constexpr int64_t kNoCpuId = -1;
// cpu_down_request values: a user cpu_down, and kexec's smp_shutdown_nonboot_cpus (which collects the CPU).
inline constexpr int64_t kDownForHotplug = 1;
inline constexpr int64_t kDownForKexec = 2;
inline constexpr uint32_t kIpiCallFunc = 1;  // IPI_CALL_FUNC (stop_machine work for cpu_down)
inline constexpr uint32_t kIpiCpuStop = 2;   // IPI_CPU_STOP

class Arm64Kernel : public Program, private common::CrashArch, private common::KexecArch {
 public:
  explicit Arm64Kernel(Machine& m);

  Task<> Start(Cpu& cpu) override;
  Task<> Interrupt(Cpu& cpu, Source source) override;
  Task<> Software(Cpu& cpu, const pb::Event& event) override;

 private:
  // arm64_hotplug.cc: cpu_die (PSCI CPU_OFF), spin-table CPUs stuck in the kernel, cpu_down for kexec.
  Task<> CpuDie(Cpu& cpu);
  Task<> StuckInKernel(Cpu& cpu);
  Task<> TakeCpuDown(Cpu& cpu, bool for_kexec);
  Task<> CpuDown(Cpu& cpu, uint32_t target);
  Task<> CpuDownLocked(Cpu& cpu, uint32_t target, uint64_t timeout_ns, int64_t request);
  Task<> OpCpuKill(Cpu& cpu, uint32_t target);
  Task<> LockCpuMaps(Cpu& cpu, Label label);
  Task<> UnlockCpuMaps(Cpu& cpu, Label label);
  Task<> DaifMask(Cpu& cpu, Label label);
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
  Task<> CpuHotplugDisable(Cpu& cpu, int delta, Label l) override;
  Task<> MachineShutdown(Cpu& cpu) override;
  Task<bool> MachineKexecCheck(Cpu& cpu, Label l) override;
  Task<> MachineKexecIrqDisable(Cpu& cpu, Label l) override;
  std::string_view RelocationEntry() const override;

  bool spin_table() const { return m_.config().platform() == pb::ARM64_SPIN_TABLE; }

  Machine& m_;
  Var& panic_cpu_;
  Var& kexec_lock_;
  Var& die_lock_;
  Var& cpu_add_remove_lock_;
  Var& cpu_hotplug_disabled_;
  Var& kexec_in_progress_;
  Var& crash_stop_;        // "this stop is a crash stop", set once by crash_smp_send_stop
  Var& stop_in_progress_;  // smp_send_stop's static test-and-set bit
  Var& num_online_;
  Var& cpus_stuck_in_kernel_;
  std::vector<Var*> online_;            // cpu_online_mask
  std::vector<Var*> die_request_;       // stop_machine work: take this CPU down
  std::vector<Var*> dead_;              // cpuhp: the CPU reported dead
  std::vector<Var*> stop_nmi_pending_;  // GIC: the IPI_CPU_STOP_NMI SGI is pending for this CPU
  common::CrashCore crash_;             // panic(), crash_kexec(), __crash_kexec() (targets/common/)
  common::KexecCore kexec_;             // kernel_kexec() (targets/common/)
};

}  // namespace crashdiff::arm64
