#include "campaign/engine.h"

#include <algorithm>

namespace crashdiff::campaign {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHarnessVariables[] = {"CRASHDIFF_FINDINGS_DIR", "CRASHDIFF_DETERMINISTIC", "CRASHDIFF_FAMILY",
                                             "CRASHDIFF_TARGET",       "CRASHDIFF_SEEDS",         "CRASHDIFF_MUTATOR"};

}  // namespace

std::vector<std::string> HarnessEnvironment(const HarnessEnv& e) {
  std::vector<std::string> env;
  if (!e.findings.empty()) env.push_back("CRASHDIFF_FINDINGS_DIR=" + fs::absolute(e.findings).string());
  if (e.deterministic) env.push_back("CRASHDIFF_DETERMINISTIC=1");
  if (!e.family.empty()) env.push_back("CRASHDIFF_FAMILY=" + e.family);
  if (!e.target.empty()) env.push_back("CRASHDIFF_TARGET=" + e.target);
  if (!e.seeds.empty()) env.push_back("CRASHDIFF_SEEDS=" + fs::absolute(e.seeds).string());
  if (e.bytes) env.push_back("CRASHDIFF_MUTATOR=bytes");
  return env;
}

std::vector<std::string> HarnessVariablesUnset(const HarnessEnv& e) {
  const std::vector<std::string> set = HarnessEnvironment(e);
  std::vector<std::string> out;
  for (const char* name : kHarnessVariables) {
    const std::string prefix = std::string(name) + "=";
    if (std::none_of(set.begin(), set.end(), [&](const std::string& s) { return s.rfind(prefix, 0) == 0; })) {
      out.emplace_back(name);
    }
  }
  return out;
}

std::vector<std::string> LibFuzzerArgv(const LibFuzzerRun& run) {
  std::vector<std::string> argv = {run.fuzzer.string()};
  if (!run.dict.empty()) argv.push_back("-dict=" + run.dict.string());
  argv.push_back("-max_total_time=" + std::to_string(std::max(1, run.seconds)));
  argv.push_back("-seed=" + std::to_string(run.seed));
  if (run.runs) argv.push_back("-runs=" + std::to_string(*run.runs));
  argv.push_back("-print_final_stats=1");
  // NEW_FUNC lines symbolize each newly covered function, which starts llvm-symbolizer on the harness's debug
  // information: seconds of a short campaign's time, for log lines nobody reads.
  argv.push_back("-print_funcs=0");
  if (run.reload) argv.push_back(*run.reload ? "-reload=1" : "-reload=0");
  argv.push_back("-max_len=" + std::to_string(kMaxInputBytes));
  argv.push_back("-timeout=" + std::to_string(kInputTimeoutSeconds));
  argv.push_back("-artifact_prefix=" + run.artifacts.string() + "/");
  for (const fs::path& dir : run.corpus) argv.push_back(dir.string());
  return argv;
}

std::vector<std::string> LibFuzzerMergeArgv(const fs::path& fuzzer, const fs::path& control, const fs::path& artifacts,
                                            const fs::path& merged, const fs::path& corpus) {
  return {fuzzer.string(),
          "-merge=1",
          "-merge_control_file=" + control.string(),
          "-max_len=" + std::to_string(kMaxInputBytes),
          "-timeout=" + std::to_string(kInputTimeoutSeconds),
          "-artifact_prefix=" + artifacts.string() + "/",
          merged.string(),
          corpus.string()};
}

std::vector<std::string> AflArgv(const AflRun& run) {
  return {run.afl_fuzz.string(),
          "-V",
          std::to_string(std::max(1, run.seconds)),
          "-i",
          fs::absolute(run.seeds).string(),
          "-o",
          fs::absolute(run.out).string(),
          run.index == 0 ? "-M" : "-S",
          "w" + std::to_string(run.index),
          "--",
          run.harness.string()};
}

std::vector<std::string> AflEnvironment(const AflRun& run) {
  return {"AFL_CUSTOM_MUTATOR_LIBRARY=" + fs::absolute(run.mutator).string(),
          "AFL_NO_UI=1",
          "AFL_SKIP_CPUFREQ=1",
          "AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1",
          "AFL_NO_AFFINITY=1",
          "AFL_AUTORESUME=1"};  // a resumed campaign's afl/ holds the previous session's queue
}

namespace {

WorkerSpawn Spawn(std::vector<std::string> argv, std::vector<std::string> extra_env, const EngineProcess& p) {
  WorkerSpawn spawn;
  spawn.argv = std::move(argv);
  spawn.env = HarnessEnvironment(p.harness);
  spawn.env.insert(spawn.env.end(), extra_env.begin(), extra_env.end());
  if (p.isolated) spawn.unset = HarnessVariablesUnset(p.harness);
  spawn.log = p.log;
  spawn.working_dir = p.working_dir;
  spawn.fixed_addresses = p.fixed_addresses;
  return spawn;
}

}  // namespace

WorkerSpawn LibFuzzerSpawn(const LibFuzzerRun& run, const EngineProcess& process) {
  return Spawn(LibFuzzerArgv(run), {}, process);
}

WorkerSpawn AflSpawn(const AflRun& run, const EngineProcess& process) {
  return Spawn(AflArgv(run), AflEnvironment(run), process);
}

}  // namespace crashdiff::campaign
