// Location states: what the oracle observes of each CPU (DOMAIN §1.2), plus the states of the crashing CPU itself.
// One table declares them; names, the parked/strict classification and the timeline colours all come from it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace crashdiff {

#define CRASHDIFF_LOCATIONS(X)                                                                                      \
  /*  enum         name               parked strict colour   meaning */                                             \
  X(kRunOld, "RUN_OLD", false, false, "#9e9e9e", "executing ordinary old-kernel code")                              \
  X(kOfflineLoop, "OFFLINE_LOOP", false, false, "#64b5f6", "awake inside the platform's offline loop")              \
  X(kStoppedHw, "STOPPED_HW", false, false, "#1565c0", "in a wakeable hardware low-power state")                    \
  X(kReceiverWait, "RECEIVER_WAIT", false, false, "#ffb74d", "in the crash receiver, waiting for the go flag")      \
  X(kTransit, "TRANSIT", false, false, "#ff7043", "past the go flag, tearing down before parking")                  \
  X(kParkedFw, "PARKED_FW", true, true, "#2e7d32", "handed back to firmware")                                       \
  X(kParkedSpin, "PARKED_SPIN", true, true, "#43a047", "spinning, interrupts off, until the next kernel frees it")  \
  X(kParkedHlt, "PARKED_HLT", true, false, "#9ccc65", "x86 HLT with IF=0 (NMI/SMI/MCE resume it)")                  \
  X(kParkedInit, "PARKED_INIT", true, false, "#c5e1a5", "x86 wait-for-SIPI (weak against broadcast MCE)")           \
  X(kLoserSpin, "LOSER_SPIN", true, false, "#ce93d8", "spinning in panic's self-stop loop in old-kernel text")      \
  X(kDeadCorrupt, "DEAD_CORRUPT", false, false, "#d50000", "executing replaced code or new vectors with old state") \
  X(kNeverStarted, "NEVER_STARTED", true, true, "#eeeeee", "present, never started, held by firmware")              \
  X(kCrashing, "CRASHING", false, false, "#fdd835", "the initiator, running the crash shutdown")                    \
  X(kWaitingOperator, "WAITING_OPERATOR", false, false, "#f9a825", "initiator waiting for an operator reset")       \
  X(kPanicHalt, "PANIC_HALT", false, false, "#8d6e63", "panicked with nothing to hand over to; halted in panic")    \
  X(kNextKernel, "NEXT_KERNEL", false, false, "#00897b", "the initiator after hand-over, running the next kernel")  \
  X(kLooseVectors, "LOOSE_VECTORS", false, false, "#ad1457",                                                        \
    "executing old-kernel exception vectors with no way out (reset with no paca, ISI loop), not saved")

enum class Location : uint8_t {
#define CRASHDIFF_LOCATION_ENUM(e, name, parked, strict, colour, meaning) e,
  CRASHDIFF_LOCATIONS(CRASHDIFF_LOCATION_ENUM)
#undef CRASHDIFF_LOCATION_ENUM
};

struct LocationInfo {
  std::string_view name;
  bool parked;  // an acceptable place to be at hand-over (PR1)
  bool strict;  // parked and strong against every event (PR1 strict success)
  std::string_view colour;
  std::string_view meaning;
};

inline constexpr std::array kLocationInfo = {
#define CRASHDIFF_LOCATION_INFO(e, name, parked, strict, colour, meaning) \
  LocationInfo{name, parked, strict, colour, meaning},
    CRASHDIFF_LOCATIONS(CRASHDIFF_LOCATION_INFO)
#undef CRASHDIFF_LOCATION_INFO
};

constexpr const LocationInfo& Info(Location l) {
  return kLocationInfo[static_cast<size_t>(l)];
}
constexpr std::string_view Name(Location l) {
  return Info(l).name;
}

inline std::optional<Location> LocationFromName(std::string_view name) {
  for (size_t i = 0; i < kLocationInfo.size(); ++i) {
    if (kLocationInfo[i].name == name) return static_cast<Location>(i);
  }
  return std::nullopt;
}

}  // namespace crashdiff
