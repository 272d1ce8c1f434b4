#!/usr/bin/env python3
"""where.py SOCKET SYMBOLS — one job: where every vCPU is now. Asks the QEMU human monitor on the UNIX SOCKET
for every CPU's registers and prints one line per CPU: its program counter and the kernel symbol (from the
kernel's System.map or vmlinux) or "(not kernel text)". Used by run.sh --where S to see where a stalled guest spins.
On ppc it adds LR and SRR0/SRR1 (where the last interrupt was taken, and its cause bits).
With CDQ_PEEK=sym1,sym2 (ppc64: symbols from the vmlinux) it also prints each variable's first 32-bit word, read
from guest physical memory (the linear map: virtual address minus 0xc000000000000000), as a little-endian word."""
import bisect
import os
import re
import socket
import subprocess
import sys
import time


def monitor(path, command):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.settimeout(1)  # the answer comes at once; a second of silence ends it
    data = b""
    s.sendall(command.encode() + b"\n")
    end = time.monotonic() + 10
    while time.monotonic() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode("utf-8", "replace")


def all_symbols(path):
    with open(path, "rb") as f:
        elf = f.read(4) == b"\x7fELF"
    listing = subprocess.run(["nm", path], capture_output=True, text=True).stdout if elf else open(path).read()
    return [(int(p[0], 16), p[2]) for p in (l.split() for l in listing.splitlines()) if len(p) == 3]


def symbols(path):
    """System.map, or an unstripped vmlinux (Debian's System.map is a stub; its ppc64 vmlinux keeps .symtab)."""
    table = []
    with open(path, "rb") as f:
        elf = f.read(4) == b"\x7fELF"
    listing = subprocess.run(["nm", path], capture_output=True, text=True).stdout if elf else open(path).read()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in ("t", "T", "w", "W") and not parts[2].startswith("0000"):
            table.append((int(parts[0], 16), parts[2]))
    table.sort()
    return table


def symbolize(table, pc):
    i = bisect.bisect_right([a for a, _ in table], pc) - 1
    if i < 0 or pc - table[i][0] > 0x10000:
        return "(not kernel text)"
    return f"{table[i][1]}+{pc - table[i][0]:#x}"


def main(argv):
    if len(argv) != 3:
        print("usage: where.py SOCKET SYMBOLS", file=sys.stderr)
        return 2
    # Ask QEMU first: reading the symbols (nm of a 45 MB vmlinux) takes seconds on a loaded machine.
    try:
        text = monitor(argv[1], "info registers -a")
    except OSError as e:
        print(f"where: no QEMU monitor ({e.strerror}): QEMU has ended")
        return 0
    data = all_symbols(argv[2]) if os.environ.get("CDQ_PEEK") else []
    peeks = []
    for name in filter(None, os.environ.get("CDQ_PEEK", "").split(",")):
        addr = next((a for a, n in data if n == name), None)
        # Four bytes, assembled little-endian: the guests are little-endian, QEMU's ppc64 `xp /1wx` reads big-endian.
        answer = monitor(argv[1], f"xp /4bx {addr & 0x0FFFFFFFFFFFFFFF:#x}") if addr is not None else ""
        m = re.search(r":((?:\s*0x[0-9a-fA-F]{2}){4})", answer)
        value = int.from_bytes(bytes(int(b, 16) for b in m.group(1).split()), "little") if m else None
        peeks.append(f"where: {name} = {value if m else '? (no such symbol)'}")
    table = symbols(argv[2])
    # One block per CPU: "CPU#n" then registers; the program counter is NIP (ppc), RIP (x86) or PC (arm64).
    # ppc also shows LR (the caller, when the CPU spins in a leaf such as __delay) and SRR0/SRR1 (where the last
    # interrupt was taken and why: a CPU found in an exception vector shows what brought it there).
    blocks = []
    for line in text.splitlines():
        m = re.search(r"CPU#(\d+)", line)
        if m:
            blocks.append((m.group(1), []))
        if blocks:
            blocks[-1][1].append(line)
    for cpu, lines in blocks:
        regs = "\n".join(lines)
        m = re.search(r"\b(?:NIP|RIP|PC)\s*[=:]?\s*([0-9a-fA-F]{8,16})", regs)
        if not m:
            continue
        pc = int(m.group(1), 16)
        lr = re.search(r"\bLR\s+([0-9a-fA-F]{8,16})", regs)
        caller = f" lr={symbolize(table, int(lr.group(1), 16))}" if lr else ""
        srr = re.search(r"\bSRR0\s+([0-9a-fA-F]{16})\s+SRR1\s+([0-9a-fA-F]{16})", regs)
        last = f" srr0={int(srr.group(1), 16):#x} {symbolize(table, int(srr.group(1), 16))} srr1={int(srr.group(2), 16):#x}" if srr else ""
        print(f"where: cpu{cpu} pc={pc:#x} {symbolize(table, pc)}{caller}{last}")
    for line in peeks:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
