#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package migaccel needs to build, test, demo and
# package itself: the one list of them.  Idempotent.
#
#   tools/setup.sh              install what is missing (root or sudo)
#   tools/setup.sh --if-needed  the same, silent when nothing is missing
#                               (make check, make demo, make deb)
#   tools/setup.sh --check      install nothing; fail with the list of
#                               missing packages (make, make all)
#   tools/setup.sh --list       print the list
set -euo pipefail

packages=(
	# build
	build-essential make gcc pkg-config git rsync python3
	bc flex bison libelf-dev libssl-dev dwarves cpio xz-utils kmod
	linux-headers-6.12-amd64 linux-source-6.12
	zlib1g-dev libdeflate-dev libisal-dev libnl-3-dev libnl-genl-3-dev
	# static checks and man pages
	sparse man-db groff-base
	# VM tests and the demo (zstd: scripts/extract-vmlinux unpacks
	# Debian's kernel image with unzstd for the demo's guests)
	linux-image-6.12-amd64 qemu-system-x86 busybox-static zstd
	# Debian packages (make deb) and their test: a clean root made with
	# debootstrap, DKMS, the accel-config profile, the systemd unit
	debhelper dh-dkms dkms dpkg-dev fakeroot lintian debootstrap
	accel-config systemd
)
# The project's QEMU (tools/qemu/build-qemu.sh) needs these besides, and
# meson >= 1.5 and Debian's qemu source package, whose apt sources
# tools/qemu/setup-qemu-src.sh adds.
qemu_packages=(ninja-build python3-pycotap python3-venv libfdt-dev
	libglib2.0-dev libpixman-1-dev seabios qemu-system-data patch)

case "${1:-}" in
--list) printf '%s\n' "${packages[@]}" "${qemu_packages[@]}"; exit 0 ;;
'' | --if-needed | --check) ;;
*) echo "usage: $0 [--if-needed | --check | --list]" >&2; exit 2 ;;
esac

# The project's QEMU: its build dependencies, meson from bookworm-backports
# and the source package's apt sources.  Building the module
# and the library (--check) does not need them, nor a make check limited
# to stages that do not use that QEMU (MIGACCEL_CHECK_STAGES without qemu
# and idxd, as make fresh-check runs it).
need_qemu=1
[ "${1:-}" = --check ] && need_qemu=''
case ",${MIGACCEL_CHECK_STAGES:-qemu}," in
*,qemu,* | *,idxd,*) ;;
*) need_qemu='' ;;
esac
[ -z "$need_qemu" ] || packages+=("${qemu_packages[@]}")

# linux-source-6.12 gives the module idxd's internal headers, which must be
# those of the kernel it is built for (tools/dkms/idxd-headers.sh refuses
# another version).  The archive may carry a newer linux-source-6.12 than
# linux-headers-6.12-amd64 for a while, so it is installed at the headers'
# version, downgrading it if need be.
version() { dpkg-query -W -f '${Version}' "$1" 2>/dev/null || true; }
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ -n "$(version linux-headers-6.12-amd64)" ] &&
	[ "$(version linux-source-6.12)" != "$(version linux-headers-6.12-amd64)" ] &&
	[[ " ${missing[*]} " != *" linux-source-6.12 "* ]]; then
	missing+=(linux-source-6.12)
	echo "setup: linux-source-6.12 is $(version linux-source-6.12)," \
		"linux-headers-6.12-amd64 $(version linux-headers-6.12-amd64):" \
		"the module needs them equal" >&2
fi
[ -z "$need_qemu" ] || "$(dirname "$0")/qemu/setup-qemu-src.sh" "$@"

if [ ${#missing[@]} -eq 0 ]; then
	[ -z "${1:-}" ] && echo "setup: all packages present"
	exit 0
fi
if [ "${1:-}" = --check ]; then
	echo "setup: missing Debian packages: ${missing[*]}" >&2
	echo "setup: install them with 'make setup' (root or sudo)," \
		"or run 'make check' or 'make demo', which do it" >&2
	exit 1
fi

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "setup: installing ${missing[*]}"
# Another apt (unattended-upgrades, a second checkout) may hold the lock.
apt=(apt-get -o DPkg::Lock::Timeout=600)
$sudo "${apt[@]}" update -qq
hv=$(version linux-headers-6.12-amd64)
[ -n "$hv" ] || hv=$(apt-cache policy linux-headers-6.12-amd64 | sed -n 's/^ *Candidate: //p')
for i in "${!missing[@]}"; do
	if [ "${missing[$i]}" = linux-source-6.12 ]; then
		missing[i]="linux-source-6.12=$hv"
	fi
done
DEBIAN_FRONTEND=noninteractive $sudo "${apt[@]}" install -y -qq \
	--no-install-recommends --allow-downgrades "${missing[@]}"
