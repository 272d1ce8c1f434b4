// Shared state of the powerpc / powernv crash-wake models (DOMAIN §2): the kernel variables every path reads and
// writes, the per-CPU records (paca, cpu_state, message bytes, host-IPI flag), and the switches that tell the
// implementations of DOMAIN §3.1-§3.6 apart. Every shared variable is a sim Var, so each access is a step.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/machine.h"
#include "targets/common/crash_core.h"
#include "targets/ppc/cpumask.h"

namespace crashdiff::ppc {

// cpu_state values (include/linux/cpu.h; arch/powerpc/kernel/smp.c generic_set_cpu_dead/up). A thread Linux never
// started keeps the per-CPU variable's initial 0 (nothing writes it before its start_secondary).
inline constexpr int64_t kCpuStateUnset = 0;
inline constexpr int64_t kCpuOnline = 1;
inline constexpr int64_t kCpuDead = 7;
inline constexpr int64_t kCpuUpPrepare = 5;
using common::kNoCpuId;

// paca->kexec_state (asm/kexec.h).
inline constexpr int64_t kKexecStateNone = 0;
inline constexpr int64_t kKexecStateIrqsOff = 1;
inline constexpr int64_t kKexecStateRealMode = 2;

// SRR1 wake reasons (asm/reg.h; table in sim/hw.h).
inline constexpr uint32_t kSrr1WakeMask = 0x3C0000;
inline constexpr uint32_t kSrr1WakeHdbell = 0x0C0000;
inline constexpr uint32_t kSrr1WakeReset = 0x100000;
inline constexpr uint32_t kSrr1WakeEe = 0x200000;
inline constexpr uint32_t kSrr1WakeHvi = 0x240000;

// Decrementer (arch/powerpc/kernel/time.c): DECREMENTER_MAX = 0x7fffffff ticks of the 512 MHz timebase.
inline constexpr uint64_t kDecrementerMaxNs = 4194304 * kUs;
// decrementer_max with the large decrementer: ISA 3.0 (POWER9) and firmware's ibm,dec-bits above 32 (skiboot probes
// the width, 56 bits on POWER9; set_decrementer_max, enable_large_decrementer sets LPCR[LD]): 2^55 - 1 ticks of the
// 512 MHz timebase, about 2.2 years.
inline constexpr uint64_t kLargeDecrementerMaxNs = ((uint64_t{1} << 55) - 1) / 512 * 1000;

// paca->irq_happened bits: interrupts taken while soft-masked, replayed on soft-enable.
inline constexpr uint32_t kIrqHappenedEe = 1;
inline constexpr uint32_t kIrqHappenedDbell = 2;
inline constexpr uint32_t kIrqHappenedHmi = 4;
inline constexpr uint32_t kIrqHappenedDec = 8;

// XICS special vectors (sysdev/xics).
inline constexpr int64_t kXicsSpurious = 0;
inline constexpr int64_t kXicsIpi = 2;

// Timeouts (arch/powerpc/kexec/crash.c, platforms/powernv/setup.c, kernel/smp.c).
inline constexpr uint64_t kIpiTimeoutNs = 10 * kSec;        // IPI_TIMEOUT = 10000 x 1 ms
inline constexpr uint64_t kRealModeTimeoutNs = 10 * kSec;   // REAL_MODE_TIMEOUT
inline constexpr uint64_t kPrimaryTimeoutNs = 500 * kMs;    // PRIMARY_TIMEOUT
inline constexpr uint64_t kSecondaryTimeoutNs = 1 * kSec;   // SECONDARY_TIMEOUT
inline constexpr uint64_t kNmiGatherUs = 1000000;           // crash NMI round: 1 s
inline constexpr uint64_t kOpalWaitNs = 1000 * kMs;         // pnv_kexec_wait_secondaries_down, per CPU
inline constexpr uint64_t kOpalReinitWaitNs = 1000 * kMs;   // skiboot opal_reinit_cpus: 1000 x 1 ms per OS thread
inline constexpr uint64_t kCpuDieWaitNs = 100 * 100 * kMs;  // generic_cpu_die: 100 x 100 ms
inline constexpr uint64_t kCallinWaitNs = 5 * kSec;         // __cpu_up: 50000 x 100 us

// opal_query_cpu_status answers (opal-api.h) and opal_start_cpu's result.
inline constexpr int64_t kOpalThreadInactive = 0;
inline constexpr int64_t kOpalThreadStarted = 1;
inline constexpr int64_t kOpalSuccess = 0;
inline constexpr int64_t kOpalWrongState = -14;

// Where the kernel's history changed a function, the model has each version side by side, named after the kernel
// version or commit that introduced it; a target's Variant picks one version per function. A patch to one of them is
// one more version: a PpcKernel subclass in the patch's target file overriding the function (docs/PATCH-WORKFLOW.md).

// pnv_smp_cpu_kill_self() (arch/powerpc/platforms/powernv/smp.c), offline_loop.cc: what the offline loop does
// between a wake and its next stop (DOMAIN §3.1-§3.3).
enum class KillSelf {
  kV4_14,     // torvalds/linux v4.14: no kdump check; a reset wake leaves nothing to clear
  kV1Patch,   // the Dec 2017 v1 patch: kdump_in_progress() read right after the wake, crash_ipi_callback(NULL)
  k4145f358,  // mainline 4145f358644b: clear, barrier, then the check; a reset wake is replayed
  k7d647505,  // 7d6475051fb3 (2019, v6.x): entered soft-disabled; dead, hard-disable, restart check, pending EE
              // flushed and irq_happened reset before the loop; in the loop as 4145f358644b
};
// crash_ipi_callback() (arch/powerpc/kexec/crash.c), receiver.cc.
enum class CrashIpiCb {
  kV4_14,         // R0: returns at once on a CPU that is not online
  kNoOnlineTest,  // "powerpc/crash: Remove the test for cpu_online in the IPI callback" (parent of 4145f358644b)
};
// crash_kexec_prepare_cpus() and the crash_send_ipi() it calls (arch/powerpc/kexec/crash.c, kernel/smp.c),
// initiator.cc.
enum class PrepareCpus {
  kV4_14,     // ncpus = online - 1; the NMI round reaches online CPUs only
  k4145f358,  // crash_wake_offline: ncpus = present - 1, one wake per offline present CPU after the round (I5b)
  kC7255058,  // as 4145f358644b, but a reset-driven crash (is_via_system_reset) waits instead of sending (2022)
};
// default_machine_crash_shutdown() (arch/powerpc/kexec/crash.c) and crash_smp_send_stop(), initiator.cc and
// arbitration.cc.
enum class CrashShutdown {
  kV4_14,     // collects the CPUs itself; crash_smp_send_stop is the generic one (kernel/panic.c: smp_send_stop)
  kC7255058,  // powerpc's crash_smp_send_stop collects them (crash_kexec_prepare), once, also from panic()
};
// The NMI-IPI layer (arch/powerpc/kernel/smp.c smp_send_nmi_ipi / smp_handle_nmi_ipi, platforms/powernv/smp.c
// pnv_cause_nmi_ipi), nmi_ipi.cc (DOMAIN §2.6).
enum class NmiIpi {
  kV4_14,  // busy count, held by a handler while its function runs
  // busy count, and the sender also waits for the handlers' functions to return (5b73151fff63, v4.17); before
  // 1b5fc84aba17 a first wait that used up the delay leaves the second one without a timeout
  k5b73151f,
  k88b9a3d1,  // busy flag, function cleared after the round; OPAL quiesce around a single-target reset (v5.x)
};
// smp_send_stop() and the function it runs on the other CPUs (arch/powerpc/kernel/smp.c), arbitration.cc and
// receiver.cc.
enum class SendStop {
  kV4_14,     // smp_call_function(stop_this_cpu): a maskable CALL_FUNCTION IPI, no wait; stop_this_cpu goes offline
  k6bed3237,  // NMI IPI (6bed3237624e); nmi_stop_this_cpu gives the busy count back itself and stays online
              // (de6e5d38417e)
  k88b9a3d1,  // NMI IPI; busy flag, nothing to give back (88b9a3d1425a); stays online (until bab26238bbd4)
  kBab26238,  // NMI IPI; nmi_stop_this_cpu marks itself offline again (bab26238bbd4, 2021)
};

// The idle wake path after a state-losing stop (arch/powerpc/platforms/powernv/idle.c, kernel/idle_book3s.S),
// offline_loop.cc PnvCpuOffline: who gives the LPCR back.
enum class IdleRestore {
  kAsm,       // idle_book3s.S (v4.14 to v5.1): POWER9 writes back the LPCR save_sprs_to_stack kept
              // (power9_restore_additional_sprs); a POWER8 winkle saves none: the SLW's stop-api image is all
  k10d91611,  // "powerpc/64s: Reimplement book3s idle code in C" (10d91611f426, v5.2): power9_idle_stop and
              // power7_idle_insn (full winkle) save the LPCR and write it back after a state-losing wake
};

// The CONFIG_KVM_BOOK3S_HV_POSSIBLE handshake around a POWER9 offline stop (machine.kvm_hv), kvm.cc: the thread tells
// KVM it is idle (hwthread_state) and, awake, whether the host grabbed it (hwthread_req). POWER8: always KV0/KV1.
enum class P9OfflineKvm {
  kAsm,       // idle_book3s.S as 10d91611f426 removed it (v5.1): power9_offline_stop stores IN_IDLE; a wake through
              // 0x100 (pnv_powersave_wakeup) reads hwthread_state and, not IN_KERNEL, stores it and syncs, then reads
              // hwthread_req; an EC=0 stop's synchronous wake (pnv_wakeup_noloss) takes none of that
  k10d91611,  // idle.c power9_offline_stop (10d91611f426, v5.2): IN_IDLE before power9_idle_stop; after it,
              // whatever ended the stop: IN_KERNEL, smp_mb, hwthread_req
  kRemoved2021,  // "KVM: PPC: Book3S HV: remove POWER9 support from P7/8 paths" (Nicholas Piggin, 2021): the v6.x
                 // arch300_offline_stop only stops (idle.c blob 0c8fb653d487)
};

// What distinguishes the implementations: one version of each function (v4.14's unless a target says otherwise).
// Each target file fills one of these in; nothing else differs.
struct Variant {
  CrashIpiCb crash_ipi_callback = CrashIpiCb::kV4_14;
  PrepareCpus prepare_cpus = PrepareCpus::kV4_14;
  KillSelf kill_self = KillSelf::kV4_14;
  CrashShutdown crash_shutdown = CrashShutdown::kV4_14;
  NmiIpi nmi_ipi = NmiIpi::kV4_14;
  SendStop send_stop = SendStop::kV4_14;
  IdleRestore idle_restore = IdleRestore::kAsm;
  P9OfflineKvm p9_offline_kvm = P9OfflineKvm::kAsm;
};

// The versions ppc-upstream-clear-then-check runs (mainline after 4145f358644b, v5.x): the base of the patches and
// test-only mutants written against it.
inline constexpr Variant kUpstreamVariant{
    .crash_ipi_callback = CrashIpiCb::kNoOnlineTest,
    .prepare_cpus = PrepareCpus::k4145f358,
    .kill_self = KillSelf::k4145f358,
    .crash_shutdown = CrashShutdown::kV4_14,
    .nmi_ipi = NmiIpi::k88b9a3d1,
    .send_stop = SendStop::k88b9a3d1,
};

// nmi_ipi_function values, and the functions smp_call_function queues (call_single_queue).
enum NmiFn : int64_t { kFnNone = 0, kFnCrashIpiCallback = 1, kFnStopThisCpu = 2, kFnKexecSmpDown = 3 };
// Muxed IPI message bytes (PPC_MSG_*).
enum class Msg { kCallFunction, kReschedule, kNmiIpi };

// Register state handed to crash_save_cpu / the receiver: trap 0x100 = came in through a system reset.
using Regs = common::Regs;  // struct pt_regs: valid, trap (0x100 system reset)

struct PerCpu {
  Var* cpu_state;     // per_cpu(cpu_state)
  Var* kexec_state;   // paca->kexec_state
  Var* host_ipi;      // kvmppc_host_ipi flag
  Var* msg_nmi;       // message byte PPC_MSG_NMI_IPI
  Var* msg_resched;   // message byte PPC_MSG_RESCHEDULE
  Var* msg_call;      // message byte PPC_MSG_CALL_FUNCTION
  Var* call_queue;    // call_single_queue: the queued csd's function (NmiFn values; only stop_this_cpu is queued)
  Var* in_siblings;   // in its core's cpu_sibling_mask (P8 doorbell-or-ICP choice)
  Var* cpu_start;     // paca->cpu_start: 0 until smp_generic_kick_cpu first releases the thread (head_64.S spin)
  // CPU-local, not shared memory: the soft-mask and lazily recorded interrupts (paca), and the setjmp target.
  // The thread entered Linux (generic_secondary_common_init's SET_PACA loads HSPRG0 with its paca): false for a
  // thread Linux never started, whose HSPRG0 holds what firmware left.
  bool has_paca = true;
  bool soft_disabled = false;
  uint32_t irq_happened = 0;
  bool longjmp_pending = false;
  bool in_idle = false;  // in the idle loop with no task (tick_sched.inidle): its tick stops at the next expiry
};

struct State {
  explicit State(Machine& m);

