// Output files are written whole or not at all (util/atomic_file.h): a campaign worker's findings, reproducers,
// status files. CreateFileAtomically is the racing writers' form: the first writer's file stays, complete.
#include "util/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/fixtures/cli_test_util.h"
#include "tests/fixtures/fuzz_test_util.h"

namespace crashdiff {
namespace {

size_t FilesIn(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFile, CreateKeepsTheFirstWritersFileAndLeavesNoTemporary) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/sig-0001.textproto";
  EXPECT_EQ(CreateFileAtomically(path, "first\n"), CreateResult::kCreated);
  EXPECT_EQ(CreateFileAtomically(path, "second\n"), CreateResult::kExists);
  EXPECT_EQ(fuzz::testing::ReadFile(path), "first\n");
  EXPECT_EQ(FilesIn(dir.path()), 1u) << "the losing writer's temporary is gone";
  // WriteFileAtomically, by contrast, replaces.
  EXPECT_EQ(WriteFileAtomically(path, "third\n"), "");
  EXPECT_EQ(fuzz::testing::ReadFile(path), "third\n");
}

TEST(AtomicFile, CreateInAMissingDirectoryFailsWithTheReason) {
  testing::TempDir dir;
  std::string error;
  EXPECT_EQ(CreateFileAtomically(dir.path() + "/no/such/dir/f", "x", &error), CreateResult::kFailed);
  EXPECT_NE(error.find("cannot create a temporary file"), std::string::npos) << error;
}

}  // namespace
}  // namespace crashdiff
