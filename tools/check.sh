#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test of migaccel, ending with one line "N passed, N failed".
#
#   1. build (stock Debian kernel headers), static checks
#   2. library tests on the host (CPU path)
#   3. the project's QEMU (tools/qemu/build-qemu.sh, cached) and the debug
#      kernel (tools/vm/build-debug-kernel.sh, cached), built if missing
#   4. in two lanes side by side (a TCG VM keeps about one CPU busy):
#      lane 1: VMs on Debian's linux-image-6.12-amd64 and on the debug
#      kernel (KASAN, KFENCE, lockdep, kmemleak, KUnit): kselftests,
#      library kernel path, KUnit; then the packages: make deb (lintian
#      clean), install them in a clean Debian root where DKMS builds the
#      module, a VM on the stock kernel loading that build with modprobe,
#      then apt purge leaving nothing behind; lane 2: QEMU's migration
#      tests with the migaccel multifd method, then VMs on the emulated
#      DSA and IAA (stock kernel plain and behind intel-iommu, debug
#      kernel plain)
#   5. the results, counted in that order
#
# A VM stage also fails when its kernel log shows a WARNING, BUG, Oops,
# KASAN, KFENCE, lockdep or kmemleak report.
#
# MIGACCEL_CHECK_STAGES: the stages to run, comma-separated, default all of
# static,host,qemu,stock,idxd,debug,packages.  The build always runs.  A stage left
# out is named in the output and its tests are not counted: a partial run
# is not a make check (tools/fresh-check.sh uses it to stop after stock).
set -uo pipefail

all_stages=static,host,qemu,stock,idxd,debug,packages
stages=${MIGACCEL_CHECK_STAGES:-$all_stages}
for s in ${stages//,/ }; do
	case ",$all_stages," in
	*",$s,"*) ;;
	*) echo "check: unknown stage '$s' in MIGACCEL_CHECK_STAGES (stages: $all_stages)" >&2
	   exit 2 ;;
	esac
done
# in_stages STAGE: whether STAGE runs, silently.
in_stages() {
	case ",$stages," in *",$1,"*) return 0 ;; esac
	return 1
}
# want STAGE: whether STAGE runs; says so once when it does not.
want() {
	case ",$stages," in *",$1,"*) return 0 ;; esac
	echo
	echo "== $1: not run (MIGACCEL_CHECK_STAGES=$stages)"
	return 1
}

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${MIGACCEL_CHECK_OUT:-$top/build/check}
rm -rf "$out"
mkdir -p "$out"

passed=0
failed=0
t0=$(date +%s)

# record NAME OK|FAIL [detail]
record() {
	if [ "$2" = OK ]; then
		passed=$((passed + 1))
		echo "PASS: $1"
	else
		failed=$((failed + 1))
		echo "FAIL: $1${3:+ ($3)}"
	fi
}

# check NAME LOGFILE CMD...: one test, passing when CMD exits 0; a failure
# prints the log's last $check_tail lines (20 unless the caller sets it).
check() {
	local name=$1 log=$2
	shift 2
	if "$@" >"$log" 2>&1; then
		record "$name" OK
	else
		record "$name" FAIL "see $log"
		sed 's/^/    /' "$log" | tail -"${check_tail:-20}"
	fi
}

