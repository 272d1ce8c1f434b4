// The campaign library's shared pieces: the Signature value type (diff/signature.h), the one finding-file header
// format (diff/finding.h) against every file in corpus/, the engine launcher (campaign/engine.h) and the campaign's
// worker command lines (campaign/campaign.h), the options table (campaign/options.h) and the family-name parser
// (proto/family_name.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench/libfuzzer_campaign.h"
#include "campaign/campaign.h"
#include "campaign/engine.h"
#include "campaign/options.h"
#include "diff/finding.h"
#include "diff/signature.h"
#include "proto/family_name.h"

namespace crashdiff {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = CRASHDIFF_SOURCE_DIR;

std::string ReadText(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The "#" lines a file starts with.
std::string HeaderOf(const std::string& text) {
  std::istringstream in(text);
  std::string head;
  for (std::string line; std::getline(in, line) && line.rfind('#', 0) == 0;) head += line + "\n";
  return head;
}

std::vector<fs::path> CorpusFiles(const std::string& sub) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(kSource / "corpus" / sub)) {
    if (e.is_regular_file() && e.path().extension() == ".textproto") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Every signature the corpus names: the reproducers' own and their "# expect" lines, the findings' headers.
std::set<std::string> CorpusSignatures() {
  std::set<std::string> out;
  for (const std::string sub : {"regressions", "findings"}) {
    for (const fs::path& f : CorpusFiles(sub)) {
      const FindingHeader h = ReadFindingHeader(f);
      if (!h.signature.empty()) out.insert(h.signature);
      for (const Expectation& e : h.expect) out.insert(e.signatures.begin(), e.signatures.end());
    }
  }
  return out;
}

// The key before Signature: the text before the last " [" (what corpus/regressions and triage records match on).
std::string OldKey(const std::string& s) {
  const size_t bracket = s.rfind(" [");
  return bracket == std::string::npos || s.back() != ']' ? s : s.substr(0, bracket);
}

TEST(Signature, FieldsFormatAndParseBack) {
  const Signature s{"PR3",
                    "lost-wake",
                    "offline-target",
                    "sleeps in stop without a wake",
                    "ppc-v1-check-before-clear",
                    "doorbell+nmi-sysreset"};
  const std::string text = s.Format();
  EXPECT_EQ(text,
            "PR3 lost-wake: offline-target sleeps in stop without a wake [ppc-v1-check-before-clear/"
            "doorbell+nmi-sysreset]");
  const std::optional<Signature> back = Signature::Parse(text);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->Key(), "PR3 lost-wake: offline-target sleeps in stop without a wake");
  EXPECT_EQ(back->Where(), "ppc-v1-check-before-clear/doorbell+nmi-sysreset");
  // A "what" with brackets and slashes: the suffix is the last " [".
  const Signature odd{"OUTCOME", "handover-location", "loser", "a [b/c] d", "t", "p"};
  EXPECT_EQ(Signature::Parse(odd.Format()), odd);
  // An empty "what" keeps its place.
  const Signature bare{"PR8", "unbounded-initiator", "initiator", "", "t", "p"};
  EXPECT_EQ(Signature::Parse(bare.Format()), bare);
  // What RunDifferential writes is the same text.
  EXPECT_EQ(MakeSignature("PR3", "lost-wake", "offline-target", "sleeps in stop without a wake",
                          "ppc-v1-check-before-clear", "doorbell+nmi-sysreset"),
            text);
}

TEST(Signature, EveryCorpusSignatureRoundTripsAndKeepsItsKey) {
  const std::set<std::string> all = CorpusSignatures();
  ASSERT_GT(all.size(), 200u);
  for (const std::string& text : all) {
    std::string error;
    const std::optional<Signature> s = Signature::Parse(text, &error);
    ASSERT_TRUE(s.has_value()) << text << ": " << error;
    EXPECT_EQ(s->Format(), text);
    EXPECT_EQ(s->Key(), OldKey(text));
    EXPECT_EQ(Signature::KeyOf(text), OldKey(text));
    EXPECT_FALSE(s->property.empty());
    EXPECT_EQ(s->role.find(' '), std::string::npos) << text;
  }
}

TEST(Signature, ParseRejectsWhatIsNotASignatureWithAReason) {
  for (const std::string bad :
       {"", " ", "PR1", "PR1 ", "PR1 x", "PR1 x: ", "PR1 x: role", "PR1 x: role what", "PR1 x: role what [t]",
        "PR1 x: role what [/p]", "PR1 x: role what [t/]", "PR1 x: role what [t/p", "PR1 x: role [t/p]", "[t/p]",
        " x: role what [t/p]", "PR1 : role what [t/p]", "PR1 x: [t/p]", "PR1 x:  what [t/p]"}) {
    std::string error;
    EXPECT_FALSE(Signature::Parse(bad, &error).has_value()) << "'" << bad << "'";
    EXPECT_NE(error.find("not a signature"), std::string::npos) << "'" << bad << "'";
    // Not a signature: its own key, or the text before a "[...]" suffix (what the corpus matched on before).
    EXPECT_EQ(Signature::KeyOf(bad), OldKey(bad)) << "'" << bad << "'";
  }
  // Every prefix of a real signature: an answer, never a crash; only the whole text parses.
  const std::string text = "PR1 unsafe-parking: loser CRASHING at hand-over [x86-init-park/hlt]";
  for (size_t i = 0; i < text.size(); ++i) {
    EXPECT_FALSE(Signature::Parse(text.substr(0, i)).has_value()) << text.substr(0, i);
    (void)Signature::Parse(text.substr(i));  // some suffixes are signatures ("R1 unsafe-parking: ..."); no crash
  }
  EXPECT_TRUE(Signature::Parse(text).has_value());
}

TEST(Signature, FileNamesAreTheCorpusNamesAndDistinct) {
  // corpus/regressions is named after its signatures: nothing to rename.
  for (const fs::path& f : CorpusFiles("regressions")) {
    const std::optional<Signature> s = Signature::Parse(ReadFindingHeader(f).signature);
    ASSERT_TRUE(s.has_value()) << f;
    EXPECT_EQ(s->FileName(), f.filename().string());
  }
  std::map<std::string, std::string> by_name;
  for (const std::string& text : CorpusSignatures()) {
    const auto [it, inserted] = by_name.emplace(Signature::Parse(text)->FileName(), text);
    EXPECT_TRUE(inserted) << it->second << " and " << text << " share " << it->first;
  }
  // The harness's finding stems (a campaign's findings/) keep their names too.
  EXPECT_EQ(FindingStem("PR3 lost-wake: offline-target in STOPPED_HW [ppc-v1-check-before-clear/doorbell]"),
            "sig-df6d40277a1e9856");
}

TEST(FindingFile, ReadsEveryReproducerInCorpusAndWritesItBackByteForByte) {
  const std::vector<fs::path> files = CorpusFiles("regressions");
  ASSERT_GT(files.size(), 200u);
  for (const fs::path& f : files) {
    const std::string header = HeaderOf(ReadText(f));
    const FindingHeader h = ParseFindingHeader(header);
    EXPECT_EQ(h.kind, FindingHeader::Kind::kReproducer) << f;
    EXPECT_FALSE(h.signature.empty()) << f;
    EXPECT_FALSE(h.expect.empty()) << f;
    EXPECT_FALSE(h.outcomes.empty()) << f;
    EXPECT_EQ(FormatFindingHeader(h), header) << f;
    // The whole file reads as its header.
    EXPECT_EQ(FormatFindingHeader(ParseFindingHeader(ReadText(f))), header) << f;
  }
}

TEST(FindingFile, ReadsEveryOpenFinding) {
  size_t with_header = 0;
  for (const fs::path& f : CorpusFiles("findings")) {
    const FindingHeader h = ReadFindingHeader(f);
    EXPECT_EQ(h.signature, ParseFindingHeader(ReadText(f)).signature) << f;
    if (h.signature.empty()) continue;  // a hand-written scenario: a comment, no header
    ++with_header;
    EXPECT_TRUE(Signature::Parse(h.signature).has_value()) << f << ": " << h.signature;
    for (const Expectation& e : h.expect) {
      for (const std::string& s : e.signatures) EXPECT_TRUE(Signature::Parse(s).has_value()) << f << ": " << s;
    }
  }
  EXPECT_GT(with_header, 0u);
}

TEST(FindingFile, AHarnessFindingReadsBackAsWritten) {
  FindingHeader h;
  h.signature = "PR1 unsafe-parking: loser CRASHING at hand-over [x86-init-park/hlt]";
  h.known = true;
  h.property = "PR1";
  h.root_cause = "PR1 unsafe-parking @CRASHING";
  h.targets = {"x86-init-park", "x86-mwait-fixed"};
  h.witness = "cpu0 at step 12 (K2b) t=1000 ns";
  h.known_as = {"x86-init-park: PR1 loser"};
  h.found_after_execs = 7;
  h.found_after_ms = 42;
  const std::string text = FormatFindingHeader(h);
  EXPECT_EQ(text.rfind("# signature: " + h.signature + "\n# known: yes\n", 0), 0u) << text;
  const FindingHeader back = ParseFindingHeader(text + "machine { family: X86 }\n");
  EXPECT_EQ(back.kind, FindingHeader::Kind::kFinding);
  EXPECT_EQ(FormatFindingHeader(back), text);
  EXPECT_TRUE(back.expect.empty());
}

TEST(FamilyName, OneSpellingForEveryReader) {
  for (const FamilyNameRow& row : kFamilyNames) {
    EXPECT_EQ(ParseFamilyName(row.name), row.family);
    EXPECT_EQ(FamilyName(row.family), row.name);
  }
  EXPECT_FALSE(ParseFamilyName("PPC").has_value());  // the command line's rule
  EXPECT_EQ(ParseFamilyName("PPC", true), pb::PPC);  // the environment's
  EXPECT_EQ(ParseFamilyName("Arm64", true), pb::ARM64);
  for (const char* bad : {"", "sparc", "ppc64", "x8", "FAMILY_UNSPECIFIED"}) {
    EXPECT_FALSE(ParseFamilyName(bad, true).has_value()) << bad;
  }
  EXPECT_EQ(FamilyName(pb::FAMILY_UNSPECIFIED), "");
}

TEST(FuzzOptions, TheTableIsTheUsage) {
  for (const campaign::NumberOption& n : campaign::kNumberOptions) {
    EXPECT_NE(std::string(campaign::kFuzzUsage).find(n.flag), std::string::npos) << n.flag;
  }
  for (const char* flag : campaign::kTextOptions) {
    EXPECT_NE(std::string(campaign::kFuzzUsage).find(flag), std::string::npos) << flag;
  }
  campaign::FuzzOptions o;
  EXPECT_EQ(campaign::CheckFuzzOptions(o), "");
  o.family = "sparc";
  EXPECT_EQ(campaign::CheckFuzzOptions(o), "--family is ppc, x86 or arm64");
  o.family = "x86";
  o.engine = "afl";
  o.runs = 5;
  EXPECT_EQ(campaign::CheckFuzzOptions(o), "--runs is for --engine libfuzzer");
  o.engine = "honggfuzz";
  EXPECT_EQ(campaign::CheckFuzzOptions(o), "--engine is libfuzzer or afl");
  o.engine = "afl";
  o.runs = 0;
  o.explore = 100;
  EXPECT_EQ(campaign::CheckFuzzOptions(o), "--explore is for --engine libfuzzer");
  o.engine = "libfuzzer";
  o.runs = 5;
  EXPECT_EQ(campaign::CheckFuzzOptions(o),
            "--explore works for the campaign's --time; it does not combine with --runs");
}

TEST(EngineLauncher, BuildsTheLibFuzzerCommandLineFromItsOptions) {
  campaign::LibFuzzerRun run;
  run.fuzzer = "/b/crashdiff_fuzzer";
  run.dict = "/s/corpus/dict/scenario.dict";
  run.seconds = 0;  // at least 1
  run.seed = 17;
  run.runs = -1;
  run.reload = true;
  run.artifacts = "/w/crashes";
  run.corpus = {"/w/corpus", "/w/seeds"};
  EXPECT_EQ(campaign::LibFuzzerArgv(run),
            (std::vector<std::string>{"/b/crashdiff_fuzzer", "-dict=/s/corpus/dict/scenario.dict", "-max_total_time=1",
                                      "-seed=17", "-runs=-1", "-print_final_stats=1", "-print_funcs=0", "-reload=1",
                                      "-max_len=4096", "-timeout=20", "-artifact_prefix=/w/crashes/", "/w/corpus",
                                      "/w/seeds"}));
  run.dict.clear();
  run.runs.reset();
  run.reload.reset();
  run.seconds = 30;
  EXPECT_EQ(campaign::LibFuzzerArgv(run),
            (std::vector<std::string>{"/b/crashdiff_fuzzer", "-max_total_time=30", "-seed=17", "-print_final_stats=1",
                                      "-print_funcs=0", "-max_len=4096", "-timeout=20", "-artifact_prefix=/w/crashes/",
                                      "/w/corpus", "/w/seeds"}));
}

// What `crashdiff fuzz` starts for a worker: the command line and harness environment it always had.
TEST(EngineLauncher, ACampaignWorkerIsStartedAsCrashdiffFuzzStartsIt) {
  campaign::FuzzOptions o;
  o.out = "/w";
  o.fuzzer = "/b/crashdiff_fuzzer";
  o.dict = "/s/scenario.dict";
  o.seeds = "/s/corpus/seeds";
  o.family = "ppc";
  o.jobs = 2;
  const campaign::CampaignWorker w{1, 0, "/w/logs/worker-1.log"};
  campaign::WorkerSpawn spawn = campaign::LibFuzzerWorkerSpawn(o, 1, w, 119);
  EXPECT_EQ(spawn.argv, (std::vector<std::string>{"/b/crashdiff_fuzzer", "-dict=/s/scenario.dict",
                                                  "-max_total_time=119", "-seed=2", "-runs=-1", "-print_final_stats=1",
                                                  "-print_funcs=0", "-reload=1", "-max_len=4096", "-timeout=20",
                                                  "-artifact_prefix=/w/crashes/", "/w/corpus", "/w/seeds"}));
  EXPECT_EQ(spawn.env, (std::vector<std::string>{"CRASHDIFF_FINDINGS_DIR=/w/findings", "CRASHDIFF_FAMILY=ppc",
                                                 "CRASHDIFF_SEEDS=/s/corpus/seeds"}));
  EXPECT_TRUE(spawn.unset.empty());  // the user's own CRASHDIFF_* settings reach the workers
  EXPECT_EQ(spawn.log, "/w/logs/worker-1.log");
  EXPECT_FALSE(spawn.fixed_addresses);
  // Deterministic (one job, a run count): no corpus reloading, fixed addresses, no wall-clock in findings.
  o.jobs = 1;
  o.runs = 500;
  spawn = campaign::LibFuzzerWorkerSpawn(o, 3, {0, 2, "/w/logs/worker-0.log"}, 50);
  EXPECT_EQ(spawn.argv[3], "-seed=" + std::to_string((1 + 2000 + 7919 * 2) % 2147483647));
  EXPECT_EQ(spawn.argv[4], "-runs=500");
  EXPECT_EQ(spawn.argv[7], "-reload=0");
  EXPECT_TRUE(spawn.fixed_addresses);
  EXPECT_EQ(spawn.env[1], "CRASHDIFF_DETERMINISTIC=1");
}

TEST(EngineLauncher, TheRediscoveryBenchmarkStartsTheSameEngine) {
  fuzz::EngineSettings s;
  s.fuzzer = "/b/crashdiff_fuzzer";
  s.dict = "/s/scenario.dict";
  s.family = "x86";
  s.bytes = true;
  s.cap_seconds = 20;
  const campaign::WorkerSpawn spawn = fuzz::engine_detail::EngineSpawn(s, "/tmp/r", 4);
  EXPECT_EQ(spawn.argv, (std::vector<std::string>{"/b/crashdiff_fuzzer", "-dict=/s/scenario.dict", "-max_total_time=20",
                                                  "-seed=4", "-print_final_stats=1", "-print_funcs=0", "-max_len=4096",
                                                  "-timeout=20", "-artifact_prefix=/tmp/r/crashes/", "/tmp/r/corpus"}));
  EXPECT_EQ(spawn.env, (std::vector<std::string>{"CRASHDIFF_FINDINGS_DIR=/tmp/r/findings", "CRASHDIFF_FAMILY=x86",
                                                 "CRASHDIFF_MUTATOR=bytes"}));
  // A benchmark inherits none of the caller's harness settings.
  EXPECT_EQ(spawn.unset, (std::vector<std::string>{"CRASHDIFF_DETERMINISTIC", "CRASHDIFF_TARGET", "CRASHDIFF_SEEDS"}));
  EXPECT_EQ(spawn.working_dir, "/tmp/r");
  EXPECT_EQ(spawn.log, "/tmp/r/engine.log");
}

TEST(EngineLauncher, AnAflWorkerIsStartedAsCrashdiffFuzzStartsIt) {
  campaign::FuzzOptions o;
  o.engine = "afl";
  o.out = "/w";
  o.fuzzer = "/b/afl/crashdiff_fuzzer";
  o.afl_mutator = "/b/m/libcrashdiff_afl_mutator.so";
  const campaign::WorkerSpawn spawn = campaign::AflWorkerSpawn(o, 1, {0, 0, "/w/logs/worker-0.log"}, 60);
  ASSERT_FALSE(spawn.argv.empty());
  EXPECT_EQ(std::vector<std::string>(spawn.argv.begin() + 1, spawn.argv.end()),
            (std::vector<std::string>{"-V", "60", "-i", "/w/seeds", "-o", "/w/afl", "-M", "w0", "--",
                                      "/b/afl/crashdiff_fuzzer"}));
  EXPECT_EQ(spawn.env.front(), "CRASHDIFF_FINDINGS_DIR=/w/findings");
  EXPECT_NE(
      std::find(spawn.env.begin(), spawn.env.end(), "AFL_CUSTOM_MUTATOR_LIBRARY=/b/m/libcrashdiff_afl_mutator.so"),
      spawn.env.end());
}

}  // namespace
}  // namespace crashdiff
