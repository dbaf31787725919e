#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The real live migration of make demo: a small Linux guest (Debian's
# kernel, booted through PVH; tools/qemu/demo-guest-init.c as /init)
# migrated from a source QEMU to a destination QEMU over localhost TCP
# with 8 multifd channels, once per mode:
#
#   none              multifd-compression none
#   zlib              multifd-compression zlib, level 1
#   migaccel-cpu      multifd-compression migaccel, libmigaccel's CPU path
#   migaccel-kernel   multifd-compression migaccel through /dev/migaccel:
#                     both QEMUs run inside the test VM with the module
#                     loaded (QEMU under TCG inside QEMU under TCG)
#
# The QEMU is the project's (tools/qemu/build-qemu.sh), run with the tree's
# libmigaccel.  Prints one table and fails unless the guest reported its
# memory intact in every mode.  MIGACCEL_DEMO_QEMU_MODES picks modes
# (default: the three host modes; migaccel-kernel, a Linux guest under
# TCG inside the TCG VM, takes far longer than the demo's 15 minutes on
# 2 CPUs: it did not finish in 25 minutes on the development machine);
# DEMO_MB/DEMO_MEM size the host guests,
# MIGACCEL_DEMO_VM_MB/MIGACCEL_DEMO_VM_MEM the nested ones;
# MIGACCEL_QEMU_DIR uses another QEMU installed like build-qemu.sh's.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out=${MIGACCEL_DEMO_OUT:-$top/build/demo}/qemu
modes=${MIGACCEL_DEMO_QEMU_MODES:-none zlib migaccel-cpu}
mkdir -p "$out"
rm -f "$out"/results.txt

