#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# In-VM test plan on the emulated DSA and IAA devices (tools/qemu), run by
# the initramfs as /test.sh.  idxd probes them; migaccel is loaded with the
# soft engine kept out (soft=0); accel-config configures two dedicated
# kernel work queues on the DSA and one on the IAA with driver name
# migaccel from /etc/migaccel-idxd.json; then:
#   - every test program in /bin-test runs (completion by interrupt);
#   - the kernel-path tests run again with idxd_poll=Y;
#   - the model's own counters (its debug window in BAR0) are compared with
#     migaccel's per-engine netlink counts;
#   - a work queue is disabled with accel-config while 16 threads run
#     batches (async_paths' stress case): results must stay correct;
#   - the DSA reports a software error and then halts during work: the
#     tests still pass (the CPU finishes) and migaccel counts it;
#   - pinned pages are balanced and the module unloads.
# Settings in /etc/migaccel.env besides the tests' sizes:
# MIGACCEL_IDXD_QOS=0 leaves migaccel_qos out, MIGACCEL_IDXD_HALT=0 raises
# only the software error, not the halt, MIGACCEL_IDXD_POLL_LIB=0 leaves
# the library's tests out of the polling pass (tools/check.sh says why
# for the debug kernel's stage).
# Output: "### BEGIN name" / "### END name rc=N" sections, as vm-plan.sh.

if [ -f /etc/migaccel.env ]; then
	set -a
	. /etc/migaccel.env
	set +a
fi

# "### END name rc=N secs=S": S is the section's time, for the budget.
begin() {
	read -r section_start _ </proc/uptime
	echo "### BEGIN $1"
}
end() {
	read -r now _ </proc/uptime
	echo "### END $1 rc=$2 secs=$(echo "$now $section_start" |
		awk '{ printf "%.0f", $1 - $2 }')"
}

step() {
	name=$1
	shift
	begin "$name"
	echo "1..1"
	if out=$("$@" 2>&1); then
		echo "$out" | sed 's/^/# /'
		echo "ok 1 $name"
		rc=0
	else
		rc=$?
		echo "$out" | sed 's/^/# /'
		echo "not ok 1 $name"
	fi
	end "$name" $rc
}

run_test() {
	name=$1
	shift
	begin "$name"
	"$@"
	end "$name" $?
}

# The PCI function of a model: $1 = 0x0b25 (DSA) or 0x0cfe (IAA).
pci_dev() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = 0x8086 ] &&
			[ "$(cat "$d/device")" = "$1" ] && { echo "$d"; return 0; }
	done
	return 1
}

# model_reg DEVICE_ID OFFSET [VALUE]: read a 64-bit register of the
# model's BAR0, or write a 32-bit one (through sysfs: the debug kernel has
# no /dev/mem).
model_reg() { idxd_model_test --reg "$@"; }

# Executed descriptors of opcode $2 on device $1 (debug window 0x2000).
model_count() { echo $(($(model_reg "$1" $((0x2000 + 8 * $2))))); }
# Top-level descriptors executed on WQ $2 of device $1 (0x3100).
model_wq_top() { echo $(($(model_reg "$1" $((0x3100 + 8 * $2))))); }

# completed count of engine $1 (e.g. wq0.0) from migaccelctl --json.
engine_completed() {
	migaccelctl --json engines | tr '{' '\n' | grep "\"name\": \"$1\"" |
		sed 's/.*"completed": \([0-9]*\).*/\1/'
}

step models_probed_by_idxd sh -c \
	'[ -d /sys/bus/dsa/devices/dsa0 ] && [ -d /sys/bus/dsa/devices/iax1 ] &&
	 [ "$(idxd_model_test --reg 0x0b25 0x3008)" = 0x474244445849514F ]'
step module_load insmod /ko/migaccel.ko soft=0
step accel_config_load_config accel-config load-config \
	-c /etc/migaccel-idxd.json -e
# idxd enables the IAA at probe with its iaa_crypto defaults (wq1.0:
# dedicated, kernel, the whole WQ space, driver "crypto"), and
# accel-config load-config skips an enabled device.  Disabling it is not
# an option: Linux 6.12's idxd_device_evl_free() dereferences the event
# log these devices (like DSA/IAA 1.0 silicon) do not have.  So the WQ
# is renamed and bound in place.
step iax1_wq_bound accel-config config-wq iax1/wq1.0 \
	--driver-name=migaccel --name=migaccel
step iax1_wq_enabled accel-config enable-wq iax1/wq1.0
step migaccel_claimed_three_wqs sh -c \
	'migaccelctl engines; n=$(migaccelctl --json engines | tr "{" "\n" |
	 grep -c "\"kind\": \"\(dsa\|iaa\)\"");
	 [ "$n" = 3 ]'

# With an IOMMU doing DMA remapping (the intel-iommu stage) bus addresses
# are not physical addresses.
iommu=
ls /sys/class/iommu 2>/dev/null | grep -q . && iommu=1

# The models driven directly: every operation and error status.
[ -z "$iommu" ] && run_test idxd_model_test idxd_model_test

