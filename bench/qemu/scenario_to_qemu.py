#!/usr/bin/env python3
"""scenario_to_qemu.py FILE.textproto — one job: the bench/qemu/run.sh command that plays a crashdiff scenario on a
real kernel, or why emulation cannot confirm it.

Only configuration-triggered scenarios map: the machine block (topology, never_started, offline, boot_cpu,
panic_timeout, crash_kexec_post_notifiers, firmware) and one PANIC or OOPS. Anything that depends on an instant
(hardware events, hotplug, a second crash, a kexec, scheduling choices) is race-triggered: QEMU cannot place it at
the scenario's step, so it is reported "not confirmable by emulation". Prints the command on stdout (exit 0) or
"not confirmable by emulation: REASON" (exit 3); bad input: "FILE:LINE: reason" (exit 2).
Reads the text format with a small parser (python3 without packages): nested blocks, `key: value`, comments."""
import re
import shlex
import sys

# A token: a comment, "key {", "key: [v, ...]" (the text format's short list form), "key: value", or "}".
TOKEN = re.compile(r'\s*(?:#[^\n]*|([A-Za-z_][A-Za-z0-9_]*)\s*:?\s*(\{)|([A-Za-z_][A-Za-z0-9_]*)\s*:\s*\[([^\]]*)\]'
                   r'|([A-Za-z_][A-Za-z0-9_]*)\s*:\s*("(?:[^"\\]|\\.)*"|[^\s{}\[]+)|(\}))')

# Platform -> (run.sh --arch, --machine, extra kernel arguments, note). QEMU's powernv9 skiboot always offers
# OPAL_SIGNAL_SYSTEM_RESET, whose special wakeup QEMU does not emulate (the crash stalls in skiboot), so a POWER9
# scenario without firmware system reset runs on powernv8, where the crash IPIs stay doorbells/ICP as in the model.
PLATFORMS = {
    "POWER8_XICS": ("ppc64", "powernv8", "", ""),
    "POWER9_DOORBELL_XIVE": ("ppc64", "powernv8", "", "POWER9 doorbells approximated by powernv8 (no OPAL sreset)"),
    "POWER9_XIVE_IPI": ("ppc64", "powernv8", "", "XIVE IPIs approximated by powernv8 ICP IPIs"),
    "POWER9_ICP_OPAL": ("ppc64", "powernv9", "xive=off", "XICS emulation through OPAL (xive=off)"),
    "X86_INTEL_MWAIT": ("x86_64", "q35", "", ""),
    "X86_HLT": ("x86_64", "q35", "idle=halt", "offline CPUs park in HLT only if TCG's -cpu max lacks MWAIT"),
    "ARM64_PSCI": ("arm64", "virt", "", ""),
}
SOFTWARE_CRASH = {"PANIC", "OOPS"}
# The operator's dumprestart: QEMU's monitor `nmi` is a system reset on every CPU on powernv/pseries and an NMI on
# every CPU on x86 (the model's OPERATOR_RESET on each family); QEMU's arm64 virt has no monitor NMI.
OPERATOR_ARCHES = {"ppc64", "x86_64"}
MIN_NMI_NS = 1_000_000_000


def parse(path):
    """The text format as nested dicts of lists; values are strings (quotes kept off)."""
    text = open(path, encoding="utf-8").read()
    root, stack, pos = {}, [], 0
    node = root
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise ValueError(f"{path}:{text.count(chr(10), 0, pos) + 1}: cannot parse text format")
        pos = m.end()
        if m.group(2):
            child = {}
            node.setdefault(m.group(1), []).append(child)
            stack.append(node)
            node = child
        elif m.group(3):
            values = [v.strip().strip('"') for v in m.group(4).split(",") if v.strip()]
            node.setdefault(m.group(3), []).extend(values)
        elif m.group(5):
            node.setdefault(m.group(5), []).append(m.group(6).strip('"'))
        elif m.group(7):
            if not stack:
                raise ValueError(f"{path}:{text.count(chr(10), 0, pos) + 1}: unbalanced '}}'")
            node = stack.pop()
    return root


def one(node, key, default=None):
    return node.get(key, [default])[-1]


