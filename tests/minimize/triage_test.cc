// Triage records (corpus/triage/): every record validates, and every record that names a reproducer is still
// true of it: the reproducer shows the record's root cause on a target the record covers.
#include "minimize/triage.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "diff/differential.h"
#include "sim/scenario_io.h"
#include "sim/validate.h"

namespace crashdiff {
namespace {

const std::string kSource = CRASHDIFF_SOURCE_DIR;

TEST(Triage, EveryRecordOfTheCorpusValidates) {
  const TriageBook book = LoadTriage(kSource + "/corpus/triage", kSource);
  EXPECT_TRUE(book.errors.empty()) << book.errors.front();
  EXPECT_FALSE(book.records.empty());
}

TEST(Triage, EveryRecordsReproducerStillShowsItsRootCause) {
  const TriageBook book = LoadTriage(kSource + "/corpus/triage", kSource);
  for (const TriageRecord& r : book.records) {
    if (r.triage.reproducer().empty()) continue;
    const LoadResult loaded = LoadScenarioFile(kSource + "/" + r.triage.reproducer());
    ASSERT_TRUE(loaded.scenario) << r.file;
    bool shown = false;
    for (const Divergence& d : RunDifferential(*loaded.scenario).divergences) {
      shown |= book.Find(d.root_cause, d.target, d.role, d.scenario_events, d.at.label) == &r;
    }
    EXPECT_TRUE(shown) << r.file << ": " << r.triage.reproducer() << " no longer shows " << RootCauses(r.triage);
  }
}

TEST(Triage, ARealVerdictNeedsItsKernelSource) {
  pb::Triage t;
  t.add_root_cause("PR3 lost-wake @L2");
  t.set_verdict(pb::Triage::REAL);
  t.set_summary("s");
  t.set_reason("r");
  const auto errors = ValidateTriage(t, "x.textproto", "");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("x.textproto: source: ", 0), 0u) << errors[0];
  pb::SourceRef* s = t.add_source();
  s->set_file("arch/powerpc/kexec/crash.c");
  s->set_function("crash_ipi_callback");
  EXPECT_EQ(ValidateTriage(t, "x.textproto", "").size(), 1u) << "a source without its commit";
  s->set_commit("v5.10");
  EXPECT_TRUE(ValidateTriage(t, "x.textproto", "").empty());
}

TEST(Triage, BadRecordsAreRefusedWithFileAndLine) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "crashdiff-triage-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.textproto") << "root_cause: \"PR3 lost-wake @L2\"\nverdict: MAYBE\n";
  std::ofstream(dir / "b.textproto")
      << "root_cause: \"not a key\"\nverdict: ARTIFACT_FIXED\nsummary: \"s\"\nreason: \"r\"\n";
  const TriageBook book = LoadTriage(dir.string());
  EXPECT_TRUE(book.records.empty());
  ASSERT_EQ(book.errors.size(), 3u);
  EXPECT_NE(book.errors[0].find("a.textproto:"), std::string::npos) << book.errors[0];  // protobuf's line
  EXPECT_NE(book.errors[0].find("\"MAYBE\""), std::string::npos) << book.errors[0];
  EXPECT_NE(book.errors[1].find("b.textproto: root_cause:"), std::string::npos) << book.errors[1];
  EXPECT_NE(book.errors[2].find("b.textproto: fixed_by:"), std::string::npos) << book.errors[2];
  std::filesystem::remove_all(dir);
}

TEST(Triage, ARecordCoversOnlyItsTargets) {
  TriageBook book;
  TriageRecord r;
  r.triage.add_root_cause("PR6 counter @R3");
  r.triage.add_targets("ppc-sreset-dump");
  book.records.push_back(r);
  EXPECT_NE(book.Find("PR6 counter @R3", "ppc-sreset-dump", "", 0), nullptr);
  EXPECT_EQ(book.Find("PR6 counter @R3", "ppc-upstream-clear-then-check", "", 0), nullptr);
  EXPECT_EQ(book.Find("PR6 counter @R4", "ppc-sreset-dump", "", 0), nullptr);
}

