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
# through the module is correct, not that it is fast.  Then the kernel mode
# again on the emulated DSA and IAA of the project's QEMU (256 MiB,
# MIGACCEL_DEMO_IDXD_RAM), with the devices' own descriptor counts.
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

# verdict DIR RUNLOG WHAT: a demo VM's kernel log is clean and its
# migration-bench run was verified, or the demo fails.
verdict() {
	local dir=$out/$1
	[ -s "$dir/dmesg.txt" ] && tools/vm/logcheck.sh "$dir/dmesg.txt" >/dev/null ||
		{ echo "demo: kernel log missing or shows problems: $dir/"; cat "$out/$2"; exit 1; }
	grep -q '^verified: destination equals source' "$dir/results.tap" &&
		grep -Eq '^migaccel-bench: exit status 0( |$)' "$dir/results.tap" ||
		{ echo "demo: $3 was not verified"; exit 1; }
}

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
verdict vm run.log "the migration"

# The kernel mode again, on the emulated DSA and IAA of the project's QEMU
# (tools/qemu): the module with its soft engine kept out (soft=0), work
# queues bound by accel-config as in the idxd check stage; the per-engine
# counts show which descriptors the devices ran.
echo
echo "demo: the kernel mode on the emulated DSA and IAA (the project's QEMU)"
qemu_dir=${MIGACCEL_QEMU_DIR:-$(tools/qemu/build-qemu.sh)} || exit 1
idxd_ram=${MIGACCEL_DEMO_IDXD_RAM:-256M}
cat >"$out/demo-idxd-plan.sh" <<PLAN
#!/bin/sh
insmod /ko/migaccel.ko soft=0 || exit 1
accel-config load-config -c /etc/migaccel-idxd.json -e || exit 1
# idxd enabled the IAA at probe for iaa_crypto: its WQ is bound in place.
accel-config config-wq iax1/wq1.0 --driver-name=migaccel --name=migaccel &&
	accel-config enable-wq iax1/wq1.0 || exit 1
echo "engines before:"
migaccelctl engines
/bin-test/migaccel-bench --mode kernel --ram $idxd_ram --channels 8 \\
	--packet 128 --zero 50 --text 30 --random 20
rc=\$?
echo "migaccel-bench: exit status \$rc"
echo "engines after (completed: chunks a device ran; cpu: finished on the CPU):"
migaccelctl engines
rmmod migaccel
exit \$rc
PLAN
tools/vm/mkinitramfs.sh --kver "$kver" --moddir / --modules "idxd crc32c_generic libcrc32c" \
	--ko migaccel.ko --bin tools/migaccel-bench --tool tools/migaccelctl \
	--tool /usr/bin/accel-config \
	--file tools/vm/idxd-config.json:/etc/migaccel-idxd.json \
	--script "$out/demo-idxd-plan.sh" --out "$out/demo-idxd.initrd" \
	>"$out/mkinitramfs-idxd.log" 2>&1
echo "demo: simulated migration of $idxd_ram over 8 channels on idxd-dsa and idxd-iaa"
tools/vm/run-vm.sh --kernel "/boot/vmlinuz-$kver" --initrd "$out/demo-idxd.initrd" \
	--out "$out/vm-idxd" --mem 2048 --timeout 1200 \
	--qemu "$qemu_dir/bin/qemu-system-x86_64" \
	--qemu-args "-device idxd-dsa,addr=04.0,stats=$out/idxd.dsa-stats -device idxd-iaa,addr=05.0,stats=$out/idxd.iaa-stats" \
	>"$out/run-idxd.log" 2>&1 || true
grep -v '^# migaccel-vm\|^# insmod' "$out/vm-idxd/results.tap" || true
echo "the devices' own counts of executed descriptors:"
cat "$out/idxd.dsa-stats" "$out/idxd.iaa-stats" 2>/dev/null | sed 's/^/    /'
verdict vm-idxd run-idxd.log "the migration on the emulated devices"

# The real thing: QEMU migrates a running Linux guest through migaccel.
echo
tools/qemu/demo-qemu.sh
echo "demo: all done in $(( $(date +%s) - start )) s"
