// Fuzzer inputs <-> scenarios. Engines store binary protobuf; hand-written seeds are text format, so both are
// accepted. Only valid scenarios (sim/validate.h) are inputs: anything else is rejected cheaply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "proto/scenario.pb.h"

namespace crashdiff::fuzz {

std::optional<pb::Scenario> ParseInput(const uint8_t* data, size_t size);
// ParseInput of a file's bytes (an engine's corpus unit or a seed); nullopt when it cannot be read or parsed.
std::optional<pb::Scenario> ParseInputFile(const std::filesystem::path& file);

// Serialises scenario into out (capacity max_size), dropping schedule choices and then events from the end until
// it fits. Returns the size written, or 0 if even the bare machine does not fit.
size_t SerializeWithin(const pb::Scenario& scenario, uint8_t* out, size_t max_size);

// Loads every scenario file (text or binary) under dir, sorted by path; unreadable or invalid ones are skipped.
std::vector<pb::Scenario> LoadScenarioDir(const std::string& dir);

}  // namespace crashdiff::fuzz
