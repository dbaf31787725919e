#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a gzip'd cpio initramfs that loads kernel modules, runs one test
# script and powers off.  The VM talks back over serial ports only:
#   ttyS0 console, ttyS1 test results (TAP), ttyS2 full dmesg.
# run-vm.sh wires those ports to files; see it for the host side.
set -euo pipefail

usage() {
	cat >&2 <<EOF
usage: $0 --kver VERSION --moddir DIR --script FILE --out FILE
          [--modules "NAME..."] [--ko FILE]... [--bin FILE]... [--tool FILE]...
          [--file SRC:DST]... [--workdir DIR] [--modtree yes]
  --moddir  directory holding lib/modules/VERSION/ (/ for the host's kernels)
  --modules kernel modules to insmod at boot, dependencies resolved here
  --modtree yes: put the --modules (and their dependencies) uncompressed in
            /lib/modules/VERSION/ under their own paths instead, and load
            none at boot: the test script runs depmod and modprobe (a
            module added with --file under /lib/modules/VERSION/ joins them)
  --ko      out-of-tree module, copied to /ko/ (the test script loads it)
  --bin     host executable, copied to /bin-test/ with its shared libraries
  --tool    host executable the tests call, copied to /usr/bin/ with its
            shared libraries (not run as a test)
  --file    any file, copied to DST inside the image
  --script  /bin/sh test plan, run as /test.sh
  --workdir scratch directory (default: a fresh one under \${TMPDIR:-/tmp})
EOF
	exit 2
}
die() { echo "mkinitramfs: $*" >&2; exit 1; }

kver='' moddir='' modules='' script='' out='' workdir='' modtree=no
kos=() bins=() tools=() files=()
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--kver) kver=$2 ;;
	--moddir) moddir=$2 ;;
	--modules) modules=$2 ;;
	--ko) kos+=("$2") ;;
	--bin) bins+=("$2") ;;
	--tool) tools+=("$2") ;;
	--file) files+=("$2") ;;
	--script) script=$2 ;;
	--out) out=$2 ;;
	--workdir) workdir=$2 ;;
	--modtree) modtree=$2 ;;
	*) usage ;;
	esac
	shift 2
done
{ [ -n "$kver" ] && [ -n "$script" ] && [ -n "$out" ]; } || usage
[ -n "$modules" ] && [ -z "$moddir" ] && die "--modules needs --moddir"
case "$modtree" in yes | no) ;; *) die "--modtree wants yes or no" ;; esac
[ -r "$script" ] || die "cannot read test script $script"
busybox=/bin/busybox
ldd "$busybox" >/dev/null 2>&1 &&
	die "$busybox is not static (apt-get install busybox-static)"

if [ -z "$workdir" ]; then
	workdir=$(mktemp -d "${TMPDIR:-/tmp}/migaccel-initramfs.XXXXXX")
	trap 'rm -rf "$workdir"' EXIT
fi
root=$workdir/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,ko,bin-test,modules}

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list-full); do
	[ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
done
# The kernel opens /dev/console before /init runs; without the node the
# early output of /init is lost.  Only root can mknod; /init copes if absent.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

# Copy a host file and the shared libraries it needs, keeping their paths so
# the dynamic loader finds them without configuration.
copy_with_libs() {
	local src=$1 dst=$2 lib
	cp -L "$src" "$root/$dst"
	# A script has no libraries: ldd and grep fail, which is fine.
	{ ldd "$src" 2>/dev/null || true; } | { grep -o '/[^ ]*' || true; } |
	while read -r lib; do
		[ -e "$root/$lib" ] && continue
		mkdir -p "$root/$(dirname "$lib")"
		cp -L "$lib" "$root/$lib"
	done
}

: >"$root/etc/modules.order"
if [ -n "$modules" ]; then
	mdir=${moddir%/}/lib/modules/$kver
	mdir=${mdir//\/\//\/}
	[ -d "$mdir" ] || die "no modules for $kver under $moddir"
	# shellcheck disable=SC2086 # the list is meant to split
	deps=$(modprobe -S "$kver" -d "$moddir" -a --show-depends $modules) ||
		die "modprobe cannot resolve '$modules' for $kver in $moddir"
	while read -r verb path _; do
		[ "$verb" = insmod ] || continue # "builtin x" needs no loading
		path=${path//\/\//\/} # modprobe -d / prints //lib/modules/...
		name=$(basename "$path")
		name=${name%.xz} name=${name%.zst} name=${name%.gz}
		if [ "$modtree" = yes ]; then
			rel=${path#"$mdir"/}
			[ "$rel" != "$path" ] || die "$path is not under $mdir"
			rel=${rel%.xz} rel=${rel%.zst} rel=${rel%.gz}
			dst=$root/lib/modules/$kver/$rel
			[ -e "$dst" ] && continue
			mkdir -p "$(dirname "$dst")"
		else
			grep -qx "/modules/$name" "$root/etc/modules.order" && continue
			dst=$root/modules/$name
			echo "/modules/$name" >>"$root/etc/modules.order"
		fi
		case "$path" in
		*.xz) xz -dc "$path" ;;
		*.zst) zstd -qdc "$path" ;;
		*.gz) gzip -dc "$path" ;;
		*) cat "$path" ;;
		esac >"$dst"
	done <<<"$deps"
