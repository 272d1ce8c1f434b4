// Helpers shared by the x86 and arm64 target tests: run a textproto scenario on a named target, and read the
// trace and diagnostics of the result.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "diff/runner.h"
#include "tests/sim_test_util.h"

namespace crashdiff::testing {

inline constexpr const char* kX86Targets[] = {"x86-mwait-prefix", "x86-mwait-fixed", "x86-init-park",
                                              "x86-nmi-shootdown"};

inline RunResult RunTarget(std::string_view target, const std::string& text) {
  const TargetSpec* spec = FindTarget(target);
  EXPECT_NE(spec, nullptr) << target;
  if (spec == nullptr) return RunResult{};
  return RunOnTarget(*spec, ScenarioFromText(text));
}

// The same with a model-private label trigger (see UnvalidatedScenarioFromText).
inline RunResult RunTargetOnOwnLabel(std::string_view target, const std::string& text) {
  const TargetSpec* spec = FindTarget(target);
  EXPECT_NE(spec, nullptr) << target;
  if (spec == nullptr) return RunResult{};
  return RunOnTarget(*spec, UnvalidatedScenarioFromText(text));
}

inline int CountDiagnostics(const RunResult& r, std::string_view fragment) {
  return static_cast<int>(std::count_if(r.diagnostics.begin(), r.diagnostics.end(), [&](const Diagnostic& d) {
    return d.text.find(fragment) != std::string::npos;
  }));
}

// The first trace entry of cpu with kind and label (and, if given, a detail containing detail); nullptr if none.
inline const TraceEntry* FindEntry(const RunResult& r, uint32_t cpu, TraceKind kind, std::string_view label,
                                   std::string_view detail = {}) {
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.cpu == cpu && e.kind == kind && e.label == label && e.detail.find(detail) != std::string::npos) return &e;
  }
  return nullptr;
}

inline int CountEntries(const RunResult& r, uint32_t cpu, TraceKind kind, std::string_view label) {
  int n = 0;
  for (const TraceEntry& e : r.trace.entries()) n += e.cpu == cpu && e.kind == kind && e.label == label;
  return n;
}

}  // namespace crashdiff::testing
