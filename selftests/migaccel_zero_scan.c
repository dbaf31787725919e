// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/migaccel uapi: MIGACCEL_INFO and zero-scan batches.
 *
 * Every malformed call must fail with its documented errno and change
 * nothing: not the op array, not the bitmap, not the pin counters.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/migaccel.h>

#include "kselftest_harness.h"
#include "migaccel_util.h"

#define PAGE 4096
#define NR_PAGES 1100
#define MAX_OPS 1024
#define FILL 0xab

static const char *dev_path(void)
{
	const char *p = getenv("MIGACCEL_DEVICE");

	return p ? p : "/dev/migaccel";
}

static int cpu_page_is_zero(const uint8_t *p)
{
	int i;

	for (i = 0; i < PAGE; i++)
		if (p[i])
			return 0;
	return 1;
}

FIXTURE(migaccel)
{
	int fd;
	uint8_t *buf;
	struct migaccel_op *ops;
	struct migaccel_op *saved_ops;
	uint64_t bitmap[MAX_OPS / 64 + 1];
	uint64_t saved_bitmap[MAX_OPS / 64 + 1];
	struct migaccel_batch batch;
	long pins_before;
};

FIXTURE_SETUP(migaccel)
{
	self->fd = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", dev_path(),
				      strerror(errno));
	self->buf = mmap(NULL, (size_t)NR_PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, (size_t)NR_PAGES * PAGE);
	self->ops = calloc(MAX_OPS + 1, sizeof(*self->ops));
	self->saved_ops = calloc(MAX_OPS + 1, sizeof(*self->ops));
	ASSERT_NE(NULL, self->ops);
	ASSERT_NE(NULL, self->saved_ops);
	srandom(getpid());
	self->pins_before = pins_held();
	ASSERT_LE(0, self->pins_before);
}

FIXTURE_TEARDOWN(migaccel)
{
	/* Every test leaves the pin count where it found it. */
	EXPECT_EQ(self->pins_before, pins_held());
	free(self->ops);
	free(self->saved_ops);
	munmap(self->buf, (size_t)NR_PAGES * PAGE);
	close(self->fd);
}

/* Fill ops[0..nr) with zero scans of buf pages 0..nr, outputs poisoned. */
static void fill_zero_scans(struct __test_metadata *_metadata,
			    FIXTURE_DATA(migaccel) * self, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		memset(&self->ops[i], 0, sizeof(self->ops[i]));
		self->ops[i].opcode = MIGACCEL_OP_ZERO_SCAN;
		self->ops[i].src = (uintptr_t)(self->buf + (size_t)i * PAGE);
		self->ops[i].out_status = -FILL;
		self->ops[i].out_result = FILL;
	}
	memset(self->bitmap, FILL, sizeof(self->bitmap));
	memset(&self->batch, 0, sizeof(self->batch));
	self->batch.size = sizeof(self->batch);
	self->batch.nr_ops = nr;
	self->batch.op_size = sizeof(struct migaccel_op);
	self->batch.ops = (uintptr_t)self->ops;
	self->batch.out_zero_bitmap = (uintptr_t)self->bitmap;
	self->batch.out_nr_failed = FILL;
	memcpy(self->saved_ops, self->ops, (MAX_OPS + 1) * sizeof(*self->ops));
	memcpy(self->saved_bitmap, self->bitmap, sizeof(self->bitmap));
	ASSERT_LT(0, nr);
}

static int _do_batch(int fd, void *batch)
{
	return ioctl(fd, MIGACCEL_BATCH, batch) ? -errno : 0;
}

#define do_batch(self) ASSERT_EQ(0, _do_batch((self)->fd, &(self)->batch))

/* The call fails with @err and leaves every output as it was. */
#define do_batch_err(self, err)                                               \
	do {                                                                  \
		ASSERT_EQ(-(err), _do_batch((self)->fd, &(self)->batch));     \
		ASSERT_EQ(0, memcmp((self)->ops, (self)->saved_ops,           \
				    (MAX_OPS + 1) * sizeof(*(self)->ops)));   \
		ASSERT_EQ(0, memcmp((self)->bitmap, (self)->saved_bitmap,     \
				    sizeof((self)->bitmap)));                 \
		ASSERT_EQ(FILL, (self)->batch.out_nr_failed);                 \
		ASSERT_EQ((self)->pins_before, pins_held());                  \
	} while (0)

