// The command line as a user meets it: usage, help, and bad input giving file:line errors and exit code 2.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "diff/signature.h"
#include "tests/fixtures/cli_test_util.h"

namespace crashdiff {
namespace {

using testing::RunCrashdiff;
using testing::TempDir;

TEST(Cli, NoArgumentsPrintsUsageAndExitsTwo) {
  const auto r = RunCrashdiff("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("usage: crashdiff <command>"), std::string::npos);
}

TEST(Cli, HelpListsEveryCommand) {
  const auto r = RunCrashdiff("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("targets"), std::string::npos);
  EXPECT_NE(r.output.find("run FILE"), std::string::npos);
}

TEST(Cli, TargetsListsTheTestOnlyMutantsApart) {
  const auto r = RunCrashdiff("targets");
  EXPECT_EQ(r.exit_code, 0);
  const size_t header = r.output.find("not kernel trees");
  ASSERT_NE(header, std::string::npos);
  EXPECT_GT(r.output.find("ppc-mutant-no-offline-barrier"), header);
  EXPECT_GT(r.output.find("ppc-patch-count-booted-once"), header);
  EXPECT_GT(r.output.find("x86-mutant-unordered-shootdown"), header);
  EXPECT_LT(r.output.find("ppc-upstream-clear-then-check"), header);
}

// A key two mechanisms share is narrowed by roles, events and witness steps: the list shows them with each record.
TEST(Cli, TriageListShowsWhatNarrowsEachRecord) {
  const auto r = RunCrashdiff("triage --list --triage " + std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/triage");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("roles loser; events OOPS; witness D1,P3"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("; events KEXEC; witness any"), std::string::npos) << r.output;
}

// `build/crashdiff run FILE` from a directory without corpus/ judges by the tree the binary was built in (it used to
// read the current directory's missing corpus/triage and call every triaged finding NEW, silently); where no records
// are found at all it says so. triage writes a timeline only when asked (-o).
TEST(Cli, RunAndTriageFromAnotherDirectoryJudgeByTheBinarysTree) {
  TempDir dir;
  const std::string file = std::string(CRASHDIFF_SOURCE_DIR) +
                           "/corpus/findings/ppc/offline_thread_nested_reset_deadlock_at_handover.textproto";
  const std::string elsewhere = "-u CRASHDIFF_SOURCE_DIR -C " + dir.path();
  auto r = RunCrashdiff("run " + file, elsewhere);
  EXPECT_NE(r.output.find("ppc-v1-check-before-clear        triaged"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("note: no triage records"), std::string::npos) << r.output;

  r = RunCrashdiff("triage " + file, elsewhere);
  EXPECT_NE(r.output.find("status      real"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "triage wrote a file without -o";
  r = RunCrashdiff("triage " + file + " -o " + dir.path() + "/t.html", elsewhere);
  EXPECT_TRUE(std::filesystem::is_regular_file(dir.path() + "/t.html")) << r.output;

  r = RunCrashdiff("run " + file, "CRASHDIFF_SOURCE_DIR=" + dir.path());
  EXPECT_NE(r.output.find("note: no triage records"), std::string::npos) << r.output;
}

// A consequence folded into another divergence's root cause is judged by its cause's witness: triage says which.
TEST(Cli, TriageOfAConsequenceNamesTheWitnessRecordsAreCheckedAgainst) {
  const std::string file =
      std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings/ppc/busy_poll_no_idle_state_mce_after_handover.textproto";
  const auto r = RunCrashdiff("triage " + file +
                              " --signature 'PR2 unstable-after-handover: offline-target DEAD_CORRUPT after hand-over "
                              "from OFFLINE_LOOP [ppc-upstream-clear-then-check/doorbell]'");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("root cause  PR1 unsafe-parking @OFFLINE_LOOP"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("status      real"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("cause at    L2 "), std::string::npos) << r.output;
}

// The audit of a campaign directory runs each finding again and says which record covers it, and at which steps.
TEST(Cli, TriageAuditShowsWhatEachRecordCoversInACampaignDirectory) {
  TempDir campaign;
  std::filesystem::create_directories(campaign.path() + "/findings");
  // A finding as the harness names it: its signature, then the scenario (the rest of its header is re-made).
  std::ifstream in(std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings/ppc/receiver_held_by_nested_resets.textproto");
  campaign.Write("findings/sig-0000000000000001.textproto",
                 "# signature: PR1 unsafe-parking: online-target RECEIVER_WAIT at hand-over "
                 "[ppc-prefix-nowake/doorbell]\n" +
                     std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()));
  auto r = RunCrashdiff("triage --audit " + campaign.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("pr1-system-reset-reaches-a-cpu-the-crash-has-not-sent-to-real-mode  (real, 1 signature(s))"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("  witness  NMI-H 1  (record: any)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 finding(s) (1 triaged); 1 triaged by 1 record(s)"), std::string::npos) << r.output;
  r = RunCrashdiff("triage --audit " + campaign.path() + "/nowhere");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("nowhere: not a directory"), std::string::npos) << r.output;
}

TEST(Cli, UnknownCommandExitsTwo) {
  const auto r = RunCrashdiff("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(Cli, RunOnAnInvalidScenarioPrintsFileLineFieldReasonAndExitsTwo) {
  TempDir dir;
  const std::string file =
      dir.Write("bad.textproto", "machine {\n  family: PPC\n  platform: POWER8_XICS\n  cores: 0\n}\n");
  const auto r = RunCrashdiff("run " + file);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(file + ":4: machine.cores: must be in [1, 1024], got 0"), std::string::npos) << r.output;
}

TEST(Cli, RunOnAnEmptyOrBinaryFileExitsTwoWithAClearMessage) {
  TempDir dir;
  const std::string empty = dir.Write("empty.textproto", "");
  auto r = RunCrashdiff("run " + empty);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("empty file"), std::string::npos) << r.output;
  const std::string bin = dir.Write("garbage.pb", std::string("\xff\xff\xff\xff\x0f\x01", 6));
  r = RunCrashdiff("run " + bin);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find(bin + ":0: "), std::string::npos) << r.output;
}

TEST(Cli, RunWithUnknownOptionOrTargetExitsTwo) {
  TempDir dir;
  const std::string ok = dir.Write("ok.textproto", "machine { family: PPC platform: POWER8_XICS }\n");
  EXPECT_EQ(RunCrashdiff("run " + ok + " --frob").exit_code, 2);
  const auto r = RunCrashdiff("run " + ok + " --target no-such-target");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown target 'no-such-target'"), std::string::npos);
}

// crashdiff patch / regress --base: a patched target against its base, by root cause (docs/PATCH-WORKFLOW.md).
const std::string kCorpusFlags = " --dir " + std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/regressions --seeds " +
                                 std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/seeds --findings " +
                                 std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings";

TEST(Cli, PatchRefusesUnknownTargetsMissingFlagsAndMixedFamilies) {
  auto r = RunCrashdiff("patch --target no-such-target --base ppc-upstream-clear-then-check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown target 'no-such-target'"), std::string::npos) << r.output;
  r = RunCrashdiff("patch --target ppc-upstream-clear-then-check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--base B are both required"), std::string::npos) << r.output;
  r = RunCrashdiff("patch --target x86-mwait-fixed --base ppc-upstream-clear-then-check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("is a x86 target and --base ppc-upstream-clear-then-check a ppc one"), std::string::npos)
      << r.output;
  r = RunCrashdiff("patch --target ppc-v1-check-before-clear --base ppc-upstream-clear-then-check --mutants many");
  EXPECT_EQ(r.exit_code, 2);
  r = RunCrashdiff("regress --base ppc-upstream-clear-then-check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("give both"), std::string::npos) << r.output;
}

TEST(Cli, PatchOfTheBaseItselfReportsNothingAndExitsZero) {
  const auto r = RunCrashdiff(
      "patch --target ppc-upstream-clear-then-check --base ppc-upstream-clear-then-check --mutants 50" + kCorpusFlags);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(", 50 mutants (seed 1)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0 introduced, 0 fixed, 0 partly-fixed"), std::string::npos) << r.output;
}

// v1 against the fix that replaced it: the lost wake is introduced (exit 1), with a reproducer written to --out.
TEST(Cli, PatchReportsWhatTheOlderPatchIntroducesAndWritesReproducers) {
  TempDir dir;
  const auto r = RunCrashdiff(
      "patch --target ppc-v1-check-before-clear --base ppc-upstream-clear-then-check "
      "--mutants 0 --out " +
      dir.path() + "/out" + kCorpusFlags);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("introduced    PR3 lost-wake @"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("    written " + dir.path() + "/out/introduced-pr3-lost-wake-"), std::string::npos)
      << r.output;
  const auto json = RunCrashdiff(
      "patch --target ppc-v1-check-before-clear --base ppc-upstream-clear-then-check "
      "--mutants 0 --json" +
      kCorpusFlags);
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_NE(json.output.find("\"introduced\":true"), std::string::npos) << json.output;
  EXPECT_NE(json.output.find("\"change\":\"introduced\""), std::string::npos);
}

// minimize --all adds to a corpus: a signature it already has a reproducer of keeps that reproducer.
TEST(Cli, MinimizeAllKeepsReproducersTheCorpusAlreadyHas) {
  TempDir dir;
  const std::string scenario = dir.Write("s.textproto", R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 offline: 3 }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_step: 0 }
    }
    events {
      kind: HMI
      all_cpus: true
      trigger { after_handover_ns: 1000 }
    }
  )pb");
  const std::string out = dir.path() + "/corpus";
  const auto first = RunCrashdiff("minimize " + scenario + " --all --out " + out);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(out)) files.push_back(e.path());
  ASSERT_FALSE(files.empty());
  const std::string marker = "# kept by the user\n";
  {
    std::ofstream(files.front(), std::ios::app) << marker;
  }
  const auto second = RunCrashdiff("minimize " + scenario + " --all --out " + out);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("kept " + files.front().string()), std::string::npos) << second.output;
  std::ifstream in(files.front());
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(marker), std::string::npos);
}

