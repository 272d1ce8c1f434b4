// crashdiff explore-worker --corpus DIR [--seeds DIR] --findings DIR --explored FILE [--schedules N] [--preemptions K]
// [--time S] [--family F] [--target T] [--deterministic]: the explore worker of a hybrid campaign
// (campaign/explore_worker.h), started by `crashdiff fuzz --explore N`. SIGINT and SIGTERM end it after the search
// under way.
#include <csignal>
#include <cstdio>

#include "campaign/explore_worker.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "proto/family_name.h"
#include "targets/target.h"

namespace crashdiff::cli {
namespace {

constexpr char kUsage[] =
    "usage: crashdiff explore-worker --corpus DIR [--seeds DIR] --findings DIR --explored FILE [--schedules N]\n"
    "                               [--preemptions K] [--time S] [--family ppc|x86|arm64] [--target T] "
    "[--deterministic]\n";

volatile sig_atomic_t stop = 0;
void OnStop(int) {
  stop = 1;
}

int Usage(const std::string& why) {
  std::fprintf(stderr, "crashdiff explore-worker: %s\n%s", why.c_str(), kUsage);
  return kExitUsage;
}

}  // namespace

int ExploreWorkerCommand(const Args& args) {
  ArgReader r(args,
              {"--corpus", "--seeds", "--findings", "--explored", "--schedules", "--preemptions", "--time", "--family",
               "--target"},
              {"--deterministic"});
  if (!r.ok()) return Usage(r.error());
  if (!r.positionals().empty()) return Usage("unexpected argument " + r.positionals().front());
  campaign::ExploreWorkerOptions o;
  for (const char* flag : {"--corpus", "--findings", "--explored"}) {
    if (!r.Value(flag)) return Usage(std::string(flag) + " is required");
  }
  o.corpus = *r.Value("--corpus");
  o.findings = *r.Value("--findings");
  o.explored = *r.Value("--explored");
  o.seeds = r.Value("--seeds").value_or("");
  uint64_t preemptions = o.preemptions;
  for (std::string e : {ParseNumberOption(r, "--schedules", uint64_t{1}, uint64_t{100'000'000}, o.schedules),
                        ParseNumberOption(r, "--preemptions", uint64_t{0}, uint64_t{10}, preemptions),
                        ParseNumberOption(r, "--time", 0, 100'000'000, o.seconds)}) {
    if (!e.empty()) return Usage(e);
  }
  o.preemptions = static_cast<uint32_t>(preemptions);
  if (const auto f = r.Value("--family")) {
    const auto family = ParseFamilyName(*f);
    if (!family) return Usage("--family is ppc, x86 or arm64");
    o.family = *family;
  }
  o.target = r.Value("--target").value_or("");
  if (!o.target.empty() && FindTarget(o.target) == nullptr) return Usage("unknown target '" + o.target + "'");
  o.deterministic = r.Has("--deterministic");
  signal(SIGINT, OnStop);
  signal(SIGTERM, OnStop);
  campaign::RunExploreWorker(o, stop);
  return kExitClean;
}

}  // namespace crashdiff::cli
