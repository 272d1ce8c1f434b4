// ppc-patch-count-booted-once: a SUGGESTED FIX, not a kernel tree (docs/REPORTS/
// expected-responder-count-includes-never-started.md). ppc-upstream-clear-then-check with crash_kexec_prepare_cpus
// (arch/powerpc/kexec/crash.c, v6.1) expecting an answer only from the CPUs that have run this kernel: ncpus =
// cpumask_weight(&cpus_booted_once_mask) - 1 instead of num_present_cpus() - 1, and crash_send_ipi's offline round
// (arch/powerpc/kernel/smp.c) waking only offline CPUs in that mask. kernel/cpu.c notify_cpu_starting() sets a CPU's
// bit in cpus_booted_once_mask the first time it starts, so a present thread that maxcpus= (or firmware) kept from
// ever starting is neither expected nor sent a wake it cannot take: the crash no longer waits the full 10 s for it,
// nor for an operator reset when panic_timeout <= 0.
#include "targets/ppc/ppc_kernel.h"
#include "targets/ppc/ppc_known.h"
#include "targets/target.h"

namespace crashdiff::ppc {
namespace {

class CountBootedOnce : public PpcKernel {
 public:
  explicit CountBootedOnce(Machine& m) : PpcKernel(m, kUpstreamVariant) {}

 protected:
  // cpus_booted_once_mask: every thread that entered Linux. A never-started thread joins it when cpu_up starts it
  // (the model marks it at SET_PACA, SS1, a few steps before start_secondary's notify_cpu_starting).
  CpuSet CrashResponderMask() const override {
    CpuSet booted_once;
    for (uint32_t c = 0; c < m_.num_cpus(); ++c) {
      if (s_.cpu[c].has_paca) booted_once.set(c);
    }
    return booted_once & s_.present_mask;
  }
};

const TargetSpec kSpec{
    .name = "ppc-patch-count-booted-once",
    .family = pb::PPC,
    .platforms = {pb::POWER8_XICS, pb::POWER9_DOORBELL_XIVE, pb::POWER9_XIVE_IPI, pb::POWER9_ICP_OPAL},
    .models =
        "suggested fix on torvalds/linux v6.1 arch/powerpc/kexec/crash.c crash_kexec_prepare_cpus and "
        "kernel/smp.c crash_send_ipi: expect and wake the CPUs in cpus_booted_once_mask",
    .summary = "SUGGESTED FIX: ppc-upstream-clear-then-check expecting answers only from CPUs that have booted",
    .known = {},  // a patch claims nothing: everything it shows is reported
    .test_only = true,
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<CountBootedOnce>(m); },
};

}  // namespace

CRASHDIFF_TARGET(kSpec);

}  // namespace crashdiff::ppc
