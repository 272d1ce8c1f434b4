// Hardware latch semantics (DOMAIN §2.2-§2.5, §3.8, ARCHITECTURE §4): what wakes a stop state, what merges, what
// taking an interrupt clears, and what happens after the next kernel owns the vectors.
#include <gtest/gtest.h>

#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

constexpr SourceMask kDoorbellAndExternal = Bit(Source::kHdoorbell) | Bit(Source::kExternal) | Bit(Source::kHvi);

pb::Scenario OneCpu(const std::string& extra = "") {
  return ScenarioFromText(R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 1 })pb" +
                          extra);
}

// Runs `body` as cpu0's program on a fresh machine.
template <typename Body>
RunResult RunOne(const pb::Scenario& s, Body body, LambdaProgram* with = nullptr) {
  Machine m(s);
  LambdaProgram local;
  LambdaProgram& p = with ? *with : local;
  p.start = [&](Cpu& cpu) -> Task<> { return body(cpu); };
  return m.Run(p);
}

TEST(Stop, AnEnabledWakeAlreadyPendingReturnsAtOnce) {
  Wake wake;
  const RunResult r = RunOne(OneCpu(), [&wake](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Wake& w) -> Task<> {
      co_await c.irq_disable("E1");
      co_await c.hw_op("S", "msgsnd", [&c] { c.hw().doorbell = true; });
      w = co_await c.enter_stop(kDoorbellAndExternal, true, "L2");
    }(cpu, wake);
  });
  EXPECT_EQ(wake.source, Source::kHdoorbell);
  EXPECT_EQ(wake.srr1, 0x0C0000u);
  EXPECT_EQ(r.steps, 3u);
}

TEST(Stop, WakingDoesNotClearTheDoorbellButConsumesAReset) {
  bool doorbell_after = false;
  bool reset_after = true;
  RunOne(OneCpu(R"pb(events {
                       kind: SYSTEM_RESET
                       cpus: 0
                       trigger { at_time_ns: 1000000 }
                     })pb"),
         [&](Cpu& cpu) -> Task<> {
           return [](Cpu& c, bool& db, bool& rst) -> Task<> {
             co_await c.irq_disable("E1");
             co_await c.hw_op("S", "msgsnd", [&c] { c.hw().doorbell = true; });
             co_await c.enter_stop(kDoorbellAndExternal, true, "L2");
             db = c.hw().doorbell;
             co_await c.hw_op("L4", "msgclr", [&c] { c.hw().doorbell = false; });
             const Wake w = co_await c.enter_stop(kDoorbellAndExternal, true, "L2");
             EXPECT_EQ(w.source, Source::kReset);
             rst = c.hw().reset;
           }(cpu, doorbell_after, reset_after);
         });
  EXPECT_TRUE(doorbell_after);
  EXPECT_FALSE(reset_after);
}

TEST(Stop, DisabledSourcesDoNotWakeButHmiAlwaysDoes) {
  Wake wake;
  RunOne(OneCpu(R"pb(events {
                       kind: HMI
                       cpus: 0
                       trigger { at_time_ns: 5000000 }
                     })pb"),
         [&](Cpu& cpu) -> Task<> {
           return [](Cpu& c, Wake& w) -> Task<> {
             co_await c.irq_disable("E1");
             co_await c.hw_op("S", "decrementer", [&c] { c.hw().dec = true; });
             w = co_await c.enter_stop(kDoorbellAndExternal, true, "L2");  // PECE1 (decrementer) cleared
             EXPECT_GE(c.machine().now(), 5000000u);
           }(cpu, wake);
         });
  EXPECT_EQ(wake.source, Source::kHmi);
}

