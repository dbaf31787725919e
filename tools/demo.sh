#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot Debian's stock 6.12 kernel under QEMU, load idxd and
# migaccel, and run a simulated multifd live migration through the module:
# tools/migaccel-bench on 1 GiB of guest RAM (50 % zero, 30 % text-like,
# 20 % random pages), 8 channels, 128 pages per packet, in the three modes
# side by side (cpu-baseline, lib-cpu, kernel).  Fails unless every mode
# rebuilt the destination byte for byte ("verified: destination equals
# source") and the kernel log is clean.  The VM has no DSA/IAA, so the
# kernel mode runs on the module's soft engine: the demo shows the path
# through the module is correct, not that it is fast.
#
# Then tools/qemu/demo-qemu.sh: the project's QEMU live-migrates a small
# Linux guest with multifd (none, zlib, migaccel on the library's CPU
# path); the guest checks its memory.  The mode through /dev/migaccel
# (QEMU inside the VM) is opt-in: MIGACCEL_DEMO_QEMU_MODES.
#
# MIGACCEL_DEMO_RAM (default 1G) and MIGACCEL_DEMO_MEM (VM memory in MB,
# default 3072) size the run.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${MIGACCEL_DEMO_OUT:-$top/build/demo}
ram=${MIGACCEL_DEMO_RAM:-1G}
mem=${MIGACCEL_DEMO_MEM:-3072}
mkdir -p "$out"
start=$(date +%s)

kver=$(ls -1 /usr/src | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$/\1/p' | sort -V | tail -n1)
echo "demo: building migaccel for $kver"
make -s -j"$(nproc)" all >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; exit 1; }

# Source RAM, the destination (zero pages are never written, so about
# half of it), packet buffers and the kernel: 1 GiB of RAM needs the VM to
# have about 2.5 GiB.  The plan checks what the kernel actually has.
cat >"$out/demo-plan.sh" <<PLAN
#!/bin/sh
insmod /ko/migaccel.ko || exit 1
echo "migaccel loaded: \$(ls -l /dev/migaccel)"
echo "VM memory: \$(awk '/^MemTotal/ { print int(\$2 / 1024) " MiB total" } /^MemAvailable/ { print int(\$2 / 1024) " MiB available" }' /proc/meminfo | paste -sd, -)"
t0=\$(date +%s)
/bin-test/migaccel-bench --mode all --ram $ram --channels 8 --packet 128 \\
	--zero 50 --text 30 --random 20
rc=\$?
echo "migaccel-bench: exit status \$rc after \$((\$(date +%s) - t0)) s"
# Reported, not asserted: the kernel path's own cost per page (soft
# engine null mode) and pins per batch on a registered region.
echo
/bin-test/migaccel-microbench kernel-cost --time 1 ||
	echo "migaccel-microbench kernel-cost: exit status \$? (not part of the verdict)"
rmmod migaccel
exit \$rc
PLAN

tools/vm/mkinitramfs.sh --kver "$kver" --moddir / --modules "idxd crc32c_generic libcrc32c" \
	--ko migaccel.ko --bin tools/migaccel-bench --bin tools/migaccel-microbench \
	--script "$out/demo-plan.sh" --out "$out/demo.initrd" >"$out/mkinitramfs.log" 2>&1
echo "demo: booting $kver under qemu-system-x86_64 (software emulation), ${mem} MB"
echo "demo: simulated migration of $ram of guest RAM over 8 channels; this takes a few minutes"
tools/vm/run-vm.sh --kernel "/boot/vmlinuz-$kver" --initrd "$out/demo.initrd" \
	--out "$out/vm" --mem "$mem" --timeout 1500 >"$out/run.log" 2>&1 || true
grep -v '^# migaccel-vm\|^# insmod' "$out/vm/results.tap" || true
# Counted exactly by make cost (the project's QEMU and a plugin), not here.
cost=$top/build/cost/headline.txt
[ -s "$cost" ] && echo "cost per page: $(cat "$cost")" ||
	echo "cost per page: run make cost for the kernel path's instructions per page"
echo "demo: finished in $(( $(date +%s) - start )) s; logs in $out"
[ -s "$out/vm/dmesg.txt" ] && tools/vm/logcheck.sh "$out/vm/dmesg.txt" >/dev/null ||
	{ echo "demo: kernel log missing or shows problems: $out/vm/"; cat "$out/run.log"; exit 1; }
grep -q '^verified: destination equals source' "$out/vm/results.tap" &&
	grep -q '^migaccel-bench: exit status 0 ' "$out/vm/results.tap" ||
	{ echo "demo: the migration was not verified"; exit 1; }

# The real thing: QEMU migrates a running Linux guest through migaccel.
echo
tools/qemu/demo-qemu.sh
echo "demo: all done in $(( $(date +%s) - start )) s"
