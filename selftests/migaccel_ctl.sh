#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# migaccelctl against the state this test creates: a process with two
# channels open and a limit set on it; a cgroup group.  Runs in the VM under
# busybox sh, with migaccelctl on PATH.  TAP output.

n=0
failed=0
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n $2"
	else
		echo "not ok $n $2"
		failed=$((failed + 1))
	fi
}
# expect NAME PATTERN TEXT: TEXT contains the fixed string PATTERN.
expect() {
	case "$3" in
	*"$2"*) ok 0 "$1" ;;
	*) echo "# expected: $2"; echo "$3" | sed 's/^/# got: /'; ok 1 "$1" ;;
	esac
}

echo "TAP version 13"
echo "1..27"

# The channels belong to a child shell, which the test controls.
mkfifo /tmp/ctl.go
sh -c 'exec 3</dev/migaccel 4</dev/migaccel; read x </tmp/ctl.go' &
child=$!
i=0
while [ $i -lt 50 ] && ! migaccelctl clients | grep -q "^ *$child "; do
	sleep 0.1
	i=$((i + 1))
done

out=$(migaccelctl --json engines)
ok $? "engines exits 0"
expect "engines lists the soft engine" '"name": "soft", "kind": "soft", "wq_id": -1, "state": "enabled"' "$out"

out=$(migaccelctl --json clients)
ok $? "clients exits 0"
expect "clients shows the child with its two channels" \
	"{\"pid\": $child, \"channels\": 2, \"regions\": 0, \"pinned_bytes\": 0, \"group_kind\": \"process\", \"group_id\": $child," "$out"

migaccelctl limit set --pid "$child" --quota 8M --period-us 50000 --slice 64K --cpu-fallback 1
ok $? "limit set exits 0"
out=$(migaccelctl --json limit get --pid "$child")
ok $? "limit get exits 0"
expect "limit get returns what was set" \
	"{\"kind\": \"process\", \"id\": $child, \"quota\": 8388608, \"period_us\": 50000, \"slice\": 65536, \"cpu_fallback\": 1, \"channels\": 2," "$out"

out=$(migaccelctl --json stats)
expect "stats lists the child's group" "\"kind\": \"process\", \"id\": $child, \"quota\": 8388608" "$out"

out=$(migaccelctl stats)
expect "stats table has a header" "NR_THROTTLED" "$out"

migaccelctl limit set --cgroup 4242 --quota 1M
ok $? "limit set creates a cgroup group"
out=$(migaccelctl --json limit get --cgroup 4242)
expect "the cgroup group has its quota" '"kind": "cgroup", "id": 4242, "quota": 1048576' "$out"

out=$(migaccelctl limit set --pid "$child" --period-us 10 2>&1)
rc=$?
[ $rc = 1 ]
ok $? "out-of-range period exits 1 (got $rc)"
expect "and says why" "out of range" "$out"

out=$(migaccelctl limit get --pid 1 2>&1)
rc=$?
[ $rc = 1 ]
ok $? "a process without channels exits 1 (got $rc): $out"

migaccelctl limit set --pid "$child" >/dev/null 2>&1
rc=$?
[ $rc = 2 ]
ok $? "limit set with nothing to set is a usage error (got $rc)"

echo go >/tmp/ctl.go
wait $child
out=$(migaccelctl --json clients)
case "$out" in *"\"pid\": $child,"*) r=1 ;; *) r=0 ;; esac
ok $r "the client is gone after its last close"

# --cgroup PATH that is not a cgroup v2 directory: usage error, nothing set.
out=$(migaccelctl limit get --cgroup /tmp 2>&1)
rc=$?
[ $rc = 2 ]
ok $? "a directory that is not a cgroup is refused, exit 2 (got $rc)"
expect "and says why" "--cgroup /tmp: not a cgroup v2 directory" "$out"
out=$(migaccelctl limit set --cgroup /sys/fs/cgroup/no-such-cgroup --quota 1M 2>&1)
rc=$?
[ $rc = 2 ]
ok $? "a cgroup path that does not exist is refused, exit 2 (got $rc)"
expect "and says why" "--cgroup /sys/fs/cgroup/no-such-cgroup: No such file or directory" "$out"

