// `crashdiff run --json` parses as JSON and has the schema docs/JSON.md documents; exit codes match the report.
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/fixtures/cli_test_util.h"
#include "tests/fixtures/oracle_scenarios.h"

namespace crashdiff {
namespace {

// A small JSON reader for the test: objects, arrays, strings, numbers, booleans, null.
struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject } type = Type::kNull;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::map<std::string, Json> object;
  const Json& operator[](const std::string& k) const {
    static const Json kMissing;
    auto it = object.find(k);
    return it == object.end() ? kMissing : it->second;
  }
  bool has(const std::string& k) const { return object.count(k) > 0; }
};

class JsonParser {
 public:
  explicit JsonParser(const std::string& text) : s_(text) {}
  bool Parse(Json& out) {
    if (!Value(out)) return false;
    Skip();
    return p_ == s_.size();
  }

 private:
  void Skip() {
    while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
  }
  bool Literal(const char* word) {
    const std::string w(word);
    if (s_.compare(p_, w.size(), w) != 0) return false;
    p_ += w.size();
    return true;
  }
  bool String(std::string& out) {
    if (s_[p_] != '"') return false;
    ++p_;
    while (p_ < s_.size() && s_[p_] != '"') {
      if (s_[p_] == '\\') {
        ++p_;
        if (p_ >= s_.size()) return false;
        const char e = s_[p_];
        if (e == 'u') {
          if (p_ + 4 >= s_.size()) return false;
          out += '?';
          p_ += 4;
        } else {
          out += e == 'n' ? '\n' : e == 't' ? '\t' : e;
        }
        ++p_;
        continue;
      }
      if (static_cast<unsigned char>(s_[p_]) < 0x20) return false;  // control characters must be escaped
      out += s_[p_++];
    }
    if (p_ >= s_.size()) return false;
    ++p_;
    return true;
  }
  bool Value(Json& v) {
    Skip();
    if (p_ >= s_.size()) return false;
    const char c = s_[p_];
    if (c == '{') {
      v.type = Json::Type::kObject;
      ++p_;
      Skip();
      if (s_[p_] == '}') return ++p_, true;
      for (;;) {
        Skip();
        std::string key;
        if (!String(key)) return false;
        Skip();
        if (s_[p_++] != ':') return false;
        if (v.object.count(key)) return false;  // duplicate key
        if (!Value(v.object[key])) return false;
        Skip();
        if (s_[p_] == ',') {
          ++p_;
          continue;
        }
        if (s_[p_] == '}') return ++p_, true;
        return false;
      }
    }
    if (c == '[') {
      v.type = Json::Type::kArray;
      ++p_;
      Skip();
      if (s_[p_] == ']') return ++p_, true;
      for (;;) {
        v.array.emplace_back();
        if (!Value(v.array.back())) return false;
        Skip();
        if (s_[p_] == ',') {
          ++p_;
          continue;
        }
        if (s_[p_] == ']') return ++p_, true;
        return false;
      }
    }
    if (c == '"') {
      v.type = Json::Type::kString;
      return String(v.string);
    }
    if (Literal("true")) return v.type = Json::Type::kBool, v.boolean = true, true;
    if (Literal("false")) return v.type = Json::Type::kBool, true;
    if (Literal("null")) return v.type = Json::Type::kNull, true;
    size_t used = 0;
    try {
      v.number = std::stod(s_.substr(p_), &used);
    } catch (...) {
      return false;
    }
    v.type = Json::Type::kNumber;
    p_ += used;
    return used > 0;
  }
  const std::string& s_;
  size_t p_ = 0;
};

using T = Json::Type;

void ExpectFields(const Json& o, const std::vector<std::pair<std::string, T>>& fields, const std::string& where) {
  ASSERT_EQ(o.type, T::kObject) << where;
  for (const auto& [name, type] : fields) {
    ASSERT_TRUE(o.has(name)) << where << "." << name;
    EXPECT_EQ(o[name].type, type) << where << "." << name;
  }
}

