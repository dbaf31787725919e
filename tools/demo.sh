#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot Debian's stock 6.12 kernel under QEMU, load idxd and
# migaccel, and zero-scan a 64 MiB buffer of mixed pages through
# libmigaccel twice - through the module (soft engine) and on the CPU -
# printing pages per second for each and checking the bitmaps are equal.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${MIGACCEL_DEMO_OUT:-$top/build/demo}
mkdir -p "$out"

kver=$(ls -1 /usr/src | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$/\1/p' | sort -V | tail -n1)
echo "demo: building migaccel for $kver"
make -s -j"$(nproc)" all >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }

cat >"$out/demo-plan.sh" <<'PLAN'
#!/bin/sh
insmod /ko/migaccel.ko || exit 1
echo "migaccel loaded: $(ls -l /dev/migaccel)"
/bin-test/migaccel-zero-bench --size-mib 64 --zero-percent 50
rc=$?
rmmod migaccel
exit $rc
PLAN

tools/vm/mkinitramfs.sh --kver "$kver" --moddir / --modules "idxd crc32c_generic libcrc32c" \
	--ko migaccel.ko --bin tools/migaccel-zero-bench \
	--script "$out/demo-plan.sh" --out "$out/demo.initrd" >"$out/mkinitramfs.log" 2>&1
echo "demo: booting $kver under qemu-system-x86_64 (software emulation)"
tools/vm/run-vm.sh --kernel "/boot/vmlinuz-$kver" --initrd "$out/demo.initrd" \
	--out "$out/vm" --timeout 900 >"$out/run.log" 2>&1 || true
grep -v '^# migaccel-vm\|^# insmod' "$out/vm/results.tap"
tools/vm/logcheck.sh "$out/vm/dmesg.txt" >/dev/null ||
	{ echo "demo: kernel log shows problems: $out/vm/dmesg.txt"; exit 1; }
grep -q '^identical: yes' "$out/vm/results.tap" ||
	{ echo "demo: bitmaps differ or the run failed"; exit 1; }
