#include "cli/scenario_file.h"

namespace crashdiff::cli {

LoadResult LoadScenario(const std::string& path, std::string* text) {
  return LoadScenarioFile(path, text);
}

}  // namespace crashdiff::cli