// --root-cause pins the mechanism: this finding shows its PR7 signature as a consequence of the hang at the panic's
// stop (root cause PR8 @STOP). With --root-cause the reproducer keeps that root cause; one the file does not show
// (its own PR7, or an unknown location) is refused.
TEST(Cli, MinimizeKeepsTheRootCauseItIsGiven) {
  TempDir dir;
  const std::string file =
      std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings/ppc/kexec_races_operator_reset_panics.textproto";
  const std::string signature = "PR7 coverage: loser never sent a crash wake [ppc-sreset-dump/xive-ipi+nmi-sysreset]";
  const auto r = RunCrashdiff("minimize " + file + " --root-cause 'PR8 unbounded-initiator @STOP' --quiet --out " +
                              dir.path() + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("  signature: " + signature), std::string::npos) << r.output;
  const std::string out = dir.path() + "/out/" + Signature::ReadableFileName(signature);
  const auto run = RunCrashdiff("run " + out + " --json --target ppc-sreset-dump");
  EXPECT_NE(run.output.find("\"signature\":\"" + signature + "\""), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("\"root_cause\":\"PR8 unbounded-initiator @STOP\""), std::string::npos) << run.output;
  for (const std::string rc : {"PR7 coverage @STOP", "PR8 unbounded-initiator @NONE"}) {
    const auto refused = RunCrashdiff("minimize " + file + " --root-cause '" + rc + "' --out " + dir.path());
    EXPECT_EQ(refused.exit_code, 2) << rc;
    EXPECT_NE(refused.output.find("shows no divergence with root cause '" + rc + "'"), std::string::npos)
        << refused.output;
  }
}

