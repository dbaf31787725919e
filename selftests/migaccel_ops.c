// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/migaccel: every operation against an independent CPU reference,
 * batches mixing them, injected engine faults and malformed input.
 *
 * The references are written here (table-driven CRC32C and CRC-64/WE, a
 * naive delta record) or come from zlib (raw deflate with a 4 KiB window),
 * never from the module's code.  MIGACCEL_PAGES sets how many pages each
 * bulk test runs (default 100000).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <linux/migaccel.h>

#include "kselftest_harness.h"
#include "migaccel_util.h"

#define PAGE 4096
#define ARENA 1024		/* pages generated at a time */
#define BATCH 1024		/* ops per MIGACCEL_BATCH */
#define DELTA_MAX (PAGE / 8 * MIGACCEL_DELTA_ENTRY_SIZE)
#define OUT_SIZE 8192		/* per-op output buffer */
#define DEBUGFS "/sys/kernel/debug/migaccel"

/* ---- references ---- */

static uint32_t crc32c_table[256];
static uint64_t crc64_table[256];

static void ref_tables(void)
{
	uint32_t c;
	uint64_t d;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc32c_table[i] = c;
		d = (uint64_t)i << 56;
		for (k = 0; k < 8; k++)
			d = d & (1ull << 63) ? (d << 1) ^ 0x42F0E1EBA9EA3693ull :
					       d << 1;
		crc64_table[i] = d;
	}
}

/* RFC 3720 CRC32C continued from @seed (0 starts a new CRC). */
static uint32_t ref_crc32c(uint32_t seed, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t c = ~seed;

	while (len--)
		c = crc32c_table[(c ^ *b++) & 0xff] ^ (c >> 8);
	return ~c;
}

/* CRC-64/WE. */
static uint64_t ref_crc64(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t c = ~0ull;

	while (len--)
		c = crc64_table[((c >> 56) ^ *b++) & 0xff] ^ (c << 8);
	return ~c;
}

/* Delta record size turning @a into @b, or -1 when over @max bytes. */
static int ref_delta(const uint8_t *a, const uint8_t *b, uint8_t *rec,
		     unsigned int max)
{
	unsigned int off, n = 0;

	for (off = 0; off < PAGE; off += 8) {
		if (!memcmp(a + off, b + off, 8))
			continue;
		if (n + MIGACCEL_DELTA_ENTRY_SIZE > max)
			return -1;
		rec[n] = (off / 8) & 0xff;
		rec[n + 1] = (off / 8) >> 8;
		memcpy(rec + n + 2, b + off, 8);
		n += MIGACCEL_DELTA_ENTRY_SIZE;
	}
	return n;
}

/* Raw inflate with a 4 KiB window: 0 when @in is exactly one page. */
static int ref_inflate(const void *in, unsigned int len, void *page)
{
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, -12) != Z_OK)
		return -1;
	s.next_in = (void *)in;
	s.avail_in = len;
	s.next_out = page;
	s.avail_out = PAGE;
	ret = inflate(&s, Z_FINISH);
	inflateEnd(&s);
	return ret == Z_STREAM_END && s.total_out == PAGE && !s.avail_in ? 0 : -1;
}

static int ref_deflate(const void *page, void *out, unsigned int max)
{
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, 1, Z_DEFLATED, -12, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	s.next_in = (void *)page;
	s.avail_in = PAGE;
	s.next_out = out;
	s.avail_out = max;
	ret = deflate(&s, Z_FINISH);
	deflateEnd(&s);
	return ret == Z_STREAM_END ? (int)s.total_out : -1;
}

/* ---- pages ---- */

enum kind { K_ZERO, K_ONE_BYTE, K_RANDOM, K_TEXT, NR_KINDS };

static const char *const words[] = {
	"migration ", "page ", "dirty ", "guest ", "memory ", "the ", "of ",
	"a ", "vCPU ", "bitmap\n", "zero ", "compress ", "channel ",
};

static void fill_page(uint8_t *p, enum kind k, unsigned int seed)
{
	unsigned int i, n;

	switch (k) {
	case K_ZERO:
		memset(p, 0, PAGE);
		break;
	case K_ONE_BYTE:
		memset(p, 0, PAGE);
		p[seed % PAGE] = 1 + seed % 255;
		break;
	case K_RANDOM:
		for (i = 0; i < PAGE; i += 4) {
			uint32_t r = random();

			memcpy(p + i, &r, 4);
		}
		break;
	case K_TEXT:
		for (i = 0; i < PAGE; i += n) {
			const char *w = words[(seed + random()) % 13];

			n = strlen(w);
			if (n > PAGE - i)
				n = PAGE - i;
			memcpy(p + i, w, n);
		}
		break;
	default:
		break;
	}
}

static int page_is_zero(const uint8_t *p)
{
	return p[0] == 0 && !memcmp(p, p + 1, PAGE - 1);
}