# count PREFIX FILE: add the leaf results of a TAP/KTAP file.
count() {
	local prefix=$1 file=$2 line p f
	while IFS= read -r line; do
		case "$line" in
		PASS:*) echo "PASS: $prefix.${line#PASS: }" ;;
		FAIL:*) echo "FAIL: $prefix.${line#FAIL: }" ;;
		passed=*)
			p=${line#passed=}; p=${p%% *}
			f=${line##*failed=}
			passed=$((passed + p))
			failed=$((failed + f))
			;;
		esac
	done < <(python3 tools/vm/tap-count.py "$file")
}

# count_sections PREFIX RESULTS: split the VM's "### BEGIN/END" sections.
count_sections() {
	local prefix=$1 results=$2 dir name rc
	dir=$(mktemp -d "$out/sections.XXXX")
	awk -v dir="$dir" '
		/^### BEGIN / { name = $3; file = dir "/" name ".tap"; next }
		/^### END /   { print $3, $4 > (dir "/rc")
				if ($5 ~ /^secs=/) print substr($5, 6), $3 > (dir "/secs")
				file = ""; next }
		file != ""    { print > file }
	' "$results"
	[ -f "$dir/rc" ] || { record "$prefix.vm_plan_ran" FAIL "no sections in $results"; return; }
	[ -s "$dir/secs" ] && echo "   ($prefix's slowest sections:" \
		"$(sort -rn "$dir/secs" | head -5 |
		   awk '{ printf "%s%s %ss", (NR > 1 ? ", " : ""), $2, $1 }'))"
	while read -r name rc; do
		count "$prefix.$name" "$dir/$name.tap"
		# A program that exits non-zero without a failing case still fails.
		if [ "${rc#rc=}" != 0 ] && ! grep -q '^ *not ok' "$dir/$name.tap"; then
			record "$prefix.$name.exit_status" FAIL "$rc"
		fi
	done <"$dir/rc"
}

stage() {
	echo
	echo "== $1 ($(( $(date +%s) - t0 ))s elapsed)"
}

kver=$(ls -1 /usr/src | sed -n 's/^linux-headers-\(6\.12\..*-amd64\)$/\1/p' | sort -V | tail -n1)
kdir=/usr/src/linux-headers-$kver
src=$(tools/vm/linux-source.sh)
idxd_src=$src/drivers/dma/idxd

stage "build"
check build "$out/build.log" make -j"$(nproc)" all
if [ "$failed" -ne 0 ]; then
	echo
	echo "$passed passed, $failed failed"
	exit 1
fi

if want static; then
stage "static checks"
# W=1 C=2 runs sparse on every file, so a rebuild is not needed to see it.
check module_w1_sparse_clean "$out/w1.log" bash -c \
	"make -C '$kdir' M='$top' IDXD_SRC='$idxd_src' W=1 C=2 modules 2>&1 |
	 tee /dev/stderr | grep -E 'warning:|error:|: (error|warning)' && exit 1 || exit 0"
# CAMELCASE: zlib's own function names (zlib_deflateInit2, inflateEnd).
check checkpatch_kernel "$out/checkpatch-kernel.log" \
	"$src/scripts/checkpatch.pl" --no-tree --strict -q --ignore CAMELCASE -f \
	kernel/*.c kernel/*.S kernel/*.h kernel/tests/*.c uapi/linux/migaccel.h
check checkpatch_selftests "$out/checkpatch-selftests.log" \
	"$src/scripts/checkpatch.pl" --no-tree --strict -q \
	--ignore PREFER_KERNEL_TYPES,MACRO_ARG_REUSE,CAMELCASE -f selftests/*.c selftests/*.h
check uapi_header_is_c90 "$out/c90.log" \
	gcc -std=c90 -pedantic-errors -Wall -Werror -fsyntax-only -Iuapi \
	-x c uapi/linux/migaccel.h
check uapi_netlink_header_is_c90 "$out/c90-nl.log" \
	gcc -std=c90 -pedantic-errors -Wall -Werror -fsyntax-only -Iuapi \
	-x c uapi/linux/migaccel_nl.h
check kernel_doc_clean "$out/kernel-doc.log" bash -c \
	"'$src/scripts/kernel-doc' -none -Wall kernel/*.c kernel/*.h uapi/linux/migaccel.h 2>&1 |
	 tee /dev/stderr | grep -q . && exit 1 || exit 0"
check library_exports_match_symbol_map "$out/abi.log" make -C lib check-abi
check man_pages_render "$out/man.log" bash -c \
	'for m in lib/man/*.[37] tools/*.8; do
		LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$m" 2>&1 >/dev/null | grep . && exit 1
	 done; exit 0'
fi

if want host; then
stage "library on the host (CPU path)"
for t in lib/tests/zero_scan_cpu lib/tests/ops_cpu lib/tests/packet_cpu \
	lib/tests/work_cpu; do
	"$t" >"$out/${t##*/}.tap" 2>&1
	rc=$?
	count "host.${t##*/}" "$out/${t##*/}.tap"
	[ $rc -eq 0 ] || grep -q '^not ok' "$out/${t##*/}.tap" ||
		record "host.${t##*/}.exit_status" FAIL "rc=$rc"