// --report re-judges a campaign's findings with the current tree: a finding still showing its signature is judged
// again (here: a documented bug, known), one whose scenario no longer shows it is counted as gone.
TEST(Cli, FuzzReportRejudgesFindingsWithoutFuzzing) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/findings");
  const std::string scenario = R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 offline: 1 }
    events {
      kind: STRAY_DOORBELL
      cpus: 1
      trigger { at_time_ns: 0 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { on_label { cpu: 1 label: "L3" } }
    }
    schedule {
      choices {
        cpu: 1
        steps: 40
        hold: true
        after { cpu: 1 label: "L2a" }
      }
    }
  )pb";
  dir.Write("findings/lost.textproto",
            "# signature: PR3 lost-wake: offline-target sleeps in STOPPED_HW after crash wake "
            "[ppc-v1-check-before-clear/doorbell]\n" +
                std::string(scenario));
  dir.Write("findings/gone.textproto",
            "# signature: PR3 lost-wake: offline-target sleeps in STOPPED_HW after crash wake "
            "[ppc-upstream-clear-then-check/doorbell]\n" +
                std::string(scenario));
  const auto r = RunCrashdiff("fuzz --report --out " + dir.path());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 signature(s) (0 new, 0 triaged, 0 open, 1 known"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 no longer reproduce"), std::string::npos) << r.output;
}

