#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What registering guest RAM costs the module, per GiB, with 8, 4, 2, 1 and
# no work queues bound: one VM (Debian's stock kernel, the project's QEMU,
# two emulated DSAs of four work queues each) running
# tools/vm/region-bench-plan.sh, i.e. migaccel-microbench region on huge
# pages and on 4 KiB pages in no physical order.
#
#   tools/region-bench.sh [--size SIZE] [--iommu] [--base REV] [--out DIR]
#
# --base REV also measures the module built from git revision REV (the
# figures before a change).  --iommu puts the devices behind QEMU's
# intel-iommu (DMA remapping, strict invalidation).  The VM boots under
# TCG on a shared machine: times are emulated time, for comparing runs of
# this script, not hardware figures.  Take the machine's VM lock first.
# Output: DIR/results.txt (default build/region-bench), one VM per module.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
size=1G iommu='' base='' out=$top/build/region-bench
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift ;;
	--iommu) iommu=1 ;;
	--base) base=$2; shift ;;
	--out) out=$2; shift ;;
	*) echo "usage: $0 [--size SIZE] [--iommu] [--base REV] [--out DIR]" >&2
	   exit 2 ;;
	esac
	shift
done

kver=$(ls -1 /usr/src | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$/\1/p' | sort -V | tail -n1)
kdir=/usr/src/linux-headers-$kver
idxd_src=$(tools/vm/linux-source.sh)/drivers/dma/idxd
qemu_dir=${MIGACCEL_QEMU_DIR:-$(tools/qemu/build-qemu.sh)}
rm -rf "$out"
mkdir -p "$out"

make -C "$kdir" M="$top" IDXD_SRC="$idxd_src" modules >"$out/build.log" 2>&1
make -C lib all >>"$out/build.log" 2>&1
make -C tools migaccel-microbench >>"$out/build.log" 2>&1
kos=(--ko migaccel.ko)
if [ -n "$base" ]; then
	mkdir -p "$out/base"
	git archive "$base" Kbuild kernel uapi | tar -x -C "$out/base"
	make -C "$kdir" M="$out/base" IDXD_SRC="$idxd_src" modules \
		>>"$out/build.log" 2>&1
	cp "$out/base/migaccel.ko" "$out/migaccel-base-$base.ko"
	kos+=(--ko "$out/migaccel-base-$base.ko")
fi
printf 'MIGACCEL_BENCH_SIZE=%s\n' "$size" >"$out/bench.env"
devs="-device idxd-dsa,addr=04.0 -device idxd-dsa,addr=06.0"
append=''
if [ -n "$iommu" ]; then
	devs="-device intel-iommu,intremap=off $devs"
	append='intel_iommu=on iommu.strict=1'
fi
# One VM per module: idxd resets a work queue's configuration when its
# driver lets go of it.
: >"$out/results.txt"
for ((i = 1; i < ${#kos[@]}; i += 2)); do
	ko=${kos[i]}
	name=$(basename "$ko" .ko)
	tools/vm/mkinitramfs.sh --kver "$kver" --moddir / \
		--modules "idxd crc32c_generic libcrc32c" --ko "$ko" \
		--tool /usr/bin/accel-config --tool tools/migaccel-microbench \
		--file "$out/bench.env:/etc/migaccel.env" \
		--script tools/vm/region-bench-plan.sh --out "$out/$name.initrd" \
		>"$out/$name.mkinitramfs.log" 2>&1
	tools/vm/run-vm.sh --kernel "/boot/vmlinuz-$kver" \
		--initrd "$out/$name.initrd" --out "$out/$name" --timeout 3600 \
		--mem 4096 --qemu "$qemu_dir/bin/qemu-system-x86_64" \
		--qemu-args "$devs" ${append:+--append "$append"} \
		>"$out/$name.run.log" 2>&1
	cat "$out/$name/results.tap" >>"$out/results.txt"
done
cat "$out/results.txt"
