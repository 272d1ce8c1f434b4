#include "diff/report_json.h"

#include <cstdio>

#include "util/json.h"

namespace crashdiff {
namespace {

void WriteWitness(JsonWriter& j, const Witness& w) {
  j.BeginObject();
  if (w.set()) {
    j.Key("cpu").Uint(w.cpu);
  } else {
    j.Key("cpu").Null();
  }
  j.Key("step").Uint(w.step).Key("time_ns").Uint(w.time_ns).Key("label").String(w.label).EndObject();
}

void WriteDivergence(JsonWriter& j, const Divergence& d) {
  j.BeginObject();
  j.Key("signature").String(d.signature).Key("target").String(d.target).Key("property").String(d.property);
  j.Key("short_name").String(d.short_name).Key("role").String(d.role).Key("what").String(d.what);
  j.Key("severity").String(d.severity).Key("known").Bool(d.known).Key("difference").Bool(d.difference());
  j.Key("root_cause").String(d.root_cause).Key("witness");
  WriteWitness(j, d.at);
  j.EndObject();
}

void WriteOutcome(JsonWriter& j, const Outcome& o) {
  j.BeginObject().Key("handed_over").Bool(o.handed_over).Key("timing").String(o.timing);
  j.Key("end").String(Name(o.end)).Key("summary").String(OutcomeSummary(o)).Key("cpus").BeginArray();
  for (const CpuOutcome& c : o.cpus) {
    j.BeginObject().Key("cpu").Uint(c.cpu).Key("role").String(Name(c.role));
    j.Key("at_handover").String(c.at_handover).Key("final").String(c.final).Key("saves").String(c.saves);
    j.Key("invalid_save").Bool(c.invalid_save).Key("responded").Bool(c.responded).EndObject();
  }
  j.EndArray().Key("diagnostics").BeginArray();
  for (const std::string& d : o.diagnostics) j.String(d);
  j.EndArray().EndObject();
}

void WriteRun(JsonWriter& j, const RunResult& r) {
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(r.trace_hash));
  j.BeginObject().Key("end").String(Name(r.end)).Key("steps").Uint(r.steps).Key("end_time_ns").Uint(r.end_time_ns);
  j.Key("handed_over").Bool(r.handed_over);
  if (r.handed_over) {
    j.Key("handover_cpu").Uint(r.handover_cpu).Key("handover_time_ns").Uint(r.handover_time_ns);
  } else {
    j.Key("handover_cpu").Null().Key("handover_time_ns").Null();
  }
  j.Key("trace_hash").String(hash).Key("cpus").BeginArray();
  for (const CpuResult& c : r.cpus) {
    j.BeginObject().Key("at_handover").String(Name(c.at_handover)).Key("final").String(Name(c.final));
    j.Key("saves").Uint(c.saves).Key("invalid_saves").Uint(c.invalid_saves).Key("responses").Uint(c.responses);
    j.Key("shutdowns").Uint(c.shutdowns).Key("entered_panic").Bool(c.entered_panic).Key("woken").Bool(c.woken);
    j.EndObject();
  }
  j.EndArray().Key("diagnostics").BeginArray();
  for (const Diagnostic& d : r.diagnostics) {
    j.BeginObject().Key("time_ns").Uint(d.time_ns).Key("cpu").Uint(d.cpu).Key("text").String(d.text).EndObject();
  }
  j.EndArray().EndObject();
}

}  // namespace

std::string DiffReportToJson(const pb::Scenario& scenario, std::string_view scenario_name, const DiffReport& report) {
  JsonWriter j;
  j.BeginObject().Key("schema_version").Int(kJsonSchemaVersion).Key("scenario").String(scenario_name);
  j.Key("family").String(pb::Family_Name(scenario.machine().family()));
  j.Key("platform").String(pb::Platform_Name(scenario.machine().platform()));
  j.Key("platform_tag").String(PlatformTag(scenario));
  j.Key("reference").BeginObject().Key("outcome");
  WriteOutcome(j, report.reference_outcome);
  j.Key("run");
  WriteRun(j, report.reference);
  j.Key("violations").BeginArray();
  for (const Divergence& d : report.reference_violations) WriteDivergence(j, d);
  j.EndArray().EndObject();
  j.Key("targets").BeginArray();
  for (const TargetReport& t : report.targets) {
    j.BeginObject().Key("target").String(t.target).Key("verdict").String(t.verdict()).Key("outcome");
    WriteOutcome(j, t.outcome);
    j.Key("run");
    WriteRun(j, t.result);
    j.Key("divergences").BeginArray();
    for (const Divergence& d : t.divergences) WriteDivergence(j, d);
    j.EndArray().EndObject();
  }
  j.EndArray().Key("divergences").BeginArray();
  uint64_t fresh = 0;
  for (const Divergence& d : report.divergences) {
    WriteDivergence(j, d);
    fresh += d.known || d.difference() ? 0 : 1;
  }
  j.EndArray().Key("new_divergences").Uint(fresh).Key("exit_code").Int(report.has_new() ? 1 : 0).EndObject();
  return j.str();
}

}  // namespace crashdiff
