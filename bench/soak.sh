#!/usr/bin/env bash
# Soak benchmark for campaigns that run unattended (docs/PERFORMANCE.md "Soak"): one campaign on all families with
# the ASan+UBSan libFuzzer harness ($CRASHDIFF_FUZZER), its parent killed with SIGKILL every --kill-every seconds
# and resumed on the same --out each time, for --minutes in all. Run it as `./crashdiff soak [options]`, which
# builds the sanitized harness first. Afterwards it checks, and prints a table of every segment:
#   - no worker outlived its parent (workers still running 2 s after the kill are counted, then removed);
#   - nothing recorded before a kill is missing (every finding file seen before a kill is there at the end);
#   - every finding replays (`fuzz --report`: none "no longer reproduce");
#   - RSS stays flat (the workers' peak RSS per segment, summed over workers).
# Exit 0 when every check holds, 1 otherwise, 2 on bad usage.
#   bench/soak.sh CRASHDIFF_BIN [--minutes 60] [--kill-every 300] [--jobs 2] [--out DIR]
set -uo pipefail

usage() {
  echo "usage: bench/soak.sh CRASHDIFF_BIN [--minutes M] [--kill-every S] [--jobs N] [--out DIR]" >&2
  exit 2
}
[ $# -ge 1 ] || usage
BIN="$1"; shift
MINUTES=60; KILL_EVERY=300; JOBS=2; OUT="${TMPDIR:-/tmp}/crashdiff-soak"
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) MINUTES="${2:-}"; shift 2 ;;
    --kill-every) KILL_EVERY="${2:-}"; shift 2 ;;
    --jobs) JOBS="${2:-}"; shift 2 ;;
    --out) OUT="${2:-}"; shift 2 ;;
    *) usage ;;
  esac
done
for n in "$MINUTES" "$KILL_EVERY" "$JOBS"; do [[ "$n" =~ ^[1-9][0-9]*$ ]] || usage; done
[ -x "$BIN" ] || { echo "soak: $BIN is not executable" >&2; exit 2; }
[ -n "${CRASHDIFF_FUZZER:-}" ] || echo "soak: CRASHDIFF_FUZZER is not set: the campaign uses its default harness" >&2

CAMPAIGN="$OUT/campaign"
NOTES="$OUT/soak"
rm -rf "$OUT"
mkdir -p "$NOTES"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# The worker processes of this campaign: libFuzzer harnesses whose command line names its corpus.
workers() { pgrep -f -- "$CAMPAIGN/corpus" || true; }
rss_kb() { local s=0 p r; for p in $(workers); do r=$(ps -o rss= -p "$p" 2>/dev/null || echo 0); s=$((s + ${r:-0})); done; echo "$s"; }
status_field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], ''))" "$CAMPAIGN/status.json" "$1" 2>/dev/null || echo "?"; }

end=$((SECONDS + MINUTES * 60))
segment=0 orphans_total=0 killed_total=0
printf '| segment | seconds | ended by | workers left after the kill | peak worker RSS (MB) | findings | executions (campaign) |\n'
printf '|---|---|---|---|---|---|---|\n'
while [ $SECONDS -lt "$end" ]; do
  segment=$((segment + 1))
  left=$((end - SECONDS))
  run=$((left < KILL_EVERY ? left : KILL_EVERY))
  start=$SECONDS
  # The campaign gets all the time that is left; the kill comes first unless this is the last segment.
  setsid "$BIN" fuzz --out "$CAMPAIGN" --time "$left" --jobs "$JOBS" >"$NOTES/segment-$segment.log" 2>&1 &
  pid=$!
  # The last segment is not killed: it gets its --time plus 120 s to resume, fuzz, re-judge and write its report.
  [ "$run" -eq "$left" ] && run=$((left + 120))
  peak=0
  while kill -0 "$pid" 2>/dev/null && [ $((SECONDS - start)) -lt "$run" ]; do
    sleep 5
    r=$(rss_kb); [ "$r" -gt "$peak" ] && peak=$r
  done
  ls "$CAMPAIGN/findings" 2>/dev/null | sort >"$NOTES/before-kill-$segment.txt"
  ended="finished"
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"; ended="SIGKILL"; killed_total=$((killed_total + 1))
  fi
  wait "$pid" 2>/dev/null
  sleep 2
  left_behind=$(workers | wc -l)
  orphans_total=$((orphans_total + left_behind))
  [ "$left_behind" -gt 0 ] && pkill -9 -f -- "$CAMPAIGN/corpus"
  findings=$(ls "$CAMPAIGN/findings" 2>/dev/null | wc -l)
  printf '| %d | %d | %s | %d | %d | %d | %s |\n' "$segment" $((SECONDS - start)) "$ended" "$left_behind" \
    $((peak / 1024)) "$findings" "$(status_field execs_total)"
done

# Nothing recorded before a kill is missing at the end.
ls "$CAMPAIGN/findings" 2>/dev/null | sort >"$NOTES/at-end.txt"
lost=$(cat "$NOTES"/before-kill-*.txt | sort -u | comm -23 - "$NOTES/at-end.txt" | wc -l)
# Every finding still shows its signature.
"$BIN" fuzz --out "$CAMPAIGN" --report >"$NOTES/report.txt" 2>&1
gone=$(sed -n 's/.*; \([0-9]*\) no longer reproduce.*/\1/p' "$NOTES/report.txt" | head -1)
gone=${gone:-?}

echo
echo "segments: $segment ($killed_total ended by SIGKILL); workers that outlived their parent: $orphans_total"
echo "findings recorded before a kill and missing at the end: $lost; findings that no longer reproduce: $gone"
sanitized=$(grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$CAMPAIGN"/logs/* 2>/dev/null | wc -l)
crashes=$(ls "$CAMPAIGN/crashes" 2>/dev/null | wc -l)
echo "worker logs with a sanitizer report: $sanitized; harness crash inputs: $crashes"
[ "$orphans_total" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$gone" = "0" ] && [ "$sanitized" -eq 0 ] && [ "$crashes" -eq 0 ]
