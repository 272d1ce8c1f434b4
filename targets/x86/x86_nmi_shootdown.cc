// x86-nmi-shootdown: the kdump path of current mainline (spec §3.10): a single NMI shootdown of the online CPUs
// (crash_ipi_issued, emergency NMI handler 26044aff37a5, 1 s wait), losers collected by the NMI or, when they
// panicked in NMI context, by running the callback themselves (nmi_panic_self_stop). Offline CPUs are neither
// woken nor counted. Models torvalds/linux v6.6+ arch/x86/kernel/reboot.c nmi_shootdown_cpus /
// crash_nmi_callback, crash.c native_machine_crash_shutdown, kernel/panic.c; the kexec side is mainline's
// (dedicated MWAIT line and kick, no INIT).
#include "targets/target.h"
#include "targets/x86/x86_kernel.h"

namespace crashdiff::x86 {
namespace {

const TargetSpec kSpec{
    .name = "x86-nmi-shootdown",
    .family = pb::X86,
    .platforms = {pb::X86_INTEL_MWAIT, pb::X86_HLT},
    .models =
        "torvalds/linux v6.6+ arch/x86/kernel/reboot.c nmi_shootdown_cpus, crash_nmi_callback, "
        "run_crash_ipi_callback; crash.c native_machine_crash_shutdown; kernel/panic.c",
    .summary = "kdump: one NMI shootdown of online CPUs; offline CPUs untouched",
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
      return std::make_unique<X86Kernel>(m, X86Variant{.dedicated_mwait_line = true, .robust_stop_mask = true});
    },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::x86
