// Divergence signatures: one bug, one title (ARCHITECTURE §7). Numbers never appear in the variable part, so CPU
// renumbering, timing shifts and counts do not split a bug into many signatures.
#include "diff/signature.h"

#include <cstdio>
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
  // ReplaceDigits: defensive, checkers already write digit-free text.
  return Signature{std::string(property), std::string(short_name), std::string(role),
                   ReplaceDigits(what),   std::string(target),     std::string(platform_tag)}
      .Format();
}

std::string Signature::Key() const {
  std::string key;
  key.reserve(80);
  key += property;
  key += ' ';
  key += short_name;
  key += ": ";
  key += role;
  key += ' ';
  key += what;
  return key;
}

std::string Signature::Format() const {
  std::string sig = Key();
  sig += " [";
  sig += target;
  sig += '/';
  sig += platform;
  sig += ']';
  return sig;
}

namespace {

std::optional<Signature> Fail(std::string* error, std::string_view text, const char* why) {
  if (error != nullptr) *error = "not a signature ('" + std::string(text) + "'): " + why;
  return std::nullopt;
}

}  // namespace

std::optional<Signature> Signature::Parse(std::string_view text, std::string* error) {
  // "<property> <short-name>: <role> <what> [<target>/<platform>]"; <what> may hold spaces and brackets, so the
  // suffix is the last " [".
  const size_t space = text.find(' ');
  if (space == 0 || space == std::string_view::npos) return Fail(error, text, "no property");
  const size_t colon = text.find(": ", space + 1);
  if (colon == std::string_view::npos || colon == space + 1) return Fail(error, text, "no '<short-name>: '");
  const size_t bracket = text.rfind(" [");
  if (bracket == std::string_view::npos || bracket < colon || text.back() != ']') {
    return Fail(error, text, "no ' [<target>/<platform>]' at the end");
  }
  const size_t role_begin = colon + 2;
  const size_t role_end = text.find(' ', role_begin);
  if (role_end == role_begin || role_end >= bracket) return Fail(error, text, "no '<role> ' after the short name");
  const std::string_view inside = text.substr(bracket + 2, text.size() - bracket - 3);
  const size_t slash = inside.find('/');
  if (slash == 0 || slash == std::string_view::npos || slash + 1 == inside.size()) {
    return Fail(error, text, "the suffix is not [<target>/<platform>]");
  }
  Signature s;
  s.property = text.substr(0, space);
  s.short_name = text.substr(space + 1, colon - space - 1);
  s.role = text.substr(role_begin, role_end - role_begin);
  s.what = text.substr(role_end + 1, bracket - role_end - 1);
  s.target = inside.substr(0, slash);
  s.platform = inside.substr(slash + 1);
  return s;
}

std::string Signature::KeyOf(std::string_view text) {
  if (const std::optional<Signature> s = Parse(text)) return s->Key();
  // Not a whole signature: the text before a "[...]" suffix, if it has one (a hand-written key keeps its text).
  const size_t bracket = text.rfind(" [");
  if (bracket == std::string_view::npos || text.empty() || text.back() != ']') return std::string(text);
  return std::string(text.substr(0, bracket));
}

std::string Signature::ReadableFileName(std::string_view text) {
  std::string out;
  bool dash = false;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      if (dash && !out.empty()) out += '-';
      out += c;
      dash = false;
    } else {
      dash = true;
    }
    if (out.size() >= 100) break;
  }
  // A readable prefix can be shared by two signatures ("...[t/doorbell]" and "...[t/doorbell+nmi-sysreset]" cut
  // at the same place): a hash of the whole text keeps every name distinct (FNV-1a, stable across builds).
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", static_cast<unsigned>(h ^ (h >> 32)));
  return out + "-" + hex + ".textproto";
}

}  // namespace crashdiff
