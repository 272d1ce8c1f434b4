#!/usr/bin/env python3
"""tslog.py FILE — one job: copy the guest's serial console (stdin) to FILE, each line prefixed with the host's
seconds since start ("[+   12.345] "), so that times across the crash (two kernels, two clocks) are comparable.
tslog.py FILE PIDFILE: also end QEMU (SIGTERM to the pid in PIDFILE) 2 s after the capture kernel's "CDQ: capture
done": its poweroff does not end QEMU on every machine (powernv without the default IPMI BMC).
tslog.py --merge FILE EXTRA: insert EXTRA's lines (same format, e.g. nmi.py's) into FILE in time order."""
import os
import signal
import sys
import threading
import time

DONE = "CDQ: capture done"


def merge(path, extra):
    def stamp(line):
        try:
            return float(line[2:line.index("]")])
        except ValueError:
            return 0.0

    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.readlines()
    with open(extra, encoding="utf-8", errors="replace") as f:
        lines += [l if l.endswith("\n") else l + "\n" for l in f if l.strip()]
    lines.sort(key=stamp)  # stable: console lines keep their order
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(lines)


if len(sys.argv) == 4 and sys.argv[1] == "--merge":
    merge(sys.argv[2], sys.argv[3])
    sys.exit(0)
def stop_later(pidfile):
    def stop():
        try:
            with open(pidfile) as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)
        except (OSError, ValueError):
            pass  # QEMU already ended

    threading.Timer(2.0, stop).start()


start = time.monotonic()
pidfile = sys.argv[2] if len(sys.argv) == 3 else None
with open(sys.argv[1], "w", encoding="utf-8", errors="replace") as out:
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
        out.write(f"[+{time.monotonic() - start:9.3f}] {line}\n")
        out.flush()
        if pidfile and DONE in line:
            stop_later(pidfile)
            pidfile = None
