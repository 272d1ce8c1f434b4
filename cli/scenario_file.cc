#include "cli/scenario_file.h"

#include "util/file_checks.h"

namespace crashdiff::cli {

LoadResult LoadScenario(const std::string& path, std::string* text) {
  FileContents file = ReadRegularFile(path, kMaxScenarioBytes);
  if (!file.error.empty()) {
    LoadResult r;
    r.errors.push_back(path + ":0: " + file.error);
    return r;
  }
  const auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".pb") || ends_with(".bin")) return ParseScenarioBinary(file.data, path);
  StripUtf8Bom(file.data);
  if (text != nullptr) *text = file.data;
  return ParseScenarioText(file.data, path);
}

}  // namespace crashdiff::cli
