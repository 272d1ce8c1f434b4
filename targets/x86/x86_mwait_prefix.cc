// x86-mwait-prefix: offline CPUs parked in MWAIT on the idle task's thread flags, kexec without a kick (spec
// §3.8). Models torvalds/linux arch/x86/kernel/smpboot.c mwait_play_dead() and arch/x86/kernel/smp.c
// native_stop_other_cpus() as of v6.3 (before the June 2023 x86/smp series: parent of f9c9987bf52f).
#include "targets/target.h"
#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {
namespace {

const TargetSpec kSpec{
    .name = "x86-mwait-prefix",
    .family = pb::X86,
    .platforms = {pb::X86_INTEL_MWAIT, pb::X86_HLT},
    .models =
        "torvalds/linux v6.3 arch/x86/kernel/smpboot.c mwait_play_dead, smp.c native_stop_other_cpus, "
        "reboot.c nmi_shootdown_cpus (parent of f9c9987bf52f)",
    .summary = "offline CPUs MWAIT on an ordinary data line; kexec relocation can wake them into replaced memory",
    .known =
        {
            {"PR10 relocation-unsafe: offline-target", "d7893093a741",
             "a relocation store to the monitored thread-flags line resumes MWAIT in overwritten text"},
            {"PR2 unstable-after-handover: offline-target", "d7893093a741",
             "an offline CPU left in MWAIT (or HLT) over replaced memory runs it on the next wake"},
            {"PR1 unsafe-parking: online-target", "1f5e7eb7868e",
             "the stopper waits on num_online_cpus(), which stop_this_cpu clears before it reaches HLT: relocation "
             "can overwrite the text the target is still executing"},
            {"PR10 relocation-unsafe: online-target", "1f5e7eb7868e", "same race, seen at the relocation write"},
            {"PR1 unsafe-parking: offline-target", "",
             "kdump never wakes offline CPUs: they stay in MWAIT (intact memory; by design)"},
            {"PR2 unstable-after-handover: online-target", "",
             "HLT is weak against NMI/SMI/MCE after kexec relocation (45e34c8af58f tried INIT, reverted)"},
        },
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<X86Kernel>(m, X86Variant{}); },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::x86
