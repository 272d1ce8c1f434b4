// The one spelling of a machine family outside the schema: "ppc", "x86", "arm64" (command-line options, directory
// names under corpus/seeds and corpus/findings, CRASHDIFF_FAMILY). Header-only: the AFL++ custom mutator, which
// links nothing but the mutator and the schema, reads the same names as the CLI.
#pragma once

#include <cctype>
#include <optional>
#include <string>
#include <string_view>

#include "proto/scenario.pb.h"

namespace crashdiff {

struct FamilyNameRow {
  pb::Family family;
  std::string_view name;
};
inline constexpr FamilyNameRow kFamilyNames[] = {{pb::PPC, "ppc"}, {pb::X86, "x86"}, {pb::ARM64, "arm64"}};

// "ppc" -> PPC; nullopt for anything else. any_case: "PPC" and "Arm64" too (the environment variable's rule).
inline std::optional<pb::Family> ParseFamilyName(std::string_view name, bool any_case = false) {
  for (const FamilyNameRow& row : kFamilyNames) {
    if (name.size() != row.name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      const char c = any_case ? static_cast<char>(std::tolower(static_cast<unsigned char>(name[i]))) : name[i];
      same = c == row.name[i];
    }
    if (same) return row.family;
  }
  return std::nullopt;
}

// PPC -> "ppc"; "" for FAMILY_UNSPECIFIED.
inline std::string FamilyName(pb::Family family) {
  for (const FamilyNameRow& row : kFamilyNames) {
    if (row.family == family) return std::string(row.name);
  }
  return "";
}

}  // namespace crashdiff