TEST(Latch, TwoDoorbellsMergeAndOneClearConsumesBoth) {
  bool woke_again = false;
  const RunResult r = RunOne(OneCpu(), [&](Cpu& cpu) -> Task<> {
    return [](Cpu& c, bool& again) -> Task<> {
      co_await c.irq_disable("E1");
      co_await c.hw_op("S", "stray msgsnd", [&c] { c.hw().doorbell = true; });
      co_await c.hw_op("S", "crash msgsnd", [&c] { c.hw().doorbell = true; });
      co_await c.hw_op("L4", "msgclr", [&c] { c.hw().doorbell = false; });
      co_await c.enter_stop(kDoorbellAndExternal, true, "L2");
      again = true;
    }(cpu, woke_again);
  });
  EXPECT_FALSE(woke_again);
  EXPECT_EQ(r.cpus[0].final, Location::kStoppedHw);
}

TEST(Interrupts, MaskableSourcesWaitForIrqEnableNonMaskableDoNot) {
  std::vector<Source> taken;
  LambdaProgram p;
  p.interrupt = [&taken](Cpu&, Source s) -> Task<> {
    taken.push_back(s);
    return LambdaProgram::Nothing();
  };
  bool doorbell_after_take = true;
  RunOne(
      OneCpu(),
      [&](Cpu& cpu) -> Task<> {
        return [](Cpu& c, std::vector<Source>& t, bool& db) -> Task<> {
          co_await c.irq_disable("A");
          co_await c.hw_op("B", "doorbell + reset", [&c] {
            c.hw().doorbell = true;
            c.hw().reset = true;
          });
          co_await c.local("C");  // the reset is taken before this step; the doorbell is masked
          EXPECT_EQ(t.size(), 1u);
          co_await c.irq_enable("D");
          co_await c.local("E");  // now the doorbell is taken, and taking it clears the latch
          db = c.hw().doorbell;
        }(cpu, taken, doorbell_after_take);
      },
      &p);
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0], Source::kReset);
  EXPECT_EQ(taken[1], Source::kHdoorbell);
  EXPECT_FALSE(doorbell_after_take);
}

TEST(Interrupts, ExternalIsLevelTriggeredUntilTheHandlerAccepts) {
  int takes = 0;
  LambdaProgram p;
  p.interrupt = [&takes](Cpu& c, Source s) -> Task<> {
    EXPECT_EQ(s, Source::kExternal);
    return [](Cpu& cpu, int& n) -> Task<> {
      ++n;
      // XICS: reading XIRR accepts the most favoured source; the first take leaves it pending on purpose.
      if (n == 2) co_await cpu.hw_op("XIRR", "accept IPI", [&cpu] { cpu.hw().mfrr = kMfrrNone; });
    }(c, takes);
  };
  RunOne(
      ScenarioFromText(
          R"pb(machine { family: PPC platform: POWER8_XICS cores: 1 threads_per_core: 1 }
               events {
                 kind: STALE_ICP_IPI
                 cpus: 0
                 trigger { at_step: 0 }
               })pb"),
      [](Cpu& cpu) -> Task<> {
        return [](Cpu& c) -> Task<> {
          for (int i = 0; i < 6; ++i) co_await c.local("IDLE");
        }(cpu);
      },
      &p);
  EXPECT_EQ(takes, 2);
}

// cpu0 works for 1 us and hands over (the next kernel takes the low vectors); cpu1 runs `second`. Both use the
// powerpc low vectors.
RunResult RunHandoverWith(const pb::Scenario& s, Task<> (*second)(Cpu&)) {
  Machine m(s);
  LambdaProgram p;
  p.start = [second](Cpu& cpu) -> Task<> {
    cpu.set_vector_region(Region::kLowVectors);
    if (cpu.id() != 0) return second(cpu);
    return [](Cpu& c) -> Task<> {
      co_await c.delay(1000, "WORK");
      co_await c.handover({Region::kLowVectors}, "I14");
    }(cpu);
  };
  return m.Run(p);
}

