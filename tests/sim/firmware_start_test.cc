// The firmware start job (Cpu::QueueFirmwareStart, skiboot opal_start_cpu): a thread held in firmware leaves its
// park when the job runs, and firmware's record of it is cleared; without a job it stays held.
#include <gtest/gtest.h>

#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

Task<> HeldThenRuns(Cpu& c) {
  co_await c.enter_firmware(Location::kNeverStarted, "FW-HOLD", FwReset::kToOsVector);
  co_await c.local("STARTED");
  co_await c.park(Location::kRunOld, "IDLE");
}

TEST(FirmwareStart, AQueuedStartJobEndsTheParkAndClearsTheRecord) {
  for (const bool start : {false, true}) {
    const pb::Scenario s = ScenarioFromText(R"pb(
      machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 never_started: 1 }
    )pb");
    Machine m(s);
    LambdaProgram p;
    p.start = [start](Cpu& cpu) -> Task<> {
      if (cpu.id() == 1) return HeldThenRuns(cpu);
      return [](Cpu& c, bool go) -> Task<> {
        co_await c.delay(1000, "WORK");
        if (go) co_await c.hw_op("KICK", "opal_start_cpu", [&c] { c.machine().cpu(1).QueueFirmwareStart(); });
      }(cpu, start);
    };
    const RunResult r = m.Run(p);
    EXPECT_EQ(m.cpu(1).in_firmware(), !start);
    EXPECT_EQ(m.cpu(1).held_by_firmware(), !start);
    EXPECT_EQ(r.cpus[1].final, start ? Location::kRunOld : Location::kNeverStarted);
  }
}

}  // namespace
}  // namespace crashdiff
