#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) the project's QEMU and print the directory it is installed in
# (its binary is DIR/bin/qemu-system-x86_64).
#
# Debian's qemu 10.0 source package (trixie, or bookworm-backports) is
# downloaded once into ~/.cache/migaccel/qemu-src/, unpacked with dpkg-source
# so Debian's own patches apply, then tools/qemu/patches/series is applied on
# top (the emulated DSA/IAA devices and MOVDIR64B in TCG, the migaccel
# multifd method).  libmigaccel is built from this tree and installed in the
# same prefix, and QEMU's migration-test is kept in DIR/tests/ with a
# QTEST_QEMU_BINARY wrapper that adds the firmware directories.  Only what the
# tests need is built: x86_64-softmmu, TCG with plugins.  The result is
# cached in ~/.cache/migaccel/qemu-<version>-<hash of tools/qemu/>/ and
# rebuilt when missing or incomplete.  PKG_CONFIG_PATH (and the rest of the
# environment) reaches configure unchanged.  tools/setup.sh installs the
# build dependencies and the deb-src entry.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${MIGACCEL_CACHE:-$HOME/.cache/migaccel}
srccache=$cache/qemu-src
die() { echo "build-qemu: $*" >&2; exit 1; }

top=$(cd "$here/../.." && pwd)

# The build's inputs: this script, the patches (not the README) and the
# library's interface, which QEMU's migaccel multifd method compiles against.
key=$( { (cd "$here" && find build-qemu.sh patches -type f | LC_ALL=C sort |
	xargs sha256sum); (cd "$top" && sha256sum lib/libmigaccel.h \
	lib/libmigaccel.map lib/libmigaccel.pc.in); } | sha256sum | cut -c1-12)

mkdir -p "$srccache"
# One downloader and one builder at a time; a second caller waits and then
# finds the build complete.
exec 9>"$srccache/.lock"
flock 9

# The newest cached 10.0.x source package, else download one.  Empty when
# there is none: ls fails then, which under pipefail would end the script
# without a word at the assignment below (a bare machine's first run).
newest_dsc() {
	ls -1 "$srccache"/qemu_10.0.*.dsc 2>/dev/null | sort -V | tail -n1 || true
}
dsc=${MIGACCEL_QEMU_DSC:-$(newest_dsc)}
if [ -z "$dsc" ]; then
	echo "build-qemu: downloading Debian's qemu 10.0 source into $srccache" >&2
	# Every 10.0.x the deb-src entries offer (trixie's, bookworm-backports'),
	# newest first, until one downloads ("apt-cache showsrc qemu/SUITE"
	# finds nothing: showsrc takes no suite).
	for ver in $(apt-cache showsrc qemu 2>/dev/null |
		     sed -n 's/^Version: //p' | grep '^1:10\.0\.' | sort -rV || true); do
		(cd "$srccache" && apt-get source --download-only -qq "qemu=$ver" \
			>/dev/null 2>&1) && break
	done
	dsc=$(newest_dsc)
	[ -n "$dsc" ] || die "no qemu 10.0 source package (run tools/setup.sh, it adds the deb-src entry)"
fi
[ -r "$dsc" ] || die "cannot read $dsc"
ver=$(sed -n 's/^Version: //p' "$dsc" | head -n1)
ver=${ver#*:}
case "$ver" in 10.0.*) ;; *) die "$dsc is qemu $ver, not 10.0" ;; esac

out=$cache/qemu-${ver}-${key}
if [ -f "$out/.complete" ] && [ -x "$out/bin/qemu-system-x86_64" ]; then
	echo "$out"
	exit 0
fi

work=$cache/qemu-${ver}-${key}.build
log=$cache/qemu-${ver}-${key}.log
echo "build-qemu: building QEMU $ver into $out (log: $log)" >&2
rm -rf "$out" "$work"
mkdir -p "$work"
start=$(date +%s)
{
	dpkg-source --no-check -x "$dsc" "$work/src"
	if [ -s "$here/patches/series" ]; then
		while read -r p _; do
			case "$p" in '' | '#'*) continue ;; esac
			echo "applying $p"
			patch -d "$work/src" -p1 --batch --forward <"$here/patches/$p"
		done <"$here/patches/series"
	fi
	# libmigaccel goes into the same prefix: QEMU finds it there with
	# pkg-config (a PKG_CONFIG_PATH from the caller comes after) and at
	# run time through its rpath.  LD_LIBRARY_PATH=lib/ in the tree runs
	# QEMU with the tree's current library instead (same ABI).
	make -C "$top/lib" -j"${MIGACCEL_QEMU_JOBS:-$(nproc)}" install \
		PREFIX="$out"
	export PKG_CONFIG_PATH=$out/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	mkdir "$work/src/build"
	cd "$work/src/build"
	../configure --prefix="$out" \
		--target-list=x86_64-softmmu --enable-tcg --enable-plugins \
		--python=/usr/bin/python3 --disable-install-blobs --disable-docs \
		--without-default-features --disable-tools --disable-guest-agent \
		--disable-werror --disable-debug-info \
		--enable-migaccel --extra-ldflags="-Wl,-rpath,$out/lib"
	nice -n 10 ninja -j"${MIGACCEL_QEMU_JOBS:-$(nproc)}" all \
		tests/qtest/migration-test
	ninja install
	# QEMU's migration test, and a QTEST_QEMU_BINARY for it that passes
	# the firmware directories (this QEMU installs no firmware; the name
	# must end in -system-x86_64).
	install -d "$out/tests"
	install -m 755 tests/qtest/migration-test "$out/tests/"
	printf '#!/bin/sh\nexec %s -L /usr/share/seabios -L /usr/share/qemu -L /usr/lib/ipxe/qemu "$@"\n' \
		"$out/bin/qemu-system-x86_64" >"$out/tests/qemu-system-x86_64"
	chmod 755 "$out/tests/qemu-system-x86_64"
	# QEMU's style checker, for the static check of the patches.
	install -D -m 755 ../scripts/checkpatch.pl \
		"$out/share/migaccel/checkpatch.pl"
} >"$log" 2>&1 || { tail -30 "$log" >&2; die "build failed (log: $log)"; }
"$out/bin/qemu-system-x86_64" --version >>"$log" 2>&1 ||
	die "the built QEMU does not run (log: $log)"
rm -rf "$work"
touch "$out/.complete"
echo "build-qemu: QEMU $ver built in $(( $(date +%s) - start ))s" >&2
echo "$out"
