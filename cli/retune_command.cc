#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "diff/differential.h"
#include "diff/finding.h"
#include "minimize/retune.h"
#include "sim/scenario_io.h"
#include "util/atomic_file.h"

namespace crashdiff::cli {
int RetuneCommand(const Args& raw_args) {
  ArgReader r(WithLongOutputFlag(raw_args), {"--signature", "--root-cause", "--window", "--seeds", "--output"},
              {"--in-place"});
  const auto usage = [&](const std::string& what) {
    std::fprintf(stderr,
                 "crashdiff retune: %s\nusage: crashdiff retune FILE [--signature S | --root-cause RC] [--window N] "
                 "[--seeds N] [-o OUT | --in-place]\n",
                 what.c_str());
    return kExitUsage;
  };
  if (!r.ok()) return usage(r.error());
  if (r.positionals().size() != 1) return usage("expected one scenario file");
  const std::string file = r.positionals()[0];
  if (r.Has("--in-place") && r.Has("--output")) return usage("-o and --in-place exclude each other");
  std::string text;
  const LoadResult loaded = LoadScenarioFile(file, &text);
  if (!loaded.scenario) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  RetuneOptions options;
  if (std::string e = ParseNumberOption(r, "--window", uint64_t{1}, uint64_t{1'000'000}, options.window); !e.empty()) {
    return usage(e);
  }
  if (std::string e = ParseNumberOption(r, "--seeds", uint64_t{0}, uint64_t{1'000'000}, options.seeds); !e.empty()) {
    return usage(e);
  }
  const std::optional<std::string> root_cause = r.Value("--root-cause");
  std::string signature = r.Value("--signature").value_or("");
  if (root_cause && !signature.empty()) return usage("--signature and --root-cause exclude each other");
  if (!root_cause && signature.empty()) signature = ReadFindingHeader(file).signature;  // a reproducer's own
  if (!root_cause && signature.empty()) {
    return usage(file + " has no '# signature:' header: name what it should show (--signature or --root-cause)");
  }
  const KeepsProperty keeps = [&](const pb::Scenario& s) {
    for (const Divergence& d : RunDifferential(s).divergences) {
      if (root_cause ? d.root_cause == *root_cause : d.signature == signature) return true;
    }
    return false;
  };
  options.stop = &StopRequested();
  const Retuned found = [&] {
    const StopOnSignals stop_on_signals;
    return Retune(*loaded.scenario, keeps, options);
  }();
  const std::string what = root_cause ? "root cause " + *root_cause : signature;
  if (!found.found) {
    std::printf("%s: no variant within +-%llu of its triggers or seeds 1..%llu shows %s (%llu runs)%s\n", file.c_str(),
                static_cast<unsigned long long>(options.window), static_cast<unsigned long long>(options.seeds),
                what.c_str(), static_cast<unsigned long long>(found.runs), StopRequested() ? " (interrupted)" : "");
    return kExitDivergence;
  }
  if (found.field.empty()) {
    std::printf("%s: already shows %s\n", file.c_str(), what.c_str());
    return kExitClean;
  }
  std::printf("%s: %s %llu -> %llu shows %s again (%llu runs)\n", file.c_str(), found.field.c_str(),
              static_cast<unsigned long long>(found.from), static_cast<unsigned long long>(found.to), what.c_str(),
              static_cast<unsigned long long>(found.runs));
  if (r.Has("--in-place")) {
    std::string error;
    const std::string edited = RetuneText(text, found, &error);
    if (edited.empty()) {
      std::fprintf(stderr, "crashdiff retune: %s: %s\n", file.c_str(), error.c_str());
      return kExitUsage;
    }
    if (const std::string e = WriteFileAtomically(file, edited); !e.empty()) {
      std::fprintf(stderr, "crashdiff retune: %s\n", e.c_str());
      return kExitUsage;
    }
    std::printf("rewrote %s (that value only)\n", file.c_str());
  }
  if (auto out = r.Value("--output")) {
    if (const std::string e = WriteFileAtomically(*out, ScenarioToText(found.scenario)); !e.empty()) {
      std::fprintf(stderr, "crashdiff retune: %s\n", e.c_str());
      return kExitUsage;
    }
    std::printf("wrote %s\n", out->c_str());
  }
  return kExitClean;
}

}  // namespace crashdiff::cli
