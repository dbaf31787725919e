#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make fresh-check: README's quick start on a bare Debian 12, as a new user
# runs it.  A scratch copy of the cached minimal Debian root
# (tools/vm/debian-base.sh, debootstrap --variant=minbase) gets a
# `git archive HEAD` of this tree in /root/migaccel and only `make` and
# `git` (what README asks for first); inside it, through chroot with /proc,
# /sys and /dev bind-mounted, runs `make check` as the first command, with
# MIGACCEL_CHECK_STAGES (default static,host,stock: setup, the build,
# static checks, the host tests and the VM on the stock kernel; the debug
# kernel stage builds a kernel and is left to the host's make check).
# Passes only if that check's last line is "N passed, 0 failed" with N > 0.
#
# Uncommitted changes are not tested: the tree is HEAD, as a clone has it.
#
#   MIGACCEL_FRESH_STAGES  stages for the check inside (static,host,stock;
#                          the build always runs)
#   MIGACCEL_FRESH_KEEP=1  keep the scratch root (printed) for inspection
#   MIGACCEL_FRESH_DIR     where scratch roots go (/var/tmp)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${MIGACCEL_FRESH_OUT:-$top/build/fresh-check}
stages=${MIGACCEL_FRESH_STAGES:-static,host,stock}
mkdir -p "$out"
start=$(date +%s)

[ "$(id -u)" -eq 0 ] || { echo "fresh-check: needs root (debootstrap, chroot, mount)" >&2; exit 1; }
git rev-parse --verify -q HEAD >/dev/null ||
	{ echo "fresh-check: not a git checkout with a commit" >&2; exit 1; }

base=$(tools/vm/debian-base.sh)
t_base=$(( $(date +%s) - start ))

root=$(mktemp -d "${MIGACCEL_FRESH_DIR:-/var/tmp}/migaccel-fresh.XXXXXX")
chmod 755 "$root" # apt downloads as _apt, who must reach /
mounts=()
cleanup() {
	local rc=$? m i
	# Undo the mounts in reverse order; -R takes the submounts of /dev, /sys.
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		m=${mounts[i]}
		umount -R "$m" 2>/dev/null || umount -R -l "$m" ||
			echo "fresh-check: could not unmount $m" >&2
	done
	if grep -q " $root/" /proc/self/mounts; then
		echo "fresh-check: still mounted under $root, not removing it" >&2
		rc=1
	elif [ "${MIGACCEL_FRESH_KEEP:-0}" = 1 ]; then
		echo "fresh-check: kept $root" >&2
	else
		rm -rf --one-file-system "$root"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

tar -C "$root" -xf "$base"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/root/migaccel"
git archive --format=tar HEAD | tar -C "$root/root/migaccel" -xf -

# bind mounts, made slaves so nothing unmounted here propagates to the host
bind() {
	mount --rbind "$1" "$root$1"
	mounts+=("$root$1")
	mount --make-rslave "$root$1"
}
mount -t proc proc "$root/proc"
mounts+=("$root/proc")
bind /sys
bind /dev

inside() {
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive "$@"
}

t0=$(date +%s)
echo "fresh-check: root $root (base $base, ${t_base}s), tree $(git rev-parse --short HEAD)"
echo "fresh-check: apt-get install make git"
inside sh -c 'apt-get -qq update && apt-get install -y -qq --no-install-recommends make git' \
	>"$out/prereq.log" 2>&1 || { tail -20 "$out/prereq.log"; exit 1; }
t_prereq=$(( $(date +%s) - t0 ))

t0=$(date +%s)
echo "fresh-check: make check (MIGACCEL_CHECK_STAGES=$stages) inside; log $out/make-check.log"
rc=0
inside sh -c "cd /root/migaccel && MIGACCEL_CHECK_STAGES=$stages make check" \
	>"$out/make-check.log" 2>&1 || rc=$?
t_check=$(( $(date +%s) - t0 ))
# The check's own logs, for a failure's details.
rm -rf "$out/check"
cp -a "$root/root/migaccel/build/check" "$out/check" 2>/dev/null || true

grep -E '^(== |total time|setup:)' "$out/make-check.log" || true
last=$(tail -n1 "$out/make-check.log")
echo "fresh-check: inside: $last"
echo "fresh-check: times: base ${t_base}s, make+git ${t_prereq}s, make check ${t_check}s," \
	"total $(( $(date +%s) - start ))s"
if [ $rc -ne 0 ] || ! [[ "$last" =~ ^([1-9][0-9]*)\ passed,\ 0\ failed$ ]]; then
	grep -E '^FAIL' "$out/make-check.log" | head -20 || true
	tail -30 "$out/make-check.log"
	echo "fresh-check: FAILED (make check exit status $rc)"
	exit 1
fi
echo "fresh-check: passed"