/* Check bitmap and out_result of ops[0..nr) against the CPU reference. */
static void check_against_cpu(struct __test_metadata *_metadata,
			      FIXTURE_DATA(migaccel) * self, unsigned int nr)
{
	unsigned int i;

	ASSERT_EQ(0, self->batch.out_nr_failed);
	for (i = 0; i < nr; i++) {
		int zero = cpu_page_is_zero((uint8_t *)(uintptr_t)self->ops[i].src);
		int bit = (self->bitmap[i / 64] >> (i % 64)) & 1;

		ASSERT_EQ(zero, bit) TH_LOG("page %u", i);
		ASSERT_EQ(0, self->ops[i].out_status);
		ASSERT_EQ((uint64_t)zero, self->ops[i].out_result);
	}
	/* Bits past nr_ops in the last word are cleared, words past it kept. */
	if (nr % 64)
		ASSERT_EQ(0, self->bitmap[nr / 64] >> (nr % 64));
	ASSERT_EQ(self->saved_bitmap[(nr + 63) / 64],
		  self->bitmap[(nr + 63) / 64]);
}

enum page_kind { ZERO, ONE_BYTE, RANDOM, NR_KINDS };

static void make_page(uint8_t *p, enum page_kind kind)
{
	int i;

	memset(p, 0, PAGE);
	switch (kind) {
	case ZERO:
		break;
	case ONE_BYTE:
		p[random() % PAGE] = 1 + random() % 255;
		break;
	default:
		for (i = 0; i < PAGE; i += 4)
			*(uint32_t *)(p + i) = random();
		break;
	}
}

TEST_F(migaccel, info_reports_version_and_limits)
{
	struct migaccel_info info = { .size = sizeof(info) };

	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_INFO, &info));
	ASSERT_EQ(MIGACCEL_API_VERSION, info.out_api_version);
	ASSERT_EQ(PAGE, info.out_page_size);
	ASSERT_EQ(MAX_OPS, info.out_max_batch_ops);
	ASSERT_TRUE(info.out_ops & (1ull << MIGACCEL_OP_ZERO_SCAN));
	ASSERT_TRUE(info.out_engines & MIGACCEL_ENGINE_SOFT);
}

TEST_F(migaccel, info_short_struct_is_einval)
{
	struct migaccel_info info = {
		.size = offsetof(struct migaccel_info, __reserved),
	};

	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_INFO, &info));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, info.out_api_version);
}

TEST_F(migaccel, info_long_struct_with_nonzero_tail_is_e2big)
{
	struct {
		struct migaccel_info info;
		uint64_t tail;
	} big = { .info.size = sizeof(big), .tail = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_INFO, &big));
	ASSERT_EQ(E2BIG, errno);
	ASSERT_EQ(0, big.info.out_api_version);
}

TEST_F(migaccel, info_long_struct_with_zero_tail_works)
{
	struct {
		struct migaccel_info info;
		uint64_t tail;
	} big = { .info.size = sizeof(big) };

	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_INFO, &big));
	ASSERT_EQ(MIGACCEL_API_VERSION, big.info.out_api_version);
	ASSERT_EQ(0, big.tail);
}

TEST_F(migaccel, info_unknown_flag_is_eopnotsupp)
{
	struct migaccel_info info = { .size = sizeof(info), .flags = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_INFO, &info));
	ASSERT_EQ(EOPNOTSUPP, errno);
	ASSERT_EQ(0, info.out_api_version);
}

TEST_F(migaccel, info_reserved_nonzero_is_einval)
{
	struct migaccel_info info = { .size = sizeof(info), .__reserved = 1 };

	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_INFO, &info));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(0, info.out_api_version);
}

TEST_F(migaccel, info_unmapped_argument_is_efault)
{
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_INFO, (void *)8));
	ASSERT_EQ(EFAULT, errno);
}

TEST_F(migaccel, unknown_ioctl_is_enotty)
{
	struct migaccel_info info = { .size = sizeof(info) };

	ASSERT_EQ(-1, ioctl(self->fd, _IO(MIGACCEL_TYPE, 0x9f), &info));
	ASSERT_EQ(ENOTTY, errno);
	ASSERT_EQ(-1, ioctl(self->fd, _IOR(MIGACCEL_TYPE, MIGACCEL_CMD_INFO,
					   struct migaccel_info), &info));
	ASSERT_EQ(ENOTTY, errno);
}

TEST_F(migaccel, zero_scan_single_zero_page)
{
	fill_zero_scans(_metadata, self, 1);
	do_batch(self);
	check_against_cpu(_metadata, self, 1);
	ASSERT_EQ(1, self->bitmap[0] & 1);
}

