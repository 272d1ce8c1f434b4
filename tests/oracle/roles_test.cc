// Roles from a run's book: when a panic makes a loser, and what a never-started thread becomes once the crash-time
// hotplug starts it.
#include "oracle/roles.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::ScenarioFromText;

// cpu0 panics at step 10 and hands over at step 50; the other CPUs' bookings are the test's.
RunResult HandedOverAt50(uint32_t cpus, std::vector<BookEntry> more) {
  RunResult r;
  r.cpus.resize(cpus);
  r.cpus[0].entered_panic = true;
  r.handed_over = true;
  r.handover_cpu = 0;
  r.handover_step = 50;
  r.book.push_back(BookEntry{.kind = BookKind::kPanic, .cpu = 0, .by = 0, .step = 10});
  for (const BookEntry& b : more) {
    r.book.push_back(b);
    if (b.kind == BookKind::kPanic) r.cpus[b.cpu].entered_panic = true;
  }
  // The book is in execution order: cpu0's panic goes before the first later entry.
  const auto later = std::find_if(r.book.begin() + 1, r.book.end(), [](const BookEntry& b) { return b.step > 10; });
  std::rotate(r.book.begin(), r.book.begin() + 1, later);
  return r;
}

TEST(Roles, APanicAfterTheHandOverMakesNoLoser) {
  const pb::Scenario s =
      ScenarioFromText("machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 }");
  const RunResult r = HandedOverAt50(4, {BookEntry{.kind = BookKind::kPanic, .cpu = 1, .by = 1, .step = 30},
                                         BookEntry{.kind = BookKind::kPanic, .cpu = 2, .by = 2, .step = 51}});
  const std::vector<Role> roles = RolesOf(s, r);
  EXPECT_EQ(roles[0], Role::kInitiator);
  EXPECT_EQ(roles[1], Role::kLoser);
  EXPECT_EQ(roles[2], Role::kOnlineTarget);
  EXPECT_EQ(roles[3], Role::kOnlineTarget);
}

TEST(Roles, ANeverStartedThreadTheCrashTimeHotplugStartsTakesTheRoleItEndsIn) {
  const pb::Scenario s = ScenarioFromText(
      "machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 2 threads_per_core: 2 "
      "never_started: 1 never_started: 2 never_started: 3 }");
  const RunResult r = HandedOverAt50(4, {BookEntry{.kind = BookKind::kOnline, .cpu = 1, .by = 0, .step = 20},
                                         BookEntry{.kind = BookKind::kOffline, .cpu = 1, .by = 1, .step = 25},
                                         BookEntry{.kind = BookKind::kOnline, .cpu = 2, .by = 0, .step = 20},
                                         BookEntry{.kind = BookKind::kPanic, .cpu = 2, .by = 2, .step = 30}});
  const std::vector<Role> roles = RolesOf(s, r);
  EXPECT_EQ(roles[1], Role::kOfflineTarget);  // started and taken offline during the crash
  EXPECT_EQ(roles[2], Role::kLoser);          // started, then panicked before the hand-over
  EXPECT_EQ(roles[3], Role::kNeverStarted);   // still held by firmware
}

// A kexec whose CPU went down while its task slept (arm64's smp_shutdown_nonboot_cpus lock): the task, and the
// shutdown it had booked, went on on cpu1. Before the hand-over the initiator is the CPU running it.
TEST(Roles, TheInitiatorFollowsAShutdownItsTaskTookToAnotherCpu) {
  RunResult r;
  r.cpus.resize(3);
  r.cpus[1].shutdowns = 1;
  r.book = {BookEntry{.kind = BookKind::kShutdown, .cpu = 0, .by = 0, .step = 10},
            BookEntry{.kind = BookKind::kOffline, .cpu = 0, .by = 0, .step = 20},
            BookEntry{.kind = BookKind::kShutdownMoved, .cpu = 1, .by = 0, .step = 21}};
  EXPECT_EQ(InitiatorOf(r), 1u);
}

}  // namespace
}  // namespace crashdiff
