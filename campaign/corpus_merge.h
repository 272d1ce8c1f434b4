// Minimizing a long campaign's corpus: libFuzzer's -merge=1 copies into a fresh directory the inputs that keep every
// feature of the corpus, which then replaces corpus/ in one rename. A merge that fails, is interrupted or yields
// nothing leaves corpus/ as it was.
#pragma once

#include <signal.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace crashdiff::campaign {

struct MergeOutcome {
  bool replaced = false;  // corpus/ is now the merged directory
  size_t before = 0;      // inputs in corpus/ before
  size_t after = 0;       // and after
  std::string message;    // one line for the campaign's log: what happened, or why corpus/ was kept
};

// A campaign killed during a merge's swap can leave DIR/corpus.merge (a half-made merge, or the replaced corpus)
// and, where the kernel cannot exchange two directories, DIR/corpus.old (the corpus, moved aside) without
// DIR/corpus. Restores DIR/corpus from corpus.old when it is missing (or empty), then removes both leftovers. Call
// it before anything judges the corpus (a resume, the start line).
void RecoverCorpus(const std::filesystem::path& dir);

// Runs `fuzzer -merge=1 DIR/corpus.merge DIR/corpus` (log in DIR/logs/merge.log, env added to the environment as for
// a worker) and swaps the result in. The workers must be stopped: they write into corpus/. stop (a signal flag)
// interrupts the merge, which then keeps corpus/.
MergeOutcome MergeCorpus(const std::filesystem::path& fuzzer, const std::vector<std::string>& env,
                         const std::filesystem::path& dir, const volatile sig_atomic_t& stop);

}  // namespace crashdiff::campaign
