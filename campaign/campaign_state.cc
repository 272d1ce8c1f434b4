#include "campaign/campaign_state.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include "util/atomic_file.h"

namespace crashdiff::campaign {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kVersion = 1;

// What a campaign writes into its directory, removed by --fresh (the lock file stays: this run holds it).
const char* const kCampaignFiles[] = {
    "corpus", "corpus.merge", "corpus.old",   "findings",        "reproducers", "crashes",       "logs",
    "afl",    "seeds",        "findings.txt", "differences.txt", "status.json", "merge.control", kCampaignStateFile};

class Collector : public google::protobuf::io::ErrorCollector {
 public:
  explicit Collector(std::string name) : name_(std::move(name)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber /*column*/, const std::string& message) override {
    if (first_.empty()) first_ = name_ + ":" + std::to_string(line + 1) + ": " + message;
  }
  const std::string& first() const { return first_; }

 private:
  std::string name_;
  std::string first_;
};

bool HasFiles(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && !fs::is_empty(dir, ec);
}

// "" when the file parses; else "file:line: reason".
std::string Load(const fs::path& file, pb::CampaignState* state) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::TextFormat::Parser parser;
  Collector errors(file.string());
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text.str(), state)) {
    return errors.first().empty() ? file.string() + ":0: not a text-format crashdiff.pb.CampaignState" : errors.first();
  }
  if (state->version() != kVersion) {
    return file.string() + ":0: version: " + std::to_string(state->version()) + " is not " + std::to_string(kVersion) +
           " (written by another crashdiff?)";
  }
  return "";
}

std::string Shown(const std::string& value, const char* empty) {
  return value.empty() ? empty : value;
}

// "" when the campaign may be resumed with these options, else which option differs.
std::string Mismatch(const pb::CampaignState& s, const CampaignOptions& o) {
  const struct {
    const char* flag;
    const std::string& was;
    const std::string& now;
    const char* empty;
  } kOptions[] = {{"--engine", s.engine(), o.engine, "(none)"},
                  {"--family", s.family(), o.family, "(all families)"},
                  {"--target", s.target(), o.target, "(none)"}};
  for (const auto& opt : kOptions) {
    if (opt.was != opt.now) {
      return std::string("holds a campaign with ") + opt.flag + " " + Shown(opt.was, opt.empty) + ", not " +
             Shown(opt.now, opt.empty);
    }
  }
  return "";
}

std::string StartOver(const fs::path& dir) {
  std::error_code ec;
  for (const char* name : kCampaignFiles) {
    fs::remove_all(dir / name, ec);
    if (ec) return "--out " + dir.string() + ": cannot remove " + name + ": " + ec.message();
  }
  return "";
}

}  // namespace

std::string SaveCampaignState(const fs::path& dir, const pb::CampaignState& state) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(state, &text);
  return WriteFileAtomically((dir / kCampaignStateFile).string(),
                             "# crashdiff fuzz: this campaign's options and cumulative statistics "
                             "(proto/campaign.proto)\n" +
                                 text);
}

CampaignStart StartCampaign(const fs::path& dir, const CampaignOptions& options, bool fresh, int64_t now_unix) {
  CampaignStart start;
  const fs::path file = dir / kCampaignStateFile;
  std::error_code ec;
  const bool has_state = fs::exists(file, ec);
  const std::string name = "--out " + dir.string();
  const bool holds_campaign = has_state || HasFiles(dir / "corpus") || HasFiles(dir / "findings");
  if (fresh) {
    if (std::string e = StartOver(dir); !e.empty()) return {e, "", {}, false};
    if (holds_campaign) start.note = "started over (--fresh)";
  } else if (has_state) {
    pb::CampaignState previous;
    if (std::string e = Load(file, &previous); !e.empty()) {
      start.error =
          e + "\n" + name + ": cannot resume its campaign; --fresh starts over (deletes its corpus and findings)";
      return start;
    }
    if (std::string m = Mismatch(previous, options); !m.empty()) {
      start.error = name + ": " + m +
                    ": resume it with the same --engine, --family and --target, start over with --fresh (deletes its "
                    "corpus and findings), or choose another --out";
      return start;
    }
    start.state = previous;
    start.resumed = true;
  } else if (holds_campaign) {
    start.resumed = true;  // an earlier crashdiff's campaign: its files, without statistics
    start.note = "resuming a campaign without " + std::string(kCampaignStateFile) + " (statistics start at 0)";
  }
  pb::CampaignState& s = start.state;
  if (fresh || !has_state) {  // a new campaign, or one without a state file
    s.set_version(kVersion);
    s.set_family(options.family);
    s.set_target(options.target);
    s.set_engine(options.engine);
    s.set_started_unix(now_unix);
  }
  s.set_sessions(s.sessions() + 1);
  s.set_updated_unix(now_unix);
  if (start.resumed && start.note.empty()) {
    start.note = "resuming session " + std::to_string(s.sessions()) + " (" + std::to_string(s.execs()) +
                 " executions, " + std::to_string(s.fuzz_seconds()) + " s fuzzed so far)";
  }
  if (std::string e = SaveCampaignState(dir, s); !e.empty()) start.error = e;
  return start;
}

}  // namespace crashdiff::campaign
