#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "diff/runner.h"
#include "sim/scenario_io.h"
#include "util/json.h"

namespace crashdiff::cli {
namespace {

void PrintHuman(const TargetSpec& t, const RunResult& r, bool trace) {
  std::printf("== %s: %s after %llu steps, %.6f s model time", t.name.c_str(), std::string(Name(r.end)).c_str(),
              static_cast<unsigned long long>(r.steps), static_cast<double>(r.end_time_ns) / 1e9);
  if (r.handed_over) {
    std::printf("; hand-over by cpu%u at %.6f s", r.handover_cpu, static_cast<double>(r.handover_time_ns) / 1e9);
  } else {
    std::printf("; no hand-over");
  }
  std::printf("; trace %016llx\n", static_cast<unsigned long long>(r.trace_hash));
  std::printf("   cpu  %-16s %-16s saves responses\n", "at hand-over", "final");
  for (size_t c = 0; c < r.cpus.size(); ++c) {
    const CpuResult& cr = r.cpus[c];
    std::printf("   %3zu  %-16s %-16s %5u %9u%s\n", c, std::string(Name(cr.at_handover)).c_str(),
                std::string(Name(cr.final)).c_str(), cr.saves, cr.responses,
                cr.invalid_saves ? "  (+ save with NULL regs)" : "");
  }
  for (const Diagnostic& d : r.diagnostics) {
    std::printf("   [%12.6f] cpu%u: %s\n", static_cast<double>(d.time_ns) / 1e9, d.cpu, d.text.c_str());
  }
  if (trace) std::printf("%s", r.trace.ToText().c_str());
}

void PrintJson(JsonWriter& j, const TargetSpec& t, const RunResult& r) {
  j.BeginObject().Key("target").String(t.name).Key("end").String(Name(r.end));
  j.Key("steps").Uint(r.steps).Key("end_time_ns").Uint(r.end_time_ns);
  j.Key("handed_over").Bool(r.handed_over);
  if (r.handed_over) j.Key("handover_time_ns").Uint(r.handover_time_ns).Key("handover_cpu").Uint(r.handover_cpu);
  j.Key("trace_hash").String([&] {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(r.trace_hash));
    return std::string(buf);
  }());
  j.Key("cpus").BeginArray();
  for (const CpuResult& c : r.cpus) {
    j.BeginObject().Key("at_handover").String(Name(c.at_handover)).Key("final").String(Name(c.final));
    j.Key("saves").Uint(c.saves).Key("invalid_saves").Uint(c.invalid_saves).Key("responses").Uint(c.responses);
    j.EndObject();
  }
  j.EndArray().Key("diagnostics").BeginArray();
  for (const Diagnostic& d : r.diagnostics) {
    j.BeginObject().Key("time_ns").Uint(d.time_ns).Key("cpu").Uint(d.cpu).Key("text").String(d.text).EndObject();
  }
  j.EndArray().EndObject();
}

}  // namespace

int RunCommand(const Args& args) {
  ArgReader r(args, {"--target"}, {"--json", "--trace"});
  if (!r.ok() || r.positionals().size() != 1) {
    std::fprintf(stderr, "crashdiff run: %s\nusage: crashdiff run FILE [--target T] [--json] [--trace]\n",
                 r.ok() ? "expected one scenario file" : r.error().c_str());
    return kExitUsage;
  }
  const LoadResult loaded = LoadScenarioFile(r.positionals()[0]);
  if (!loaded.scenario) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  const std::string only = r.Value("--target").value_or("");
  if (!only.empty() && FindTarget(only) == nullptr) {
    std::fprintf(stderr, "crashdiff run: unknown target '%s' (see 'crashdiff targets')\n", only.c_str());
    return kExitUsage;
  }
  const auto targets = TargetsFor(*loaded.scenario, only);
  if (targets.empty()) {
    std::fprintf(stderr, "crashdiff run: no target runs %s on %s\n",
                 pb::Family_Name(loaded.scenario->machine().family()).c_str(),
                 pb::Platform_Name(loaded.scenario->machine().platform()).c_str());
    return kExitUsage;
  }
  JsonWriter j;
  if (r.Has("--json")) j.BeginObject().Key("scenario").String(r.positionals()[0]).Key("results").BeginArray();
  for (const TargetSpec* t : targets) {
    const RunResult result = RunOnTarget(*t, *loaded.scenario);
    if (r.Has("--json")) {
      PrintJson(j, *t, result);
    } else {
      PrintHuman(*t, result, r.Has("--trace"));
    }
  }
  if (r.Has("--json")) {
    j.EndArray().EndObject();
    std::printf("%s\n", j.str().c_str());
  }
  return kExitClean;
}

}  // namespace crashdiff::cli
