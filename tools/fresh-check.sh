#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fresh-check: README's quick start on a bare Debian 12, as a new user
# runs it.  A scratch copy of the cached minimal Debian root
# (tools/vm/debian-base.sh: debootstrap --variant=minbase, made once a
# day) gets a `git archive HEAD` of this tree in /root/migaccel and only
# `make` and `git`, what README asks for first.  Inside it, through chroot
# with /proc, /sys and /dev mounted (tools/vm/chroot-lib.sh), `make check`
# runs as the first command with MIGACCEL_CHECK_STAGES=static,host,stock:
# setup (every package, from nothing), the build, the static checks, the
# host tests and the VM on the stock kernel.  The debug kernel and package
# stages are left to the host's own make check.  Passes only if that
# check's last line is "N passed, 0 failed" with N > 0.
#
# Uncommitted changes are not tested: the tree is HEAD, as a clone has it.
# apt's downloads are cached across runs (~/.cache/migaccel/apt-archives);
# nothing else is shared with the host.  The one liberty taken with a real
# machine: update-initramfs is diverted to true in the root, whose kernel
# is never booted (the VM boots an initramfs of tools/vm/mkinitramfs.sh).
#
#   MIGACCEL_FRESH_STAGES  stages for the check inside (static,host,stock;
#                          the build always runs)
#   MIGACCEL_FRESH_KEEP=1  keep the scratch root (its path is printed)
#   MIGACCEL_FRESH_DEMO=1  then `make demo` as the second command
#                          (MIGACCEL_DEMO_RAM passes through)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=tools/vm/chroot-lib.sh
. tools/vm/chroot-lib.sh
out=${MIGACCEL_FRESH_OUT:-$top/build/fresh-check}
stages=${MIGACCEL_FRESH_STAGES:-static,host,stock}
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)

[ "$(id -u)" -eq 0 ] || { echo "fresh-check: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
git rev-parse --verify -q HEAD >/dev/null ||
	{ echo "fresh-check: not a git checkout with a commit" >&2; exit 1; }
command -v debootstrap >/dev/null ||
	{ echo "fresh-check: no debootstrap (make setup)" >&2; exit 1; }

root=''
cleanup() {
	local rc=$?
	root_umount || rc=1
	if [ -n "$root" ] && [ "${MIGACCEL_FRESH_KEEP:-0}" = 1 ]; then
		echo "fresh-check: kept $root" >&2
	elif [ -n "$root" ]; then
		root_remove "$root" || rc=1
	fi
	exit $rc
}
trap cleanup EXIT

root=$(root_new "${TMPDIR:-/var/tmp}/migaccel-fresh")
t_base=$(( $(date +%s) - start ))
mkdir -p "$root/root/migaccel"
git archive --format=tar HEAD | tar -C "$root/root/migaccel" -xf -
root_mount "$root"

t0=$(date +%s)
echo "fresh-check: root $root (${t_base}s), tree $(git rev-parse --short HEAD)"
echo "fresh-check: apt-get install make git"
# The root's own initramfs would be built at each kernel or kmod install
# (minutes each) and never booted: the VM boots one of its own.
inside "$root" sh -c 'dpkg-divert --local --rename --divert \
		/usr/sbin/update-initramfs.migaccel --add /usr/sbin/update-initramfs &&
	ln -s /bin/true /usr/sbin/update-initramfs &&
	apt-get -qq update &&
	apt-get install -y -qq --no-install-recommends make git' \
	>"$out/prereq.log" 2>&1 || { tail -20 "$out/prereq.log"; exit 1; }
t_prereq=$(( $(date +%s) - t0 ))

t0=$(date +%s)
echo "fresh-check: make check (MIGACCEL_CHECK_STAGES=$stages) inside; log $out/make-check.log"
# Each line of the log gets the seconds since make check started.
stamp() {
	local line
	while IFS= read -r line; do
		printf '[%5ds] %s\n' $(( $(date +%s) - t0 )) "$line"
	done
}
set +e
inside "$root" sh -c "cd /root/migaccel && MIGACCEL_CHECK_STAGES=$stages make check" 2>&1 |
	stamp >"$out/make-check.log"
rc=${PIPESTATUS[0]}
set -e
t_check=$(( $(date +%s) - t0 ))
cp -a "$root/root/migaccel/build/check" "$out/check" 2>/dev/null || true

# setup's packages, then the check's stage headers, with their times.
grep -E '^\[ *[0-9]+s\] (== |total time|setup:|   \()' "$out/make-check.log" || true
last=$(tail -n1 "$out/make-check.log" | sed 's/^\[ *[0-9]*s\] //')
echo "fresh-check: inside: $last"
echo "fresh-check: times: root ${t_base}s, make+git ${t_prereq}s, make check ${t_check}s," \
	"total $(( $(date +%s) - start ))s"
if [ $rc -ne 0 ] || ! [[ "$last" =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then
	grep -E '^FAIL' "$out/make-check.log" | head -20 || true
	tail -30 "$out/make-check.log"
	echo "fresh-check: FAILED (make check exit status $rc)"
	exit 1
fi
if [ "${MIGACCEL_FRESH_DEMO:-0}" = 1 ]; then
	t0=$(date +%s)
	echo "fresh-check: make demo (MIGACCEL_DEMO_RAM=${MIGACCEL_DEMO_RAM:-1G}) inside; log $out/make-demo.log"
	set +e
	inside "$root" sh -c "cd /root/migaccel && MIGACCEL_DEMO_RAM=${MIGACCEL_DEMO_RAM:-1G} make demo" 2>&1 |
		stamp >"$out/make-demo.log"
	rc=${PIPESTATUS[0]}
	set -e
	grep -E 'verified|demo: finished' "$out/make-demo.log" || true
	echo "fresh-check: make demo exit status $rc in $(( $(date +%s) - t0 ))s"
	[ $rc -eq 0 ] || { tail -30 "$out/make-demo.log"; echo "fresh-check: FAILED (make demo)"; exit 1; }
fi
echo "fresh-check: passed"
