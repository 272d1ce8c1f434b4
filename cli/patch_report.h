// Printing a patch evaluation (minimize/patch_eval.h): shared by `crashdiff patch` and `crashdiff regress --base`.
#pragma once

#include <string>

#include "minimize/patch_eval.h"

namespace crashdiff::cli {

// Looks up --target and --base: both registered, same family. Prints the error (prefixed with command) and
// returns false otherwise.
bool FindPatchAndBase(const char* command, const std::string& patch, const std::string& base,
                      const TargetSpec*& patch_spec, const TargetSpec*& base_spec);

// Writes reproducers into out (if not empty), prints the report (text or JSON) and returns the exit code:
// 2 on unreadable inputs or write errors, 1 when a root cause is introduced, else 0.
int FinishPatchReport(PatchReport& report, const TargetSpec& patch, const TargetSpec& base, const PatchOptions& options,
                      const std::string& out, bool json);

}  // namespace crashdiff::cli
