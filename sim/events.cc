#include "sim/events.h"

#include <array>

namespace crashdiff {
namespace {

constexpr uint32_t kMany = 32;

constexpr std::array kEvents = {
    EventInfo{pb::PANIC, true, 1, 1, false, kFamAll, "cpus[0] calls panic()"},
    EventInfo{pb::OOPS, true, 1, 1, false, kFamAll, "cpus[0] oopses: die() -> crash_kexec -> panic"},
    EventInfo{pb::KEXEC, true, 1, 1, false, kFamAll, "cpus[0] starts a normal kexec", true},
    EventInfo{pb::HOTPLUG_DOWN, true, 2, 2, false, kFamAll, "cpus[0] takes cpus[1] offline", true},
    EventInfo{pb::HOTPLUG_UP, true, 2, 2, false, kFamAll, "cpus[0] brings cpus[1] online", true},
    EventInfo{pb::HMI, false, 1, kMany, true, kFamPpc, "hypervisor maintenance interrupt"},
    EventInfo{pb::MCE, false, 1, kMany, true, kFamAll, "machine check"},
    EventInfo{pb::DEVICE_IRQ, false, 1, 1, false, kFamAll, "device interrupt with vector"},
    EventInfo{pb::STRAY_DOORBELL, false, 1, 1, false, kFamPpc, "superfluous doorbell"},
    EventInfo{pb::STALE_ICP_IPI, false, 1, 1, false, kFamPpc, "MFRR already holds an IPI"},
    EventInfo{pb::SYSTEM_RESET, false, 1, kMany, true, kFamPpc, "system reset (firmware NMI)"},
    EventInfo{pb::SPURIOUS_WAKE, false, 1, 1, false, kFamAll, "wake with no reason"},
    EventInfo{pb::KVM_EXIT, false, 1, 1, false, kFamPpc, "POWER8 guest exit (SRR1 = 0 when no guest runs)"},
    EventInfo{pb::NMI, false, 1, kMany, true, kFamX86 | kFamArm64, "NMI"},
    EventInfo{pb::SMI, false, 1, kMany, true, kFamX86, "SMI"},
    EventInfo{pb::MONITOR_WRITE, false, 1, 1, false, kFamX86, "store to the line cpus[0] monitors"},
    EventInfo{pb::OPERATOR_RESET, false, 0, 0, false, kFamAll, "operator dumprestart: reset/NMI to every CPU"},
    EventInfo{pb::XIVE_IPI, false, 1, 1, false, kFamPpc, "superfluous XIVE IPI queued"},
    EventInfo{pb::KVM_ENTER, true, 1, 8, false, kFamPpc, "cpus[0] runs a KVM guest vcore on its core", true},
};

}  // namespace

const EventInfo* FindEventInfo(pb::EventKind kind) {
  for (const EventInfo& e : kEvents) {
    if (e.kind == kind) return &e;
  }
  return nullptr;
}

std::string_view EventName(pb::EventKind kind) {
  const std::string& n = pb::EventKind_Name(kind);
  return n.empty() ? std::string_view("UNKNOWN") : std::string_view(n);
}

}  // namespace crashdiff
