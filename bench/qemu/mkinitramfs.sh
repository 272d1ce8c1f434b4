#!/bin/sh
# mkinitramfs.sh ROOT KERNEL OUT — one job: the guest initramfs. ROOT is an unpacked Debian root of the guest
# architecture (fetch-debs.sh): busybox-static, /sbin/kexec and /sbin/vmcore-dmesg (kexec-tools; the capture kernel
# reads the old kernel's log out of /proc/vmcore with it) and the shared libraries they need, and init.sh as /init.
# OUT (gzip newc cpio) also holds KERNEL as /boot/kernel and a copy of itself without the kernel as
# /boot/capture.img: the capture kernel that /init loads with kexec -p is the same kernel, its initramfs the same /init.
set -eu
root=${1:?usage: mkinitramfs.sh ROOT KERNEL OUT}; kernel=${2:?}; out=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
base=$work/base
mkdir -p "$base/bin" "$base/sbin" "$base/proc" "$base/sys" "$base/dev" "$base/tmp" "$base/boot"
cp "$root/bin/busybox" "$base/bin/busybox"
ln -s busybox "$base/bin/sh"
for b in kexec vmcore-dmesg; do cp "$root/sbin/$b" "$base/sbin/$b"; done
cp "$here/init.sh" "$base/init"; chmod 755 "$base/init"

# Shared libraries: the ELF interpreter and every NEEDED entry, transitively, found in ROOT's library directories.
libdirs=$(find "$root/lib" "$root/lib64" "$root/usr/lib" -maxdepth 1 -type d 2>/dev/null || true)  # arm64 has no lib64
find_lib() { for d in $libdirs; do [ -e "$d/$1" ] && { echo "$d/$1"; return; }; done; echo "mkinitramfs.sh: $1 not in $root" >&2; exit 2; }
copy_lib() {  # $1 = path in ROOT; keeps its path (relative to ROOT) so the interpreter finds it
  rel=${1#"$root"}; [ -e "$base$rel" ] && return 0
  mkdir -p "$base$(dirname "$rel")"; cp -L "$1" "$base$rel"
  for n in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    p=$(find_lib "$n") || exit 2  # a failure inside $(...) does not stop the script by itself
    copy_lib "$p"
  done
}
for b in kexec vmcore-dmesg; do
  interp=$(readelf -l "$root/sbin/$b" | sed -n 's/.*interpreter: \(.*\)]/\1/p')
  mkdir -p "$base$(dirname "$interp")"
  [ -e "$base$interp" ] || cp -L "$root$interp" "$base$interp" 2>/dev/null || cp -L "$(find_lib "$(basename "$interp")")" "$base$interp"
  for n in $(readelf -d "$root/sbin/$b" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    p=$(find_lib "$n") || exit 2
    copy_lib "$p"
  done
done

(cd "$base" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/capture.img"
cp "$work/capture.img" "$base/boot/capture.img"
cp "$kernel" "$base/boot/kernel"
(cd "$base" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
