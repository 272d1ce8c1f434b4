// A second oops on the CPU that already holds die_lock (a fault while printing the first oops or inside
// crash_kexec). x86 oops_begin() lets the owner re-enter (die_owner, die_nest_count); arm64 die() takes a plain
// raw spinlock with no owner check, so there the nested die really spins forever.
#include <gtest/gtest.h>

#include <string>

#include "tests/fixtures/x86_test_util.h"

namespace crashdiff::testing {
namespace {

// CPU 1 oopses; while it prints (D2, die_lock held) it oopses again.
std::string NestedOops(const std::string& machine) {
  return "machine { " + machine + R"pb(}
                                       events {
      kind: OOPS
      cpus: 1
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: OOPS
      cpus: 1
      trigger { on_label { cpu: 1 label: "D2" } }
    }
  )pb";
}

TEST(NestedOops, X86OwnerReentersDieLockAndCrashes) {
  for (const char* target : kX86Targets) {
    SCOPED_TRACE(target);
    const RunResult r =
        RunTarget(target, NestedOops("family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2"));
    EXPECT_EQ(CountEntries(r, 1, TraceKind::kLocal, "D2"), 2) << "the nested oops printed too";
    ASSERT_TRUE(r.handed_over) << "the nested oops must not spin on its own die_lock";
    EXPECT_EQ(r.handover_cpu, 1u);
    EXPECT_EQ(r.cpus[1].saves, 1u);
    for (uint32_t c : {0u, 2u, 3u}) EXPECT_EQ(r.cpus[c].saves, 1u) << c;
  }
}

// Without a crash image the nested oops goes on through oops_end (die_nest_count 2 -> 1: die_lock stays held)
// into panic_on_oops, and the panic stops the other CPUs.
TEST(NestedOops, X86NestedOopsWithoutImageReachesPanic) {
  for (const char* target : kX86Targets) {
    SCOPED_TRACE(target);
    const RunResult r = RunTarget(
        target,
        NestedOops("family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 crash_image_loaded: false"));
    EXPECT_FALSE(r.handed_over);
    EXPECT_EQ(r.end, EndReason::kQuiescent);
    EXPECT_EQ(r.cpus[1].final, Location::kPanicHalt);
    EXPECT_NE(FindEntry(r, 1, TraceKind::kLocal, "P9"), nullptr);
    for (uint32_t c : {0u, 2u, 3u}) EXPECT_EQ(r.cpus[c].final, Location::kParkedHlt) << c;
  }
}

// die_lock is released only when the outermost oops ends: the nested oops_end (count 2 -> 1) keeps it, so a
// second CPU that oopses meanwhile spins until the panic stops it.
TEST(NestedOops, X86OtherCpuStillWaitsForDieLock) {
  const RunResult r = RunTarget("x86-nmi-shootdown", R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 2 threads_per_core: 2 crash_image_loaded: false }
    events {
      kind: OOPS
      cpus: 1
      trigger { at_time_ns: 1000 }
    }
    events {
      kind: OOPS
      cpus: 1
      trigger { on_label { cpu: 1 label: "D2" } }
    }
    events {
      kind: OOPS
      cpus: 2
      trigger { on_label { cpu: 1 label: "D2" } }
    }
  )pb");
  EXPECT_EQ(r.cpus[1].final, Location::kPanicHalt);
  EXPECT_NE(FindEntry(r, 2, TraceKind::kBlock, "D1"), nullptr);
  EXPECT_EQ(CountEntries(r, 2, TraceKind::kLocal, "D2"), 0) << "CPU 2 never got die_lock";
}

// A CPU spinning on die_lock in oops_begin (arch_spin_lock, interrupts off) runs nothing but that loop: no code of
// it can call panic(), so a PANIC event aimed at it starts nothing. Here cpu0's second oops lands between the
// first one's trylock and its die_owner store, so it spins on its own lock; the PANIC 100 ms later is not run.
TEST(NestedOops, X86PanicCannotStartOnACpuSpinningOnDieLock) {
  const RunResult r = RunTarget("x86-nmi-shootdown", R"pb(
    machine { family: X86 platform: X86_INTEL_MWAIT cores: 3 }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 0 }
    }
    events {
      kind: OOPS
      cpus: 0
      trigger { at_step: 0 }
    }
    events {
      kind: OOPS
      cpus: 0
      trigger { at_time_ns: 7 }
    }
    events {
      kind: PANIC
      cpus: 0
      trigger { at_time_ns: 100000000 }
    }
  )pb");
  ASSERT_NE(FindEntry(r, 0, TraceKind::kBlock, "D1"), nullptr) << "the scenario must make cpu0 spin on die_lock";
  EXPECT_EQ(CountEntries(r, 0, TraceKind::kLocal, "P1"), 0) << "a panic started on the spinning CPU";
  EXPECT_EQ(CountEntries(r, 0, TraceKind::kLocal, "D0"), 2) << "only the two oopses ran";
  EXPECT_FALSE(r.handed_over);
}

// arm64 die(): raw_spin_lock_irqsave(&die_lock) with no owner check. The nested die spins on the lock its own
// CPU holds, with interrupts masked: no crash dump, no panic. Kept as the kernel does it.
TEST(NestedOops, Arm64NestedDieDeadlocksOnDieLock) {
  const RunResult r =
      RunTarget("arm64-psci", NestedOops("family: ARM64 platform: ARM64_PSCI cores: 2 threads_per_core: 2"));
  EXPECT_FALSE(r.handed_over);
  EXPECT_EQ(CountEntries(r, 1, TraceKind::kLocal, "D2"), 1);
  EXPECT_NE(FindEntry(r, 1, TraceKind::kBlock, "D1"), nullptr);
  EXPECT_EQ(FindEntry(r, 1, TraceKind::kRmw, "P2"), nullptr) << "never reached crash_kexec or panic";
}

}  // namespace
}  // namespace crashdiff::testing