TEST_F(migaccel, zero_scan_single_byte_at_each_edge)
{
	static const int offsets[] = { 0, 1, 7, 8, 2047, 2048, 4088, 4095 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offsets); i++)
		self->buf[(size_t)i * PAGE + offsets[i]] = 0x80;
	fill_zero_scans(_metadata, self, 9);
	do_batch(self);
	check_against_cpu(_metadata, self, 9);
	/* Eight pages with one byte, then one zero page. */
	ASSERT_EQ(0x100, self->bitmap[0] & 0x1ff);
}

TEST_F(migaccel, zero_scan_random_mixes_match_cpu)
{
	static const unsigned int sizes[] = { 2, 63, 64, 65, 128, 129, 500,
					      MAX_OPS };
	unsigned int s, i;

	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		for (i = 0; i < sizes[s]; i++)
			make_page(self->buf + (size_t)i * PAGE,
				  random() % NR_KINDS);
		fill_zero_scans(_metadata, self, sizes[s]);
		do_batch(self);
		check_against_cpu(_metadata, self, sizes[s]);
	}
}

/*
 * A channel keeps the state of its last batch for the next one: batches
 * of other sizes, batches after a refused one (some pages pinned, then an
 * unmapped page; an unknown opcode at the end) and batches that name a
 * region between batches of user addresses each get their own results,
 * and every pin is released.
 */
TEST_F(migaccel, zero_scan_sizes_errors_and_regions_interleaved)
{
	static const unsigned int sizes[] = { MAX_OPS, 3, 500, 1, MAX_OPS, 65,
					      129, 2 };
	uint8_t *hole = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
	unsigned int s, i;
	uint32_t rid;

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, PAGE));
	ASSERT_EQ(0, _region_register(self->fd, self->buf,
				      (size_t)NR_PAGES * PAGE, &rid));
	/* The region's pins are held throughout; the batches' are not. */
	self->pins_before = pins_held();
	for (s = 0; s < ARRAY_SIZE(sizes); s++) {
		unsigned int nr = sizes[s];

		for (i = 0; i < nr; i++)
			make_page(self->buf + (size_t)i * PAGE,
				  random() % NR_KINDS);
		/* Refused: pages pinned up to the hole, then the hole. */
		fill_zero_scans(_metadata, self, MAX_OPS);
		self->ops[MAX_OPS / 2].src = (uintptr_t)hole;
		memcpy(self->saved_ops, self->ops, MAX_OPS * sizeof(*self->ops));
		do_batch_err(self, EFAULT);
		/* Refused: an unknown opcode last. */
		fill_zero_scans(_metadata, self, nr);
		self->ops[nr - 1].opcode = MIGACCEL_OP_MAX;
		memcpy(self->saved_ops, self->ops, nr * sizeof(*self->ops));
		do_batch_err(self, EOPNOTSUPP);

		fill_zero_scans(_metadata, self, nr);
		do_batch(self);
		check_against_cpu(_metadata, self, nr);

		/* The same pages named in the region, in reverse order. */
		fill_zero_scans(_metadata, self, nr);
		for (i = 0; i < nr; i++) {
			self->ops[i].src = (uint64_t)(nr - 1 - i) * PAGE;
			self->ops[i].region = rid;
		}
		do_batch(self);
		ASSERT_EQ(0, self->batch.out_nr_failed);
		for (i = 0; i < nr; i++) {
			int zero = cpu_page_is_zero(self->buf +
						    (size_t)(nr - 1 - i) * PAGE);

			ASSERT_EQ(zero, (self->bitmap[i / 64] >> (i % 64)) & 1)
				TH_LOG("size %u op %u", nr, i);
			ASSERT_EQ((uint64_t)zero, self->ops[i].out_result);
			ASSERT_EQ(0, self->ops[i].out_status);
		}
	}
	ASSERT_EQ(0, _region_unregister(self->fd, rid, 0));
	self->pins_before -= NR_PAGES;
}

TEST_F(migaccel, zero_scan_same_page_many_times)
{
	unsigned int i;

	fill_zero_scans(_metadata, self, 200);
	for (i = 0; i < 200; i++)
		self->ops[i].src = (uintptr_t)self->buf;
	do_batch(self);
	check_against_cpu(_metadata, self, 200);
}

TEST_F(migaccel, zero_scan_without_bitmap_fills_out_result)
{
	self->buf[5 * PAGE + 100] = 1;
	fill_zero_scans(_metadata, self, 10);
	self->batch.out_zero_bitmap = 0;
	do_batch(self);
	ASSERT_EQ(0, self->ops[5].out_result);
	ASSERT_EQ(1, self->ops[4].out_result);
	ASSERT_EQ(0, memcmp(self->bitmap, self->saved_bitmap,
			    sizeof(self->bitmap)));
}

