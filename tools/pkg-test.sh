#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The package test of make check (tools/check.sh, stage "packages"), in two
# halves around the VM that boots the DKMS-built module:
#
#   pkg-test.sh install OUT KVER DEB...
#       A clean Debian root (the cached debootstrap base, tools/vm/
#       debian-base.sh) gets linux-headers-6.12-amd64 with apt (plus gcc,
#       libc6-dev, pkg-config, systemd, man-db; update-initramfs
#       is diverted to true: the root is never booted), then the
#       packages with `apt install ./*.deb`: DKMS builds migaccel.ko in
#       the root.  Checks DKMS's result, the module's vermagic, the unit
#       (systemd-analyze verify), the accel-config profile, and builds
#       tools/vm/pkg-smoke.c against the installed libmigaccel-dev.  Copies
#       what the VM needs to OUT/vm/ and leaves the root (path in
#       OUT/root.path) unmounted for the second half.
#   pkg-test.sh purge OUT
#       apt purge of the packages and autoremove of what they pulled in.
#       Every name under /etc, /usr, /lib/modules and /var/lib/dkms that
#       was not there before the packages were installed must belong to a
#       package that was not installed then (a dependency apt keeps, e.g.
#       perl for dpkg-dev): nothing of migaccel's may be left, not even a
#       file its scripts or DKMS made.  Removes the root.
#
# Prints TAP on stdout; logs in OUT/.  Never loads anything into the
# host's kernel: nothing inside the root runs modprobe or starts services.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=tools/vm/chroot-lib.sh
. tools/vm/chroot-lib.sh

pkgs=(migaccel-dkms libmigaccel0 libmigaccel-dev migaccel-tools)
n=0
failed=0
# t NAME LOG CMD...: one TAP case, passing when CMD exits 0; the log's tail
# goes in the TAP output as comments when it fails.
t() {
	local name=$1 log=$2
	shift 2
	n=$((n + 1))
	if "$@" >"$log" 2>&1; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		tail -15 "$log" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
}
finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}

# snapshot ROOT FILE: the names under /etc, /usr, /lib/modules (and
# /var/lib/dkms, where DKMS keeps its builds).
snapshot() {
	(cd "$1" && find etc usr lib/modules var/lib/dkms 2>/dev/null | LC_ALL=C sort) >"$2"
}

