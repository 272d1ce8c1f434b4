// --explain: a divergence's witness as the steps that led to it — the witness CPU's trace entries (and the
// machine's events) up to and including the witness step.
#pragma once

#include <string>
#include <vector>

#include "diff/differential.h"

namespace crashdiff {

// run must have been recorded with its trace. At most max_lines entries, the last ones before the witness.
std::vector<std::string> ExplainDivergence(const RunResult& run, const Divergence& divergence, size_t max_lines = 40);

}  // namespace crashdiff