static unsigned int nr_pages(void)
{
	const char *e = getenv("MIGACCEL_PAGES");

	return e ? strtoul(e, NULL, 0) : 100000;
}

/* ---- the fixture ---- */

FIXTURE(ops)
{
	int fd;
	unsigned int channel;
	uint8_t *a;		/* ARENA source pages */
	uint8_t *b;		/* ARENA second pages */
	uint8_t *d;		/* ARENA destination pages */
	uint8_t *out;		/* ARENA output buffers of OUT_SIZE */
	uint8_t *ref;		/* reference scratch */
	struct migaccel_op *ops;
	struct migaccel_batch batch;
	long pins_before;
};

FIXTURE_SETUP(ops)
{
	struct migaccel_info info = { .size = sizeof(info) };
	size_t arena = (size_t)ARENA * PAGE;

	ref_tables();
	self->fd = open("/dev/migaccel", O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/migaccel: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_INFO, &info));
	self->channel = info.out_channel_id;
	self->a = mmap(NULL, arena * 3 + (size_t)ARENA * OUT_SIZE + OUT_SIZE,
		       PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	ASSERT_NE(MAP_FAILED, self->a);
	self->b = self->a + arena;
	self->d = self->b + arena;
	self->out = self->d + arena;
	self->ref = self->out + (size_t)ARENA * OUT_SIZE;
	self->ops = calloc(BATCH, sizeof(*self->ops));
	ASSERT_NE(NULL, self->ops);
	srandom(1);
	self->pins_before = pins_held();
	ASSERT_LE(0, self->pins_before);
}

FIXTURE_TEARDOWN(ops)
{
	EXPECT_EQ(self->pins_before, pins_held());
	write_file(DEBUGFS "/inject", "off");
	free(self->ops);
	close(self->fd);
}

static uint8_t *pg(uint8_t *base, unsigned int i)
{
	return base + (size_t)i * PAGE;
}

static uint8_t *outbuf(FIXTURE_DATA(ops) * self, unsigned int i)
{
	return self->out + (size_t)i * OUT_SIZE;
}

static void op_set(struct migaccel_op *op, uint32_t opcode, const void *src,
		   const void *src2, const void *dst, uint32_t src_len,
		   uint32_t dst_len, uint64_t seed)
{
	memset(op, 0, sizeof(*op));
	op->opcode = opcode;
	op->src = (uintptr_t)src;
	op->src2 = (uintptr_t)src2;
	op->dst = (uintptr_t)dst;
	op->src_len = src_len;
	op->dst_len = dst_len;
	op->seed = seed;
	op->out_status = -1000;
	op->out_flags = 0xdead;
	op->out_result = 0xfeedface;
}

static int _run(FIXTURE_DATA(ops) * self, unsigned int nr)
{
	memset(&self->batch, 0, sizeof(self->batch));
	self->batch.size = sizeof(self->batch);
	self->batch.nr_ops = nr;
	self->batch.op_size = sizeof(struct migaccel_op);
	self->batch.ops = (uintptr_t)self->ops;
	return ioctl(self->fd, MIGACCEL_BATCH, &self->batch) ? -errno : 0;
}

#define run(self, nr) ASSERT_EQ(0, _run(self, nr))

/* Each op ended with @status. */
#define run_status(self, nr, status)                                        \
	do {                                                                \
		unsigned int _i;                                            \
		run(self, nr);                                              \
		for (_i = 0; _i < (nr); _i++)                               \
			ASSERT_EQ(status, (self)->ops[_i].out_status)       \
				TH_LOG("op %u", _i);                        \
	} while (0)

/* The whole batch fails with @err and no op is written. */
#define run_err(self, nr, err)                                              \
	do {                                                                \
		ASSERT_EQ(-(err), _run(self, nr));                          \
		ASSERT_EQ(-1000, (self)->ops[0].out_status);                \
		ASSERT_EQ(0xfeedface, (self)->ops[0].out_result);           \
		ASSERT_EQ((self)->pins_before, pins_held());                \
	} while (0)

static void fill_arena(uint8_t *base, unsigned int salt)
{
	unsigned int i;

	for (i = 0; i < ARENA; i++)
		fill_page(pg(base, i), (i + salt) % NR_KINDS, i * 7 + salt);
}

/* ---- bulk: every operation on nr_pages() pages of every kind ---- */

TEST_F(ops, info_reports_every_operation)
{
	struct migaccel_info info = { .size = sizeof(info) };
	int op;

	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_INFO, &info));
	for (op = MIGACCEL_OP_ZERO_SCAN; op < MIGACCEL_OP_MAX; op++)
		ASSERT_TRUE(info.out_ops & (1ull << op)) TH_LOG("op %d", op);
	ASSERT_EQ(0, info.out_ops & ~(((1ull << MIGACCEL_OP_MAX) - 1) & ~1ull));
}

