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
  // NmiShootdownCpus without the wmb() at C5 and with an unordered send.
  Task<> NmiShootdownCpus(Cpu& cpu) override {
    const int64_t self = cpu.id();
    co_await cpu.irq_disable("C1");
    if (co_await cpu.read(crash_ipi_issued_, "C1") != 0) {
      m_.Log(cpu.id(), "WARNING: nmi_shootdown_cpus: shootdown already issued");
      co_return;
    }
    co_await cpu.write(crashing_cpu_, self, "C2");
    co_await cpu.write(shootdown_callback_, 1, "C3");
    const int64_t online = co_await cpu.read(num_online_, "C4");
    co_await cpu.write(waiting_for_crash_ipi_, online - 1, "C4");
    co_await cpu.write(crash_nmi_handler_, 1, "C5");
    co_await SendToOthers(cpu, Source::kNmi, "C6", false, /*ordered=*/false);
    co_await cpu.write(crash_ipi_issued_, 1, "C7");
    co_await cpu.wait_until([this] { return waiting_for_crash_ipi_.value <= 0; }, kSec, "C8");
  }
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
