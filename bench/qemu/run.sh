#!/bin/sh
# run.sh — boot a Debian 12 kernel under QEMU on a machine shaped like a crashdiff scenario, crash it with a kdump
# kernel loaded, and print what the console shows (one fact a line: bench/qemu/parse_console.py). Not part of CI:
# it downloads guest packages from Debian's archive (into the cache, never the repository) and emulates for minutes.
#
#   bench/qemu/run.sh [--arch ppc64|x86_64|arm64] [--machine M] [--smp N] [--maxcpus N] [--nr-cpus N]
#                     [--offline 1,3] [--crash-cpu N] [--panic-timeout T] [--crashkernel SIZE] [--mem SIZE] [--timeout S]
#                     [--append 'kernel args'] [--qemu 'qemu args'] [--log FILE] [--where S] [--nmi-at S]
#                     [--capture 'capture kernel args']
#
# M: ppc64 pseries (default), powernv8, powernv9, powernv10; x86_64 q35 (default), pc; arm64 virt (default).
# --maxcpus/--nr-cpus are the kernel's maxcpus=/nr_cpus= (maxcpus < smp leaves present, never-started CPUs);
# --offline takes those CPUs offline through /sys/devices/system/cpu/cpuN/online before the crash; --crash-cpu
# runs the sysrq crash on that CPU (taskset);
# --panic-timeout is panic= (the kernel's panic_timeout, default 0). The crash is `echo c > /proc/sysrq-trigger`.
# --timeout (default 150 s) stops QEMU; a run without the capture kernel by then is reported STALLED.
# --where S[,S2...]: S seconds after the start, print where every vCPU is (where.py: program counter, symbol).
# --nmi-at S: S seconds after the crash, the QEMU monitor's `nmi` (ppc: a system reset on every CPU, the operator's
# "dumprestart"; nmi.py). --capture ARGS replaces the capture kernel's extra arguments (default reset_devices;
# '' for none): its command line is the first kernel's without crashkernel/maxcpus/nr_cpus, plus maxcpus=1 ARGS.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
arch=ppc64 machine="" smp=4 maxcpus="" nrcpus="" offline="" panic=0 crashkernel="" mem=2G limit=150
crashcpu="" append="" qemu_extra="" log="" where="" nmiat="" capture="reset_devices"
while [ $# -gt 0 ]; do
  case $1 in
    --arch) arch=$2 ;; --machine) machine=$2 ;; --smp) smp=$2 ;; --maxcpus) maxcpus=$2 ;; --nr-cpus) nrcpus=$2 ;;
    --offline) offline=$2 ;; --crash-cpu) crashcpu=$2 ;; --panic-timeout) panic=$2 ;; --crashkernel) crashkernel=$2 ;; --mem) mem=$2 ;;
    --timeout) limit=$2 ;; --append) append=$2 ;; --qemu) qemu_extra=$2 ;; --log) log=$2 ;; --where) where=$2 ;;
    --nmi-at) nmiat=$2 ;; --capture) capture=$2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "run.sh: $1: unknown option (--help)" >&2; exit 2 ;;
  esac
  shift 2
done

# Per architecture: Debian architecture, kernel file, QEMU binary and machine, console device.
case $arch in
  ppc64) deb=ppc64el kfile=vmlinux; : "${machine:=pseries}" "${crashkernel:=512M}"
    case $machine in
      pseries) qemu="qemu-system-ppc64 -M pseries -cpu power9" console=hvc0 ;;
      # -nodefaults: no PHBs (nor the IPMI BMC): a capture kernel resets every PHB (is_kdump_kernel() in
      # pnv_pci_init_ioda_phb), which under TCG keeps it from /proc/vmcore for minutes; the crash path uses none.
      powernv8|powernv9|powernv10) qemu="qemu-system-ppc64 -M $machine -nodefaults -serial stdio" console=hvc0 ;;
      *) echo "run.sh: $machine: not a ppc64 machine (pseries, powernv8, powernv9, powernv10)" >&2; exit 2 ;;
    esac ;;
  x86_64) deb=amd64 kfile=vmlinuz; : "${machine:=q35}" "${crashkernel:=256M}"
    qemu="qemu-system-x86_64 -M $machine -accel tcg -cpu max" console=ttyS0 ;;
  arm64) deb=arm64 kfile=vmlinuz; : "${machine:=virt}" "${crashkernel:=256M}"
    qemu="qemu-system-aarch64 -M $machine -cpu cortex-a57" console=ttyAMA0 ;;
  *) echo "run.sh: $arch: unsupported (ppc64, x86_64, arm64)" >&2; exit 2 ;;
