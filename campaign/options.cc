#include "campaign/options.h"

#include "proto/family_name.h"

namespace crashdiff::campaign {

std::string CheckFuzzOptions(const FuzzOptions& o) {
  if (o.fresh && o.report) return "--fresh starts a campaign over; --report only reads one";
  if (!o.family.empty() && !ParseFamilyName(o.family)) return "--family is ppc, x86 or arm64";
  if (o.engine != "libfuzzer" && o.engine != "afl") return "--engine is libfuzzer or afl";
  if (o.runs > 0 && o.engine == "afl") return "--runs is for --engine libfuzzer";
  if (o.explore > 0 && o.engine == "afl") return "--explore is for --engine libfuzzer";
  // The explorer works alongside the fuzzers for the campaign's time: what it reaches depends on the clock.
  if (o.explore > 0 && o.runs > 0) return "--explore works for the campaign's --time; it does not combine with --runs";
  return "";
}

}  // namespace crashdiff::campaign