TEST_F(ops, reference_crc32c_matches_rfc3720_vectors)
{
	uint8_t buf[48];
	int i;

	memset(buf, 0, 32);
	ASSERT_EQ(0x8A9136AAu, ref_crc32c(0, buf, 32));
	memset(buf, 0xff, 32);
	ASSERT_EQ(0x62A8AB43u, ref_crc32c(0, buf, 32));
	for (i = 0; i < 32; i++)
		buf[i] = i;
	ASSERT_EQ(0x46DD794Eu, ref_crc32c(0, buf, 32));
	for (i = 0; i < 32; i++)
		buf[i] = 31 - i;
	ASSERT_EQ(0x113FDB5Cu, ref_crc32c(0, buf, 32));
	ASSERT_EQ(0x62EC59E3F1A4F00Aull, ref_crc64("123456789", 9));
	ASSERT_EQ(0xE3069283u, ref_crc32c(0, "123456789", 9));
}

TEST_F(ops, crc32c_of_pages_chains_like_one_buffer)
{
	uint32_t crc = 0;
	unsigned int i;

	fill_arena(self->a, 0);
	for (i = 0; i < 8; i++) {
		op_set(&self->ops[0], MIGACCEL_OP_CRC32C, pg(self->a, i), NULL,
		       NULL, 0, 0, crc);
		run_status(self, 1, 0);
		crc = self->ops[0].out_result;
	}
	ASSERT_EQ(ref_crc32c(0, self->a, 8 * PAGE), crc);
}

/* Run @opcode over nr_pages() pages in batches and check each op. */
static void bulk(struct __test_metadata *_metadata, FIXTURE_DATA(ops) * self,
		 uint32_t opcode)
{
	unsigned int total = nr_pages(), done, i, n, cpu = 0, raw = 0;

	for (done = 0; done < total; done += n) {
		n = total - done < BATCH ? total - done : BATCH;
		fill_arena(self->a, done);
		fill_arena(self->b, done + 1);
		for (i = 0; i < n; i++) {
			uint8_t *a = pg(self->a, i), *b = pg(self->b, i);
			int len;

			/* Second pages: mostly the first with few changes. */
			if (i % 4) {
				memcpy(b, a, PAGE);
				b[(i * 131) % PAGE] ^= 0x5a;
				b[(i * 977) % PAGE] ^= (i % 3) ? 0 : 1;
			}
			switch (opcode) {
			case MIGACCEL_OP_ZERO_SCAN:
			case MIGACCEL_OP_CRC64:
				op_set(&self->ops[i], opcode, a, NULL, NULL, 0, 0, 0);
				break;
			case MIGACCEL_OP_CRC32C:
				op_set(&self->ops[i], opcode, a, NULL, NULL, 0, 0,
				       (uint32_t)random());
				break;
			case MIGACCEL_OP_COPY:
				memset(pg(self->d, i), 0xee, PAGE);
				op_set(&self->ops[i], opcode, a, NULL,
				       pg(self->d, i), 0, 0, 0);
				break;
			case MIGACCEL_OP_DELTA_CREATE:
				memset(outbuf(self, i), 0xee, OUT_SIZE);
				/* Every so often a record too small to fit. */
				op_set(&self->ops[i], opcode, a, b,
				       outbuf(self, i) + i % 7, 0,
				       i % 5 == 2 ? 10 : DELTA_MAX, 0);
				break;
			case MIGACCEL_OP_DELTA_APPLY:
				len = ref_delta(a, b, outbuf(self, i), DELTA_MAX);
				memcpy(pg(self->d, i), a, PAGE);
				if (len <= 0) {
					/* Equal pages: a record of one entry. */
					memcpy(outbuf(self, i), "\0\0", 2);
					memcpy(outbuf(self, i) + 2, b, 8);
					len = MIGACCEL_DELTA_ENTRY_SIZE;
				}
				op_set(&self->ops[i], opcode, outbuf(self, i),
				       NULL, pg(self->d, i), len, 0, 0);
				break;
			case MIGACCEL_OP_COMPRESS:
				memset(outbuf(self, i), 0xee, OUT_SIZE);
				op_set(&self->ops[i], opcode, a, NULL,
				       outbuf(self, i) + i % 3, 0, PAGE, 0);
				break;
			case MIGACCEL_OP_DECOMPRESS:
				len = ref_deflate(a, outbuf(self, i), OUT_SIZE);
				if (len > PAGE) {
					/* Random: half of it, to compress at all. */
					memset(a + PAGE / 2, 0, PAGE / 2);
					len = ref_deflate(a, outbuf(self, i),
							  OUT_SIZE);
				}
				ASSERT_LT(0, len);
				memset(pg(self->d, i), 0xee, PAGE);
				op_set(&self->ops[i], opcode, outbuf(self, i),
				       NULL, pg(self->d, i), len, 0, 0);
				break;
			}
		}
		run(self, n);
		ASSERT_EQ(0, self->batch.out_nr_failed);
		for (i = 0; i < n; i++) {
			struct migaccel_op *op = &self->ops[i];
			uint8_t *a = pg(self->a, i), *b = pg(self->b, i);
			int len;

			ASSERT_EQ(0, op->out_status) TH_LOG("op %u", i);
			cpu += !!(op->out_flags & MIGACCEL_OUT_CPU);
			raw += !!(op->out_flags & MIGACCEL_OUT_RAW);
			switch (opcode) {
			case MIGACCEL_OP_ZERO_SCAN:
				ASSERT_EQ(page_is_zero(a), op->out_result);
				break;
			case MIGACCEL_OP_CRC32C:
				ASSERT_EQ(ref_crc32c(op->seed, a, PAGE),
					  op->out_result);
				break;
			case MIGACCEL_OP_CRC64:
				ASSERT_EQ(ref_crc64(a, PAGE), op->out_result);
				break;
			case MIGACCEL_OP_COPY:
			case MIGACCEL_OP_DELTA_APPLY:
				ASSERT_EQ(0, memcmp(opcode == MIGACCEL_OP_COPY ?
						    a : b, pg(self->d, i), PAGE))
					TH_LOG("page %u", i);
				break;
			case MIGACCEL_OP_DELTA_CREATE:
				len = ref_delta(a, b, self->ref, op->dst_len);
				if (len < 0) {
					ASSERT_TRUE(op->out_flags & MIGACCEL_OUT_RAW);
					ASSERT_EQ(0, op->out_result);
					ASSERT_EQ(0xee, outbuf(self, i)[i % 7]);
					break;
				}
				ASSERT_FALSE(op->out_flags & MIGACCEL_OUT_RAW);
				ASSERT_EQ(len, op->out_result);
				ASSERT_EQ(0, memcmp(self->ref,
						    outbuf(self, i) + i % 7, len));
				ASSERT_EQ(0xee, outbuf(self, i)[i % 7 + len]);
				break;
			case MIGACCEL_OP_COMPRESS:
				if (op->out_flags & MIGACCEL_OUT_RAW) {
					/* Only random pages fail to shrink. */
					ASSERT_EQ(K_RANDOM, (i + done) % NR_KINDS);
					ASSERT_EQ(0xee, outbuf(self, i)[i % 3]);
					break;
				}
				ASSERT_LT(0, op->out_result);
				ASSERT_GT(PAGE, op->out_result);
				ASSERT_EQ(0, ref_inflate(outbuf(self, i) + i % 3,
							 op->out_result,
							 self->ref));
				ASSERT_EQ(0, memcmp(self->ref, a, PAGE));
				break;
			case MIGACCEL_OP_DECOMPRESS:
				ASSERT_EQ(0, memcmp(a, pg(self->d, i), PAGE));
				break;
			}
		}
	}
	ASSERT_EQ(0, cpu) TH_LOG("%u ops fell back to the CPU without a fault",
				 cpu);
	TH_LOG("%u pages, %u sent raw", total, raw);
}

