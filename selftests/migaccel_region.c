// SPDX-License-Identifier: GPL-2.0
/*
 * Registered regions at scale: what a region costs the kernel, and that
 * batches on it are right whatever its physical layout.
 *
 * The outside reference is /proc/self/pagemap (frame numbers need root)
 * and sysfs: the region's page array costs 8 bytes per page, and each
 * device with a work queue bound to migaccel (/sys/bus/dsa/drivers/
 * migaccel/wqX.Y: device X) one mapping of 12 bytes per run of
 * consecutive frames plus 4, or 8 per page when that is less.  The
 * devices of the emulated DSA and IAA map any length at once (no
 * SWIOTLB bouncing): a device that could not would split longer runs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/migaccel.h>

#include "kselftest_harness.h"
#include "migaccel_util.h"

#define PAGE 4096ul
#define HUGE (2ul << 20)
#define THP_PAGES 8192		/* 32 MiB: 16 huge pages */
#define FRAG_PAGES 2048		/* 8 MiB of 4 KiB pages */
/*
 * Seconds for the tests that batch over a whole region: the harness's 30
 * were exceeded by the fragmented one on the debug kernel (KASAN) under
 * emulation, with the host's two cores shared by two VMs.
 */
#define REGION_TIMEOUT 600
#define BATCH 256

/* ---- the outside reference ---- */

/* Frame of each page of [p, p + n pages), from pagemap: 0, or -errno. */
static int page_frames(const void *p, unsigned long n, uint64_t *pfn)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	unsigned long i;
	ssize_t got;

	if (fd < 0)
		return -errno;
	got = pread(fd, pfn, n * sizeof(*pfn),
		    (uintptr_t)p / PAGE * sizeof(*pfn));
	close(fd);
	if (got != (ssize_t)(n * sizeof(*pfn)))
		return -EIO;
	for (i = 0; i < n; i++) {
		/* Bit 63: present; bits 0-54: the frame, 0 without root. */
		if (!(pfn[i] >> 63) || !(pfn[i] & ((1ull << 55) - 1)))
			return -EPERM;
		pfn[i] &= (1ull << 55) - 1;
	}
	return 0;
}

static unsigned long frame_runs(const uint64_t *pfn, unsigned long n)
{
	unsigned long i, runs = 1;

	for (i = 1; i < n; i++)
		runs += pfn[i] != pfn[i - 1] + 1;
	return runs;
}

/* Devices whose work queues migaccel has: wqX.Y, counted once per X. */
static unsigned int bound_devices(void)
{
	DIR *d = opendir("/sys/bus/dsa/drivers/migaccel");
	char seen[256] = { 0 };
	unsigned int n = 0, dev, wq;
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (sscanf(e->d_name, "wq%u.%u", &dev, &wq) == 2 &&
		    dev < sizeof(seen) && !seen[dev]++)
			n++;
	}
	closedir(d);
	return n;
}

static uint64_t expected_meta(unsigned long pages, unsigned long runs,
			      unsigned int devices)
{
	uint64_t by_runs = runs * 12 + 4, by_pages = pages * 8;

	return by_pages + devices * (by_runs < by_pages ? by_runs : by_pages);
}

/* ---- helpers ---- */

static int _register(int fd, void *p, unsigned long pages,
		     struct migaccel_region_register *r)
{
	memset(r, 0, sizeof(*r));
	r->size = sizeof(*r);
	r->addr = (uintptr_t)p;
	r->length = pages * PAGE;
	return ioctl(fd, MIGACCEL_REGION_REGISTER, r) ? -errno : 0;
}

static uint32_t crc32c_table[256];

static uint32_t ref_crc32c(const uint8_t *b, size_t len)
{
	uint32_t c = ~0u;

	while (len--)
		c = crc32c_table[(c ^ *b++) & 0xff] ^ (c >> 8);
	return ~c;
}

static void ref_tables(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		for (c = i, k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc32c_table[i] = c;
	}
}

/* Page i is zero iff i % 5 == 0; else filled from i. */
static void fill(uint8_t *p, unsigned long pages)
{
	unsigned long i, k;

	for (i = 0; i < pages; i++) {
		uint8_t *q = p + i * PAGE;

		if (i % 5 == 0) {
			memset(q, 0, PAGE);
			continue;
		}
		for (k = 0; k < PAGE; k += 8)
			*(uint64_t *)(q + k) = i * 0x9e3779b97f4a7c15ull ^ k;
	}
}

static int _batch(int fd, struct migaccel_op *ops, unsigned int nr,
		  uint64_t *bitmap)
{
	struct migaccel_batch b = {
		.size = sizeof(b),
		.nr_ops = nr,
		.op_size = sizeof(*ops),
		.ops = (uintptr_t)ops,
		.out_zero_bitmap = (uintptr_t)bitmap,
	};

	if (ioctl(fd, MIGACCEL_BATCH, &b))
		return -errno;
	return b.out_nr_failed ? -EIO : 0;
}

