// powerpc idle and wake hardware (sim/cpu.h, sim/machine.cc): the LPCR's PECE bits decide which pending latch ends
// a stop, the decrementer latches DEC when it expires in model time, and a state-losing wake gives the LPCR back
// from the stop-api image.
#include <gtest/gtest.h>

#include "sim/machine.h"
#include "tests/fixtures/sim_test_util.h"

namespace crashdiff {
namespace {

using testing::LambdaProgram;
using testing::ScenarioFromText;

constexpr uint64_t kOfflineLpcr = kLpcrPecedh | kLpcrPece0 | kLpcrPece2 | kLpcrPeceHvee;  // PECE1 cleared

pb::Scenario OneCpu(const std::string& extra = "") {
  return ScenarioFromText(R"pb(machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 1 })pb" +
                          extra);
}

template <typename Body>
RunResult RunOne(const pb::Scenario& s, Body body) {
  Machine m(s);
  LambdaProgram p;
  p.start = [&](Cpu& cpu) -> Task<> { return body(cpu); };
  return m.Run(p);
}

const pb::Scenario kHmiAt5ms = OneCpu(R"pb(events {
                                             kind: HMI
                                             cpus: 0
                                             trigger { at_time_ns: 5000000 }
                                           })pb");

TEST(Lpcr, PendingDecDoesNotEndAStopWithPece1Clear) {
  Wake wake;
  RunOne(kHmiAt5ms, [&wake](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Wake& w) -> Task<> {
      c.init_lpcr(kOfflineLpcr | kLpcrPece1);
      co_await c.irq_disable("E1");
      co_await c.mtspr_lpcr(kOfflineLpcr, false, "E4", "LPCR &= ~PECE1");
      co_await c.hw_op("S", "decrementer", [&c] { c.hw().dec = true; });
      w = co_await c.enter_stop_lpcr(false, "L2");
    }(cpu, wake);
  });
  EXPECT_EQ(wake.source, Source::kHmi);
}

TEST(Lpcr, PendingDecEndsAStopWithPece1Set) {
  Wake wake;
  uint64_t woke_at = 0;
  RunOne(kHmiAt5ms, [&](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Wake& w, uint64_t& at) -> Task<> {
      c.init_lpcr(kOfflineLpcr);
      co_await c.irq_disable("E1");
      co_await c.mtspr_lpcr(kOfflineLpcr | kLpcrPece1, false, "H0", "LPCR |= PECE1");
      co_await c.hw_op("S", "decrementer", [&c] { c.hw().dec = true; });
      w = co_await c.enter_stop_lpcr(false, "L2");
      at = c.machine().clock();
    }(cpu, wake, woke_at);
  });
  EXPECT_EQ(wake.source, Source::kDec);
  EXPECT_EQ(wake.srr1, 0x180000u);
  EXPECT_LT(woke_at, 5000000u);  // at once, not at the HMI
}

TEST(Lpcr, WakeEnablesFollowTheBits) {
  EXPECT_EQ(LpcrStopWakes(kLpcrPece1), Bit(Source::kDec));
  EXPECT_EQ(LpcrStopWakes(kLpcrPecedh), Bit(Source::kHdoorbell));
  EXPECT_EQ(LpcrStopWakes(kLpcrPece0), Bit(Source::kExternal));
  EXPECT_EQ(LpcrStopWakes(kLpcrPeceHvee), Bit(Source::kHvi));
  EXPECT_EQ(LpcrStopWakes(kLpcrPece2), 0u);  // machine check, HMI: they end a stop whatever the LPCR
}

TEST(Decrementer, LatchesDecAtItsProgrammedTime) {
  Wake wake;
  uint64_t woke_at = 0;
  const RunResult r = RunOne(OneCpu(), [&](Cpu& cpu) -> Task<> {
    return [](Cpu& c, Wake& w, uint64_t& at) -> Task<> {
      c.init_lpcr(kOfflineLpcr | kLpcrPece1);
      co_await c.irq_disable("E1");
      co_await c.mtspr_dec(3 * kMs, "D", "set_dec");
      EXPECT_FALSE(c.hw().dec);
      w = co_await c.enter_stop_lpcr(false, "L2");
      at = c.machine().clock();
    }(cpu, wake, woke_at);
  });
  EXPECT_EQ(wake.source, Source::kDec);
  // The DEC was written at step 1 (time 1 ns): it expires 3 ms later, and the stop ends right then.
  EXPECT_EQ(woke_at, 3 * kMs + 1);
  bool latched = false;
  for (const TraceEntry& e : r.trace.entries()) {
    if (e.kind == TraceKind::kEvent && e.cpu == kNoCpu && e.label == "DEC" && e.detail.ends_with("cpu0")) {
      latched = true;
      EXPECT_EQ(e.time_ns, 3 * kMs + 1);
    }
  }
  EXPECT_TRUE(latched);
}

