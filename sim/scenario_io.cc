#include "sim/scenario_io.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sim/validate.h"
#include "util/file_checks.h"

namespace crashdiff {
namespace {

using google::protobuf::TextFormat;

// Collects the text-format parser's errors with their line numbers (the parser reports 0-based lines).
class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit ErrorCollector(std::string name) : name_(std::move(name)) {}
  void AddError(int line, int column, const std::string& message) override {
    errors.push_back(name_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message);
  }
  void AddWarning(int line, int column, const std::string& message) override {
    AddError(line, column, "warning: " + message);
  }
  std::vector<std::string> errors;

 private:
  std::string name_;
};

// The line of the deepest field on path that the parse recorded (0 if none).
int LineOf(const TextFormat::ParseInfoTree* tree, const FieldPath& path) {
  int line = 0;
  for (const FieldStep& s : path) {
    if (tree == nullptr) break;
    // The parse tree indexes repeated fields by element; a path naming a whole repeated field points at its
    // first element.
    const int index = s.field->is_repeated() ? std::max(s.index, 0) : -1;
    const auto loc = tree->GetLocation(s.field, index);
    if (loc.line >= 0) line = loc.line + 1;
    tree = s.field->message_type() != nullptr ? tree->GetTreeForNested(s.field, index) : nullptr;
  }
  return line;
}

LoadResult Finish(pb::Scenario scenario, const std::string& name, const TextFormat::ParseInfoTree* tree) {
  LoadResult r;
  for (const ValidationError& e : Validate(scenario)) {
    r.errors.push_back(name + ":" + std::to_string(LineOf(tree, e.path)) + ": " + PathToString(e.path) + ": " +
                       e.reason);
  }
  if (r.errors.empty()) r.scenario = std::move(scenario);
  return r;
}

LoadResult Error(const std::string& name, const std::string& what) {
  LoadResult r;
  r.errors.push_back(name + ":0: " + what);
  return r;
}

}  // namespace

LoadResult ParseScenarioText(const std::string& text, const std::string& name) {
  if (text.size() > kMaxScenarioBytes) return Error(name, "file is larger than 1 MiB; not a scenario");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Error(name, "empty file: expected a text-format crashdiff.pb.Scenario");
  }
  if (const size_t nul = text.find('\0'); nul != std::string::npos) {
    const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(nul), '\n'));
    LoadResult r;
    r.errors.push_back(name + ":" + std::to_string(line) +
                       ": binary data (NUL byte): not a text-format scenario (binary scenarios end in .pb or .bin)");
    return r;
  }
  pb::Scenario scenario;
  TextFormat::Parser parser;
  ErrorCollector collector(name);
  TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&collector);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &scenario)) {
    LoadResult r;
    r.errors = std::move(collector.errors);
    if (r.errors.empty()) r.errors.push_back(name + ":0: not a text-format scenario");
    return r;
  }
  return Finish(std::move(scenario), name, &tree);
}

LoadResult ParseScenarioBinary(const std::string& bytes, const std::string& name) {
  if (bytes.size() > kMaxScenarioBytes) return Error(name, "file is larger than 1 MiB; not a scenario");
  pb::Scenario scenario;
  if (!scenario.ParseFromString(bytes)) return Error(name, "not a binary-encoded crashdiff.pb.Scenario");
  if (HasUnknownFields(scenario)) {
    return Error(name, "field numbers the crashdiff.pb.Scenario schema does not define (another schema version?)");
  }
  return Finish(std::move(scenario), name, nullptr);
}

LoadResult LoadScenarioFile(const std::string& path, std::string* text) {
  FileContents file = ReadRegularFile(path, kMaxScenarioBytes);
  if (!file.error.empty()) return Error(path, file.error);
  const auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".pb") || ends_with(".bin")) return ParseScenarioBinary(file.data, path);
  StripUtf8Bom(file.data);
  if (text != nullptr) *text = file.data;
  return ParseScenarioText(file.data, path);
}

std::string ScenarioToText(const pb::Scenario& scenario) {
  std::string out;
  TextFormat::Printer printer;
  printer.PrintToString(scenario, &out);
  return out;
}

bool HasUnknownFields(const google::protobuf::Message& message) {
  const google::protobuf::Reflection& r = *message.GetReflection();
  if (!r.GetUnknownFields(message).empty()) return true;
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r.ListFields(message, &fields);
  for (const google::protobuf::FieldDescriptor* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (!f->is_repeated()) {
      if (HasUnknownFields(r.GetMessage(message, f))) return true;
      continue;
    }
    for (int i = 0; i < r.FieldSize(message, f); ++i) {
      if (HasUnknownFields(r.GetRepeatedMessage(message, f, i))) return true;
    }
  }
  return false;
}

}  // namespace crashdiff
