// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for every operation: the descriptor each builder writes,
 * what the soft engine does with it (CRC32C against the RFC 3720 vectors,
 * CRC-64/WE against its check value, delta records, deflate), and how each
 * completion status is read back and finished on the CPU; and the CPU's
 * CRC64 against the kernel's crc64_be().
 */
#include <kunit/test.h>
#include <linux/crc64.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <linux/zlib.h>

#ifdef CONFIG_X86_64
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#endif

#include "../migaccel.h"

/* A kmalloc'd buffer: physically contiguous, naturally aligned. */
static void *buf(struct kunit *test, size_t size)
{
	void *p = kunit_kzalloc(test, size, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	return p;
}

static u64 pa(void *p)
{
	return virt_to_phys(p);
}

/* ---- migaccel_desc_ops: what each builder writes ---- */

static void desc_dsa_builders(struct kunit *test)
{
	struct dsa_hw_desc d;

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_memmove(&d, 0x1000, 0x2000, 4096, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, DSA_OPCODE_MEMMOVE);
	KUNIT_EXPECT_EQ(test, d.src_addr, 0x1000);
	KUNIT_EXPECT_EQ(test, d.dst_addr, 0x2000);
	KUNIT_EXPECT_EQ(test, d.xfer_size, 4096);
	KUNIT_EXPECT_EQ(test, d.completion_addr, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.flags, IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_crcgen(&d, 0x1000, 4096, 0xdeadbeef, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, DSA_OPCODE_CRCGEN);
	KUNIT_EXPECT_EQ(test, d.crc_seed, 0xdeadbeef);
	KUNIT_EXPECT_EQ(test, d.seed_addr, 0);
	KUNIT_EXPECT_EQ(test, d.rsvd1, 0);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_cr_delta(&d, 0x1000, 0x2000, 4096, 0x5000, 5120, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, DSA_OPCODE_CR_DELTA);
	KUNIT_EXPECT_EQ(test, d.src_addr, 0x1000);
	KUNIT_EXPECT_EQ(test, d.src2_addr, 0x2000);
	KUNIT_EXPECT_EQ(test, d.delta_addr, 0x5000);
	KUNIT_EXPECT_EQ(test, d.max_delta_size, 5120);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_ap_delta(&d, 0x5000, 40, 0x2000, 4096, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, DSA_OPCODE_AP_DELTA);
	/* The record address sits where a source would. */
	KUNIT_EXPECT_EQ(test, d.src_addr, 0x5000);
	KUNIT_EXPECT_EQ(test, d.dst_addr, 0x2000);
	KUNIT_EXPECT_EQ(test, d.delta_rec_size, 40);
}

/*
 * The raw flag values the references use: iaa_crypto's compress descriptor
 * (CRAV | RCR | RD_SRC2_AECS | CC = 0x1010c, compr_flags 0x6) and
 * decompress descriptor (CRAV | RCR | CC = 0x10c); QPL's decompress "stop
 * and check for BFINAL EOB" (0x1f with enable and flush) and CRC64 flags
 * (INV = bit 14, BE = bit 15; CC reserved for CRC64).
 */
static void desc_iax_builders(struct kunit *test)
{
	struct iax_hw_desc d;

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_compress(&d, 0x1000, 4096, 0x2000, 4095, 0x9000, 1088,
			       0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, 0x43);
	KUNIT_EXPECT_EQ(test, (u32)d.flags, 0x1010c);
	KUNIT_EXPECT_EQ(test, d.src1_addr, 0x1000);
	KUNIT_EXPECT_EQ(test, d.src1_size, 4096);
	KUNIT_EXPECT_EQ(test, d.dst_addr, 0x2000);
	KUNIT_EXPECT_EQ(test, d.max_dst_size, 4095);
	KUNIT_EXPECT_EQ(test, d.src2_addr, 0x9000);
	KUNIT_EXPECT_EQ(test, d.src2_size, 1088);
	KUNIT_EXPECT_EQ(test, d.compr_flags, 0x6);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_compress(&d, 0x1000, 4096, 0x2000, 4095, 0, 0, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.flags, 0x10c);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_decompress(&d, 0x1000, 777, 0x2000, 4096, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, 0x42);
	KUNIT_EXPECT_EQ(test, (u32)d.flags, 0x10c);
	KUNIT_EXPECT_EQ(test, d.src1_size, 777);
	KUNIT_EXPECT_EQ(test, d.decompr_flags, 0x1f);
	KUNIT_EXPECT_EQ(test, d.src2_addr, 0);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_crc64(&d, 0x1000, 4096, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, 0x44);
	KUNIT_EXPECT_EQ(test, (u32)d.flags, 0xc);
	KUNIT_EXPECT_EQ(test, d.compr_flags, 0x4000);
	KUNIT_EXPECT_EQ(test, (u64)d.num_inputs << 32 | d.filter_flags,
			0x42f0e1eba9ea3693ull);
}

/* QPL: crc = (u64)sum_agg << 32 | max_last_agg, bytes 40..47. */
static void comp_crc64_reads_bytes_40_to_47(struct kunit *test)
{
	u8 raw[64];
	struct iax_completion_record *comp = (void *)raw;
	unsigned int i;

	for (i = 0; i < sizeof(raw); i++)
		raw[i] = 0xee;
	raw[0] = IAX_COMP_SUCCESS;
	for (i = 0; i < 8; i++)
		raw[40 + i] = 0x10 + i;
	KUNIT_EXPECT_EQ(test, comp->max, 0x13121110);
	KUNIT_EXPECT_EQ(test, comp->sum, 0x17161514);
	KUNIT_EXPECT_EQ(test, migaccel_comp_crc64(comp),
			(u64)comp->sum << 32 | comp->max);
	KUNIT_EXPECT_EQ(test, migaccel_comp_crc64(comp), 0x1716151413121110ull);
}

/*
 * The AECS given to IAA for compression is iaa_crypto's "fixed" mode:
 * struct aecs_comp_table_record (1568 bytes), fixed_ll_sym[] and
 * fixed_d_sym[] (length << 15 | code), header FIXED_HDR | BFINAL in 3 bits.
 */
static void desc_aecs_matches_iaa_crypto_fixed(struct kunit *test)
{
	static const struct { u32 idx; u32 val; } ll[] = {
		{ 0, 0x40030 }, { 143, 0x400bf }, { 144, 0x48190 },
		{ 255, 0x481ff }, { 256, 0x38000 }, { 279, 0x38017 },
		{ 280, 0x400c0 }, { 285, 0x400c5 },
	};
	u8 *aecs = buf(test, 2048);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, migaccel_aecs_init_fixed(aecs), 1568);
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(aecs + 0), 0);	/* crc */
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(aecs + 4), 0);	/* xor */
	KUNIT_EXPECT_EQ(test, get_unaligned_le32(aecs + 28), 3);	/* bits */
	KUNIT_EXPECT_EQ(test, aecs[32], 0x2 | 1);	/* BTYPE 01, BFINAL */
	for (i = 0; i < ARRAY_SIZE(ll); i++)
		KUNIT_EXPECT_EQ_MSG(test, get_unaligned_le32(aecs + 288 +
							    4 * ll[i].idx),
				    ll[i].val, "ll_sym[%u]", ll[i].idx);
	for (i = 0; i < 30; i++)
		KUNIT_EXPECT_EQ(test, get_unaligned_le32(aecs + 1440 + 4 * i),
				0x28000 + i);
}