TEST_F(migaccel, zero_scan_of_untouched_memory_is_zero)
{
	uint8_t *fresh = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned int i;

	ASSERT_NE(MAP_FAILED, fresh);
	fill_zero_scans(_metadata, self, 4);
	for (i = 0; i < 4; i++)
		self->ops[i].src = (uintptr_t)(fresh + i * PAGE);
	do_batch(self);
	ASSERT_EQ(0xf, self->bitmap[0] & 0xf);
	munmap(fresh, 4 * PAGE);
}

/* A zero scan only reads: a read-only source is allowed. */
TEST_F(migaccel, zero_scan_of_read_only_mapping_works)
{
	self->buf[PAGE + 9] = 3;
	ASSERT_EQ(0, mprotect(self->buf, 2 * PAGE, PROT_READ));
	fill_zero_scans(_metadata, self, 2);
	do_batch(self);
	ASSERT_EQ(1, self->bitmap[0] & 3);
}

TEST_F(migaccel, zero_scan_longer_op_stride_with_zero_tail_works)
{
	struct { struct migaccel_op op; uint64_t tail[2]; } wide[3];
	unsigned int i;

	memset(wide, 0, sizeof(wide));
	self->buf[PAGE] = 1;
	for (i = 0; i < 3; i++) {
		wide[i].op.opcode = MIGACCEL_OP_ZERO_SCAN;
		wide[i].op.src = (uintptr_t)(self->buf + i * PAGE);
	}
	fill_zero_scans(_metadata, self, 3);
	self->batch.op_size = sizeof(wide[0]);
	self->batch.ops = (uintptr_t)wide;
	do_batch(self);
	ASSERT_EQ(5, self->bitmap[0] & 7);
	ASSERT_EQ(0, wide[1].op.out_result);
	ASSERT_EQ(1, wide[2].op.out_result);
	ASSERT_EQ(0, wide[2].tail[0]);
}

TEST_F(migaccel, batch_short_struct_is_einval)
{
	fill_zero_scans(_metadata, self, 4);
	self->batch.size = offsetof(struct migaccel_batch, out_nr_cpu);
	do_batch_err(self, EINVAL);
}

TEST_F(migaccel, batch_long_struct_with_nonzero_tail_is_e2big)
{
	struct {
		struct migaccel_batch batch;
		uint64_t tail;
	} big;

	fill_zero_scans(_metadata, self, 4);
	big.batch = self->batch;
	big.batch.size = sizeof(big);
	big.tail = 1;
	ASSERT_EQ(-E2BIG, _do_batch(self->fd, &big));
	ASSERT_EQ(0, memcmp(self->ops, self->saved_ops, 4 * sizeof(*self->ops)));
	ASSERT_EQ(0, memcmp(self->bitmap, self->saved_bitmap,
			    sizeof(self->bitmap)));
}

TEST_F(migaccel, batch_unknown_flag_is_eopnotsupp)
{
	fill_zero_scans(_metadata, self, 4);
	self->batch.flags = 1u << 31;
	do_batch_err(self, EOPNOTSUPP);
}

TEST_F(migaccel, batch_of_zero_ops_is_einval)
{
	fill_zero_scans(_metadata, self, 4);
	self->batch.nr_ops = 0;
	do_batch_err(self, EINVAL);
}

TEST_F(migaccel, batch_over_maximum_is_einval)
{
	fill_zero_scans(_metadata, self, MAX_OPS);
	self->batch.nr_ops = MAX_OPS + 1;
	do_batch_err(self, EINVAL);
	self->batch.nr_ops = UINT32_MAX;
	do_batch_err(self, EINVAL);
}

TEST_F(migaccel, op_size_below_struct_is_einval)
{
	fill_zero_scans(_metadata, self, 4);
	self->batch.op_size = offsetof(struct migaccel_op, out_result);
	do_batch_err(self, EINVAL);
	self->batch.op_size = 0;
	do_batch_err(self, EINVAL);
}

TEST_F(migaccel, op_size_not_multiple_of_8_is_einval)
{
	fill_zero_scans(_metadata, self, 4);
	self->batch.op_size = sizeof(struct migaccel_op) + 4;
	do_batch_err(self, EINVAL);
}

TEST_F(migaccel, op_size_huge_is_einval)
{
	fill_zero_scans(_metadata, self, 4);
	self->batch.op_size = UINT32_MAX - 7;
	do_batch_err(self, EINVAL);
}

