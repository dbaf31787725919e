#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: build the Debian packages (dpkg-buildpackage -b) in a copy of
# the tree under build/deb/src (the checkout stays clean), leaving the
# .debs, .buildinfo and .changes in build/deb/, then run lintian on them.
# Fails when dpkg-buildpackage fails or lintian reports an error or a
# warning.  DEB_BUILD_OPTIONS passes through (nocheck skips the library's
# CPU tests at build time).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${MIGACCEL_DEB_OUT:-$top/build/deb}
start=$(date +%s)

rm -rf "$out"
mkdir -p "$out/src"
# Everything git tracks or would track (committed or not), nothing built.
git ls-files -z --cached --others --exclude-standard |
	xargs -0 tar -cf - --no-recursion --ignore-failed-read | tar -C "$out/src" -xf -
(cd "$out/src" && dpkg-buildpackage -b -us -uc -j2) >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log"; echo "deb: dpkg-buildpackage failed, see $out/build.log" >&2; exit 1; }
ls "$out"/*.deb
lintian --fail-on error,warning --info "$out"/*.changes >"$out/lintian.log" 2>&1 ||
	{ cat "$out/lintian.log"; echo "deb: lintian failed" >&2; exit 1; }
cat "$out/lintian.log"
echo "deb: built and lintian clean in $(( $(date +%s) - start ))s"
