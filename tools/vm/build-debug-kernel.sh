#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the debug/KUnit test kernel from Debian's linux-source-6.12
# and print the directory that holds it.  The result is cached under
# ~/.cache/migaccel/ keyed by source version and config fragment; a missing
# or incomplete cache is rebuilt from scratch.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${MIGACCEL_CACHE:-$HOME/.cache/migaccel}
tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
fragment=$here/debug-kernel.config

[ -r "$tarball" ] || { echo "missing $tarball (apt-get install linux-source-6.12)" >&2; exit 1; }

srcver=$(dpkg-query -W -f '${Version}' linux-source-6.12 2>/dev/null || stat -c %Y "$tarball")
src=$("$here/linux-source.sh")
key=$(printf '%s\n' "$srcver" | cat - "$fragment" | sha256sum | cut -c1-12)
out=$cache/kernel-${srcver}-${key}

if [ -f "$out/.complete" ]; then
	echo "$out"
	exit 0
fi

# Two builds at once (parallel checkouts) would remove each other's tree:
# the second waits for the first and then finds it complete.
mkdir -p "$cache"
exec 9>"$cache/kernel-${srcver}-${key}.lock"
flock 9
if [ -f "$out/.complete" ]; then
	echo "$out"
	exit 0
fi

log=$cache/kernel-${srcver}-${key}.log
echo "building debug kernel in $out (log: $log)" >&2
rm -rf "$out"
mkdir -p "$out"
start=$(date +%s)
{
	make -C "$src" O="$out" allnoconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment"
	make -C "$src" O="$out" olddefconfig
} >"$log" 2>&1

# merge_config only warns when a symbol did not stick: insist on it.
missing=0
while IFS= read -r line; do
	case "$line" in CONFIG_*=*) ;; *) continue ;; esac
	grep -qxF "$line" "$out/.config" || { echo "config: $line did not apply" >&2; missing=1; }
done <"$fragment"
[ $missing -eq 0 ] || exit 1

make -C "$src" O="$out" -j"$(nproc)" bzImage modules >>"$log" 2>&1 ||
	{ tail -30 "$log" >&2; exit 1; }
make -C "$src" O="$out" INSTALL_MOD_PATH="$out/modroot" modules_install >>"$log" 2>&1
touch "$out/.complete"
echo "debug kernel built in $(( $(date +%s) - start ))s" >&2
echo "$out"