  Var& crashing_cpu;        // kdump_in_progress(): crashing_cpu >= 0
  Var& panic_cpu;           // kernel/panic.c
  Var& kexec_lock;          // kexec_mutex / kexec_trylock
  Var& cpus_in_crash;       // arrival counter
  Var& time_to_dump;        // the go flag
  CpuMask cpus_state_saved;  // crash_ipi_callback's static mask
  CpuMask online_mask;       // cpu_online_mask
  Var& crash_shutdown_cpu;  // the fault hook's owner during the operator wait
  Var& is_via_system_reset;
  Var& crash_stopped;  // crash_smp_send_stop's static "stopped"
  Var& kexec_flag;     // releases kexec_wait spinners
  Var& nmi_lock;
  Var& nmi_busy;  // busy count (v4.14) or flag (v5.x)
  Var& nmi_function;
  CpuMask nmi_pending;  // nmi_ipi_pending_mask
  // The old kernel's exception vectors at real address 0 (Region::kLowVectors): what a thread executing them
  // fetches. The hand-over overwrites the region (relocation store), which ends such a thread's old-code run.
  Var& low_vectors;
  std::vector<PerCpu> cpu;
  CpuSet present_mask;  // cpu_present_mask: every thread of the machine, fixed at boot
  // Normal kexec (kexec.cc), created after the variables above so that their ids stay as they were.
  Var* kexec_in_progress = nullptr;       // kernel/kexec_core.c
  Var* kexec_all_irq_disabled = nullptr;  // kexec/core_64.c: releases kexec_smp_down's first spin
};

}  // namespace crashdiff::ppc
