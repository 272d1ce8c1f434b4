// Where a CPU stands (CpuFacts::Position): interrupts it took and returned from are taken out; a handler that is
// still running, or never returns, is where it stands.
#include <gtest/gtest.h>

#include "oracle/facts.h"

namespace crashdiff {
namespace {

class PositionTest : public ::testing::Test {
 protected:
  FactsBuilder facts_{1};
  uint64_t step_ = 0;

  void Step(TraceKind kind, std::string_view label) {
    TraceEntry e;
    e.step = ++step_;
    e.time_ns = step_;
    e.cpu = 0;
    e.kind = kind;
    e.label = label;
    facts_.OnEntry(e);
  }
  void Handover() {
    TraceEntry e;
    e.step = ++step_;
    e.cpu = 1;
    e.kind = TraceKind::kHandover;
    facts_.OnEntry(e);
  }
  const CpuFacts& cpu() { return facts_.facts().cpus[0]; }
};

TEST_F(PositionTest, AnSmiTakenAndReturnedFromLeavesTheCpuWhereItSpun) {
  Step(TraceKind::kRmw, "D1");
  Step(TraceKind::kBlock, "D1");
  Step(TraceKind::kIrq, "SMI");
  Step(TraceKind::kIrqReturn, "SMI");
  Handover();
  EXPECT_EQ(cpu().position_before_handover.label, "D1");
  EXPECT_EQ(cpu().position_before_handover.step, 2u);
  EXPECT_EQ(cpu().last_before_handover.label, "SMI");  // the last step is still the interrupt
}

TEST_F(PositionTest, NestedHandlersUnwindOneReturnAtATime) {
  Step(TraceKind::kLocal, "P3");
  Step(TraceKind::kIrq, "NMI");
  Step(TraceKind::kRead, "N0");
  EXPECT_EQ(cpu().Position().label, "N0");
  Step(TraceKind::kIrq, "SMI");
  EXPECT_EQ(cpu().Position().label, "SMI");
  Step(TraceKind::kIrqReturn, "SMI");
  EXPECT_EQ(cpu().Position().label, "N0");
  Step(TraceKind::kIrqReturn, "NMI");
  EXPECT_EQ(cpu().Position().label, "P3");
}

TEST_F(PositionTest, AHandlerThatDoesNotReturnIsWhereTheCpuStands) {
  Step(TraceKind::kBlock, "idle");
  Step(TraceKind::kIrq, "SYSTEM_RESET");
  Step(TraceKind::kRmw, "NMI-H");
  Step(TraceKind::kBlock, "NMI-H");
  Handover();
  EXPECT_EQ(cpu().position_before_handover.label, "NMI-H");
}

TEST_F(PositionTest, AnInterruptAtTheHandoverIsWhereTheCpuWasTaken) {
  Step(TraceKind::kBlock, "idle");
  Step(TraceKind::kIrq, "SYSTEM_RESET");
  Handover();
  EXPECT_EQ(cpu().position_before_handover.label, "SYSTEM_RESET");
}

TEST_F(PositionTest, NestingDeeperThanTheStackKeepsTheReturnsThemselves) {
  Step(TraceKind::kLocal, "A");
  const size_t depth = CpuFacts{}.interrupted.size();
  for (size_t i = 0; i <= depth; ++i) Step(TraceKind::kIrq, "IPI");
  Step(TraceKind::kIrqReturn, "DEEP");  // the one interrupt past the stack: its return is all that is known
  EXPECT_EQ(cpu().Position().label, "DEEP");
  for (size_t i = 0; i < depth; ++i) Step(TraceKind::kIrqReturn, "IPI");
  EXPECT_EQ(cpu().Position().label, "A");
}

}  // namespace
}  // namespace crashdiff
