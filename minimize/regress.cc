#include "minimize/regress.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "diff/differential.h"
#include "minimize/reproducer.h"
#include "sim/scenario_io.h"
#include "targets/target.h"

namespace crashdiff {
namespace {

struct VerdictInfo {
  const char* name;
  bool failing;
};
constexpr VerdictInfo kVerdicts[] = {
#define CRASHDIFF_VERDICT_INFO(e, name, failing, meaning) {name, failing},
    CRASHDIFF_VERDICTS(CRASHDIFF_VERDICT_INFO)
#undef CRASHDIFF_VERDICT_INFO
};

bool HasKey(const std::vector<std::string>& sigs, const std::string& key) {
  return std::any_of(sigs.begin(), sigs.end(), [&](const std::string& s) { return Signature::KeyOf(s) == key; });
}

// Judges one target's signatures on one reproducer.
RegressRow Judge(const std::string& file, const std::string& target, const FindingHeader& header,
                 std::vector<std::string> actual) {
  std::sort(actual.begin(), actual.end());
  RegressRow row{file, target, Verdict::kAsExpected, false, {}, actual};
  const auto it = std::find_if(header.expect.begin(), header.expect.end(),
                               [&](const Expectation& e) { return e.target == target; });
  if (it != header.expect.end()) {
    row.expected = it->signatures;
    if (actual == row.expected) {
      row.verdict = Verdict::kAsExpected;
    } else if (std::any_of(actual.begin(), actual.end(), [&](const std::string& s) {
                 return !std::binary_search(row.expected.begin(), row.expected.end(), s);
               })) {
      row.verdict = Verdict::kNewDivergence;
    } else if (actual.empty()) {
      row.verdict = Verdict::kFixed;
    } else {
      row.verdict = Verdict::kChanged;
    }
    // Any change for a target the header knows is a change of outcome: the corpus must be regenerated on purpose.
    row.failing = row.verdict != Verdict::kAsExpected;
    return row;
  }
  // A target the header does not know: judge it against the reproducer's bug and the bugs other targets show.
  std::vector<std::string> known_keys{Signature::KeyOf(header.signature)};
  for (const Expectation& e : header.expect) {
    for (const std::string& s : e.signatures) known_keys.push_back(Signature::KeyOf(s));
  }
  const bool fresh = std::any_of(actual.begin(), actual.end(), [&](const std::string& s) {
    return std::find(known_keys.begin(), known_keys.end(), Signature::KeyOf(s)) == known_keys.end();
  });
  if (fresh) {
    row.verdict = Verdict::kNewDivergence;
  } else if (HasKey(actual, Signature::KeyOf(header.signature))) {
    row.verdict = Verdict::kStillPresent;
  } else {
    row.verdict = Verdict::kFixed;
  }
  row.failing = kVerdicts[static_cast<int>(row.verdict)].failing;
  return row;
}

}  // namespace

const char* Name(Verdict v) {
  return kVerdicts[static_cast<int>(v)].name;
}

bool RegressReport::failing() const {
  return !errors.empty() || std::any_of(rows.begin(), rows.end(), [](const RegressRow& r) { return r.failing; });
}

std::vector<std::string> ReproducerFiles(const std::string& dir, std::error_code& ec) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".textproto") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

RegressReport Regress(const std::string& dir, const std::string& only_target, const TargetSpec* patch) {
  RegressReport report;
  std::error_code ec;
  const std::vector<std::string> files = ReproducerFiles(dir, ec);
  if (ec) report.errors.push_back(dir + ":0: cannot read directory: " + ec.message());
  for (const std::string& file : files) {
    const LoadResult loaded = LoadScenarioFile(file);
    if (!loaded.scenario) {
      report.errors.insert(report.errors.end(), loaded.errors.begin(), loaded.errors.end());
      continue;
    }
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    const FindingHeader header = ParseFindingHeader(text.str());
    DiffOptions options;
    options.only_target = only_target;
    options.target_override = patch;
    const DiffReport diff = RunDifferential(*loaded.scenario, options);
    for (const TargetReport& t : diff.targets) {
      std::vector<std::string> sigs;
      for (const Divergence& d : t.divergences) sigs.push_back(d.signature);
      sigs.erase(std::unique(sigs.begin(), sigs.end()), sigs.end());
      report.rows.push_back(Judge(file, t.target, header, std::move(sigs)));
    }
  }
  return report;
}

RecordedBugs LoadRecordedBugs(const std::string& dir) {
  namespace fs = std::filesystem;
  RecordedBugs out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".textproto") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    for (const Expectation& e : ParseFindingHeader(text.str()).expect) {
      for (const std::string& s : e.signatures) out.emplace(e.target, Signature::KeyOf(s));
    }
  }
  return out;
}

}  // namespace crashdiff
