// The command line as a user meets it: usage, help, and bad input giving file:line errors and exit code 2.
#include <gtest/gtest.h>

#include "tests/cli_test_util.h"

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
  EXPECT_NE(r.output.find(file + ":4: machine.cores: must be in [1, 8], got 0"), std::string::npos) << r.output;
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

}  // namespace
}  // namespace crashdiff
