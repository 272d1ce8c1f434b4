// PpcKernel: the powernv kernel model every powerpc target runs (DOMAIN §2), parameterised by a Variant (the only
// difference between the implementations of §3.1-§3.6). The methods are split by job over several files:
//   ppc_kernel.cc      CPU lifecycle, interrupt entry, soft-masking and lazy replay, software events
//   tick.cc            timer_interrupt, the masked decrementer, the online tick and tickless idle
//   nmi_ipi.cc         the NMI-IPI layer (§2.6)
//   wake_mechanisms.cc senders (§2.4), clears (§2.5), the IPI interrupt handlers and demux
//   offline_loop.cc    pnv_smp_cpu_kill_self and pnv_cpu_offline (§2.2, §3.1-§3.3, §3.7)
//   initiator.cc       default_machine_crash_shutdown and machine_kexec (§2.8, §2.10, §3.6)
//   receiver.cc        crash_ipi_callback, system_reset_exception, crash_kexec_secondary (§2.9)
//   arbitration.cc     the hooks of the generic panic / crash_kexec (targets/common/), die (§2.7, §4)
//   hotplug.cc         cpu_down / cpu_up (pnv_smp_kick_cpu, opal_start_cpu) and the dying CPU's path to the
//                      offline loop (§2.1); a never-started thread's way from firmware to start_secondary
//   kexec.cc           the normal kexec: kernel_kexec's powerpc hooks, default_machine_kexec, kexec_prepare_cpus
//   kvm.cc             KVM HV (machine.kvm_hv): POWER8 guests on offline secondary threads; the POWER9 offline
//                      stop's hwthread_state / hwthread_req handshake
//   idle_stop.cc       pnv_cpu_offline by the firmware's idle states (Firmware.idle_states): PSSCR, ESL/EC, the
//                      core idle lock and the restore after a state-losing wake
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "sim/machine.h"
#include "targets/common/stop_machine.h"
#include "targets/ppc/idle_states.h"
#include "targets/ppc/kvm.h"
#include "targets/ppc/ppc_state.h"

namespace crashdiff::ppc {

class PpcKernel : public Program, private common::CrashArch, private common::KexecArch {
 public:
  PpcKernel(Machine& m, const Variant& v);

  Task<> Start(Cpu& cpu) override;
  Task<> Interrupt(Cpu& cpu, Source source) override;
  // A never-started thread opal_start_cpu started: generic_secondary_smp_init on a fresh stack (hotplug.cc).
  Task<> FirmwareEntry(Cpu& cpu) override;
  Task<> Software(Cpu& cpu, const pb::Event& event) override;
  virtual Task<> SoftwareTask(Cpu& cpu, const pb::Event& event);  // what the event runs, once out of the idle loop

  // The family's building blocks are protected: a patch target subclasses PpcKernel and overrides the one function
  // its patch changes (OfflineWake is the one the kernel's history changed most).
 protected:
  // ppc_kernel.cc
  Task<> CpuLife(Cpu& cpu, bool starts_offline);
  Task<> OnlineIdle(Cpu& cpu);
  Task<> SoftIrqDisable(Cpu& cpu, Label l);
  Task<> SoftIrqRestore(Cpu& cpu, Label l);
  // A wait from a budget the caller keeps across waits (a kernel loop that counts its udelay(1)s down): at most
  // budget_ns, which loses the time the wait took (0 once used up; kForever stays). Returns whether pred held.
  Task<bool> WaitFromBudget(Cpu& cpu, std::function<bool()> pred, uint64_t& budget_ns, Label l);
  // hotplug: a cpu_down/cpu_up transition (booked for the oracle's roles); false for stop_this_cpu.
  Task<> SetOnline(Cpu& cpu, uint32_t c, bool online, Label l, bool hotplug = true);
  Task<> MachineCheck(Cpu& cpu);
  Task<> LooseInVectors(Cpu& cpu, Source source);
  PerCpu& pc(const Cpu& cpu) { return s_.cpu[cpu.id()]; }
  const pb::Firmware& fw() const { return m_.config().firmware(); }
  pb::Platform platform() const { return m_.config().platform(); }
  bool XiveEnabled() const;
  // LPCR after cpu setup at boot (__setup_cpu_power8 / __setup_cpu_power9 and __init_LPCR_ISA206 / ISA300).
  uint64_t BootLpcr() const;
  // pnv_program_cpu_hotplug_lpcr also programs the stop-api when the deepest idle state loses full context.
  bool LpcrViaStopApi() const { return idle_.lpcr_via_stop_api; }

