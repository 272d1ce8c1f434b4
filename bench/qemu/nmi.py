#!/usr/bin/env python3
"""nmi.py SOCKET LOG SECONDS — one job: the operator's reset. Waits until the console LOG (tslog.py format) shows
the crash, sleeps SECONDS, sends the QEMU monitor's `nmi` command on the UNIX SOCKET (on powernv and pseries QEMU
delivers a system reset, vector 0x100, to every CPU: the kernel's "Activate system reset (dumprestart)"), and prints
one console-format line stamped in LOG's time base, which run.sh merges into LOG (tslog.py --merge)."""
import re
import sys
import time

from parse_console import CRASH, TS
from where import monitor

POLL = 0.2


def crash_stamp(path, give_up):
    """The host time stamp of LOG's crash line, or None if QEMU ended (give_up reached) first."""
    while time.monotonic() < give_up:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                for line in f:
                    m = TS.match(line.rstrip("\n"))
                    if m and CRASH.search(m.group(2)):
                        return float(m.group(1))
        except OSError:
            pass
        time.sleep(POLL)
    return None


def main(argv):
    if len(argv) != 4:
        print("usage: nmi.py SOCKET LOG SECONDS", file=sys.stderr)
        return 2
    sock, log, after = argv[1], argv[2], float(argv[3])
    t0 = crash_stamp(log, time.monotonic() + 3600)
    if t0 is None:
        return 0
    seen = time.monotonic()  # up to POLL after the crash line was written
    time.sleep(after)
    try:
        answer = monitor(sock, "nmi")
    except OSError as e:
        answer = f"error: {e.strerror}"
    t = t0 + (time.monotonic() - seen)
    # The monitor echoes the command with terminal escapes; only an error is worth the console line.
    err = next((l.strip() for l in answer.splitlines() if "rror" in l or "not supported" in l), "")
    print(f"[+{t:9.3f}] CDQ-HOST: nmi sent {after:g} s after the crash" + (f" (QEMU: {err})" if err else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
