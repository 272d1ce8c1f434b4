#!/usr/bin/env python3
"""parse_console.py LOG [--timed-out SECONDS] — one job: the facts of one crash run read from its serial console.

LOG is written by tslog.py: every line is "[+SECONDS] text", SECONDS the host time since QEMU started (lines
without the prefix are accepted, then no times are printed). The guest's /init prints "CDQ: ..." markers
(init.sh); the capture kernel's "CDQ: old kernel: ..." lines are the old kernel's log after its panic, read out of
/proc/vmcore (vmcore-dmesg): on ppc the crash path's printk never reaches the console (printk_deferred_enter() in
default_machine_crash_shutdown), so they are the only place its "ERROR: N cpu(s) not responding" can be read. They
are reported as "old kernel:" facts and kept out of the console's facts. "CDQ-HOST: nmi sent ..." is run.sh
--nmi-at's operator reset (nmi.py). --timed-out S says the run was stopped by run.sh's timeout after S seconds: the summary then reports a
stall with the last console lines. Prints one "fact: value" line per fact, and exits 0."""
import re
import sys

TS = re.compile(r"^\[\+\s*([0-9.]+)\] ?(.*)$")
KTIME = re.compile(r"^\[\s*[0-9]+\.[0-9]+\] ")  # the kernel's own printk time stamp
BANNER = re.compile(r"(?:^|\] )Linux version (\S+)")
CRASH = re.compile(r"sysrq: Trigger a crash|SysRq : Trigger a crash")
NOT_RESPONDING = re.compile(r"ERROR: \d+ cpu\(s\) not responding")
OPERATOR = re.compile(r"Activate system reset \(dumprestart\)")
IPI_COMPLETE = re.compile(r"IPI complete")
X86_SHOOTDOWN = re.compile(r"Shootdown timed out|NMI shootdown")
# skiboot (QEMU powernv): OPAL_SIGNAL_SYSTEM_RESET needs the core's special wakeup, which QEMU does not emulate.
FW_STALL = re.compile(r"Could not set special wakeup|SPECIAL_WKUP_DONE")
# skiboot prints a backtrace when an OPAL call waits too long for a job it gave another CPU (cpu_wait_job).
FW_JOB = re.compile(r"\.cpu_wait_job\+")
FW_CALL = re.compile(r"\.(opal_\w+)\+")
# After the hand-over, what only an old-kernel CPU (or a wake the capture kernel did not ask for) would print.
WAKE = re.compile(
    r"Oops|BUG:|Unable to handle|Bad kernel stack|machine check|Machine Check|System Reset|"
    r"Unexpected|unexpected|Bad trap|Uhhuh\. NMI|NMI received|spurious|Kernel panic|watchdog: BUG|hard LOCKUP|soft lockup|rcu_sched detected|rcu: INFO"
)
# The old kernel's crash path (ppc crash.c/kexec, x86 crash shootdown, arm64 crash_smp_send_stop) and resets.
OLD_PATH = re.compile(
    r"Sending IPI|IPI complete|not responding|Activate system reset|secondary CPUs|Starting crashdump kernel|"
    r"Shootdown|kexec: |Bye!|System Reset|NMI"
)
OLD = "CDQ: old kernel: "
NMI = re.compile(r"CDQ-HOST: nmi sent")
TAIL = 8


def read(path):
    lines = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = TS.match(raw)
            lines.append((float(m.group(1)), m.group(2)) if m else (None, raw))
    return lines


def first(lines, rx, start=0):
    """The first console line from start on that matches rx; the old kernel's log (read in the capture kernel)
    is not console output of the crash."""
    for i in range(start, len(lines)):
        if rx.search(lines[i][1]) and OLD not in lines[i][1]:
            return i
    return None


def ktime(t):
    m = re.match(r"^\[\s*([0-9]+\.[0-9]+)\] ", t)
    return float(m.group(1)) if m else None


def old_kernel(lines):
    """Facts from the old kernel's log: its crash-path lines, timed by its own clock from the panic line."""
    out = []
    for _, t in lines:
        if "CDQ: old kernel log: " in t or "CDQ: vmcore-dmesg failed" in t:
            out.append(("old kernel log", t.split("CDQ: ", 1)[1].split(": ", 1)[1]))
    old = [t.split(OLD, 1)[1] for _, t in lines if OLD in t]
    t0 = ktime(old[0]) if old else None
    for t in old:
        if OLD_PATH.search(t):
            dt = ktime(t)
            when = f" (+{dt - t0:.1f} s after the panic, old kernel's clock)" if dt is not None and t0 is not None else ""
            out.append(("old kernel", text(t) + when))
    sent = next((ktime(t) for t in old if "Sending IPI" in t), None)
    ends = [ktime(t) for t in old if "not responding" in t or "IPI complete" in t]
    if sent is not None and ends and ends[0] is not None:
        out.append(("old kernel responder wait", f"{ends[0] - sent:.1f} s by its clock (IPI_TIMEOUT: 10000 x mdelay(1))"))
    if old and not any(k == "old kernel" for k, _ in out):
        out.append(("old kernel", f"no crash-path line after the panic; last: {text(old[-1])}"))
    return out


