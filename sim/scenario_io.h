// Reading scenarios from files: text format (the reproducer format) or binary (fuzzer inputs), then validation.
// Every problem is reported as "file:line: field: reason" (line 0 where the input has no lines, e.g. binary).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "proto/scenario.pb.h"

namespace crashdiff {

inline constexpr size_t kMaxScenarioBytes = 1 << 20;

struct LoadResult {
  std::optional<pb::Scenario> scenario;  // set only when valid
  std::vector<std::string> errors;       // "file:line: field: reason"
};

// Parses text-format scenario text (name is used in messages) and validates it.
LoadResult ParseScenarioText(const std::string& text, const std::string& name);
// Parses a binary-encoded scenario and validates it.
LoadResult ParseScenarioBinary(const std::string& bytes, const std::string& name);
// Reads path: binary if it ends in .pb or .bin, else text format. The file is checked before it is opened
// (util/file_checks.h: a FIFO would block open() forever; a directory or device gets its true cause) and a UTF-8
// byte-order mark is dropped. Errors are "file:0: reason" for the file itself, else "file:line: field: reason".
// text, when given, receives the file's bytes (BOM dropped), e.g. to read a reproducer's header.
LoadResult LoadScenarioFile(const std::string& path, std::string* text = nullptr);

// Text format for writing reproducers: stable field order, no unknown fields.
std::string ScenarioToText(const pb::Scenario& scenario);

// Whether scenario or any message inside it carries field numbers the schema does not define. Binary input can
// (a byte-level mutant, a newer schema); such a scenario is not one this version understands, and the text format
// could not even write it back readably.
bool HasUnknownFields(const google::protobuf::Message& message);

}  // namespace crashdiff
