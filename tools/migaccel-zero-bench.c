// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Zero-scan a buffer of mixed pages through the kernel path and the CPU
 * path, print pages per second for each and their ratio, and check that
 * both bitmaps are identical and match what was written: the last line is
 * "identical: yes" or "identical: no".  Used by `make demo` inside the VM:
 *
 *   zero_scan_bench --size-mib 64 --zero-percent 50
 *
 * Exit status: 0 bitmaps identical and right, 1 they differ (or a scan
 * failed), 2 bad arguments or no kernel channel (use -c without the module).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/migaccel.h>

#include "libmigaccel.h"
#include "common.h"

/* The module's limit, through the public channel fd (MIGACCEL_INFO). */
static unsigned int max_batch_ops(struct migaccel_channel *ch)
{
	struct migaccel_info info = { .size = sizeof(info) };
	int fd = migaccel_channel_fd(ch);

	if (fd < 0 || ioctl(fd, MIGACCEL_INFO, &info))
		return 0;
	return info.out_max_batch_ops;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [options]\n"
		"  -s, --size-mib N        buffer size in MiB (default 64)\n"
		"  -z, --zero-fraction F   fraction of zero pages, 0..1 (default 0.5)\n"
		"      --zero-percent P    the same in percent\n"
		"  -i, --iterations N      timed passes per path (default 5)\n"
		"  -b, --pages-per-call N  pages per migaccel_zero_scan() call, a\n"
		"                          multiple of 64; 0: all (default 0)\n"
		"  -p, --pattern P         non-zero pages: random data, or one byte\n"
		"                          at the first or last offset (the slowest\n"
		"                          case for the scan) (default random)\n"
		"  -c, --cpu-only          CPU path only (no module needed)\n"
		"  -S, --seed N            page mix seed (default 1)\n",
		prog);
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Scan everything @iters times; pages per second, or a negative errno. */
static double run(struct migaccel_channel *ch, void *const *pages, size_t nr,
		  size_t per_call, int iters, uint64_t *bm, int *err)
{
	double t0 = 0;
	size_t off;
	int i, ret;

	/* untimed warm-up pass: faults, caches, the scratch bitmap */
	for (i = -1; i < iters; i++) {
		if (i == 0)
			t0 = now();
		for (off = 0; off < nr; off += per_call) {
			size_t n = nr - off < per_call ? nr - off : per_call;

			ret = migaccel_zero_scan(ch, pages + off, n, bm + off / 64);
			if (ret) {
				*err = ret;
				return -1;
			}
		}
	}
	return (double)nr * iters / (now() - t0);
}

