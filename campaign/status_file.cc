#include "campaign/status_file.h"

#include <chrono>
#include <ctime>

#include "util/atomic_file.h"
#include "util/json.h"

namespace crashdiff::campaign {

int64_t NowUnix() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Iso8601(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

std::string FormatStatus(const CampaignStatus& s) {
  JsonWriter j;
  j.BeginObject().Key("version").Uint(1).Key("state").String(s.state).Key("merging").Bool(s.merging);
  j.Key("pid").Int(s.pid).Key("engine").String(s.engine).Key("family").String(s.family);
  j.Key("target").String(s.target);
  j.Key("started").String(Iso8601(s.started_unix)).Key("session_started").String(Iso8601(s.session_started_unix));
  j.Key("updated").String(Iso8601(s.updated_unix)).Key("updated_unix").Int(s.updated_unix);
  j.Key("elapsed_seconds").Uint(s.elapsed_seconds).Key("fuzz_seconds_total").Uint(s.fuzz_seconds_total);
  j.Key("execs_total").Uint(s.execs_total).Key("execs_session").Uint(s.execs_session);
  j.Key("execs_per_sec").Uint(s.execs_per_sec).Key("corpus").Uint(s.corpus);
  j.Key("signatures").BeginObject();
  for (size_t i = 0; i < s.signatures.size(); ++i) j.Key(kVerdictNames[i]).Uint(s.signatures[i]);
  j.EndObject();
  j.Key("workers_alive").Uint(s.workers_alive).Key("jobs").Uint(s.jobs).Key("sessions").Uint(s.sessions);
  j.Key("merges").Uint(s.merges).Key("last_merge");
  if (s.last_merge_unix > 0) {
    j.String(Iso8601(s.last_merge_unix));
  } else {
    j.Null();
  }
  j.Key("exit_code");
  if (s.exit_code >= 0) {
    j.Int(s.exit_code);
  } else {
    j.Null();
  }
  j.EndObject();
  return j.str() + "\n";
}

std::string WriteStatus(const std::filesystem::path& dir, const CampaignStatus& status) {
  return WriteFileAtomically((dir / kStatusFile).string(), FormatStatus(status));
}

}  // namespace crashdiff::campaign