/*
 * Zero scan and CRC32C of every page, and a copy of the first half onto
 * the second half in reverse order (across every run boundary), all
 * named by region offset, checked against the CPU.
 */
static void check_batches(struct __test_metadata *_metadata, int fd,
			  uint8_t *p, unsigned long pages, uint32_t id)
{
	struct migaccel_op ops[BATCH];
	uint64_t bitmap[BATCH / 64];
	unsigned long base, i, half = pages / 2;

	ref_tables();
	fill(p, pages);
	for (base = 0; base < pages; base += BATCH) {
		memset(ops, 0, sizeof(ops));
		memset(bitmap, 0xff, sizeof(bitmap));
		for (i = 0; i < BATCH / 2; i++) {
			ops[i].opcode = MIGACCEL_OP_ZERO_SCAN;
			ops[i].src = (base + i) * PAGE;
			ops[i].region = id;
			ops[BATCH / 2 + i].opcode = MIGACCEL_OP_CRC32C;
			ops[BATCH / 2 + i].src = (base + BATCH / 2 + i) * PAGE;
			ops[BATCH / 2 + i].region = id;
		}
		ASSERT_EQ(0, _batch(fd, ops, BATCH, bitmap));
		for (i = 0; i < BATCH / 2; i++) {
			unsigned long pg = base + i;
			int zero = !!(bitmap[i / 64] & (1ull << (i % 64)));

			ASSERT_EQ(pg % 5 == 0, zero) TH_LOG("page %lu", pg);
			ASSERT_EQ(pg % 5 == 0, ops[i].out_result);
			pg = base + BATCH / 2 + i;
			ASSERT_EQ(ref_crc32c(p + pg * PAGE, PAGE),
				  ops[BATCH / 2 + i].out_result)
				TH_LOG("crc of page %lu", pg);
		}
	}
	for (base = 0; base < half; base += BATCH) {
		unsigned int n = half - base < BATCH ? half - base : BATCH;

		memset(ops, 0, sizeof(ops));
		for (i = 0; i < n; i++) {
			ops[i].opcode = MIGACCEL_OP_COPY;
			ops[i].src = (base + i) * PAGE;
			ops[i].dst = (pages - 1 - base - i) * PAGE;
			ops[i].region = id;
		}
		ASSERT_EQ(0, _batch(fd, ops, n, NULL));
	}
	for (i = 0; i < half; i++)
		ASSERT_EQ(0, memcmp(p + i * PAGE, p + (pages - 1 - i) * PAGE,
				    PAGE)) TH_LOG("copy to page %lu",
						  pages - 1 - i);
}

FIXTURE(region)
{
	int fd;
	long pins_before;
	uint8_t *map;
	size_t map_len;
};

FIXTURE_SETUP(region)
{
	self->fd = open("/dev/migaccel", O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/migaccel: %s",
				      strerror(errno));
	self->map = NULL;
	self->pins_before = pins_held();
	ASSERT_LE(0, self->pins_before);
}

FIXTURE_TEARDOWN(region)
{
	close(self->fd);
	if (self->map)
		munmap(self->map, self->map_len);
	/* Closing the channel let go of every region. */
	EXPECT_EQ(self->pins_before, pins_held());
}