TEST_F_TIMEOUT(ops, zero_scan_matches_reference, 1200)
{
	bulk(_metadata, self, MIGACCEL_OP_ZERO_SCAN);
}

TEST_F_TIMEOUT(ops, copy_matches_reference, 1200)
{
	bulk(_metadata, self, MIGACCEL_OP_COPY);
}

TEST_F_TIMEOUT(ops, crc32c_matches_reference, 1200)
{
	bulk(_metadata, self, MIGACCEL_OP_CRC32C);
}

TEST_F_TIMEOUT(ops, crc64_matches_reference, 1200)
{
	bulk(_metadata, self, MIGACCEL_OP_CRC64);
}

TEST_F_TIMEOUT(ops, delta_create_matches_reference, 1200)
{
	bulk(_metadata, self, MIGACCEL_OP_DELTA_CREATE);
}

TEST_F_TIMEOUT(ops, delta_apply_matches_reference, 1200)
{
	bulk(_metadata, self, MIGACCEL_OP_DELTA_APPLY);
}

TEST_F_TIMEOUT(ops, compress_output_inflates_with_zlib, 1200)
{
	bulk(_metadata, self, MIGACCEL_OP_COMPRESS);
}

TEST_F_TIMEOUT(ops, decompress_reads_zlib_raw_deflate, 1200)
{
	bulk(_metadata, self, MIGACCEL_OP_DECOMPRESS);
}

/* ---- one batch mixing every operation ---- */

