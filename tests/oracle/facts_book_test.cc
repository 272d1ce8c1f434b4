// What the facts take from the run's book: a shutdown whose task went on on another CPU belongs to that CPU.
#include <gtest/gtest.h>

#include "oracle/facts.h"

namespace crashdiff {
namespace {

TEST(FactsBook, AMovedShutdownAndItsKexecRequestBelongToTheCpuThatRunsItNow) {
  FactsBuilder facts(3);
  TraceEntry request;
  request.step = 1;
  request.time_ns = 5;
  request.cpu = 0;
  request.kind = TraceKind::kEvent;
  request.label = "KEXEC";
  request.tags.mark = TraceMark::kKexecRequest;
  facts.OnEntry(request);
  facts.OnBook(BookEntry{.kind = BookKind::kShutdown, .cpu = 0, .by = 0, .step = 10, .time_ns = 20});
  facts.OnBook(BookEntry{.kind = BookKind::kShutdownMoved, .cpu = 2, .by = 0, .step = 30, .time_ns = 40});
  const CpuFacts& from = facts.facts().cpus[0];
  const CpuFacts& to = facts.facts().cpus[2];
  EXPECT_FALSE(from.shutdown_started);
  EXPECT_FALSE(from.kexec_event);
  EXPECT_TRUE(to.shutdown_started);
  EXPECT_EQ(to.shutdown_time_ns, 20u);  // the task's start, not the move's
  EXPECT_TRUE(to.kexec_event);
  EXPECT_EQ(to.kexec_time_ns, 5u);
}

}  // namespace
}  // namespace crashdiff