/* idxd writes ilog2(max_batch_size) to the WQ: the device takes 2^that. */
static void desc_dsa_batch_max_is_power_of_two(struct kunit *test)
{
	static const u32 cfg[][2] = {
		{ 0, 1 }, { 1, 1 }, { 2, 2 }, { 3, 2 }, { 100, 64 },
		{ 128, 128 }, { 1023, 512 }, { 1024, 1024 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cfg); i++)
		KUNIT_EXPECT_EQ_MSG(test, migaccel_dsa_batch_max(cfg[i][0]),
				    cfg[i][1], "max_batch_size %u", cfg[i][0]);
}

/* DML: max delta record size a multiple of 10, at least 80. */
static void desc_delta_max_size_follows_dml(struct kunit *test)
{
	static const u32 cfg[][2] = {
		{ 10, 80 }, { 79, 80 }, { 80, 80 }, { 85, 80 }, { 95, 90 },
		{ 5120, 5120 }, { 5125, 5120 }, { 100000, 5120 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cfg); i++) {
		u32 max = migaccel_delta_max_size(cfg[i][0]);

		KUNIT_EXPECT_EQ_MSG(test, max, cfg[i][1], "dst_len %u",
				    cfg[i][0]);
		KUNIT_EXPECT_EQ(test, max % 10, 0);
		KUNIT_EXPECT_GE(test, max, 80);
	}
}

/* Operations follow the WQ's op_config; a WQ below a page takes none. */
static void desc_wq_ops_follow_op_config(struct kunit *test)
{
	DECLARE_BITMAP(opcap, 256);

	bitmap_zero(opcap, 256);
	/* DSA: compare pattern (0x06) and memory move (0x03) only. */
	__set_bit(0x06, opcap);
	__set_bit(0x03, opcap);
	KUNIT_EXPECT_EQ(test, migaccel_wq_ops_mask(false, opcap, 2 << 20),
			BIT_ULL(MIGACCEL_OP_ZERO_SCAN) | BIT_ULL(MIGACCEL_OP_COPY));
	KUNIT_EXPECT_EQ(test, migaccel_wq_ops_mask(true, opcap, 2 << 20), 0);
	/* Maximum transfer below a page: nothing. */
	KUNIT_EXPECT_EQ(test, migaccel_wq_ops_mask(false, opcap, 2048), 0);

	/* IAA: decompress (0x42) and CRC64 (0x44), not compress. */
	bitmap_zero(opcap, 256);
	__set_bit(0x42, opcap);
	__set_bit(0x44, opcap);
	KUNIT_EXPECT_EQ(test, migaccel_wq_ops_mask(true, opcap, 4096),
			BIT_ULL(MIGACCEL_OP_DECOMPRESS) | BIT_ULL(MIGACCEL_OP_CRC64));
}

static struct kunit_case migaccel_desc_ops_cases[] = {
	KUNIT_CASE(desc_dsa_builders),
	KUNIT_CASE(desc_iax_builders),
	KUNIT_CASE(comp_crc64_reads_bytes_40_to_47),
	KUNIT_CASE(desc_aecs_matches_iaa_crypto_fixed),
	KUNIT_CASE(desc_dsa_batch_max_is_power_of_two),
	KUNIT_CASE(desc_delta_max_size_follows_dml),
	KUNIT_CASE(desc_wq_ops_follow_op_config),
	{}
};

static struct kunit_suite migaccel_desc_ops_suite = {
	.name = "migaccel_desc_ops",
	.test_cases = migaccel_desc_ops_cases,
};

/* ---- migaccel_soft_ops: the soft engine runs every operation ---- */

struct crc_case {
	const char *name;
	u8 fill;	/* 0, 0xff, or 1: incrementing, 2: decrementing */
	u32 len;
	u32 crc32c;
};

/* RFC 3720 B.4. */
static const struct crc_case crc_cases[] = {
	{ "zeros", 0, 32, 0x8a9136aa },
	{ "ones", 0xff, 32, 0x62a8ab43 },
	{ "incrementing", 1, 32, 0x46dd794e },
	{ "decrementing", 2, 32, 0x113fdb5c },
};

static void crc_case_desc(const struct crc_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(crc, crc_cases, crc_case_desc);

static void soft_crcgen_rfc3720_vectors(struct kunit *test)
{
	const struct crc_case *c = test->param_value;
	struct dsa_completion_record *comp = buf(test, 64);
	u8 *data = buf(test, 64);
	struct dsa_hw_desc d;
	u32 i;

	for (i = 0; i < c->len; i++)
		data[i] = c->fill == 1 ? i : c->fill == 2 ? c->len - 1 - i :
			  c->fill;
	migaccel_desc_crcgen(&d, pa(data), c->len, 0, pa(comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, (u32)comp->crc_val, c->crc32c);
	KUNIT_EXPECT_EQ(test, migaccel_cpu_crc32c(0, data, c->len), c->crc32c);

	/* Two halves chained give the whole. */
	migaccel_desc_crcgen(&d, pa(data), 20, 0, pa(comp));
	migaccel_soft_exec_dsa(&d, NULL);
	migaccel_desc_crcgen(&d, pa(data + 20), c->len - 20,
			     (u32)comp->crc_val, pa(comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, (u32)comp->crc_val, c->crc32c);
}

static void soft_crcgen_fault_leaves_partial_crc(struct kunit *test)
{
	struct dsa_completion_record *comp = buf(test, 64);
	u8 *data = buf(test, 64);
	struct dsa_hw_desc d;
	u32 at = 13;

	memcpy(data, "123456789", 9);
	migaccel_desc_crcgen(&d, pa(data), 9, 0, pa(comp));
	migaccel_soft_exec_dsa(&d, &at);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, (u32)comp->crc_val, 0xe3069283);
	at = 4;
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&d, &at);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_PAGE_FAULT_NOBOF);
	KUNIT_EXPECT_EQ(test, comp->bytes_completed, 4);
	KUNIT_EXPECT_EQ(test, comp->fault_addr, pa(data) + 4);
	KUNIT_EXPECT_EQ(test, migaccel_cpu_crc32c((u32)comp->crc_val, data + 4, 5),
			0xe3069283);
}

/*
 * CRC-64/WE of "123456789" is 0x62ec59e3f1a4f00a; IAA returns it in the
 * record's max (bytes 40..43, low half) and sum (44..47, high half).
 * BE | INV is the bit-reflected CRC-64/XZ, 0x995dc9bbdf1939fa (QPL's
 * model with the same polynomial).
 */
