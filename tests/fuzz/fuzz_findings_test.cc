// Campaign findings say when they were found (the rediscovery benchmark reads this): the libFuzzer harness,
// when built (build-fuzz/, or $CRASHDIFF_FUZZER), run on two seed files records each new signature with
// "# found-after-execs: N" (the Nth call of the harness) and "# found-after-ms: T", and the files stay readable
// by the readers of findings (the scenario parser, the reproducer header parser). Skipped without the binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "diff/differential.h"
#include "diff/finding.h"
#include "diff/runner.h"
#include "fuzz/mutator/input.h"
#include "minimize/reproducer.h"
#include "tests/fixtures/fuzz_test_util.h"

namespace crashdiff::fuzz {
namespace {

namespace fs = std::filesystem;

using testing::FuzzerBinary;
using testing::ReadFile;
using testing::RunShell;
using testing::ScratchDir;

std::set<std::string> Signatures(const pb::Scenario& s) {
  std::set<std::string> out;
  for (const Divergence& d : RunDifferential(s).divergences) out.insert(d.signature);
  return out;
}

TEST(FuzzFindings, RecordWhenTheyWereFoundAndStayReadable) {
  const fs::path fuzzer = FuzzerBinary();
  if (fuzzer.empty()) GTEST_SKIP() << "fuzzer not built (run ./crashdiff fuzz once, or set CRASHDIFF_FUZZER)";
  // Two ppc seeds, the second showing a signature the first does not.
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(CRASHDIFF_SOURCE_DIR) / "corpus/seeds/ppc")) {
    files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  fs::path first, second;
  std::set<std::string> first_sigs, second_sigs;
  for (const fs::path& f : files) {
    const std::string bytes = ReadFile(f);
    const auto s = ParseInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (!s || TargetsFor(*s).empty()) continue;
    const std::set<std::string> sigs = Signatures(*s);
    if (sigs.empty()) continue;
    if (first.empty()) {
      first = f;
      first_sigs = sigs;
    } else if (std::any_of(sigs.begin(), sigs.end(), [&](const std::string& g) { return !first_sigs.count(g); })) {
      second = f;
      second_sigs = sigs;
      break;
    }
  }
  if (second.empty()) GTEST_SKIP() << "no two ppc seeds with different divergences";

  const fs::path dir = ScratchDir("found-after");
  // Files (not directories) as arguments: libFuzzer runs each once, in order, and exits. -detect_leaks=0: with
  // LeakSanitizer (the ASan build CI uses) libFuzzer would run an input a second time to look for a leak.
  const std::string cmd =
      "cd " + dir.string() + " && CRASHDIFF_FAMILY=ppc CRASHDIFF_FINDINGS_DIR=" + (dir / "findings").string() + " " +
      fuzzer.string() + " -detect_leaks=0 " + first.string() + " " + second.string() + " > log 2>&1";
  ASSERT_EQ(RunShell(cmd), 0) << ReadFile(dir / "log");

  std::map<std::string, std::string> by_signature;  // signature -> file text
  for (const auto& e : fs::directory_iterator(dir / "findings")) {
    if (e.path().extension() == ".textproto") {
      const std::string text = ReadFile(e.path());
      by_signature[ParseFindingHeader(text).signature] = text;
    }
  }
  std::set<std::string> all = first_sigs;
  all.insert(second_sigs.begin(), second_sigs.end());
  ASSERT_EQ(by_signature.size(), all.size()) << ReadFile(dir / "log");
  for (const std::string& sig : all) {
    ASSERT_TRUE(by_signature.count(sig)) << sig;
    const std::string& text = by_signature[sig];
    // Found by the first call of the harness if the first seed shows it, else by the second.
    const FindingHeader h = ParseFindingHeader(text);
    EXPECT_EQ(h.found_after_execs, first_sigs.count(sig) ? 1u : 2u) << text;
    ASSERT_TRUE(h.found_after_ms.has_value()) << text;
    EXPECT_GE(*h.found_after_ms, 0) << text;
    EXPECT_EQ(text.rfind(FormatFindingHeader(h), 0), 0u) << "the header does not read back as written:\n" << text;
    // Readers ignore the lines: the scenario still parses and shows the signature; the reproducer header parser
    // still finds it.
    const auto s = ParseInput(reinterpret_cast<const uint8_t*>(text.data()), text.size());
    ASSERT_TRUE(s.has_value()) << text;
    EXPECT_TRUE(Signatures(*s).count(sig)) << text;
    EXPECT_EQ(ParseFindingHeader(text).signature, sig);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace crashdiff::fuzz
