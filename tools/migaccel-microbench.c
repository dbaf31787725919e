// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * migaccel-microbench: the figures of issue 4, each a ratio of two things
 * measured side by side in one run.  Reported, never asserted.
 *
 *   zero-scan    libmigaccel's CPU zero scan against one core's memory
 *                read bandwidth (a streaming read loop and libc memchr) on
 *                a buffer larger than the caches; goal >= 0.9
 *   deflate      libmigaccel's per-page deflate (CPU path, ISA-L) against
 *                zlib level 1 raw deflate per page on text-like pages;
 *                goals: throughput >= 3x, compressed size within 10 %
 *   native       zero-scan and deflate
 *   kernel-cost  (in the VM, root) the kernel path's own cost per page with
 *                the soft engine's null mode, against zero-scanning the page
 *                on the CPU, at 128 pages per batch: goal <= 0.15; and pins
 *                per batch on a registered region: goal 0
 *   region       (root) what registering --size of memory costs, per GiB:
 *                the region's metadata bytes (out_meta_bytes: page array
 *                and a mapping per device) and the time to register and
 *                unregister it, for memory backed by huge pages ("thp")
 *                and for 4 KiB pages in no physical order ("4k"); with the
 *                runs of consecutive frames seen in /proc/self/pagemap and
 *                the work queues bound to migaccel (sysfs)
 *   insn         (in the VM, root, under QEMU with the insn-count plugin
 *                of tools/qemu/plugins) every path of issue 12 between
 *                two marker instructions, for the plugin to count its
 *                instructions exactly; tools/cost.sh runs it and reports
 *
 * Exit status: 0 measured, 1 a failure, 2 usage, 3 kernel-cost or region
 * cannot run here (no /dev/migaccel, no soft_null knob, no region ioctl,
 * not root).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <zlib.h>

#include <linux/migaccel.h>

#include "libmigaccel.h"
#include "bench/pages.h"
#include "bench/util.h"

#define PAGE BENCH_PAGE
#define MAX_ROUNDS 64
#define SOFT_NULL "/sys/kernel/debug/migaccel/soft_null"
#define STAT_REFRESH "/proc/sys/vm/stat_refresh"

#define EXIT_UNAVAILABLE 3

struct opts {
	size_t size;		/* zero-scan buffer */
	unsigned int rounds;
	unsigned int per_call;	/* zero-scan pages per call */
	unsigned int pages;	/* deflate pages */
	unsigned int batch;	/* kernel-cost pages per batch */
	double seconds;		/* kernel-cost time per measurement */
	const char *layout;	/* region: thp, 4k or both */
	bool json;
};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [options] zero-scan|deflate|native|kernel-cost|region|insn\n"
		"  -s, --size SIZE     zero-scan buffer, region size, K/M/G suffix (default 1G)\n"
		"  -r, --rounds N      interleaved rounds, median taken (default 5)\n"
		"  -b, --per-call N    zero-scan pages per call (default 128)\n"
		"  -n, --pages N       deflate: text pages (default 4096)\n"
		"  -B, --batch N       kernel-cost: pages per batch (default 128)\n"
		"  -t, --time S        kernel-cost: seconds per measurement (default 1)\n"
		"  -l, --layout L      region: thp, 4k or both (default both)\n"
		"  -j, --json          JSON output\n"
		"exit status: 0 measured, 1 failure, 2 usage, 3 kernel-cost or region cannot run here\n",
		prog);
	exit(2);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !c)
			continue;
		c += 1 + strspn(c + 1, " \t");
		c[strcspn(c, "\n")] = 0;
		snprintf(buf, len, "%s", c);
		break;
	}
	fclose(f);
}

/* ---- zero scan against read bandwidth ---- */

typedef uint64_t v2u64 __attribute__((vector_size(16)));

/* Read every byte of @buf once, as fast as plain loads go. */
static uint64_t stream_read(const void *buf, size_t len)
{
	const v2u64 *p = buf, *end = p + len / sizeof(*p);
	v2u64 a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };

	for (; p + 4 <= end; p += 4) {
		a |= p[0];
		b |= p[1];
		c |= p[2];
		d |= p[3];
	}
	a |= b | c | d;
	return a[0] | a[1];
}

static volatile uint64_t sink;

