# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by tools/fresh-check.sh and tools/pkg-test.sh: a scratch Debian
# root made from the cached base of tools/vm/debian-base.sh, with /proc,
# /sys and /dev mounted for chroot, and apt's downloads kept in a cache
# shared by every root (~/.cache/migaccel/apt-archives) so that a second
# root does not download the same packages again.  The cache is copied in
# (hard links) and what apt added is copied back, so that two roots never
# wait for each other's apt lock.
#
# Nothing run inside may load a kernel module: the chroot shares the host's
# kernel.  Services do not start (the base has a policy-rc.d).

# root_new DIR-PREFIX: make a scratch root from the base, print its path.
root_new() {
	local base root
	base=$("$top/tools/vm/debian-base.sh") || return 1
	root=$(mktemp -d "$1.XXXXXX") || return 1
	chmod 755 "$root" # apt downloads as _apt, who must reach /
	tar -C "$root" -xf "$base" || return 1
	cp -L /etc/resolv.conf "$root/etc/resolv.conf"
	echo "$root"
}

# root_mount ROOT: mount /proc, /sys, /dev (made slaves, so nothing done
# inside propagates to the host) and the apt archive cache.
root_mounted=()
root_mount() {
	local root=$1 d archives=${MIGACCEL_CACHE:-$HOME/.cache/migaccel}/apt-archives
	root_mounted_root=$root
	mkdir -p "$archives"
	find "$archives" -maxdepth 1 -name '*.deb' -exec cp -l -n -t "$root/var/cache/apt/archives/" {} + 2>/dev/null ||
		find "$archives" -maxdepth 1 -name '*.deb' -exec cp -n -t "$root/var/cache/apt/archives/" {} +
	mount -t proc proc "$root/proc" && root_mounted+=("$root/proc") || return 1
	for d in /sys /dev; do
		mount --rbind "$d" "$root$d" && root_mounted+=("$root$d") || return 1
		mount --make-rslave "$root$d" || return 1
	done
}

# root_save_debs ROOT: copy the packages apt downloaded into the cache.
root_save_debs() {
	local archives=${MIGACCEL_CACHE:-$HOME/.cache/migaccel}/apt-archives f b
	for f in "$1"/var/cache/apt/archives/*.deb; do
		[ -f "$f" ] || continue
		b=${f##*/}
		[ -e "$archives/$b" ] && continue
		cp "$f" "$archives/.$b.tmp" && mv "$archives/.$b.tmp" "$archives/$b"
	done
}

# root_kill ROOT: end the processes still running inside ROOT (after an
# interrupted command: they outlive the chroot command that started them).
root_kill() {
	local root=$1 p pids sig
	for sig in TERM KILL; do
		pids=''
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && pids="$pids ${p#/proc/}"
		done
		[ -n "$pids" ] || return 0
		# shellcheck disable=SC2086 # a list of pids
		kill -$sig $pids 2>/dev/null
		sleep 2
	done
}

# root_umount: end what still runs in the root, then undo every
# root_mount, last first; fails if any stays.
root_umount() {
	local i m rc=0
	if [ -n "${root_mounted_root:-}" ]; then
		root_kill "$root_mounted_root"
		root_save_debs "$root_mounted_root"
	fi
	for ((i = ${#root_mounted[@]} - 1; i >= 0; i--)); do
		m=${root_mounted[i]}
		umount -R "$m" 2>/dev/null || umount -R -l "$m" ||
			{ echo "could not unmount $m" >&2; rc=1; }
	done
	root_mounted=()
	return $rc
}

# root_remove ROOT: delete a root that has nothing mounted under it.
root_remove() {
	local root=$1
	[ -n "$root" ] && [ -d "$root" ] || return 0
	if grep -q " $root/" /proc/self/mounts; then
		echo "still mounted under $root, not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$root"
}

# inside ROOT CMD...: run CMD in the root with a clean environment.
inside() {
	local root=$1
	shift
	chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive "$@"
}