# kept_alternatives ROOT: filter out of the names on stdin the links of
# update-alternatives (/etc/alternatives/X and the links to it) whose
# current value belongs to a package of packages-kept.txt: a kept
# dependency's postinst made them.
kept_alternatives() {
	local root=$1 f name val pkg
	while IFS= read -r f; do
		name=''
		case "$f" in
		etc/alternatives/*) name=${f#etc/alternatives/} ;;
		*) [ -L "$root/$f" ] && case "$(readlink "$root/$f")" in
			/etc/alternatives/*) name=$(basename "$(readlink "$root/$f")") ;;
			esac ;;
		esac
		if [ -n "$name" ]; then
			val=$(chroot "$root" readlink -f "/etc/alternatives/$name" 2>/dev/null)
			pkg=$(chroot "$root" dpkg-query -S "$val" 2>/dev/null | cut -d: -f1)
			[ -n "$pkg" ] && grep -qx "$pkg" "$out/packages-kept.txt" && continue
		fi
		echo "$f"
	done
}

cmd_install() {
	local out=$1 kver=$2
	shift 2
	local debs=("$@") root hver hpkg
	mkdir -p "$out/vm"
	echo "TAP version 13"
	root=$(root_new /var/tmp/migaccel-pkg) || { echo "Bail out! no root"; return 1; }
	echo "$root" >"$out/root.path"
	trap 'root_umount' EXIT
	root_mount "$root" || { echo "Bail out! mounts"; return 1; }

	# linux-headers depends on linux-image, whose initramfs the root would
	# build (minutes) and never boot: the VM boots its own.
	t "apt installs linux-headers-6.12-amd64 in a clean root" "$out/headers.log" \
		inside "$root" sh -c 'dpkg-divert --local --rename --divert \
				/usr/sbin/update-initramfs.migaccel --add /usr/sbin/update-initramfs &&
			ln -s /bin/true /usr/sbin/update-initramfs &&
			apt-get -qq update &&
			apt-get install -y -qq --no-install-recommends \
				linux-headers-6.12-amd64 gcc libc6-dev pkg-config systemd man-db'
	hver=$(ls -1 "$root/usr/src" | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$/\1/p' | sort -V | tail -n1)
	t "the root's headers ($hver) are for the VM's kernel $kver" "$out/kver.log" \
		test "$hver" = "$kver"
	snapshot "$root" "$out/before.txt"
	chroot "$root" dpkg-query -W -f '${Package}\n' | LC_ALL=C sort >"$out/packages-before.txt"

	mkdir -p "$root/tmp/debs"
	cp "${debs[@]}" "$root/tmp/debs/"
	# migaccel-dkms depends on linux-source-6.12, which must be at the
	# headers' version (the archive may already carry a newer one), as an
	# administrator following the admin guide installs it.
	hpkg=$(chroot "$root" dpkg-query -W -f '${Version}' linux-headers-6.12-amd64)
	t "apt install of ${pkgs[*]} with linux-source-6.12=$hpkg; DKMS builds migaccel.ko" \
		"$out/install.log" inside "$root" sh -c 'apt-get install -y --no-install-recommends \
			/tmp/debs/*.deb "linux-source-6.12=$1"' sh "$hpkg"
	t "dkms status: migaccel installed for $kver" "$out/dkms-status.log" \
		sh -c "chroot '$root' dkms status migaccel | tee /dev/stderr |
			grep -q '^migaccel/.*, $kver, x86_64: installed'"
	local ko
	ko=$(ls "$root/lib/modules/$kver/updates/dkms/"migaccel.ko* 2>/dev/null | head -n1)
	t "migaccel.ko is in /lib/modules/$kver/updates/dkms" "$out/ko.log" test -n "$ko"
	if [ -n "$ko" ]; then
		case "$ko" in
		*.xz) xz -dc "$ko" ;;
		*.zst) zstd -qdc "$ko" ;;
		*) cat "$ko" ;;
		esac >"$out/vm/migaccel.ko"
	fi
	t "the DKMS build step refuses a kernel it has no idxd header for" \
		"$out/refuse.log" inside "$root" sh -c \
		'cd /tmp && out=$(/usr/src/migaccel-*/idxd-headers.sh 6.12.0-nonexistent-amd64 2>&1)
		 rc=$?; echo "$out"; [ $rc -ne 0 ] && [ ! -e idxd ] &&
		 echo "$out" | grep -q "cannot build for 6.12.0-nonexistent-amd64"'
	t "the DKMS build's vermagic is $kver" "$out/vermagic.log" \
		sh -c "modinfo -F vermagic '$out/vm/migaccel.ko' | tee /dev/stderr | grep -q '^$kver '"
	t "modules.dep of the root lists the DKMS build" "$out/depmod.log" \
		grep -q '^updates/dkms/migaccel.ko' "$root/lib/modules/$kver/modules.dep"
	t "systemd-analyze verify migaccel.service" "$out/systemd-analyze.log" \
		inside "$root" systemd-analyze verify migaccel.service
	t "migaccel.service is enabled, not started" "$out/enabled.log" \
		test -L "$root/etc/systemd/system/multi-user.target.wants/migaccel.service"
	t "the accel-config profile: dedicated kernel WQs driven by migaccel" \
		"$out/profile.log" python3 -c '
import json, sys
devs = json.load(open(sys.argv[1]))
wqs = [wq for d in devs for g in d["groups"] for wq in g["grouped_workqueues"]]
kinds = sorted({d["dev"].rstrip("0123456789") for d in devs})
assert kinds == ["dsa", "iax"], kinds
for wq in wqs:
    for k, v in (("mode", "dedicated"), ("type", "kernel"),
                 ("driver_name", "migaccel"), ("name", "migaccel")):
        assert wq[k] == v, (wq["dev"], k, wq[k])
