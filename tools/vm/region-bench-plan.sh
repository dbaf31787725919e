#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM plan of tools/region-bench.sh, run by the initramfs as /test.sh:
# on the emulated DSAs (four work queues each), every module in /ko is
# loaded in turn and migaccel-microbench region runs with all work queues
# bound to migaccel, then with those of the first device only (4), 2, 1
# and none (the soft engine alone).  Settings in /etc/migaccel.env:
# MIGACCEL_BENCH_SIZE (default 1G), MIGACCEL_BENCH_ROUNDS (default 3).

if [ -f /etc/migaccel.env ]; then
	set -a
	. /etc/migaccel.env
	set +a
fi
size=${MIGACCEL_BENCH_SIZE:-1G}
rounds=${MIGACCEL_BENCH_ROUNDS:-3}
dsas=$(cd /sys/bus/dsa/devices && ls -d dsa* 2>/dev/null)
echo "# DSA devices: $dsas; IOMMU: $(ls /sys/class/iommu 2>/dev/null | tr '\n' ' ')"
echo "# THP: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
# The 4k layout moves each page on its own: one mapping per page.
echo 1048576 >/proc/sys/vm/max_map_count

# Every work queue of every DSA, configured (again: remove() resets a
# work queue's type when its driver goes) and enabled.
wqs_all() {
	for d in $dsas; do
		n=${d#dsa}
		for w in 0 1 2 3; do echo "$d/wq$n.$w"; done
	done
}

configure() {
	for d in $dsas; do
		n=${d#dsa}
		if [ "$(cat "/sys/bus/dsa/devices/$d/state")" != enabled ]; then
			accel-config config-engine "$d/engine$n.0" --group-id=0 ||
				return 1
		fi
		for w in 0 1 2 3; do
			accel-config config-wq "$d/wq$n.$w" --group-id=0 \
				--mode=dedicated --type=kernel --priority=10 \
				--wq-size=32 --driver-name=migaccel \
				--name=migaccel || return 1
		done
		if [ "$(cat "/sys/bus/dsa/devices/$d/state")" != enabled ]; then
			accel-config enable-device "$d" || return 1
		fi
	done
}

bench() {
	echo "# $1: $(ls /sys/bus/dsa/drivers/migaccel 2>/dev/null | grep -c '^wq') work queues bound"
	migaccel-microbench -s "$size" -r "$rounds" region 2>&1 | sed "s|^|$1 |"
}

for ko in /ko/*.ko; do
	name=${ko##*/}
	echo "### BEGIN $name"
	insmod "$ko" || { echo "### END $name rc=1"; continue; }
	configure || echo "# configure failed"
	for wq in $(wqs_all); do
		accel-config enable-wq "$wq" >/dev/null || echo "# enable $wq failed"
	done
	# All of them, those of the first device, 2, 1, none.
	for keep in 8 4 2 1 0; do
		i=0
		for wq in $(wqs_all); do
			i=$((i + 1))
			[ $i -le $keep ] && continue
			[ "$(cat "/sys/bus/dsa/devices/${wq#*/}/state")" = enabled ] &&
				accel-config disable-wq "$wq" >/dev/null
		done
		bench "$name"
	done
	rmmod migaccel
	echo "### END $name rc=0"
done
dmesg | grep -iE "warning|bug|dmar.*fault" | head -20 | sed 's/^/# dmesg: /'