/* Set ops[0..8) to one op of each kind on arena page @i onwards. */
static void fill_mixed(FIXTURE_DATA(ops) * self, unsigned int i)
{
	uint8_t *a = pg(self->a, i), *b = pg(self->b, i);
	int len;

	fill_page(a, K_TEXT, i);
	memcpy(b, a, PAGE);
	b[100] ^= 1;
	b[4095] ^= 2;
	memset(self->d, 0xee, 4 * PAGE);
	memset(pg(self->d, 3), 0, PAGE);
	memset(self->out, 0xee, 4 * OUT_SIZE);
	op_set(&self->ops[0], MIGACCEL_OP_ZERO_SCAN, pg(self->d, 3), NULL, NULL,
	       0, 0, 0);
	op_set(&self->ops[1], MIGACCEL_OP_COPY, a, NULL, pg(self->d, 0), 0, 0, 0);
	op_set(&self->ops[2], MIGACCEL_OP_CRC32C, a, NULL, NULL, 0, 0, 0x1234);
	op_set(&self->ops[3], MIGACCEL_OP_DELTA_CREATE, a, b, outbuf(self, 0),
	       0, DELTA_MAX, 0);
	len = ref_delta(a, b, outbuf(self, 1), DELTA_MAX);
	memcpy(pg(self->d, 1), a, PAGE);
	op_set(&self->ops[4], MIGACCEL_OP_DELTA_APPLY, outbuf(self, 1), NULL,
	       pg(self->d, 1), len, 0, 0);
	op_set(&self->ops[5], MIGACCEL_OP_COMPRESS, a, NULL, outbuf(self, 2), 0,
	       OUT_SIZE, 0);
	len = ref_deflate(b, outbuf(self, 3), OUT_SIZE);
	op_set(&self->ops[6], MIGACCEL_OP_DECOMPRESS, outbuf(self, 3), NULL,
	       pg(self->d, 2), len, 0, 0);
	op_set(&self->ops[7], MIGACCEL_OP_CRC64, b, NULL, NULL, 0, 0, 0);
}

/* Every op of fill_mixed() has the reference result. */
static void check_mixed(struct __test_metadata *_metadata,
			FIXTURE_DATA(ops) * self, unsigned int i)
{
	uint8_t *a = pg(self->a, i), *b = pg(self->b, i);
	unsigned int k;

	for (k = 0; k < 8; k++)
		ASSERT_EQ(0, self->ops[k].out_status) TH_LOG("op %u", k);
	ASSERT_EQ(1, self->ops[0].out_result);
	ASSERT_EQ(0, memcmp(a, pg(self->d, 0), PAGE));
	ASSERT_EQ(ref_crc32c(0x1234, a, PAGE), self->ops[2].out_result);
	ASSERT_EQ(20, self->ops[3].out_result);
	ASSERT_EQ(0, ref_delta(a, b, self->ref, DELTA_MAX) - 20);
	ASSERT_EQ(0, memcmp(self->ref, outbuf(self, 0), 20));
	ASSERT_EQ(0, memcmp(b, pg(self->d, 1), PAGE));
	ASSERT_EQ(0, ref_inflate(outbuf(self, 2), self->ops[5].out_result,
				 self->ref));
	ASSERT_EQ(0, memcmp(a, self->ref, PAGE));
	ASSERT_EQ(0, memcmp(b, pg(self->d, 2), PAGE));
	ASSERT_EQ(ref_crc64(b, PAGE), self->ops[7].out_result);
}

TEST_F(ops, batch_mixing_every_operation)
{
	fill_mixed(self, 0);
	run(self, 8);
	ASSERT_EQ(0, self->batch.out_nr_failed);
	ASSERT_EQ(0, self->batch.out_nr_cpu);
	check_mixed(_metadata, self, 0);
}

TEST_F(ops, batch_mixing_operations_each_with_own_status)
{
	fill_mixed(self, 0);
	/* A corrupt stream and a bad record fail alone. */
	memset(outbuf(self, 3), 0xff, 16);
	memcpy(outbuf(self, 1) + MIGACCEL_DELTA_ENTRY_SIZE, "\xff\x7f", 2);
	run(self, 8);
	ASSERT_EQ(2, self->batch.out_nr_failed);
	ASSERT_EQ(-EINVAL, self->ops[4].out_status);
	ASSERT_EQ(-EBADMSG, self->ops[6].out_status);
	ASSERT_EQ(0, memcmp(pg(self->a, 0), pg(self->d, 1), PAGE));
	ASSERT_EQ(0xee, pg(self->d, 2)[0]);
	ASSERT_EQ(0, memcmp(pg(self->d, 2), pg(self->d, 2) + 1, PAGE - 1));
	ASSERT_EQ(0, self->ops[0].out_status);
	ASSERT_EQ(0, self->ops[7].out_status);
	ASSERT_EQ(ref_crc64(pg(self->b, 0), PAGE), self->ops[7].out_result);
}

/* ---- injected faults: correct results, counters ---- */