static void soft_crc64_check_value(struct kunit *test)
{
	struct iax_completion_record *comp = buf(test, 64);
	u8 *data = buf(test, 64);
	u8 *raw = (u8 *)comp;
	struct iax_hw_desc d;

	memcpy(data, "123456789", 9);
	migaccel_desc_crc64(&d, pa(data), 9, pa(comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->max, 0xf1a4f00a);
	KUNIT_EXPECT_EQ(test, comp->sum, 0x62ec59e3);
	KUNIT_EXPECT_EQ(test, raw[40], 0x0a);
	KUNIT_EXPECT_EQ(test, raw[47], 0x62);
	/* Bytes 32..39 are the crc and min fields: left clear. */
	KUNIT_EXPECT_EQ(test, comp->crc, 0);
	KUNIT_EXPECT_EQ(test, comp->min, 0);

	d.compr_flags = 0xc000;
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, (u64)comp->sum << 32 | comp->max,
			0x995dc9bbdf1939faull);

	/* Cache control is reserved for CRC64. */
	d.compr_flags = 0x4000;
	d.flags |= IDXD_OP_FLAG_CC;
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_INVALID_FLAGS);
}

/* A raw deflate stream of two blocks, built with zlib: half a page each. */
static int two_block_stream(struct kunit *test, const u8 *page, u8 *out,
			    u32 max)
{
	struct z_stream_s strm = {};
	int ret, len = -1;

	strm.workspace = vzalloc(zlib_deflate_workspacesize(-12, 8));
	KUNIT_ASSERT_NOT_NULL(test, strm.workspace);
	ret = zlib_deflateInit2(&strm, 1, Z_DEFLATED, -12, 8,
				Z_DEFAULT_STRATEGY);
	KUNIT_ASSERT_EQ(test, ret, Z_OK);
	strm.next_out = out;
	strm.avail_out = max;
	strm.next_in = page;
	strm.avail_in = PAGE_SIZE / 2;
	/* Ends the first block (not final); an empty stored block follows. */
	if (zlib_deflate(&strm, Z_FULL_FLUSH) == Z_OK) {
		strm.avail_in = PAGE_SIZE / 2;
		if (zlib_deflate(&strm, Z_FINISH) == Z_STREAM_END)
			len = strm.total_out;
	}
	zlib_deflateEnd(&strm);
	vfree(strm.workspace);
	KUNIT_ASSERT_GT(test, len, 0);
	/* The first block is not final (BFINAL, bit 0 of byte 0, clear). */
	KUNIT_ASSERT_EQ(test, out[0] & 1, 0);
	return len;
}

static void fill_text(u8 *page)
{
	u32 i;

	for (i = 0; i < PAGE_SIZE; i++)
		page[i] = "two blocks of guest memory "[i % 27] + i / 1024;
}

/*
 * IAA stops at the end of the first block unless "select BFINAL EOB" (bit
 * 4) is set: the module's descriptor inflates the whole stream, the
 * flags without bit 4 (0x0f) stop after the first half page.
 */
static void soft_decompress_two_block_stream(struct kunit *test)
{
	struct iax_completion_record *comp = buf(test, 64);
	u8 *page = buf(test, PAGE_SIZE), *out = buf(test, 2 * PAGE_SIZE);
	u8 *back = buf(test, PAGE_SIZE);
	struct iax_hw_desc d;
	int len;

	fill_text(page);
	len = two_block_stream(test, page, out, 2 * PAGE_SIZE);
	migaccel_desc_decompress(&d, pa(out), len, pa(back), PAGE_SIZE,
				 pa(comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->output_size, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, memcmp(page, back, PAGE_SIZE), 0);

	d.decompr_flags = 0x0f;
	memset(comp, 0, sizeof(*comp));
	memset(back, 0, PAGE_SIZE);
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->output_size, PAGE_SIZE / 2);

	/* The CPU reads the whole stream, as IAA with bit 4. */
	memset(back, 0, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, migaccel_cpu_decompress(out, len, back), 0);
	KUNIT_EXPECT_EQ(test, memcmp(page, back, PAGE_SIZE), 0);
}

/* iaa_crypto: a compression that does not fit is status 0x0a, error 0x19. */
static void soft_compress_overflow_is_analytics_error(struct kunit *test)
{
	struct iax_completion_record *comp = buf(test, 64);
	u8 *page = buf(test, PAGE_SIZE), *out = buf(test, PAGE_SIZE);
	struct iax_hw_desc d;

	get_random_bytes(page, PAGE_SIZE);
	migaccel_desc_compress(&d, pa(page), PAGE_SIZE, pa(out), PAGE_SIZE - 1,
			       0, 0, pa(comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, 0x0a);
	KUNIT_EXPECT_EQ(test, comp->error_code, 0x19);
	KUNIT_EXPECT_TRUE(test, migaccel_comp_compress_overflow(comp));
	/* 0x0b is the decompression overflow, not this. */
	comp->status = 0x0b;
	comp->error_code = 0;
	KUNIT_EXPECT_FALSE(test, migaccel_comp_compress_overflow(comp));
}

/* DML: max_delta_size must be a multiple of 10 and at least 80 (0x15). */
static void soft_delta_rejects_small_record_size(struct kunit *test)
{
	struct dsa_completion_record *comp = buf(test, 64);
	u8 *a = buf(test, PAGE_SIZE), *b = buf(test, PAGE_SIZE);
	u8 *rec = buf(test, MIGACCEL_DELTA_MAX);
	static const u32 sizes[][2] = {
		{ 10, 0x15 }, { 70, 0x15 }, { 85, 0x15 }, { 80, 0x01 },
		{ 90, 0x01 },
	};
	struct dsa_hw_desc d;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		migaccel_desc_cr_delta(&d, pa(a), pa(b), PAGE_SIZE, pa(rec),
				       sizes[i][0], pa(comp));
		memset(comp, 0, sizeof(*comp));
		migaccel_soft_exec_dsa(&d, NULL);
		KUNIT_EXPECT_EQ_MSG(test, comp->status, sizes[i][1],
				    "max_delta_size %u", sizes[i][0]);
	}
}

static void soft_memmove_copies_and_faults(struct kunit *test)
{
	struct dsa_completion_record *comp = buf(test, 64);
	u8 *src = buf(test, PAGE_SIZE), *dst = buf(test, PAGE_SIZE);
	struct dsa_hw_desc d;
	u32 at = 1000;

	memset(src, 0x3c, PAGE_SIZE);
	migaccel_desc_memmove(&d, pa(src), pa(dst), PAGE_SIZE, pa(comp));
	migaccel_soft_exec_dsa(&d, &at);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_PAGE_FAULT_NOBOF);
	KUNIT_EXPECT_EQ(test, comp->bytes_completed, 1000);
	KUNIT_EXPECT_EQ(test, dst[999], 0x3c);
	KUNIT_EXPECT_EQ(test, dst[1000], 0);
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, memcmp(src, dst, PAGE_SIZE), 0);
}

