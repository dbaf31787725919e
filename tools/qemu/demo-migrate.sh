#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo-migrate.sh LABEL COMPRESSION OUTDIR: one live migration of the demo
# guest (tools/qemu/demo-guest-init.c) from a source QEMU to a destination
# QEMU over localhost TCP with multifd, then the guest's own verdict.
# POSIX sh: it runs on the host and, with busybox, inside the test VM.
#
# Environment: QEMU (qemu-system-x86_64), QEMU_FIRMWARE ("-L" directories,
# space separated), QMP (migaccel-qmp), KERNEL, INITRD, DEMO_MEM (guest
# MiB, 192), DEMO_MB (MiB the guest fills, 96), DEMO_WS_MB (working set it
# keeps dirtying, 4), DEMO_CHANNELS (8), DEMO_PORT (4444), DEMO_TIMEOUT
# (seconds for each of boot, migration and check; 300), and for the
# library MIGACCEL_PATH=cpu|kernel.
#
# Prints one line:
#   RESULT LABEL total_ms downtime_ms bytes zero_pages normal_pages
#          src_cpu_s dst_cpu_s verdict
# and exits 0 only when the migration completed and the guest said
# "intact".  CPU seconds are those of the migration threads (named mig/*
# with -name debug-threads=on), including the multifd threads that have
# exited by the time they are read.
set -u

label=$1 comp=$2 out=$3
mem=${DEMO_MEM:-192} mb=${DEMO_MB:-96} ws=${DEMO_WS_MB:-4}
channels=${DEMO_CHANNELS:-8} port=${DEMO_PORT:-4444}
tmo=${DEMO_TIMEOUT:-300}
: "${QEMU:?}" "${QMP:?}" "${KERNEL:?}" "${INITRD:?}"

mkdir -p "$out"
rm -f "$out"/src.* "$out"/dst.*
fw=''
for d in ${QEMU_FIRMWARE:-}; do fw="$fw -L $d"; done

start_qemu() { # SIDE EXTRA...
	side=$1
	shift
	# shellcheck disable=SC2086 # $fw is a list of options
	"$QEMU" -M q35 -accel tcg -cpu "${DEMO_CPU:-qemu64}" -smp 1 -m "$mem" $fw \
		-nodefaults -nographic -no-reboot -name "demo-$side,debug-threads=on" \
		-kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 panic=-1 quiet demo_mb=$mb ws_mb=$ws" \
		-chardev file,id=con,path="$out/$side.console" -serial chardev:con \
		-fw_cfg name=opt/migaccel/side,string="$side" \
		-qmp unix:"$out/$side.qmp",server=on,wait=off \
		"$@" >"$out/$side.log" 2>&1 &
}

# wait_for SECONDS CMD...: retry CMD every 0.2 s.
wait_for() {
	n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

qmp() { # SIDE COMMAND...
	s=$1
	shift
	"$QMP" "$out/$s.qmp" "$@"
}

# field NAME: a number from the JSON on stdin.
field() {
	sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" | head -n1
}

# cpu PID: "EXITED MIG" in clock ticks: CPU of the process's threads that
# have exited, and of its live threads named mig/*.
cpu() {
	tot=$(sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }')
	cat /proc/"$1"/task/*/stat 2>/dev/null | awk -v tot="$tot" '
		{
			comm = $0; sub(/^[^(]*\(/, "", comm); sub(/\).*$/, "", comm)
			rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
			t = f[12] + f[13]; alive += t
			if (comm ~ /^mig\//) mig += t
		}
		END { print tot - alive, mig + 0 }'
}

cleanup() {
	[ -n "${src_pid:-}" ] && kill "$src_pid" 2>/dev/null
	[ -n "${dst_pid:-}" ] && kill "$dst_pid" 2>/dev/null
	wait 2>/dev/null
}
trap cleanup EXIT

fail() {
	echo "demo-migrate[$label]: $*" >&2
	for f in "$out"/src.log "$out"/dst.log; do
		[ -s "$f" ] && sed "s|^|  ${f##*/}: |" "$f" >&2
	done
	tail -5 "$out/dst.console" 2>/dev/null | sed 's/^/  dst.console: /' >&2
	echo "RESULT $label - - - - - - - FAILED"
	exit 1
}

