#!/bin/sh
# test_parser.sh — ctest's check of parse_console.py: each testdata/NAME.log (a recorded console excerpt, or a
# synthetic-*.log written by hand in the same format) must summarize to testdata/NAME.expected, with the options
# in testdata/NAME.args if present. Runs no QEMU.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for log in "$here"/testdata/*.log; do
  name=${log%.log}
  args=$(cat "$name.args" 2>/dev/null || true)
  if ! python3 "$here/parse_console.py" "$log" $args | diff -u "$name.expected" -; then
    echo "FAIL: $(basename "$log")"; fail=1
  fi
done
exit $fail