static long stat_of(FIXTURE_DATA(ops) * self, const char *name)
{
	char path[128], key[64];
	long v, found = -1;
	FILE *f;

	snprintf(path, sizeof(path), DEBUGFS "/channel-%u/stats", self->channel);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

static int set_fault(FIXTURE_DATA(ops) * self, const char *spec)
{
	char path[128];

	snprintf(path, sizeof(path), DEBUGFS "/channel-%u/inject", self->channel);
	return write_file(path, spec);
}

FIXTURE(fault)
{
	FIXTURE_DATA(ops) o;
};

/*
 * @spec: the fault, %u being the op hit
 * @all_of_chunk: 1: the op's whole chunk lands on the CPU; 0: the op
 *	alone; -1: nothing does
 * @dsa_only: the fault exists only where a DSA batch does
 * @counter: the counter that moves by @counter_delta per batch, or NULL
 * @timeout_ms: timeout_ms to run with, or 0
 */
FIXTURE_VARIANT(fault)
{
	const char *spec;
	int all_of_chunk;
	int dsa_only;
	const char *counter;
	long counter_delta;
	unsigned int timeout_ms;
};

FIXTURE_VARIANT_ADD(fault, pagefault_mid_page)
{
	.spec = "pagefault desc=%u byte=1500",
	.counter = NULL,
};

FIXTURE_VARIANT_ADD(fault, pagefault_at_first_byte)
{
	.spec = "pagefault desc=%u byte=0",
};

FIXTURE_VARIANT_ADD(fault, pagefault_at_last_byte)
{
	.spec = "pagefault desc=%u byte=4095",
};

FIXTURE_VARIANT_ADD(fault, hardware_error)
{
	.spec = "error desc=%u",
};

FIXTURE_VARIANT_ADD(fault, batch_failure)
{
	.spec = "batchfail desc=%u",
	.all_of_chunk = 1,
	.dsa_only = 1,
};

FIXTURE_VARIANT_ADD(fault, busy_then_accepted)
{
	.spec = "busy desc=%u times=3",
	.all_of_chunk = -1,
	.counter = "busy_retries",
	.counter_delta = 3,
};

FIXTURE_VARIANT_ADD(fault, busy_for_good)
{
	.spec = "busy desc=%u times=1000",
	.all_of_chunk = 1,
	.counter = "busy_retries",
	.counter_delta = 16,
};

FIXTURE_VARIANT_ADD(fault, completion_never_arrives)
{
	.spec = "lost desc=%u",
	.all_of_chunk = 1,
	.counter = "timeouts",
	.counter_delta = 1,
	.timeout_ms = 200,
};

FIXTURE_VARIANT_ADD(fault, work_queue_removed)
{
	.spec = "wqremove desc=%u",
	.all_of_chunk = 1,
	.counter = "failovers",
	.counter_delta = 1,
};

FIXTURE_SETUP(fault)
{
	ops_setup(_metadata, &self->o, NULL);
}

FIXTURE_TEARDOWN(fault)
{
	ops_teardown(_metadata, &self->o, NULL);
}

/*
 * One fault per operation kind: the mixed batch still ends right, the op
 * hit (and its whole chunk where the fault takes the chunk) is marked as
 * finished on the CPU, and the counter moves.
 */
TEST_F(fault, every_operation_ends_correct)
{
	FIXTURE_DATA(ops) * o = &self->o;
	char spec[128], tmo[16];
	unsigned int k, j;
	long before, cpu_before;

	for (k = 0; k < (variant->dsa_only ? 5 : 8); k++) {
		fill_mixed(o, k);
		snprintf(spec, sizeof(spec), variant->spec, k);
		ASSERT_EQ(0, set_fault(o, spec));
		before = variant->counter ? stat_of(o, variant->counter) : 0;
		cpu_before = stat_of(o, "cpu_ops");
		if (variant->timeout_ms) {
			snprintf(tmo, sizeof(tmo), "%u", variant->timeout_ms);
			ASSERT_EQ(0, write_file("/sys/module/migaccel/parameters/timeout_ms", tmo));
		}
		run(o, 8);
		if (variant->timeout_ms)
			write_file("/sys/module/migaccel/parameters/timeout_ms", "10000");
		check_mixed(_metadata, o, k);
		for (j = 0; j < 8; j++) {
			/* Ops 0-4 run on DSA, 5-7 on IAA: one chunk each. */
			int same_chunk = (j < 5) == (k < 5);
			int want = variant->all_of_chunk > 0 ? same_chunk :
				   variant->all_of_chunk < 0 ? 0 : j == k;

			ASSERT_EQ(want, !!(o->ops[j].out_flags & MIGACCEL_OUT_CPU))
				TH_LOG("%s: op %u", spec, j);
		}
		ASSERT_EQ(cpu_before + o->batch.out_nr_cpu, stat_of(o, "cpu_ops"));
		if (variant->counter)
			ASSERT_EQ(before + variant->counter_delta,
				  stat_of(o, variant->counter)) TH_LOG("%s", spec);
	}
}

/* ---- malformed input: a clear error, nothing changed ---- */

TEST_F(ops, copy_onto_itself_is_einval)
{
	op_set(&self->ops[0], MIGACCEL_OP_COPY, self->a, NULL, self->a, 0, 0, 0);
	run_err(self, 1, EINVAL);
}

TEST_F(ops, copy_to_unaligned_page_is_einval)
{
	op_set(&self->ops[0], MIGACCEL_OP_COPY, self->a, NULL, self->d + 8, 0, 0, 0);
	run_err(self, 1, EINVAL);
}

TEST_F(ops, copy_to_read_only_page_is_efault)
{
	uint8_t *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	fill_page(self->a, K_TEXT, 1);
	op_set(&self->ops[0], MIGACCEL_OP_COPY, self->a, NULL, ro, 0, 0, 0);
	run_err(self, 1, EFAULT);
	ASSERT_EQ(0, ro[0]);
	munmap(ro, PAGE);
}

TEST_F(ops, copy_with_length_is_einval)
{
	op_set(&self->ops[0], MIGACCEL_OP_COPY, self->a, NULL, self->d, PAGE, 0, 0);
	run_err(self, 1, EINVAL);
}

TEST_F(ops, crc32c_seed_over_32_bits_is_einval)
{
	op_set(&self->ops[0], MIGACCEL_OP_CRC32C, self->a, NULL, NULL, 0, 0,
	       1ull << 32);
	run_err(self, 1, EINVAL);
}

TEST_F(ops, crc64_with_seed_is_einval)
{
	op_set(&self->ops[0], MIGACCEL_OP_CRC64, self->a, NULL, NULL, 0, 0, 1);
	run_err(self, 1, EINVAL);
}

TEST_F(ops, delta_record_below_one_entry_is_einval)
{
	memset(self->out, 0xee, 16);
	op_set(&self->ops[0], MIGACCEL_OP_DELTA_CREATE, self->a, self->b,
	       self->out, 0, MIGACCEL_DELTA_ENTRY_SIZE - 1, 0);
	run_err(self, 1, EINVAL);
	ASSERT_EQ(0xee, self->out[0]);
}

TEST_F(ops, delta_record_too_small_for_the_change_sends_raw)
{
	fill_page(self->a, K_RANDOM, 1);
	fill_page(self->b, K_RANDOM, 2);
	memset(self->out, 0xee, 64);
	op_set(&self->ops[0], MIGACCEL_OP_DELTA_CREATE, self->a, self->b,
	       self->out, 0, 40, 0);
	run_status(self, 1, 0);
	ASSERT_TRUE(self->ops[0].out_flags & MIGACCEL_OUT_RAW);
	ASSERT_EQ(0, self->ops[0].out_result);
	ASSERT_EQ(0, memcmp(self->out, self->out + 1, 63));
}

TEST_F(ops, delta_create_to_read_only_buffer_is_efault)
{
	uint8_t *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);

	ASSERT_NE(MAP_FAILED, ro);
	op_set(&self->ops[0], MIGACCEL_OP_DELTA_CREATE, self->a, self->b, ro,
	       0, 100, 0);
	run_err(self, 1, EFAULT);
	munmap(ro, PAGE);
}