TEST_F(migaccel, op_with_nonzero_tail_is_e2big)
{
	struct { struct migaccel_op op; uint64_t tail; } wide[2];
	struct { struct migaccel_op op; uint64_t tail; } saved[2];

	memset(wide, 0, sizeof(wide));
	wide[0].op.opcode = MIGACCEL_OP_ZERO_SCAN;
	wide[1].op.opcode = MIGACCEL_OP_ZERO_SCAN;
	wide[0].op.src = (uintptr_t)self->buf;
	wide[1].op.src = (uintptr_t)self->buf;
	wide[1].tail = 1;
	memcpy(saved, wide, sizeof(wide));
	fill_zero_scans(_metadata, self, 2);
	self->batch.op_size = sizeof(wide[0]);
	self->batch.ops = (uintptr_t)wide;
	do_batch_err(self, E2BIG);
	ASSERT_EQ(0, memcmp(wide, saved, sizeof(wide)));
}

TEST_F(migaccel, op_unknown_opcode_is_eopnotsupp)
{
	fill_zero_scans(_metadata, self, 4);
	self->ops[3].opcode = MIGACCEL_OP_MAX + 100;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EOPNOTSUPP);
	self->ops[3].opcode = 0;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EOPNOTSUPP);
}

TEST_F(migaccel, op_unknown_flag_is_eopnotsupp)
{
	fill_zero_scans(_metadata, self, 4);
	self->ops[2].flags = 1;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EOPNOTSUPP);
}

TEST_F(migaccel, zero_scan_with_src2_is_einval)
{
	fill_zero_scans(_metadata, self, 4);
	self->ops[1].src2 = (uintptr_t)self->buf;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EINVAL);
}

TEST_F(migaccel, zero_scan_with_dst_seed_or_lengths_is_einval)
{
	fill_zero_scans(_metadata, self, 4);
	self->ops[0].dst = (uintptr_t)self->buf;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EINVAL);
	self->ops[0].dst = 0;
	self->ops[0].seed = 1;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EINVAL);
	self->ops[0].seed = 0;
	self->ops[0].src_len = PAGE;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EINVAL);
	self->ops[0].src_len = 0;
	self->ops[0].dst_len = PAGE;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EINVAL);
}

TEST_F(migaccel, unaligned_page_is_einval)
{
	fill_zero_scans(_metadata, self, 4);
	self->ops[3].src += 8;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EINVAL);
}

/* Pages before the bad one were pinned: they must be released again. */
TEST_F(migaccel, unmapped_page_is_efault)
{
	uint8_t *hole = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole, PAGE));
	fill_zero_scans(_metadata, self, 300);
	self->ops[299].src = (uintptr_t)hole;
	memcpy(self->saved_ops, self->ops, 300 * sizeof(*self->ops));
	do_batch_err(self, EFAULT);
}

TEST_F(migaccel, page_without_access_is_efault)
{
	fill_zero_scans(_metadata, self, 4);
	ASSERT_EQ(0, mprotect(self->buf + 2 * PAGE, PAGE, PROT_NONE));
	do_batch_err(self, EFAULT);
}

TEST_F(migaccel, kernel_address_is_efault)
{
	fill_zero_scans(_metadata, self, 4);
	self->ops[1].src = 0xffffffff81000000ull;
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EFAULT);
}

TEST_F(migaccel, address_at_top_of_range_is_efault)
{
	fill_zero_scans(_metadata, self, 4);
	self->ops[0].src = UINT64_MAX & ~(uint64_t)(PAGE - 1);
	memcpy(self->saved_ops, self->ops, 4 * sizeof(*self->ops));
	do_batch_err(self, EFAULT);
}

TEST_F(migaccel, unmapped_op_array_is_efault)
{
	fill_zero_scans(_metadata, self, 4);
	self->batch.ops = 8;
	do_batch_err(self, EFAULT);
}

TEST_F(migaccel, read_only_op_array_is_efault)
{
	struct migaccel_op *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	fill_zero_scans(_metadata, self, 4);
	memcpy(ro, self->ops, 4 * sizeof(*ro));
	ASSERT_EQ(0, mprotect(ro, PAGE, PROT_READ));
	self->batch.ops = (uintptr_t)ro;
	do_batch_err(self, EFAULT);
	ASSERT_EQ(0, memcmp(ro, self->saved_ops, 4 * sizeof(*ro)));
	munmap(ro, PAGE);
}

