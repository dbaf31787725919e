#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# DKMS PRE_BUILD step of migaccel: put the idxd internal headers (idxd.h,
# registers.h: struct idxd_wq and friends, not exported by the kernel's
# headers package) of kernel KVER in ./idxd/, for Kbuild's IDXD_SRC.
#
# 1. A kernel with its own source tree (/lib/modules/KVER/source or build
#    holds drivers/dma/idxd/idxd.h): those headers.
# 2. A Debian kernel: linux-source-X.Y's tarball, only if that package has
#    the same version as linux-headers-KVER.  Otherwise the build is refused:
#    a struct layout from another kernel version would be silently wrong.
set -eu

kver=${1:?usage: idxd-headers.sh KVER}
rm -rf idxd idxd.tmp
mkdir idxd.tmp

for d in "/lib/modules/$kver/source" "/lib/modules/$kver/build"; do
	if [ -f "$d/drivers/dma/idxd/idxd.h" ]; then
		cp "$d"/drivers/dma/idxd/*.h idxd.tmp/
		mv idxd.tmp idxd
		echo "migaccel: idxd headers from $d"
		exit 0
	fi
done

mm=$(echo "$kver" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p')
src=linux-source-$mm
tarball=/usr/src/$src.tar.xz
hver=$(dpkg-query -W -f '${Version}' "linux-headers-$kver" 2>/dev/null || true)
sver=$(dpkg-query -W -f '${Version}' "$src" 2>/dev/null || true)
fail() {
	echo "migaccel: cannot build for $kver: $*" >&2
	rm -rf idxd.tmp
	exit 1
}
[ -n "$hver" ] || fail "linux-headers-$kver is not a Debian package, and" \
	"/lib/modules/$kver/source has no drivers/dma/idxd/idxd.h"
[ -n "$sver" ] && [ -r "$tarball" ] ||
	fail "$src is not installed (apt install $src=$hver)"
[ "$sver" = "$hver" ] ||
	fail "$src is version $sver, the kernel's headers $hver; idxd's" \
		"internal structures must match the kernel (apt install $src=$hver," \
		"or upgrade the kernel to $sver, then: dkms autoinstall -k $kver)"
tar -xJf "$tarball" -C idxd.tmp --strip-components=4 --wildcards \
	"$src/drivers/dma/idxd/*.h" ||
	fail "no drivers/dma/idxd/*.h in $tarball"
[ -f idxd.tmp/idxd.h ] || fail "no drivers/dma/idxd/idxd.h in $tarball"
mv idxd.tmp idxd
echo "migaccel: idxd headers from $tarball ($src $sver)"
