// The normal kexec on powernv: powerpc's hooks of the generic kernel_kexec() (targets/common/kexec_core.cc,
// kernel/kexec_core.c: kexec_trylock / kexec_mutex, kexec_in_progress, migrate_to_reboot_cpu, machine_shutdown,
// machine_kexec) and default_machine_kexec's CPU round. Sources (the same steps in every era the targets model):
//   torvalds/linux arch/powerpc/kexec/core_64.c @0857beff9c1e (v6.x) and arch/powerpc/kernel/machine_kexec_64.c as
//   in the v4.18-based Seneca-CDOT/dynaccel-kernel-4.18.0 @b46dec7a12c6 (the pre-move file, cpu_up for add_cpu;
//   taken for the v4.14 era too, whose file was not read: [I] the same functions with paca[] for paca_ptrs[]):
//   default_machine_kexec, kexec_prepare_cpus, wake_offline_cpus, kexec_smp_down, kexec_prepare_cpus_wait;
//   arch/powerpc/kexec/core.c machine_kexec; arch/powerpc/kernel/setup-common.c machine_shutdown ->
//   ppc_md.machine_shutdown = pnv_shutdown; arch/powerpc/platforms/powernv/setup.c pnv_kexec_cpu_down (S20);
//   arch/powerpc/kernel/misc_64.S kexec_sequence (kexec_copy_flush, the 0x100-byte copy to real 0, kexec_flag,
//   mmu_cleanup_all, the jump).
// On powernv (OPAL) the secondaries do not reach kexec_smp_wait: kexec_smp_down's ppc_md.kexec_cpu_down(0, 1) sets
// KEXEC_STATE_REAL_MODE and returns them to OPAL (opal_return_cpu), where the next kernel finds them.
#include "targets/ppc/ppc_kernel.h"

namespace crashdiff::ppc {

// machine_kexec_prepare() checks the image's segments against the kernel's end and the TCE tables when it is
// loaded; nothing about CPUs.
Task<bool> PpcKernel::MachineKexecPrepare(Cpu& /*cpu*/, Label /*l*/) {
  co_return true;
}

// machine_shutdown(): fadump_cleanup (no fadump here), then ppc_md.machine_shutdown = pnv_shutdown: the PCI
// IODA tables and OPAL's interrupts are quiesced. Nothing of it touches another CPU.
Task<> PpcKernel::MachineShutdown(Cpu& cpu) {
  co_await cpu.local("KX2", "machine_shutdown: pnv_shutdown (pnv_pci_shutdown, opal_shutdown)");
}

// machine_kexec() -> default_machine_kexec(): with no kdump in progress the other CPUs are brought down first
// (kexec_prepare_cpus); it does not fail.
Task<bool> PpcKernel::MachineKexecCheck(Cpu& cpu, Label l) {
  if (co_await cpu.read(s_.crashing_cpu, l) < 0) co_await KexecPrepareCpus(cpu);  // !kdump_in_progress()
  m_.Log(cpu.id(), "kexec: Starting switchover sequence.");
  co_return true;
}

// kexec_prepare_cpus() hard-disabled interrupts already; kexec_sequence runs with them off.
Task<> PpcKernel::MachineKexecIrqDisable(Cpu& /*cpu*/, Label /*l*/) {
  co_return;
}

std::string_view PpcKernel::RelocationEntry() const {
  return "kexec_sequence: static stack and paca, MMU off, kexec_copy_flush";
}

// kexec_sequence after kexec_copy_flush (the generic relocation writes): the same tail as the crash hand-over.
Task<> PpcKernel::KexecJump(Cpu& cpu, Label l) {
  co_await KexecSequenceJump(cpu, l);
}

// kexec_prepare_cpus(): every present CPU online first, then smp_call_function(kexec_smp_down, wait = 0), our own
// interrupts off and KEXEC_STATE_IRQS_OFF, wait for every other online CPU to reach IRQS_OFF, release them
// (kexec_all_irq_disabled), wait for REAL_MODE, then ppc_md.kexec_cpu_down(0, 0) (pnv_kexec_cpu_down: the OPAL
// wait and opal_reinit_cpus, the crash's I13). The waits have no timeout.
Task<> PpcKernel::KexecPrepareCpus(Cpu& cpu) {
  co_await WakeOfflineCpus(cpu);
  // smp_call_function -> smp_call_function_many over cpu_online_mask minus self: queue the csd on each target's
  // call_single_queue, then one PPC_MSG_CALL_FUNCTION message pass each (as v4.14's smp_send_stop).
  CpuSet targets = co_await s_.online_mask.Read(cpu, "KX2b");
  targets.reset(cpu.id());
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    // llist_add: a csd queued earlier (a stop) keeps its place; both functions never return, so only the first runs.
    if (targets.test(c)) co_await cpu.cmpxchg(*s_.cpu[c].call_queue, kFnNone, kFnKexecSmpDown, "KX2b");
  }
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (targets.test(c)) co_await MessagePass(cpu, c, Msg::kCallFunction, "KX2b");
  }
  co_await SoftIrqDisable(cpu, "KX2c");  // local_irq_disable
  co_await cpu.irq_disable("KX2c");      // hard_irq_disable
  co_await cpu.barrier("KX2c");          // mb: interrupts off before we say so
  co_await cpu.write(*pc(cpu).kexec_state, kKexecStateIrqsOff, "KX2c");
  co_await KexecPrepareCpusWait(cpu, kKexecStateIrqsOff, "KX2d");
  co_await cpu.write(*s_.kexec_all_irq_disabled, 1, "KX2e");
  co_await KexecPrepareCpusWait(cpu, kKexecStateRealMode, "KX2f");
  co_await KexecCpuDownPrimary(cpu, "KX2g");  // pnv_kexec_cpu_down(0, 0)
}

