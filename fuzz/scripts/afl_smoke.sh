#!/bin/bash
# AFL++ smoke run: ~20 s of afl-fuzz on the AFL-instrumented harness with the crashdiff custom mutator only
# (AFL_CUSTOM_MUTATOR_ONLY=1), then checks that fuzzer_stats records execs_done > 0.
# Usage: afl_smoke.sh AFL_HARNESS MUTATOR_SO SEED_DIR [SECONDS]
set -u
harness="$1" mutator="$2" seeds="$3" seconds="${4:-20}"
work="$(mktemp -d /tmp/crashdiff-afl-smoke.XXXXXX)"
mkdir -p "$work/in" "$work/findings"
# AFL++ wants at least one input; binary seeds are written by the harness' own format, text seeds also parse.
find "$seeds" -type f \( -name '*.textproto' -o -name '*.pb' \) | head -50 | while read -r f; do cp "$f" "$work/in/"; done
[ -n "$(ls "$work/in")" ] || printf 'machine { family: PPC platform: POWER9_DOORBELL_XIVE cores: 1 threads_per_core: 2 offline: 1 }\nevents { kind: PANIC cpus: 0 trigger { at_step: 0 } }\n' >"$work/in/minimal.textproto"
AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 \
AFL_CUSTOM_MUTATOR_LIBRARY="$(readlink -f "$mutator")" AFL_CUSTOM_MUTATOR_ONLY=1 \
CRASHDIFF_FINDINGS_DIR="$work/findings" \
  afl-fuzz -V "$seconds" -i "$work/in" -o "$work/out" -- "$harness" >"$work/afl.log" 2>&1
rc=$?
stats="$work/out/default/fuzzer_stats"
execs=$(awk -F: '/^execs_done/ {gsub(/ /, "", $2); print $2}' "$stats" 2>/dev/null)
rate=$(awk -F: '/^execs_per_sec/ {gsub(/ /, "", $2); print $2}' "$stats" 2>/dev/null)
echo "afl-fuzz exit $rc, execs_done=${execs:-0}, execs_per_sec=${rate:-0}, findings=$(ls "$work/findings" | wc -l), work=$work"
grep -q 'Custom mutator .* installed successfully' "$work/afl.log" || { echo "custom mutator not loaded"; tail -20 "$work/afl.log"; exit 1; }
[ "${execs:-0}" -gt 0 ] || { tail -20 "$work/afl.log"; exit 1; }
rm -rf "$work"