fi

for f in ${kos[@]+"${kos[@]}"}; do
	[ -r "$f" ] || die "cannot read module $f"
	cp "$f" "$root/ko/"
done
for f in ${bins[@]+"${bins[@]}"}; do
	[ -x "$f" ] || die "not an executable: $f"
	copy_with_libs "$f" "bin-test/$(basename "$f")"
done
for f in ${tools[@]+"${tools[@]}"}; do
	[ -x "$f" ] || die "not an executable: $f"
	copy_with_libs "$f" "usr/bin/$(basename "$f")"
done
for spec in ${files[@]+"${files[@]}"}; do
	src=${spec%%:*} dst=${spec#*:}
	{ [ "$src" != "$spec" ] && [ -n "$dst" ]; } || die "--file wants SRC:DST, got $spec"
	[ -r "$src" ] || die "cannot read $src"
	mkdir -p "$root/$(dirname "$dst")"
	cp -L "$src" "$root/$dst"
done
cp "$script" "$root/test.sh"
chmod +x "$root/test.sh"

cat >"$root/init" <<'EOF'
#!/bin/sh
# Generated by tools/vm/mkinitramfs.sh.  Results go to ttyS1, dmesg to ttyS2;
# every line /init adds to the results is a TAP comment or a TAP document
# of its own, so the test script's plan stays intact.
export PATH=/bin-test:/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmp /tmp
res=/dev/ttyS1
# raw: no \n -> \r\n rewriting, no echo of what the host never sends.
stty -F $res raw -echo 2>/dev/null
stty -F /dev/ttyS2 raw -echo 2>/dev/null
echo "# migaccel-vm: start $(uname -r)" >$res

# Leak details go to dmesg too, where logcheck.sh looks for them.
[ -w /sys/module/kmemleak/parameters/verbose ] &&
	echo 1 >/sys/module/kmemleak/parameters/verbose
# No automatic scans (the first a minute after boot, then every ten
# minutes): each walks the VM's memory on a vCPU the tests want.  The two
# scans after the tests, below, find what leaked.
[ -w /sys/kernel/debug/kmemleak ] && echo scan=off >/sys/kernel/debug/kmemleak

failed=""
while read -r ko; do
	[ -n "$ko" ] || continue
	if err=$(insmod "$ko" 2>&1); then
		echo "# insmod $ko: ok" >$res
	else
		failed="$failed${failed:+
}$ko: $(echo "$err" | tr '\n' ' ')"
	fi
done </etc/modules.order
if [ -n "$failed" ]; then
	n=$(echo "$failed" | wc -l)
	{
		echo "TAP version 13"
		echo "1..$n"
		echo "$failed" | awk '{ print "not ok " NR " insmod " $0 }'
	} >$res
fi

echo "# migaccel-vm: running /test.sh" >$res
/bin/sh /test.sh </dev/null >$res 2>&1
echo "# migaccel-vm: test.sh exit status $?" >$res

leaks=/sys/kernel/debug/kmemleak
if [ -e $leaks ]; then
	# A leak is only reported once a second scan still finds it orphaned.
	echo scan >$leaks
	echo scan >$leaks
	report=$(cat $leaks)
	echo "# migaccel-vm: kmemleak-begin" >$res
	[ -n "$report" ] && echo "$report" | sed 's/^/# /' >$res
	echo "# migaccel-vm: kmemleak-end" >$res
	if echo "$report" | grep -q 'unreferenced object'; then
		n=$(echo "$report" | grep -c 'unreferenced object')
		printf 'TAP version 13\n1..1\nnot ok 1 kmemleak # %s leaks\n' "$n" >$res
	fi
fi

dmesg >/dev/ttyS2
echo "# migaccel-vm: end" >$res
sync
# Closing a tty waits for its output to drain, but give slow paths a moment.
sleep 1
# Without ACPI (the debug kernel) power-off becomes a halt and QEMU keeps
# running; a reboot always works because QEMU runs with -no-reboot.
[ -d /sys/firmware/acpi ] && poweroff -f
reboot -f
EOF
chmod +x "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: wrote $out ($(du -h "$out" | cut -f1))" >&2
