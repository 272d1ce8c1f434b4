// Root causes (docs/ORACLE.md §4a): consequences of one bug take the key of their cause, so a campaign prints one
// line per bug. Checked on reproducers of the corpus whose causal chain is known.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "diff/differential.h"
#include "sim/scenario_io.h"

namespace crashdiff {
namespace {

const std::string kSource = CRASHDIFF_SOURCE_DIR;

DiffReport RunFile(const std::string& path) {
  const LoadResult loaded = LoadScenarioFile(kSource + "/" + path);
  EXPECT_TRUE(loaded.scenario) << path;
  return loaded.scenario ? RunDifferential(*loaded.scenario) : DiffReport{};
}

// The v1 lost wake: the thread sleeps through the crash (PR3), so it is unparked at hand-over (PR1) and unsaved
// (PR5): one root cause, the lost wake, with the PR4 read that opens the window kept apart.
TEST(RootCause, ALostWakesConsequencesOnItsCpuFoldIntoIt) {
  const DiffReport r = RunFile(
      "corpus/regressions/"
      "pr3-lost-wake-offline-target-sleeps-in-stopped-hw-after-crash-wake-ppc-v1-check-before-clear-doorbel-c9b973e2."
      "textproto");
  int folded = 0;
  for (const Divergence& d : r.divergences) {
    if (d.target != "ppc-v1-check-before-clear") continue;
    if (d.property == "PR3" || d.property == "PR1" || (d.property == "PR5" && d.what == "not saved")) {
      EXPECT_EQ(d.root_cause, "PR3 lost-wake @L2") << d.signature;
      ++folded;
    }
    if (d.property == "PR4") EXPECT_EQ(d.root_cause, "PR4 ordering @L2a") << d.signature;
  }
  EXPECT_GE(folded, 1);
}

// A system reset on the crashing CPU (triaged real, PR8 @R4) leaves the initiator waiting for itself: the CPUs it
// never woke (PR7) show that hang as their witness and take its root cause.
TEST(RootCause, WhatAHungInitiatorNeverDidFoldsIntoTheHang) {
  const DiffReport r = RunFile(
      "corpus/regressions/"
      "pr7-coverage-offline-target-never-sent-a-crash-wake-ppc-sreset-dump-doorbell-nmi-sysreset-0fdc0613.textproto");
  int hangs = 0;
  int unwoken = 0;
  for (const Divergence& d : r.divergences) {
    if (d.target != "ppc-sreset-dump") continue;
    if (d.property == "PR8") ++hangs;
    if (d.property != "PR7") continue;
    ++unwoken;
    EXPECT_EQ(d.root_cause, "PR8 unbounded-initiator @R4") << d.signature;
  }
  EXPECT_GT(hangs, 0);
  EXPECT_GT(unwoken, 0);
}

// A consequence keeps its own signature: folding changes the key it is grouped under, never what is reported.
// Offline thread 1 busy-polls (no usable stop state) and never answers; a system reset re-enters cpu2's
// crash_ipi_callback, whose second count (PR6) ends the initiator's wait without thread 1. opal_reinit_cpus gives
// the thread 1 s and hands over without it: its PR1, PR5 "not saved" and the PR2 a later machine check causes are
// the overcount's consequences, one root cause. (Keyed on their own they would be the busy-poll PR1 @OFFLINE_LOOP.)
TEST(RootCause, WhatADoubleCountLeftBehindFoldsIntoTheOvercount) {
  const DiffReport r = RunFile("corpus/findings/ppc/double_count_hides_busy_poll_thread.textproto");
  bool overcount = false;
  std::set<std::string> folded;
  for (const Divergence& d : r.divergences) {
    if (d.target != "ppc-upstream-clear-then-check") continue;
    if (d.property == "PR6") {
      overcount = true;
      EXPECT_EQ(d.role, "online-target") << d.signature;
    }
    if (d.role != "offline-target") continue;
    EXPECT_EQ(d.root_cause, "PR6 counter @R3") << d.signature;
    folded.insert(d.property);
  }
  EXPECT_TRUE(overcount);
  EXPECT_EQ(folded, (std::set<std::string>{"PR1", "PR2", "PR5"}));
}

TEST(RootCause, FoldingKeepsEverySignature) {
  // The busy-polling offline thread (no usable stop state) is still in its loop at hand-over, and a machine check
  // afterwards takes the kdump kernel's vectors: the PR2 keeps its own signature and takes the PR1's key.
  const DiffReport r = RunFile("corpus/findings/ppc/busy_poll_no_idle_state_mce_after_handover.textproto");
  bool pr2 = false;
  for (const Divergence& d : r.divergences) {
    if (d.property != "PR2" || d.target != "ppc-upstream-clear-then-check") continue;
    pr2 = true;
    EXPECT_EQ(d.signature.rfind("PR2 unstable-after-handover: offline-target", 0), 0u) << d.signature;
    EXPECT_EQ(d.root_cause, "PR1 unsafe-parking @OFFLINE_LOOP");
  }
  EXPECT_TRUE(pr2);
}

// A CPU that the crash never collects and that sits in a weak park (here: stopped by panic's smp_send_stop before
// the crash, with crash_kexec_post_notifiers) is not saved (PR5); a system reset after hand-over then takes it
// through the replaced vector (PR2). The PR2 is that miss's consequence: it takes the PR5's key and verdict.
TEST(RootCause, WhatAnUncollectedCpuDoesAfterHandOverFoldsIntoItsMissedSave) {
  const LoadResult loaded = ParseScenarioText(R"pb(
                                                machine {
                                                  family: PPC
                                                  platform: POWER9_XIVE_IPI
                                                  cores: 1
                                                  threads_per_core: 4
                                                  panic_timeout: 10
                                                  crash_kexec_post_notifiers: true
                                                  firmware { system_reset_supported: true }
                                                }
                                                events {
                                                  kind: PANIC
                                                  trigger { at_time_ns: 0 }
                                                  cpus: 0
                                                }
                                                events {
                                                  kind: SYSTEM_RESET
                                                  trigger { after_handover_ns: 1000 }
                                                  all_cpus: true
                                                }
                                              )pb",
                                              "fold.textproto");
  ASSERT_TRUE(loaded.scenario);
  int pr2 = 0;
  for (const Divergence& d : RunDifferential(*loaded.scenario).divergences) {
    if (d.target != "ppc-prefix-nowake" || d.property != "PR2") continue;
    ++pr2;
    EXPECT_EQ(d.root_cause, "PR5 incomplete-dump @STOP") << d.signature;
    EXPECT_TRUE(d.known) << d.signature;
  }
  EXPECT_GT(pr2, 0);
}

// Where a CPU was left is where its own code stands, not an interrupt it took and returned from: a loser that
// oopsed inside an NMI handler spins on die_lock (D1) and takes an SMI there before the hand-over. Its PR9 key and
// its PR1 witness stay at D1, so the record of that mechanism covers it (it had shown as PR9 @SMI, untriaged).
TEST(RootCause, AnInterruptTheCpuReturnedFromIsNotWhereItWasLeft) {
  const DiffReport r = RunFile("corpus/findings/x86/oops_in_nmi_handler_smi_keeps_witness.textproto");
  int seen = 0;
  for (const Divergence& d : r.divergences) {
    if (d.target != "x86-mwait-prefix" || d.role != "loser") continue;
    if (d.property == "PR9") {
      EXPECT_EQ(d.root_cause, "PR9 multiple-initiators @D1") << d.signature;
      ++seen;
    }
    if (d.property == "PR1") {
      EXPECT_EQ(d.at.label, "D1") << d.signature;
      ++seen;
    }
  }
  EXPECT_EQ(seen, 2);
}
}  // namespace
}  // namespace crashdiff