# A cgroup group: a process that opens its first channel in the cgroup
# joins it.
cg=/sys/fs/cgroup/migaccel-ctl
if { [ -e /sys/fs/cgroup/cgroup.procs ] ||
     mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; } && mkdir $cg; then
	cgid=$(stat -c %i $cg)
	migaccelctl limit set --cgroup "$cg" --quota 4M
	ok $? "limit set on cgroup $cg, by path"
	out=$(migaccelctl --json limit get --cgroup "$cgid")
	expect "the path names the group whose id is the directory's inode" \
		"\"kind\": \"cgroup\", \"id\": $cgid, \"quota\": 4194304," "$out"
	out=$(migaccelctl --json limit get --cgroup migaccel-ctl)
	expect "a path relative to /sys/fs/cgroup names it too" \
		"\"kind\": \"cgroup\", \"id\": $cgid, \"quota\": 4194304," "$out"
	sh -c "echo \$\$ >$cg/cgroup.procs && exec 3</dev/migaccel && read x </tmp/ctl.go" &
	child=$!
	i=0
	while [ $i -lt 50 ] && ! migaccelctl clients | grep -q "^ *$child "; do
		sleep 0.1
		i=$((i + 1))
	done
	out=$(migaccelctl --json clients)
	expect "a client opened in the cgroup is in its group" \
		"{\"pid\": $child, \"channels\": 1, \"regions\": 0, \"pinned_bytes\": 0, \"group_kind\": \"cgroup\", \"group_id\": $cgid," "$out"
	out=$(migaccelctl --json limit get --cgroup "$cgid")
	expect "the cgroup group counts its channel" '"quota": 4194304, "period_us": 100000, "slice": 0, "cpu_fallback": 0, "channels": 1,' "$out"
	echo go >/tmp/ctl.go
	wait $child
	rmdir $cg
else
	for t in 1 2 3 4 5; do
		n=$((n + 1))
		echo "ok $n # SKIP no cgroup v2"
	done
fi

# monitor: unloading the module unpublishes every engine (the soft one,
# and the work queues it claimed, if any), which is announced before the
# family goes away.  The module is loaded again after, the way it was
# loaded: from /ko, or with modprobe (the package test).
load=''
if [ -f /ko/migaccel.ko ]; then
	load='insmod /ko/migaccel.ko'
elif [ "${MIGACCEL_MODPROBE:-0}" = 1 ]; then
	load='modprobe migaccel'
fi
if [ -n "$load" ]; then
	engines=$(migaccelctl --json engines | tr '{' '\n' | grep -c '"name"')
	migaccelctl --json monitor --count "$engines" >/tmp/ctl.mon 2>&1 &
	mon=$!
	# Unload only once the monitor joined the group (a generic netlink
	# socket, protocol 16, with a group in /proc/net/netlink; nothing else
	# in the test VM listens there): a loaded machine may take longer than
	# a fixed sleep to start it.
	i=0
	while [ $i -lt 300 ] && ! awk \
		'$2 == 16 && $4 != "00000000" { f = 1 } END { exit !f }' \
		/proc/net/netlink; do
		sleep 0.1
		i=$((i + 1))
	done
	rmmod migaccel
	i=0
	while [ $i -lt 50 ] && kill -0 $mon 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill $mon 2>/dev/null
	wait $mon
	ok $? "monitor exits 0 after one event per engine"
	expect "monitor reports the soft engine going away" \
		'{"event": "engine-del", "name": "soft", "kind": "soft", "wq_id": -1, "state": "disabled"' \
		"$(cat /tmp/ctl.mon)"
	$load || echo "# could not load migaccel again"
	rm -f /tmp/ctl.mon
else
	for t in 1 2; do
		n=$((n + 1))
		echo "ok $n # SKIP no /ko/migaccel.ko, no MIGACCEL_MODPROBE"
	done
fi

rm -f /tmp/ctl.go
[ $failed = 0 ]
