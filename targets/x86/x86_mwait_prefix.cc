// x86-mwait-prefix: offline CPUs parked in MWAIT on the idle task's thread flags, kexec without a kick (spec
// §3.8). Models torvalds/linux arch/x86/kernel/smpboot.c mwait_play_dead() and arch/x86/kernel/smp.c
// native_stop_other_cpus() as of v6.3 (before the June 2023 x86/smp series: parent of f9c9987bf52f).
#include "targets/target.h"
#include "targets/x86/x86_kernel.h"
#include "targets/x86/x86_known.h"

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
            {.property = "PR10",
             .role = "offline-target",
             .what = "woken by a relocation store to its monitored line",
             .fixed_by = "d7893093a741",
             .note = "a relocation store to the monitored thread-flags line resumes MWAIT in overwritten text"},
            {.property = "PR10",
             .role = "offline-target",
             .what = "from STOPPED_HW",
             .fixed_by = "d7893093a741",
             .note = "the same offline CPU woken out of MWAIT (by anything) while relocation overwrites its text"},
            {.property = "PR10",
             .role = "offline-target",
             .what = "from OFFLINE_LOOP",
             .fixed_by = "d7893093a741",
             .note = "the same offline CPU caught awake in mwait_play_dead's loop while relocation overwrites it"},
            {.property = "PR1",
             .role = "offline-target",
             .what = "at hand-over",
             .labels = {"O1", "O2", "O3a", "O3b", "O3c", "O3d", "O4"},
             .fixed_by = "d7893093a741",
             .note = "the offline CPU is in (or woken from) MWAIT on an ordinary line while kexec relocates"},
            {.property = "PR2",
             .role = "offline-target",
             .what = "DEAD_CORRUPT after hand-over from",
             .fixed_by = "d7893093a741",
             .note = "an offline CPU left in MWAIT (or HLT) over replaced memory runs it on the next wake"},
            {.property = "PR1",
             .role = "online-target",
             .labels = {"ST1", "ST2", "ST3", "O3d"},
             .fixed_by = "1f5e7eb7868e",
             .note = "the stopper waits on num_online_cpus(), which stop_this_cpu clears before it reaches HLT: "
                     "relocation can overwrite the text the target is still executing"},
            {.property = "PR10",
             .role = "online-target",
             .fixed_by = "1f5e7eb7868e",
             .note = "same race, seen at the relocation write"},
            {.property = "PR1",
             .what = "TRANSIT at hand-over",
             .labels = {"ST1", "ST2", "ST3"},
             .fixed_by = "1f5e7eb7868e",
             .note = "the same race on a CPU that is not an online target (one brought back up during the crash)"},
            {.property = "PR10",
             .what = "from TRANSIT",
             .fixed_by = "1f5e7eb7868e",
             .note = "same race, seen at the relocation write, on any CPU still in stop_this_cpu"},
            {.property = "PR2",
             .role = "online-target",
             .fixed_by = "1f5e7eb7868e",
             .note = "same race after hand-over; and HLT is weak against NMI/SMI/MCE after relocation"},
            HltResumes("loser"),
            HltResumesDuringRelocation("loser"),
            HltResumes("offline-target"),  // hlt_play_dead without MWAIT
            HltResumesDuringRelocation("offline-target"),
            // A cpu_up stopped between its INIT and its STARTUP IPI leaves the CPU in wait-for-SIPI.
            InitParkTakesMce("PR10", "offline-target"),
        },
    .not_applicable = {{.property = "PR11",
                        .reason = "before d7893093a741 there is no kick handshake: nothing to acknowledge"}},
    .make = [](Machine& m) -> std::unique_ptr<Program> { return std::make_unique<X86Kernel>(m, X86Variant{}); },
};

CRASHDIFF_TARGET(kSpec);

}  // namespace
}  // namespace crashdiff::x86