// A root cause the regression corpus records is open as a whole: a consequence folded into it (a CPU the hung
// initiator never woke) is not NEW even when that signature itself is recorded nowhere.
TEST(Cli, FuzzReportCountsAConsequenceOfAnOpenRootCauseAsOpen) {
  TempDir dir;
  std::filesystem::create_directories(dir.path() + "/src/corpus/regressions");
  std::filesystem::create_directories(dir.path() + "/src/corpus/triage");
  std::filesystem::create_directories(dir.path() + "/out/findings");
  // A system reset on the crashing CPU: the initiator waits for itself (PR8 at R4); the offline threads are never
  // woken (PR7, witnessed at the hang). Only the hang is recorded, and no triage record exists here.
  const std::string scenario = R"pb(
    machine {
      family: PPC
      platform: POWER9_DOORBELL_XIVE
      cores: 1
      threads_per_core: 8
      offline: 1
      offline: 2
      firmware { system_reset_supported: true }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 0 }
    }
    events {
      kind: SYSTEM_RESET
      cpus: 0
      trigger { at_time_ns: 104 }
    }
    schedule { policy: PCT }
  )pb";
  const std::string hang =
      "PR8 unbounded-initiator: initiator never hands over (quiescent) [ppc-sreset-dump/doorbell+nmi-sysreset]";
  dir.Write("src/corpus/regressions/hang.textproto", "# expect ppc-sreset-dump: " + hang + "\n" + scenario);
  dir.Write("out/findings/hang.textproto", "# signature: " + hang + "\n" + scenario);
  dir.Write(
      "out/findings/unwoken.textproto",
      "# signature: PR7 coverage: offline-target never sent a crash wake [ppc-sreset-dump/doorbell+nmi-sysreset]\n" +
          scenario);
  const auto r =
      RunCrashdiff("fuzz --report --out " + dir.path() + "/out", "CRASHDIFF_SOURCE_DIR=" + dir.path() + "/src");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 signature(s) (0 new, 0 triaged, 2 open"), std::string::npos) << r.output;
}

TEST(Cli, RegressWithABaseComparesOnTheRegressionCorpusAlone) {
  const auto r = RunCrashdiff("regress --target ppc-v1-check-before-clear --base ppc-upstream-clear-then-check --dir " +
                              std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/regressions");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("introduced    PR3 lost-wake @"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("mutants"), std::string::npos) << r.output;
  const auto same = RunCrashdiff(
      "regress --target ppc-upstream-clear-then-check --base ppc-upstream-clear-then-check "
      "--dir " +
      std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/regressions");
  EXPECT_EQ(same.exit_code, 0) << same.output;
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

// A campaign on a target that does not exist would fuzz nothing: refused like `run --target`.
TEST(Cli, FuzzOnAnUnknownTargetExitsTwo) {
  const auto r = testing::RunCrashdiff("fuzz --target no-such-target --time 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("unknown target 'no-such-target'"), std::string::npos) << r.output;
}

// "--target T --family F" of another family is a contradiction, not an empty campaign.
TEST(Cli, FuzzOnATargetOfAnotherFamilyExitsTwo) {
  const auto r = testing::RunCrashdiff("fuzz --target ppc-upstream-clear-then-check --family x86 --time 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("is a ppc target, not x86"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace crashdiff
