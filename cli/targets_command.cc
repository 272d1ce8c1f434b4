#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "targets/target.h"
#include "util/join.h"
#include "util/json.h"

namespace crashdiff::cli {

int TargetsCommand(const Args& args) {
  ArgReader r(args, {}, {"--json"});
  if (!r.ok() || !r.positionals().empty()) {
    std::fprintf(stderr, "crashdiff targets: %s\n", r.ok() ? "takes no arguments" : r.error().c_str());
    return kExitUsage;
  }
  if (r.Has("--json")) {
    JsonWriter j;
    j.BeginArray();
    for (const TargetSpec* t : AllTargets()) {
      j.BeginObject().Key("name").String(t->name).Key("family").String(pb::Family_Name(t->family));
      j.Key("platforms").BeginArray();
      for (pb::Platform p : t->platforms) j.String(pb::Platform_Name(p));
      j.EndArray().Key("models").String(t->models).Key("summary").String(t->summary);
      j.Key("known").BeginArray();
      for (const KnownDivergence& k : t->known) {
        j.BeginObject().Key("property").String(k.property).Key("role").String(k.role).Key("what").String(k.what);
        j.Key("labels").BeginArray();
        for (const std::string& l : k.labels) j.String(l);
        j.EndArray().Key("platforms").BeginArray();
        for (pb::Platform p : k.platforms) j.String(pb::Platform_Name(p));
        j.EndArray().Key("description").String(Describe(k)).Key("fixed_by").String(k.fixed_by);
        j.Key("note").String(k.note).EndObject();
      }
      j.EndArray().Key("not_applicable").BeginArray();
      for (const NotApplicable& n : t->not_applicable) {
        j.BeginObject().Key("property").String(n.property).Key("platforms").BeginArray();
        for (pb::Platform p : n.platforms) j.String(pb::Platform_Name(p));
        j.EndArray().Key("reason").String(n.reason).EndObject();
      }
      j.EndArray().EndObject();
    }
    j.EndArray();
    std::printf("%s\n", j.str().c_str());
    return kExitClean;
  }
  if (AllTargets().empty()) std::printf("(no targets registered)\n");
  for (const TargetSpec* t : AllTargets()) {
    std::printf("%-34s %-6s %s\n", t->name.c_str(), pb::Family_Name(t->family).c_str(), t->summary.c_str());
    const std::string platforms = Join(t->platforms, ", ", [](pb::Platform p) { return pb::Platform_Name(p); });
    std::printf("%-34s platforms: %s\n%-34s models: %s\n", "", platforms.c_str(), "", t->models.c_str());
    for (const KnownDivergence& k : t->known) {
      std::printf("%-34s known: %s%s%s\n", "", Describe(k).c_str(), k.fixed_by.empty() ? "" : " (fixed by ",
                  k.fixed_by.empty() ? "" : (k.fixed_by + ")").c_str());
    }
    for (const NotApplicable& n : t->not_applicable) {
      std::string where;
      for (pb::Platform p : n.platforms) where += (where.empty() ? " on " : ",") + pb::Platform_Name(p);
      std::printf("%-34s not checked: %s%s (%s)\n", "", n.property.c_str(), where.c_str(), n.reason.c_str());
    }
  }
  // Mutants are not kernels: they run only when named (--target), so they are listed apart, by name and purpose.
  const std::vector<const TargetSpec*> mutants = TestOnlyTargets();
  if (!mutants.empty()) std::printf("\nnot kernel trees (test mutants and suggested fixes; run only with --target):\n");
  for (const TargetSpec* t : mutants) {
    std::printf("%-34s %-6s %s\n", t->name.c_str(), pb::Family_Name(t->family).c_str(), t->summary.c_str());
  }
  return kExitClean;
}

}  // namespace crashdiff::cli