TEST(Handover, WakeFromStateLosingStopAfterHandoverIsDeadCorrupt) {
  // cpu1 sleeps in a state-losing stop; cpu0 hands over (overwriting the low vectors); an HMI then wakes cpu1.
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
    events {
      kind: HMI
      cpus: 1
      trigger { after_handover_ns: 1000 }
    }
  )pb");
  const RunResult r = RunHandoverWith(s, [](Cpu& c) -> Task<> {
    co_await c.irq_disable("E1");
    for (;;) co_await c.enter_stop(kDoorbellAndExternal, true, "L2");
  });
  ASSERT_TRUE(r.handed_over);
  EXPECT_EQ(r.cpus[1].at_handover, Location::kStoppedHw);
  EXPECT_EQ(r.cpus[1].final, Location::kDeadCorrupt);
  EXPECT_EQ(r.cpus[0].final, Location::kNextKernel);
}

TEST(Handover, FirmwareParkedCpuAbsorbsEveryEvent) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
    events {
      kind: HMI
      all_cpus: true
      trigger { after_handover_ns: 10 }
    }
    events {
      kind: SYSTEM_RESET
      all_cpus: true
      trigger { after_handover_ns: 20 }
    }
    events {
      kind: MCE
      all_cpus: true
      trigger { after_handover_ns: 30 }
    }
  )pb");
  const RunResult r =
      RunHandoverWith(s, [](Cpu& c) -> Task<> { co_await c.enter_firmware(Location::kParkedFw, "R5"); });
  EXPECT_EQ(r.cpus[1].at_handover, Location::kParkedFw);
  EXPECT_EQ(r.cpus[1].final, Location::kParkedFw);
}

// A firmware hold the platform's reset reaches (powernv, FwReset::kToOsVector): a system reset by firmware's
// direct control (SYSTEM_RESET: skiboot's do_sreset_cpu checks no thread state) and an operator's reset of every
// thread both take the thread out to its reset vector, which after the hand-over is the next kernel's.
TEST(Handover, OperatorResetTakesAThreadOutOfAFirmwareHoldThatYieldsToIt) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
    events {
      kind: SYSTEM_RESET
      all_cpus: true
      trigger { after_handover_ns: 10 }
    }
    events {
      kind: OPERATOR_RESET
      trigger { after_handover_ns: 20 }
    }
  )pb");
  const RunResult yields = RunHandoverWith(
      s, [](Cpu& c) -> Task<> { co_await c.enter_firmware(Location::kParkedFw, "R5", FwReset::kToOsVector); });
  EXPECT_EQ(yields.cpus[1].at_handover, Location::kParkedFw);
  EXPECT_EQ(yields.cpus[1].final, Location::kDeadCorrupt);
  const RunResult holds =
      RunHandoverWith(s, [](Cpu& c) -> Task<> { co_await c.enter_firmware(Location::kParkedFw, "R5"); });
  EXPECT_EQ(holds.cpus[1].final, Location::kParkedFw);
  pb::Scenario system_reset_only = s;
  system_reset_only.mutable_events()->RemoveLast();
  const RunResult taken_out = RunHandoverWith(system_reset_only, [](Cpu& c) -> Task<> {
    co_await c.enter_firmware(Location::kParkedFw, "R5", FwReset::kToOsVector);
  });
  EXPECT_EQ(taken_out.cpus[1].final, Location::kDeadCorrupt);
  const RunResult still_held = RunHandoverWith(
      system_reset_only, [](Cpu& c) -> Task<> { co_await c.enter_firmware(Location::kParkedFw, "R5"); });
  EXPECT_EQ(still_held.cpus[1].final, Location::kParkedFw);
}

// Firmware's record that it holds a thread survives the reset that takes the thread out (firmware is not told).
TEST(Firmware, HeldRecordOutlivesTheResetThatTakesTheThreadOut) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 }
    events {
      kind: OPERATOR_RESET
      trigger { at_time_ns: 100 }
    }
  )pb");
  Machine m(s);
  LambdaProgram p;
  p.start = [](Cpu& cpu) -> Task<> {
    if (cpu.id() == 1) {
      return [](Cpu& c) -> Task<> { co_await c.enter_firmware(Location::kParkedFw, "R5", FwReset::kToOsVector); }(cpu);
    }
    return [](Cpu& c) -> Task<> { co_await c.delay(1000, "WORK"); }(cpu);
  };
  p.interrupt = [](Cpu& cpu, Source) -> Task<> {
    return [](Cpu& c) -> Task<> { co_await c.park(Location::kRunOld, "HANDLER"); }(cpu);
  };
  const RunResult r = m.Run(p);
  EXPECT_FALSE(m.cpu(1).in_firmware());
  EXPECT_TRUE(m.cpu(1).held_by_firmware());
  EXPECT_EQ(r.cpus[1].final, Location::kRunOld);
}