  // tick.cc: the decrementer as the timer code drives it (Machine.tick_ns).
  Task<> TimerInterrupt(Cpu& cpu);
  Task<> MaskedDecrementer(Cpu& cpu);
  Task<> StartSecondaryTick(Cpu& cpu);
  Task<> IdleExit(Cpu& cpu, Label l);  // a task runs on the idle CPU: its tick restarts
  void ArmBootTick(Cpu& cpu);
  uint64_t NextTickNs() const;  // from now to the tick's next period
  uint64_t DecrementerMaxNs() const;  // decrementer_max: 32-bit on POWER8, the large decrementer on POWER9

  // nmi_ipi.cc (versions: NmiIpi)
  Task<> NmiLock(Cpu& cpu, Label l);
  Task<> NmiUnlock(Cpu& cpu, Label l);
  virtual Task<bool> NmiIpiSend(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l);
  Task<CpuSet> NmiIpiOpenCountedRound(Cpu& cpu, int target, NmiFn fn, Label l);
  Task<bool> NmiIpiSendV4_14(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l);
  Task<bool> NmiIpiSend88b9a3d1(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l);
  Task<bool> NmiIpiSend5b73151f(Cpu& cpu, int target, NmiFn fn, uint64_t delay_us, Label l);
  Task<> NmiIpiEnter(Cpu& cpu, Label l);
  Task<CpuSet> NmiIpiSetPending(Cpu& cpu, int target, Label l);
  // left_ns (optional): what the wait left of the delay, 0 if it used it up.
  Task<bool> NmiIpiGather(Cpu& cpu, int target, NmiFn fn, CpuSet targets, uint64_t delay_us, Label l,
                          uint64_t* left_ns = nullptr);
  virtual Task<bool> NmiIpiHandle(Cpu& cpu, Regs regs);
  Task<bool> NmiIpiHandleV4_14(Cpu& cpu, Regs regs);
  Task<bool> NmiIpiHandle88b9a3d1(Cpu& cpu, Regs regs);
  Task<> RunNmiFunction(Cpu& cpu, int64_t fn, Regs regs);
  Task<> DoSmpSendNmiIpi(Cpu& cpu, int target, Label l);
  virtual Task<bool> CauseNmiIpi(Cpu& cpu, int target, Label l);
  Task<bool> CauseNmiIpiV4_14(Cpu& cpu, int target, Label l);
  Task<bool> CauseNmiIpi88b9a3d1(Cpu& cpu, int target, Label l);
  Task<bool> CauseNmiIpiAllOthers(Cpu& cpu, Label l);
  Task<bool> SignalSystemReset(Cpu& cpu, uint32_t target, Label l);

  // wake_mechanisms.cc
  Task<> MessagePass(Cpu& cpu, uint32_t target, Msg msg, Label l);
  Task<> CauseIpi(Cpu& cpu, uint32_t target, Label l);
  Task<> DoorbellSend(Cpu& cpu, uint32_t target, Label l);
  Task<> ClearWake(Cpu& cpu, Wake wake, bool replay_reset);
  Task<> ControllerFlush(Cpu& cpu, Label l);
  Task<> IcpFlush(Cpu& cpu, bool drain_all, Label l);
  Task<> XiveFlush(Cpu& cpu, Label l);
  Task<> DoorbellException(Cpu& cpu);
  Task<> XicsExternal(Cpu& cpu);
  Task<> XiveExternal(Cpu& cpu);
  Task<> IpiDemux(Cpu& cpu, Regs regs);
  Task<> IcpClearMfrr(Cpu& cpu, bool opal, Label l);
  Task<> FlushCallFunctionQueue(Cpu& cpu, Label l);

  // offline_loop.cc (versions: KillSelf)
  Task<> OfflineLoop(Cpu& cpu);
  // Up to the loop (E1-E4); false: asked to come back online before the loop (7d6475051fb3's early check).
  Task<bool> OfflineEntry(Cpu& cpu);
  Task<bool> OfflineEntryV4_14(Cpu& cpu);
  Task<bool> OfflineEntry7d647505(Cpu& cpu);
  Task<> ClearPece1(Cpu& cpu);    // E4: LPCR &= ~PECE1 (register and stop-api image)
  Task<> IdleTaskExit(Cpu& cpu);  // E2, arming the DEC an offline CPU keeps (Machine.offline_dec_ns)
  // What the loop does after a wake (L2a-L6), one function per kernel version; the Variant picks one.
  virtual Task<> OfflineWake(Cpu& cpu, Wake wake);
  Task<> OfflineWakeV4_14(Cpu& cpu, Wake wake);
  Task<> OfflineWakeV1Patch(Cpu& cpu, Wake wake);
  Task<> OfflineWake4145f358(Cpu& cpu, Wake wake);
  virtual Task<Wake> PnvCpuOffline(Cpu& cpu);
  Task<> StartSecondary(Cpu& cpu);

