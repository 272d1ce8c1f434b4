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

// crash_kexec_prepare_cpus with panic_timeout <= 0 after a first timeout asks for a dumprestart and waits for it.
inline const KnownDivergence kOperatorWait{
    .property = "PR8",
    .role = "initiator",
    .what = "waits for an operator reset",
    .labels = {"I8"},
    .note = "panic_timeout <= 0 and a missing CPU: crash_kexec_prepare_cpus waits for a dumprestart"};

}  // namespace crashdiff::ppc