TEST_F(migaccel, read_only_bitmap_is_efault)
{
	uint64_t *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	ro[0] = 0x1234;
	ASSERT_EQ(0, mprotect(ro, PAGE, PROT_READ));
	fill_zero_scans(_metadata, self, 4);
	self->batch.out_zero_bitmap = (uintptr_t)ro;
	do_batch_err(self, EFAULT);
	ASSERT_EQ(0x1234, ro[0]);
	munmap(ro, PAGE);
}

TEST_F(migaccel, unmapped_bitmap_is_efault)
{
	fill_zero_scans(_metadata, self, 4);
	self->batch.out_zero_bitmap = 16;
	do_batch_err(self, EFAULT);
}

/* A forked child holds the fd but must not submit with it. */
TEST_F(migaccel, forked_child_cannot_use_channel)
{
	int status;
	pid_t pid;

	fill_zero_scans(_metadata, self, 4);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(_do_batch(self->fd, &self->batch) == -EPERM ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* The owner still can. */
	do_batch(self);
	check_against_cpu(_metadata, self, 4);
}

/*
 * MIGACCEL_ZERO_SCAN: the same scans as a list of page offsets in a
 * region.  The reference is the byte loop of cpu_page_is_zero().
 */
struct page_scan {
	uint32_t region;
	uint64_t offs[MAX_OPS + 1];
	struct migaccel_zero_scan cmd;
};

static int _zero_scan(int fd, struct migaccel_zero_scan *cmd)
{
	return ioctl(fd, MIGACCEL_ZERO_SCAN, cmd) ? -errno : 0;
}

/* buf as a region, and a scan of its pages @idx[0..nr), bitmap poisoned. */
static void page_scan_init(struct __test_metadata *_metadata,
			   FIXTURE_DATA(migaccel) * self, struct page_scan *s,
			   const unsigned int *idx, unsigned int nr)
{
	unsigned int i;

	if (!s->region)
		ASSERT_EQ(0, _region_register(self->fd, self->buf,
					      (uint64_t)NR_PAGES * PAGE,
					      &s->region));
	for (i = 0; i < nr; i++)
		s->offs[i] = (uint64_t)idx[i] * PAGE;
	memset(self->bitmap, FILL, sizeof(self->bitmap));
	memcpy(self->saved_bitmap, self->bitmap, sizeof(self->bitmap));
	memset(&s->cmd, 0, sizeof(s->cmd));
	s->cmd.size = sizeof(s->cmd);
	s->cmd.nr_pages = nr;
	s->cmd.region = s->region;
	s->cmd.pages = (uintptr_t)s->offs;
	s->cmd.out_zero_bitmap = (uintptr_t)self->bitmap;
	s->cmd.out_nr_cpu = FILL;
}

/* Each bit against the CPU; bits past nr 0, the words after untouched. */
static void page_scan_check(struct __test_metadata *_metadata,
			    FIXTURE_DATA(migaccel) * self,
			    const struct page_scan *s)
{
	unsigned int i, nr = s->cmd.nr_pages;

	for (i = 0; i < nr; i++)
		ASSERT_EQ(cpu_page_is_zero(self->buf + s->offs[i]),
			  (int)(self->bitmap[i / 64] >> (i % 64) & 1))
			TH_LOG("page %u (offset %llu)", i,
			       (unsigned long long)s->offs[i]);
	if (nr % 64)
		ASSERT_EQ(0, self->bitmap[nr / 64] >> (nr % 64));
	ASSERT_EQ(self->saved_bitmap[(nr + 63) / 64],
		  self->bitmap[(nr + 63) / 64]);
	ASSERT_LE(s->cmd.out_nr_cpu, nr);
}

/* Done with buf as a region: its pins go (the teardown counts them). */
static void page_scan_end(struct __test_metadata *_metadata,
			  FIXTURE_DATA(migaccel) * self, struct page_scan *s)
{
	ASSERT_EQ(0, _region_unregister(self->fd, s->region, 0));
	s->region = 0;
}

/* The call fails with @err, writes nothing and keeps no pin. */
#define page_scan_err(self, s, err)                                           \
	do {                                                                  \
		ASSERT_EQ(-(err), _zero_scan((self)->fd, &(s)->cmd));         \
		ASSERT_EQ(0, memcmp((self)->bitmap, (self)->saved_bitmap,     \
				    sizeof((self)->bitmap)));                 \
		ASSERT_EQ(FILL, (s)->cmd.out_nr_cpu);                         \
		ASSERT_EQ((self)->pins_before + NR_PAGES, pins_held());       \
	} while (0)

TEST_F(migaccel, page_scan_random_lists_match_cpu)
{
	static const unsigned int sizes[] = { 1, 2, 63, 64, 65, 129, 500,
					      MAX_OPS };
	static struct page_scan s;
	unsigned int idx[MAX_OPS];
	unsigned int k, i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < NR_PAGES; i++)
		make_page(self->buf + (size_t)i * PAGE, random() % NR_KINDS);
	for (k = 0; k < ARRAY_SIZE(sizes); k++) {
		/* Any page of the region, in any order, some twice. */
		for (i = 0; i < sizes[k]; i++)
			idx[i] = random() % NR_PAGES;
		page_scan_init(_metadata, self, &s, idx, sizes[k]);
		ASSERT_EQ(0, _zero_scan(self->fd, &s.cmd));
		page_scan_check(_metadata, self, &s);
	}
	page_scan_end(_metadata, self, &s);
}