static void soft_delta_round_trip(struct kunit *test)
{
	struct dsa_completion_record *comp = buf(test, 64);
	u8 *a = buf(test, PAGE_SIZE), *b = buf(test, PAGE_SIZE);
	u8 *rec = buf(test, MIGACCEL_DELTA_MAX);
	struct dsa_hw_desc d;

	memset(a, 7, PAGE_SIZE);
	memcpy(b, a, PAGE_SIZE);
	migaccel_desc_cr_delta(&d, pa(a), pa(b), PAGE_SIZE, pa(rec),
			       MIGACCEL_DELTA_MAX, pa(comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->result, 0);
	KUNIT_EXPECT_EQ(test, comp->delta_rec_size, 0);

	b[0] = 1;
	b[4095] = 2;
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->result, 1);
	KUNIT_EXPECT_EQ(test, comp->delta_rec_size, 20);
	KUNIT_EXPECT_EQ(test, rec[0] | rec[1] << 8, 0);
	KUNIT_EXPECT_EQ(test, rec[10] | rec[11] << 8, 511);
	KUNIT_EXPECT_EQ(test, memcmp(rec + 12, b + 4088, 8), 0);

	migaccel_desc_ap_delta(&d, pa(rec), 20, pa(a), PAGE_SIZE, pa(comp));
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, memcmp(a, b, PAGE_SIZE), 0);

	/* Offsets must increase. */
	memcpy(rec + 10, rec, 2);
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_DR_OFFSET_NOINC);
	KUNIT_EXPECT_EQ(test, migaccel_cpu_delta_check(rec, 20, PAGE_SIZE),
			-EINVAL);

	/* Nine entries in the smallest record DSA takes: it would overflow. */
	memset(b + 8, 9, 9 * 8);
	migaccel_desc_cr_delta(&d, pa(a), pa(b), PAGE_SIZE, pa(rec), 80,
			       pa(comp));
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->result, MIGACCEL_DELTA_RES_OVERFLOW);
}