done
fi

# The project's QEMU (tools/qemu/build-qemu.sh, built once and cached): the
# emulated DSA and IAA, and the migaccel multifd method.
# MIGACCEL_QEMU_DIR: another QEMU installed like build-qemu.sh's.
qemu_dir=''
if in_stages qemu || in_stages idxd; then
	stage "the project's QEMU (cached under ${MIGACCEL_CACHE:-$HOME/.cache/migaccel})"
	qstart=$(date +%s)
	if qemu_dir=${MIGACCEL_QEMU_DIR:-$(tools/qemu/build-qemu.sh 2>"$out/qemu-build.log")}; then
		record qemu_build OK
	else
		record qemu_build FAIL "see $out/qemu-build.log"
		tail -20 "$out/qemu-build.log"
		qemu_dir=''
	fi
	echo "   (QEMU: $(( $(date +%s) - qstart ))s)"
	# QEMU's patches follow QEMU's coding style.
	if [ -n "$qemu_dir" ]; then
		check qemu_patches_checkpatch_clean "$out/qemu-checkpatch.log" bash -c \
			"for p in \$(grep -v '^#' tools/qemu/patches/series); do
				'$qemu_dir/share/migaccel/checkpatch.pl' --no-tree \"tools/qemu/patches/\$p\" ||
					exit 1
			 done"
	fi
fi

# The debug kernel and the module built against it, before the VMs.
debug_ok=''
if in_stages debug; then
	stage "debug kernel (cached under ${MIGACCEL_CACHE:-$HOME/.cache/migaccel})"
	if kbuild=$(tools/vm/build-debug-kernel.sh 2>"$out/debug-kernel.log"); then
		record debug_kernel_build OK
		dkver=$(cat "$kbuild/include/config/kernel.release")
		mkdir -p build/debug
		rsync -a --delete Kbuild kernel uapi build/debug/
		if make -C "$kbuild" M="$top/build/debug" IDXD_SRC="$idxd_src" W=1 \
			modules >"$out/debug-module.log" 2>&1 &&
		   ! grep -qE 'warning:|error:' "$out/debug-module.log"; then
			record debug_module_build OK
			debug_ok=1
		else
			record debug_module_build FAIL "see $out/debug-module.log"
		fi
	else
		record debug_kernel_build FAIL "see $out/debug-kernel.log"
		tail -20 "$out/debug-kernel.log"
	fi
fi
if in_stages idxd && [ -n "$qemu_dir" ]; then
	mkdir -p build
	check idxd_model_test_build "$out/idxd_model_test.log" \
		cc -O2 -Wall -Wextra -Werror -o build/idxd_model_test \
		tools/qemu/idxd_model_test.c -lz
fi

vm_tests=(--bin selftests/migaccel_zero_scan --bin selftests/migaccel_ops
	  --bin selftests/migaccel_async --bin selftests/migaccel_safety
	  --bin selftests/migaccel_hostile
	  --bin lib/tests/zero_scan_paths --bin lib/tests/ops_paths
	  --bin lib/tests/async_paths
	  --bin selftests/migaccel_netlink --bin selftests/migaccel_qos
	  --bin selftests/migaccel_region
	  --bin selftests/migaccel_ctl.sh --tool tools/migaccelctl)
# Kernel modules the VM loads first: idxd, and CRC32C for migaccel.
vm_modules="idxd crc32c_generic libcrc32c"
vm_extra=()
vm_plan=tools/vm/vm-plan.sh
vm_qemu=()
vm_append=''
# The debug kernel boots with 4-level paging.  On a CPU with 5-level
# paging (LA57, which QEMU's "max" model has), Linux 6.12's identify_cpu()
# clears the boot CPU's feature bits while it reads them again, before
# alternatives are patched, so pgtable_l5_enabled() is false for a moment;
# a timer interrupt in that window makes KASAN check the per-CPU read in
# rcu_is_watching() against 4-level bounds and report a wild-memory-access
# before any module is loaded (seen once in 44 boots of the bare debug
# kernel, and in CI).  The stock kernel's VMs keep 5-level paging.
debug_append=no5lvl

