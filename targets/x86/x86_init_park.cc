// x86-init-park: x86-mwait-fixed plus "x86/smp: Put CPUs into INIT on shutdown if possible" (45e34c8af58f,
// v6.5-rc1; reverted by fbe1bf1e5ff1 in v6.6-rc6) with its follow-ups b1472a60a584 "Don't send INIT to boot CPU"
// (INIT only when the stopping CPU is the boot CPU) and the Aug 2023 booted-once restriction. Models
// torvalds/linux arch/x86/kernel/smpboot.c smp_park_other_cpus_in_init() and smp.c native_stop_other_cpus()
// (DOMAIN §3.9 variant, S36-S39).
#include "targets/target.h"
#include "targets/x86/x86_kernel.h"
#include "targets/x86/x86_known.h"

namespace crashdiff::x86 {
namespace {

const TargetSpec kSpec{
    .name = "x86-init-park",
    .family = pb::X86,
    .platforms = {pb::X86_INTEL_MWAIT, pb::X86_HLT},
    .models =
        "torvalds/linux arch/x86/kernel/smpboot.c smp_park_other_cpus_in_init (45e34c8af58f, "
        "b1472a60a584), smp.c native_stop_other_cpus, v6.5",
    .summary = "kexec parks every other booted CPU in INIT (wait-for-SIPI) when run on the boot CPU",
    .known = FixedTargetKnown({"online-target", "offline-target"}),
    .not_applicable = {kNoHandshakeWithoutMwait},
    .make = [](Machine& m) -> std::unique_ptr<Program> {
      return std::make_unique<X86Kernel>(
          m, X86Variant{.dedicated_mwait_line = true, .robust_stop_mask = true, .park_in_init = true});
    },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::x86
