#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the path of a cached tarball of a minimal Debian root
# (debootstrap --variant=minbase), made once per day and suite under
# ~/.cache/migaccel/ and shared by every stage that needs a clean Debian 12
# root: tools/fresh-check.sh and the package test of tools/check.sh.
#
# The root's apt sources are those of an installed Debian 12: the suite,
# its -updates and its -security (Debian's 6.12 kernel packages come from
# bookworm-security).  A policy-rc.d refuses to start services: packages
# installed in the root must not start daemons on the host.
#
#   MIGACCEL_DEBIAN_SUITE   (bookworm)
#   MIGACCEL_DEBIAN_MIRROR  (http://deb.debian.org/debian)
#   MIGACCEL_DEBIAN_SECURITY (http://deb.debian.org/debian-security)
#   MIGACCEL_BASE_DATE      (today, YYYYMMDD): the cache key; a base made
#                           on another day is made again
set -euo pipefail

cache=${MIGACCEL_CACHE:-$HOME/.cache/migaccel}
suite=${MIGACCEL_DEBIAN_SUITE:-bookworm}
mirror=${MIGACCEL_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${MIGACCEL_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
day=${MIGACCEL_BASE_DATE:-$(date -u +%Y%m%d)}
name=debian-base-$suite-minbase
tarball=$cache/$name-$day.tar

[ "$(id -u)" -eq 0 ] || { echo "debian-base: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null ||
	{ echo "debian-base: no debootstrap (make setup)" >&2; exit 1; }

mkdir -p "$cache"
if [ ! -f "$tarball" ]; then
	exec 9>"$cache/$name.lock"
	flock 9
fi
if [ ! -f "$tarball" ]; then
	tmp=$(mktemp -d "$cache/$name.tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	echo "debian-base: debootstrap --variant=minbase $suite from $mirror" >&2
	start=$(date +%s)
	if ! debootstrap --variant=minbase "$suite" "$tmp/root" "$mirror" \
		>"$tmp/debootstrap.log" 2>&1; then
		tail -20 "$tmp/debootstrap.log" >&2
		tail -20 "$tmp/root/debootstrap/debootstrap.log" >&2 2>/dev/null || true
		echo "debian-base: debootstrap failed" >&2
		exit 1
	fi
	rm -f "$tmp/root/etc/apt/sources.list"
	cat >"$tmp/root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
	printf '#!/bin/sh\n# migaccel: no service starts inside this root\nexit 101\n' \
		>"$tmp/root/usr/sbin/policy-rc.d"
	chmod 755 "$tmp/root/usr/sbin/policy-rc.d"
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb
	tar -C "$tmp/root" --numeric-owner -cf "$tmp/base.tar" .
	mv "$tmp/base.tar" "$tarball"
	echo "debian-base: made $tarball in $(( $(date +%s) - start ))s" >&2
	# Older bases of this suite were made by this script: drop them.
	for old in "$cache/$name"-*.tar; do
		[ "$old" = "$tarball" ] || rm -f "$old"
	done
fi
echo "$tarball"
