#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make cost: what the kernel path costs per page, counted exactly (issue 12).
#
# Boots the stock kernel (nokaslr) under the project's QEMU
# (tools/qemu/build-qemu.sh) with single-threaded TCG and the insn-count
# plugin (tools/qemu/plugins/insn-count.c), runs `migaccel-microbench
# insn`, which executes every path between two marker instructions, and
# prints instructions and REP iterations per page for each path with the
# top functions (tools/cost-report.py).  Runs the VM MIGACCEL_COST_RUNS
# times (default 2) and says how closely the runs agree; exits 1 when the
# long intervals' instructions differ by more than 1 %.
#
# Environment: MIGACCEL_COST_OUT (build/cost), MIGACCEL_COST_RUNS (2),
# MIGACCEL_COST_KERNEL (the stock kernel's vmlinuz), MIGACCEL_COST_QEMU:
# "project" (default: tools/qemu/build-qemu.sh's QEMU 10.0, built if
# missing), a directory holding bin/qemu-system-x86_64 and
# include/qemu-plugin.h, or "debian" (Debian 12's QEMU 7.2, plugin API 1).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
die() { echo "cost: $*" >&2; exit 1; }
out=${MIGACCEL_COST_OUT:-$top/build/cost}
runs=${MIGACCEL_COST_RUNS:-2}
case "$runs" in '' | *[!0-9]* | 0) die "MIGACCEL_COST_RUNS wants a number >= 1" ;; esac
kver=$(ls -1 /usr/src | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$/\1/p' | sort -V | tail -n1)
kernel=${MIGACCEL_COST_KERNEL:-/boot/vmlinuz-$kver}
[ -r "$kernel" ] || die "cannot read $kernel"
mkdir -p "$out"

# The plugin is built for the QEMU that runs it: the project's 10.0 (API
# 4) or Debian 12's 7.2 (API 1, no header: qemu-plugin-v1.h).
plugin_cflags=()
case "${MIGACCEL_COST_QEMU:-project}" in
debian)
	qemu=$(command -v qemu-system-x86_64) || die "no qemu-system-x86_64"
	plugin_cflags=(-DINSN_COUNT_API1)
	qemu_opt=()
	;;
*)
	if [ "${MIGACCEL_COST_QEMU:-project}" = project ]; then
		qdir=$(tools/qemu/build-qemu.sh)
	else
		qdir=$MIGACCEL_COST_QEMU
	fi
	qemu=$qdir/bin/qemu-system-x86_64
	[ -x "$qemu" ] || die "no QEMU at $qemu"
	[ -r "$qdir/include/qemu-plugin.h" ] ||
		die "no $qdir/include/qemu-plugin.h: QEMU built without plugins?"
	plugin_cflags=(-I"$qdir/include")
	qemu_opt=(--qemu "$qemu")
	;;
esac

echo "cost: building migaccel for $kver and the insn-count plugin"
nice -n 10 make -s -j2 module tools >"$out/build.log" 2>&1 ||
	{ tail -30 "$out/build.log"; exit 1; }
# shellcheck disable=SC2046 # pkg-config prints a list of options
cc -O2 -g -Wall -Werror -shared -fPIC "${plugin_cflags[@]}" \
	$(pkg-config --cflags glib-2.0) -o "$out/insn-count.so" \
	tools/qemu/plugins/insn-count.c

# crc32c_intel before libcrc32c, as a host with SSE4.2 loads it: the
# kernel's crc32c() then uses the CRC32 instruction.
# ASLR off: user addresses map to the same symbols in every run.  The
# kernel's text symbols (Debian ships no real System.map) and the
# module's come from the VM's /proc/kallsyms, gzip'd and base64'd.
cat >"$out/cost-plan.sh" <<'PLAN'
#!/bin/sh
insmod /ko/migaccel.ko || exit 1
echo 0 >/proc/sys/kernel/randomize_va_space
/bin-test/migaccel-microbench insn
rc=$?
echo "migaccel-microbench insn: exit status $rc"
awk '$2 ~ /^[tTwW]$/ && $3 !~ /^__pfx_/' /proc/kallsyms | gzip -c | base64 |
	sed 's/^/kallsyms-gz /'
rmmod migaccel
exit $rc
PLAN
tools/vm/mkinitramfs.sh --kver "$kver" --moddir / --modules "idxd crc32c_intel crc32c_generic libcrc32c" \
	--ko migaccel.ko --bin tools/migaccel-microbench \
	--script "$out/cost-plan.sh" --out "$out/cost.initrd" >"$out/mkinitramfs.log" 2>&1 ||
	{ tail -20 "$out/mkinitramfs.log"; exit 1; }

# Virtual time from the instruction count (one per nanosecond), not the
# host's clock: timer ticks and scheduling then fall at the same
# instructions in every run.  Debian's QEMU 7.2 only: the project's QEMU
# 10.0.13 with -icount never gets past SeaBIOS here (with or without the
# plugin, sleep on or off), so it runs on the host's clock and the runs
# agree less closely.  MIGACCEL_COST_QEMU_ARGS replaces the default.
if [ "${MIGACCEL_COST_QEMU:-project}" = debian ]; then
	qemu_args=${MIGACCEL_COST_QEMU_ARGS-"-icount shift=0,sleep=off"}
else
	qemu_args=${MIGACCEL_COST_QEMU_ARGS-}
fi
dirs=()
for r in $(seq 1 "$runs"); do
	d=$out/run$r
	dirs+=("$d")
	mkdir -p "$d"
	echo "cost: run $r of $runs: booting $kver under $qemu (TCG, one thread, plugin)"
	start=$(date +%s)
	tools/vm/run-vm.sh --kernel "$kernel" --initrd "$out/cost.initrd" \
		--out "$d" --mem 2048 --timeout 2400 --append nokaslr \
		"${qemu_opt[@]}" --accel tcg,thread=single \
		--qemu-args "-plugin $out/insn-count.so,out=$d/insn.txt $qemu_args" \
		>"$d/run.log" 2>&1 || { cat "$d/run.log"; die "run $r failed; logs in $d"; }
	grep -q '^migaccel-microbench insn: exit status 0$' "$d/results.tap" ||
		{ grep -v '^kallsyms' "$d/results.tap" | tail -20; die "run $r: the benchmark failed"; }
	echo "cost: run $r took $(( $(date +%s) - start )) s"
done
rc=0
python3 tools/cost-report.py \
	--binary tools/migaccel-microbench "${dirs[@]}" >"$out/report.txt" || rc=$?
cat "$out/report.txt"
# make demo prints this line.
{ sed -n 's/^headline: //p' "$out/report.txt" | tr -d '\n'
  echo " (make cost, $(date -u +%F), $(git describe --always --dirty 2>/dev/null || echo '?'))"; } \
	>"$out/headline.txt"
exit $rc
