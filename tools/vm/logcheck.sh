#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fail if a kernel log shows a splat: WARNING, BUG, Oops, KASAN, KFENCE,
# lockdep, kmemleak, hung task, RCU stall or panic.  Prints one
# "not ok N <kind>: <line>" per offending line, then the first report as
# logged (up to 40 lines, as "#" comments, so that a CI log shows the
# trace) and whether it came before migaccel.ko was loaded, and exits 1;
# exits 0 with a "# clean" comment when there is nothing; 2 when the log
# cannot be read.
#
# Patterns are anchored on the report headers the kernel prints, not on the
# subsystem names, so the debug kernel's boot banners ("kmemleak: Kernel
# memory leak detector initialized", "kasan: KernelAddressSanitizer
# initialized", "kfence: initialized") stay quiet.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DMESG_FILE" >&2; exit 2; }
log=$1
[ -r "$log" ] || { echo "logcheck: cannot read $log" >&2; exit 2; }

# One "kind<TAB>extended regex" per line; the first match names the problem.
patterns='panic	Kernel panic
lockdep	possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|INFO: lockdep|possible irq lock inversion|lock held when returning|bad unlock balance|held lock freed
KASAN	KASAN:
KFENCE	KFENCE:
kmemleak	unreferenced object|new suspected memory leaks?
GPF	general protection fault
hung task	blocked for more than|hung_task
RCU stall	detected stalls? on CPUs|self-detected stall
UBSAN	UBSAN:
Oops	Oops
BUG	BUG:|BUG 
WARNING	WARNING:
trace	Call Trace:'

awk -v patterns="$patterns" '
BEGIN {
	n = split(patterns, rows, "\n")
	for (i = 1; i <= n; i++) {
		split(rows[i], f, "\t")
		kind[i] = f[1]; re[i] = f[2]
	}
	bad = 0
}
{
	# Messages written by the tests themselves are not kernel reports.
	if ($0 ~ /migaccel-vm:/) next
	for (i = 1; i <= n; i++) {
		if ($0 !~ re[i]) continue
		# The banners of the debug checkers contain their names.
		if (kind[i] ~ /^(KASAN|KFENCE|kmemleak)$/ && $0 ~ /initialized/) break
		line = $0
		sub(/^\[ *[0-9]+\.[0-9]+\] /, "", line)
		printf "not ok %d %s: %s\n", ++bad, kind[i], line
		if (bad == 1) {
			first = NR
			before_module = !module_seen
		}
		break
	}
	if (!module_seen && $0 ~ /(^|[] ])migaccel[:_ ]/) module_seen = NR
	if (first && NR - first < 40) context[++ncontext] = $0
}
END {
	if (bad == 0) {
		printf "# logcheck: %s clean\n", FILENAME
		exit 0
	}
	printf "# the first report, line %d of %s%s:\n", first, FILENAME,
	       before_module ? ", logged before migaccel.ko was loaded" : ""
	for (i = 1; i <= ncontext; i++)
		printf "#   %s\n", context[i]
	exit 1
}' "$log"