static int bench_zero_scan(const struct opts *o, bool json_open)
{
	size_t nr = o->size / PAGE, i, off;
	double t_stream[MAX_ROUNDS], t_memchr[MAX_ROUNDS], t_scan[MAX_ROUNDS];
	double bw_stream, bw_memchr, bw_scan, bw_ref;
	struct migaccel_channel *ch;
	unsigned char *buf;
	uint64_t *bitmap;
	void **pages;
	unsigned int r;
	int ret;

	buf = mmap(NULL, o->size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pages = calloc(nr, sizeof(*pages));
	bitmap = calloc((nr + 63) / 64, sizeof(*bitmap));
	if (buf == MAP_FAILED || !pages || !bitmap) {
		fprintf(stderr, "zero-scan: out of memory\n");
		return 1;
	}
	/* Written, so every page is real memory, not the shared zero page. */
	memset(buf, 0, o->size);
	for (i = 0; i < nr; i++)
		pages[i] = buf + i * PAGE;
	ret = migaccel_channel_open(MIGACCEL_OPEN_CPU, &ch);
	if (ret) {
		fprintf(stderr, "zero-scan: migaccel_channel_open: %s\n",
			strerror(-ret));
		return 1;
	}

	/* All pages zero: the scan must read every byte, like the loops. */
	for (r = 0; r < o->rounds; r++) {
		double t = bench_now(CLOCK_MONOTONIC);

		sink = stream_read(buf, o->size);
		t_stream[r] = bench_now(CLOCK_MONOTONIC) - t;

		t = bench_now(CLOCK_MONOTONIC);
		sink = (uintptr_t)memchr(buf, 1, o->size);
		t_memchr[r] = bench_now(CLOCK_MONOTONIC) - t;

		t = bench_now(CLOCK_MONOTONIC);
		for (off = 0; off < nr; off += o->per_call) {
			unsigned int n = nr - off < o->per_call ? nr - off :
					 o->per_call;

			ret = migaccel_zero_scan(ch, pages + off, n,
						 bitmap + off / 64);
			if (ret) {
				fprintf(stderr, "zero-scan: migaccel_zero_scan: %s\n",
					strerror(-ret));
				return 1;
			}
		}
		t_scan[r] = bench_now(CLOCK_MONOTONIC) - t;
		for (i = 0; i < nr; i++)
			if (!(bitmap[i / 64] >> (i % 64) & 1)) {
				fprintf(stderr, "zero-scan: page %zu not found zero\n",
					i);
				return 1;
			}
	}
	migaccel_channel_close(ch);
	bw_stream = o->size / median(t_stream, o->rounds) / (1 << 30);
	bw_memchr = o->size / median(t_memchr, o->rounds) / (1 << 30);
	bw_scan = o->size / median(t_scan, o->rounds) / (1 << 30);
	bw_ref = bw_stream > bw_memchr ? bw_stream : bw_memchr;

	if (json_open) {
		printf("  \"zero_scan\": {\"buffer_bytes\": %zu, \"rounds\": %u, \"pages_per_call\": %u, ",
		       o->size, o->rounds, o->per_call);
		printf("\"stream_read_gib_s\": %.4f, \"memchr_gib_s\": %.4f, \"zero_scan_gib_s\": %.4f, ",
		       bw_stream, bw_memchr, bw_scan);
		printf("\"ratio_vs_stream_read\": %.4f, \"ratio_vs_memchr\": %.4f, \"ratio\": %.4f, \"goal\": 0.9}",
		       bw_scan / bw_stream, bw_scan / bw_memchr,
		       bw_scan / bw_ref);
	} else {
		printf("zero scan: %.2f GiB buffer of zero pages, %u pages per call, median of %u rounds\n",
		       o->size / (double)(1 << 30), o->per_call, o->rounds);
		printf("  streaming read loop   %7.2f GiB/s\n", bw_stream);
		printf("  memchr                %7.2f GiB/s\n", bw_memchr);
		printf("  migaccel_zero_scan    %7.2f GiB/s\n", bw_scan);
		printf("  zero scan / read bandwidth: %.2f (vs stream %.2f, vs memchr %.2f; goal >= 0.9)\n",
		       bw_scan / bw_ref, bw_scan / bw_stream,
		       bw_scan / bw_memchr);
	}
	munmap(buf, o->size);
	free(pages);
	free(bitmap);
	return 0;
}

/* ---- per-page deflate against zlib level 1 ---- */

static int bench_deflate(const struct opts *o, bool json_open)
{
	unsigned int n = o->pages, i, r, off, per_call = 128;
	double t_lib[MAX_ROUNDS], t_zlib[MAX_ROUNDS], tp_lib, tp_zlib;
	uint64_t bytes_lib = 0, bytes_zlib = 0, raw_lib = 0, raw_zlib = 0;
	struct migaccel_channel *ch;
	unsigned char *pages, *out_lib, *out_zlib, check[PAGE];
	const void **pp;
	void **outs;
	uint32_t *caps, *sizes_lib, *sizes_zlib;
	z_stream zs = { 0 }, is = { 0 };
	int ret;

	pages = aligned_alloc(PAGE, (size_t)n * PAGE);
	out_lib = malloc((size_t)n * PAGE);
	out_zlib = malloc((size_t)n * PAGE);
	pp = calloc(n, sizeof(*pp));
	outs = calloc(n, sizeof(*outs));
	caps = calloc(n, sizeof(*caps));
	sizes_lib = calloc(n, sizeof(*sizes_lib));
	sizes_zlib = calloc(n, sizeof(*sizes_zlib));
	if (!pages || !out_lib || !out_zlib || !pp || !outs || !caps ||
	    !sizes_lib || !sizes_zlib) {
		fprintf(stderr, "deflate: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		bench_fill_page(pages + (size_t)i * PAGE, 1, i, BENCH_TEXT);
		pp[i] = pages + (size_t)i * PAGE;
		outs[i] = out_lib + (size_t)i * PAGE;
		caps[i] = PAGE;
	}
	ret = migaccel_channel_open(MIGACCEL_OPEN_CPU, &ch);
	if (ret) {
		fprintf(stderr, "deflate: migaccel_channel_open: %s\n",
			strerror(-ret));
		return 1;
	}
	/* zlib as QEMU's multifd-zlib sets it up, one raw stream per page. */
	if (deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK || inflateInit2(&is, -15) != Z_OK) {
		fprintf(stderr, "deflate: zlib init failed\n");
		return 1;
	}

	for (r = 0; r < o->rounds; r++) {
		double t = bench_now(CLOCK_MONOTONIC);

		for (off = 0; off < n; off += per_call) {
			unsigned int k = n - off < per_call ? n - off : per_call;

			ret = migaccel_compress(ch, pp + off, k, outs + off,
						caps + off, sizes_lib + off);
			if (ret) {
				fprintf(stderr, "deflate: migaccel_compress: %s\n",
					strerror(-ret));
				return 1;
			}
		}
		t_lib[r] = bench_now(CLOCK_MONOTONIC) - t;

		t = bench_now(CLOCK_MONOTONIC);
		for (i = 0; i < n; i++) {
			deflateReset(&zs);
			zs.next_in = (Bytef *)pp[i];
			zs.avail_in = PAGE;
			zs.next_out = out_zlib + (size_t)i * PAGE;
			zs.avail_out = PAGE - 1;
			ret = deflate(&zs, Z_FINISH);
			sizes_zlib[i] = ret == Z_STREAM_END ?
					(uint32_t)zs.total_out :
					MIGACCEL_SIZE_RAW;
		}
		t_zlib[r] = bench_now(CLOCK_MONOTONIC) - t;
	}

	/* Both must be raw deflate that zlib inflates back to the page. */
	for (i = 0; i < n; i++) {
		const uint32_t sz[2] = { sizes_lib[i], sizes_zlib[i] };
		const unsigned char *in[2] = { out_lib + (size_t)i * PAGE,
					       out_zlib + (size_t)i * PAGE };
		int k;

		for (k = 0; k < 2; k++) {
			if (sz[k] == MIGACCEL_SIZE_RAW)
				continue;
			inflateReset(&is);
			is.next_in = (Bytef *)in[k];
			is.avail_in = sz[k];
			is.next_out = check;
			is.avail_out = PAGE;
			if (inflate(&is, Z_FINISH) != Z_STREAM_END ||
			    is.total_out != PAGE || memcmp(check, pp[i], PAGE)) {
				fprintf(stderr, "deflate: %s output of page %u does not inflate back\n",
					k ? "zlib" : "libmigaccel", i);
				return 1;
			}
		}
		bytes_lib += sizes_lib[i] == MIGACCEL_SIZE_RAW ? PAGE :
			     sizes_lib[i];
		bytes_zlib += sizes_zlib[i] == MIGACCEL_SIZE_RAW ? PAGE :
			      sizes_zlib[i];
		raw_lib += sizes_lib[i] == MIGACCEL_SIZE_RAW;
		raw_zlib += sizes_zlib[i] == MIGACCEL_SIZE_RAW;
	}
	deflateEnd(&zs);
	inflateEnd(&is);
	migaccel_channel_close(ch);

	tp_lib = (double)n * PAGE / median(t_lib, o->rounds) / (1 << 20);
	tp_zlib = (double)n * PAGE / median(t_zlib, o->rounds) / (1 << 20);
	if (json_open) {
		printf("  \"deflate\": {\"pages\": %u, \"rounds\": %u, ", n,
		       o->rounds);
		printf("\"lib_mib_s\": %.2f, \"zlib1_mib_s\": %.2f, \"throughput_ratio\": %.4f, \"throughput_goal\": 3.0, ",
		       tp_lib, tp_zlib, tp_lib / tp_zlib);
		printf("\"lib_bytes\": %" PRIu64 ", \"zlib1_bytes\": %" PRIu64 ", \"lib_raw_pages\": %" PRIu64 ", \"zlib1_raw_pages\": %" PRIu64 ", ",
		       bytes_lib, bytes_zlib, raw_lib, raw_zlib);
		printf("\"size_ratio\": %.4f, \"size_goal\": 1.10}",
		       (double)bytes_lib / bytes_zlib);
	} else {
		printf("per-page deflate: %u text-like pages, median of %u rounds\n",
		       n, o->rounds);
		printf("  migaccel_compress (CPU)  %8.1f MiB/s  %10" PRIu64 " bytes (ratio %.2f)\n",
		       tp_lib, bytes_lib, (double)n * PAGE / bytes_lib);
		printf("  zlib level 1 raw         %8.1f MiB/s  %10" PRIu64 " bytes (ratio %.2f)\n",
		       tp_zlib, bytes_zlib, (double)n * PAGE / bytes_zlib);
		printf("  throughput lib/zlib: %.2fx (goal >= 3)\n",
		       tp_lib / tp_zlib);
		printf("  compressed size lib/zlib: %.3f (goal <= 1.10)\n",
		       (double)bytes_lib / bytes_zlib);
	}
	free(pages);
	free(out_lib);
	free(out_zlib);
	free(pp);
	free(outs);
	free(caps);
	free(sizes_lib);
	free(sizes_zlib);
	return 0;
}

/* ---- the kernel path's own cost, in the VM ---- */

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* A counter of /proc/vmstat, after folding the per-CPU deltas in. */
static int64_t vmstat(const char *name)
{
	write_str(STAT_REFRESH, "1");
	return bench_counter("/proc/vmstat", name);
}

struct kmeasure {
	double wall_ns, thread_ns, system_ns;	/* per page */
	double pins_per_batch;
	uint64_t batches;
	uint64_t cpu_ops;			/* batches' out_nr_cpu */
};

/*
 * Run batches of @nr zero scans over @ops (rotating through the buffer)
 * for about @seconds; costs per page and pins per batch.
 */
static int run_batches(int fd, struct migaccel_op *ops, unsigned int nr,
		       double seconds, struct kmeasure *m)
{
	struct migaccel_batch b;
	uint64_t bitmap[16];
	int64_t pins0, pins1;
	double w0, c0, s0, w;
	unsigned int i;

	memset(m, 0, sizeof(*m));
	/* Warm-up: first faults, caches, the engine's lazy setup. */
	for (i = 0; i < 8; i++) {
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.nr_ops = nr;
		b.op_size = sizeof(*ops);
		b.ops = (uintptr_t)ops;
		b.out_zero_bitmap = (uintptr_t)bitmap;
		if (ioctl(fd, MIGACCEL_BATCH, &b))
			return -errno;
	}
	pins0 = vmstat("nr_foll_pin_acquired");
	s0 = bench_system_busy();
	c0 = bench_now(CLOCK_THREAD_CPUTIME_ID);
	w0 = bench_now(CLOCK_MONOTONIC);
	do {
		for (i = 0; i < 16; i++) {
			memset(&b, 0, sizeof(b));
			b.size = sizeof(b);
			b.nr_ops = nr;
			b.op_size = sizeof(*ops);
			b.ops = (uintptr_t)ops;
			b.out_zero_bitmap = (uintptr_t)bitmap;
			if (ioctl(fd, MIGACCEL_BATCH, &b))
				return -errno;
			if (b.out_nr_failed)
				return -EIO;
			m->cpu_ops += b.out_nr_cpu;
			m->batches++;
		}
		w = bench_now(CLOCK_MONOTONIC) - w0;
	} while (w < seconds);
	m->thread_ns = (bench_now(CLOCK_THREAD_CPUTIME_ID) - c0) * 1e9;
	m->system_ns = (bench_system_busy() - s0) * 1e9;
	pins1 = vmstat("nr_foll_pin_acquired");
	m->wall_ns = w * 1e9 / (m->batches * nr);
	m->thread_ns /= m->batches * nr;
	m->system_ns /= m->batches * nr;
	m->pins_per_batch = pins0 >= 0 && pins1 >= 0 ?
			    (double)(pins1 - pins0) / m->batches : -1;
	return 0;
}

static int soft_null_set;

static void soft_null_off(void)
{
	if (soft_null_set)
		write_str(SOFT_NULL, "0");
	soft_null_set = 0;
}

static void print_kmeasure(const char *name, const struct kmeasure *m,
			   bool json, bool last)
{
	if (json) {
		printf("    \"%s\": {\"batches\": %" PRIu64 ", \"wall_ns_per_page\": %.1f, \"thread_cpu_ns_per_page\": %.1f, \"system_cpu_ns_per_page\": %.1f, \"pins_per_batch\": %.3f, \"cpu_completions\": %" PRIu64 "}%s\n",
		       name, m->batches, m->wall_ns, m->thread_ns,
		       m->system_ns, m->pins_per_batch, m->cpu_ops,
		       last ? "" : ",");
		return;
	}
	printf("  %-28s %8" PRIu64 " %10.1f %10.1f %10.1f %8.2f\n", name,
	       m->batches, m->wall_ns, m->thread_ns, m->system_ns,
	       m->pins_per_batch);
}

static int bench_kernel_cost(const struct opts *o)
{
	unsigned int nr = o->batch, i, rounds = 8;
	size_t len = (size_t)nr * rounds * PAGE;
	struct migaccel_region_register reg = { .size = sizeof(reg) };
	struct migaccel_region_unregister unreg = { .size = sizeof(unreg) };
	struct migaccel_info info = { .size = sizeof(info) };
	struct kmeasure null_reg, null_user, soft_reg;
	struct migaccel_op *ops_reg, *ops_user;
	double cpu_ns, t, frac, frac_sys;
	unsigned char *buf;
	uint64_t zeros = 0;
	int fd, ret, err;
	size_t p;

	fd = open("/dev/migaccel", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "kernel-cost: cannot open /dev/migaccel: %s (load the module)\n",
			strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	if (ioctl(fd, MIGACCEL_INFO, &info)) {
		fprintf(stderr, "kernel-cost: MIGACCEL_INFO: %s\n",
			strerror(errno));
		return 1;
	}
	if (nr > info.out_max_batch_ops || nr > 1024 ||
	    info.out_page_size != PAGE) {
		fprintf(stderr, "kernel-cost: %u pages per batch, the module takes %u of %u bytes\n",
			nr, info.out_max_batch_ops, info.out_page_size);
		return 1;
	}
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ops_reg = calloc((size_t)nr * rounds, sizeof(*ops_reg));
	ops_user = calloc((size_t)nr * rounds, sizeof(*ops_user));
	if (buf == MAP_FAILED || !ops_reg || !ops_user) {
		fprintf(stderr, "kernel-cost: out of memory\n");
		return 1;
	}
	memset(buf, 0, len);

	reg.addr = (uintptr_t)buf;
	reg.length = len;
	if (ioctl(fd, MIGACCEL_REGION_REGISTER, &reg)) {
		err = errno;
		fprintf(stderr, "kernel-cost: MIGACCEL_REGION_REGISTER: %s%s\n",
			strerror(err), err == ENOTTY ?
			" - this module has no registered regions yet" : "");
		return err == ENOTTY || err == EINVAL ? EXIT_UNAVAILABLE : 1;
	}
	ret = write_str(SOFT_NULL, "0");
	if (ret) {
		fprintf(stderr, "kernel-cost: %s: %s%s\n", SOFT_NULL,
			strerror(-ret), ret == -ENOENT ?
			" - this module has no soft-engine null mode yet (or debugfs is not mounted)" :
			"");
		return ret == -ENOENT ? EXIT_UNAVAILABLE : 1;
	}

	for (p = 0; p < (size_t)nr * rounds; p++) {
		ops_reg[p].opcode = MIGACCEL_OP_ZERO_SCAN;
		ops_reg[p].src = p * PAGE;
		ops_reg[p].region = reg.out_region_id;
		ops_user[p].opcode = MIGACCEL_OP_ZERO_SCAN;
		ops_user[p].src = (uintptr_t)buf + p * PAGE;
	}

	/* The real soft engine first: it must find every page zero. */
	ret = run_batches(fd, ops_reg, nr, o->seconds / 2, &soft_reg);
	if (ret)
		goto err;
	atexit(soft_null_off);
	soft_null_set = 1;
	ret = write_str(SOFT_NULL, "1");
	if (ret)
		goto err;
	ret = run_batches(fd, ops_reg, nr, o->seconds, &null_reg);
	if (!ret)
		ret = run_batches(fd, ops_user, nr, o->seconds / 2, &null_user);
	soft_null_off();
	if (ret)
		goto err;

	/* The work the module saves: the CPU scanning the same pages. */
	t = bench_now(CLOCK_MONOTONIC);
	for (i = 0; !i || bench_now(CLOCK_MONOTONIC) - t < o->seconds / 2; i++)
		for (p = 0; p < (size_t)nr * rounds; p++)
			zeros += migaccel_page_is_zero(buf + p * PAGE) == 1;
	cpu_ns = (bench_now(CLOCK_MONOTONIC) - t) * 1e9 / ((double)i * nr * rounds);
	if (zeros != (uint64_t)i * nr * rounds) {
		fprintf(stderr, "kernel-cost: migaccel_page_is_zero disagrees\n");
		return 1;
	}

	unreg.region_id = reg.out_region_id;
	if (ioctl(fd, MIGACCEL_REGION_UNREGISTER, &unreg))
		fprintf(stderr, "kernel-cost: MIGACCEL_REGION_UNREGISTER: %s\n",
			strerror(errno));
	close(fd);

	frac = null_reg.wall_ns / cpu_ns;
	frac_sys = null_reg.system_ns / cpu_ns;
	if (o->json) {
		printf("{\n  \"kernel_cost\": {\n    \"pages_per_batch\": %u,\n", nr);
		printf("    \"cpu_page_is_zero_ns_per_page\": %.1f,\n", cpu_ns);
		print_kmeasure("null_registered", &null_reg, true, false);
		print_kmeasure("null_user_addresses", &null_user, true, false);
		print_kmeasure("soft_registered", &soft_reg, true, false);
		printf("    \"fraction\": %.4f,\n    \"fraction_system_cpu\": %.4f,\n    \"fraction_goal\": 0.15,\n",
		       frac, frac_sys);
		printf("    \"pins_per_batch\": %.3f,\n    \"pins_goal\": 0\n  }\n}\n",
		       null_reg.pins_per_batch);
	} else {
		printf("kernel path cost, %u zero scans per MIGACCEL_BATCH, ns per page:\n",
		       nr);
		printf("  %-28s %8s %10s %10s %10s %8s\n", "", "batches",
		       "wall", "thread cpu", "system cpu", "pins/batch");
		print_kmeasure("null engine, region", &null_reg, false, false);
		print_kmeasure("null engine, user addresses", &null_user, false,
			       false);
		print_kmeasure("soft engine, region", &soft_reg, false, false);
		printf("  %-28s %8s %10.1f\n", "CPU migaccel_page_is_zero", "",
		       cpu_ns);
		printf("kernel path / CPU zero scan: %.3f wall, %.3f system CPU (goal <= 0.15)\n",
		       frac, frac_sys);
		printf("pins per batch on a registered region: %.3f (goal 0)\n",
		       null_reg.pins_per_batch);
	}
	return 0;
err:
	soft_null_off();
	fprintf(stderr, "kernel-cost: MIGACCEL_BATCH: %s\n", strerror(-ret));
	return 1;
}

/* ---- region: what a registered region costs ---- */

#define GIB (1ull << 30)
#define HUGE_SIZE (2ul << 20)

/* Work queues bound to migaccel, and their devices (wqX.Y: device X). */
static void bound_wqs(unsigned int *wqs, unsigned int *devices)
{
	DIR *d = opendir("/sys/bus/dsa/drivers/migaccel");
	char seen[256] = { 0 };
	unsigned int dev, wq;
	struct dirent *e;

	*wqs = 0;
	*devices = 0;
	while (d && (e = readdir(d))) {
		if (sscanf(e->d_name, "wq%u.%u", &dev, &wq) != 2 ||
		    dev >= sizeof(seen))
			continue;
		(*wqs)++;
		if (!seen[dev]++)
			(*devices)++;
	}
	if (d)
		closedir(d);
}

/* Runs of consecutive frames of [p, p + len), or 0 without root. */
static uint64_t frame_runs(const void *p, size_t len)
{
	size_t n = len / PAGE, i, chunk = 4096;
	uint64_t *pfn = malloc(chunk * sizeof(*pfn)), prev = 0, runs = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	for (i = 0; fd >= 0 && pfn && i < n; i += chunk) {
		size_t k, m = n - i < chunk ? n - i : chunk;
		off_t off = ((uintptr_t)p / PAGE + i) * sizeof(*pfn);

		if (pread(fd, pfn, m * sizeof(*pfn), off) !=
		    (ssize_t)(m * sizeof(*pfn)))
			break;
		for (k = 0; k < m; k++) {
			uint64_t f = pfn[k] & ((1ull << 55) - 1);

			if (!f) {
				runs = 0;
				goto out;
			}
			runs += !(i + k) || f != prev + 1;
			prev = f;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(pfn);
	return runs;
}

/* @len bytes of huge pages where the kernel has them; NULL on failure. */
static void *thp_area(size_t len, void **map, size_t *map_len)
{
	char *p;

	*map_len = len + HUGE_SIZE;
	*map = mmap(NULL, *map_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*map == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)*map + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 1, len);
	return p;
}

/*
 * @len bytes of 4 KiB pages, the last page faulted in first at the
 * lowest address: page i of the area is page n - 1 - i of the memory
 * faulted in, so no two neighbours are consecutive frames unless the
 * allocator handed frames out in descending order.
 */
static void *fragmented_area(size_t len, void **map, size_t *map_len)
{
	size_t n = len / PAGE, i;
	char *src, *dst;

	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		return NULL;
	madvise(src, len, MADV_NOHUGEPAGE);
	for (i = 0; i < n; i++) {
		src[i * PAGE] = 1;
		if (mremap(src + i * PAGE, PAGE, PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst + (n - 1 - i) * PAGE) == MAP_FAILED)
			return NULL;
	}
	munmap(src, len);
	*map = dst;
	*map_len = len;
	return dst;
}

static int bench_region_layout(int fd, const struct opts *o, bool thp,
			       bool first)
{
	struct migaccel_region_register reg;
	struct migaccel_region_unregister unreg = { .size = sizeof(unreg) };
	double reg_ms[MAX_ROUNDS], unreg_ms[MAX_ROUNDS], t, scale;
	unsigned int wqs, devices, i;
	size_t map_len = 0;
	uint64_t runs = 0;
	void *map, *p;

	p = thp ? thp_area(o->size, &map, &map_len) :
		  fragmented_area(o->size, &map, &map_len);
	if (!p) {
		/* 4k: a mapping per page, up to vm.max_map_count. */
		fprintf(stderr, "region: cannot set up %zu bytes: %s%s\n",
			o->size, strerror(errno), thp ? "" :
			" (raise /proc/sys/vm/max_map_count above the pages)");
		return 1;
	}
	for (i = 0; i < o->rounds; i++) {
		memset(&reg, 0, sizeof(reg));
		reg.size = sizeof(reg);
		reg.addr = (uintptr_t)p;
		reg.length = o->size;
		t = bench_now(CLOCK_MONOTONIC);
		if (ioctl(fd, MIGACCEL_REGION_REGISTER, &reg)) {
			fprintf(stderr, "region: register %zu bytes: %s\n",
				o->size, strerror(errno));
			munmap(map, map_len);
			return errno == EPERM || errno == ENOTTY ?
			       EXIT_UNAVAILABLE : 1;
		}
		reg_ms[i] = (bench_now(CLOCK_MONOTONIC) - t) * 1e3;
		if (!i)
			runs = frame_runs(p, o->size);
		unreg.region_id = reg.out_region_id;
		t = bench_now(CLOCK_MONOTONIC);
		if (ioctl(fd, MIGACCEL_REGION_UNREGISTER, &unreg)) {
			fprintf(stderr, "region: unregister: %s\n",
				strerror(errno));
			munmap(map, map_len);
			return 1;
		}
		unreg_ms[i] = (bench_now(CLOCK_MONOTONIC) - t) * 1e3;
	}
	munmap(map, map_len);
	bound_wqs(&wqs, &devices);
	scale = (double)GIB / o->size;
	/* A module before out_meta_bytes tells neither figure: null. */
	if (o->json) {
		printf("%s    {\"layout\": \"%s\", \"bytes\": %zu, \"work_queues\": %u, \"devices_sysfs\": %u, \"runs\": %" PRIu64 ",\n",
		       first ? "" : ",\n", thp ? "thp" : "4k", o->size, wqs,
		       devices, runs);
		if (reg.out_meta_bytes)
			printf("     \"dma_devices\": %u, \"meta_bytes\": %llu, \"meta_bytes_per_gib\": %.0f,\n",
			       reg.out_dma_devices,
			       (unsigned long long)reg.out_meta_bytes,
			       reg.out_meta_bytes * scale);
		else
			printf("     \"dma_devices\": null, \"meta_bytes\": null, \"meta_bytes_per_gib\": null,\n");
		printf("     \"register_ms_per_gib\": %.1f, \"unregister_ms_per_gib\": %.1f}",
		       median(reg_ms, o->rounds) * scale,
		       median(unreg_ms, o->rounds) * scale);
		return 0;
	}
	printf("%-4s %7zu MiB  %2u WQs %u devices  %8" PRIu64 " runs  ",
	       thp ? "thp" : "4k", o->size >> 20, wqs, devices, runs);
	if (reg.out_meta_bytes)
		printf("meta %10.0f B/GiB (%u DMA devices)  ",
		       reg.out_meta_bytes * scale, reg.out_dma_devices);
	else
		printf("meta  (not reported)  ");
	printf("register %8.1f ms/GiB  unregister %8.1f ms/GiB\n",
	       median(reg_ms, o->rounds) * scale,
	       median(unreg_ms, o->rounds) * scale);
	return 0;
}

/*
 * Register and unregister --size bytes --rounds times per layout: the
 * median time, and the metadata the module reports, both per GiB.
 */
static int bench_region(const struct opts *o)
{
	bool thp = strcmp(o->layout, "4k"), frag = strcmp(o->layout, "thp");
	int fd, ret = 0;

	fd = open("/dev/migaccel", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "region: cannot open /dev/migaccel: %s (load the module)\n",
			strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	if (o->json)
		printf("{\n  \"region\": [\n");
	if (thp)
		ret = bench_region_layout(fd, o, true, true);
	if (!ret && frag)
		ret = bench_region_layout(fd, o, false, !thp);
	if (o->json)
		printf("\n  ]\n}\n");
	close(fd);
	return ret;
}

/* ---- exact instruction counts, with tools/qemu/plugins/insn-count.c ---- */

/*
 * The markers of the QEMU plugin: "nopl 0x4d4743NN(%rax,%rax,1)", a no-op
 * with a displacement no compiler uses; NN 01 starts an interval, 02 stops
 * it.  The plugin numbers intervals in the order they start, as
 * insn_begin() does.  Without the plugin they do nothing.
 */
#define INSN_ZPAGES 2048u		/* zero pages the zero scans rotate over */
#define INSN_TPAGES 1024u		/* text-like pages for the other ops */

#ifdef __x86_64__
#define INSN_MARK(cmd) \
	asm volatile("nopl %c0(%%rax,%%rax,1)" : : "i"(0x4d474300 | (cmd)) : \
		     "memory")
#else
#define INSN_MARK(cmd) do { } while (0)
#endif

static unsigned int insn_id;

/* Say what the next interval is (outside it), then start it. */
static void insn_begin(const char *label, unsigned int pages)
{
	insn_id++;
	printf("insn-interval %u %u %s\n", insn_id, pages, label);
	fflush(stdout);
	INSN_MARK(1);
}

static void insn_end(void)
{
	INSN_MARK(2);
}

struct insn_env {
	int fd;				/* raw ioctls */
	uint32_t zreg, treg, oreg;	/* its regions: zero, text, out */
	unsigned char *zbuf, *tbuf, *obuf;
	struct migaccel_op *ops;	/* INSN_ZPAGES of them */
	uint64_t bitmap[INSN_ZPAGES / 64];
};

/* @nbatch batches of @nr operations from @ops (rotating over @total). */
static int insn_ioctl(struct insn_env *e, const struct migaccel_op *ops,
		      unsigned int total, unsigned int nr, unsigned int nbatch)
{
	struct migaccel_batch b;
	unsigned int k;

	for (k = 0; k < nbatch; k++) {
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.nr_ops = nr;
		b.op_size = sizeof(*ops);
		b.ops = (uintptr_t)(ops + (size_t)k * nr % total);
		b.out_zero_bitmap = (uintptr_t)e->bitmap;
		if (ioctl(e->fd, MIGACCEL_BATCH, &b))
			return -errno;
		if (b.out_nr_failed)
			return -EIO;
	}
	return 0;
}

static uint32_t insn_region(int fd, void *addr, size_t len)
{
	struct migaccel_region_register reg = { .size = sizeof(reg) };

	reg.addr = (uintptr_t)addr;
	reg.length = len;
	if (ioctl(fd, MIGACCEL_REGION_REGISTER, &reg))
		return 0;
	return reg.out_region_id;
}

/* Zero scans through raw MIGACCEL_BATCH calls, as the table. */
static int insn_zero_ioctl(struct insn_env *e, const char *label, bool region,
			   unsigned int nr, unsigned int pages)
{
	char name[96];
	unsigned int p;
	int ret;

	for (p = 0; p < INSN_ZPAGES; p++) {
		memset(&e->ops[p], 0, sizeof(e->ops[p]));
		e->ops[p].opcode = MIGACCEL_OP_ZERO_SCAN;
		e->ops[p].src = region ? (uint64_t)p * PAGE :
				(uintptr_t)e->zbuf + (size_t)p * PAGE;
		e->ops[p].region = region ? e->zreg : 0;
	}
	/* Warm-up: first faults, caches, the engine's lazy setup. */
	ret = insn_ioctl(e, e->ops, INSN_ZPAGES, nr, INSN_ZPAGES / nr);
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "%s B=%u", label, nr);
	insn_begin(name, pages);
	ret = insn_ioctl(e, e->ops, INSN_ZPAGES, nr, pages / nr);
	insn_end();
	if (!ret)
		for (p = 0; p < INSN_ZPAGES; p++)
			if (!e->ops[p].out_result)
				return -EBADMSG;
	return ret;
}

/* The same zero scans as page lists, through MIGACCEL_ZERO_SCAN. */
static int insn_zero_pages(struct insn_env *e, const char *label,
			   unsigned int nr, unsigned int pages)
{
	static uint64_t offs[INSN_ZPAGES];
	struct migaccel_zero_scan z;
	unsigned int p, k, n;
	char name[96];
	int pass;

	for (p = 0; p < INSN_ZPAGES; p++)
		offs[p] = (uint64_t)p * PAGE;
	/* A warm-up pass over every page, then the counted one. */
	for (pass = 0; pass < 2; pass++) {
		n = pass ? pages / nr : INSN_ZPAGES / nr;
		if (pass) {
			snprintf(name, sizeof(name), "%s B=%u", label, nr);
			insn_begin(name, pages);
		}
		for (k = 0; k < n; k++) {
			memset(&z, 0, sizeof(z));
			z.size = sizeof(z);
			z.nr_pages = nr;
			z.region = e->zreg;
			z.pages = (uintptr_t)(offs + (size_t)k * nr % INSN_ZPAGES);
			z.out_zero_bitmap = (uintptr_t)e->bitmap;
			if (ioctl(e->fd, MIGACCEL_ZERO_SCAN, &z))
				break;
		}
		if (pass)
			insn_end();
		if (k < n)
			return -errno;
		for (p = 0; p < nr / 64; p++)
			if (e->bitmap[p] != UINT64_MAX)
				return -EBADMSG;
	}
	return 0;
}

/* COMPRESS of text pages in a region into a buffer region. */
static int insn_compress_ioctl(struct insn_env *e, const char *label,
			       unsigned int nr, unsigned int pages)
{
	char name[96];
	unsigned int p;
	int ret;

	for (p = 0; p < INSN_TPAGES; p++) {
		memset(&e->ops[p], 0, sizeof(e->ops[p]));
		e->ops[p].opcode = MIGACCEL_OP_COMPRESS;
		e->ops[p].src = (uint64_t)p * PAGE;
		e->ops[p].region = e->treg;
		e->ops[p].dst = (uint64_t)p * PAGE;
		e->ops[p].dst_len = PAGE - 1;
		e->ops[p].buf_region = e->oreg;
	}
	ret = insn_ioctl(e, e->ops, INSN_TPAGES, nr, INSN_TPAGES / nr);
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "%s B=%u", label, nr);
	insn_begin(name, pages);
	ret = insn_ioctl(e, e->ops, INSN_TPAGES, nr, pages / nr);
	insn_end();
	return ret;
}

enum insn_op { I_ZERO, I_COPY, I_CRC32C, I_CRC64, I_COMPRESS, I_DECOMPRESS,
	       I_PACKET, I_NR };
static const char *const insn_op_name[I_NR] = {
	"zero_scan", "copy", "crc32c", "crc64", "compress", "decompress",
	"packet_compress",
};

struct insn_lib {
	void **zp, **tp, **op, **cp;	/* zero, text, out pages; compressed */
	uint32_t *caps, *sizes, *csizes, *seeds, *crcs;
	uint64_t *crc64s, *bitmap;
	struct migaccel_page_out *res;
};

/* One library call on pages [off, off + n). */
static int insn_lib_call(struct migaccel_channel *ch, struct insn_lib *l,
			 struct insn_env *e, enum insn_op op, unsigned int off,
			 unsigned int n)
{
	switch (op) {
	case I_ZERO:
		return migaccel_zero_scan(ch, l->zp + off % INSN_ZPAGES, n,
					  l->bitmap);
	case I_COPY:
		return migaccel_copy(ch, l->op + off % INSN_TPAGES,
				     (const void *const *)l->tp + off % INSN_TPAGES,
				     n);
	case I_CRC32C:
		return migaccel_crc32c(ch, (const void *const *)l->tp +
				       off % INSN_TPAGES, l->seeds, n, l->crcs);
	case I_CRC64:
		return migaccel_crc64(ch, (const void *const *)l->tp +
				      off % INSN_TPAGES, n, l->crc64s);
	case I_COMPRESS:
		return migaccel_compress(ch, (const void *const *)l->tp +
					 off % INSN_TPAGES, n,
					 l->op + off % INSN_TPAGES, l->caps,
					 l->sizes);
	case I_DECOMPRESS:
		return migaccel_decompress(ch, (const void *const *)l->cp +
					   off % INSN_TPAGES,
					   l->csizes + off % INSN_TPAGES, n,
					   l->op + off % INSN_TPAGES);
	case I_PACKET: {
		int r = migaccel_packet_compress(ch, l->tp + off % INSN_TPAGES,
						 n, e->obuf,
						 MIGACCEL_PACKET_OUT_SIZE(n),
						 l->res);
		return r < 0 ? r : 0;
	}
	default:
		return -EINVAL;
	}
}

static int insn_lib_run(struct migaccel_channel *ch, struct insn_lib *l,
			struct insn_env *e, enum insn_op op, const char *path,
			unsigned int per_call, unsigned int pages)
{
	char name[96];
	unsigned int off, total = op == I_ZERO ? INSN_ZPAGES : INSN_TPAGES;
	int ret = 0;

	for (off = 0; off < total && !ret; off += per_call)
		ret = insn_lib_call(ch, l, e, op, off, per_call);
	if (ret)
		return ret;
	snprintf(name, sizeof(name), "%s %s B=%u", path, insn_op_name[op],
		 per_call);
	insn_begin(name, pages);
	for (off = 0; off < pages && !ret; off += per_call)
		ret = insn_lib_call(ch, l, e, op, off, per_call);
	insn_end();
	return ret;
}

/* Where this process's code is, for tools/cost-report.py's user symbols. */
static void insn_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " r-xp "))
			printf("insn-map %s", line);
	fclose(f);
	fflush(stdout);
}