esac

root=$("$here/fetch-debs.sh" "$deb")
kernel=$(ls "$root"/boot/$kfile-* | head -1)
cache=$(dirname "$root")
initrd=$cache/initrd-$deb.img
[ "$initrd" -nt "$here/init.sh" ] && [ "$initrd" -nt "$here/mkinitramfs.sh" ] && [ "$initrd" -nt "$kernel" ] || "$here/mkinitramfs.sh" "$root" "$kernel" "$initrd"

cmdline="console=$console panic=$panic crashkernel=$crashkernel"
[ -n "$maxcpus" ] && cmdline="$cmdline maxcpus=$maxcpus"
[ -n "$nrcpus" ] && cmdline="$cmdline nr_cpus=$nrcpus"
[ -n "$offline" ] && cmdline="$cmdline cdq.offline=$offline"
[ -n "$crashcpu" ] && cmdline="$cmdline cdq.crash_cpu=$crashcpu"
[ "$capture" = reset_devices ] || cmdline="$cmdline cdq.capture=$(echo "${capture:--}" | tr ' ' +)"
[ -n "$append" ] && cmdline="$cmdline $append"
mkdir -p "$cache/runs"
: "${log:=$cache/runs/$arch-$machine-smp$smp-$(date +%Y%m%d-%H%M%S).log}"

# -no-reboot: a reboot (panic_timeout > 0 in a kernel that could not hand over) ends QEMU.
cmd="$qemu -smp $smp -m $mem -nographic -no-reboot -pidfile $log.pid -kernel $kernel -initrd $initrd $qemu_extra"
echo "command: $cmd -append '$cmdline'"
echo "console: $log"
start=$(date +%s)
sock=$log.sock
[ -z "$where$nmiat" ] || cmd="$cmd -monitor unix:$sock,server=on,wait=off"
nmipid=""
[ -z "$nmiat" ] || { "$here/nmi.py" "$sock" "$log" "$nmiat" >"$log.nmi" & nmipid=$!; }
if [ -n "$where" ]; then
  syms=$(ls "$root"/boot/vmlinux-* 2>/dev/null || ls "$root"/boot/System.map-*)
  # S counts from QEMU's start; where.py itself takes seconds (it reads the vmlinux's symbols), so each sample
  # sleeps until its own time and is labelled with the second it was taken (later than S if the previous ran late).
  (for t in $(echo "$where" | tr , ' '); do
     now=$(($(date +%s) - start)); [ "$now" -ge "$t" ] || sleep $((t - now))
     now=$(($(date +%s) - start))
     "$here/where.py" "$sock" "$syms" 2>&1 | sed "s/^where:/where (+$now s):/"
   done >"$log.where") &
fi
set +e
timeout "$limit" $cmd -append "$cmdline" </dev/null 2>&1 | "$here/tslog.py" "$log" "$log.pid"
rc=$(($(date +%s) - start))
set -e
if [ -n "$nmiat" ]; then
  kill "$nmipid" 2>/dev/null || true  # QEMU ended before the crash or the nmi: nmi.py still waits
  "$here/tslog.py" --merge "$log" "$log.nmi"
fi
# timeout(1) exits 124 when it stopped QEMU; inside the pipeline only its duration tells.
if [ "$rc" -ge "$limit" ]; then
  "$here/parse_console.py" "$log" --timed-out "$limit"
else
  echo "wall: ${rc} s"
  "$here/parse_console.py" "$log"
fi
[ -z "$where" ] || { wait; cat "$log.where"; }
rm -f "$sock" "$log.pid"