/* @pages pages backed by huge pages where the kernel has them. */
static uint8_t *thp_area(struct __test_metadata *_metadata,
			 FIXTURE_DATA(region) * self, unsigned long pages)
{
	uint8_t *p;

	self->map_len = pages * PAGE + HUGE;
	self->map = mmap(NULL, self->map_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (self->map == MAP_FAILED)
		self->map = NULL;
	EXPECT_NE(NULL, self->map);
	p = (uint8_t *)(((uintptr_t)self->map + HUGE - 1) & ~(HUGE - 1));
	madvise(p, pages * PAGE, MADV_HUGEPAGE);
	memset(p, 1, pages * PAGE);
	return p;
}

/*
 * @pages pages, each the even page of twice as many: no two consecutive
 * pages are consecutive frames unless the allocator handed out a
 * descending-then-ascending zigzag.
 */
static uint8_t *fragmented_area(struct __test_metadata *_metadata,
				FIXTURE_DATA(region) * self, unsigned long pages)
{
	size_t len = pages * PAGE;
	uint8_t *src, *dst;
	unsigned long i;

	src = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		return NULL;
	madvise(src, 2 * len, MADV_NOHUGEPAGE);
	memset(src, 1, 2 * len);
	for (i = 0; i < pages; i++)
		if (mremap(src + 2 * i * PAGE, PAGE, PAGE,
			   MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst + i * PAGE) == MAP_FAILED)
			return NULL;
	munmap(src, 2 * len);
	self->map = dst;
	self->map_len = len;
	return dst;
}

/* Registered, then checked against pagemap and sysfs. */
static void check_meta(struct __test_metadata *_metadata,
		       FIXTURE_DATA(region) * self, uint8_t *p,
		       unsigned long pages, unsigned long *runs)
{
	struct migaccel_region_register r;
	uint64_t *pfn = calloc(pages, sizeof(*pfn));
	unsigned int devices = bound_devices();
	int ret;

	ASSERT_NE(NULL, pfn);
	ASSERT_EQ(0, _register(self->fd, p, pages, &r));
	/* Frames after the pin: a long-term pin may have moved pages. */
	ret = page_frames(p, pages, pfn);
	if (ret == -EPERM) {
		free(pfn);
		SKIP(return, "page frames need root");
	}
	ASSERT_EQ(0, ret);
	*runs = frame_runs(pfn, pages);
	free(pfn);
	TH_LOG("%lu pages in %lu runs, %u devices: %llu bytes", pages, *runs,
	       devices, (unsigned long long)r.out_meta_bytes);
	EXPECT_EQ(devices, r.out_dma_devices);
	EXPECT_EQ(expected_meta(pages, *runs, devices), r.out_meta_bytes);
	check_batches(_metadata, self->fd, p, pages, r.out_region_id);
}

/*
 * Huge pages: the metadata is the page array and a few bytes per huge
 * page per device, within 2.1 MiB per GiB.
 */
TEST_F_TIMEOUT(region, thp_region_meta_matches_pagemap_runs, REGION_TIMEOUT)
{
	uint8_t *p = thp_area(_metadata, self, THP_PAGES);
	unsigned long runs = 0;

	ASSERT_NE(NULL, self->map);
	check_meta(_metadata, self, p, THP_PAGES, &runs);
	if (runs > THP_PAGES / 512)
		TH_LOG("fewer huge pages than asked: %lu runs", runs);
	else
		EXPECT_GE(THP_PAGES * PAGE * 21 / 10240,
			  expected_meta(THP_PAGES, runs, bound_devices()));
}

/* Scattered 4 KiB pages: a page array per device, never more. */
TEST_F_TIMEOUT(region, fragmented_region_meta_is_page_arrays, REGION_TIMEOUT)
{
	uint8_t *p = fragmented_area(_metadata, self, FRAG_PAGES);
	unsigned long runs = 0;

	ASSERT_NE(NULL, p);
	check_meta(_metadata, self, p, FRAG_PAGES, &runs);
	EXPECT_LT(FRAG_PAGES * 2 / 3, runs) TH_LOG("not fragmented enough");
	EXPECT_EQ(expected_meta(FRAG_PAGES, FRAG_PAGES, bound_devices()),
		  expected_meta(FRAG_PAGES, runs, bound_devices()));
}

/* One page: its own run, or its own address, whichever is smaller. */
TEST_F(region, single_page_region_meta)
{
	uint8_t *p = thp_area(_metadata, self, 1);
	struct migaccel_region_register r;
	unsigned int devices = bound_devices();

	ASSERT_NE(NULL, self->map);
	ASSERT_EQ(0, _register(self->fd, p, 1, &r));
	EXPECT_EQ(devices, r.out_dma_devices);
	EXPECT_EQ(8 + 8 * devices, r.out_meta_bytes);
}

/* A caller built before out_meta_bytes: nothing written past its size. */
TEST_F(region, short_struct_is_not_told_meta)
{
	uint8_t *p = thp_area(_metadata, self, 4);
	struct migaccel_region_register r;

	ASSERT_NE(NULL, self->map);
	memset(&r, 0, sizeof(r));
	r.size = offsetof(struct migaccel_region_register, out_meta_bytes);
	r.addr = (uintptr_t)p;
	r.length = 4 * PAGE;
	r.out_meta_bytes = 0x5a5a5a5a;
	r.out_dma_devices = 0x5a5a;
	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_REGION_REGISTER, &r));
	EXPECT_NE(0, r.out_region_id);
	EXPECT_EQ(0x5a5a5a5a, r.out_meta_bytes);
	EXPECT_EQ(0x5a5a, r.out_dma_devices);
}

TEST_F(region, reserved2_nonzero_is_einval)
{
	uint8_t *p = thp_area(_metadata, self, 1);
	struct migaccel_region_register r = {
		.size = sizeof(r), .length = PAGE, .__reserved2 = 1,
	};

	ASSERT_NE(NULL, self->map);
	r.addr = (uintptr_t)p;
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_REGION_REGISTER, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, r.out_region_id);
}

TEST_HARNESS_MAIN
