#!/bin/sh
# ctest: scenario_to_qemu.py reads every scenario of the corpus (a run.sh command, or "not confirmable by
# emulation"; never a file it cannot read), and maps the row-J seed to the command docs/QEMU.md ran.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
status=0
out=$(python3 "$here/scenario_to_qemu.py" "$root"/corpus/seeds/*/*.textproto "$root"/corpus/findings/*/*.textproto \
  "$root"/corpus/regressions/*.textproto) || { echo "$out" | grep ': ERROR'; status=1; }
mapped=$(echo "$out" | grep -c ': bench/qemu/run.sh')
[ "$mapped" -gt 0 ] || { echo "FAIL: no scenario of the corpus maps to a QEMU run"; status=1; }
want="bench/qemu/run.sh --arch ppc64 --machine powernv8 --smp 4 --maxcpus 3 --offline 1 --crash-cpu 0 --panic-timeout 0 --nmi-at 60"
got=$(python3 "$here/scenario_to_qemu.py" "$root/corpus/seeds/ppc/j_operator_wait_never_started.textproto" | head -1)
if [ "$got" != "$want" ]; then
  echo "FAIL: row J maps to '$got', expected '$want'"
  status=1
fi
exit $status
