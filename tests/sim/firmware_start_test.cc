// The firmware start (Cpu::QueueFirmwareStart: skiboot opal_start_cpu's job, PSCI CPU_ON): a thread held in firmware
// is started at the kernel's entry point on a fresh stack: the hold's frames are dropped (the code after the hold
// never runs), Program::FirmwareEntry runs with interrupts off, and firmware's record of it is cleared; without a
// start it stays held.
#include <gtest/gtest.h>

#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

Task<> Held(Cpu& c, bool& resumed) {
  co_await c.enter_firmware(Location::kNeverStarted, "FW-HOLD", FwReset::kToOsVector);
  resumed = true;  // never: a firmware start does not return into the hold
  co_await c.park(Location::kRunOld, "HOLD-RETURNED");
}

Task<> Entry(Cpu& c, bool& irq_off_at_entry, size_t& frames_at_entry) {
  irq_off_at_entry = !c.irq_enabled();
  frames_at_entry = c.frames().size();
  co_await c.local("STARTED");
  co_await c.park(Location::kRunOld, "IDLE");
}

TEST(FirmwareStart, AQueuedStartRunsTheEntryOnAFreshStackAndClearsTheRecord) {
  for (const bool start : {false, true}) {
    const pb::Scenario s = ScenarioFromText(R"pb(
      machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 never_started: 1 }
    )pb");
    Machine m(s);
    LambdaProgram p;
    bool resumed = false;
    bool irq_off_at_entry = false;
    size_t frames_at_entry = 0;
    bool entered = false;
    p.start = [start, &resumed](Cpu& cpu) -> Task<> {
      if (cpu.id() == 1) return Held(cpu, resumed);
      return [](Cpu& c, bool go) -> Task<> {
        co_await c.delay(1000, "WORK");
        if (go) co_await c.hw_op("KICK", "opal_start_cpu", [&c] { c.machine().cpu(1).QueueFirmwareStart(); });
      }(cpu, start);
    };
    p.firmware_entry = [&](Cpu& cpu) -> Task<> {
      entered = true;
      return Entry(cpu, irq_off_at_entry, frames_at_entry);
    };
    const RunResult r = m.Run(p);
    EXPECT_EQ(m.cpu(1).in_firmware(), !start);
    EXPECT_EQ(m.cpu(1).held_by_firmware(), !start);
    EXPECT_FALSE(m.cpu(1).firmware_start_queued());
    EXPECT_FALSE(resumed);
    EXPECT_EQ(entered, start);
    if (start) {
      EXPECT_TRUE(irq_off_at_entry);
      EXPECT_EQ(frames_at_entry, 1u);  // only the entry's own frame: the hold's is gone
    }
    EXPECT_EQ(r.cpus[1].final, start ? Location::kRunOld : Location::kNeverStarted);
  }
}

}  // namespace
}  // namespace crashdiff
