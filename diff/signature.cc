// Divergence signatures: one bug, one title (DESIGN §7). Numbers never appear in the variable part, so CPU
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
  // The firmware system reset changes the wake mechanism (spec §3.4 ppc-nmi-sysreset).
  if (m.family() == pb::PPC && m.firmware().system_reset_supported()) tag += "+nmi-sysreset";
  return tag;
}

std::string RootCauseKey(std::string_view property, std::string_view short_name, std::string_view witness_label) {
  std::string key;
  key.reserve(48);
  key += property;
  key += ' ';
  key += short_name;
  key += " @";
  key += witness_label.empty() ? std::string_view("-") : witness_label;
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