/*
 * Every path of issue 12 between markers, for the QEMU plugin to count;
 * the counts themselves are only in the plugin's output (tools/cost.sh).
 */
static int bench_insn(void)
{
	static const unsigned int sizes[] = { 128, 512, 1024 };
	struct migaccel_channel *kch = NULL, *cch = NULL;
	struct insn_env e = { .fd = -1 };
	struct insn_lib l = { 0 };
	const char *step = "setup";
	uint32_t kid[3];
	unsigned int i, p;
	volatile int zeros = 0;
	int ret = 0, op;

	e.fd = open("/dev/migaccel", O_RDWR | O_CLOEXEC);
	if (e.fd < 0) {
		fprintf(stderr, "insn: cannot open /dev/migaccel: %s (load the module)\n",
			strerror(errno));
		return EXIT_UNAVAILABLE;
	}
	e.zbuf = mmap(NULL, (size_t)INSN_ZPAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	e.tbuf = mmap(NULL, (size_t)INSN_TPAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	e.obuf = mmap(NULL, (size_t)INSN_TPAGES * PAGE * 2,
		      PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	e.ops = calloc(INSN_ZPAGES, sizeof(*e.ops));
	l.zp = calloc(INSN_ZPAGES, sizeof(void *));
	l.tp = calloc(INSN_TPAGES, sizeof(void *));
	l.op = calloc(INSN_TPAGES, sizeof(void *));
	l.cp = calloc(INSN_TPAGES, sizeof(void *));
	l.caps = calloc(INSN_TPAGES, sizeof(uint32_t));
	l.sizes = calloc(INSN_TPAGES, sizeof(uint32_t));
	l.csizes = calloc(INSN_TPAGES, sizeof(uint32_t));
	l.seeds = calloc(INSN_TPAGES, sizeof(uint32_t));
	l.crcs = calloc(INSN_TPAGES, sizeof(uint32_t));
	l.crc64s = calloc(INSN_TPAGES, sizeof(uint64_t));
	l.bitmap = calloc(INSN_ZPAGES / 64, sizeof(uint64_t));
	l.res = calloc(INSN_TPAGES, sizeof(*l.res));
	if (e.zbuf == MAP_FAILED || e.tbuf == MAP_FAILED ||
	    e.obuf == MAP_FAILED || !e.ops || !l.zp || !l.tp || !l.op ||
	    !l.cp || !l.caps || !l.sizes || !l.csizes || !l.seeds || !l.crcs ||
	    !l.crc64s || !l.bitmap || !l.res) {
		fprintf(stderr, "insn: out of memory\n");
		return 1;
	}
	memset(e.zbuf, 0, (size_t)INSN_ZPAGES * PAGE);
	memset(e.obuf, 0, (size_t)INSN_TPAGES * PAGE * 2);
	for (p = 0; p < INSN_ZPAGES; p++)
		l.zp[p] = e.zbuf + (size_t)p * PAGE;
	for (p = 0; p < INSN_TPAGES; p++) {
		bench_fill_page(e.tbuf + (size_t)p * PAGE, 1, p, BENCH_TEXT);
		l.tp[p] = e.tbuf + (size_t)p * PAGE;
		l.op[p] = e.obuf + (size_t)p * PAGE;
		l.cp[p] = e.obuf + (size_t)(INSN_TPAGES + p) * PAGE;
		l.caps[p] = PAGE - 1;
	}
	e.zreg = insn_region(e.fd, e.zbuf, (size_t)INSN_ZPAGES * PAGE);
	e.treg = insn_region(e.fd, e.tbuf, (size_t)INSN_TPAGES * PAGE);
	e.oreg = insn_region(e.fd, e.obuf, (size_t)INSN_TPAGES * PAGE);
	if (!e.zreg || !e.treg || !e.oreg) {
		fprintf(stderr, "insn: MIGACCEL_REGION_REGISTER: %s\n",
			strerror(errno));
		return 1;
	}
	ret = write_str(SOFT_NULL, "0");
	if (ret) {
		fprintf(stderr, "insn: %s: %s\n", SOFT_NULL, strerror(-ret));
		return EXIT_UNAVAILABLE;
	}
	if (migaccel_channel_open(MIGACCEL_OPEN_CPU, &cch) ||
	    migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &kch)) {
		fprintf(stderr, "insn: cannot open the library's channels\n");
		return 1;
	}
	/* The compressed pages that decompress reads. */
	if (migaccel_compress(cch, (const void *const *)l.tp, INSN_TPAGES,
			      l.cp, l.caps, l.csizes)) {
		fprintf(stderr, "insn: migaccel_compress failed\n");
		return 1;
	}
	for (p = 0; p < INSN_TPAGES; p++)
		if (l.csizes[p] == MIGACCEL_SIZE_RAW) {
			fprintf(stderr, "insn: text page %u does not compress\n",
				p);
			return 1;
		}
	/* The library's kernel channel sees its own regions. */
	if (migaccel_region_register(kch, e.zbuf, (size_t)INSN_ZPAGES * PAGE,
				     &kid[0]) ||
	    migaccel_region_register(kch, e.tbuf, (size_t)INSN_TPAGES * PAGE,
				     &kid[1]) ||
	    migaccel_region_register(kch, e.obuf,
				     (size_t)INSN_TPAGES * PAGE * 2, &kid[2])) {
		fprintf(stderr, "insn: migaccel_region_register failed\n");
		return 1;
	}

	insn_maps();

	/* The path around the engine: the soft engine's null mode. */
	atexit(soft_null_off);
	soft_null_set = 1;
	ret = write_str(SOFT_NULL, "1");
	for (i = 0; i < 3 && !ret; i++) {
		step = "null zero_scan";
		ret = insn_zero_ioctl(&e, "ioctl null region zero_scan", true,
				      sizes[i], 25600);
	}
	for (i = 0; i < 3 && !ret; i++) {
		step = "null zero_scan pages";
		ret = insn_zero_pages(&e, "ioctl null region zero_scan pages",
				      sizes[i], 25600);
	}
	if (!ret)
		ret = insn_zero_ioctl(&e, "ioctl null user-addresses zero_scan",
				      false, 128, 25600);
	for (i = 0; i < 3 && !ret; i++) {
		step = "null compress";
		ret = insn_compress_ioctl(&e, "ioctl null region compress",
					  sizes[i], 1024);
	}
	if (!ret) {
		step = "null lib zero_scan";
		ret = insn_lib_run(kch, &l, &e, I_ZERO, "lib-kernel null", 128,
				   25600);
	}
	soft_null_off();

	/* The soft engine doing the work, against the library's CPU path. */
	if (!ret) {
		step = "soft zero_scan";
		ret = insn_zero_ioctl(&e, "ioctl soft region zero_scan", true,
				      128, 1280);
	}
	if (!ret) {
		step = "soft zero_scan pages";
		ret = insn_zero_pages(&e, "ioctl soft region zero_scan pages",
				      128, 1280);
	}
	for (i = 1; i < 3 && !ret; i++) {
		step = "soft packet";
		ret = insn_lib_run(kch, &l, &e, I_PACKET, "lib-kernel soft",
				   sizes[i], 1024);
	}
	for (op = 0; op < I_NR && !ret; op++) {
		step = insn_op_name[op];
		ret = insn_lib_run(kch, &l, &e, op, "lib-kernel soft", 128,
				   op == I_ZERO ? 1280 : 512);
		if (!ret)
			ret = insn_lib_run(cch, &l, &e, op, "lib-cpu", 128,
					   op == I_ZERO ? 25600 : 512);
	}
	if (!ret) {
		step = "page_is_zero";
		insn_begin("lib-cpu migaccel_page_is_zero B=1", 25600);
		for (p = 0; p < 25600; p++)
			zeros += migaccel_page_is_zero(l.zp[p % INSN_ZPAGES]) == 1;
		insn_end();
		if (zeros != 25600)
			ret = -EBADMSG;
	}
	migaccel_channel_close(kch);
	migaccel_channel_close(cch);
	close(e.fd);
	if (ret) {
		fprintf(stderr, "insn: %s: %s\n", step, strerror(-ret));
		return 1;
	}
	printf("insn: %u intervals done\n", insn_id);
	return 0;
}

static bool parse_uint(const char *s, unsigned int min, unsigned int max,
		       unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.size = 1ul << 30, .rounds = 5, .per_call = 128,
		.pages = 4096, .batch = 128, .seconds = 1, .layout = "both",
	};
	const char *cmd;
	char model[128], date[32];
	time_t tnow = time(NULL);
	int opt, ret = 0;
	char *end;

	static const struct option longopts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "per-call", required_argument, NULL, 'b' },
		{ "pages", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'B' },
		{ "time", required_argument, NULL, 't' },
		{ "layout", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((opt = getopt_long(argc, argv, "s:r:b:n:B:t:l:jh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!bench_parse_size(optarg, &o.size) || o.size < PAGE ||
			    o.size % PAGE)
				usage(argv[0]);
			break;
		case 'r':
			if (!parse_uint(optarg, 1, MAX_ROUNDS, &o.rounds))
				usage(argv[0]);
			break;
		case 'b':
			if (!parse_uint(optarg, 64, 1u << 20, &o.per_call) ||
			    o.per_call % 64)
				usage(argv[0]);
			break;
		case 'n':
			if (!parse_uint(optarg, 1, 1u << 20, &o.pages))
				usage(argv[0]);
			break;
		case 'B':
			if (!parse_uint(optarg, 1, 1024, &o.batch))
				usage(argv[0]);
			break;
		case 't':
			o.seconds = strtod(optarg, &end);
			if (end == optarg || *end || !(o.seconds > 0 &&
						       o.seconds <= 600))
				usage(argv[0]);
			break;
		case 'l':
			if (strcmp(optarg, "thp") && strcmp(optarg, "4k") &&
			    strcmp(optarg, "both"))
				usage(argv[0]);
			o.layout = optarg;
			break;
		case 'j': o.json = true; break;
		default: usage(argv[0]);
		}
	}
	if (optind + 1 != argc)
		usage(argv[0]);
	cmd = argv[optind];

	if (!strcmp(cmd, "kernel-cost"))
		return bench_kernel_cost(&o);
	if (!strcmp(cmd, "insn"))
		return bench_insn();
	if (!strcmp(cmd, "region"))
		return bench_region(&o);
	if (strcmp(cmd, "zero-scan") && strcmp(cmd, "deflate") &&
	    strcmp(cmd, "native"))
		usage(argv[0]);

	cpu_model(model, sizeof(model));
	strftime(date, sizeof(date), "%Y-%m-%d", gmtime(&tnow));
	if (o.json)
		printf("{\n  \"date\": \"%s\",\n  \"cpu\": \"%s\",\n  \"online_cpus\": %ld,\n",
		       date, model, sysconf(_SC_NPROCESSORS_ONLN));
	else
		printf("%s, %s, %ld CPUs online; figures are noisy on a shared machine\n",
		       date, model, sysconf(_SC_NPROCESSORS_ONLN));
	if (strcmp(cmd, "deflate"))
		ret = bench_zero_scan(&o, o.json);
	if (!ret && !strcmp(cmd, "native") && o.json)
		printf(",\n");
	if (!ret && strcmp(cmd, "zero-scan"))
		ret = bench_deflate(&o, o.json);
	if (o.json)
		printf("\n}\n");
	return ret;
}
