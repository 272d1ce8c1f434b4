// The step loop's constant-cost paths (docs/PERFORMANCE.md, per-step constant cost): what they skip must not change
// what a run is. A run that keeps no trace and whose observer reads no entry text copies no text, and hashes the same;
// step descriptions are views of literals or owned strings; the XIVE queue is a FIFO; variable names are interned.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "diff/runner.h"
#include "oracle/facts.h"
#include "sim/scenario_io.h"
#include "sim/text.h"

namespace crashdiff {
namespace {

// An observer that reads every entry's text (the default): the machine must copy it.
class TextReader : public RunObserver {
 public:
  void OnEntry(const TraceEntry& e) override { texts.push_back(e.detail); }
  void OnBook(const BookEntry& /*b*/) override {}
  std::vector<std::string> texts;
};

TEST(HotPath, TheHashDoesNotDependOnWhetherEntryTextsAreCopied) {
  std::vector<std::filesystem::path> files;
  for (const char* family : {"ppc", "x86", "arm64"}) {
    const std::filesystem::path dir = std::filesystem::path(CRASHDIFF_SOURCE_DIR) / "corpus/seeds" / family;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files.push_back(entry.path());
  }
  ASSERT_GE(files.size(), 10u);
  for (const auto& path : files) {
    SCOPED_TRACE(path.filename().string());
    const LoadResult loaded = LoadScenarioFile(path.string());
    ASSERT_TRUE(loaded.scenario.has_value());
    const pb::Scenario& s = *loaded.scenario;
    const uint32_t cpus = s.machine().cores() * s.machine().threads_per_core();
    for (const TargetSpec* target : TargetsFor(s)) {
      SCOPED_TRACE(target->name);
      const RunResult kept = RunOnTarget(*target, s, RunOptions{.record_trace = true});
      FactsBuilder facts(cpus);  // reads tags only: no text is copied
      const RunResult fast = RunOnTarget(*target, s, RunOptions{.record_trace = false, .observer = &facts});
      TextReader reader;
      const RunResult read = RunOnTarget(*target, s, RunOptions{.record_trace = false, .observer = &reader});
      EXPECT_EQ(fast.trace_hash, kept.trace_hash);
      EXPECT_EQ(read.trace_hash, kept.trace_hash);
      // The observer that reads texts sees each entry's text, as the kept trace has it.
      ASSERT_EQ(reader.texts.size(), kept.trace.entries().size());
      for (size_t i = 0; i < reader.texts.size(); ++i) EXPECT_EQ(reader.texts[i], kept.trace.entries()[i].detail);
      EXPECT_TRUE(fast.trace.entries().empty());
    }
  }
}

TEST(HotPath, TextViewsLiteralsAndOwnsBuiltStrings) {
  static constexpr const char* kLiteral = "disable_local_APIC";
  const Text literal(kLiteral);
  EXPECT_EQ(literal.view().data(), kLiteral);  // a view: nothing copied
  std::string built = "xive retrigger to cpu" + std::to_string(3);
  Text owned(std::move(built));
  const Text moved = std::move(owned);  // an owned text survives moves (short strings live in the object)
  EXPECT_EQ(moved.view(), "xive retrigger to cpu3");
  const std::string lvalue = "opal_slw_set_reg";
  const Text copy(lvalue);
  EXPECT_NE(copy.view().data(), lvalue.data());
  EXPECT_EQ(copy.view(), lvalue);
  EXPECT_TRUE(Text().empty());
}

TEST(HotPath, XiveQueueIsFirstInFirstOut) {
  Fifo<XiveEntry> q;
  EXPECT_TRUE(q.empty());
  q.push_back(XiveEntry{true, 0});
  q.push_back(XiveEntry{false, 7});
  q.push_back(XiveEntry{false, 9});
  EXPECT_EQ(q.size(), 3u);
  EXPECT_TRUE(q.front().is_ipi);
  q.pop_front();
  EXPECT_EQ(q.front().vector, 7u);
  std::vector<uint32_t> seen;
  for (const XiveEntry& e : q) seen.push_back(e.vector);  // iteration starts at the head
  EXPECT_EQ(seen, (std::vector<uint32_t>{7, 9}));
  q.push_back(XiveEntry{false, 11});
  q.pop_front();
  q.pop_front();
  EXPECT_EQ(q.front().vector, 11u);
  q.pop_front();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.size(), 0u);
}

TEST(HotPath, VariableNamesAreInternedAcrossMachines) {
  pb::Scenario s;
  s.mutable_machine()->set_family(pb::PPC);
  s.mutable_machine()->set_platform(pb::POWER9_DOORBELL_XIVE);
  s.mutable_machine()->set_cores(1);
  s.mutable_machine()->set_threads_per_core(4);
  Machine a(s);
  Machine b(s);
  const std::vector<Var*> va = a.NewVarArray("paca.kexec_state", 0);
  const std::vector<Var*> vb = b.NewVarArray("paca.kexec_state", 0);
  ASSERT_EQ(va.size(), 4u);
  EXPECT_EQ(va[3]->name, "paca.kexec_state[3]");
  EXPECT_EQ(va[3]->name.data(), vb[3]->name.data());  // one string for every run
  const Var& x = a.NewVar(std::string("crash_") + "ipi_done", 0);
  EXPECT_EQ(x.name, "crash_ipi_done");
  EXPECT_EQ(a.NewVar(SharedVar::kCrashingCpu, -1).name, "crashing_cpu");
}

}  // namespace
}  // namespace crashdiff
