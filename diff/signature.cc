// Divergence signatures: one bug, one title (ARCHITECTURE §7). Numbers never appear in the variable part, so CPU
// renumbering, timing shifts and counts do not split a bug into many signatures.
#include <string>

#include "diff/differential.h"

namespace crashdiff {
namespace {

struct PlatformTagRow {
  pb::Platform platform;
  std::string_view tag;
};

constexpr PlatformTagRow kPlatformTags[] = {
    {pb::POWER8_XICS, "power8-xics"},  {pb::POWER9_DOORBELL_XIVE, "doorbell"}, {pb::POWER9_XIVE_IPI, "xive-ipi"},
    {pb::POWER9_ICP_OPAL, "icp-opal"}, {pb::X86_INTEL_MWAIT, "mwait"},         {pb::X86_HLT, "hlt"},
    {pb::ARM64_PSCI, "psci"},          {pb::ARM64_SPIN_TABLE, "spin-table"},
};

}  // namespace

std::string PlatformTag(const pb::Scenario& scenario) {
  const pb::Machine& m = scenario.machine();
  std::string tag = "unknown";
  for (const PlatformTagRow& row : kPlatformTags) {
    if (row.platform == m.platform()) tag = std::string(row.tag);
  }
  // The firmware system reset changes the wake mechanism (DOMAIN §3.4 ppc-nmi-sysreset).
  if (m.family() == pb::PPC && m.firmware().system_reset_supported()) tag += "+nmi-sysreset";
  return tag;
}

// The step label of the witness says where a bug shows (the stop a lost wake sleeps in, the read without a
// barrier). For PR1 and PR2 it only says which step the CPU happened to run last, which timing moves between
// R1..R5 or between the events of the same hazard; their cause is the location: where the CPU was at hand-over
// (PR1), the park it left (PR2).
std::string RootCauseKey(std::string_view property, std::string_view short_name, std::string_view witness_label,
                         std::string_view what) {
  std::string_view at = witness_label;
  if (property == "PR1") {
    at = what.substr(0, what.find(' '));  // "STOPPED_HW at hand-over"
  } else if (property == "PR2" || property == "PR10") {
    // "DEAD_CORRUPT after hand-over from STOPPED_HW", "leaves PARKED_HLT for LOSER_SPIN after hand-over"
    if (const size_t from = what.rfind("from "); from != std::string_view::npos) {
      at = what.substr(from + 5);
    } else if (what.rfind("leaves ", 0) == 0) {
      at = what.substr(7, what.find(' ', 7) - 7);
    }
  }
  std::string key;
  key.reserve(48);
  key += property;
  key += ' ';
  key += short_name;
  key += " @";
  key += at.empty() ? std::string_view("-") : at;
  return key;
}

std::string MakeSignature(std::string_view property, std::string_view short_name, std::string_view role,
                          std::string_view what, std::string_view target, std::string_view platform_tag) {
  std::string sig;
  sig.reserve(96);
  sig += property;
  sig += ' ';
  sig += short_name;
  sig += ": ";
  sig += role;
  sig += ' ';
  sig += ReplaceDigits(what);  // defensive: checkers already write digit-free text
  sig += " [";
  sig += target;
  sig += '/';
  sig += platform_tag;
  sig += ']';
  return sig;
}

}  // namespace crashdiff
