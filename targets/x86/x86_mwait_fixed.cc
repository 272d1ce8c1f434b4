// x86-mwait-fixed: "Cure kexec() vs. mwait_play_dead() breakage" (spec §3.9): offline CPUs MWAIT on a dedicated
// {control, status} line and the kexec path kicks them into HLT before relocation. Models torvalds/linux
// arch/x86/kernel/smpboot.c mwait_play_dead()/smp_kick_mwait_play_dead() after f9c9987bf52f and d7893093a741,
// with smp.c native_stop_other_cpus() after 1f5e7eb7868e "Make stop_other_cpus() more robust", without INIT parking
// (as in mainline after the revert fbe1bf1e5ff1).
#include "targets/target.h"
#include "targets/x86/x86_kernel.h"

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
    .known =
        {
            {.property = "PR1",
             .role = "offline-target",
             .what = "STOPPED_HW at hand-over",
             .labels = {"O3d"},
             .note = "kdump never wakes offline CPUs: they stay in MWAIT on intact memory (by design)"},
            {.property = "PR1",
             .role = "offline-target",
             .what = "OFFLINE_LOOP at hand-over",
             .labels = {"O1", "O2", "O3a", "O3b", "O3c", "O4"},
             .note = "the same loop caught awake: the crash NMI (a shorthand broadcast reaches offline CPUs too) "
                     "returns at once on an offline CPU, which goes round mwait_play_dead again"},
            {.property = "PR2",
             .role = "offline-target",
             .what = "PARKED_HLT",
             .note = "HLT resumes on NMI/SMI/MCE: after kexec relocation that runs replaced memory (INIT park "
                     "45e34c8af58f was reverted)"},
            {.property = "PR2",
             .role = "online-target",
             .what = "PARKED_HLT",
             .note = "HLT resumes on NMI/SMI/MCE: after kexec relocation that runs replaced memory (INIT park "
                     "45e34c8af58f was reverted)"},
        },
    .not_applicable = {{.property = "PR11",
                        .platforms = {pb::X86_HLT},
                        .reason = "without MWAIT offline CPUs sit in hlt_play_dead: the kick handshake skips them"}},
    .make = [](Machine& m) -> std::unique_ptr<Program> {
      return std::make_unique<X86Kernel>(
          m, X86Variant{.dedicated_mwait_line = true, .robust_stop_mask = true, .park_in_init = false});
    },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::x86