# vm_run NAME KERNEL KVER MODDIR ENV KO...: build the initramfs and boot
# the VM; the results are counted later by vm_count NAME.  ENV is the
# tests' settings.  Runs in a lane, beside another one.
vm_run() {
	local name=$1 kernel=$2 kv=$3 moddir=$4 env=$5
	shift 5
	local kos=() ko start rc
	for ko in "$@"; do kos+=(--ko "$ko"); done
	start=$(date +%s)
	if ! tools/vm/mkinitramfs.sh --kver "$kv" --moddir "$moddir" \
		--modules "$vm_modules" "${kos[@]}" "${vm_tests[@]}" "${vm_extra[@]}" \
		--file "$env:/etc/migaccel.env" \
		--script "$vm_plan" --out "$out/$name.initrd" \
		>"$out/$name.mkinitramfs.log" 2>&1; then
		echo initramfs >"$out/$name.status"
		return
	fi
	tools/vm/run-vm.sh --kernel "$kernel" --initrd "$out/$name.initrd" \
		--out "$out/$name" --timeout 2700 ${vm_qemu[@]+"${vm_qemu[@]}"} \
		${vm_append:+--append "$vm_append"} >"$out/$name.run.log" 2>&1
	rc=$?
	echo "vm $rc $(( $(date +%s) - start ))" >"$out/$name.status"
}

# vm_count NAME: count what vm_run NAME left.  A VM stage also fails when
# its kernel log shows a WARNING, BUG, Oops, KASAN, KFENCE, lockdep or
# kmemleak report.
vm_count() {
	local name=$1 what rc secs
	if [ ! -s "$out/$name.status" ]; then
		record "$name.vm_ran_to_end" FAIL "it never started"
		return
	fi
	read -r what rc secs <"$out/$name.status"
	if [ "$what" = initramfs ]; then
		record "$name.initramfs" FAIL "see $out/$name.mkinitramfs.log"
		return
	fi
	if [ "$rc" = 0 ]; then
		record "$name.vm_ran_to_end" OK
	else
		record "$name.vm_ran_to_end" FAIL "$(tail -1 "$out/$name.run.log")"
	fi
	echo "   ($name VM: ${secs}s)"
	count_sections "$name" "$out/$name/results.tap"
	# The console has the log even when the VM died before dumping dmesg.
	# The whole first report, so that a CI log says where it came from.
	check_tail=60 check "$name.kernel_log_clean" "$out/$name.logcheck" bash -c \
		"tools/vm/logcheck.sh '$out/$name/dmesg.txt' &&
		 tools/vm/logcheck.sh '$out/$name/console.log'"
}

# The stock kernel runs migaccel_ops' bulk tests on 20,000 pages per
# operation (20 calls of 1,024, 157 chunks of 128; 100,000 took 238 s of
# the stock VM's 523 in a full check on 2 cores, against the 25-minute
# budget); the debug kernel, many times slower under KASAN, on 4,000
# (migaccel_ops took 320 s for 10,000 pages there, beside the other lane:
# 32 chunks of each operation are as many code paths), and 100 stress
# batches per thread of 16, a tenth of the stock kernel's (async_paths
# took 138 to 202 s with 200).  The hostile-input test runs for a fixed
# time: 90 s on the stock kernel (over 10^5 calls), 60 s on the debug
# kernel.
printf 'MIGACCEL_PAGES=20000\nMIGACCEL_OPS_PAGES=10000\nMIGACCEL_HOSTILE_SECONDS=90\n' \
	>"$out/stock.env"
printf 'MIGACCEL_PAGES=4000\nMIGACCEL_OPS_PAGES=2000\nMIGACCEL_STRESS_BATCHES=100\n' \
	>"$out/debug.env"