  // idle_stop.cc: pnv_cpu_offline with the state chosen from Firmware.idle_states (idle_.kind != kOneBit).
  Task<Wake> PnvCpuOfflineByState(Cpu& cpu);
  Task<Wake> StopNoLoss(Cpu& cpu);                     // POWER9 EC=ESL=0: isa300_idle_stop_noloss
  Task<Wake> StopThroughVector(Cpu& cpu);              // POWER9 EC=ESL=1, POWER8 nap / sleep / winkle
  Task<> CoreIdleEnter(Cpu& cpu);                      // the thread's bit in the core idle word cleared
  Task<int64_t> CoreIdleLock(Cpu& cpu, Label l = "L2r");  // the core idle lock bit taken; returns the word
  // The wake of a state the kernel restores from; pls: PSSCR[PLS], hv_loss: SRR1[46:47] says hypervisor state lost.
  Task<> CoreIdleWake(Cpu& cpu, uint64_t saved_lpcr, uint32_t pls, bool hv_loss);
  bool StopWakeIsVector(Cpu& cpu);                     // corrupt if the vector it enters was replaced
  Task<uint64_t> DecStops(Cpu& cpu);                   // OPAL_PM_DEC_STOP: the DEC frozen; returns what was left
  Task<> DecResumes(Cpu& cpu, uint64_t left);          // and counting again after the wake
  // idle_power8.cc: POWER8 sleep / winkle (power7_idle_insn; asm pnv_enter_arch207_idle_mode, pnv_wakeup_tb_loss)
  Task<Wake> Power7IdleInsn(Cpu& cpu);
  Task<> P8CoreIdleEnter(Cpu& cpu, uint8_t type);
  Task<> P8CoreIdleWake(Cpu& cpu, uint8_t type, uint8_t loss, uint64_t saved_lpcr);
  void P8HwEnter(Cpu& cpu, uint8_t type);  // the core's power management: the deepest state all its threads are in
  uint8_t P8HwWake(Cpu& cpu);              // what the thread lost while in it (kP8Loss*)
  // idle_p9_core.cc: the POWER9 core's stop level (the shallowest of its threads) and the decrementers of a core in
  // a DEC_STOP state (POWER8 and POWER9).
  void P9HwEnter(Cpu& cpu);                        // the thread's stop instruction: the level it and its core reach
  uint32_t P9HwWake(Cpu& cpu);                     // PSSCR[PLS]: the deepest level the thread was in since its stop
  uint32_t P9CoreRequest(uint32_t core) const;     // shallowest request of its threads (0: one runs; absent: 15)
  uint32_t P9Reach(uint32_t core) const;           // the level it is in with its EX and quad (P9CoreReach)
  void P9Settle(uint32_t core, uint32_t by);       // the cores of its quad move to the levels they reach now
  // The core entered its DEC_STOP state (level: the POWER9 level it is in, if not the chosen state's): its DECs stop.
  void CoreDecsStop(uint32_t core, uint32_t by, const std::string& level = {});
  void CoreDecsCount(uint32_t core, uint32_t by);  // it left it: they count on

  // initiator.cc (versions: CrashShutdown, PrepareCpus)
  Task<> MachineCrashShutdown(Cpu& cpu, Regs regs) override;
  Task<> MachineCrashShutdownV4_14(Cpu& cpu, Regs regs);
  Task<> MachineCrashShutdownC7255058(Cpu& cpu, Regs regs);
  Task<> CrashShutdownTail(Cpu& cpu, Regs regs);
  Task<> CrashKexecPrepare(Cpu& cpu);
  virtual Task<> CrashKexecPrepareCpus(Cpu& cpu);
  Task<> CrashKexecPrepareCpusV4_14(Cpu& cpu);
  Task<> CrashKexecPrepareCpus4145f358(Cpu& cpu);
  Task<> CrashKexecPrepareCpusC7255058(Cpu& cpu);
  Task<> CrashWaitForCpus(Cpu& cpu, int64_t ncpus);
  // The CPUs the crash expects an answer from, and whose offline ones crash_send_ipi wakes, with crash_wake_offline
  // (4145f358644b): cpu_present_mask. A patch that counts other CPUs overrides this one mask.
  virtual CpuSet CrashResponderMask() const { return s_.present_mask; }
  Task<> CrashSendIpiV4_14(Cpu& cpu);
  Task<> CrashSendIpi4145f358(Cpu& cpu);
  Task<> CrashKexecWaitRealmode(Cpu& cpu);
  Task<> KexecCpuDownPrimary(Cpu& cpu, Label l = "I13");
  Task<> OpalReinitCpus(Cpu& cpu, Label l);
  void MmuCleanupAll(const Cpu& cpu);
  // The MMU the kernel runs: hash on POWER8; the POWER9 platforms here boot radix (the default).
  bool HashMmu() const { return platform() == pb::POWER8_XICS; }
  Task<> MachineKexec(Cpu& cpu) override;
  // kexec_sequence's tail in both kinds of kexec: release kexec_wait spinners (kexec_flag), copy the new vectors to
  // real 0, mmu_cleanup_all (hash), jump.
  Task<> KexecSequenceJump(Cpu& cpu, Label l);

