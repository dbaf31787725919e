// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for every operation: the descriptor each builder writes,
 * what the soft engine does with it (CRC32C against the RFC 3720 vectors,
 * CRC-64/WE against its check value, delta records, deflate), and how each
 * completion status is read back and finished on the CPU.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>

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

static void desc_iax_builders(struct kunit *test)
{
	struct iax_hw_desc d;

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_compress(&d, 0x1000, 4096, 0x2000, 4095, 0x9000, 1088,
			       0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, IAX_OPCODE_COMPRESS);
	KUNIT_EXPECT_EQ(test, (u32)d.flags, IDXD_OP_FLAG_CRAV |
			IDXD_OP_FLAG_RCR | IDXD_OP_FLAG_RD_SRC2_AECS);
	KUNIT_EXPECT_EQ(test, d.src1_addr, 0x1000);
	KUNIT_EXPECT_EQ(test, d.src1_size, 4096);
	KUNIT_EXPECT_EQ(test, d.dst_addr, 0x2000);
	KUNIT_EXPECT_EQ(test, d.max_dst_size, 4095);
	KUNIT_EXPECT_EQ(test, d.src2_addr, 0x9000);
	KUNIT_EXPECT_EQ(test, d.src2_size, 1088);
	KUNIT_EXPECT_EQ(test, d.compr_flags, MIGACCEL_IAA_COMP_FLUSH |
			MIGACCEL_IAA_COMP_APPEND_EOB);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_compress(&d, 0x1000, 4096, 0x2000, 4095, 0, 0, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.flags, IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_decompress(&d, 0x1000, 777, 0x2000, 4096, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, IAX_OPCODE_DECOMPRESS);
	KUNIT_EXPECT_EQ(test, d.src1_size, 777);
	KUNIT_EXPECT_EQ(test, d.decompr_flags, MIGACCEL_IAA_DECOMP_ENABLE |
			MIGACCEL_IAA_DECOMP_FLUSH | MIGACCEL_IAA_DECOMP_CHECK_EOB |
			MIGACCEL_IAA_DECOMP_STOP_EOB);
	KUNIT_EXPECT_EQ(test, d.src2_addr, 0);

	memset(&d, 0xa5, sizeof(d));
	migaccel_desc_crc64(&d, 0x1000, 4096, 0x3000);
	KUNIT_EXPECT_EQ(test, (u32)d.opcode, IAX_OPCODE_CRC64);
	KUNIT_EXPECT_EQ(test, d.compr_flags, MIGACCEL_IAA_CRC64_INV);
	KUNIT_EXPECT_EQ(test, (u64)d.num_inputs << 32 | d.filter_flags,
			MIGACCEL_CRC64_POLY);
}

static struct kunit_case migaccel_desc_ops_cases[] = {
	KUNIT_CASE(desc_dsa_builders),
	KUNIT_CASE(desc_iax_builders),
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

static void soft_crc64_check_value(struct kunit *test)
{
	struct iax_completion_record *comp = buf(test, 64);
	u8 *data = buf(test, 64);
	struct iax_hw_desc d;

	memcpy(data, "123456789", 9);
	migaccel_desc_crc64(&d, pa(data), 9, pa(comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, migaccel_comp_crc64(comp), 0x62ec59e3f1a4f00aull);
	/* Another polynomial is not something the soft engine knows. */
	d.filter_flags ^= 1;
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_INVALID_COMP_FLAG);
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

	/* One entry of room: the record would overflow. */
	d.max_delta_size = MIGACCEL_DELTA_ENTRY_SIZE;
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->result, MIGACCEL_DELTA_RES_OVERFLOW);

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

	/* Random bytes do not fit in less than a page. */
	get_random_bytes(page, PAGE_SIZE);
	migaccel_desc_compress(&d, pa(page), PAGE_SIZE, pa(out), PAGE_SIZE - 1,
			       0, 0, pa(comp));
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_iax(&d, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, IAX_COMP_OUTBUF_OVERFLOW);
}

static struct kunit_case migaccel_soft_ops_cases[] = {
	KUNIT_CASE_PARAM(soft_crcgen_rfc3720_vectors, crc_gen_params),
	KUNIT_CASE(soft_crcgen_fault_leaves_partial_crc),
	KUNIT_CASE(soft_crc64_check_value),
	KUNIT_CASE(soft_memmove_copies_and_faults),
	KUNIT_CASE(soft_delta_round_trip),
	KUNIT_CASE(soft_deflate_round_trip),
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

static struct kunit_case migaccel_finish_cases[] = {
	KUNIT_CASE_PARAM(finish_operation, finish_gen_params),
	{}
};

static struct kunit_suite migaccel_finish_suite = {
	.name = "migaccel_finish",
	.test_cases = migaccel_finish_cases,
};

kunit_test_suites(&migaccel_desc_ops_suite, &migaccel_soft_ops_suite,
		  &migaccel_finish_suite);