TEST_F(ops, delta_apply_bad_sizes_are_einval)
{
	static const uint32_t sizes[] = { 0, 9, 11, DELTA_MAX + 10, UINT32_MAX };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		op_set(&self->ops[0], MIGACCEL_OP_DELTA_APPLY, self->out, NULL,
		       self->d, sizes[i], 0, 0);
		run_err(self, 1, EINVAL);
	}
}

TEST_F(ops, delta_apply_bad_offsets_fail_the_op_alone)
{
	/* Offsets not increasing, then one past the page. */
	static const uint8_t recs[2][20] = {
		{ 5, 0, 1, 1, 1, 1, 1, 1, 1, 1, 5, 0, 2, 2, 2, 2, 2, 2, 2, 2 },
		{ 5, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2 },
	};
	unsigned int i;

	fill_page(self->d, K_TEXT, 3);
	memcpy(self->ref, self->d, PAGE);
	for (i = 0; i < 2; i++) {
		memcpy(self->out, recs[i], 20);
		op_set(&self->ops[0], MIGACCEL_OP_DELTA_APPLY, self->out, NULL,
		       self->d, 20, 0, 0);
		run_status(self, 1, -EINVAL);
		ASSERT_EQ(0, memcmp(self->ref, self->d, PAGE));
	}
}

TEST_F(ops, compress_into_nothing_is_einval)
{
	op_set(&self->ops[0], MIGACCEL_OP_COMPRESS, self->a, NULL, self->out,
	       0, 0, 0);
	run_err(self, 1, EINVAL);
}