  // receiver.cc (versions: CrashIpiCb, SendStop)
  virtual Task<> CrashIpiCallback(Cpu& cpu, Regs regs);
  Task<> CrashIpiCallbackV4_14(Cpu& cpu, Regs regs);
  Task<> CrashIpiCallbackNoOnlineTest(Cpu& cpu, Regs regs);
  Task<> SystemResetException(Cpu& cpu, Regs regs);
  // pnv_kexec_cpu_down(crash_shutdown, secondary = 1): teardown, kexec_state = REAL_MODE, opal_return_cpu.
  Task<> PnvKexecCpuDownSecondary(Cpu& cpu, Label l);
  Task<> CrashKexecSecondary(Cpu& cpu, Regs regs);
  virtual Task<> NmiStopThisCpu(Cpu& cpu);
  Task<> NmiStopThisCpu6bed3237(Cpu& cpu);
  Task<> NmiStopThisCpu88b9a3d1(Cpu& cpu);
  Task<> NmiStopThisCpuBab26238(Cpu& cpu);
  Task<> StopThisCpuV4_14(Cpu& cpu);

  // arbitration.cc: the crash path's powerpc hooks (targets/common/crash_core.h), die(). (versions: CrashShutdown,
  // SendStop)
  Task<> PanicIrqDisable(Cpu& cpu, Label l) override;
  Task<> PanicSmpSelfStop(Cpu& cpu, bool nmi_panic) override;
  Task<> PanicCrashSmpSendStop(Cpu& cpu) override;
  virtual Task<> CrashSmpSendStop(Cpu& cpu, bool from_panic = false);
  Task<> CrashSmpSendStopGeneric(Cpu& cpu);
  Task<> CrashSmpSendStopC7255058(Cpu& cpu, bool from_panic);
  Task<> SmpSendStop(Cpu& cpu) override;
  Task<> SmpSendStopV4_14(Cpu& cpu);
  Task<> SmpSendStopNmi(Cpu& cpu);
  // [I] Only v4.14's smp_send_stop and the normal kexec's smp_call_function(kexec_smp_down) send
  // PPC_MSG_CALL_FUNCTION in these models (docs/FIDELITY-ppc.md item 10).
  bool CallFunctionIpiUsed() const { return v_.send_stop == SendStop::kV4_14 || NormalKexecPossible(); }
  Task<> Die(Cpu& cpu, std::string why, Regs regs);

  // kvm.cc: KVM HV on offline secondary threads (machine.kvm_hv; kvm_ is null without it)
  Task<> KvmIdleEnter(Cpu& cpu);
  Task<Wake> KvmIdleWake(Cpu& cpu, Wake wake, bool through_vector);
  Task<Wake> KvmPowersaveWakeup(Cpu& cpu, Wake wake);
  Task<Wake> KvmTestHwthreadReq(Cpu& cpu, Wake wake);
  Task<> KvmStartGuest(Cpu& cpu, Wake wake);
  Task<int64_t> KvmCheckWakeReason(Cpu& cpu, uint32_t reason);
  Task<int64_t> KvmReadIntr(Cpu& cpu, Label l);
  Task<> KvmNoGuest(Cpu& cpu);
  Task<> KvmSecondaryGuest(Cpu& cpu);
  Task<bool> KvmGuest(Cpu& cpu, uint32_t primary);  // true: it exited for a system reset (trap 0x100)
  Task<> KvmCommenceExit(Cpu& cpu, uint32_t primary);
  Task<> KvmRunCore(Cpu& cpu, const pb::Event& event);

