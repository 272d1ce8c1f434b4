// The differential report as JSON (`crashdiff run --json`); the schema is docs/JSON.md. Deterministic.
#pragma once

#include <string>
#include <string_view>

#include "diff/differential.h"

namespace crashdiff {

inline constexpr int kJsonSchemaVersion = 1;

std::string DiffReportToJson(const pb::Scenario& scenario, std::string_view scenario_name, const DiffReport& report);

}  // namespace crashdiff
