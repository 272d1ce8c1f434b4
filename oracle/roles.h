// CPU roles at crash time (DOMAIN §1.1), used to normalise outcomes and name divergences without CPU numbers.
// A role is what the CPU is when the crash (or kexec) starts, and follows hotplug during the crash: the scenario
// gives the state at time 0 (offline / never_started), the run's hotplug transitions (Machine::RecordOnline, booked
// by every model) move it, and the run names the initiator and the losers. Renumbering the CPUs of a scenario
// gives the same roles.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "oracle/facts.h"
#include "proto/scenario.pb.h"
#include "sim/machine.h"

namespace crashdiff {

#define CRASHDIFF_ROLES(X)                                                                                   \
  X(kInitiator, "initiator", "the CPU that ran the crash/kexec shutdown and handed over")                    \
  X(kOnlineTarget, "online-target", "online when the crash starts and until hand-over, did not enter panic") \
  X(kOfflineTarget, "offline-target", "offline when the crash starts, or taken offline before hand-over")    \
  X(kLoser, "loser", "entered panic()/crash_kexec() before hand-over but lost arbitration")                   \
  X(kNeverStarted, "never-started", "present, never started (held by firmware)")

enum class Role : uint8_t {
#define CRASHDIFF_ROLE_ENUM(e, name, meaning) e,
  CRASHDIFF_ROLES(CRASHDIFF_ROLE_ENUM)
#undef CRASHDIFF_ROLE_ENUM
};

inline constexpr std::array<std::string_view, 5> kRoleNames = {
#define CRASHDIFF_ROLE_NAME(e, name, meaning) name,
    CRASHDIFF_ROLES(CRASHDIFF_ROLE_NAME)
#undef CRASHDIFF_ROLE_NAME
};
inline constexpr size_t kNumRoles = kRoleNames.size();
constexpr std::string_view Name(Role r) {
  return kRoleNames[static_cast<size_t>(r)];
}

// The initiator of a run: the hand-over CPU; else the first CPU (in model time) that ran the shutdown; else the
// CPU that won panic() and halted there (no image); else the first CPU that entered panic; kNoCpu if none.
uint32_t InitiatorOf(const RunResult& result);

// One role per CPU. The hotplug facts (facts.h) come from result.book unless given.
std::vector<Role> RolesOf(const pb::Scenario& scenario, const RunResult& result);
std::vector<Role> RolesOf(const pb::Scenario& scenario, const RunResult& result,
                          const std::vector<HotplugFacts>& hotplug);

}  // namespace crashdiff