printf 'MIGACCEL_SAFETY_BATCHES=2000\nMIGACCEL_HOSTILE_SECONDS=60\n' >>"$out/debug.env"
# The emulated DSA and IAA: 128 pages, one IAA chunk (128 descriptors, one
# per operation) fits the IAA work queue (128 entries, as on silicon);
# more chunks at once overflow it and migaccel finishes the rest on the
# CPU, which migaccel_ops counts as a failure.
printf 'MIGACCEL_PAGES=128\nMIGACCEL_OPS_PAGES=128\nMIGACCEL_STRESS_BATCHES=50\nMIGACCEL_HOSTILE_SECONDS=30\n' \
	>"$out/idxd.env"
# The same on the debug kernel, less two things its stage cannot judge:
# the bandwidth shares migaccel_qos measures against the clock (KASAN and
# lockdep behind emulated devices make the engine's capacity too noisy:
# shares 0.788 and 0.883 of an equal quota seen; the stock idxd stages
# and the debug soft-engine stage run it), and halting the DSA (after a
# halt Linux 6.12's idxd resets the device through idxd_device_config()
# without its dev_lock, and lockdep's warning, drivers/dma/idxd/device.c,
# would fail the log check; the software error is still raised).
# And migaccel_safety's concurrent reapers take 2,000 batches, as in the
# debug soft-engine VM, not 20,000 (162 s there).  Its polling pass runs
# migaccel_ops only (the idxd_poll path under KASAN and lockdep); the
# library's two tests poll in the stock kernel's stages (about 100 s
# here, against the 25-minute budget).
{ cat "$out/idxd.env"; printf 'MIGACCEL_IDXD_QOS=0\nMIGACCEL_IDXD_HALT=0\n'
  printf 'MIGACCEL_SAFETY_BATCHES=2000\nMIGACCEL_IDXD_POLL_LIB=0\n'; } >"$out/debug-idxd.env"

# idxd_run NAME KERNEL KVER MODDIR iommu|plain ENV KO...: a VM with one
# emulated DSA and one IAA (tools/qemu), work queues bound to migaccel by
# accel-config, the soft engine kept out, the plan tools/vm/idxd-plan.sh.
idxd_run() {
	local name=$1 kernel=$2 kv=$3 moddir=$4 mode=$5 env=$6
	shift 6
	local devs="-device idxd-dsa,addr=04.0,stats=$out/$name.dsa-stats
		    -device idxd-iaa,addr=05.0,stats=$out/$name.iaa-stats"
	local vm_extra=(--tool /usr/bin/accel-config --tool build/idxd_model_test
			--file tools/vm/idxd-config.json:/etc/migaccel-idxd.json)
	local vm_plan=tools/vm/idxd-plan.sh vm_append=${idxd_append-}
	if [ "$mode" = iommu ]; then
		devs="-device intel-iommu,intremap=off $devs"
		vm_append="${vm_append:+$vm_append }intel_iommu=on iommu.strict=1"
	fi
	local vm_qemu=(--qemu "$qemu_dir/bin/qemu-system-x86_64" --qemu-args "$devs")
	vm_run "$name" "$kernel" "$kv" "$moddir" "$env" "$@"
}

# QEMU's own migration-test, from the project's QEMU (tools/qemu/), run with
# the tree's current library: the existing precopy multifd tests and the
# migaccel ones (method, zero-page detection, a corrupted stream, a method
# mismatch).  One run per test (GLib prints one TAP plan per -p), each
# counted.
qemu_tests=(multifd/tcp/uri/plain/none
	    multifd/tcp/channels/plain/none
	    multifd/tcp/plain/cancel
	    multifd/tcp/plain/zero-page/legacy
	    multifd/tcp/plain/zero-page/none
	    multifd/tcp/plain/zlib
	    multifd/tcp/plain/zero-page/migaccel
	    multifd/tcp/plain/migaccel/live
	    multifd/tcp/plain/migaccel/zero-page/none
	    multifd/tcp/plain/migaccel/corrupt
	    multifd/tcp/plain/migaccel/mismatch)
