#!/usr/bin/env python3
"""tslog.py FILE — one job: copy the guest's serial console (stdin) to FILE, each line prefixed with the host's
seconds since start ("[+   12.345] "), so that times across the crash (two kernels, two clocks) are comparable."""
import sys
import time

start = time.monotonic()
with open(sys.argv[1], "w", encoding="utf-8", errors="replace") as out:
    for raw in sys.stdin.buffer:
        line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
        out.write(f"[+{time.monotonic() - start:9.3f}] {line}\n")
        out.flush()
