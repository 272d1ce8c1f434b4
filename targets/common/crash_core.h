// The architecture-independent crash path, one model for every family, laid out like the kernel:
//   panic.cc        kernel/panic.c        panic() (and nmi_panic()'s arbitration): panic_cpu, the order of
//                                         __crash_kexec vs smp_send_stop vs the notifiers, the final halt
//   kexec_core.cc   kernel/kexec_core.c   crash_kexec(): panic_cpu for callers outside panic(); __crash_kexec():
//                                         the kexec lock (2017-era mutex_trylock(&kexec_mutex), later
//                                         kexec_trylock(): the same gate) and the crash-image check;
//                                         kernel_kexec() (KexecCore): the same lock, kexec_in_progress, the
//                                         reboot preparation, machine_shutdown(), machine_kexec() and the
//                                         relocation both architectures' relocate_kernel does
// Sources: torvalds/linux kernel/panic.c @v4.14, @v6.6 (DOMAIN S16) and kernel/kexec_core.c, 2017-era and
// @0091d9241ea24c5275be4a3e5a032862fd9de9ec (DOMAIN S15). Between the versions the targets model (v4.14 to v6.x)
// these functions do the same steps; what differs between versions lives in the architecture hooks (e.g. the 2022
// powerpc crash_smp_send_stop override).
//
// What the kernel leaves to each architecture, each family supplies (CrashArch): how panic() disables interrupts,
// panic_smp_self_stop / nmi_panic_self_stop, smp_send_stop, crash_smp_send_stop, machine_crash_shutdown and
// machine_kexec. die() and its lock stay in the architectures: they are arch code in the kernel too (x86
// oops_begin's die_owner nesting, arm64's plain die_lock, powerpc's oops_begin).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/cpu.h"
#include "sim/machine.h"
#include "targets/common/cpu_maps.h"

namespace crashdiff::common {

inline constexpr int64_t kPanicCpuInvalid = -1;  // PANIC_CPU_INVALID
inline constexpr int64_t kNoCpuId = -1;          // the owner of a mutex or lock word nobody holds

// struct pt_regs as far as the models need it: whether the registers are valid, and the trap that brought the CPU
// here (powerpc 0x100: system reset). __crash_kexec(NULL) means the current context's: {true, 0}.
struct Regs {
  bool valid = true;
  uint32_t trap = 0;
};

// The architecture's half of the crash path: functions the generic code calls that each architecture defines, or
// overrides from a __weak default.
class CrashArch {
 public:
  virtual ~CrashArch() = default;
  // panic()'s local_irq_disable(): powerpc soft-masks, x86 cli, arm64 masks DAIF.
  virtual Task<> PanicIrqDisable(Cpu& cpu, Label l) = 0;
  // A CPU that lost panic_cpu: panic_smp_self_stop() or, for nmi_panic(), nmi_panic_self_stop(). Never returns.
  virtual Task<> PanicSmpSelfStop(Cpu& cpu, bool nmi_panic) = 0;
  virtual Task<> SmpSendStop(Cpu& cpu) = 0;
  // crash_smp_send_stop() as panic() calls it with crash_kexec_post_notifiers.
  virtual Task<> PanicCrashSmpSendStop(Cpu& cpu) = 0;
  // machine_crash_shutdown(regs), then machine_kexec(kexec_crash_image) (the hand-over: does not return).
  virtual Task<> MachineCrashShutdown(Cpu& cpu, Regs regs) = 0;
  virtual Task<> MachineKexec(Cpu& cpu) = 0;
};

// How one family's model runs the generic code. The step labels are the family's own (its docs/FIDELITY-*.md
// tables; the regression corpus triggers on them). The three switches are bookkeeping of the models, not kernel
// behaviour: each family keeps what its traces have always recorded.
struct CrashModel {
  Label irq_off;          // panic(): local_irq_disable()
  Label panic_cpu;        // panic(): cmpxchg(panic_cpu)
  Label notifiers;        // panic(): notifiers and kmsg_dump with crash_kexec_post_notifiers ("": not a step)
  Label end;              // panic(): the final halt
  Label crash_kexec_cpu;  // crash_kexec(): cmpxchg(panic_cpu) and its reset
  Label kexec_lock;       // __crash_kexec(): kexec trylock / unlock
  Label setup_regs;       // __crash_kexec(): crash_setup_regs, crash_save_vmcoreinfo
  // panic()'s two pr_emerg lines as console diagnostics (else the end is a step of its own).
  bool console_lines = false;
  // The panic owner's location becomes CRASHING as it wins panic_cpu (else when machine_crash_shutdown starts).
  bool owner_crashing = false;
  // The crash shutdown is booked (and the CPU CRASHING) when __crash_kexec finds an image (else the architecture's
  // machine_crash_shutdown books it).
  bool book_shutdown_at_lock = false;
};

// x86 and arm64 run the generic crash path under the same labels (docs/FIDELITY-x86-arm64.md: P1-P9).
inline constexpr CrashModel kPLabelCrashModel{.irq_off = "P1",
                                              .panic_cpu = "P2",
                                              .notifiers = "",
                                              .end = "P9",
                                              .crash_kexec_cpu = "P2",
                                              .kexec_lock = "P4",
                                              .setup_regs = "P5",
                                              .console_lines = false,
                                              .owner_crashing = true,
                                              .book_shutdown_at_lock = true};

class CrashCore {
 public:
  CrashCore(Machine& m, CrashArch& arch, const CrashModel& model, Var& panic_cpu, Var& kexec_lock)
      : m_(m), arch_(arch), model_(model), panic_cpu_(panic_cpu), kexec_lock_(kexec_lock) {}

