/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Small helpers shared by the benchmark tools: clocks, sizes on the
 * command line, and counters read from /proc and debugfs.
 */
#ifndef MIGACCEL_BENCH_UTIL_H
#define MIGACCEL_BENCH_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Seconds on clock @clk. */
static inline double bench_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "4096", "64M", "1GiB", "2T": bytes; false when it is not a size. */
static inline bool bench_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);
	unsigned int shift = 0;

	if (end == s || *s == '-')
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > (~0ull >> shift))
		return false;
	*out = v << shift;
	return true;
}

/*
 * Busy seconds of all CPUs from /proc/stat, or -1: unlike the threads'
 * CPU time it includes the module's own workers (the soft engine).
 */
static inline double bench_system_busy(void)
{
	unsigned long long v[8];
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8)
		return -1;
	/* All but idle and iowait. */
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
	       sysconf(_SC_CLK_TCK);
}

/* Counter @name of a "name value" file (/proc/vmstat, debugfs stats), or -1. */
static inline int64_t bench_counter(const char *path, const char *name)
{
	FILE *f = fopen(path, "r");
	char key[64];
	long long v;
	int64_t ret = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", key, &v) == 2)
		if (!strcmp(key, name))
			ret = v;
	fclose(f);
	return ret;
}

#endif /* MIGACCEL_BENCH_UTIL_H */