TEST_F(migaccel, page_scan_one_byte_at_each_edge_and_last_page)
{
	static const unsigned int pos[] = { 0, 1, 7, 8, 255, 256, 2048, 4094,
					    4095 };
	static struct page_scan s;
	unsigned int idx[ARRAY_SIZE(pos) + 2], i;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < ARRAY_SIZE(pos); i++) {
		idx[i] = 10 + i;
		self->buf[(size_t)idx[i] * PAGE + pos[i]] = 0x80 >> (i % 8);
	}
	/* A zero page, and the region's last page with one byte. */
	idx[i++] = 3;
	idx[i] = NR_PAGES - 1;
	self->buf[(size_t)NR_PAGES * PAGE - 1] = 1;
	page_scan_init(_metadata, self, &s, idx, ARRAY_SIZE(idx));
	ASSERT_EQ(0, _zero_scan(self->fd, &s.cmd));
	page_scan_check(_metadata, self, &s);
	/* Only the zero page's bit. */
	ASSERT_EQ(1ull << ARRAY_SIZE(pos), self->bitmap[0]);
	page_scan_end(_metadata, self, &s);
}

/*
 * What a call held is given back before it returns: right after each
 * call, its region unregisters without MIGACCEL_UNREGISTER_WAIT and no
 * pin is left, whatever engine ran it.  An engine may drop its hold on a
 * job only after waking the caller: in the first round the soft engine
 * keeps it 300 ms longer ("late"), so that the case does not depend on
 * timing there (a device's engine ignores the injection); the other
 * rounds run as they come (the debug kernel on the emulated devices
 * takes about a second for ten rounds).
 */
#define LET_GO_ROUNDS 100
#define LET_GO_PAGES 128

TEST_F_TIMEOUT(migaccel, calls_let_go_of_regions_and_pins_before_returning,
	       600)
{
	static struct page_scan s;
	unsigned int idx[LET_GO_PAGES], i, round;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < LET_GO_PAGES; i++) {
		idx[i] = i;
		make_page(self->buf + (size_t)i * PAGE, random() % NR_KINDS);
	}
	for (round = 0; round < LET_GO_ROUNDS; round++) {
		/* Each of the first round's three calls, late. */
		if (round == 0)
			ASSERT_EQ(0, channel_inject(self->fd,
						    "late desc=0 delay=300 count=3"));
		/* A page list in a region, then a batch of operations in it. */
		page_scan_init(_metadata, self, &s, idx, LET_GO_PAGES);
		ASSERT_EQ(0, _zero_scan(self->fd, &s.cmd));
		page_scan_check(_metadata, self, &s);
		ASSERT_EQ(0, _region_unregister(self->fd, s.region, 0))
			TH_LOG("round %u: region busy after MIGACCEL_ZERO_SCAN",
			       round);
		s.region = 0;
		page_scan_init(_metadata, self, &s, idx, LET_GO_PAGES);
		fill_zero_scans(_metadata, self, LET_GO_PAGES);
		for (i = 0; i < LET_GO_PAGES; i++) {
			self->ops[i].region = s.region;
			self->ops[i].src = (uint64_t)i * PAGE;
		}
		do_batch(self);
		ASSERT_EQ(0, self->batch.out_nr_failed);
		for (i = 0; i < LET_GO_PAGES; i++)
			ASSERT_EQ(cpu_page_is_zero(self->buf + (size_t)i * PAGE),
				  (int)(self->bitmap[i / 64] >> (i % 64) & 1));
		ASSERT_EQ(0, _region_unregister(self->fd, s.region, 0))
			TH_LOG("round %u: region busy after MIGACCEL_BATCH",
			       round);
		s.region = 0;
		/* Plain addresses, pinned for the call only. */
		if (round % 10 == 0) {
			fill_zero_scans(_metadata, self, LET_GO_PAGES);
			do_batch(self);
			check_against_cpu(_metadata, self, LET_GO_PAGES);
			ASSERT_EQ(self->pins_before, pins_held())
				TH_LOG("round %u: pins left after MIGACCEL_BATCH",
				       round);
		}
	}
}