TEST(Mwait, AStoreToTheArmedLineWakesAStoreBeforeArmingDoesNot) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 2 }
    schedule {
      choices { cpu: 0 steps: 1 }
      choices { cpu: 1 steps: 3 }
    }
  )pb");
  Machine m(s);
  Var& line = m.NewVar("control", 0);
  int wakes = 0;
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> {
    if (cpu.id() == 0) {
      return [](Cpu& c, Var& l) -> Task<> {
        co_await c.write(l, 1, "K2b");  // lands before cpu1 arms the monitor: missed
        co_await c.delay(5 * kUs, "K2b-wait");
        co_await c.write(l, 1, "K2b");  // the rewrite wakes it
      }(cpu, line);
    }
    return [](Cpu& c, Var& l, int& n) -> Task<> {
      co_await c.irq_disable("O1");
      co_await c.local("O2");
      co_await c.monitor(l, "O3");
      co_await c.mwait("O3");
      ++n;
    }(cpu, line, wakes);
  };
  const RunResult r = m.Run(p);
  EXPECT_EQ(wakes, 1);
  // The wake comes from the second write, 5 us later.
  uint64_t wake_time = 0;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kWake && e.cpu == 1) wake_time = e.time_ns;
  }
  EXPECT_GE(wake_time, 5 * kUs);
}

TEST(Hlt, NmiResumesHltWithInterruptsOffOrdinaryIpiDoesNot) {
  const pb::Scenario s = ScenarioFromText(R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 1 threads_per_core: 1 }
    events {
      kind: DEVICE_IRQ
      cpus: 0
      vector: 32
      trigger { at_time_ns: 100 }
    }
    events {
      kind: NMI
      cpus: 0
      trigger { at_time_ns: 200 }
    }
  )pb");
  std::vector<Source> taken;
  uint64_t resumed_at = 0;
  LambdaProgram p;
  p.interrupt = [&taken](Cpu&, Source src) -> Task<> {
    taken.push_back(src);
    return LambdaProgram::Nothing();
  };
  RunOne(
      s,
      [&](Cpu& cpu) -> Task<> {
        return [](Cpu& c, uint64_t& at) -> Task<> {
          co_await c.irq_disable("X2");
          co_await c.hlt("X6");
          at = c.machine().now();
        }(cpu, resumed_at);
      },
      &p);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_EQ(taken[0], Source::kNmi);
  EXPECT_GE(resumed_at, 200u);
}

}  // namespace
}  // namespace crashdiff

namespace crashdiff {
namespace {

// Found by the fuzzer: a XIVE IPI event on a POWER8 (XICS) machine used to fill a XIVE queue the machine does not
// have, and the offline loop, whose XICS flush never drains it, woke forever (livelock).
TEST(Events, HardwareEventsOnlyReachHardwareThePlatformHas) {
  const pb::Scenario s = crashdiff::testing::ScenarioFromText(R"pb(
    machine { family: PPC platform: POWER8_XICS cores: 1 threads_per_core: 1 }
    events {
      kind: XIVE_IPI
      cpus: 0
      trigger { at_step: 0 }
    }
  )pb");
  Machine m(s);
  bool hvi = true;
  crashdiff::testing::LambdaProgram p;
  p.start = [&hvi](Cpu& cpu) -> Task<> {
    return [](Cpu& c, bool& pending) -> Task<> {
      co_await c.local("A");
      pending = c.hw().Pending(Source::kHvi);
    }(cpu, hvi);
  };
  m.Run(p);
  EXPECT_FALSE(hvi);
}

}  // namespace
}  // namespace crashdiff
