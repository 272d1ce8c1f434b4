// Documented mechanisms every powerpc model shares (KnownDivergence, targets/target.h): one definition each,
// listed by the targets that have them.
#pragma once

#include "targets/target.h"

namespace crashdiff::ppc {

// A loser spins in panic_smp_self_stop with interrupts soft-masked: the muxed crash IPI is only recorded as
// pending, so it is never collected and never saved (without the firmware system reset).
inline const KnownDivergence kLoserNotSaved{.property = "PR5",
                                            .role = "loser",
                                            .what = "not saved",
                                            .labels = {"P2"},
                                            .note = "a loser spinning soft-masked never takes the muxed crash IPI"};

// The same uncollected loser is still spinning in old-kernel text at hand-over: a reset, HMI or machine check after
// hand-over enters the kdump kernel's vectors with old-kernel state.
inline const KnownDivergence kLoserLeftInOldText{
    .property = "PR2",
    .role = "loser",
    .what = "from LOSER_SPIN",
    .note =
        "an uncollected loser (kLoserNotSaved) is still in panic_smp_self_stop at hand-over; a later "
        "exception takes the replaced vectors"};

// crash_kexec_post_notifiers: panic() stops the other CPUs with smp_send_stop() before crash_kexec(). Each spins in
// its stop function with interrupts off, so the crash round's muxed IPI cannot collect it, and it is still in (or on
// its way into) that spin in old-kernel text at hand-over. In v4.14 it also marks itself offline (not counted, never
// sent a crash wake); from de6e5d38417e until bab26238bbd4 it stays online (in the round's snapshot and in the
// real-mode and OPAL waits, collected only by a firmware system reset). c7255058b543 (2022, ppc-sreset-dump)
// collects them in crash_smp_send_stop.
inline const KnownDivergence kStoppedBeforeCrashNotSaved{
    .property = "PR5",
    .role = "",  // any CPU the stop reached, also one caught mid-unplug (it runs the queued stop as it goes down)
    .what = "not saved",
    .labels = {"STOP"},
    .fixed_by = "c7255058b5430b5c42932383bd8887d591e7973a",
    .note = "crash_kexec_post_notifiers: smp_send_stop parked it, interrupts off, before the crash round"};
// (No entry for a v4.14 CPU still entering stop_this_cpu at hand-over: the kernel does not wait for it, but skiboot's
// opal_reinit_cpus at I13 gives every thread it believes is in the OS a second, and the CPU is spinning by then.)
// v4.14 sends the crash IPI to the online mask only: a CPU stop_this_cpu took out of it is never sent one.
inline const KnownDivergence kStoppedBeforeCrashNotWoken{
    .property = "PR7",
    .role = "online-target",
    .what = "never sent a crash wake",
    .fixed_by = "c7255058b5430b5c42932383bd8887d591e7973a",
    .note = "crash_kexec_post_notifiers: smp_send_stop marked it offline; crash_send_ipi targets online CPUs only"};
// The same CPU when a system reset later takes it from stop_this_cpu into the crash path: crash_ipi_callback finds it
// offline and sends it on into die() and panic(), which it loses.
inline const KnownDivergence kStoppedBeforeCrashLoserNotWoken{
    .property = "PR7",
    .role = "loser",
    .what = "never sent a crash wake",
    .fixed_by = "c7255058b5430b5c42932383bd8887d591e7973a",
    .note = "stopped by smp_send_stop, then a reset sent it into die() and a lost panic(); never sent a crash IPI"};

// crash_kexec_prepare_cpus with panic_timeout <= 0 after a first timeout asks for a dumprestart and waits for it.
inline const KnownDivergence kOperatorWait{
    .property = "PR8",
    .role = "initiator",
    .what = "waits for an operator reset",
    .labels = {"I8"},
    .note = "panic_timeout <= 0 and a missing CPU: crash_kexec_prepare_cpus waits for a dumprestart"};

// The BMC's reset reaches every thread the hardware has enabled, also those skiboot holds (openpower-proc-control
// NMI::nMI), and enters at real address 0x100, which after the hand-over is the kdump kernel's: a thread parked in
// firmware, or never started, runs the next kernel's reset handler with what the old kernel or firmware left. No
// kernel can hold that reset off (oracle/inherent.cc lists it as an inherent hazard).
inline const KnownDivergence kFirmwareHeldResetAfterHandover{
    .property = "PR2",
    .role = "",
    .what = "DEAD_CORRUPT after hand-over from PARKED_FW",
    .note = "an operator's reset after the hand-over takes threads skiboot holds to the kdump kernel's 0x100"};
// The same reset as the hand-over comes: the thread (returned to firmware or never started) has left it for the old
// kernel's 0x100 but runs nothing before the relocation replaces it (the PR2 that follows is judged by the park it
// left: kFirmwareHeldResetAfterHandover, kNeverStartedResetAfterHandover).
inline const KnownDivergence kFirmwareHeldResetAtHandover{
    .property = "PR1",
    .role = "",
    .what = "by the machine",
    .note = "an operator's reset as the hand-over comes takes a thread skiboot holds to the 0x100 being replaced"};
// The same reset after a normal kexec, seen by the relocation check: the thread resumes in memory the new kernel's
// image replaced (a normal kexec overwrites the old kernel, so the reset vector is the new kernel's).
inline const KnownDivergence kFirmwareHeldResetIntoRelocated{
    .property = "PR10",
    .role = "",
    .what = "resumes into relocated memory from PARKED_FW",
    .note = "an operator's reset after a normal kexec takes threads skiboot holds into the new kernel's memory"};
inline const KnownDivergence kNeverStartedResetIntoRelocated{
    .property = "PR10",
    .role = "never-started",
    .what = "resumes into relocated memory from NEVER_STARTED",
    .note = "an operator's reset after a normal kexec takes a never-started thread into the new kernel's memory"};
inline const KnownDivergence kNeverStartedResetAfterHandover{
    .property = "PR2",
    .role = "never-started",
    .what = "DEAD_CORRUPT after hand-over from NEVER_STARTED",
    .note = "an operator's reset after the hand-over takes a never-started thread to the kdump kernel's 0x100"};

}  // namespace crashdiff::ppc