  // hotplug.cc
  Task<> CpuDown(Cpu& cpu, uint32_t target);
  // cpu_up(target): false when the kernel's cpu_up would return an error (hotplug disabled, not started, stuck).
  // elsewhere: how the request goes on if its CPU goes down while it waits for the lock (none from a kexec's
  // wake_offline_cpus, whose task sleeps in cpu_hotplug_disable first).
  Task<bool> CpuUp(Cpu& cpu, uint32_t target, Cpu::Resume elsewhere = nullptr);
  Task<> CpuUpRequest(Cpu& cpu, uint32_t target);
  Task<bool> CpuUpLocked(Cpu& cpu, uint32_t target);
  // pnv_smp_kick_cpu: false = -ENODEV. state: the target's cpu_state as the requester read it at HU1.
  Task<bool> PnvSmpKickCpu(Cpu& cpu, uint32_t target, int64_t state);
  Task<> SmpGenericKickCpu(Cpu& cpu, uint32_t target, bool never_kicked);
  Task<> CpuStopper(Cpu& cpu);
  Task<> TakeCpuDown(Cpu& cpu);
  common::StopMachine::ReadCount StopMachineOnlineCount();
  common::StopMachine::ReadCpus StopMachineOnlineCpus();
  // A thread Linux never started: held by skiboot until opal_start_cpu's job starts it (never returns: the start
  // drops the hold's frames and runs FirmwareEntry).
  Task<> FirmwareHold(Cpu& cpu);
  // Where opal_start_cpu's job starts it: generic_secondary_smp_init up to start_secondary. Returns once the thread
  // is online.
  Task<> GenericSecondarySmpInit(Cpu& cpu);

  // kexec.cc: kernel_kexec()'s powerpc hooks (targets/common/kexec_core.cc) and default_machine_kexec's CPU
  // round (kexec_prepare_cpus, kexec_smp_down).
  Task<bool> MachineKexecPrepare(Cpu& cpu, Label l) override;
  bool CpuOnline(uint32_t c) const override { return s_.online_mask.Has(c); }
  Task<> MachineShutdown(Cpu& cpu) override;
  Task<bool> MachineKexecCheck(Cpu& cpu, Label l) override;
  Task<> MachineKexecIrqDisable(Cpu& cpu, Label l) override;
  std::string_view RelocationEntry() const override;
  Task<> KexecJump(Cpu& cpu, Label l) override;
  Task<> KexecPrepareCpus(Cpu& cpu);
  Task<> WakeOfflineCpus(Cpu& cpu);
  Task<> KexecPrepareCpusWait(Cpu& cpu, int64_t wait_state, Label l);
  Task<> KexecSmpDown(Cpu& cpu);
  // smp_call_function can queue kexec_smp_down: a kexec image is loaded.
  bool NormalKexecPossible() const { return m_.config().kexec_image_loaded(); }

  Machine& m_;
  Variant v_;
  State s_;
  common::CrashCore crash_;  // panic(), crash_kexec(), __crash_kexec() (targets/common/)
  common::CpuMaps cpu_maps_;  // cpu_add_remove_lock, cpu_hotplug_disabled
  common::KexecCore kexec_;   // kernel_kexec() (targets/common/)
  common::StopMachine stop_machine_;  // cpu_down's stop_machine: every online CPU's stopper, take_cpu_down on one
  std::unique_ptr<KvmState> kvm_;
  // The offline idle state pnv_init_idle_states chose at boot (idle_states.h), and the per-core idle word
  // paca[first thread]->idle_state (PNV_CORE_IDLE_LOCK_BIT | one bit per thread not in a deep state), which only a
  // state the kernel restores from uses (created after every other variable so that their ids stay as they were).
  OfflineIdle idle_;
  std::vector<Var*> core_idle_;
  std::vector<int> ec0_latch_;  // per CPU: the latch that ended its last EC=0 stop and stays pending, or -1
  // POWER8 hardware (idle_power8.cc), per CPU: the idle instruction the thread is in (kPnvThread*), and what the
  // core's deep state cost it since it entered (kP8Loss*). Hardware state, not memory: no variable.
  std::vector<uint8_t> p8_hw_idle_;
  std::vector<uint8_t> p8_hw_loss_;
  // POWER9 hardware (idle_p9_core.cc), per CPU: the level its stop requests (kP9Running: not in stop) and the
  // deepest level it reached since (PSSCR[PLS]).
  std::vector<uint8_t> p9_req_;
  std::vector<uint8_t> p9_pls_;
  // Per core: the level it is in (kP9Running: a thread of it is not stopped), with its EX and quad.
  std::vector<uint8_t> p9_core_level_;
  // Both platforms, per core: the core is in a state with OPAL_PM_DEC_STOP; per CPU: the time its decrementer had
  // left when it stopped (kForever: not stopped, or not armed).
  std::vector<uint8_t> core_dec_stopped_;
  std::vector<uint64_t> dec_left_;
};

}  // namespace crashdiff::ppc
