// Hand-built runs for oracle tests: a RunResult with trace entries and bookkeeping, written step by step, so a
// property check can be shown to fire (or stay quiet) on exactly the interleaving a test describes.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "oracle/facts.h"
#include "oracle/properties.h"
#include "sim/machine.h"
#include "tests/sim_test_util.h"

namespace crashdiff::testing {

class RunBuilder {
 public:
  explicit RunBuilder(const std::string& scenario_text) : scenario_(ScenarioFromText(scenario_text)) {
    const uint32_t n = scenario_.machine().cores() * scenario_.machine().threads_per_core();
    result_.cpus.resize(n);
    locations_.assign(n, Location::kRunOld);
    for (uint32_t c = 0; c < n; ++c) {
      for (uint32_t ns : scenario_.machine().never_started()) {
        if (ns == c) Loc(c, Location::kNeverStarted);
      }
    }
  }

  // One step of cpu (labels must be string literals: entries keep a view of them).
  RunBuilder& Step(uint32_t cpu, TraceKind kind, Label label, std::string detail = {}, int64_t value = 0) {
    Add(cpu, kind, label, std::move(detail), value);
    ++step_;
    return *this;
  }
  // A location change, recorded within the step before it (as the simulator records them).
  RunBuilder& Loc(uint32_t cpu, Location l) {
    locations_[cpu] = l;
    return Same(cpu, TraceKind::kLocation, Name(l));
  }
  // Another entry within the step before it (e.g. the corruption a wake causes).
  RunBuilder& Same(uint32_t cpu, TraceKind kind, Label label, std::string detail = {}) {
    const uint64_t keep = step_;
    if (step_ > 0) --step_;
    Add(cpu, kind, label, std::move(detail), 0);
    step_ = keep;
    return *this;
  }
  RunBuilder& Book(BookKind kind, uint32_t cpu, uint32_t by) {
    result_.book.push_back(BookEntry{kind, cpu, by, step_, time_, result_.trace.entries().size()});
    CpuResult& r = result_.cpus[cpu];
    switch (kind) {
      case BookKind::kPanic: r.entered_panic = true; break;
      case BookKind::kShutdown: ++r.shutdowns; break;
      case BookKind::kWakeSent: r.woken = true; break;
      case BookKind::kSave: ++r.saves; break;
      case BookKind::kInvalidSave: ++r.invalid_saves; break;
      case BookKind::kResponse: ++r.responses; break;
      case BookKind::kOnline:
      case BookKind::kOffline: break;  // hotplug bookkeeping: no per-CPU result counter
    }
    return *this;
  }
  RunBuilder& Wait(uint64_t ns) {
    time_ += ns;
    return *this;
  }
  RunBuilder& Handover(uint32_t cpu) {
    Loc(cpu, Location::kNextKernel);
    result_.handed_over = true;
    result_.handover_cpu = cpu;
    result_.handover_step = step_;
    result_.handover_time_ns = time_;
    for (uint32_t c = 0; c < locations_.size(); ++c) result_.cpus[c].at_handover = locations_[c];
    Add(cpu, TraceKind::kHandover, "HANDOVER", {}, 0);
    ++step_;
    return *this;
  }
  RunBuilder& Diag(uint32_t cpu, std::string text) {
    result_.diagnostics.push_back(Diagnostic{time_, cpu, std::move(text)});
    return *this;
  }
  RunResult Finish(EndReason end = EndReason::kQuiescent) {
    for (uint32_t c = 0; c < locations_.size(); ++c) {
      result_.cpus[c].final = locations_[c];
      if (!result_.handed_over) result_.cpus[c].at_handover = locations_[c];
    }
    result_.end = end;
    result_.steps = step_;
    result_.end_time_ns = time_;
    return result_;
  }
  const pb::Scenario& scenario() const { return scenario_; }

 private:
  void Add(uint32_t cpu, TraceKind kind, Label label, std::string detail, int64_t value) {
    TraceEntry e;
    e.step = step_;
    e.time_ns = time_;
    e.cpu = cpu;
    e.kind = kind;
    e.label = label;
    e.detail = std::move(detail);
    e.value = value;
    e.tags = Tags(kind, label, e.detail);
    if (cpu != kNoCpu) e.location = locations_[cpu];
    result_.trace.Add(e);
    ++time_;
  }

  // The tags the simulator would record with the entry (sim/shared_var.h), from the text a test writes: a
  // variable gets one id per name, and the shared ones their id by their canonical name.
  TraceTags Tags(TraceKind kind, Label label, const std::string& detail) {
    TraceTags t;
    const auto var = [this](const std::string& name) {
      auto [it, added] = var_ids_.try_emplace(name, static_cast<uint32_t>(var_ids_.size()));
      return it->second;
    };
    const auto starts = [&detail](std::string_view p) { return detail.compare(0, p.size(), p) == 0; };
    switch (kind) {
      case TraceKind::kRead:
      case TraceKind::kWrite:
      case TraceKind::kRmw:
        t.var = var(detail);
        for (SharedVar v : {SharedVar::kCrashingCpu, SharedVar::kCpusInCrash}) {
          if (detail == Name(v)) t.shared = v;
        }
        if (kind == TraceKind::kWrite && label == "relocate") t.mark = TraceMark::kRelocate;
        break;
      case TraceKind::kLocal:
        if (detail == "barrier") t.mark = TraceMark::kBarrier;
        if (starts("monitor ")) t = TraceTags{.var = var(detail.substr(8)), .mark = TraceMark::kMonitor};
        break;
      case TraceKind::kBlock:
      case TraceKind::kWake:
        if (starts("stop")) t.mark = TraceMark::kStop;
        if (starts("mwait")) t.mark = TraceMark::kMwait;
        break;
      case TraceKind::kEvent:
        if (detail == "KEXEC") t.mark = TraceMark::kKexecRequest;
        break;
      default: break;
    }
    return t;
  }

  pb::Scenario scenario_;
  std::map<std::string, uint32_t> var_ids_;
  RunResult result_;
  std::vector<Location> locations_;
  uint64_t step_ = 0;
  uint64_t time_ = 0;
};

// Violations of one property in a hand-built run.
inline std::vector<Violation> ViolationsOf(const std::string& property, const pb::Scenario& s, const RunResult& r) {
  std::vector<Violation> out;
  for (const Violation& v : CheckProperties(s, r, FactsFromRun(r))) {
    if (v.property == property) out.push_back(v);
  }
  return out;
}

}  // namespace crashdiff::testing