def seconds(lines, a, b):
    ta, tb = lines[a][0], lines[b][0]
    return None if ta is None or tb is None else tb - ta


def text(line):
    return KTIME.sub("", line).strip()


def summarize(lines, timed_out):
    out = []
    fact = lambda k, v: out.append(f"{k}: {v}")
    boot = first(lines, BANNER)
    fact("kernel", BANNER.search(lines[boot][1]).group(1) if boot is not None else "no banner")
    for i, (_, t) in enumerate(lines):
        if "CDQ: first kernel up" in t or "CDQ: before crash" in t or "offline" in t and "CDQ: cpu" in t:
            fact("guest", text(t.split("CDQ: ", 1)[1]))
        if "CDQ: capture kernel loaded" in t or "CDQ: kexec -p failed" in t:
            fact("kexec", text(t.split("CDQ: ", 1)[1]))
    crash = first(lines, CRASH)
    if crash is None:
        fact("crash", "not reached")
    else:
        fact("crash", f"at +{lines[crash][0]:.1f} s" if lines[crash][0] is not None else "yes")
    start = crash or 0
    nr = first(lines, NOT_RESPONDING, start)
    fact("not responding", text(NOT_RESPONDING.search(lines[nr][1]).group(0)) if nr is not None else "none on the console")
    if nr is not None and crash is not None and seconds(lines, crash, nr) is not None:
        fact("not responding after crash", f"{seconds(lines, crash, nr):.1f} s")
    nmi = first(lines, NMI, start)
    if nmi is not None:
        fact("operator reset", text(lines[nmi][1].split("CDQ-HOST: ", 1)[1]))
    op = first(lines, OPERATOR, start)
    fact("operator wait", "yes (\"Activate system reset (dumprestart) to stop other cpu(s)\")" if op is not None else "not on the console")
    ipi = first(lines, IPI_COMPLETE, start)
    if ipi is not None:
        fact("ipi", "complete" + (f" after {seconds(lines, crash, ipi):.1f} s" if crash is not None and seconds(lines, crash, ipi) is not None else ""))
    sd = first(lines, X86_SHOOTDOWN, start)
    if sd is not None:
        fact("shootdown", text(lines[sd][1]))
    fw = first(lines, FW_STALL, start)
    if fw is not None:
        fact("firmware", f"skiboot's OPAL_SIGNAL_SYSTEM_RESET failed: \"{text(lines[fw][1])}\" "
                         f"(emulation limit: QEMU does not emulate the core's special wakeup)")
    job = first(lines, FW_JOB, start)
    if job is not None:
        call = next((FW_CALL.search(t).group(1) for _, t in lines[job:job + 4] if FW_CALL.search(t)), "an OPAL call")
        when = f" (+{seconds(lines, crash, job):.1f} s after the crash)" if crash is not None and seconds(lines, crash, job) is not None else ""
        fact("firmware", f"skiboot's {call} waits for a job on another CPU (cpu_wait_job backtrace){when}")
    purg = first(lines, re.compile(r"I'm in purgatory"), start)
    if purg is not None and crash is not None and seconds(lines, crash, purg) is not None:
        fact("hand-over (purgatory)", f"+{seconds(lines, crash, purg):.1f} s after the crash")
    cap = first(lines, BANNER, start)
    if cap is not None and crash is not None:
        dt = seconds(lines, crash, cap)
        fact("capture banner", f"+{dt:.1f} s after the crash" if dt is not None else "seen")
        if nmi is not None and seconds(lines, nmi, cap) is not None:
            fact("capture banner after the nmi", f"{seconds(lines, nmi, cap):+.1f} s")
    else:
        fact("capture banner", "not seen")
    up = first(lines, re.compile(r"CDQ: capture kernel up"), start)
    fact("capture kernel up", text(lines[up][1].split("CDQ: capture kernel up: ", 1)[1]) if up is not None else "no (/proc/vmcore not seen)")
    if up is not None and crash is not None and seconds(lines, crash, up) is not None:
        fact("crash to /proc/vmcore", f"{seconds(lines, crash, up):.1f} s")
    for k, v in old_kernel(lines):
        fact(k, v)
    wakes = []
    if cap is not None:
        wakes = [text(t) for _, t in lines[cap:] if WAKE.search(t) and "CDQ: capture dmesg" not in t and OLD not in t]
    fact("after hand-over", "; ".join(wakes[:5]) if wakes else "nothing that indicates an old-kernel CPU")
    if up is not None:
        fact("outcome", "CAPTURED")
    elif timed_out is not None:
        fact("outcome", f"STALLED: no capture kernel within {timed_out} s (run stopped by timeout)")
        for _, t in [l for l in lines if l[1].strip()][-TAIL:]:
            fact("last", text(t))
    else:
        fact("outcome", "ENDED without a capture kernel")
        for _, t in [l for l in lines if l[1].strip()][-TAIL:]:
            fact("last", text(t))
    return out


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--timed-out"):
        print("usage: parse_console.py LOG [--timed-out SECONDS]", file=sys.stderr)
        return 2
    try:
        lines = read(argv[1])
    except OSError as e:
        print(f"{argv[1]}: {e.strerror}", file=sys.stderr)
        return 2
    print("\n".join(summarize(lines, argv[3] if len(argv) == 4 else None)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