void ExpectDivergence(const Json& d, const std::string& where) {
  ExpectFields(d,
               {{"signature", T::kString},
                {"target", T::kString},
                {"property", T::kString},
                {"short_name", T::kString},
                {"role", T::kString},
                {"what", T::kString},
                {"severity", T::kString},
                {"known", T::kBool},
                {"witness", T::kObject}},
               where);
  ExpectFields(d["witness"], {{"step", T::kNumber}, {"time_ns", T::kNumber}, {"label", T::kString}},
               where + ".witness");
  EXPECT_TRUE(d["witness"]["cpu"].type == T::kNumber || d["witness"]["cpu"].type == T::kNull);
  const std::string& p = d["property"].string;
  EXPECT_TRUE(p == "OUTCOME" || (p.size() >= 3 && p.rfind("PR", 0) == 0)) << p;
}

void ExpectOutcome(const Json& o, const std::string& where) {
  ExpectFields(o,
               {{"handed_over", T::kBool},
                {"timing", T::kString},
                {"end", T::kString},
                {"summary", T::kString},
                {"cpus", T::kArray},
                {"diagnostics", T::kArray}},
               where);
  for (const Json& c : o["cpus"].array) {
    ExpectFields(c,
                 {{"cpu", T::kNumber},
                  {"role", T::kString},
                  {"at_handover", T::kString},
                  {"final", T::kString},
                  {"saves", T::kString},
                  {"invalid_save", T::kBool},
                  {"responded", T::kBool}},
                 where + ".cpus[]");
  }
}

void ExpectRun(const Json& r, const std::string& where) {
  ExpectFields(r,
               {{"end", T::kString},
                {"steps", T::kNumber},
                {"end_time_ns", T::kNumber},
                {"handed_over", T::kBool},
                {"trace_hash", T::kString},
                {"cpus", T::kArray},
                {"diagnostics", T::kArray}},
               where);
  EXPECT_EQ(r["handover_cpu"].type, r["handed_over"].boolean ? T::kNumber : T::kNull);
  EXPECT_EQ(r["trace_hash"].string.size(), 16u);
}

Json RunJson(const char* scenario, int& exit_code) {
  testing::TempDir dir;
  const std::string file = dir.Write("s.textproto", scenario);
  const testing::CommandResult r = testing::RunCrashdiff("run " + file + " --json");
  exit_code = r.exit_code;
  Json j;
  EXPECT_TRUE(JsonParser(r.output).Parse(j)) << r.output.substr(0, 400);
  return j;
}

TEST(RunJson, OutputParsesAndMatchesTheDocumentedSchema) {
  for (const char* row : {testing::kRowA, testing::kRowH, testing::kRowAArm64}) {
    int exit_code = -1;
    const Json j = RunJson(row, exit_code);
    ExpectFields(j,
                 {{"schema_version", T::kNumber},
                  {"scenario", T::kString},
                  {"family", T::kString},
                  {"platform", T::kString},
                  {"platform_tag", T::kString},
                  {"reference", T::kObject},
                  {"targets", T::kArray},
                  {"divergences", T::kArray},
                  {"new_divergences", T::kNumber},
                  {"exit_code", T::kNumber}},
                 "top");
    EXPECT_EQ(j["schema_version"].number, 1);
    ExpectOutcome(j["reference"]["outcome"], "reference.outcome");
    ExpectRun(j["reference"]["run"], "reference.run");
    ASSERT_EQ(j["reference"]["violations"].type, T::kArray);
    ASSERT_FALSE(j["targets"].array.empty());
    for (const Json& t : j["targets"].array) {
      ExpectFields(t,
                   {{"target", T::kString},
                    {"verdict", T::kString},
                    {"outcome", T::kObject},
                    {"run", T::kObject},
                    {"divergences", T::kArray}},
                   "targets[]");
      const std::string& v = t["verdict"].string;
      EXPECT_TRUE(v == "ok" || v == "known" || v == "new") << v;
      EXPECT_EQ(v == "ok", t["divergences"].array.empty());
      ExpectOutcome(t["outcome"], "targets[].outcome");
      ExpectRun(t["run"], "targets[].run");
      for (const Json& d : t["divergences"].array) ExpectDivergence(d, "targets[].divergences[]");
    }
    size_t fresh = 0;
    for (const Json& d : j["divergences"].array) {
      ExpectDivergence(d, "divergences[]");
      fresh += d["known"].boolean ? 0 : 1;
    }
    EXPECT_EQ(j["new_divergences"].number, static_cast<double>(fresh));
    EXPECT_EQ(j["exit_code"].number, fresh > 0 ? 1 : 0);
    EXPECT_EQ(exit_code, fresh > 0 ? 1 : 0);
  }
}

