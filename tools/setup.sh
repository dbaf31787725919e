#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package migaccel needs to build, test and demo.
# Idempotent.  With --if-needed it only calls apt-get when something is
# missing, so `make check` and `make demo` can run it every time.
set -euo pipefail

packages=(
	build-essential make gcc pkg-config git rsync python3
	bc flex bison libelf-dev libssl-dev dwarves cpio xz-utils kmod
	linux-headers-6.12-amd64 linux-source-6.12 linux-image-6.12-amd64
	qemu-system-x86 busybox-static
	sparse man-db groff-base
	zlib1g-dev libdeflate-dev libisal-dev libnl-3-dev libnl-genl-3-dev
	accel-config
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done

# The project's QEMU (tools/qemu/build-qemu.sh): its source package, meson
# from bookworm-backports and the build dependencies.
"$(dirname "$0")/qemu/setup-qemu-src.sh" "$@"

if [ "${1:-}" = --if-needed ] && [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
[ ${#missing[@]} -eq 0 ] && { echo "setup: all packages present"; exit 0; }

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
	--no-install-recommends "${missing[@]}"
