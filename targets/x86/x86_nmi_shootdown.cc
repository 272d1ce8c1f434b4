// x86-nmi-shootdown: the kdump path of current mainline (DOMAIN §3.10): a single NMI shootdown of the online CPUs
// (crash_ipi_issued, crash NMI handler registered NMI_FLAG_FIRST, 1 s wait), losers collected by the NMI or, when they
// panicked in NMI context, by running the callback themselves (nmi_panic_self_stop). Offline CPUs are neither
// woken nor counted. Models torvalds/linux v6.6+ arch/x86/kernel/reboot.c nmi_shootdown_cpus /
// crash_nmi_callback, crash.c native_machine_crash_shutdown, kernel/panic.c; the kexec side is mainline's
// (dedicated MWAIT line and kick, no INIT).
#include "targets/target.h"
#include "targets/x86/x86_kernel.h"
#include "targets/x86/x86_known.h"

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
    .known = FixedTargetKnown({"offline-target"}),
    .not_applicable = {kNoHandshakeWithoutMwait},
    .make = [](Machine& m) -> std::unique_ptr<Program> {
      return std::make_unique<X86Kernel>(m, X86Variant{.dedicated_mwait_line = true, .robust_stop_mask = true});
    },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::x86
