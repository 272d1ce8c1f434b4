#!/bin/sh
# /init of the guest initramfs (busybox sh), one job: play one crashdiff scenario on a real kernel.
# First kernel: offline the CPUs named by cdq.offline=N,M via sysfs, load the same kernel and a copy of this
# initramfs as the capture kernel (kexec -p), then crash (sysrq c, on cpu N with cdq.crash_cpu=N). panic= on the command line is panic_timeout.
# Capture kernel (it has /proc/vmcore): print the marker and the old kernel's crash-path lines, and power off.
# Every line it prints starts with "CDQ:" (bench/qemu/parse_console.py reads them).
export PATH=/bin:/sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev 2>/dev/null

cpus() { echo "present=$(cat /sys/devices/system/cpu/present) online=$(cat /sys/devices/system/cpu/online)"; }
arg() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }

# The old kernel's last lines, read out of its log buffer in /proc/vmcore (vmcore-dmesg): what its crash path
# printed after the panic. On ppc they never reach the console: default_machine_crash_shutdown() calls
# printk_deferred_enter() first (arch/powerpc/kexec/crash.c), so "Sending IPI to other CPUs", "ERROR: N cpu(s) not
# responding" and "Activate system reset" only go into the buffer. Printed from the last panic line on, at most 60.
old_kernel_log() {
  if ! vmcore-dmesg /proc/vmcore >/tmp/old.log 2>/tmp/old.err; then
    echo "CDQ: vmcore-dmesg failed: $(head -c 200 /tmp/old.err | tr '\n' ' ')"; return
  fi
  from=$(grep -n 'Kernel panic - not syncing\|sysrq: Trigger a crash' /tmp/old.log | tail -1 | cut -d: -f1)
  echo "CDQ: old kernel log: $(wc -l </tmp/old.log) lines in /proc/vmcore, from line ${from:-1}"
  tail -n "+${from:-1}" /tmp/old.log | tail -60 | sed 's/^/CDQ: old kernel: /'
}

if [ -e /proc/vmcore ]; then
  echo "CDQ: capture kernel up: /proc/vmcore seen, $(stat -c %s /proc/vmcore) bytes; $(cpus); $(uname -r)"
  # Anything the capture kernel logged that an old-kernel CPU can cause (a stray interrupt, a bad vector entry).
  dmesg | grep -iE 'oops|bug:|unable to handle|machine check|system reset|unexpected|bad trap|uhhuh|nmi received|lockup' |
    sed 's/^/CDQ: capture dmesg: /'
  old_kernel_log
  echo "CDQ: capture done"
  poweroff -f
  sleep 5
  echo o >/proc/sysrq-trigger
fi

echo "CDQ: first kernel up: $(uname -r); $(cpus); panic_timeout=$(cat /proc/sys/kernel/panic)"
for c in $(arg cdq.offline | tr ',' ' '); do
  if echo 0 >"/sys/devices/system/cpu/cpu$c/online"; then echo "CDQ: cpu$c offline"; else echo "CDQ: cpu$c offline failed"; fi
done
echo "CDQ: before crash: $(cpus)"

# The capture kernel's command line: this one without the crash reservation and topology knobs, one CPU.
append=$(sed -e 's/crashkernel=[^ ]*//; s/maxcpus=[^ ]*//; s/nr_cpus=[^ ]*//; s/cdq\.offline=[^ ]*//; s/cdq\.crash_cpu=[^ ]*//' /proc/cmdline)
# cdq.capture=A+B replaces the default extra arguments (reset_devices), '+' for a space, '-' for none (run.sh
# --capture).
capture=$(arg cdq.capture | tr '+' ' ')
case $capture in "") capture=reset_devices ;; -) capture="" ;; esac
append=$(echo "$append" | sed 's/cdq\.capture=[^ ]*//')
append="$append maxcpus=1 $capture"
if kexec -p /boot/kernel --initrd=/boot/capture.img --append="$append" 2>/tmp/kexec.err ||
   kexec -s -p /boot/kernel --initrd=/boot/capture.img --append="$append" 2>>/tmp/kexec.err; then
  echo "CDQ: capture kernel loaded: $(cat /sys/kernel/kexec_crash_loaded)"
else
  echo "CDQ: kexec -p failed: $(tr '\n' ' ' </tmp/kexec.err)"
fi
crash_cpu=$(arg cdq.crash_cpu)
echo "CDQ: crash now${crash_cpu:+ on cpu$crash_cpu}"
if [ -n "$crash_cpu" ]; then taskset -c "$crash_cpu" sh -c 'echo c >/proc/sysrq-trigger'; else echo c >/proc/sysrq-trigger; fi
echo "CDQ: sysrq returned"
sleep 3600
