#!/bin/bash
# Emulates OSS-Fuzz's build and its build checks locally, without Docker (fuzz/README.md):
#   1. build.sh with OSS-Fuzz's ASan + libFuzzer flags (clang-19 first in PATH) into a scratch $OUT;
#   2. the binary is ASan- and coverage-instrumented;
#   3. it runs: -seed=1337 -runs=4 (what OSS-Fuzz's check_build does), exit 0;
#   4. enough coverage: the seed corpus reaches at least MIN_EDGES edges ("INITED cov: N");
#   5. the seed corpus does not crash in OSS-Fuzz mode (a new divergence would abort);
#   6. .options, .dict and the seed-corpus zip are in $OUT.
# Usage: fuzz/oss-fuzz/check_build.sh [OUT_DIR]      Exit 0 when every check passes.
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export OUT="${1:-$ROOT/build-ossfuzz/out}" WORK="$ROOT/build-ossfuzz/work"
MIN_EDGES="${MIN_EDGES:-100}"
mkdir -p "$OUT" "$WORK"
export PATH=/usr/lib/llvm-19/bin:$PATH CC=clang CXX=clang++
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS -stdlib=libc++" LIB_FUZZING_ENGINE="-fsanitize=fuzzer"  # build.sh must drop -stdlib=libc++

failures=0
check() { if [ "$1" = 0 ]; then echo "PASS: $2"; else echo "FAIL: $2"; failures=$((failures + 1)); fi; }

"$ROOT/fuzz/oss-fuzz/build.sh" >"$WORK/build.log" 2>&1
check $? "build.sh (log: $WORK/build.log)"
FUZZER="$OUT/crashdiff_fuzzer"
[ -x "$FUZZER" ] || { echo "FAIL: no $FUZZER"; exit 1; }

nm -C "$FUZZER" 2>/dev/null | grep -q '__asan_init'; check $? "ASan instrumentation present"
nm -C "$FUZZER" 2>/dev/null | grep -q '__sanitizer_cov_trace_pc_guard\|__sancov_\|__sanitizer_cov_8bit_counters_init'
check $? "SanitizerCoverage instrumentation present"

(cd "$WORK" && "$FUZZER" -seed=1337 -runs=4 >"$WORK/runs4.log" 2>&1); check $? "-seed=1337 -runs=4 runs cleanly"

SEEDS="$WORK/seeds"; rm -rf "$SEEDS"; mkdir -p "$SEEDS"
if [ -f "$OUT/crashdiff_fuzzer_seed_corpus.zip" ]; then (cd "$SEEDS" && unzip -q "$OUT/crashdiff_fuzzer_seed_corpus.zip"); fi
# OSS-Fuzz mode (no CRASHDIFF_FINDINGS_DIR): an unexpected divergence in a seed aborts, which fails this check.
(cd "$WORK" && "$FUZZER" -runs=0 "$SEEDS" >"$WORK/seeds.log" 2>&1)
check $? "seed corpus ($(ls "$SEEDS" | wc -l) inputs) does not crash (log: $WORK/seeds.log)"
grep -h '^crashdiff divergence: ' "$WORK/seeds.log" | sed 's/^/      /'
# Coverage in campaign mode, so that a diverging seed does not stop the count.
(cd "$WORK" && CRASHDIFF_FINDINGS_DIR="$WORK/findings" "$FUZZER" -runs=0 "$SEEDS" >"$WORK/coverage.log" 2>&1)
edges=$(grep -o 'INITED cov: [0-9]*' "$WORK/coverage.log" | grep -o '[0-9]*$' | tail -1)
[ "${edges:-0}" -ge "$MIN_EDGES" ]; check $? "coverage from the seed corpus: ${edges:-0} edges (>= $MIN_EDGES)"

for f in crashdiff_fuzzer.options scenario.dict crashdiff_fuzzer_seed_corpus.zip; do
  [ -s "$OUT/$f" ]; check $? "$f in \$OUT"
done
echo "$failures check(s) failed"
exit $((failures > 0))