# The model's failed-descriptor counters of the operations that must never
# fail under migaccel, before its tests run.
model_errors() {
	for spec in "0x0b25:0 1 3 6 7 8 16" "0x0cfe:68"; do
		dev=${spec%%:*}
		for op in ${spec#*:}; do
			echo "$dev op $op errors $(($(model_reg "$dev" $((0x2800 + 8 * op)))))"
		done
	done
}
model_errors >/tmp/model-errors.before
# What the WQs executed before migaccel's tests (idxd_model_test's).
top0_before=$(model_wq_top 0x0b25 0)
top1_before=$(model_wq_top 0x0b25 1)
iaa_before=$(model_wq_top 0x0cfe 0)

# Interrupt completion: every test program.  Cases that need the soft
# engine are left out, by name, with a TAP comment: fault injection
# (debugfs "inject") acts on the soft engine only, and
# sva_bind_without_a_work_queue_is_enodev needs no work queue.
# migaccel_ctl.sh reloads the module (with the soft engine): it runs last.
soft_only_async="-T unregister_in_flight_is_ebusy_then_waits
	-T poll_wakes_when_a_lost_batch_reaches_its_deadline
	-T killed_mid_batch_leaves_no_pins_and_no_hung_task
	-T sva_bind_without_a_work_queue_is_enodev"
soft_only_safety="-T lost_chunk_given_up_on_is_released_at_unload
	-T region_outlives_sync_batch_that_timed_out_and_closed
	-T region_outlives_sync_batch_of_killed_process
	-T region_outlives_async_batch_closed_past_its_deadline
	-T region_outlives_async_batch_reaped_past_its_deadline
	-T poll_wakes_at_every_batchs_deadline"
# The overload cases make the soft engine the bottleneck ("slow").
soft_only_qos="-T two_groups_with_equal_limits_over_capacity_share_equally
	-T two_groups_over_capacity_share_in_proportion_to_limits"
for t in /bin-test/*; do
	[ -x "$t" ] || continue
	name=${t##*/}
	args=
	case "$name" in
	*.so*|migaccel_ctl.sh) continue ;;
	migaccel_async) args=$soft_only_async ;;
	migaccel_safety) args=$soft_only_safety ;;
	migaccel_qos)
		if [ "${MIGACCEL_IDXD_QOS:-1}" = 0 ]; then
			echo "# migaccel_qos: not run in this stage (MIGACCEL_IDXD_QOS=0: clock-measured shares)"
			continue
		fi
		args=$soft_only_qos ;;
	migaccel_ops) args="-F fault" ;;
	migaccel_zero_scan)
		args="-T page_scan_engine_faults_are_finished_on_cpu" ;;
	esac
	[ -n "$args" ] && echo "# $name: soft-engine-only cases left out:" $args
	# shellcheck disable=SC2086 # the options are words
	run_test "$name" "$t" $args
	# Which test made an engine count errors or CPU completions.
	migaccelctl engines | sed "s/^/# after $name: /"
done

# No descriptor failed: with the IOMMU, a wrong or missing DMA mapping
# shows up here (a page fault the CPU then finished), and in the DMAR log.
# DSA operations and IAA CRC64 never fail on valid input; IAA compress
# legitimately overflows on incompressible pages, decompress on bad input.
step no_dsa_engine_errors sh -c \
	'migaccelctl engines;
	 ! migaccelctl --json engines | tr "{" "\n" | grep "\"kind\": \"dsa\"" |
	   grep -q "\"errors\": [1-9]"'
step no_dmar_faults sh -c '! dmesg | grep -E "DMAR: \[DMA (Read|Write)|DMAR:.*fault"'
model_errors >/tmp/model-errors.after
step model_errors_unchanged diff /tmp/model-errors.before /tmp/model-errors.after

# The model executed what migaccel sent, and migaccel counted it.
# DSA: one descriptor (a batch or one operation) per chunk, so the model's
# top-level count per WQ equals the engine's completed chunks.  IAA: one
# descriptor per operation, several per chunk: at least as many.
begin model_counts_match_netlink
echo "1..4"
i=0
fail=0
check_eq() {
	i=$((i + 1))
	if [ "$2" = "$3" ] && [ "$2" != 0 ]; then
		echo "ok $i $1 ($2)"
	else
		echo "not ok $i $1 (model $2, migaccel $3)"
		fail=1
	fi
}
check_eq "dsa wq0.0 top-level descriptors = completed chunks" \
	"$(($(model_wq_top 0x0b25 0) - top0_before))" "$(engine_completed wq0.0)"
check_eq "dsa wq0.1 top-level descriptors = completed chunks" \
	"$(($(model_wq_top 0x0b25 1) - top1_before))" "$(engine_completed wq0.1)"
iaa_desc=$(($(model_wq_top 0x0cfe 0) - iaa_before))
iaa_chunks=$(engine_completed wq1.0)
i=$((i + 1))
if [ "$iaa_chunks" -gt 0 ] && [ "$iaa_desc" -ge "$iaa_chunks" ]; then
	echo "ok $i iaa wq1.0 descriptors >= completed chunks ($iaa_desc >= $iaa_chunks)"
