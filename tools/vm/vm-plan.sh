#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test plan, run by the initramfs as /test.sh.  Loads migaccel, runs
# every test program in /bin-test (and the KUnit module when present),
# unloads, and prints each program's TAP between "### BEGIN name" and
# "### END name rc=N" lines that tools/check.sh counts section by section.

# Per-stage settings (page counts of the bulk tests), from tools/check.sh.
if [ -f /etc/migaccel.env ]; then
	set -a
	. /etc/migaccel.env
	set +a
fi

begin() { echo "### BEGIN $1"; }
end() { echo "### END $1 rc=$2"; }

# A one-case TAP section for a step that is not itself a test program.
step() {
	name=$1
	shift
	begin "$name"
	echo "1..1"
	if out=$("$@" 2>&1); then
		echo "ok 1 $name"
		rc=0
	else
		rc=$?
		echo "$out" | sed 's/^/# /'
		echo "not ok 1 $name"
	fi
	end "$name" $rc
}

# Pins taken minus pins released, machine-wide: balanced again at the end.
pins() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk '$1 == "nr_foll_pin_acquired" { a = $2 }
	     $1 == "nr_foll_pin_released" { r = $2 }
	     END { print a - r }' /proc/vmstat
}
pins_at_start=$(pins)

step module_load insmod /ko/migaccel.ko
step device_node_is_0660 sh -c \
	'[ "$(stat -c %a /dev/migaccel)" = 660 ] && [ "$(stat -c %g /dev/migaccel)" = 0 ]'

if [ -f /ko/migaccel_test.ko ]; then
	step kunit_load insmod /ko/migaccel_test.ko
	for results in /sys/kernel/debug/kunit/migaccel_*/results; do
		suite=${results%/results}
		suite=${suite##*/}
		begin "kunit.$suite"
		cat "$results"
		end "kunit.$suite" 0
	done
	step kunit_unload rmmod migaccel_test
fi

for t in /bin-test/*; do
	[ -x "$t" ] || continue
	name=${t##*/}
	case "$name" in *.so*) continue ;; esac
	begin "$name"
	"$t"
	end "$name" $?
done

step module_unload rmmod migaccel
step device_node_removed sh -c '[ ! -e /dev/migaccel ]'
pins_at_end=$(pins)
step pins_balanced_after_unload sh -c \
	"echo 'pins held: $pins_at_start at start, $pins_at_end at the end'; [ '$pins_at_start' = '$pins_at_end' ]"
