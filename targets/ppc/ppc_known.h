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

// crash_kexec_prepare_cpus with panic_timeout <= 0 after a first timeout asks for a dumprestart and waits for it.
inline const KnownDivergence kOperatorWait{
    .property = "PR8",
    .role = "initiator",
    .what = "waits for an operator reset",
    .labels = {"I8"},
    .note = "panic_timeout <= 0 and a missing CPU: crash_kexec_prepare_cpus waits for a dumprestart"};

}  // namespace crashdiff::ppc