// wake_offline_cpus(): for_each_present_cpu that is not online, "kexec: Waking offline cpu %d." and
// WARN_ON(cpu_up(cpu)) (add_cpu in later trees: the same cpu_up under the device hotplug lock). A thread Linux never
// started is present too: cpu_up starts it through opal_start_cpu (hotplug.cc). Hotplug is enabled again by then, so
// cpu_up may sleep on cpu_add_remove_lock behind a cpu_down of this very CPU, which wakes the task on another CPU:
// machine_kexec goes on there (KexecCore::MachineKexecElsewhere).
Task<> PpcKernel::WakeOfflineCpus(Cpu& cpu) {
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (!s_.present_mask.test(c)) continue;
    if (co_await s_.online_mask.Test(cpu, c, "KX2a")) continue;  // cpu_online(cpu)
    m_.Log(cpu.id(), "kexec: Waking offline cpu " + std::to_string(c) + ".");
    if (!co_await CpuUp(cpu, c, [this](Cpu& to) { return kexec_.MachineKexecElsewhere(to); })) {
      m_.Log(cpu.id(), "WARNING: wake_offline_cpus: WARN_ON(cpu_up(cpu))");
    }
  }
}

// kexec_prepare_cpus_wait(wait_state): for_each_online_cpu other than ours (the mask as the walk reads it), spin
// until its paca->kexec_state reaches wait_state, printing once per CPU that it waits. No timeout: a CPU that never
// runs kexec_smp_down (interrupts off for good) holds the kexec here forever. Then mb().
Task<> PpcKernel::KexecPrepareCpusWait(Cpu& cpu, int64_t wait_state, Label l) {
  co_await cpu.local(l, "hw_breakpoint_disable");
  for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
    if (c == cpu.id() || !co_await s_.online_mask.Test(cpu, c, l)) continue;  // cpumask_next: c's word
    Var& state = *s_.cpu[c].kexec_state;
    if (co_await cpu.read(state, l) >= wait_state) continue;
    m_.Log(cpu.id(), "kexec: waiting for cpu " + std::to_string(c) + " (physical " + std::to_string(c) + ") to enter " +
                         std::to_string(wait_state) + " state");
    co_await cpu.wait_until([&state, wait_state] { return state.value >= wait_state; }, kForever, l);
  }
  co_await cpu.barrier(l);
}

// kexec_smp_down() on each other CPU (from the CALL_FUNCTION IPI's flush, or a dying CPU's smpcfd flush): interrupts
// off, mb, KEXEC_STATE_IRQS_OFF, spin until the initiator saw every CPU there (kexec_all_irq_disabled), mb,
// hw_breakpoint_disable, then ppc_md.kexec_cpu_down(0, 1): pnv_kexec_cpu_down returns the thread to OPAL after
// setting KEXEC_STATE_REAL_MODE (reset_sprs and kexec_smp_wait are not reached on OPAL).
Task<> PpcKernel::KexecSmpDown(Cpu& cpu) {
  cpu.set_location(Location::kTransit);  // from its entry the CPU runs only this function: nothing else starts
  co_await SoftIrqDisable(cpu, "KS1");   // local_irq_disable
  co_await cpu.irq_disable("KS1");       // hard_irq_disable
  co_await cpu.barrier("KS1");           // mb
  co_await cpu.write(*pc(cpu).kexec_state, kKexecStateIrqsOff, "KS1");
  Var& all_off = *s_.kexec_all_irq_disabled;
  co_await cpu.wait_until([&all_off] { return all_off.value != 0; }, kForever, "KS2");
  co_await cpu.barrier("KS2");  // mb
  co_await cpu.local("KS2", "hw_breakpoint_disable");
  co_await PnvKexecCpuDownSecondary(cpu, "KS3");  // pnv_kexec_cpu_down(0, 1)
}

}  // namespace crashdiff::ppc
