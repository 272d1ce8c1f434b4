// x86-mutant-unordered-shootdown: a TEST-ONLY mutant, not a kernel. x86-mwait-fixed with its store ordering
// relaxed on the kdump NMI shootdown (torvalds/linux arch/x86/kernel/reboot.c nmi_shootdown_cpus): no wmb()
// between publishing crashing_cpu, the callback and the NMI handler's registration and sending the NMI, and an
// NMI send that does not order earlier stores (x2APIC without weak_wrmsr_fence, 25a068b8e9a4). Under sequential
// consistency nothing changes; with store buffers (machine.memory_model ARCHITECTURE) the NMI can reach a CPU
// before the stores it depends on: the ordering-witness bench shows the fuzzer finding that run.
#include "targets/target.h"
#include "targets/x86/x86_kernel.h"
#include "targets/x86/x86_known.h"

namespace crashdiff::x86 {
namespace {

class UnorderedShootdown : public X86Kernel {
 public:
  explicit UnorderedShootdown(Machine& m)
      : X86Kernel(m, X86Variant{.dedicated_mwait_line = true, .robust_stop_mask = true, .park_in_init = false}) {}

 protected:
  bool ShootdownOrdersStores() const override { return false; }
};

const TargetSpec kSpec{
    .name = "x86-mutant-unordered-shootdown",
    .family = pb::X86,
    .platforms = {pb::X86_INTEL_MWAIT, pb::X86_HLT},
    .models = "test-only mutant of x86-mwait-fixed: reboot.c nmi_shootdown_cpus without wmb() and x2APIC fence",
    .summary = "TEST-ONLY: x86-mwait-fixed whose shootdown NMI may overtake the stores it publishes",
    .known = FixedTargetKnown({"offline-target"}),
    .not_applicable = {kNoHandshakeWithoutMwait},
    .test_only = true,
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<UnorderedShootdown>(m); },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::x86