// One mechanism seen under several keys, on some roles only: another role on the same key is not covered.
TEST(Triage, ARecordCoversItsKeysAndOnlyItsRoles) {
  TriageBook book;
  TriageRecord r;
  r.triage.add_root_cause("PR9 multiple-initiators @K2e");
  r.triage.add_root_cause("PR1 unsafe-parking @CRASHING");
  r.triage.add_roles("loser");
  book.records.push_back(r);
  EXPECT_NE(book.Find("PR9 multiple-initiators @K2e", "x86-mwait-fixed", "loser", 0), nullptr);
  EXPECT_NE(book.Find("PR1 unsafe-parking @CRASHING", "x86-mwait-fixed", "loser", 0), nullptr);
  EXPECT_EQ(book.Find("PR1 unsafe-parking @CRASHING", "x86-mwait-fixed", "online-target", 0), nullptr);
  EXPECT_EQ(book.Find("PR1 unsafe-parking @TRANSIT", "x86-mwait-fixed", "loser", 0), nullptr);
}

// A key names where a bug shows, not how it came about: a record that requires events covers its key only in
// scenarios that have them ("A|B": either), so another mechanism under the same key stays NEW.
TEST(Triage, ARecordCoversItsKeyOnlyWhereItsEventsAre) {
  TriageBook book;
  TriageRecord r;
  r.triage.add_root_cause("PR10 relocation-unsafe @STOPPED_HW");
  r.triage.add_requires_events("KEXEC");
  r.triage.add_requires_events("HOTPLUG_DOWN|OPERATOR_RESET");
  book.records.push_back(r);
  const auto bit = [](pb::EventKind k) { return uint64_t{1} << k; };
  const std::string key = "PR10 relocation-unsafe @STOPPED_HW";
  EXPECT_NE(book.Find(key, "ppc-sreset-dump", "", bit(pb::KEXEC) | bit(pb::HOTPLUG_DOWN)), nullptr);
  EXPECT_NE(book.Find(key, "ppc-sreset-dump", "", bit(pb::KEXEC) | bit(pb::OPERATOR_RESET) | bit(pb::PANIC)), nullptr);
  EXPECT_EQ(book.Find(key, "ppc-sreset-dump", "", bit(pb::KEXEC) | bit(pb::PANIC)), nullptr);
  EXPECT_EQ(book.Find(key, "ppc-sreset-dump", "", bit(pb::HOTPLUG_DOWN)), nullptr);
  pb::Scenario s;
  s.add_events()->set_kind(pb::KEXEC);
  s.add_events()->set_kind(pb::HOTPLUG_DOWN);
  s.add_events()->set_kind(pb::KEXEC);
  EXPECT_EQ(EventKindsOf(s), bit(pb::KEXEC) | bit(pb::HOTPLUG_DOWN));
}

// Two mechanisms under one key, role and events that show at different steps: a record naming witness labels
// covers its own steps only, and never a finding whose witness step is unknown.
TEST(Triage, ARecordWithWitnessLabelsCoversOnlyThoseSteps) {
  TriageBook book;
  TriageRecord r;
  r.triage.add_root_cause("PR1 unsafe-parking @RUN_OLD");
  r.triage.add_witness_labels("D1");
  r.triage.add_witness_labels("P3");
  book.records.push_back(r);
  const std::string key = "PR1 unsafe-parking @RUN_OLD";
  EXPECT_NE(book.Find(key, "x86-init-park", "loser", 0, "D1"), nullptr);
  EXPECT_NE(book.Find(key, "x86-init-park", "loser", 0, "P3"), nullptr);
  EXPECT_EQ(book.Find(key, "x86-init-park", "loser", 0, "K2b"), nullptr);
  EXPECT_EQ(book.Find(key, "x86-init-park", "loser", 0), nullptr);
}

TEST(Triage, RequiredEventsMustBeEventKinds) {
  pb::Triage t;
  t.add_root_cause("PR3 lost-wake @L2");
  t.set_verdict(pb::Triage::OPEN_QUESTION);
  t.set_summary("s");
  t.set_reason("r");
  t.add_requires_events("KEXEC|HOTPLUG");
  const auto errors = ValidateTriage(t, "x.textproto", "");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("x.textproto: requires_events: 'HOTPLUG' is not an event kind"), std::string::npos)
      << errors[0];
}

}  // namespace
}  // namespace crashdiff