qemu_log() { echo "$out/qemu-migration-test.${1//\//_}"; }
# qemu_run TEST: one migration-test run on the library's CPU path.
qemu_run() {
	local log
	log=$(qemu_log "$1")
	env MIGACCEL_PATH=cpu LD_LIBRARY_PATH="$top/lib" \
		QTEST_QEMU_BINARY="$qemu_dir/tests/qemu-system-x86_64" \
		timeout 600 "$qemu_dir/tests/migration-test" --tap --full \
		-p "/x86_64/migration/$1" >"$log.tap" 2>"$log.log"
	echo $? >"$log.rc"
}
# qemu_count TEST
qemu_count() {
	local log rc
	log=$(qemu_log "$1")
	rc=$(cat "$log.rc" 2>/dev/null || echo none)
	count host.qemu "$log.tap"
	[ "$rc" = 0 ] || grep -q '^not ok\|^Bail out' "$log.tap" 2>/dev/null ||
		record "host.qemu.$1.exit_status" FAIL "rc=$rc, see $log.log"
}

# packages_run: the packages stage's work, at the end of lane 1: make deb
# (DEB_BUILD_OPTIONS=nocheck: make check runs the tests), install the
# packages in a clean root where DKMS builds the module, a VM loading
# that build with modprobe, apt purge.  Counted after the lanes.
packages_run() {
	local pkgout=$out/packages pstart d v debs=()
	pstart=$(date +%s)
	rm -f "$out/deb.rc" "$out/packages.ndebs" "$out/packages.secs"
	mkdir -p "$pkgout"
	env DEB_BUILD_OPTIONS=nocheck tools/deb.sh >"$out/deb.log" 2>&1
	echo $? >"$out/deb.rc"
	for d in build/deb/*.deb; do
		case "$d" in *-dbgsym_*) ;; *) [ -e "$d" ] && debs+=("$d") ;; esac
	done
	echo "${#debs[@]}" >"$out/packages.ndebs"
	if [ ${#debs[@]} -eq 4 ]; then
		tools/pkg-test.sh install "$pkgout" "$kver" "${debs[@]}" \
			>"$out/pkg-install.tap" 2>&1
		if [ -s "$pkgout/vm/migaccel.ko" ]; then
			printf 'MIGACCEL_MODPROBE=1\nMIGACCEL_OPS_PAGES=2000\nMIGACCEL_STRESS_BATCHES=100\n' \
				>"$out/packages.env"
			v=$pkgout/vm
			local vm_tests=(--bin lib/tests/zero_scan_paths
					--bin lib/tests/ops_paths
					--bin lib/tests/async_paths
					--bin selftests/migaccel_ctl.sh
					--tool "$v/migaccelctl"
					--tool "$v/migaccel-setup"
					--tool /usr/bin/accel-config)
			# Its build is a test of the install stage; the VM runs it
			# if built.
			[ -x "$v/pkg-smoke" ] && vm_tests+=(--bin "$v/pkg-smoke")
			local vm_extra=(--modtree yes
				--file "$v/migaccel.ko:/lib/modules/$kver/updates/dkms/migaccel.ko"
				--file "$v/libmigaccel.so.0:/usr/lib/x86_64-linux-gnu/libmigaccel.so.0"
				--file "$v/accel-config.conf:/etc/migaccel/accel-config.conf"
				--file "$v/modprobe.conf:/etc/modprobe.d/migaccel.conf")
			vm_run packages "/boot/vmlinuz-$kver" "$kver" / \
				"$out/packages.env"
		fi
		tools/pkg-test.sh purge "$pkgout" >"$out/pkg-purge.tap" 2>&1
	fi
	echo "$(( $(date +%s) - pstart ))" >"$out/packages.secs"
}

# The slow stages run in two lanes side by side: a VM under TCG keeps
# about one of the two CPUs busy.  Lane 1: the stock VM, the debug VM,
# the packages; lane 2: QEMU's migration tests, the emulated devices on
# the stock kernel (plain, behind the IOMMU), the debug kernel on the
# devices: about the same time each.  Their results are counted
# afterwards, in order.
lane1() {
	in_stages stock &&
		vm_run stock "/boot/vmlinuz-$kver" "$kver" / "$out/stock.env" migaccel.ko
	if in_stages debug && [ -n "$debug_ok" ]; then
		local vm_extra=(--bin selftests/migaccel_fail_nth)
		local vm_append=$debug_append
		vm_run debug "$kbuild/arch/x86/boot/bzImage" "$dkver" \
			"$kbuild/modroot" "$out/debug.env" build/debug/migaccel.ko \
			build/debug/migaccel_test.ko
	fi
	in_stages packages && packages_run
}
lane2() {
	local t
	if in_stages qemu && [ -n "$qemu_dir" ]; then
		for t in "${qemu_tests[@]}"; do
			qemu_run "$t"
		done
	fi
	if in_stages idxd && [ -n "$qemu_dir" ]; then
		idxd_run idxd "/boot/vmlinuz-$kver" "$kver" / plain \
			"$out/idxd.env" migaccel.ko
		idxd_run idxd-iommu "/boot/vmlinuz-$kver" "$kver" / iommu \
			"$out/idxd.env" migaccel.ko
		if in_stages debug && [ -n "$debug_ok" ]; then
			idxd_append=$debug_append \
			idxd_run debug-idxd "$kbuild/arch/x86/boot/bzImage" \
				"$dkver" "$kbuild/modroot" plain "$out/debug-idxd.env" \
				build/debug/migaccel.ko
		fi
	fi
}
stage "VMs and QEMU's migration tests, in two lanes"
lstart=$(date +%s)
lane1 >"$out/lane1.log" 2>&1 &
l1=$!
lane2 >"$out/lane2.log" 2>&1 &
l2=$!
wait $l1
echo "   (lane 1, stock and debug VMs, packages: $(( $(date +%s) - lstart ))s)"
wait $l2
echo "   (lane 2, migration tests and emulated devices: $(( $(date +%s) - lstart ))s)"

if want qemu && [ -n "$qemu_dir" ]; then
	stage "QEMU migration tests on the host (libmigaccel CPU path)"
	for t in "${qemu_tests[@]}"; do
		qemu_count "$t"
	done
fi
if want stock; then
	stage "VM: Debian's stock kernel $kver"
	vm_count stock
fi
if want idxd && [ -n "$qemu_dir" ]; then
	stage "VM: emulated DSA and IAA, stock kernel $kver"
	vm_count idxd
	stage "VM: emulated DSA and IAA behind intel-iommu, stock kernel $kver"
	vm_count idxd-iommu
fi
if want debug && [ -n "$debug_ok" ]; then
	stage "VM: debug kernel $dkver"
	vm_count debug
	if in_stages idxd && [ -n "$qemu_dir" ]; then
		stage "VM: emulated DSA and IAA, debug kernel $dkver"
		vm_count debug-idxd
	fi
fi

if want packages; then
	stage "packages: build, install with DKMS in a clean root, VM, purge"
	if [ "$(cat "$out/deb.rc" 2>/dev/null)" = 0 ]; then
		record deb_build_lintian_clean OK
	else
		record deb_build_lintian_clean FAIL "see $out/deb.log"
		sed 's/^/    /' "$out/deb.log" 2>/dev/null | tail -20
	fi
	ndebs=$(cat "$out/packages.ndebs" 2>/dev/null || echo 0)
	if [ "$ndebs" -eq 4 ]; then
		count packages.install "$out/pkg-install.tap"
		grep -q '^1\.\.[1-9]' "$out/pkg-install.tap" ||
			record packages.install.ran_to_end FAIL "see $out/pkg-install.tap"
		if [ -s "$out/packages/vm/migaccel.ko" ]; then
			vm_count packages
		else
			record packages.vm FAIL "no DKMS-built migaccel.ko, see $out/pkg-install.tap"
		fi
		count packages.purge "$out/pkg-purge.tap"
		grep -q '^1\.\.[1-9]' "$out/pkg-purge.tap" ||
			record packages.purge.ran_to_end FAIL "see $out/pkg-purge.tap"
	else
		record packages.debs FAIL "expected 4 packages in build/deb, got $ndebs"
	fi
	echo "   (packages stage, in lane 1: $(cat "$out/packages.secs" 2>/dev/null)s)"
fi

echo
echo "total time $(( $(date +%s) - t0 ))s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
