#include "campaign/campaign_seeds.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

#include "fuzz/mutator/input.h"
#include "fuzz/mutator/mutator.h"

namespace crashdiff::campaign {

namespace fs = std::filesystem;

int PrepareSeeds(const fs::path& seeds, pb::Family only, const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::create_directories(dir, ec) && ec) return -1;
  if (!seeds.empty() && fs::is_directory(seeds, ec)) {
    for (auto it = fs::recursive_directory_iterator(seeds, ec); !ec && it != fs::end(it); it.increment(ec)) {
      if (it->is_regular_file(ec)) files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  int written = 0;
  auto write = [&](const pb::Scenario& s, const std::string& name) {
    std::ofstream out(dir / (name + ".pb"), std::ios::binary | std::ios::trunc);
    if (s.SerializeToOstream(&out) && out.flush()) ++written;
  };
  for (const fs::path& f : files) {
    auto s = fuzz::ParseInputFile(f);
    if (!s || (only != pb::FAMILY_UNSPECIFIED && s->machine().family() != only)) continue;
    std::string name = fs::relative(f, seeds, ec).string();
    std::replace(name.begin(), name.end(), '/', '_');
    write(*s, name);
  }
  if (written == 0) {  // an engine needs at least one input; start from minimal crashes
    for (pb::Family f : {pb::PPC, pb::X86, pb::ARM64}) {
      if (only == pb::FAMILY_UNSPECIFIED || only == f) write(fuzz::MinimalScenario(f), "minimal-" + pb::Family_Name(f));
    }
    if (written == 0) return -1;  // not even those could be written
  }
  return written;
}

}  // namespace crashdiff::campaign
