#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the netlink uapi header and the kernel policy/op tables from
# Documentation/netlink/migaccel.yaml with the kernel's YNL generator
# (tools/net/ynl/ynl-gen-c.py of linux-source-6.12).  The generated files
# are committed; run this after changing the spec.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src=${LINUX_SRC:-$("$top/tools/vm/linux-source.sh")}
# ynl-gen-c.py finds the schema next to the spec and the tree root by its
# MAINTAINERS file: give it a scratch tree shaped like the kernel's.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/Documentation/netlink/specs"
touch "$tmp/MAINTAINERS"
cp "$src/Documentation/netlink/genetlink.yaml" "$tmp/Documentation/netlink/"
cp "$top/Documentation/netlink/migaccel.yaml" "$tmp/Documentation/netlink/specs/"
spec=$tmp/Documentation/netlink/specs/migaccel.yaml

gen() {
	(cd "$src/tools/net/ynl" && python3 ynl-gen-c.py --spec "$spec" "$@")
}
gen --mode uapi --header -o "$tmp/migaccel_nl.h"
gen --mode kernel --header -o "$tmp/nl-gen.h"
gen --mode kernel --source -o "$tmp/nl-gen.c"
# The spec lives in Documentation/netlink/, not specs/.
sed -i "s,netlink/specs/,netlink/," "$tmp/migaccel_nl.h" "$tmp/nl-gen.h" "$tmp/nl-gen.c"
# uapi headers compile as C90: no comma after the last enumerator.
perl -0pi -e 's/,\n\};/\n};/g' "$tmp/migaccel_nl.h"
cp "$tmp/migaccel_nl.h" "$top/uapi/linux/migaccel_nl.h"
# Generated code stays out of kernel/*.c, which checkpatch and kernel-doc
# check: it is formatted by the generator.
cp "$tmp/nl-gen.h" "$tmp/nl-gen.c" "$top/kernel/gen/"