def to_qemu(path):
    """(command, notes) or raises NotConfirmable."""
    s = parse(path)
    m = one(s, "machine", {})
    platform = one(m, "platform", "")
    if platform not in PLATFORMS:
        raise NotConfirmable(f"platform {platform or '(none)'} has no QEMU machine (spin-table: QEMU virt is PSCI)")
    arch, machine, append, note = PLATFORMS[platform]
    notes = [note] if note else []
    cores, threads = int(one(m, "cores", 2)), int(one(m, "threads_per_core", 2))
    cpus = cores * threads
    if int(one(m, "boot_cpu", 0)) != 0:
        raise NotConfirmable("boot_cpu != 0: QEMU boots on CPU 0")
    never = sorted(int(c) for c in m.get("never_started", []))
    if never and never != list(range(cpus - len(never), cpus)):
        raise NotConfirmable(f"never_started {never} are not the highest CPUs (maxcpus= starts CPUs 0..N-1)")
    if one(m, "crash_image_loaded", "true") == "false":
        raise NotConfirmable("no crash image: run.sh always loads one")
    fw = one(m, "firmware", {})
    if arch == "ppc64" and one(fw, "system_reset_supported", "false") == "true":
        machine = "powernv9"
        notes.append("firmware system reset: powernv9 (skiboot's OPAL_SIGNAL_SYSTEM_RESET stalls under QEMU)")
    if fw.get("system_reset_fails_for") or fw.get("cpu_off_fails_for"):
        raise NotConfirmable("per-CPU firmware failures cannot be injected into skiboot/PSCI")
    if one(fw, "idle_state_usable", "true") == "false":
        append = (append + " powersave=off").strip()
        notes.append("no usable idle state: powersave=off")
    if one(m, "crash_kexec_post_notifiers", "false") == "true":
        append = (append + " crash_kexec_post_notifiers").strip()
    events = s.get("events", [])
    kinds = [one(e, "kind", "") for e in events]
    crashes = [e for e in events if one(e, "kind", "") in SOFTWARE_CRASH]
    resets = [e for e in events if one(e, "kind", "") == "OPERATOR_RESET"]
    others = sorted(set(kinds) - SOFTWARE_CRASH - ({"OPERATOR_RESET"} if resets else set()))
    if others:
        raise NotConfirmable(f"race-triggered: events {', '.join(others)} happen at a model instant QEMU cannot place")
    if len(crashes) != 1:
        raise NotConfirmable(f"{len(crashes)} software crashes: concurrent crashes are race-triggered")
    if one(s, "schedule", {}).get("choices"):
        raise NotConfirmable("race-triggered: the scenario fixes an interleaving (schedule choices)")
    crash_cpu = int(one(crashes[0], "cpus", 0))
    offline = sorted(int(c) for c in m.get("offline", []))
    if crash_cpu in offline or crash_cpu in never:
        raise NotConfirmable(f"crash on cpu{crash_cpu}, which is not online")
    if arch == "ppc64" and threads > 1:
        # QEMU 7.2's powernv machines crash (SIGSEGV) with threads > 1: every thread becomes a core of its own, so
        # doorbells between sibling threads become ICP IPIs.
        notes.append(f"{cores}x{threads} threads run as {cpus} cores (QEMU 7.2 powernv has no SMT)")
    cmd = ["bench/qemu/run.sh", "--arch", arch, "--machine", machine, "--smp", str(cpus)]
    if never:
        cmd += ["--maxcpus", str(cpus - len(never))]
    if offline:
        cmd += ["--offline", ",".join(map(str, offline))]
    cmd += ["--crash-cpu", str(crash_cpu)]  # always: without it the crash runs wherever /init's shell runs
    cmd += ["--panic-timeout", str(int(one(m, "panic_timeout", 0)))]
    if resets:
        cmd += ["--nmi-at", nmi_after_crash(resets, crashes[0], arch)]
        notes.append("OPERATOR_RESET: the monitor's nmi at the same time after the crash; TCG stretches the kernel's "
                     "mdelay loops (10 s IPI_TIMEOUT took 110 s under load), so check which wait it lands in")
    if append:
        cmd += ["--append", append]
    return " ".join(shlex.quote(c) for c in cmd), notes


def nmi_after_crash(resets, crash, arch):
    """run.sh --nmi-at: seconds from the crash to the one OPERATOR_RESET, when both are placed in model time."""
    if arch not in OPERATOR_ARCHES:
        raise NotConfirmable(f"OPERATOR_RESET: QEMU's {arch} machine has no monitor NMI")
    if len(resets) != 1:
        raise NotConfirmable(f"{len(resets)} operator resets: run.sh sends one")
    t, c = one(one(resets[0], "trigger", {}), "at_time_ns"), one(one(crash, "trigger", {}), "at_time_ns")
    if t is None or c is None:
        raise NotConfirmable("race-triggered: the crash or OPERATOR_RESET is placed by step or label, not by time")
    if int(t) < int(c) + MIN_NMI_NS:
        raise NotConfirmable("race-triggered: OPERATOR_RESET less than 1 s after the crash (nmi.py places it to "
                             "~0.2 s, the crash path's steps take microseconds)")
    return f"{(int(t) - int(c)) / 1e9:g}"


class NotConfirmable(Exception):
    pass


def main(argv):
    if len(argv) < 2:
        print("usage: scenario_to_qemu.py FILE.textproto [FILE ...]", file=sys.stderr)
        return 2
    if len(argv) > 2:  # several files: one line each, "FILE: command" or "FILE: not confirmable ..."
        worst = 0
        for path in argv[1:]:
            try:
                cmd, _ = to_qemu(path)
                print(f"{path}: {cmd}")
            except NotConfirmable as e:
                print(f"{path}: not confirmable by emulation: {e}")
            except (OSError, ValueError) as e:
                print(f"{path}: ERROR {e}")
                worst = 2
        return worst
    try:
        cmd, notes = to_qemu(argv[1])
    except NotConfirmable as e:
        print(f"not confirmable by emulation: {e}")
        return 3
    except (OSError, ValueError) as e:
        print(str(e), file=sys.stderr)
        return 2
    print(cmd)
    for n in notes:
        print(f"# {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
