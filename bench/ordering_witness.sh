#!/bin/sh
# ordering_witness.sh — how long `crashdiff fuzz --target MUTANT` needs to find a dynamic ordering witness, and
# whether the real target stays clean on it. A mutant is a real target with one ordering removed (test-only,
# docs/SIMULATOR.md "Store buffers"); a witness is a NEW finding on it of an ordering property on a store-buffer
# machine (memory_model ARCHITECTURE, where PR4 is dynamic; on sequential machines PR4 is only a lint over the
# executed steps): a run that reads a store its crash wake overtook (PR4) or loses a wake to a reordered clear (PR3).
#
#   bench/ordering_witness.sh [--trials N] [--time S] [--pairs 'MUTANT=REAL ...']
#
# Each trial is a fresh one-job campaign (one core) of at most S seconds (default 60) from corpus/seeds, stopped at
# its end; the trial's figure is the earliest NEW finding's found-after-ms (the harness's own clock, start-up and
# label learning excluded) and found-after-execs. Each witness is then replayed on the real target with
# `crashdiff run --target REAL`, which must not show the witness's property there. Prints one line per trial and a
# median per mutant. Not part of CI (minutes of fuzzing).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
trials=5 limit=60
pairs="ppc-mutant-no-offline-barrier=ppc-upstream-clear-then-check x86-mutant-unordered-shootdown=x86-mwait-fixed"
while [ $# -gt 0 ]; do
  case $1 in
    --trials) trials=$2 ;; --time) limit=$2 ;; --pairs) pairs=$2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "ordering_witness.sh: $1: unknown option (--help)" >&2; exit 2 ;;
  esac
  shift 2
done
cd "$here"
./crashdiff setup >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

header() { sed -n "s/^# $2: //p" "$1" | head -1; }

for pair in $pairs; do
  mutant=${pair%%=*} real=${pair#*=}
  times=""
  for i in $(seq 1 "$trials"); do
    out=$work/$mutant-$i
    ./crashdiff fuzz --target "$mutant" --time "$limit" --jobs 1 --fresh --out "$out" >"$out.log" 2>&1 || true
    best="" best_file=""
    for f in "$out"/findings/*.textproto; do
      [ -f "$f" ] || continue
      [ "$(header "$f" known)" = "no" ] || continue
      case $(header "$f" property) in PR3|PR4) ;; *) continue ;; esac
      grep -q "memory_model: ARCHITECTURE" "$f" || continue
      ms=$(header "$f" found-after-ms)
      [ -n "$ms" ] || continue
      if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms best_file=$f; fi
    done
    if [ -z "$best" ]; then
      echo "$mutant trial $i: no witness within ${limit} s"
      times="$times 999999999"
      continue
    fi
    property=$(header "$best_file" property)
    execs=$(header "$best_file" found-after-execs)
    if ./build/crashdiff run "$best_file" --target "$real" | grep -q "  $property "; then
      clean="NOT clean: $real shows $property too"
    else
      clean="$real clean on it"
    fi
    echo "$mutant trial $i: $property $(header "$best_file" signature) after $best ms, $execs execs; $clean"
    times="$times $best"
  done
  median=$(echo "$times" | tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  if [ "$median" = 999999999 ]; then
    echo "$mutant: median > ${limit} s over $trials trials"
  else
    echo "$mutant: median $median ms over $trials trials"
  fi
done
