#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print libmigaccel0's dpkg symbols file from the version script: every
# symbol of node LIBMIGACCEL_X.Y has minimum version X.Y (the library
# version that introduced it); the nodes themselves too.
set -eu
map=${1:?usage: gen-symbols.sh libmigaccel.map}
echo "libmigaccel.so.0 libmigaccel0 #MINVER#"
echo "* Build-Depends-Package: libmigaccel-dev"
awk '
	/^[A-Z0-9_.]+ *\{/ { node = $1; ver = node; sub(/^LIBMIGACCEL_/, "", ver)
			     print " " node "@" node " " ver; next }
	/^[ \t]*local:/    { node = ""; next }
	node != "" && /^[ \t]*[a-z_0-9]+;/ {
		sym = $1; sub(/;$/, "", sym); print " " sym "@" node " " ver }
' "$map" | LC_ALL=C sort