static void soft_deflate_round_trip(struct kunit *test)
{
	struct iax_completion_record *comp = buf(test, 64);
	u8 *page = buf(test, PAGE_SIZE), *out = buf(test, PAGE_SIZE);
	u8 *back = buf(test, PAGE_SIZE);
	struct iax_hw_desc d;
	u32 i, len;

	for (i = 0; i < PAGE_SIZE; i++)
		page[i] = "migration of guest pages "[i % 25];
	migaccel_desc_compress(&d, pa(page), PAGE_SIZE, pa(out), PAGE_SIZE - 1,
			       0, 0, pa(comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_ASSERT_EQ(test, comp->status, IAX_COMP_SUCCESS);
	len = comp->output_size;
	KUNIT_EXPECT_GT(test, len, 0);
	KUNIT_EXPECT_LT(test, len, 200);

	migaccel_desc_decompress(&d, pa(out), len, pa(back), PAGE_SIZE, pa(comp));
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->output_size, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, memcmp(page, back, PAGE_SIZE), 0);

	/* A damaged stream is an analytics error, as on the device. */
	out[1] ^= 0xff;
	out[2] ^= 0xff;
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_NE(test, comp->status, IAX_COMP_SUCCESS);
}

static struct kunit_case migaccel_soft_ops_cases[] = {
	KUNIT_CASE_PARAM(soft_crcgen_rfc3720_vectors, crc_gen_params),
	KUNIT_CASE(soft_crcgen_fault_leaves_partial_crc),
	KUNIT_CASE(soft_crc64_check_value),
	KUNIT_CASE(soft_memmove_copies_and_faults),
	KUNIT_CASE(soft_delta_round_trip),
	KUNIT_CASE(soft_deflate_round_trip),
	KUNIT_CASE(soft_decompress_two_block_stream),
	KUNIT_CASE(soft_compress_overflow_is_analytics_error),
	KUNIT_CASE(soft_delta_rejects_small_record_size),
	{}
};

static struct kunit_suite migaccel_soft_ops_suite = {
	.name = "migaccel_soft_ops",
	.test_cases = migaccel_soft_ops_cases,
};

/* ---- migaccel_finish: each operation under each completion status ---- */

enum finish_status {
	FIN_SUCCESS,		/* the engine finished */
	FIN_FAULT,		/* page fault at byte 1000 */
	FIN_ERROR,		/* a hardware error */
	FIN_UNWRITTEN,		/* the record never written */
};

struct finish_case {
	const char *name;
	u32 opcode;
	enum finish_status status;
	bool cpu;
};

#define FIN(op, st, cpu) { #op "_" #st, MIGACCEL_OP_##op, FIN_##st, cpu }

static const struct finish_case finish_cases[] = {
	FIN(ZERO_SCAN, SUCCESS, false), FIN(ZERO_SCAN, FAULT, true),
	FIN(ZERO_SCAN, ERROR, true), FIN(ZERO_SCAN, UNWRITTEN, true),
	FIN(COPY, SUCCESS, false), FIN(COPY, FAULT, true),
	FIN(COPY, ERROR, true), FIN(COPY, UNWRITTEN, true),
	FIN(CRC32C, SUCCESS, false), FIN(CRC32C, FAULT, true),
	FIN(CRC32C, ERROR, true), FIN(CRC32C, UNWRITTEN, true),
	FIN(DELTA_CREATE, SUCCESS, false), FIN(DELTA_CREATE, FAULT, true),
	FIN(DELTA_CREATE, ERROR, true), FIN(DELTA_CREATE, UNWRITTEN, true),
	FIN(DELTA_APPLY, SUCCESS, false), FIN(DELTA_APPLY, FAULT, true),
	FIN(DELTA_APPLY, ERROR, true), FIN(DELTA_APPLY, UNWRITTEN, true),
	FIN(COMPRESS, SUCCESS, false), FIN(COMPRESS, FAULT, true),
	FIN(COMPRESS, ERROR, true), FIN(COMPRESS, UNWRITTEN, true),
	FIN(DECOMPRESS, SUCCESS, false), FIN(DECOMPRESS, FAULT, true),
	FIN(DECOMPRESS, ERROR, true), FIN(DECOMPRESS, UNWRITTEN, true),
	FIN(CRC64, SUCCESS, false), FIN(CRC64, FAULT, true),
	FIN(CRC64, ERROR, true), FIN(CRC64, UNWRITTEN, true),
};

static void finish_case_desc(const struct finish_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(finish, finish_cases, finish_case_desc);

/*
 * Build the op on kernel pages, run its descriptor on the soft engine
 * with the fault of the case (or not at all), then read it back: the
 * result must equal what the CPU computes, with the CPU flag as expected.
 */
static void finish_operation(struct kunit *test)
{
	const struct finish_case *c = test->param_value;
	struct page *src = alloc_page(GFP_KERNEL), *src2 = alloc_page(GFP_KERNEL);
	struct page *dst = alloc_page(GFP_KERNEL);
	struct migaccel_stats stats = {};
	struct migaccel_jop *jop;
	struct migaccel_job *job;
	u8 *a, *b, *want = buf(test, MIGACCEL_BOUNCE_SIZE);
	unsigned int idx = 0, i;
	int len;

	KUNIT_ASSERT_TRUE(test, src && src2 && dst);
	a = page_address(src);
	b = page_address(src2);
	for (i = 0; i < PAGE_SIZE; i++)
		a[i] = "page work "[i % 10];
	memcpy(b, a, PAGE_SIZE);
	b[8] ^= 1;
	b[2000] ^= 1;
	memset(page_address(dst), 0, PAGE_SIZE);
	/* A zero page: a zero scan reads it all, up to any fault. */
	if (c->opcode == MIGACCEL_OP_ZERO_SCAN)
		memset(a, 0, PAGE_SIZE);

	job = migaccel_job_alloc(1);
	KUNIT_ASSERT_NOT_NULL(test, job);
	job->stats = &stats;
	jop = &job->ops[0];
	jop->op.opcode = c->opcode;
	jop->class = migaccel_op_class(c->opcode);
	jop->op.seed = c->opcode == MIGACCEL_OP_CRC32C ? 0x77 : 0;
	jop->op.dst_len = MIGACCEL_DELTA_MAX;
	jop->src = src;
	jop->bounce = kzalloc(MIGACCEL_BOUNCE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, jop->bounce);
	switch (c->opcode) {
	case MIGACCEL_OP_COPY:
		jop->dst = dst;
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		jop->src2 = src2;
		break;
	case MIGACCEL_OP_DELTA_APPLY:
		jop->src = NULL;
		jop->dst = dst;
		memcpy(page_address(dst), a, PAGE_SIZE);
		len = migaccel_cpu_delta_create(a, b, 0, jop->bounce, 0,
						MIGACCEL_DELTA_MAX);
		jop->op.src_len = len;
		break;
	case MIGACCEL_OP_COMPRESS:
		jop->op.dst_len = PAGE_SIZE;
		break;
	case MIGACCEL_OP_DECOMPRESS:
		jop->src = NULL;
		len = migaccel_cpu_compress(b, jop->bounce, PAGE_SIZE);
		KUNIT_ASSERT_GT(test, len, 0);
		jop->op.src_len = len;
		break;
	}
	KUNIT_ASSERT_EQ(test, migaccel_job_add_chunk(job, jop->class, &idx, 1), 0);
	if (c->status == FIN_FAULT) {
		job->fault.kind = MIGACCEL_INJECT_PAGEFAULT;
		job->fault.byte = 1000;
	} else if (c->status == FIN_ERROR) {
		job->fault.kind = MIGACCEL_INJECT_ERROR;
	}
	if (c->status != FIN_UNWRITTEN)
		KUNIT_ASSERT_EQ(test, migaccel_job_run(job), 0);

	KUNIT_EXPECT_EQ(test, migaccel_op_finish(jop), c->cpu);
	KUNIT_EXPECT_EQ(test, jop->op.out_status, 0);
	switch (c->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
		KUNIT_EXPECT_EQ(test, jop->op.out_result, 1);
		break;
	case MIGACCEL_OP_COPY:
	case MIGACCEL_OP_DELTA_APPLY:
		KUNIT_EXPECT_EQ(test, memcmp(page_address(dst),
					     c->opcode == MIGACCEL_OP_COPY ? a : b,
					     PAGE_SIZE), 0);
		break;
	case MIGACCEL_OP_CRC32C:
		KUNIT_EXPECT_EQ(test, jop->op.out_result,
				migaccel_cpu_crc32c(0x77, a, PAGE_SIZE));
		break;
	case MIGACCEL_OP_CRC64:
		KUNIT_EXPECT_EQ(test, jop->op.out_result,
				migaccel_cpu_crc64(a, PAGE_SIZE));
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		len = migaccel_cpu_delta_create(a, b, 0, want, 0,
						MIGACCEL_DELTA_MAX);
		KUNIT_EXPECT_EQ(test, jop->op.out_result, len);
		KUNIT_EXPECT_EQ(test, memcmp(jop->bounce, want, len), 0);
		break;
	case MIGACCEL_OP_COMPRESS:
		KUNIT_EXPECT_GT(test, jop->op.out_result, 0);
		KUNIT_EXPECT_EQ(test, migaccel_cpu_decompress(jop->bounce,
							      jop->op.out_result,
							      want), 0);
		KUNIT_EXPECT_EQ(test, memcmp(want, a, PAGE_SIZE), 0);
		break;
	case MIGACCEL_OP_DECOMPRESS:
		KUNIT_EXPECT_EQ(test, memcmp(jop->bounce + PAGE_SIZE, b,
					     PAGE_SIZE), 0);
		break;
	}
	/* The pages are the test's: the job must not unpin them. */
	jop->src = NULL;
	jop->src2 = NULL;
	jop->dst = NULL;
	migaccel_job_put(job);
	__free_page(src);
	__free_page(src2);
	__free_page(dst);
}

/* ---- records written by hand, as a device would leave them ---- */

struct rec_job {
	struct migaccel_job *job;
	struct migaccel_jop *jop;
	struct page *src;
	struct page *src2;
	struct migaccel_stats stats;
};

static void rec_job_new(struct kunit *test, struct rec_job *rj, u32 opcode)
{
	unsigned int idx = 0;

	rj->src = alloc_page(GFP_KERNEL | __GFP_ZERO);
	rj->src2 = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_TRUE(test, rj->src && rj->src2);
	rj->job = migaccel_job_alloc(1);
	KUNIT_ASSERT_NOT_NULL(test, rj->job);
	memset(&rj->stats, 0, sizeof(rj->stats));
	rj->job->stats = &rj->stats;
	rj->jop = &rj->job->ops[0];
	rj->jop->op.opcode = opcode;
	rj->jop->class = migaccel_op_class(opcode);
	rj->jop->src = rj->src;
	if (opcode == MIGACCEL_OP_DELTA_CREATE)
		rj->jop->src2 = rj->src2;
	rj->jop->bounce = kzalloc(MIGACCEL_BOUNCE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rj->jop->bounce);
	KUNIT_ASSERT_EQ(test, migaccel_job_add_chunk(rj->job, rj->jop->class,
						     &idx, 1), 0);
}

static void rec_job_free(struct rec_job *rj)
{
	rj->jop->src = NULL;
	rj->jop->src2 = NULL;
	migaccel_job_put(rj->job);
	__free_page(rj->src);
	__free_page(rj->src2);
}

static struct iax_completion_record *rec_iax(struct rec_job *rj)
{
	return &rj->jop->chunk->comps[rj->jop->slot].iax;
}

/* Status 0x0a, error 0x19: incompressible, an answer, no CPU work. */
static void finish_compress_overflow_record_is_raw(struct kunit *test)
{
	struct rec_job rj;

	rec_job_new(test, &rj, MIGACCEL_OP_COMPRESS);
	rj.jop->op.dst_len = PAGE_SIZE;
	get_random_bytes(page_address(rj.src), PAGE_SIZE);
	rec_iax(&rj)->status = 0x0a;
	rec_iax(&rj)->error_code = 0x19;
	KUNIT_EXPECT_FALSE(test, migaccel_op_finish(rj.jop));
	KUNIT_EXPECT_TRUE(test, rj.jop->op.out_flags & MIGACCEL_OUT_RAW);
	KUNIT_EXPECT_EQ(test, rj.jop->op.out_result, 0);
	rec_job_free(&rj);
}

/* 0x0b is not a compression outcome: the CPU compresses the page. */
static void finish_compress_status_0x0b_is_redone(struct kunit *test)
{
	struct rec_job rj;

	rec_job_new(test, &rj, MIGACCEL_OP_COMPRESS);
	rj.jop->op.dst_len = PAGE_SIZE;
	fill_text(page_address(rj.src));
	rec_iax(&rj)->status = 0x0b;
	KUNIT_EXPECT_TRUE(test, migaccel_op_finish(rj.jop));
	KUNIT_EXPECT_FALSE(test, rj.jop->op.out_flags & MIGACCEL_OUT_RAW);
	KUNIT_EXPECT_GT(test, rj.jop->op.out_result, 0);
	rec_job_free(&rj);
}

/* A stream that does not inflate to the page is not used (verify_compress). */
static void finish_compress_bad_stream_is_redone(struct kunit *test)
{
	u8 *back = buf(test, PAGE_SIZE);
	struct rec_job rj;

	rec_job_new(test, &rj, MIGACCEL_OP_COMPRESS);
	rj.jop->op.dst_len = PAGE_SIZE;
	fill_text(page_address(rj.src));
	/* A valid stream, of another page. */
	KUNIT_ASSERT_GT(test, migaccel_cpu_compress(back, rj.jop->bounce,
						    PAGE_SIZE), 0);
	rec_iax(&rj)->status = IAX_COMP_SUCCESS;
	rec_iax(&rj)->output_size = 100;
	KUNIT_EXPECT_TRUE(test, migaccel_op_finish(rj.jop));
	KUNIT_ASSERT_GT(test, rj.jop->op.out_result, 0);
	KUNIT_EXPECT_EQ(test, migaccel_cpu_decompress(rj.jop->bounce,
						      rj.jop->op.out_result,
						      back), 0);
	KUNIT_EXPECT_EQ(test, memcmp(back, page_address(rj.src), PAGE_SIZE), 0);
	rec_job_free(&rj);
}

/* Success short of a page: the CPU inflates the whole stream. */
static void finish_decompress_short_success_goes_to_cpu(struct kunit *test)
{
	u8 *page = buf(test, PAGE_SIZE);
	struct rec_job rj;
	int len;

	rec_job_new(test, &rj, MIGACCEL_OP_DECOMPRESS);
	rj.jop->src = NULL;
	fill_text(page);
	len = two_block_stream(test, page, rj.jop->bounce, PAGE_SIZE);
	rj.jop->op.src_len = len;
	rec_iax(&rj)->status = IAX_COMP_SUCCESS;
	rec_iax(&rj)->output_size = PAGE_SIZE / 2;
	KUNIT_EXPECT_TRUE(test, migaccel_op_finish(rj.jop));
	KUNIT_EXPECT_EQ(test, rj.jop->op.out_status, 0);
	KUNIT_EXPECT_EQ(test, memcmp(rj.jop->bounce + PAGE_SIZE, page,
				     PAGE_SIZE), 0);
	rj.jop->src = rj.src;
	rec_job_free(&rj);
}

/*
 * A fault record's result is the zero scan's to read only: a create-delta
 * fault with result 1 (differences so far) still continues on the CPU.
 */
static void finish_delta_fault_with_result_continues(struct kunit *test)
{
	struct dsa_completion_record *comp;
	struct rec_job rj;
	u8 *b;

	rec_job_new(test, &rj, MIGACCEL_OP_DELTA_CREATE);
	rj.jop->op.dst_len = MIGACCEL_DELTA_MAX;
	b = page_address(rj.src2);
	b[8] = 1;
	b[3000] = 1;
	/* The engine wrote the entry of word 1 and faulted at byte 2048. */
	put_unaligned_le16(1, rj.jop->bounce);
	memcpy(rj.jop->bounce + 2, b + 8, 8);
	comp = &rj.jop->chunk->comps[0].dsa;
	comp->result = 1;
	comp->delta_rec_size = 10;
	comp->bytes_completed = 2048;
	comp->status = DSA_COMP_PAGE_FAULT_NOBOF;
	KUNIT_EXPECT_TRUE(test, migaccel_op_finish(rj.jop));
	KUNIT_EXPECT_EQ(test, rj.jop->op.out_result, 20);
	rec_job_free(&rj);
}

/*
 * dst_len below DSA's 80-byte minimum still runs on the engine (the
 * soft engine refuses a smaller maximum with 0x15, as DML does); a record
 * larger than dst_len is reported as not fitting.
 */
static void finish_delta_below_dsa_minimum(struct kunit *test)
{
	struct rec_job rj;
	u8 *b;

	rec_job_new(test, &rj, MIGACCEL_OP_DELTA_CREATE);
	rj.jop->op.dst_len = 10;
	b = page_address(rj.src2);
	b[100] = 1;
	KUNIT_ASSERT_EQ(test, migaccel_job_run(rj.job), 0);
	KUNIT_EXPECT_EQ(test, rj.jop->chunk->comps[0].dsa.status,
			DSA_COMP_SUCCESS);
	KUNIT_EXPECT_FALSE(test, migaccel_op_finish(rj.jop));
	KUNIT_EXPECT_EQ(test, rj.jop->op.out_result, 10);
	rec_job_free(&rj);

	rec_job_new(test, &rj, MIGACCEL_OP_DELTA_CREATE);
	rj.jop->op.dst_len = 10;
	b = page_address(rj.src2);
	b[100] = 1;
	b[200] = 1;
	KUNIT_ASSERT_EQ(test, migaccel_job_run(rj.job), 0);
	KUNIT_EXPECT_FALSE(test, migaccel_op_finish(rj.jop));
	KUNIT_EXPECT_TRUE(test, rj.jop->op.out_flags & MIGACCEL_OUT_RAW);
	rec_job_free(&rj);
}

/*
 * A synchronous job's runner runs one chunk itself when it waits; the
 * others, and every chunk of a job with a fault injected or without a
 * runner, go to the soft engine's workers.  Each chunk ends DONE, each
 * zero page is found.
 */
static void runner_runs_one_chunk_itself(struct kunit *test)
{
	static const struct {
		bool runner;
		bool fault;
		unsigned int deferred;
	} cases[] = {
		{ true, false, 1 },
		{ false, false, 0 },
		{ true, true, 0 },
	};
	struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct migaccel_stats stats = {};
	unsigned int c, i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	if (migaccel_engine_kinds() & ~MIGACCEL_ENGINE_SOFT) {
		__free_page(page);
		kunit_skip(test, "a DSA or IAA engine is bound: chunks go to it");
	}
	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		/* Room for three chunks: one per MIGACCEL_CHUNK_DESCS ops, + 1. */
		struct migaccel_job *job =
			migaccel_job_alloc(2 * MIGACCEL_CHUNK_DESCS + 1);
		struct migaccel_chunk *chunk;
		unsigned int n = 0;

		KUNIT_ASSERT_NOT_NULL(test, job);
		job->stats = &stats;
		for (i = 0; i < 3; i++) {
			struct migaccel_jop *jop = &job->ops[i];

			jop->op.opcode = MIGACCEL_OP_ZERO_SCAN;
			jop->class = MIGACCEL_CLASS_DSA;
			jop->src = page;
			/* One chunk each. */
			KUNIT_ASSERT_EQ(test, migaccel_job_add_chunk(job, jop->class,
								     &i, 1), 0);
		}
		if (cases[c].fault) {
			job->fault.kind = MIGACCEL_INJECT_SLOW;
			job->fault.delay_ms = 1;
		}
		if (cases[c].runner)
			job->runner = current;
		migaccel_job_start(job);
		list_for_each_entry(chunk, &job->deferred, node) {
			KUNIT_EXPECT_EQ(test, atomic_read(&chunk->state),
					MIGACCEL_CHUNK_INFLIGHT);
			n++;
		}
		KUNIT_EXPECT_EQ_MSG(test, n, cases[c].deferred, "case %u", c);
		KUNIT_ASSERT_EQ(test, migaccel_job_wait(job, HZ * 10), 0);
		KUNIT_EXPECT_TRUE(test, list_empty(&job->deferred));
		for (i = 0; i < 3; i++) {
			KUNIT_EXPECT_EQ(test, atomic_read(&job->chunks[i]->state),
					MIGACCEL_CHUNK_DONE);
			KUNIT_EXPECT_FALSE(test, migaccel_op_finish(&job->ops[i]));
			KUNIT_EXPECT_EQ(test, job->ops[i].op.out_result, 1);
		}
		migaccel_job_put(job);
	}
	__free_page(page);
}

static struct kunit_case migaccel_finish_cases[] = {
	KUNIT_CASE_PARAM(finish_operation, finish_gen_params),
	KUNIT_CASE(finish_compress_overflow_record_is_raw),
	KUNIT_CASE(finish_compress_status_0x0b_is_redone),
	KUNIT_CASE(finish_compress_bad_stream_is_redone),
	KUNIT_CASE(finish_decompress_short_success_goes_to_cpu),
	KUNIT_CASE(finish_delta_below_dsa_minimum),
	KUNIT_CASE(finish_delta_fault_with_result_continues),
	KUNIT_CASE(runner_runs_one_chunk_itself),
	{}
};

static struct kunit_suite migaccel_finish_suite = {
	.name = "migaccel_finish",
	.test_cases = migaccel_finish_cases,
};

/* ---- migaccel_crc64: migaccel_crc64_be() against crc64_be() ---- */

#define CRC64_BUF_SIZE	(2 * PAGE_SIZE + 64)

/* The reference: the kernel's byte-at-a-time table CRC, not ours. */
static u64 ref_crc64_we(const void *p, size_t len)
{
	return ~crc64_be(~0ull, p, len);
}

static u8 *crc64_random_buf(struct kunit *test)
{
	u8 *p = buf(test, CRC64_BUF_SIZE);

	get_random_bytes(p, CRC64_BUF_SIZE);
	return p;
}

/* CRC-64/WE of "123456789", and of a page, whichever path runs. */
static void crc64_check_value(struct kunit *test)
{
	u8 *page = buf(test, PAGE_SIZE);
	u32 i;

	KUNIT_EXPECT_EQ(test, ~migaccel_crc64_be(~0ull, "123456789", 9),
			0x62ec59e3f1a4f00aull);
	for (i = 0; i < PAGE_SIZE; i++)
		page[i] = "123456789"[i % 9];
	KUNIT_EXPECT_EQ(test, migaccel_cpu_crc64(page, PAGE_SIZE),
			ref_crc64_we(page, PAGE_SIZE));
#ifdef CONFIG_X86_64
	KUNIT_EXPECT_EQ(test, migaccel_crc64_pclmul_enabled(),
			boot_cpu_has(X86_FEATURE_PCLMULQDQ) &&
			boot_cpu_has(X86_FEATURE_SSSE3));
#endif
	kunit_info(test, "PCLMULQDQ path %s\n",
		   migaccel_crc64_pclmul_enabled() ? "enabled" : "disabled");
}

/* The high 64 bits of the carry-less product of @a and @b. */
static u64 clmul_hi(u64 a, u64 b)
{
	u64 hi = 0;
	int i;

	for (i = 1; i < 64; i++)
		if (b & BIT_ULL(i))
			hi ^= a >> (64 - i);
	return hi;
}

/*
 * The folding constants, checked independently of how they are computed:
 * x^k mod P is crc64_be() of the message x^(k - 64), and
 * mu = floor(x^128 / P) leaves x^128 - mu * P of degree below 64.
 */
static void crc64_constants(struct kunit *test)
{
	static const unsigned int pows[] = { 64, 72, 128, 192, 512, 576 };
	u8 *msg = buf(test, 128);
	u64 mu = migaccel_crc64_mu(), poly = migaccel_crc64_xpow(64);
	unsigned int i, k;

	KUNIT_EXPECT_EQ(test, migaccel_crc64_xpow(0), 1);
	KUNIT_EXPECT_EQ(test, migaccel_crc64_xpow(63), BIT_ULL(63));
	KUNIT_EXPECT_EQ(test, poly, MIGACCEL_CRC64_POLY);
	for (i = 0; i < ARRAY_SIZE(pows); i++) {
		k = pows[i] - 64;
		memset(msg, 0, 128);
		msg[0] = 1;
		KUNIT_EXPECT_EQ_MSG(test, migaccel_crc64_xpow(pows[i]),
				    crc64_be(0, msg, k / 8 + 1), "x^%u",
				    pows[i]);
	}
	/* (x^64 + mu) (x^64 + P): x^128, then mu + P + hi(mu P) at x^64. */
	KUNIT_EXPECT_EQ(test, clmul_hi(mu, poly), mu ^ poly);
	KUNIT_EXPECT_EQ(test, mu, 0x578d29d06cc4f872ull);
}

/* Every length to 300 bytes, at each of 16 alignments, with a seed. */
static void crc64_short_lengths(struct kunit *test)
{
	u8 *p = crc64_random_buf(test);
	u32 len, off;
	u64 seed;

	for (len = 0; len <= 300; len++) {
		for (off = 0; off < 16; off++) {
			KUNIT_EXPECT_EQ_MSG(test,
					    ~migaccel_crc64_be(~0ull, p + off,
							       len),
					    ref_crc64_we(p + off, len),
					    "len %u offset %u", len, off);
			seed = get_random_u64();
			KUNIT_EXPECT_EQ_MSG(test,
					    migaccel_crc64_be(seed, p + off,
							      len),
					    crc64_be(seed, p + off, len),
					    "len %u offset %u seed %llx", len,
					    off, seed);
		}
	}
}

/* Pages and odd sizes past them, random offsets, and chaining. */
static void crc64_long_lengths(struct kunit *test)
{
	static const u32 lens[] = { 4095, 4096, 4097, 4111, 4160, 8191 };
	u8 *p = crc64_random_buf(test);
	u32 i, len, off, cut;
	u64 crc;

	KUNIT_EXPECT_EQ(test, migaccel_cpu_crc64(p, PAGE_SIZE),
			ref_crc64_we(p, PAGE_SIZE));
	for (i = 0; i < ARRAY_SIZE(lens) + 64; i++) {
		len = i < ARRAY_SIZE(lens) ? lens[i] :
		      get_random_u32_below(2 * PAGE_SIZE) + 1;
		off = get_random_u32_below(64);
		KUNIT_EXPECT_EQ_MSG(test,
				    ~migaccel_crc64_be(~0ull, p + off, len),
				    ref_crc64_we(p + off, len),
				    "len %u offset %u", len, off);
		/* Two pieces cut anywhere give the whole. */
		cut = get_random_u32_below(len + 1);
		crc = migaccel_crc64_be(~0ull, p + off, cut);
		crc = migaccel_crc64_be(crc, p + off + cut, len - cut);
		KUNIT_EXPECT_EQ_MSG(test, ~crc, ref_crc64_we(p + off, len),
				    "len %u offset %u cut %u", len, off, cut);
	}
}

/*
 * Inside kernel_fpu_begin(), irq_fpu_usable() is false: the CRC must
 * come from the fallback, and the same.
 */
static void crc64_fallback_without_fpu(struct kunit *test)
{
	static const u32 lens[] = { 0, 9, 63, 64, 65, 300, 4096, 4097, 8191 };
	u64 got[ARRAY_SIZE(lens)];
	u8 *p = crc64_random_buf(test);
	u32 i;

#ifdef CONFIG_X86_64
	kernel_fpu_begin();
#endif
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		got[i] = migaccel_cpu_crc64(p + i, lens[i]);
#ifdef CONFIG_X86_64
	kernel_fpu_end();
#endif
	for (i = 0; i < ARRAY_SIZE(lens); i++)
		KUNIT_EXPECT_EQ_MSG(test, got[i], ref_crc64_we(p + i, lens[i]),
				    "len %u", lens[i]);
}

static struct kunit_case migaccel_crc64_cases[] = {
	KUNIT_CASE(crc64_check_value),
	KUNIT_CASE(crc64_constants),
	KUNIT_CASE(crc64_short_lengths),
	KUNIT_CASE(crc64_long_lengths),
	KUNIT_CASE(crc64_fallback_without_fpu),
	{}
};

static struct kunit_suite migaccel_crc64_suite = {
	.name = "migaccel_crc64",
	.test_cases = migaccel_crc64_cases,
};

#define ZERO_BUF_SIZE	(8192 + 64)

/*
 * Every position of one nonzero byte (of each bit's worth: 0x01, 0x80),
 * at every length that matters around the 256-byte step and a page, at
 * aligned and unaligned starts: both paths give the byte-wise answer.
 */
static void zero_prefix_one_byte(struct kunit *test)
{
	static const size_t lens[] = { 0, 1, 255, 256, 257, 511, 512, 4095,
				       4096, 4097, 8192 };
	static const unsigned int offs[] = { 0, 1, 8, 32, 63 };
	u8 *b = buf(test, ZERO_BUF_SIZE);
	unsigned int o, l, bad = 0;
	size_t pos, want;

	for (o = 0; o < ARRAY_SIZE(offs); o++) {
		u8 *p = b + offs[o];

		for (l = 0; l < ARRAY_SIZE(lens); l++) {
			size_t len = lens[l];

			/* Reading past the end: zero_prefix_ends_at_guard_page. */
			KUNIT_EXPECT_EQ(test, migaccel_zero_prefix(p, len),
					len & ~(size_t)255);
			for (pos = 0; pos < len; pos += pos < 600 ? 1 : 13) {
				size_t simd, words;

				p[pos] = pos & 1 ? 0x80 : 0x01;
				/* The 256 bytes holding it, if whole. */
				want = pos < (len & ~(size_t)255) ?
				       pos & ~(size_t)255 : len & ~(size_t)255;
				simd = migaccel_zero_prefix(p, len);
				words = migaccel_zero_prefix_words(p, len);
				if ((simd != want || words != want) && !bad++)
					KUNIT_FAIL(test,
						   "len %zu offset %u byte %zu: %zu/%zu, want %zu",
						   len, offs[o], pos, simd,
						   words, want);
				p[pos] = 0;
			}
		}
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
}

/*
 * Buffers that end where their vmalloc area's guard page begins: a scan
 * that read one byte past the end would fault (the AVX2 path is not
 * instrumented by KASAN).
 */
static void zero_prefix_ends_at_guard_page(struct kunit *test)
{
	static const size_t lens[] = { 256, 4096, 4352, 8192 };
	u8 *v = vzalloc(8192);
	unsigned int l;

	KUNIT_ASSERT_NOT_NULL(test, v);
	for (l = 0; l < ARRAY_SIZE(lens); l++) {
		u8 *p = v + 8192 - lens[l];

		KUNIT_EXPECT_EQ(test, migaccel_zero_prefix(p, lens[l]),
				lens[l]);
		KUNIT_EXPECT_EQ(test, migaccel_zero_prefix_words(p, lens[l]),
				lens[l]);
		p[lens[l] - 1] = 1;
		KUNIT_EXPECT_EQ(test, migaccel_zero_prefix(p, lens[l]),
				lens[l] - 256);
		p[lens[l] - 1] = 0;
	}
	vfree(v);
}

/* migaccel_cpu_zero(page, from) against memchr_inv(), one byte set. */
static void zero_cpu_zero_from(struct kunit *test)
{
	static const u32 froms[] = { 0, 1, 8, 255, 256, 300, 4032, 4095 };
	u8 *page = buf(test, PAGE_SIZE);
	unsigned int f;
	u32 pos;

	for (f = 0; f < ARRAY_SIZE(froms); f++) {
		KUNIT_EXPECT_TRUE(test, migaccel_cpu_zero(page, froms[f]));
		for (pos = 0; pos < PAGE_SIZE; pos += 7) {
			page[pos] = 0x40;
			KUNIT_EXPECT_EQ_MSG(test,
					    migaccel_cpu_zero(page, froms[f]),
					    pos < froms[f], "from %u byte %u",
					    froms[f], pos);
			page[pos] = 0;
		}
	}
}

/*
 * The AVX2 path is on wherever the CPU has AVX2 (the test VMs' -cpu max
 * does), so the cases above ran it; inside kernel_fpu_begin() the word
 * path answers, the same.
 */
static void zero_prefix_paths(struct kunit *test)
{
	u8 *p = buf(test, ZERO_BUF_SIZE);
	size_t got[3];

#ifdef CONFIG_X86_64
	/* Every kernel that runs on AVX2 enables YMM state. */
	if (boot_cpu_has(X86_FEATURE_AVX2))
		KUNIT_EXPECT_TRUE(test, migaccel_zero_prefix_simd());
	kernel_fpu_begin();
#endif
	got[0] = migaccel_zero_prefix(p, 8192);
	p[5000] = 1;
	got[1] = migaccel_zero_prefix(p, 8192);
	got[2] = migaccel_zero_prefix(p + 1, 4999);
#ifdef CONFIG_X86_64
	kernel_fpu_end();
#endif
	KUNIT_EXPECT_EQ(test, got[0], 8192);
	KUNIT_EXPECT_EQ(test, got[1], 4864);
	KUNIT_EXPECT_EQ(test, got[2], 4864);
	kunit_info(test, "AVX2 path %s\n",
		   migaccel_zero_prefix_simd() ? "enabled" : "disabled");
}

static struct kunit_case migaccel_zero_cases[] = {
	KUNIT_CASE(zero_prefix_one_byte),
	KUNIT_CASE(zero_prefix_ends_at_guard_page),
	KUNIT_CASE(zero_cpu_zero_from),
	KUNIT_CASE(zero_prefix_paths),
	{}
};

static struct kunit_suite migaccel_zero_suite = {
	.name = "migaccel_zero",
	.test_cases = migaccel_zero_cases,
};

kunit_test_suites(&migaccel_desc_ops_suite, &migaccel_soft_ops_suite,
		  &migaccel_finish_suite, &migaccel_crc64_suite,
		  &migaccel_zero_suite);