int main(int argc, char **argv)
{
	double mib = 64, zero_frac = 0.5, kps = 0, cps;
	size_t nr, per_call = 0, i, nr_zero = 0, words;
	struct migaccel_channel *kch = NULL, *cch = NULL;
	uint64_t *kbm = NULL, *cbm, *truth, seed = 1;
	int iters = 5, cpu_only = 0, opt, ret, err = 0;
	const char *pattern = "random";
	unsigned char *buf;
	void **pages;
	long d;

	static const struct option longopts[] = {
		{ "size-mib", required_argument, NULL, 's' },
		{ "zero-fraction", required_argument, NULL, 'z' },
		{ "zero-percent", required_argument, NULL, 'P' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "pages-per-call", required_argument, NULL, 'b' },
		{ "pattern", required_argument, NULL, 'p' },
		{ "cpu-only", no_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((opt = getopt_long(argc, argv, "s:z:i:b:p:cS:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 's': mib = strtod(optarg, NULL); break;
		case 'z': zero_frac = strtod(optarg, NULL); break;
		case 'P': zero_frac = strtod(optarg, NULL) / 100; break;
		case 'i': iters = atoi(optarg); break;
		case 'b': per_call = strtoul(optarg, NULL, 0); break;
		case 'p': pattern = optarg; break;
		case 'c': cpu_only = 1; break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		default: usage(argv[0]);
		}
	}
	nr = (size_t)(mib * 1024 * 1024) / PAGE;
	if (optind != argc || nr == 0 || nr > UINT32_MAX || iters < 1 ||
	    !(zero_frac >= 0 && zero_frac <= 1) ||
	    (strcmp(pattern, "random") && strcmp(pattern, "first") &&
	     strcmp(pattern, "last")))
		usage(argv[0]);
	if (per_call == 0 || per_call > nr)
		per_call = nr;
	/* calls must start on a bitmap word */
	if (per_call != nr && per_call % 64) {
		fprintf(stderr, "-b must be a multiple of 64\n");
		return 2;
	}

	unsetenv("MIGACCEL_PATH");
	if (!cpu_only) {
		ret = migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &kch);
		if (ret) {
			fprintf(stderr, "kernel path unavailable: %s "
				"(is migaccel.ko loaded? -c for the CPU path only)\n",
				strerror(-ret));
			return 2;
		}
	}
	ret = migaccel_channel_open(MIGACCEL_OPEN_CPU, &cch);
	if (ret) {
		fprintf(stderr, "CPU channel: %s\n", strerror(-ret));
		return 2;
	}

	rng_seed(seed);
	words = WORDS(nr);
	buf = pages_alloc(nr);
	pages = calloc(nr, sizeof(*pages));
	cbm = calloc(words, 8);
	truth = calloc(words, 8);
	if (!cpu_only)
		kbm = calloc(words, 8);
	if (!pages || !cbm || !truth || (!cpu_only && !kbm))
		return 2;
	for (i = 0; i < nr; i++) {
		unsigned char *p = buf + i * PAGE;

		pages[i] = p;
		if ((double)(rng() >> 11) / (double)(1ULL << 53) < zero_frac) {
			truth[i / 64] |= 1ULL << (i % 64);
			nr_zero++;
			p[0] = 0;	/* fault it in */
		} else if (!strcmp(pattern, "first")) {
			p[0] = rng_nonzero_byte();
		} else if (!strcmp(pattern, "last")) {
			p[PAGE - 1] = rng_nonzero_byte();
		} else {
			page_fill(p, MIX_RANDOM_DATA, i);
		}
	}

	printf("buffer %.0f MiB, %zu pages, %zu zero (%.2f), non-zero pages: %s\n",
	       mib, nr, nr_zero, (double)nr_zero / nr, pattern);
	printf("%zu pages per call, %d timed passes, CPU scan %s\n", per_call,
	       iters, getenv("MIGACCEL_SIMD") ?: "best available");
	if (kch) {
		printf("kernel path: max %u ops per MIGACCEL_BATCH\n",
		       max_batch_ops(kch));
		kps = run(kch, pages, nr, per_call, iters, kbm, &err);
		if (kps < 0) {
			printf("kernel path: zero scan failed: %s\n", strerror(-err));
			return 1;
		}
		printf("kernel path: %12.0f pages/s  %8.2f GiB/s\n", kps,
		       kps * PAGE / (1 << 30));
	}
	cps = run(cch, pages, nr, per_call, iters, cbm, &err);
	if (cps < 0) {
		printf("CPU path: zero scan failed: %s\n", strerror(-err));
		return 1;
	}
	printf("CPU path:    %12.0f pages/s  %8.2f GiB/s\n", cps,
	       cps * PAGE / (1 << 30));
	if (kch)
		printf("kernel/CPU:  %12.2f\n", kps / cps);

	ret = 0;
	d = bitmap_diff(cbm, truth, words);
	if (d >= 0) {
		printf("CPU path bitmap WRONG at page %ld\n", d);
		ret = 1;
	}
	if (kch) {
		d = bitmap_diff(kbm, cbm, words);
		if (d >= 0)
			printf("bitmaps differ at page %ld\n", d);
		printf("identical: %s\n", d >= 0 || ret ? "no" : "yes");
		if (d >= 0)
			ret = 1;
	}
	migaccel_channel_close(cch);
	migaccel_channel_close(kch);
	free(kbm);
	free(truth);
	free(cbm);
	free(pages);
	pages_free(buf, nr);
	return ret;
}