start_qemu src
src_pid=$!
start_qemu dst -S -incoming defer
dst_pid=$!
# Until the guest is ready, or the source QEMU has exited (it failed).
wait_for "$tmo" sh -c "grep -qs 'migaccel-demo: ready' '$out/src.console' ||
	! kill -0 $src_pid 2>/dev/null"
grep -qs 'migaccel-demo: ready' "$out/src.console" ||
	fail "the guest did not get ready (see $out/src.console)"

caps='{"execute":"migrate-set-capabilities","arguments":{"capabilities":[{"capability":"multifd","state":'"${DEMO_MULTIFD:-true}"'}]}}'
params="{\"execute\":\"migrate-set-parameters\",\"arguments\":{\"multifd-channels\":$channels,\"multifd-compression\":\"$comp\",\"multifd-zlib-level\":1,\"max-bandwidth\":8589934592}}"
for s in src dst; do
	qmp $s "$caps" "$params" >/dev/null || fail "cannot set up $s"
done
qmp dst "{\"execute\":\"migrate-incoming\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:$port\"}}" \
	>/dev/null || fail "migrate-incoming failed"
# shellcheck disable=SC2046 # four numbers, split on purpose
set -- $(cpu "$src_pid") $(cpu "$dst_pid")
src0=$(($1 + $2)) dst0=$(($3 + $4))
qmp src "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:$port\"}}" \
	>/dev/null || fail "migrate failed"

status=''
n=$((tmo * 5))
while [ "$n" -gt 0 ]; do
	info=$(qmp src '{"execute":"query-migrate"}') || fail "query-migrate failed"
	status=$(echo "$info" | sed -n 's/.*"status": *"\([a-z-]*\)".*/\1/p' | head -n1)
	case "$status" in completed | failed | cancelled) break ;; esac
	sleep 0.2
	n=$((n - 1))
done
[ "$status" = completed ] || fail "migration $status: $info"
wait_for "$tmo" sh -c "'$QMP' '$out/dst.qmp' '{\"execute\":\"query-migrate\"}' | grep -q '\"completed\"'" ||
	fail "the destination did not complete"

# Everything but the CPU times is the source's view.
total=$(echo "$info" | field total-time)
down=$(echo "$info" | field downtime)
bytes=$(echo "$info" | field transferred)
zero=$(echo "$info" | field duplicate)
normal=$(echo "$info" | field normal)
# shellcheck disable=SC2046 # four numbers, split on purpose
set -- $(cpu "$src_pid") $(cpu "$dst_pid")
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
src_cpu=$(awk -v a=$(($1 + $2 - src0)) -v hz="$hz" 'BEGIN { printf "%.2f", a / hz }')
dst_cpu=$(awk -v a=$(($3 + $4 - dst0)) -v hz="$hz" 'BEGIN { printf "%.2f", a / hz }')
qmp src '{"execute":"quit"}' >/dev/null 2>&1
qmp dst '{"execute":"cont"}' >/dev/null || fail "cont failed on the destination"

wait_for "$tmo" grep -qs 'migaccel-demo: .*intact' "$out/dst.console" ||
	fail "no verdict from the guest (see $out/dst.console)"
verdict=$(sed -n 's/.*migaccel-demo: \(.*intact\).*/\1/p' "$out/dst.console" | head -n1)
grep 'migaccel-demo: migrated' "$out/dst.console" | tr -d '\r' >&2
echo "RESULT $label $total $down $bytes $zero $normal $src_cpu $dst_cpu $(echo "$verdict" | tr ' ' '_')"
[ "$verdict" = intact ]
