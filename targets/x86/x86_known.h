// Documented mechanisms the x86 models share (KnownDivergence, targets/target.h): one definition each.
#pragma once

#include <string>
#include <vector>

#include "targets/target.h"

namespace crashdiff::x86 {

// kdump does not collect offline CPUs: they stay in mwait_play_dead over memory kdump leaves intact.
inline const KnownDivergence kKdumpOfflineAsleep{
    .property = "PR1",
    .role = "offline-target",
    .what = "STOPPED_HW at hand-over",
    .labels = {"O3d"},
    .note = "kdump never wakes offline CPUs: they stay in MWAIT on intact memory (by design)"};
inline const KnownDivergence kKdumpOfflineAwake{
    .property = "PR1",
    .role = "offline-target",
    .what = "OFFLINE_LOOP at hand-over",
    .labels = {"O1", "O2", "O3a", "O3b", "O3c", "O4"},
    .note =
        "the same loop caught awake: the crash NMI (a shorthand broadcast reaches offline CPUs too) returns at "
        "once on an offline CPU, which goes round mwait_play_dead again"};

// HLT with IF=0 resumes on NMI, SMI and machine checks: after kexec relocation that runs replaced memory.
inline KnownDivergence HltResumes(std::string role) {
  return {.property = "PR2",
          .role = std::move(role),
          .what = "PARKED_HLT",
          .note =
              "HLT resumes on NMI/SMI/MCE: after kexec relocation that runs replaced memory (the INIT park "
              "45e34c8af58f was reverted)"};
}

// The same weakness while the kexec CPU relocates: an NMI/SMI/MCE resumes a CPU halted in HLT (stop_this_cpu's
// halt, the crash NMI callback's halt, hlt_play_dead) into memory being replaced.
inline KnownDivergence HltResumesDuringRelocation(std::string role) {
  return {.property = "PR10",
          .role = std::move(role),
          .what = "from PARKED_HLT",
          .note = "HLT resumes on NMI/SMI/MCE: during kexec relocation that runs memory being replaced"};
}

// Wait-for-SIPI holds NMI, SMI and INIT but not a broadcast machine check (45e34c8af58f's own caveat): a CPU in it
// (the INIT park, or between a cpu_up's INIT and SIPI) that takes one runs replaced memory. Nothing else reaches it.
inline KnownDivergence InitParkTakesMce(std::string property, std::string role) {
  return {.property = std::move(property),
          .role = std::move(role),
          .what = "from PARKED_INIT",
          .note = "wait-for-SIPI does not hold a broadcast machine check: the CPU resumes into replaced memory"};
}

// What the x86 targets with the 2023 fixes share: kdump leaves offline CPUs in mwait_play_dead, HLT resumes on
// NMI/SMI/MCE on every role that halts (also while the kexec CPU relocates), and wait-for-SIPI takes a broadcast
// machine check on the roles given (those a CPU can be in wait-for-SIPI as).
inline std::vector<KnownDivergence> FixedTargetKnown(const std::vector<std::string>& wait_for_sipi_roles) {
  std::vector<KnownDivergence> known = {kKdumpOfflineAsleep, kKdumpOfflineAwake};
  for (const char* role : {"online-target", "offline-target", "loser"}) {
    known.push_back(HltResumes(role));
    known.push_back(HltResumesDuringRelocation(role));
  }
  for (const std::string& role : wait_for_sipi_roles) {
    known.push_back(InitParkTakesMce("PR2", role));
    known.push_back(InitParkTakesMce("PR10", role));
  }
  return known;
}

// Without MWAIT offline CPUs sit in hlt_play_dead, which the kexec kick handshake skips.
inline const NotApplicable kNoHandshakeWithoutMwait{
    .property = "PR11",
    .platforms = {pb::X86_HLT},
    .reason = "without MWAIT offline CPUs sit in hlt_play_dead: the kick handshake skips them"};

}  // namespace crashdiff::x86