  // panic.cc: panic(why), or nmi_panic() (an NMI handler's: its loser stops in nmi_panic_self_stop).
  Task<> Panic(Cpu& cpu, std::string why, bool nmi_panic = false);
  // kexec_core.c: crash_kexec(regs), and __crash_kexec(regs) for panic(), which owns panic_cpu already.
  Task<> CrashKexec(Cpu& cpu, Regs regs = {});
  Task<> LockedCrashKexec(Cpu& cpu, Regs regs = {});

 private:
  Machine& m_;
  CrashArch& arch_;
  CrashModel model_;
  Var& panic_cpu_;
  Var& kexec_lock_;
};

// The architecture's half of a normal kexec (kernel_kexec()): the hooks the kernel leaves to each architecture.
class KexecArch {
 public:
  virtual ~KexecArch() = default;
  // machine_kexec_prepare(): whether the architecture accepts the loaded image (arm64 refuses while CPUs are stuck
  // in the kernel; the kernel checks at load time, the models when the event fires). Steps under label l.
  virtual Task<bool> MachineKexecPrepare(Cpu& cpu, Label l) = 0;
  // cpu_online(c) as migrate_to_reboot_cpu() tests it: a read of the family's cpu_online_mask inside the step that
  // moves the task (no step of its own).
  virtual bool CpuOnline(uint32_t c) const = 0;
  // machine_shutdown(): x86 native_machine_shutdown (stop_other_cpus), arm64 smp_shutdown_nonboot_cpus.
  virtual Task<> MachineShutdown(Cpu& cpu) = 0;
  // machine_kexec()'s checks before it commits (arm64 BUG_ON with CPUs still online): false = it did not go on.
  virtual Task<bool> MachineKexecCheck(Cpu& cpu, Label l) = 0;
  // How machine_kexec() disables interrupts: x86 local_irq_disable(), arm64 local_daif_mask().
  virtual Task<> MachineKexecIrqDisable(Cpu& cpu, Label l) = 0;
  // What jumps to the relocation code in the control page (x86 relocate_kernel, arm64 cpu_soft_restart).
  virtual std::string_view RelocationEntry() const = 0;
  // The jump into the new image once it is copied: a hand-over that overwrites nothing more (x86, arm64). powerpc's
  // kexec_sequence also copies the new vectors to real 0 and, on hash, clears the page table in the same sequence.
  virtual Task<> KexecJump(Cpu& cpu, Label l);
};

// How one family's model runs kernel_kexec(): its step labels (reproducers trigger on them) and which generic
// steps it records.
struct KexecModel {
  Label lock;         // kexec_trylock / unlock, the image check, machine_kexec_prepare
  Label in_progress;  // kexec_in_progress = true, kernel_restart_prepare .. cpu_hotplug_enable
  Label kexec;        // machine_kexec() up to the relocation writes
  Label jump;         // the jump into the new image
};

// x86 and arm64 run kernel_kexec() under the same labels (docs/FIDELITY-x86-arm64.md: K0-K4).
inline constexpr KexecModel kKLabelKexecModel{.lock = "K0", .in_progress = "K1", .kexec = "K3", .jump = "K4"};

// kernel_kexec() (reboot(LINUX_REBOOT_CMD_KEXEC) with an image loaded by kexec_load), as every family runs it:
// torvalds/linux kernel/kexec_core.c kernel_kexec() @0091d9241ea24c5275be4a3e5a032862fd9de9ec (v6.x; the targets
// that use it model v6.3 and later, where these steps are the same).
class KexecCore {
 public:
  KexecCore(Machine& m, KexecArch& arch, const KexecModel& model, Var& kexec_lock, Var& kexec_in_progress,
            CpuMaps& cpu_maps)
      : m_(m),
        arch_(arch),
        model_(model),
        kexec_lock_(kexec_lock),
        kexec_in_progress_(kexec_in_progress),
        cpu_maps_(cpu_maps) {}

  Task<> KernelKexec(Cpu& cpu);
  // machine_shutdown() and machine_kexec(), the end of kernel_kexec(). Also where the task goes on when the
  // scheduler wakes it on another CPU: an architecture's machine_shutdown that sleeps on a lock before it changes
  // anything starts over there (Cpu::set_sleeping_task).
  Task<> ShutdownAndKexec(Cpu& cpu);
  // machine_kexec() from its start on the CPU the scheduler woke the task on, when it slept inside it behind a
  // cpu_down of its own CPU (powerpc's wake_offline_cpus sleeps in cpu_up): what it did before the sleep it can
  // repeat, or skips (a CPU it already brought up is online).
  Task<> MachineKexecElsewhere(Cpu& cpu);

 private:
  // kernel_kexec() from cpu_hotplug_disable() on: the move to the reboot CPU, or the rest there.
  Task<> MigrateAndKexec(Cpu& cpu);
  // migrate_to_reboot_cpu(): whether the task moved to another CPU, which then runs RebootCpuKexec.
  Task<bool> MigrateToRebootCpu(Cpu& cpu);
  // The rest of kernel_kexec(), on the reboot CPU: syscore_shutdown, machine_shutdown, machine_kexec.
  Task<> RebootCpuKexec(Cpu& cpu);
  // machine_kexec(kexec_image) and relocate_kernel: copy the image over the old kernel, jump. Does not return.
  Task<> MachineKexec(Cpu& cpu);

  Machine& m_;
  KexecArch& arch_;
  KexecModel model_;
  Var& kexec_lock_;
  Var& kexec_in_progress_;
  CpuMaps& cpu_maps_;
};

}  // namespace crashdiff::common
