#include "cli/commands.h"

#include <cstdio>

namespace crashdiff::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"fuzz", "fuzz [--time S] [--jobs N] [--family F] [--target T] [--out DIR] [--engine libfuzzer|afl]",
       "The main job: a fuzzing campaign (default: every family, all cores, 120 s, libFuzzer) from corpus/seeds\n"
       "into DIR (default fuzz-out): a live progress line, then every divergence signature found with its\n"
       "reproducer; the first --minimize N (default 10) new ones are minimized into DIR/reproducers/.\n"
       "A DIR that holds a campaign is resumed (corpus, findings, statistics: DIR/campaign.textproto) when --engine,\n"
       "--family and --target match; --fresh starts it over. DIR/status.json is the campaign's state for a\n"
       "supervisor; SIGTERM ends it as Ctrl-C does. --merge-every S (default 3600, 0: never) minimizes the corpus.\n"
       "--explore N: hybrid mode, one more worker explores up to N schedules of each new corpus scenario on each\n"
       "target (one preemption, docs/EXPLORE.md) and records counterexamples as findings.\n"
       "More: --seeds DIR, --fuzzer PATH, --runs N, --json; --report re-judges DIR's findings with the current\n"
       "models, oracle, triage records and regression corpus, without fuzzing. Exit code 1 if anything new was found.",
       FuzzCommand},
      {"targets", "targets [--json]", "List the registered targets: family, platforms, the kernel source each models.",
       TargetsCommand},
      {"run", "run FILE [--target T] [--json] [--explain] [--trace]",
       "Run a scenario (text format, or binary if FILE ends in .pb/.bin) on the reference model and on every\n"
       "target of its family that supports its platform (or only T). Prints one row per target: outcome by\n"
       "role, verdict (ok / known / new) and divergence signatures. --json: the same as JSON (docs/JSON.md).\n"
       "--explain: each divergence's witness and the steps that led to it. --trace: every step of every run.\n"
       "Exit code 0: no new divergence; 1: a new divergence; 2: bad input.",
       RunCommand},
      {"minimize", "minimize FILE [--signature S | --all] [--root-cause RC] [--out DIR] [--max-runs N] [--quiet]",
       "Reduce a scenario to a small reproducer that keeps signature S (default: its first new divergence, else\n"
       "its first known one; --all: one reproducer per signature it shows that DIR has none of yet; --root-cause RC:\n"
       "S must keep showing through root cause RC, and without --signature S is the first one that does): ddmin over "
       "events and schedule\n"
       "choices, then fewer CPUs, default schedule, earlier triggers, smaller numbers. Writes "
       "DIR/<signature>.textproto (default corpus/regressions) atomically after\n"
       "every improvement, so Ctrl-C keeps the best so far. The header says what the reproducer shows and what\n"
       "each target is expected to do.",
       MinimizeCommand},
      {"retune", "retune FILE [--signature S | --root-cause RC] [--window N] [--seeds N] [-o OUT | --in-place]",
       "After a model change adds or removes steps, a reproducer whose events are placed by time or step, or whose\n"
       "schedule is a seeded RANDOM or PCT one, can stop showing a bug the models still have. Finds the nearest\n"
       "variant that shows it again (S: default the file's '# signature:'; or any divergence with root cause RC):\n"
       "one trigger time or step moved at a time, nearest first within +-N (default 400), then seeds 1..N (default\n"
       "400). Prints what moved; -o OUT writes the variant (then 'crashdiff minimize OUT --signature S' rewrites a\n"
       "regression reproducer); --in-place changes that one value in FILE and nothing else (a hand-written finding\n"
       "or seed keeps its comments and layout).\n"
       "Exit code 0: FILE or a variant shows it; 1: none within the bounds.",
       RetuneCommand},
      {"regress", "regress [--target T [--base B]] [--dir DIR] [--json]",
       "Replay every reproducer in DIR (default corpus/regressions) on every target (or only T) and compare with\n"
       "the expectations in its header: as-expected, fixed, still-present, new-divergence, changed. A target the\n"
       "headers do not know (a patch modelled as a new target) is judged against each reproducer's bug.\n"
       "Exit code 1 if anything changed for a known target or a new divergence appeared.\n"
       "--base B: compare T with B on the same reproducers instead, by root cause, as 'crashdiff patch' does\n"
       "(introduced / fixed / partly-fixed / unchanged; exit code 1 if anything is introduced).",
       RegressCommand},
      {"patch", "patch --target P --base B [--mutants N | --time S] [--seed X] [--out DIR] [--json]",
       "Evaluate a patch modelled as target P against the target B it was copied from, on the same inputs: every\n"
       "reproducer in corpus/regressions (--dir), the family's seeds and open findings (--seeds, --findings: the\n"
       "parents of <family>/), and N mutants of them (default 2000; --time S: for S seconds instead; deterministic\n"
       "for a given --seed and N). Each divergence is compared by root cause (property and witness step):\n"
       "introduced (P shows it on an input where B does not), fixed (B shows it, P on no input), partly-fixed\n"
       "(P no longer shows it on some inputs where B does), unchanged. Outcome differences are listed apart, never\n"
       "as bugs. --out DIR: one reproducer per introduced / fixed / partly-fixed root cause, written atomically.\n"
       "Exit code 1 if anything is introduced; 2 on bad usage (unknown target, P and B of different families).",
       PatchCommand},
      {"timeline", "timeline FILE [--target T] -o OUT.html|OUT.svg",
       "Run a scenario differentially and draw one target's run (T; else, on a reproducer, the target its\n"
       "'# signature:' names; else the first target that diverges, else the first of the family): one lane per\n"
       "CPU, location states over model time, events, wakes, the hand-over, and the divergence witness. OUT.svg\n"
       "is the picture; OUT.html embeds it. See docs/TIMELINE.md.",
       TimelineCommand},
      {"triage", "triage FILE [--signature S] [-o OUT.html] | triage --list | triage --audit DIR...",
       "Everything needed to judge a finding (FILE: a finding or reproducer): its signature and root cause,\n"
       "what corpus/triage/ already says about that root cause, the witness step by step on its target, a\n"
       "timeline of that run with -o OUT.html, and a triage record skeleton.\n"
       "--list: every triage record with its verdict.\n"
       "--audit DIR...: what each record covers in campaigns' findings (DIR: a `fuzz --out` directory), by key,\n"
       "target, role, witness step and event, next to what the record restricts; each finding is run again\n"
       "(--from-headers: judged from its header; --json: one object, docs/JSON.md). See docs/TRIAGE.md.",
       TriageCommand},
      {"explore", "explore FILE --target T [--preemptions K|none] [--dpor] [--max-steps N] [--property PRn] [--json]",
       kExploreHelp, ExploreCommand},
      {"explore-worker",
       "explore-worker --corpus DIR [--seeds DIR] --findings DIR --explored FILE [--schedules N] [--time S]",
       "The explore worker of a hybrid campaign ('crashdiff fuzz --explore N' starts it): explores up to N\n"
       "schedules (default 200, one preemption, early preemptions first; --preemptions K) of every unit in the\n"
       "seeds DIR, then the corpus DIR, not listed in FILE (each cheapest first: CPUs x events) on each target\n"
       "(--family F, --target T restrict it), records each counterexample's divergences in the\n"
       "findings DIR, and lists the unit in FILE. --time S: keep watching the corpus for S seconds (default: one\n"
       "pass). --deterministic: findings without the wall-clock line.",
       ExploreWorkerCommand},

  };
  return kCommands;
}

namespace {

void PrintUsage(FILE* out) {
  std::fprintf(out, "usage: crashdiff <command> [options]\n\ncommands:\n");
  for (const Command& c : Commands())
    std::fprintf(out, "  %-45.*s\n", static_cast<int>(c.synopsis.size()), c.synopsis.data());
  std::fprintf(
      out,
      "\n'crashdiff <command> --help' explains one command. Exit codes: 0 no new divergence, 1 new divergence,\n"
      "2 bad input or usage.\n");
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(stdout);
    return kExitClean;
  }
  Args args(argv + 2, argv + argc);
  for (const Command& c : Commands()) {
    if (c.name != name) continue;
    for (const std::string& a : args) {
      if (a == "--help" || a == "-h") {
        std::printf("usage: crashdiff %.*s\n\n%.*s\n", static_cast<int>(c.synopsis.size()), c.synopsis.data(),
                    static_cast<int>(c.help.size()), c.help.data());
        return kExitClean;
      }
    }
    return c.run(args);
  }
  std::fprintf(stderr, "crashdiff: unknown command '%s'\n\n", name.c_str());
  PrintUsage(stderr);
  return kExitUsage;
}

}  // namespace crashdiff::cli
