// The crashdiff command line: one table of subcommands, from which dispatch and --help are generated.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace crashdiff::cli {

// Exit codes (ARCHITECTURE §10).
inline constexpr int kExitClean = 0;       // no new divergence
inline constexpr int kExitDivergence = 1;  // a new divergence was found
inline constexpr int kExitUsage = 2;       // bad input or usage

using Args = std::vector<std::string>;

struct Command {
  std::string_view name;
  std::string_view synopsis;
  std::string_view help;
  int (*run)(const Args& args);
};

const std::vector<Command>& Commands();
int Main(int argc, char** argv);

// Subcommands (one file each).
int TargetsCommand(const Args& args);
int RunCommand(const Args& args);
int MinimizeCommand(const Args& args);
int RetuneCommand(const Args& args);
int RegressCommand(const Args& args);
int PatchCommand(const Args& args);
int TimelineCommand(const Args& args);
int FuzzCommand(const Args& args);
int TriageCommand(const Args& args);
int ExploreCommand(const Args& args);
int ExploreWorkerCommand(const Args& args);
extern const std::string_view kExploreHelp;  // cli/explore_command.cc

}  // namespace crashdiff::cli
