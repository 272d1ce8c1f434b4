#include "oracle/properties.h"

namespace crashdiff {

std::string_view Name(Severity s) {
  switch (s) {
    case Severity::kCritical: return "critical";
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
  }
  return "error";
}

const std::vector<PropertyInfo>& Properties() {
  static const std::vector<PropertyInfo> kProperties = {
      {"PR1", "unsafe-parking", Severity::kCritical, "every CPU but the initiator is parked at hand-over",
       CheckUnsafeParking},
      {"PR2", "unstable-after-handover", Severity::kCritical, "no CPU leaves its parked state after hand-over",
       CheckUnstableAfterHandover},
      {"PR3", "lost-wake", Severity::kCritical, "a CPU sent a crash wake does not go back to sleep uncollected",
       CheckLostWake},
      {"PR4", "ordering", Severity::kError, "clear, barrier, then check; write crashing_cpu, barrier, then wake",
       CheckOrdering},
      {"PR5", "incomplete-dump", Severity::kError, "initiator and every expected responder saved exactly once",
       CheckIncompleteDump},
      {"PR6", "counter", Severity::kError, "the arrival count never stands in for a missing responder", CheckCounter},
      {"PR7", "coverage", Severity::kError, "every expected responder is sent a crash wake", CheckCoverage},
      {"PR8", "unbounded-initiator", Severity::kError, "the initiator hands over within its time bound",
       CheckUnboundedInitiator},
      {"PR9", "multiple-initiators", Severity::kCritical, "one crash shutdown; losers stop or are collected",
       CheckMultipleInitiators},
      {"PR10", "relocation-unsafe", Severity::kCritical, "no CPU resumes into memory kexec relocation replaced",
       CheckRelocationUnsafe},
      {"PR11", "handshake", Severity::kError, "each kicked offline CPU acknowledges in time or is reported once",
       CheckHandshake},
  };
  return kProperties;
}

const PropertyInfo* FindProperty(std::string_view id) {
  for (const PropertyInfo& p : Properties()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

RunView::RunView(const pb::Scenario& s, const RunResult& r, const Facts& f) : scenario(s), result(r), facts(f) {
  roles = RolesOf(s, r, f.hotplug.size() == r.cpus.size() ? f.hotplug : HotplugFromRun(r));
  initiator = InitiatorOf(r);
  if (initiator != kNoCpu && initiator < f.cpus.size()) {
    crash = f.cpus[initiator].panicked && s.machine().crash_image_loaded();
    kexec = !crash && f.cpus[initiator].kexec_event && s.machine().kexec_image_loaded();
  }
  // R* (DOMAIN §6): the online CPUs but the initiator, plus the offline ones for implementations that wake
  // offline CPUs into the crash path (powerpc 3.2/3.3: recognised by having woken any offline CPU).
  bool wakes_offline = false;
  if (s.machine().family() == pb::PPC) {
    for (uint32_t c = 0; c < roles.size(); ++c) {
      if (roles[c] == Role::kOfflineTarget && c < f.cpus.size() && f.cpus[c].woken_before_handover) {
        wakes_offline = true;
      }
    }
  }
  expected.assign(roles.size(), false);
  for (uint32_t c = 0; c < roles.size(); ++c) {
    expected[c] = roles[c] == Role::kOnlineTarget || roles[c] == Role::kLoser ||
                  (roles[c] == Role::kOfflineTarget && wakes_offline);
  }
}

Location RunView::settled(uint32_t c) const {
  return result.handed_over ? result.cpus[c].at_handover : result.cpus[c].final;
}

std::vector<Violation> CheckProperties(const pb::Scenario& scenario, const RunResult& result, const Facts& facts) {
  const RunView run(scenario, result, facts);
  std::vector<Violation> out;
  for (const PropertyInfo& p : Properties()) p.check(run, out);
  return out;
}

}  // namespace crashdiff
