// Model coverage as extra fuzzing features: an inline 8-bit counter array registered with the engine
// (__sanitizer_cov_8bit_counters_init, libFuzzer's interface for inline counters), bumped from what each run
// observed: per target and class of CPU (online, offline, never started: interchangeable CPUs count once) the
// (location at hand-over, final location, saved, responded) tuple, the end
// reason, each diagnostic line with digits removed, and each divergence signature. Code coverage alone cannot
// tell "offline CPU parked in firmware" from "offline CPU left in STOPPED_HW": both run the same code.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "diff/differential.h"
#include "proto/scenario.pb.h"

namespace crashdiff::fuzz {

inline constexpr size_t kModelFeatureCounters = 1 << 14;

// Registers the counters with the engine if it supports inline counters (a weak symbol otherwise).
void RegisterModelFeatures();
void BumpFeature(uint64_t hash);
// Counters set so far in this input, edge (SanitizerCoverage's inline 8-bit counters) and model: what the
// engine's per-execution bookkeeping walks (harness_core.h CRASHDIFF_COUNT_FEATURES).
size_t NonZeroEdgeCounters();
size_t NonZeroModelCounters();
// Clears the edge counters: only the model features reach the engine (CRASHDIFF_EDGE_FEATURES=0).
void ClearEdgeCounters();
// Each non-zero counter in [begin, end) becomes 1: the engine sees which edges ran, not its hit-count bucket of
// how often (a per-CPU loop's count follows the machine size). SaturateEdgeCounters does it to the edge counters
// (the harness default; CRASHDIFF_EDGE_COUNTS=1 keeps the counts).
void SaturateCounters(uint8_t* begin, uint8_t* end);
void SaturateEdgeCounters();
uint64_t FeatureHash(std::string_view text, uint64_t h = 0xCBF29CE484222325ull);
uint64_t FeatureHash(uint64_t value, uint64_t h);

// The model features one differential execution observed (what RecordFeatures bumps), one hash each, into out
// (cleared first; the harness reuses one buffer across executions).
void ModelFeatureHashes(const pb::Scenario& scenario, const DiffReport& report, std::vector<uint64_t>& out);

}  // namespace crashdiff::fuzz
