#include <cstdio>
#include <filesystem>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "diff/differential.h"
#include "minimize/minimize.h"
#include "minimize/reproducer.h"
#include "sim/scenario_io.h"
#include "util/atomic_file.h"

namespace crashdiff::cli {
namespace {

constexpr uint64_t kMaxRuns = 1'000'000'000'000;

// Returns false when the reproducer could not be written (the error is printed; no success summary follows).
// root_cause (may be empty) pins the mechanism: a signature can show through another root cause once the events
// that made this one are gone.
bool MinimizeOne(const pb::Scenario& input, const std::string& signature, const std::string& root_cause,
                 const std::string& path, MinimizeOptions options, bool quiet) {
  const KeepsProperty keeps = [&](const pb::Scenario& s) {
    return RunDifferential(s).ShowsThrough(signature, root_cause);
  };
  std::string write_error;  // the first failure: later writes to the same path would fail the same way
  const auto write = [&](const pb::Scenario& s) {
    if (!write_error.empty()) return;
    write_error = WriteFileAtomically(path, FormatReproducer(s, signature, RunDifferential(s), path));
    if (!write_error.empty()) StopRequested() = true;  // nothing it finds could be kept: stop at once
  };
  MinimizeStats stats;
  options.stop = &StopRequested();
  options.on_improved = write;  // the best so far is on disk whenever the run is interrupted
  options.progress = [&](const std::string& what) {
    if (!quiet) {
      std::fprintf(stderr, "\rminimize: %-60.60s runs %llu, kept %llu", what.c_str(),
                   static_cast<unsigned long long>(stats.runs), static_cast<unsigned long long>(stats.accepted));
    }
  };
  const pb::Scenario out = Minimize(input, keeps, options, &stats);
  write(out);
  if (!quiet) std::fprintf(stderr, "\n");
  if (!write_error.empty()) {
    std::fprintf(stderr, "crashdiff minimize: %s\n", write_error.c_str());
    return false;
  }
  std::printf("%s: %d -> %d events, %d -> %d choices, %llu runs%s\n  signature: %s\n", path.c_str(),
              input.events_size(), out.events_size(), input.schedule().choices_size(), out.schedule().choices_size(),
              static_cast<unsigned long long>(stats.runs), stats.interrupted ? " (interrupted: best so far)" : "",
              signature.c_str());
  if (!root_cause.empty()) std::printf("  root cause: %s\n", root_cause.c_str());
  return true;
}

}  // namespace

int MinimizeCommand(const Args& args) {
  ArgReader r(args, {"--signature", "--root-cause", "--out", "--max-runs"}, {"--quiet", "--all"});
  if (!r.ok() || r.positionals().size() != 1) {
    std::fprintf(
        stderr,
        "crashdiff minimize: %s\nusage: crashdiff minimize FILE [--signature S] [--root-cause RC] [--out DIR]\n",
        r.ok() ? "expected one scenario file" : r.error().c_str());
    return kExitUsage;
  }
  const std::string root_cause = r.Value("--root-cause").value_or("");
  if (!root_cause.empty() && r.Has("--all")) {
    std::fprintf(stderr, "crashdiff minimize: --root-cause and --all exclude each other\n");
    return kExitUsage;
  }
  const LoadResult loaded = LoadScenarioFile(r.positionals()[0]);
  if (!loaded.scenario) {
    for (const std::string& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
    return kExitUsage;
  }
  MinimizeOptions options;
  if (const std::string e = ParseNumberOption(r, "--max-runs", uint64_t{1}, kMaxRuns, options.max_runs); !e.empty()) {
    std::fprintf(stderr, "crashdiff minimize: %s\n", e.c_str());
    return kExitUsage;
  }
  const DiffReport before = RunDifferential(*loaded.scenario);
  std::vector<std::string> signatures;
  if (auto s = r.Value("--signature")) {
    if (!before.ShowsThrough(*s, root_cause)) {
      std::fprintf(stderr, "crashdiff minimize: %s does not show signature '%s'%s%s\n", r.positionals()[0].c_str(),
                   s->c_str(), root_cause.empty() ? "" : " through root cause ", root_cause.c_str());
      return kExitUsage;
    }
    signatures.push_back(*s);
  } else if (!root_cause.empty()) {
    // The first signature that shows through the root cause.
    for (const Divergence& d : before.divergences) {
      if (signatures.empty() && d.root_cause == root_cause) signatures.push_back(d.signature);
    }
    if (signatures.empty()) {
      std::fprintf(stderr, "crashdiff minimize: %s shows no divergence with root cause '%s'\n",
                   r.positionals()[0].c_str(), root_cause.c_str());
      return kExitUsage;
    }
  } else if (r.Has("--all")) {
    // Every property violation; outcome differences are information, not bugs to keep reproducers of.
    for (const Divergence& d : before.divergences) {
      if (!d.difference()) signatures.push_back(d.signature);
    }
  } else {
    // By default the first new violation, else the first known one, else the first outcome difference.
    for (const bool want_known : {false, true}) {
      for (const Divergence& d : before.divergences) {
        if (signatures.empty() && !d.difference() && d.known == want_known) signatures.push_back(d.signature);
      }
    }
    if (signatures.empty() && !before.divergences.empty()) signatures.push_back(before.divergences.front().signature);
  }
  if (signatures.empty()) {
    std::printf("crashdiff minimize: %s shows no divergence; nothing to minimize\n", r.positionals()[0].c_str());
    return kExitClean;
  }
  const std::string dir = r.Value("--out").value_or("corpus/regressions");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir, ec)) {
    std::fprintf(stderr, "crashdiff minimize: --out %s: not a directory and cannot be created%s%s\n", dir.c_str(),
                 ec ? ": " : "", ec ? ec.message().c_str() : "");
    return kExitUsage;
  }
  // A minimize killed while writing (kill -9) leaves its hidden temporary behind; none of those is a reproducer.
  RemoveStaleTemporaries(dir);
  const StopOnSignals stop_on_signals;
  int exit_code = kExitClean;
  for (const std::string& signature : signatures) {
    if (StopRequested()) break;
    const std::string out = dir + "/" + Signature::ReadableFileName(signature);
    // --all gathers a file's signatures into a corpus: a signature the corpus already has a reproducer of keeps it
    // (it may be the documented one for that bug); naming the signature replaces it deliberately.
    if (r.Has("--all") && std::filesystem::exists(out, ec)) {
      if (!r.Has("--quiet")) std::printf("kept %s (already reproduces %s)\n", out.c_str(), signature.c_str());
      continue;
    }
    if (!MinimizeOne(*loaded.scenario, signature, root_cause, out, options, r.Has("--quiet"))) {
      exit_code = kExitUsage;
      break;
    }
  }
  return exit_code;
}

}  // namespace crashdiff::cli
