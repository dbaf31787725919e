#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract Debian's linux-source-6.12 once under ~/.cache/migaccel/ and print
# the tree's path.  Used for the idxd internal headers, the kselftest harness
# and the debug kernel.
set -euo pipefail

cache=${MIGACCEL_CACHE:-$HOME/.cache/migaccel}
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
[ -r "$tarball" ] || { echo "missing $tarball (apt-get install linux-source-6.12)" >&2; exit 1; }

srcver=$(dpkg-query -W -f '${Version}' linux-source-6.12 2>/dev/null || stat -c %Y "$tarball")
dir=$cache/linux-source-$srcver
if [ ! -f "$dir/.complete" ]; then
	mkdir -p "$cache"
	exec 9>"$dir.lock"
	flock 9
fi
if [ ! -f "$dir/.complete" ]; then
	rm -rf "$dir" "$dir.tmp"
	mkdir -p "$dir.tmp"
	tar -C "$dir.tmp" --strip-components=1 -xf "$tarball"
	touch "$dir.tmp/.complete"
	mv "$dir.tmp" "$dir"
fi
echo "$dir"