TEST_F(ops, compress_into_small_buffer_sends_raw)
{
	fill_page(self->a, K_TEXT, 5);
	memset(self->out, 0xee, 64);
	op_set(&self->ops[0], MIGACCEL_OP_COMPRESS, self->a, NULL, self->out,
	       0, 16, 0);
	run_status(self, 1, 0);
	ASSERT_TRUE(self->ops[0].out_flags & MIGACCEL_OUT_RAW);
	ASSERT_EQ(0, memcmp(self->out, self->out + 1, 63));
}

TEST_F(ops, decompress_bad_lengths_are_einval)
{
	op_set(&self->ops[0], MIGACCEL_OP_DECOMPRESS, self->out, NULL, self->d,
	       0, 0, 0);
	run_err(self, 1, EINVAL);
	op_set(&self->ops[0], MIGACCEL_OP_DECOMPRESS, self->out, NULL, self->d,
	       PAGE + 1, 0, 0);
	run_err(self, 1, EINVAL);
}

TEST_F(ops, decompress_of_corrupt_data_is_ebadmsg_page_untouched)
{
	unsigned int i, len;

	fill_page(self->a, K_TEXT, 9);
	len = ref_deflate(self->a, self->out, OUT_SIZE);
	for (i = 0; i < 3; i++) {
		memset(self->d, 0xee, PAGE);
		memcpy(self->ref, self->out, len);
		/* Flipped bits, a bad header, truncated. */
		if (i == 0)
			self->ref[len / 2] ^= 0xff;
		else if (i == 1)
			memset(self->ref, 0xff, 8);
		op_set(&self->ops[0], MIGACCEL_OP_DECOMPRESS, self->ref, NULL,
		       self->d, i == 2 ? len - 3 : len, 0, 0);
		run(self, 1);
		if (i == 0 && !self->ops[0].out_status)
			continue;	/* a flip may still decode to a page */
		ASSERT_EQ(-EBADMSG, self->ops[0].out_status) TH_LOG("case %u", i);
		ASSERT_EQ(0, memcmp(self->d, self->d + 1, PAGE - 1));
		ASSERT_EQ(0xee, self->d[0]);
	}
}

TEST_F(ops, decompress_ignores_bytes_after_the_final_block)
{
	unsigned int len;

	fill_page(self->a, K_TEXT, 9);
	len = ref_deflate(self->a, self->out, OUT_SIZE);
	memset(self->out + len, 0x5a, 16);
	op_set(&self->ops[0], MIGACCEL_OP_DECOMPRESS, self->out, NULL, self->d,
	       len + 16, 0, 0);
	run_status(self, 1, 0);
	ASSERT_EQ(0, memcmp(self->a, self->d, PAGE));
}

TEST_F(ops, decompress_of_a_short_page_is_ebadmsg)
{
	unsigned int len;
	z_stream s;

	memset(&s, 0, sizeof(s));
	ASSERT_EQ(Z_OK, deflateInit2(&s, 1, Z_DEFLATED, -12, 8, Z_DEFAULT_STRATEGY));
	s.next_in = self->a;
	s.avail_in = PAGE / 2;
	s.next_out = self->out;
	s.avail_out = OUT_SIZE;
	ASSERT_EQ(Z_STREAM_END, deflate(&s, Z_FINISH));
	len = s.total_out;
	deflateEnd(&s);
	memset(self->d, 0xee, PAGE);
	op_set(&self->ops[0], MIGACCEL_OP_DECOMPRESS, self->out, NULL, self->d,
	       len, 0, 0);
	run_status(self, 1, -EBADMSG);
	ASSERT_EQ(0xee, self->d[0]);
}

TEST_F(ops, decompress_from_unmapped_buffer_is_efault)
{
	op_set(&self->ops[0], MIGACCEL_OP_DECOMPRESS, (void *)0x1000, NULL,
	       self->d, 100, 0, 0);
	run_err(self, 1, EFAULT);
}

TEST_F(ops, fields_an_operation_does_not_use_are_einval)
{
	op_set(&self->ops[0], MIGACCEL_OP_CRC64, self->a, self->b, NULL, 0, 0, 0);
	run_err(self, 1, EINVAL);
	op_set(&self->ops[0], MIGACCEL_OP_COMPRESS, self->a, NULL, self->out,
	       10, 100, 0);
	run_err(self, 1, EINVAL);
	op_set(&self->ops[0], MIGACCEL_OP_DECOMPRESS, self->out, NULL, self->d,
	       10, 100, 0);
	run_err(self, 1, EINVAL);
}

TEST_F(ops, one_bad_op_refuses_the_mixed_batch)
{
	fill_mixed(self, 0);
	self->ops[5].dst_len = 0;
	run_err(self, 8, EINVAL);
	ASSERT_EQ(0xee, pg(self->d, 0)[0]);
	ASSERT_EQ(0xee, outbuf(self, 0)[0]);
}

TEST_HARNESS_MAIN
