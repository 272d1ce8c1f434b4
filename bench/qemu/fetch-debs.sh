#!/bin/sh
# fetch-debs.sh ARCH — one job: the guest's Debian 12 packages (kernel, busybox-static, kexec-tools and the
# libraries kexec links against) downloaded with apt-get and unpacked with dpkg-deb into the cache, never into the
# repository. ARCH is a Debian architecture: ppc64el, amd64 or arm64. Prints the unpacked root directory.
# A foreign architecture needs `dpkg --add-architecture ARCH && apt-get update` once (done here when root).
set -eu
arch=${1:?usage: fetch-debs.sh ppc64el|amd64|arm64}
cache=${CRASHDIFF_QEMU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crashdiff-qemu}
root=$cache/root-$arch
[ -f "$root/.complete" ] && { echo "$root"; exit 0; }

case $arch in
  ppc64el) flavour=powerpc64le ;;
  amd64) flavour=amd64 ;;
  arm64) flavour=arm64 ;;
  *) echo "fetch-debs.sh: $arch: unsupported architecture" >&2; exit 2 ;;
esac

host=$(dpkg --print-architecture)
if [ "$arch" != "$host" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
  [ "$(id -u)" = 0 ] || { echo "fetch-debs.sh: run 'dpkg --add-architecture $arch && apt-get update' as root" >&2; exit 2; }
  dpkg --add-architecture "$arch" && apt-get update -q >&2
fi

# The metapackage names the current ABI (linux-image-6.1.0-N-FLAVOUR).
kernel=$(apt-cache depends "linux-image-$flavour:$arch" | sed -n 's/^ *Depends: \(linux-image-[0-9][^:]*\).*/\1/p' | head -1)
[ -n "$kernel" ] || { echo "fetch-debs.sh: no linux-image-$flavour for $arch" >&2; exit 2; }
# kexec-tools links libxenctrl on amd64/arm64 (and libz on arm64): the libraries it needs at run time.
libs="libc6"
[ "$arch" = ppc64el ] || libs="$libs libxenmisc4.17 libext2fs2 libcom-err2 liblzma5 libuuid1 libxencall1
  libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxenhypfs1 libxenstore4 libxentoollog1 libxentoolcore1
  libyajl2 libzstd1 zlib1g libfdt1"

mkdir -p "$cache/debs" "$root"
pkgs=""
for p in "$kernel" busybox-static kexec-tools $libs; do pkgs="$pkgs $p:$arch"; done
# apt-get download writes into the current directory.
(cd "$cache/debs" && apt-get download -q $pkgs >&2)
for p in "$kernel" busybox-static kexec-tools $libs; do
  for deb in "$cache/debs/${p}_"*"_$arch.deb"; do dpkg-deb -x "$deb" "$root"; done
done
touch "$root/.complete"
echo "$root"
