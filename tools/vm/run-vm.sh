#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel + initramfs from mkinitramfs.sh in QEMU (TCG is fine) and
# collect what the VM sends back:
#   OUT/console.log  ttyS0, the kernel console
#   OUT/results.tap  ttyS1, the test script's TAP output
#   OUT/dmesg.txt    ttyS2, the full kernel log taken just before power-off
# Exit 0 only if /init reached its end marker.
set -euo pipefail

usage() {
	cat >&2 <<EOF
usage: $0 --kernel BZIMAGE --initrd INITRAMFS --out DIR
          [--timeout SECONDS (1200)] [--mem MB (2048)] [--append "ARGS"]
          [--cpu MODEL (max, plus MOVDIR64B under TCG)]
          [--qemu BINARY (\$MIGACCEL_QEMU, else qemu-system-x86_64)]
          [--qemu-args "ARGS" (more QEMU options, e.g. -device ...)]
          [--accel ACCEL (\$MIGACCEL_VM_ACCEL, else tcg)]
EOF
	exit 2
}
die() { echo "run-vm: $*" >&2; exit 1; }

kernel='' initrd='' out='' timeout=1200 mem=2048 append='' cpu='' accel=''
qemu=${MIGACCEL_QEMU:-} qemu_args=''
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--kernel) kernel=$2 ;;
	--initrd) initrd=$2 ;;
	--out) out=$2 ;;
	--timeout) timeout=$2 ;;
	--mem) mem=$2 ;;
	--append) append=$2 ;;
	--cpu) cpu=$2 ;;
	--accel) accel=$2 ;;
	--qemu) qemu=$2 ;;
	--qemu-args) qemu_args=$2 ;;
	*) usage ;;
	esac
	shift 2
done
{ [ -n "$kernel" ] && [ -n "$initrd" ] && [ -n "$out" ]; } || usage
[ -r "$kernel" ] || die "cannot read kernel $kernel"
[ -r "$initrd" ] || die "cannot read initramfs $initrd"
case "$timeout" in '' | *[!0-9]*) die "--timeout wants seconds" ;; esac

# The project's QEMU (tools/qemu/build-qemu.sh) installs no firmware:
# SeaBIOS comes from Debian's seabios package, linuxboot_dma.bin from
# qemu-system-data.  It has no network backend; the tests need no network.
extra=()
if [ -n "$qemu" ]; then
	[ -x "$qemu" ] || die "cannot run $qemu"
	extra+=(-L /usr/share/seabios -L /usr/share/qemu -nic none)
else
	qemu=qemu-system-x86_64
fi
# shellcheck disable=SC2206 # --qemu-args is a list of words on purpose
extra+=($qemu_args)

mkdir -p "$out"
rm -f "$out"/console.log "$out"/results.tap "$out"/dmesg.txt "$out"/qemu.log

# Software emulation (TCG) unless asked otherwise (--accel, or
# MIGACCEL_VM_ACCEL for every VM of make check): the emulated DSA and IAA
# and the MOVDIR64B they take exist only under TCG, and a /dev/kvm may be
# there without running Debian's kernel (a nested host's kvm-pvm was).
[ -n "$accel" ] || accel=${MIGACCEL_VM_ACCEL:-tcg}
# idxd refuses to load without MOVDIR64B, which TCG does not emulate.  The
# VM has no DSA device, so idxd never issues the instruction; advertising it
# lets the module and its sysfs bus be tested.  Code that did execute it
# would get #UD.
if [ -z "$cpu" ]; then
	cpu=max
	[ "${accel%%,*}" = tcg ] && cpu=max,+movdir64b,x-force-features=on
fi
# panic=-1 turns a panic into a reboot, which -no-reboot turns into an exit.
# Oopses do not panic: /init goes on and the logs say what happened.
# The debug kernel prints a lot; a big log buffer keeps dmesg.txt complete.
cmdline="console=ttyS0 panic=-1 log_buf_len=8M printk.devkmsg=on $append"

start=$(date +%s)
rc=0
# The -serial order is the ttyS order: ttyS0, ttyS1, ttyS2.
# Two sockets, not two cores: without ACPI the kernel finds CPUs in
# SeaBIOS's MP table, which lists one CPU per socket.
timeout -k 10 "$timeout" "$qemu" \
	-M q35 -accel "$accel" -cpu "$cpu" -smp 2,sockets=2,cores=1,threads=1 \
	-m "$mem" \
	-nographic -monitor none -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-chardev file,id=con,path="$out/console.log" -serial chardev:con \
	-chardev file,id=res,path="$out/results.tap" -serial chardev:res \
	-chardev file,id=log,path="$out/dmesg.txt" -serial chardev:log \
	"${extra[@]}" \
	</dev/null 2>"$out/qemu.log" || rc=$?
elapsed=$(( $(date +%s) - start ))

if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "run-vm: TIMEOUT: VM still running after ${timeout}s, killed" >&2
	tail -20 "$out/console.log" >&2 2>/dev/null || true
	exit 1
fi
if [ $rc -ne 0 ]; then
	grep -v "TCG doesn't support requested feature" "$out/qemu.log" >&2 || true
	die "qemu failed with status $rc"
fi
if ! grep -q '^# migaccel-vm: end' "$out/results.tap" 2>/dev/null; then
	echo "run-vm: VM stopped after ${elapsed}s before /init finished" \
		"(panic or crash?); dmesg.txt is written only at the end, so" \
		"check console.log instead. Console tail:" >&2
	tail -30 "$out/console.log" >&2 2>/dev/null || true
	exit 1
fi
echo "run-vm: VM ran to the end in ${elapsed}s; logs in $out" >&2
