#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Make Debian's qemu 10.0 source package and meson >= 1.5 available for
# tools/qemu/build-qemu.sh.  Called by tools/setup.sh, which installs the
# other build dependencies from its own list.
#   - adds /etc/apt/sources.list.d/migaccel-qemu-src.sources: deb + deb-src
#     for bookworm-backports (meson >= 1.5 for QEMU 10.0) and deb-src for
#     trixie (the qemu 10.0 source package);
#   - installs meson from bookworm-backports.
# Idempotent; with --if-needed it does nothing when all is in place.
set -euo pipefail

list=/etc/apt/sources.list.d/migaccel-qemu-src.sources

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo

want_list() {
	cat <<'SRC'
# Written by migaccel's tools/qemu/setup-qemu-src.sh: the QEMU source
# package and meson for tools/qemu/build-qemu.sh.
Types: deb deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
}

meson_ok=0
if command -v meson >/dev/null &&
   dpkg --compare-versions "$(meson --version 2>/dev/null || echo 0)" ge 1.5; then
	meson_ok=1
fi
list_ok=0
[ -f "$list" ] && cmp -s "$list" <(want_list) && list_ok=1

if [ "${1:-}" = --if-needed ] && [ $meson_ok -eq 1 ] && [ $list_ok -eq 1 ]; then
	exit 0
fi

if [ $list_ok -eq 0 ]; then
	echo "setup-qemu-src: writing $list"
	want_list | $sudo tee "$list" >/dev/null
fi
# Another apt (unattended-upgrades, a second checkout) may hold the lock.
apt=(apt-get -o DPkg::Lock::Timeout=600)
$sudo "${apt[@]}" update -qq
if [ $meson_ok -eq 0 ]; then
	echo "setup-qemu-src: installing meson from bookworm-backports"
	DEBIAN_FRONTEND=noninteractive $sudo "${apt[@]}" install -y -qq \
		--no-install-recommends -t bookworm-backports meson
fi