else
	echo "not ok $i iaa wq1.0 descriptors $iaa_desc, chunks $iaa_chunks"
	fail=1
fi
i=$((i + 1))
soft=$(engine_completed soft)
if [ "${soft:-0}" = 0 ]; then
	echo "ok $i soft engine completed nothing"
else
	echo "not ok $i soft engine completed $soft chunks"
	fail=1
fi
end model_counts_match_netlink $fail

begin model_executed_every_op
echo "1..9"
i=0
fail=0
for spec in 0x0b25:0x01:batch 0x0b25:0x03:memmove 0x0b25:0x06:compval \
	0x0b25:0x07:cr_delta 0x0b25:0x08:ap_delta 0x0b25:0x10:crcgen \
	0x0cfe:0x42:decompress 0x0cfe:0x43:compress 0x0cfe:0x44:crc64; do
	dev=${spec%%:*} rest=${spec#*:}
	op=${rest%%:*} opname=${rest#*:}
	c=$(model_count "$dev" "$op")
	i=$((i + 1))
	if [ "${c:-0}" -gt 0 ]; then
		echo "ok $i $opname executed by the model ($c)"
	else
		echo "not ok $i $opname never executed by the model"
		fail=1
	fi
done
end model_executed_every_op $fail

# A physical address behind the IOMMU: a fault the device reports.  After
# the counts: its descriptor is not migaccel's.
[ -n "$iommu" ] && run_test idxd_model_test.iommu idxd_model_test --iommu

# Polling completion: the kernel-path tests again.
echo Y >/sys/module/migaccel/parameters/idxd_poll
run_test migaccel_ops.idxd_poll /bin-test/migaccel_ops -F fault
if [ "${MIGACCEL_IDXD_POLL_LIB:-1}" = 0 ]; then
	echo "# ops_paths, zero_scan_paths: not run polling in this stage (MIGACCEL_IDXD_POLL_LIB=0)"
else
	for t in ops_paths zero_scan_paths; do
		run_test "$t.idxd_poll" "/bin-test/$t"
	done
fi
echo N >/sys/module/migaccel/parameters/idxd_poll

# A work queue disabled under 16 threads running batches.
begin disable_wq_under_load
/bin-test/async_paths >/tmp/async.tap 2>&1 &
pid=$!
# The stress case is the last one: pull the WQ once the case before it
# has a result, so the 16 threads are running.
for _ in $(seq 1 600); do
	grep -q "ok .*async: submission order" /tmp/async.tap && break
	sleep 0.2
done
sleep 2
accel-config disable-wq dsa0/wq0.0 >/tmp/disable.out 2>&1
drc=$?
wait $pid
arc=$?
cat /tmp/async.tap
echo "# accel-config disable-wq dsa0/wq0.0: rc=$drc $(cat /tmp/disable.out)"
[ $drc = 0 ] || echo "not ok 99 accel-config disable-wq failed"
end disable_wq_under_load $((arc | drc))
# Disabling cleared its name and driver name: configure it again.
step wq_reenabled sh -c 'accel-config config-wq dsa0/wq0.0 \
	--name=migaccel --driver-name=migaccel --type=kernel --mode=dedicated &&
	accel-config enable-wq dsa0/wq0.0'

# Software error, then halt, while the tests run: the CPU finishes.  What
# the halted DSA held never completes: migaccel gives up on it after
# timeout_ms, shortened here.
echo 2000 >/sys/module/migaccel/parameters/timeout_ms
begin device_error_during_work
/bin-test/ops_paths >/tmp/ops_err.tap 2>&1 &
pid=$!
sleep 3
model_reg 0x0b25 0x3000 2
sleep 1
# MIGACCEL_IDXD_HALT=0 (the debug kernel's stage, see tools/check.sh):
# the software error only.
if [ "${MIGACCEL_IDXD_HALT:-1}" = 0 ]; then
	echo "# device_error_during_work: no halt in this stage (MIGACCEL_IDXD_HALT=0)"
else
	model_reg 0x0b25 0x3000 1
fi
wait $pid
orc=$?
cat /tmp/ops_err.tap
end device_error_during_work $orc
step idxd_logged_the_errors sh -c \
	'dmesg | grep -E "idxd .*(err\[0\]|halted|Device is HALTED)" | head -5 | grep -q .'

# Unloading announces every engine going away, the soft one included;
# the module is loaded again after (soft engine on: nothing counts now).
run_test migaccel_ctl.sh /bin-test/migaccel_ctl.sh

step module_unload rmmod migaccel
step pins_balanced sh -c \
	'a=$(awk "/^nr_foll_pin_acquired/ { print \$2 }" /proc/vmstat);
	 r=$(awk "/^nr_foll_pin_released/ { print \$2 }" /proc/vmstat);
	 echo "acquired $a released $r"; [ "$a" = "$r" ]'
