// x86-mwait-fixed: "Cure kexec() vs. mwait_play_dead() breakage" (DOMAIN §3.9): offline CPUs MWAIT on a dedicated
// {control, status} line and the kexec path kicks them into HLT before relocation. Models torvalds/linux
// arch/x86/kernel/smpboot.c mwait_play_dead()/smp_kick_mwait_play_dead() after f9c9987bf52f and d7893093a741,
// with smp.c native_stop_other_cpus() after 1f5e7eb7868e "Make stop_other_cpus() more robust", without INIT parking
// (as in mainline after the revert fbe1bf1e5ff1).
#include "targets/target.h"
#include "targets/x86/x86_kernel.h"
#include "targets/x86/x86_known.h"

namespace crashdiff::x86 {
namespace {

const TargetSpec kSpec{
    .name = "x86-mwait-fixed",
    .family = pb::X86,
    .platforms = {pb::X86_INTEL_MWAIT, pb::X86_HLT},
    .models =
        "torvalds/linux arch/x86/kernel/smpboot.c mwait_play_dead + smp_kick_mwait_play_dead "
        "(f9c9987bf52f, d7893093a741), smp.c native_stop_other_cpus (2023 series, after fbe1bf1e5ff1)",
    .summary = "dedicated MWAIT line, kexec kick with status handshake; offline CPUs end in HLT",
    .known = FixedTargetKnown({"offline-target"}),
    .not_applicable = {kNoHandshakeWithoutMwait},
    .make = [](Machine& m) -> std::unique_ptr<Program> {
      return std::make_unique<X86Kernel>(
          m, X86Variant{.dedicated_mwait_line = true, .robust_stop_mask = true, .park_in_init = false});
    },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::x86