kver=$(ls -1 /usr/src | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$/\1/p' | sort -V | tail -n1)
# The guests boot the uncompressed kernel through its PVH entry point:
# no decompression, which matters most under nested emulation.
kernel=$out/vmlinux-$kver
if [ ! -s "$kernel" ]; then
	src=$(tools/vm/linux-source.sh)
	# extract-vmlinux exits 0 even when it finds nothing (a decompressor
	# missing): an empty output is its failure.
	bash "$src/scripts/extract-vmlinux" "/boot/vmlinuz-$kver" >"$kernel.tmp" &&
		[ -s "$kernel.tmp" ] && mv "$kernel.tmp" "$kernel" ||
		{ echo "demo-qemu: cannot extract vmlinux from /boot/vmlinuz-$kver (is zstd installed? tools/setup.sh)"; exit 1; }
fi

echo "demo-qemu: building (or reusing) the project's QEMU"
t=$(date +%s)
qemu_dir=${MIGACCEL_QEMU_DIR:-$(tools/qemu/build-qemu.sh)} || exit 1
echo "demo-qemu: QEMU ready in $qemu_dir ($(( $(date +%s) - t )) s)"

# The guest: a static /init and a console node, nothing else.
gcc -O2 -static -Wall -Wextra -Werror -o "$out/init" tools/qemu/demo-guest-init.c
gcc -O2 -Wall -Wextra -Werror -o "$out/migaccel-qmp" tools/qemu/migaccel-qmp.c
rm -rf "$out/root"
mkdir -p "$out/root/dev"
cp "$out/init" "$out/root/init"
mknod -m 600 "$out/root/dev/console" c 5 1 2>/dev/null || true
(cd "$out/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/guest.initrd"

export QEMU=$qemu_dir/bin/qemu-system-x86_64
export QEMU_FIRMWARE="/usr/share/seabios /usr/share/qemu"
export QMP=$out/migaccel-qmp KERNEL=$kernel INITRD=$out/guest.initrd
export LD_LIBRARY_PATH=$top/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

run_host() { # LABEL COMPRESSION
	local t0
	t0=$(date +%s)
	echo "demo-qemu: $1: migrating the guest on the host"
	MIGACCEL_PATH=cpu sh tools/qemu/demo-migrate.sh "$1" "$2" "$out/$1" \
		>"$out/$1.result" 2>"$out/$1.log" || true
	grep -v '^demo-migrate' "$out/$1.log" | sed 's/^/    /' || true
	grep '^RESULT' "$out/$1.result" >>"$out/results.txt" ||
		echo "RESULT $1 - - - - - - - FAILED" >>"$out/results.txt"
	echo "demo-qemu: $1: $(( $(date +%s) - t0 )) s"
}

run_vm() { # LABEL
	local t0 mb=${MIGACCEL_DEMO_VM_MB:-32}
	t0=$(date +%s)
	local mem=${MIGACCEL_DEMO_VM_MEM:-128}
	echo "demo-qemu: $1: migrating the guest inside the test VM (nested TCG, $mb MiB)"
	cat >"$out/vm-plan.sh" <<PLAN
#!/bin/sh
ip link set lo up || exit 1
insmod /ko/migaccel.ko || exit 1
export LD_LIBRARY_PATH=$top/lib QMP=/usr/bin/migaccel-qmp
export QEMU=/usr/bin/qemu-system-x86_64 QEMU_FIRMWARE=/usr/share/qemu-demo
export KERNEL=/demo/vmlinuz INITRD=/demo/guest.initrd MIGACCEL_PATH=kernel
export DEMO_MB=$mb DEMO_MEM=$mem DEMO_TIMEOUT=900
sh /demo/demo-migrate.sh $1 migaccel /tmp/demo
rc=\$?
for f in /tmp/demo/src.log /tmp/demo/dst.log; do sed "s|^|# \$f: |" \$f; done
grep 'migaccel-demo' /tmp/demo/dst.console | sed 's/^/# /'
rmmod migaccel
exit \$rc
PLAN
	LD_LIBRARY_PATH=$top/lib tools/vm/mkinitramfs.sh --kver "$kver" --moddir / \
		--modules "idxd crc32c_generic libcrc32c" --ko migaccel.ko \
		--tool "$QEMU" --tool "$QMP" \
		--file "$kernel:/demo/vmlinuz" --file "$out/guest.initrd:/demo/guest.initrd" \
		--file tools/qemu/demo-migrate.sh:/demo/demo-migrate.sh \
		--file /usr/share/seabios/bios-256k.bin:/usr/share/qemu-demo/bios-256k.bin \
		--file /usr/share/qemu/linuxboot_dma.bin:/usr/share/qemu-demo/linuxboot_dma.bin \
		--file /usr/share/qemu/kvmvapic.bin:/usr/share/qemu-demo/kvmvapic.bin \
		--script "$out/vm-plan.sh" --out "$out/vm.initrd" \
		>"$out/vm-mkinitramfs.log" 2>&1 || { cat "$out/vm-mkinitramfs.log"; return 1; }
	tools/vm/run-vm.sh --kernel "/boot/vmlinuz-$kver" --initrd "$out/vm.initrd" \
		--out "$out/vm" --mem 1024 --timeout 1500 >"$out/vm-run.log" 2>&1 || true
	grep -v '^# migaccel-vm\|^# insmod' "$out/vm/results.tap" 2>/dev/null |
		grep -v '^RESULT' | sed 's/^/    /' || true
	grep '^RESULT' "$out/vm/results.tap" >>"$out/results.txt" 2>/dev/null ||
		echo "RESULT $1 - - - - - - - FAILED" >>"$out/results.txt"
	if [ -s "$out/vm/dmesg.txt" ] && ! tools/vm/logcheck.sh "$out/vm/dmesg.txt" >/dev/null; then
		echo "RESULT $1-kernel-log - - - - - - - NOT_clean" >>"$out/results.txt"
	fi
	echo "demo-qemu: $1: $(( $(date +%s) - t0 )) s"
}

for m in $modes; do
	case "$m" in
	none) run_host none none ;;
	zlib) run_host zlib zlib ;;
	migaccel-cpu) run_host migaccel-cpu migaccel ;;
	migaccel-kernel) run_vm migaccel-kernel ;;
	*) echo "demo-qemu: unknown mode $m"; exit 2 ;;
	esac
done

echo
echo "Live migration of a Linux guest, 8 multifd channels over localhost TCP (software emulation):"
awk '
	BEGIN {
		printf "%-16s %8s %8s %12s %8s %8s %8s %8s  %s\n", "mode", "total ms",
		       "down ms", "wire bytes", "zero pg", "normal", "src cpu", "dst cpu", "guest"
	}
	/^RESULT/ {
		v = $10; gsub(/_/, " ", v)
		printf "%-16s %8s %8s %12s %8s %8s %8s %8s  %s\n", $2, $3, $4, $5, $6, $7, $8, $9, v
		if (v != "intact") bad++
	}
	END { exit bad > 0 }' "$out/results.txt" && ok=1 || ok=0
echo "(guest of ${DEMO_MB:-96} MiB filled in ${DEMO_MEM:-192} MiB of RAM; cpu = seconds of the mig/* threads)"
case " $modes " in *" migaccel-kernel "*)
	echo "(migaccel-kernel: nested guest of ${MIGACCEL_DEMO_VM_MB:-32} MiB in ${MIGACCEL_DEMO_VM_MEM:-128} MiB)" ;;
esac
if [ "$ok" -eq 1 ]; then
	echo "demo-qemu: the guest reported its memory intact in every mode"
else
	echo "demo-qemu: FAILED: a mode did not end with the guest reporting intact (logs in $out)"
	exit 1
fi