TEST_F(migaccel, page_scan_bad_calls_change_nothing)
{
	static struct page_scan s;
	unsigned int idx[4] = { 0, 1, 2, 3 };
	uint64_t *ro;
	uint32_t other;

	memset(&s, 0, sizeof(s));
	self->buf[PAGE + 5] = 1;
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.flags = 1;
	page_scan_err(self, &s, EOPNOTSUPP);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.__reserved = 1;
	page_scan_err(self, &s, EINVAL);
	page_scan_init(_metadata, self, &s, idx, 0);
	page_scan_err(self, &s, EINVAL);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.nr_pages = MAX_OPS + 1;
	page_scan_err(self, &s, EINVAL);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.region = 0;
	page_scan_err(self, &s, EINVAL);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.region = s.region + 1000;
	page_scan_err(self, &s, ENOENT);
	/* Offsets: unaligned, one past the end, far past it; the last bad. */
	page_scan_init(_metadata, self, &s, idx, 4);
	s.offs[3] += 8;
	page_scan_err(self, &s, EINVAL);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.offs[3] = (uint64_t)NR_PAGES * PAGE;
	page_scan_err(self, &s, EINVAL);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.offs[3] = 1ull << 63;
	page_scan_err(self, &s, EINVAL);
	/* Memory: no list, an unmapped one, no bitmap, a read-only one. */
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.pages = 0;
	page_scan_err(self, &s, EFAULT);
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.pages = (uintptr_t)ro;
	ASSERT_EQ(0, munmap(ro, PAGE));
	page_scan_err(self, &s, EFAULT);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.out_zero_bitmap = 0;
	page_scan_err(self, &s, EFAULT);
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.out_zero_bitmap = (uintptr_t)ro;
	page_scan_err(self, &s, EFAULT);
	ASSERT_EQ(0, ro[0]);
	ASSERT_EQ(0, munmap(ro, PAGE));
	/* A struct that ends before __reserved. */
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.size = offsetof(struct migaccel_zero_scan, __reserved);
	page_scan_err(self, &s, EINVAL);
	/* An unregistered region is unknown; then the call works again. */
	ASSERT_EQ(0, _region_register(self->fd, self->buf, PAGE, &other));
	ASSERT_EQ(0, _region_unregister(self->fd, other, 0));
	page_scan_init(_metadata, self, &s, idx, 4);
	s.cmd.region = other;
	page_scan_err(self, &s, ENOENT);
	page_scan_init(_metadata, self, &s, idx, 4);
	ASSERT_EQ(0, _zero_scan(self->fd, &s.cmd));
	page_scan_check(_metadata, self, &s);
	ASSERT_EQ(0xd, self->bitmap[0]);
	page_scan_end(_metadata, self, &s);
}

/*
 * An engine that stops at a page fault, fails a descriptor or a whole
 * batch: the module finishes on the CPU, and the answer is still the
 * CPU's.  Injection acts on the soft engine only: the emulated-device
 * stages leave this case out.
 */
TEST_F(migaccel, page_scan_engine_faults_are_finished_on_cpu)
{
	static const char *const specs[] = {
		"pagefault desc=%u byte=1500", "pagefault desc=%u byte=0",
		"error desc=%u", "batchfail desc=%u",
	};
	static struct page_scan s;
	unsigned int idx[200], i, k;
	char spec[64];

	memset(&s, 0, sizeof(s));
	for (i = 0; i < 200; i++) {
		idx[i] = i;
		make_page(self->buf + (size_t)i * PAGE, i % 3 ? ONE_BYTE : ZERO);
	}
	/* The faulting page has its only byte after the fault. */
	memset(self->buf + 131 * PAGE, 0, PAGE);
	self->buf[131 * PAGE + 3000] = 7;
	for (k = 0; k < ARRAY_SIZE(specs); k++) {
		snprintf(spec, sizeof(spec), specs[k], 131);
		ASSERT_EQ(0, channel_inject(self->fd, spec));
		page_scan_init(_metadata, self, &s, idx, 200);
		ASSERT_EQ(0, _zero_scan(self->fd, &s.cmd));
		page_scan_check(_metadata, self, &s);
		ASSERT_LE(1, s.cmd.out_nr_cpu) TH_LOG("%s", spec);
	}
	page_scan_end(_metadata, self, &s);
}

TEST_HARNESS_MAIN
