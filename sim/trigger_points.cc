#include "sim/trigger_points.h"

#include <array>

namespace crashdiff {
namespace {

// powerpc (targets/ppc, oracle/reference_ppc.cc). Split/debug steps of the offline loop are L7/L8 in every ppc
// model; L6 (the kdump check) and L2a (v1's early check) exist only in some, so they are not trigger points.
constexpr std::array kPpc = {
    TriggerPoint{"D1", "dying CPU: take_cpu_down starts (stop_machine work)"},
    TriggerPoint{"D2", "dying CPU: leaves the online set (set_cpu_online false)"},
    TriggerPoint{"D6", "dying CPU: its idle loop sees itself offline"},
    TriggerPoint{"D7", "dying CPU: calls cpu_die, about to enter the offline loop"},
    TriggerPoint{"DIE", "die(): an oops starts"},
    TriggerPoint{"E1", "offline loop entry: hard interrupts off"},
    TriggerPoint{"E3", "offline loop entry: reports itself dead"},
    TriggerPoint{"H0", "offline loop: checks for a cpu_up request"},
    TriggerPoint{"HD0", "cpu_down requester: starts (cpu_maps_update_begin)"},
    TriggerPoint{"HD1", "cpu_down requester: checks the target is online, asks it to stop"},
    TriggerPoint{"HD2", "cpu_down requester: waits for the dead report"},
    TriggerPoint{"HD4", "cpu_down requester: done (cpu_maps_update_done)"},
    TriggerPoint{"HU0", "cpu_up requester: starts (cpu_maps_update_begin)"},
    TriggerPoint{"HU1", "cpu_up requester: checks the target is dead, marks it UP_PREPARE"},
    TriggerPoint{"HU2", "cpu_up requester: wakes the offline CPU"},
    TriggerPoint{"HU3", "cpu_up requester: waits for the CPU to be online"},
    TriggerPoint{"HU4", "cpu_up requester: done"},
    TriggerPoint{"I10", "initiator: writes the go flag (time_to_dump)"},
    TriggerPoint{"I2", "initiator: writes crashing_cpu"},
    TriggerPoint{"I9", "initiator: saves its own registers"},
    TriggerPoint{"L2", "offline loop: enters the idle (stop) state"},
    TriggerPoint{"L3", "offline loop: woke up, back from the idle state"},
    TriggerPoint{"L5", "offline loop: full barrier after clearing the wake source"},
    TriggerPoint{"P1", "panic() entry: interrupts off"},
    TriggerPoint{"P2", "panic(): panic_cpu arbitration"},
    TriggerPoint{"R1", "receiver entry: hard interrupts off"},
    TriggerPoint{"R3", "receiver: counts itself in cpus_in_crash"},
    TriggerPoint{"R4", "receiver: waits for the go flag"},
    TriggerPoint{"SU1", "back online: start_secondary starts"},
    TriggerPoint{"SU2", "back online: joins the online set"},
    TriggerPoint{"SU4", "back online: interrupts on, idle again"},
};

// x86 (targets/x86, oracle/reference_x86.cc).
constexpr std::array kX86 = {
    TriggerPoint{"D0", "die(): an oops starts (interrupts off)"},
    TriggerPoint{"D2", "die(): the oops is printed"},
    TriggerPoint{"HD0", "cpu_down requester: starts (cpu_maps_update_begin)"},
    TriggerPoint{"HD1", "cpu_down requester: checks the target is online, asks it to stop"},
    TriggerPoint{"HD2", "dying CPU: leaves the online set, migrates interrupts"},
    TriggerPoint{"HD3", "cpu_down requester: waits for the dead report"},
    TriggerPoint{"HD4", "cpu_down requester: done (cpu_maps_update_done)"},
    TriggerPoint{"HU0", "cpu_up requester: starts (cpu_maps_update_begin)"},
    TriggerPoint{"HU1", "cpu_up requester: checks the target is offline, starts it"},
    TriggerPoint{"HU2", "cpu_up: STARTUP IPI / the CPU comes back online"},
    TriggerPoint{"HU3", "cpu_up requester: waits for the CPU to be online"},
    TriggerPoint{"HU4", "cpu_up requester: done"},
    TriggerPoint{"K0", "kernel_kexec(): a normal kexec starts"},
    TriggerPoint{"K1", "kernel_kexec(): past the lock, the kexec is under way"},
    TriggerPoint{"N0", "an NMI handler starts"},
    TriggerPoint{"O1", "play_dead entry: interrupts off, reports itself dead"},
    TriggerPoint{"O2", "play_dead: cache flush before the loop"},
    TriggerPoint{"O3a", "play_dead loop: flushes the monitored line"},
    TriggerPoint{"O3b", "play_dead loop: arms MONITOR"},
    TriggerPoint{"O3c", "play_dead loop: barrier before MWAIT"},
    TriggerPoint{"O3d", "play_dead loop: MWAIT"},
    TriggerPoint{"P1", "panic() entry: interrupts off"},
    TriggerPoint{"P2", "panic(): panic_cpu arbitration"},
};

// arm64 (targets/arm64, oracle/reference_arm64.cc).
constexpr std::array kArm64 = {
    TriggerPoint{"AD1", "cpu_die: exceptions masked"},
    TriggerPoint{"D0", "die(): an oops starts (interrupts off)"},
    TriggerPoint{"D2", "die(): the oops is printed"},
    TriggerPoint{"HP0", "cpu_down requester: starts (cpu_maps_update_begin)"},
    TriggerPoint{"HP1", "cpu_down requester: checks the target is online, asks it to stop"},
    TriggerPoint{"HP2", "dying CPU: leaves the online set, migrates interrupts"},
    TriggerPoint{"HP3", "cpu_down requester: waits for the dead report"},
    TriggerPoint{"HP4", "cpu_down requester: done"},
    TriggerPoint{"HU0", "cpu_up requester: starts (cpu_maps_update_begin)"},
    TriggerPoint{"HU1", "cpu_up requester: checks the target is offline and dead, kicks it"},
    TriggerPoint{"HU2", "cpu_up requester: PSCI CPU_ON"},
    TriggerPoint{"HU3", "cpu_up requester: waits for the CPU to come online"},
    TriggerPoint{"HU4", "cpu_up requester: done"},
    TriggerPoint{"P1", "panic() entry: interrupts off"},
    TriggerPoint{"P2", "panic(): panic_cpu arbitration"},
};

}  // namespace

std::span<const TriggerPoint> TriggerPoints(pb::Family family) {
  switch (family) {
    case pb::X86: return kX86;
    case pb::ARM64: return kArm64;
    default: return kPpc;
  }
}

bool IsTriggerPoint(pb::Family family, std::string_view label) {
  for (const TriggerPoint& t : TriggerPoints(family)) {
    if (t.label == label) return true;
  }
  return false;
}

std::string TriggerPointError(pb::Family family, std::string_view label) {
  if (IsTriggerPoint(family, label)) return {};
  std::string valid;
  for (const TriggerPoint& t : TriggerPoints(family)) valid += (valid.empty() ? "" : " ") + std::string(t.label);
  return "\"" + std::string(label) + "\" is not a trigger point of " + pb::Family_Name(family) +
         " (a step every model of the family executes at the same moment); valid: " + valid;
}

std::string_view NearestTriggerPoint(pb::Family family, std::string_view label) {
  const std::span<const TriggerPoint> table = TriggerPoints(family);
  std::string_view best = table.front().label;
  size_t best_len = 0;
  for (const TriggerPoint& t : table) {
    size_t n = 0;
    while (n < t.label.size() && n < label.size() && t.label[n] == label[n]) ++n;
    if (n == label.size() && n == t.label.size()) return t.label;
    if (n > best_len) {
      best_len = n;
      best = t.label;
    }
  }
  return best;
}

}  // namespace crashdiff
