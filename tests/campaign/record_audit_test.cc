// The audit of what each triage record covers (campaign/record_audit.h): findings are grouped by the record that
// judged them, with their keys, roles, witness steps and events counted next to what the record restricts.
#include "campaign/record_audit.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "diff/finding.h"
#include "minimize/corpus_status.h"
#include "minimize/triage.h"
#include "proto/scenario.pb.h"
#include "tests/fixtures/cli_test_util.h"

namespace crashdiff::campaign {
namespace {

using testing::TempDir;

constexpr const char* kNestedResets =
    "root_cause: \"PR1 unsafe-parking @RECEIVER_WAIT\"\n"
    "verdict: OPEN_QUESTION\n"
    "summary: \"a receiver held by nested resets\"\n"
    "reason: \"is the reset the only way in?\"\n";
constexpr const char* kUnused =
    "root_cause: \"PR3 lost-wake @L2\"\n"
    "verdict: OPEN_QUESTION\n"
    "summary: \"a lost wake\"\n"
    "reason: \"never seen in these findings\"\n";

uint64_t Kinds(std::initializer_list<pb::EventKind> kinds) {
  uint64_t out = 0;
  for (pb::EventKind k : kinds) out |= uint64_t{1} << k;
  return out;
}

// A harness finding's file: its header, then a scenario body the header-only reader never parses.
void WriteFinding(const TempDir& dir, const std::string& name, const std::string& signature,
                  const std::string& root_cause, const std::string& witness, uint64_t events) {
  FindingHeader h;
  h.signature = signature;
  h.property = signature.substr(0, signature.find(' '));
  h.root_cause = root_cause;
  h.targets = {"ppc-upstream-clear-then-check"};
  h.witness = witness;
  h.scenario_events = events;
  std::filesystem::create_directories(dir.path() + "/findings");
  dir.Write("findings/" + name + ".textproto", FormatFindingHeader(h) + "machine { family: PPC }\n");
}

TEST(RecordAudit, CountsWhatEachRecordCoversNextToWhatItRestricts) {
  TempDir triage;
  triage.Write("nested-resets.textproto", kNestedResets);
  triage.Write("unused.textproto", kUnused);
  CorpusBook corpus;
  corpus.triage = LoadTriage(triage.path());
  ASSERT_TRUE(corpus.triage.errors.empty());
  ASSERT_EQ(corpus.triage.records.size(), 2u);

  TempDir campaign;
  WriteFinding(campaign, "a",
               "PR1 unsafe-parking: offline-target RECEIVER_WAIT at hand-over [ppc-upstream-clear-then-check/doorbell]",
               "PR1 unsafe-parking @RECEIVER_WAIT", "cpu1 at step 40 (NMI-H) t=1040 ns",
               Kinds({pb::PANIC, pb::SYSTEM_RESET}));
  WriteFinding(campaign, "b",
               "PR1 unsafe-parking: online-target RECEIVER_WAIT at hand-over [ppc-upstream-clear-then-check/icp-opal]",
               "PR1 unsafe-parking @RECEIVER_WAIT", "cpu2 at step 50 (R4) t=1050 ns", Kinds({pb::PANIC, pb::MCE}));
  WriteFinding(campaign, "c", "PR5 incomplete-dump: loser not saved [ppc-upstream-clear-then-check/doorbell]",
               "PR5 incomplete-dump @P2", "cpu3 at step 9 (P2) t=1009 ns", Kinds({pb::PANIC}));
  const std::vector<Finding> findings = ReadFindings(campaign.path() + "/findings", corpus);
  ASSERT_EQ(findings.size(), 3u);

  const RecordAudit audit = AuditRecords(corpus.triage, findings);
  EXPECT_EQ(audit.findings, 3u);
  EXPECT_EQ(audit.statuses, (std::map<std::string, size_t>{{"NEW", 1}, {"triaged", 2}}));
  ASSERT_EQ(audit.covering.size(), 1u);
  const RecordCoverage& c = audit.covering[0];
  EXPECT_EQ(c.record, &corpus.triage.records[0]);
  EXPECT_EQ(c.signatures, 2u);
  EXPECT_EQ(c.keys, (std::map<std::string, size_t>{{"PR1 unsafe-parking @RECEIVER_WAIT", 2}}));
  EXPECT_EQ(c.roles, (std::map<std::string, size_t>{{"offline-target", 1}, {"online-target", 1}}));
  EXPECT_EQ(c.witness_labels, (std::map<std::string, size_t>{{"NMI-H", 1}, {"R4", 1}}));
  EXPECT_EQ(c.events, (std::map<std::string, size_t>{{"MCE", 1}, {"PANIC", 2}, {"SYSTEM_RESET", 1}}));
  EXPECT_EQ(c.events_in_every, Kinds({pb::PANIC}));
  ASSERT_EQ(audit.idle.size(), 1u);
  EXPECT_EQ(audit.idle[0], &corpus.triage.records[1]);

  // Two witness steps and no event in common but the crash: the picture that says a key may hide two mechanisms.
  const std::string text = FormatRecordAudit(audit);
  EXPECT_NE(text.find("nested-resets  (open-question, 2 signature(s))\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  witness  NMI-H 1, R4 1  (record: any)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  events   PANIC 2, MCE 1, SYSTEM_RESET 1  (record: any)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("in every scenario: PANIC\n"), std::string::npos) << text;
  EXPECT_NE(text.find("3 finding(s) (1 NEW, 2 triaged); 2 triaged by 1 record(s)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("1 record(s) covered none of them: unused\n"), std::string::npos) << text;

  // The same audit for machines: one object, counts keyed by value, the record's own restrictions beside them.
  const std::string json = RecordAuditJson(audit, 4);
  EXPECT_EQ(json.rfind("{\"schema_version\":1,\"findings\":3,\"statuses\":{\"NEW\":1,\"triaged\":2},\"gone\":4,", 0),
            0u)
      << json;
  EXPECT_NE(json.find("\"record\":\"nested-resets\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"witness_labels\":{\"NMI-H\":1,\"R4\":1}"), std::string::npos) << json;
  EXPECT_NE(json.find("\"events_in_every\":[\"PANIC\"]"), std::string::npos) << json;
  EXPECT_NE(json.find("\"restricts\":{\"targets\":[],\"roles\":[],\"witness_labels\":[],\"requires_events\":[]}"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("\"idle\":[\"unused\"]}\n"), std::string::npos) << json;
}

TEST(RecordAudit, ARecordThatRequiresAnEventShowsItAndNoLongerCoversAScenarioWithoutIt) {
  TempDir triage;
  triage.Write("nested-resets.textproto",
               std::string(kNestedResets) + "requires_events: \"SYSTEM_RESET|OPERATOR_RESET\"\n");
  CorpusBook corpus;
  corpus.triage = LoadTriage(triage.path());
  ASSERT_TRUE(corpus.triage.errors.empty());
  TempDir campaign;
  WriteFinding(campaign, "a",
               "PR1 unsafe-parking: offline-target RECEIVER_WAIT at hand-over [ppc-upstream-clear-then-check/doorbell]",
               "PR1 unsafe-parking @RECEIVER_WAIT", "cpu1 at step 40 (NMI-H) t=1040 ns",
               Kinds({pb::PANIC, pb::OPERATOR_RESET}));
  WriteFinding(campaign, "b",
               "PR1 unsafe-parking: online-target RECEIVER_WAIT at hand-over [ppc-upstream-clear-then-check/icp-opal]",
               "PR1 unsafe-parking @RECEIVER_WAIT", "cpu2 at step 50 (R4) t=1050 ns", Kinds({pb::PANIC, pb::MCE}));
  const RecordAudit audit = AuditRecords(corpus.triage, ReadFindings(campaign.path() + "/findings", corpus));
  EXPECT_EQ(audit.statuses, (std::map<std::string, size_t>{{"NEW", 1}, {"triaged", 1}}));
  ASSERT_EQ(audit.covering.size(), 1u);
  EXPECT_EQ(audit.covering[0].witness_labels, (std::map<std::string, size_t>{{"NMI-H", 1}}));
  EXPECT_NE(FormatRecordAudit(audit).find("(record: SYSTEM_RESET|OPERATOR_RESET)"), std::string::npos);
}

}  // namespace
}  // namespace crashdiff::campaign