print(len(devs), "devices,", len(wqs), "work queues")
' "$root/etc/migaccel/accel-config.conf"
	cp tools/vm/pkg-smoke.c "$root/tmp/"
	t "a program builds with pkg-config libmigaccel against the packages" \
		"$out/smoke-build.log" inside "$root" sh -c \
		'gcc -O2 -Wall -Werror -std=gnu11 -o /tmp/pkg-smoke /tmp/pkg-smoke.c \
			$(pkg-config --cflags --libs libmigaccel) &&
		 ldd /tmp/pkg-smoke | tee /dev/stderr | grep -q "libmigaccel.so.0 => /"'
	# What the VM takes from the root.
	cp "$root/tmp/pkg-smoke" "$root/usr/bin/migaccelctl" \
		"$root/usr/libexec/migaccel/migaccel-setup" \
		"$root/etc/migaccel/accel-config.conf" "$out/vm/" 2>/dev/null
	cp -L "$root/usr/lib/x86_64-linux-gnu/libmigaccel.so.0" "$out/vm/" 2>/dev/null
	cp "$root/etc/modprobe.d/migaccel.conf" "$out/vm/modprobe.conf" 2>/dev/null
	t "root unmounted" "$out/umount.log" root_umount
	trap - EXIT
	finish
}

cmd_purge() {
	local out=$1 root
	echo "TAP version 13"
	root=$(cat "$out/root.path" 2>/dev/null)
	[ -n "$root" ] && [ -d "$root" ] || { echo "Bail out! no root in $out/root.path"; return 1; }
	trap 'root_umount' EXIT
	root_mount "$root" || { echo "Bail out! mounts"; return 1; }
	t "apt purge ${pkgs[*]}, autoremove --purge" "$out/purge.log" \
		inside "$root" sh -c "apt-get purge -y ${pkgs[*]} &&
			apt-get autoremove --purge -y"
	snapshot "$root" "$out/after.txt"
	# Names added since, less those of packages that were not installed
	# before (dependencies apt keeps): what is left is migaccel's.
	chroot "$root" dpkg-query -W -f '${Package}\n' | LC_ALL=C sort >"$out/packages-after.txt"
	LC_ALL=C comm -13 "$out/packages-before.txt" "$out/packages-after.txt" >"$out/packages-kept.txt"
	{ [ -s "$out/packages-kept.txt" ] && chroot "$root" xargs dpkg -L <"$out/packages-kept.txt"; } |
		sed 's|^/||; p; s#^\(bin\|sbin\|lib\|lib64\)/#usr/\1/#' |
		LC_ALL=C sort -u >"$out/kept-files.txt"
	LC_ALL=C comm -13 "$out/before.txt" "$out/after.txt" |
		LC_ALL=C comm -23 - "$out/kept-files.txt" | kept_alternatives "$root" \
		>"$out/leftovers.txt"
	echo "# apt kept $(wc -l <"$out/packages-kept.txt") packages migaccel's pulled in:" \
		"$(tr '\n' ' ' <"$out/packages-kept.txt")"
	t "nothing of migaccel's left under /etc, /usr, /lib/modules, /var/lib/dkms" \
		"$out/leftovers.log" sh -c "cat '$out/leftovers.txt'; ! [ -s '$out/leftovers.txt' ]"
	LC_ALL=C comm -23 "$out/before.txt" "$out/after.txt" >"$out/gone.txt"
	t "no name that was there before is gone" "$out/gone.log" \
		sh -c "cat '$out/gone.txt'; ! [ -s '$out/gone.txt' ]"
	t "root unmounted" "$out/umount.log" root_umount
	trap - EXIT
	t "root removed" "$out/remove.log" root_remove "$root"
	finish
}

case "${1:-}" in
install) [ $# -ge 4 ] || { echo "usage: $0 install OUT KVER DEB..." >&2; exit 2; }
	shift; cmd_install "$@" ;;
purge) [ $# -eq 2 ] || { echo "usage: $0 purge OUT" >&2; exit 2; }
	shift; cmd_purge "$@" ;;
*) echo "usage: $0 install OUT KVER DEB... | purge OUT" >&2; exit 2 ;;
esac