TEST(Decrementer, ARewriteReplacesThePendingExpiry) {
  const RunResult r = RunOne(OneCpu(), [](Cpu& cpu) -> Task<> {
    return [](Cpu& c) -> Task<> {
      c.init_lpcr(kOfflineLpcr | kLpcrPece1);
      co_await c.irq_disable("E1");
      co_await c.mtspr_dec(3 * kMs, "D", "set_dec");
      co_await c.mtspr_dec(kForever, "D", "set_dec(DECREMENTER_MAX), never within the run");
      co_await c.enter_stop_lpcr(false, "L2");
    }(cpu);
  });
  EXPECT_EQ(r.cpus[0].final, Location::kStoppedHw);
  EXPECT_EQ(r.end, EndReason::kQuiescent);
}

TEST(Decrementer, ExpiryWithPece1ClearLatchesButTheStopGoesOn) {
  const RunResult r = RunOne(OneCpu(), [](Cpu& cpu) -> Task<> {
    return [](Cpu& c) -> Task<> {
      c.init_lpcr(kOfflineLpcr);
      co_await c.irq_disable("E1");
      co_await c.mtspr_dec(3 * kMs, "D", "set_dec");
      co_await c.enter_stop_lpcr(false, "L2");
    }(cpu);
  });
  EXPECT_EQ(r.cpus[0].final, Location::kStoppedHw);
  EXPECT_GE(r.end_time_ns, 3 * kMs);  // the run went on to the expiry (a time point) and then had nothing to do
}

// The SLW engine gives the LPCR back from the stop-api image: a register write that did not also program the
// image is lost on a state-losing wake, one that did survives.
TEST(StateLosingStop, WakeRestoresLpcrFromTheStopApiImage) {
  for (const bool stop_api : {false, true}) {
    uint64_t after = 0;
    RunOne(kHmiAt5ms, [&](Cpu& cpu) -> Task<> {
      return [](Cpu& c, bool api, uint64_t& out) -> Task<> {
        c.init_lpcr(kOfflineLpcr | kLpcrPece1);  // boot: register and image with PECE1
        co_await c.irq_disable("E1");
        co_await c.mtspr_lpcr(kOfflineLpcr, api, "E4", "LPCR &= ~PECE1");
        co_await c.enter_stop_lpcr(/*loses_state=*/true, "L2");
        out = c.lpcr();
      }(cpu, stop_api, after);
    });
    EXPECT_EQ(after, stop_api ? kOfflineLpcr : kOfflineLpcr | kLpcrPece1) << "stop_api " << stop_api;
  }
}

// The kernel's wake path writes back the copy it saved before the stop, after the SLW restore, in the wake's step.
TEST(StateLosingStop, KernelWriteBackFollowsTheSlwRestore) {
  uint64_t after = 0;
  const RunResult r = RunOne(kHmiAt5ms, [&](Cpu& cpu) -> Task<> {
    return [](Cpu& c, uint64_t& out) -> Task<> {
      c.init_lpcr(kOfflineLpcr | kLpcrPece1);
      co_await c.irq_disable("E1");
      co_await c.mtspr_lpcr(kOfflineLpcr, /*stop_api=*/false, "E4", "LPCR &= ~PECE1");
      co_await c.enter_stop_lpcr(/*loses_state=*/true, "L2", kOfflineLpcr, "mtspr(LPCR, saved)");
      out = c.lpcr();
    }(cpu, after);
  });
  EXPECT_EQ(after, kOfflineLpcr);
  size_t slw = 0, kernel = 0;
  for (size_t i = 0; i < r.trace.entries().size(); ++i) {
    const TraceEntry& e = r.trace.entries()[i];
    if (e.kind != TraceKind::kHw || e.label != "L2") continue;
    if (e.detail.find("SLW") != std::string::npos) slw = i;
    if (e.detail == "mtspr(LPCR, saved)") kernel = i;
  }
  EXPECT_GT(slw, 0u);
  EXPECT_GT(kernel, slw);
  EXPECT_EQ(r.trace.entries()[kernel].step, r.trace.entries()[slw].step);  // one step
}

TEST(StateLosingStop, AStopThatKeepsStateKeepsTheRegister) {
  uint64_t after = 0;
  RunOne(kHmiAt5ms, [&](Cpu& cpu) -> Task<> {
    return [](Cpu& c, uint64_t& out) -> Task<> {
      c.init_lpcr(kOfflineLpcr | kLpcrPece1);
      co_await c.irq_disable("E1");
      co_await c.mtspr_lpcr(kOfflineLpcr, false, "E4", "LPCR &= ~PECE1");
      co_await c.enter_stop_lpcr(/*loses_state=*/false, "L2");
      out = c.lpcr();
    }(cpu, after);
  });
  EXPECT_EQ(after, kOfflineLpcr);
}

}  // namespace
}  // namespace crashdiff