TEST(RunJson, PrefixNowakeRowAReportsTheSeedBugAsKnownAndExitsZero) {
  testing::TempDir dir;
  const std::string file = dir.Write("a.textproto", testing::kRowA);
  const testing::CommandResult r = testing::RunCrashdiff("run " + file + " --json --target ppc-prefix-nowake");
  Json j;
  ASSERT_TRUE(JsonParser(r.output).Parse(j));
  ASSERT_EQ(j["targets"].array.size(), 1u);
  EXPECT_EQ(j["targets"].array[0]["verdict"].string, "known");
  EXPECT_EQ(r.exit_code, 0);
}

TEST(RunCli, TableHasOneRowPerTargetAndExplainShowsWitnessSteps) {
  testing::TempDir dir;
  const std::string file = dir.Write("a.textproto", testing::kRowA);
  const testing::CommandResult r = testing::RunCrashdiff("run " + file + " --target ppc-prefix-nowake --explain");
  EXPECT_NE(r.output.find("(reference)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ppc-prefix-nowake"), std::string::npos);
  EXPECT_NE(r.output.find("[known]   PR2 unstable-after-handover"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| "), std::string::npos) << r.output;  // the witness's trace lines
}

// run judges each divergence against the source tree's corpus, as fuzz does: a finding whose root causes have triage
// records shows [triaged] and exits 0; judged against a tree without a corpus, the same run is NEW and exits 1.
TEST(RunCli, JudgesDivergencesAgainstTheSourceTreesCorpus) {
  const std::string finding =
      std::string(CRASHDIFF_SOURCE_DIR) + "/corpus/findings/x86/kexec_reboot_races_panic_online_cpus.textproto";
  const testing::CommandResult triaged =
      testing::RunCrashdiff("run " + finding, "CRASHDIFF_SOURCE_DIR=" + std::string(CRASHDIFF_SOURCE_DIR));
  EXPECT_EQ(triaged.exit_code, 0) << triaged.output;
  EXPECT_NE(triaged.output.find("[triaged] PR10 relocation-unsafe: online-target"), std::string::npos)
      << triaged.output;
  EXPECT_EQ(triaged.output.find("[NEW]"), std::string::npos) << triaged.output;
  testing::TempDir empty;
  const testing::CommandResult fresh = testing::RunCrashdiff("run " + finding, "CRASHDIFF_SOURCE_DIR=" + empty.path());
  EXPECT_EQ(fresh.exit_code, 1) << fresh.output;
  EXPECT_NE(fresh.output.find("[NEW]     PR10 relocation-unsafe: online-target"), std::string::npos) << fresh.output;
}

TEST(RunCli, BadInputExitsTwo) {
  testing::TempDir dir;
  const std::string file = dir.Write("bad.textproto", "machine { family: PPC cores: 99 }");
  EXPECT_EQ(testing::RunCrashdiff("run " + file + " --json").exit_code, 2);
}

}  // namespace
}  // namespace crashdiff
