// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for migaccel: descriptor builders, the soft engine's
 * compare-pattern and batch semantics, and the job path through the soft
 * engine's workers.  Loaded next to migaccel.ko on a CONFIG_KUNIT kernel.
 */
#include <kunit/test.h>
#include <linux/gfp.h>
#include <linux/delay.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/spinlock.h>

#include <linux/migaccel_nl.h>
#include "../migaccel.h"

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

/* A completion record the soft engine may write: 32-byte aligned. */
static struct dsa_completion_record *test_comp(struct kunit *test)
{
	struct dsa_completion_record *comp;

	comp = kunit_kzalloc(test, sizeof(*comp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, comp);
	KUNIT_ASSERT_EQ(test, (unsigned long)comp & 31, 0);
	return comp;
}

static struct page *test_page(struct kunit *test, unsigned int order)
{
	struct page *page = alloc_pages(GFP_KERNEL | __GFP_ZERO, order);

	KUNIT_ASSERT_NOT_NULL(test, page);
	return page;
}

/* ---- migaccel_desc: what would be sent to hardware ---- */

struct compval_desc_case {
	const char *name;
	u64 src;
	u32 len;
	u64 pattern;
	u64 comp;
};

static const struct compval_desc_case compval_desc_cases[] = {
	{ "zero_scan_page", 0x1000, 4096, 0, 0x2000 },
	{ "pattern_ones", 0x123000, 4096, ~0ull, 0x5e0 },
	{ "large_address", 0xffff00000000ull, 8192, 0x0102030405060708ull,
	  0xfffff000ull },
};

static void compval_desc_case_desc(const struct compval_desc_case *c,
				   char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(compval_desc, compval_desc_cases, compval_desc_case_desc);

static void desc_compval_fields(struct kunit *test)
{
	const struct compval_desc_case *c = test->param_value;
	struct dsa_hw_desc desc;

	memset(&desc, 0xa5, sizeof(desc));
	migaccel_desc_compval(&desc, c->src, c->len, c->pattern, c->comp);

	KUNIT_EXPECT_EQ(test, (u32)desc.opcode, DSA_OPCODE_COMPVAL);
	KUNIT_EXPECT_EQ(test, (u32)desc.flags, IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR);
	KUNIT_EXPECT_EQ(test, desc.src_addr, c->src);
	KUNIT_EXPECT_EQ(test, desc.xfer_size, c->len);
	KUNIT_EXPECT_EQ(test, desc.comp_pattern, c->pattern);
	KUNIT_EXPECT_EQ(test, desc.completion_addr, c->comp);
	/* Kernel descriptors: no PASID, user privilege, no interrupt handle. */
	KUNIT_EXPECT_EQ(test, (u32)desc.pasid, 0);
	KUNIT_EXPECT_EQ(test, (u32)desc.priv, 0);
	KUNIT_EXPECT_EQ(test, desc.int_handle, 0);
	KUNIT_EXPECT_EQ(test, desc.expected_res, 0);
}

static void desc_batch_fields(struct kunit *test)
{
	struct dsa_hw_desc desc;

	memset(&desc, 0x5a, sizeof(desc));
	migaccel_desc_batch(&desc, 0x40000, 128, 0x7fe0);

	KUNIT_EXPECT_EQ(test, (u32)desc.opcode, DSA_OPCODE_BATCH);
	KUNIT_EXPECT_EQ(test, (u32)desc.flags, IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR);
	KUNIT_EXPECT_EQ(test, desc.desc_list_addr, 0x40000);
	KUNIT_EXPECT_EQ(test, desc.desc_count, 128);
	KUNIT_EXPECT_EQ(test, desc.completion_addr, 0x7fe0);
	KUNIT_EXPECT_EQ(test, (u32)desc.pasid, 0);
	KUNIT_EXPECT_EQ(test, (u32)desc.priv, 0);
	KUNIT_EXPECT_EQ(test, desc.int_handle, 0);
}

static struct kunit_case migaccel_desc_cases[] = {
	KUNIT_CASE_PARAM(desc_compval_fields, compval_desc_gen_params),
	KUNIT_CASE(desc_batch_fields),
	{}
};

static struct kunit_suite migaccel_desc_suite = {
	.name = "migaccel_desc",
	.test_cases = migaccel_desc_cases,
};

/* ---- migaccel_soft: compare-pattern semantics of the soft engine ---- */

#define NO_BYTE (-1)

/*
 * bytes_completed on a difference: DML's reference model reports the
 * offset of the 8-byte word holding it; the DSA specification promises
 * only that it is at most the first difference.
 */
struct compval_case {
	const char *name;
	int nonzero_at;		/* offset of the one non-zero byte, or NO_BYTE */
	u8 result;
	u32 bytes_completed;	/* DML's value */
};

static const struct compval_case compval_cases[] = {
	{ "zero_page", NO_BYTE, 0, 4096 },
	{ "first_byte", 0, 1, 0 },
	{ "second_byte", 1, 1, 0 },
	{ "middle_byte", 2048, 1, 2048 },
	{ "unaligned_middle", 2053, 1, 2048 },
	{ "last_byte", 4095, 1, 4088 },
};

static void compval_case_desc(const struct compval_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(compval, compval_cases, compval_case_desc);

static void soft_compval_zero_pattern(struct kunit *test)
{
	const struct compval_case *c = test->param_value;
	struct dsa_completion_record *comp = test_comp(test);
	struct page *page = test_page(test, 0);
	struct dsa_hw_desc desc;

	if (c->nonzero_at != NO_BYTE)
		memset_page(page, c->nonzero_at, 0x01, 1);
	migaccel_desc_compval(&desc, page_to_phys(page), PAGE_SIZE, 0,
			      virt_to_phys(comp));
	migaccel_soft_exec_dsa(&desc, NULL);

	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->result, c->result);
	KUNIT_EXPECT_EQ(test, comp->bytes_completed, c->bytes_completed);
	if (c->nonzero_at != NO_BYTE)
		KUNIT_EXPECT_LE(test, comp->bytes_completed, c->nonzero_at);
	KUNIT_EXPECT_EQ(test, comp->fault_addr, 0);
	__free_page(page);
}

/* A pattern is compared byte by byte in little-endian order. */
static void soft_compval_nonzero_pattern(struct kunit *test)
{
	struct dsa_completion_record *comp = test_comp(test);
	struct page *page = test_page(test, 0);
	u64 pattern = 0x8877665544332211ull;
	struct dsa_hw_desc desc;
	u8 *va;
	int i;

	va = kmap_local_page(page);
	for (i = 0; i < PAGE_SIZE; i++)
		va[i] = 0x11 * ((i & 7) + 1);
	kunmap_local(va);
	migaccel_desc_compval(&desc, page_to_phys(page), PAGE_SIZE, pattern,
			      virt_to_phys(comp));
	migaccel_soft_exec_dsa(&desc, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->result, 0);

	memset_page(page, 1003, 0x00, 1);
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&desc, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->result, 1);
	/* The word holding byte 1003, as DML reports it. */
	KUNIT_EXPECT_EQ(test, comp->bytes_completed, 1000);
	__free_page(page);
}

/* A transfer spanning two pages is compared across the boundary. */
static void soft_compval_two_pages(struct kunit *test)
{
	struct dsa_completion_record *comp = test_comp(test);
	struct page *page = test_page(test, 1);
	struct dsa_hw_desc desc;

	migaccel_desc_compval(&desc, page_to_phys(page), 2 * PAGE_SIZE, 0,
			      virt_to_phys(comp));
	migaccel_soft_exec_dsa(&desc, NULL);
	KUNIT_EXPECT_EQ(test, comp->result, 0);
	KUNIT_EXPECT_EQ(test, comp->bytes_completed, 2 * PAGE_SIZE);

	memset_page(page + 1, 7, 0xff, 1);
	memset(comp, 0, sizeof(*comp));
	migaccel_soft_exec_dsa(&desc, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, comp->result, 1);
	KUNIT_EXPECT_EQ(test, comp->bytes_completed, PAGE_SIZE);
	__free_pages(page, 1);
}

/* An address with no memory behind it faults without block-on-fault. */
static void soft_compval_unbacked_address_faults(struct kunit *test)
{
	struct dsa_completion_record *comp = test_comp(test);
	u64 nowhere = 1ull << 52;
	struct dsa_hw_desc desc;

	migaccel_desc_compval(&desc, nowhere, PAGE_SIZE, 0, virt_to_phys(comp));
	migaccel_soft_exec_dsa(&desc, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, DSA_COMP_PAGE_FAULT_NOBOF);
	KUNIT_EXPECT_EQ(test, comp->bytes_completed, 0);
	KUNIT_EXPECT_EQ(test, comp->fault_addr, nowhere);
}

struct bad_desc_case {
	const char *name;
	u32 len;
	u32 extra_flags;
	u8 opcode;
	u8 status;
};

static const struct bad_desc_case bad_desc_cases[] = {
	{ "zero_length", 0, 0, DSA_OPCODE_COMPVAL, DSA_COMP_XFER_ERANGE },
	{ "too_long", (2u << 20) + 1, 0, DSA_OPCODE_COMPVAL,
	  DSA_COMP_XFER_ERANGE },
	{ "unknown_flag", 4096, 1u << 23, DSA_OPCODE_COMPVAL,
	  DSA_COMP_INVALID_FLAGS },
	{ "unknown_opcode", 4096, 0, 0x7f, DSA_COMP_BAD_OPCODE },
};

static void bad_desc_case_desc(const struct bad_desc_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad_desc, bad_desc_cases, bad_desc_case_desc);

static void soft_rejects_bad_descriptor(struct kunit *test)
{
	const struct bad_desc_case *c = test->param_value;
	struct dsa_completion_record *comp = test_comp(test);
	struct page *page = test_page(test, 0);
	struct dsa_hw_desc desc;

	migaccel_desc_compval(&desc, page_to_phys(page), c->len, 0,
			      virt_to_phys(comp));
	desc.flags |= c->extra_flags;
	desc.opcode = c->opcode;
	migaccel_soft_exec_dsa(&desc, NULL);
	KUNIT_EXPECT_EQ(test, comp->status, c->status);
	__free_page(page);
}

static struct kunit_case migaccel_soft_cases[] = {
	KUNIT_CASE_PARAM(soft_compval_zero_pattern, compval_gen_params),
	KUNIT_CASE(soft_compval_nonzero_pattern),
	KUNIT_CASE(soft_compval_two_pages),
	KUNIT_CASE(soft_compval_unbacked_address_faults),
	KUNIT_CASE_PARAM(soft_rejects_bad_descriptor, bad_desc_gen_params),
	{}
};

static struct kunit_suite migaccel_soft_suite = {
	.name = "migaccel_soft",
	.test_cases = migaccel_soft_cases,
};

/* ---- migaccel_batch: batch descriptors and their completion records ---- */

#define TEST_BATCH 16

struct test_batch {
	struct dsa_hw_desc descs[TEST_BATCH];
	struct dsa_completion_record comps[TEST_BATCH];
	struct dsa_completion_record batch_comp;
	struct page *pages[TEST_BATCH];
};

static struct test_batch *test_batch_new(struct kunit *test)
{
	struct test_batch *tb;
	int i;

	/* kmalloc of a power-of-two size is naturally aligned. */
	BUILD_BUG_ON(sizeof(*tb) > 2048);
	tb = kunit_kzalloc(test, 2048, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tb);
	for (i = 0; i < TEST_BATCH; i++) {
		tb->pages[i] = test_page(test, 0);
		/* Odd pages get one non-zero byte at a page-dependent offset. */
		if (i & 1)
			memset_page(tb->pages[i], i * 200, 0x80, 1);
		migaccel_desc_compval(&tb->descs[i], page_to_phys(tb->pages[i]),
				      PAGE_SIZE, 0, virt_to_phys(&tb->comps[i]));
	}
	return tb;
}

static void test_batch_free(struct test_batch *tb)
{
	int i;

	for (i = 0; i < TEST_BATCH; i++)
		__free_page(tb->pages[i]);
}

static void soft_batch_all_members_complete(struct kunit *test)
{
	struct test_batch *tb = test_batch_new(test);
	struct dsa_hw_desc batch;
	int i;

	migaccel_desc_batch(&batch, virt_to_phys(tb->descs), TEST_BATCH,
			    virt_to_phys(&tb->batch_comp));
	migaccel_soft_exec_dsa(&batch, NULL);

	KUNIT_EXPECT_EQ(test, tb->batch_comp.status, DSA_COMP_SUCCESS);
	KUNIT_EXPECT_EQ(test, tb->batch_comp.descs_completed, TEST_BATCH);
	for (i = 0; i < TEST_BATCH; i++) {
		KUNIT_EXPECT_EQ(test, tb->comps[i].status, DSA_COMP_SUCCESS);
		KUNIT_EXPECT_EQ(test, tb->comps[i].result, i & 1);
		KUNIT_EXPECT_EQ(test, tb->comps[i].bytes_completed,
				i & 1 ? i * 200 : PAGE_SIZE);
	}
	test_batch_free(tb);
}

/* One failing member fails the batch; the others still complete. */
static void soft_batch_member_failure_is_batch_fail(struct kunit *test)
{
	struct test_batch *tb = test_batch_new(test);
	struct dsa_hw_desc batch;
	int i;

	tb->descs[5].xfer_size = 0;
	migaccel_desc_batch(&batch, virt_to_phys(tb->descs), TEST_BATCH,
			    virt_to_phys(&tb->batch_comp));
	migaccel_soft_exec_dsa(&batch, NULL);

	KUNIT_EXPECT_EQ(test, tb->batch_comp.status, DSA_COMP_BATCH_FAIL);
	KUNIT_EXPECT_EQ(test, tb->batch_comp.descs_completed, TEST_BATCH);
	for (i = 0; i < TEST_BATCH; i++)
		KUNIT_EXPECT_EQ(test, tb->comps[i].status,
				i == 5 ? DSA_COMP_XFER_ERANGE : DSA_COMP_SUCCESS);
	test_batch_free(tb);
}

static void soft_batch_rejects_nested_batch(struct kunit *test)
{
	struct test_batch *tb = test_batch_new(test);
	struct dsa_hw_desc batch;

	migaccel_desc_batch(&tb->descs[3], virt_to_phys(tb->descs), 2,
			    virt_to_phys(&tb->comps[3]));
	migaccel_desc_batch(&batch, virt_to_phys(tb->descs), TEST_BATCH,
			    virt_to_phys(&tb->batch_comp));
	migaccel_soft_exec_dsa(&batch, NULL);

	KUNIT_EXPECT_EQ(test, tb->batch_comp.status, DSA_COMP_BATCH_FAIL);
	KUNIT_EXPECT_EQ(test, tb->comps[3].status, DSA_COMP_BAD_OPCODE);
	test_batch_free(tb);
}

static void soft_batch_rejects_bad_count(struct kunit *test)
{
	struct test_batch *tb = test_batch_new(test);
	struct dsa_hw_desc batch;

	migaccel_desc_batch(&batch, virt_to_phys(tb->descs), 1,
			    virt_to_phys(&tb->batch_comp));
	migaccel_soft_exec_dsa(&batch, NULL);
	KUNIT_EXPECT_EQ(test, tb->batch_comp.status, DSA_COMP_DESC_CNT_ERANGE);
	/* Nothing of the list ran. */
	KUNIT_EXPECT_EQ(test, tb->comps[0].status, DSA_COMP_NONE);
	test_batch_free(tb);
}

static void soft_batch_rejects_unaligned_list(struct kunit *test)
{
	struct test_batch *tb = test_batch_new(test);
	struct dsa_hw_desc batch;

	migaccel_desc_batch(&batch, virt_to_phys(tb->descs) + 32, 2,
			    virt_to_phys(&tb->batch_comp));
	migaccel_soft_exec_dsa(&batch, NULL);
	KUNIT_EXPECT_EQ(test, tb->batch_comp.status, DSA_COMP_DESCLIST_ALIGN);
	test_batch_free(tb);
}

struct comp_read_case {
	const char *name;
	u8 status;
	u8 result;
	u32 bytes_completed;
	bool decided;
	u32 resume;
};

static const struct comp_read_case comp_read_cases[] = {
	{ "success_zero", DSA_COMP_SUCCESS, 0, 4096, true, 0 },
	{ "success_mismatch", DSA_COMP_SUCCESS, 1, 17, true, 0 },
	{ "status_write_bit", DSA_COMP_SUCCESS | DSA_COMP_STATUS_WRITE, 0,
	  4096, true, 0 },
	{ "fault_resumes", DSA_COMP_PAGE_FAULT_NOBOF, 0, 1024, false, 1024 },
	/* A difference found before the fault decides: no resume. */
	{ "fault_with_difference", DSA_COMP_PAGE_FAULT_NOBOF, 1, 1024, true,
	  0 },
	{ "fault_past_end", DSA_COMP_PAGE_FAULT_NOBOF, 0, 8192, false, 0 },
	{ "never_written", DSA_COMP_NONE, 0, 0, false, 0 },
	{ "error_restarts", DSA_COMP_XFER_ERANGE, 0, 2048, false, 0 },
};

static void comp_read_case_desc(const struct comp_read_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(comp_read, comp_read_cases, comp_read_case_desc);

static void comp_zero_page_outcome(struct kunit *test)
{
	const struct comp_read_case *c = test->param_value;
	struct dsa_completion_record comp = {
		.status = c->status,
		.result = c->result,
		.bytes_completed = c->bytes_completed,
	};
	u32 resume = 12345;

	KUNIT_EXPECT_EQ(test, migaccel_comp_zero_page(&comp, 4096, &resume),
			c->decided);
	KUNIT_EXPECT_EQ(test, resume, c->resume);
}

/* Through the job path: chunks, the soft engine's workers, CPU finish. */
static void job_zero_scan_through_workers(struct kunit *test)
{
	unsigned int nr = MIGACCEL_CHUNK_DESCS + 3, i;
	unsigned int idx[MIGACCEL_CHUNK_DESCS];
	struct migaccel_stats stats = {};
	struct migaccel_job *job;
	u32 on_cpu = 0;

	job = migaccel_job_alloc(nr);
	KUNIT_ASSERT_NOT_NULL(test, job);
	job->stats = &stats;
	for (i = 0; i < nr; i++) {
		job->ops[i].op.opcode = MIGACCEL_OP_ZERO_SCAN;
		job->ops[i].src = test_page(test, 0);
		if (i % 3 == 0)
			memset_page(job->ops[i].src, (i * 37) % PAGE_SIZE, 1, 1);
	}
	for (i = 0; i < MIGACCEL_CHUNK_DESCS; i++)
		idx[i] = i;
	KUNIT_ASSERT_EQ(test, migaccel_job_add_chunk(job, MIGACCEL_CLASS_DSA,
						     idx, MIGACCEL_CHUNK_DESCS), 0);
	for (i = 0; i < 3; i++)
		idx[i] = MIGACCEL_CHUNK_DESCS + i;
	KUNIT_ASSERT_EQ(test, migaccel_job_add_chunk(job, MIGACCEL_CLASS_DSA,
						     idx, 3), 0);
	/* Make op 129 fault at byte 8: the CPU must finish that page. */
	job->fault.kind = MIGACCEL_INJECT_PAGEFAULT;
	job->fault.desc = MIGACCEL_CHUNK_DESCS + 1;
	job->fault.byte = 8;

	KUNIT_ASSERT_EQ(test, migaccel_job_run(job), 0);
	KUNIT_EXPECT_EQ(test, job->chunks[0]->batch.desc_count,
			MIGACCEL_CHUNK_DESCS);
	KUNIT_EXPECT_EQ(test, job->chunks[0]->batch.desc_list_addr,
			virt_to_phys(job->chunks[0]->descs));
	KUNIT_EXPECT_EQ(test, job->chunks[1]->batch_comp.status,
			DSA_COMP_BATCH_FAIL);
	for (i = 0; i < nr; i++) {
		on_cpu += migaccel_op_finish(&job->ops[i]);
		KUNIT_EXPECT_EQ_MSG(test, job->ops[i].op.out_result,
				    (u64)(i % 3 != 0), "page %u", i);
	}
	KUNIT_EXPECT_EQ(test, on_cpu, 1);
	for (i = 0; i < nr; i++) {
		__free_page(job->ops[i].src);
		job->ops[i].src = NULL;
	}
	migaccel_job_put(job);
}

/* A single operation is submitted as itself: DSA needs two in a batch. */
static void job_single_op_is_not_batched(struct kunit *test)
{
	struct migaccel_stats stats = {};
	struct migaccel_job *job;
	unsigned int idx = 0;

	job = migaccel_job_alloc(1);
	KUNIT_ASSERT_NOT_NULL(test, job);
	job->stats = &stats;
	job->ops[0].op.opcode = MIGACCEL_OP_ZERO_SCAN;
	job->ops[0].src = test_page(test, 0);
	KUNIT_ASSERT_EQ(test, migaccel_job_add_chunk(job, MIGACCEL_CLASS_DSA,
						     &idx, 1), 0);
	KUNIT_ASSERT_EQ(test, migaccel_job_run(job), 0);
	/* The batch descriptor was never built nor written. */
	KUNIT_EXPECT_EQ(test, job->chunks[0]->batch_comp.status, 0);
	KUNIT_EXPECT_EQ(test, job->chunks[0]->comps[0].dsa.status,
			DSA_COMP_SUCCESS);
	KUNIT_EXPECT_FALSE(test, migaccel_op_finish(&job->ops[0]));
	KUNIT_EXPECT_EQ(test, job->ops[0].op.out_result, 1);
	__free_page(job->ops[0].src);
	job->ops[0].src = NULL;
	migaccel_job_put(job);
}

/*
 * A channel keeps its released job for the next batch: a smaller batch
 * reuses it, a larger one gets a new one (kept in turn), a batch after one
 * whose operation failed on the engine starts clean, and every batch gets
 * its own results, not those its operations' slots held before.
 */
static void job_spare_reused_across_batches(struct kunit *test)
{
	static const unsigned int sizes[] = {
		5, 3, MIGACCEL_CHUNK_DESCS + 2, 4, MIGACCEL_CHUNK_DESCS + 2,
	};
	unsigned int npages = MIGACCEL_CHUNK_DESCS + 2, b, i, prev_cap = 0;
	struct migaccel_job *job, *prev = NULL;
	struct migaccel_stats stats = {};
	struct migaccel_channel *ch;
	unsigned int idx[MIGACCEL_CHUNK_DESCS];
	struct page **pages;

	ch = kunit_kzalloc(test, sizeof(*ch), GFP_KERNEL);
	pages = kunit_kcalloc(test, npages, sizeof(*pages), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ch);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	/* The test's reference: no job's put frees the channel. */
	kref_init(&ch->ref);
	init_waitqueue_head(&ch->wait);
	for (i = 0; i < npages; i++)
		pages[i] = test_page(test, 0);

	for (b = 0; b < ARRAY_SIZE(sizes); b++) {
		unsigned int nr = sizes[b], done = 0;
		u32 on_cpu = 0;

		job = migaccel_job_get(ch, nr);
		KUNIT_ASSERT_NOT_NULL(test, job);
		KUNIT_EXPECT_NULL(test, ch->spare);
		/* The kept job when it has room; else it was freed. */
		if (prev && nr <= prev_cap)
			KUNIT_EXPECT_PTR_EQ(test, job, prev);
		KUNIT_EXPECT_EQ(test, job->nr, nr);
		KUNIT_EXPECT_EQ(test, job->nr_chunks, 0);
		kref_get(&ch->ref);
		job->ch = ch;
		job->stats = &stats;
		for (i = 0; i < nr; i++) {
			struct migaccel_jop *jop = &job->ops[i];
			bool dirty = (i + b) % 3 == 0;

			/* Every field a batch sets; the rest is left as it was. */
			memset(&jop->op, 0, sizeof(jop->op));
			jop->op.opcode = MIGACCEL_OP_ZERO_SCAN;
			jop->class = MIGACCEL_CLASS_DSA;
			jop->src = pages[i];
			jop->src2 = NULL;
			jop->dst = NULL;
			jop->nr_ubuf = 0;
			jop->region = NULL;
			jop->buf_region = NULL;
			KUNIT_EXPECT_EQ(test, jop->pinned, 0);
			memset_page(pages[i], (i * 37) % PAGE_SIZE, dirty, 1);
		}
		while (done < nr) {
			unsigned int n = min(nr - done, MIGACCEL_CHUNK_DESCS);

			for (i = 0; i < n; i++)
				idx[i] = done + i;
			KUNIT_ASSERT_EQ(test,
					migaccel_job_add_chunk(job,
							       MIGACCEL_CLASS_DSA,
							       idx, n), 0);
			done += n;
		}
		/* Batch 1: op 1 ends in an error, the CPU finishes it. */
		if (b == 1) {
			job->fault.kind = MIGACCEL_INJECT_ERROR;
			job->fault.desc = 1;
		}
		KUNIT_ASSERT_EQ(test, migaccel_job_run(job), 0);
		for (i = 0; i < nr; i++) {
			on_cpu += migaccel_op_finish(&job->ops[i]);
			KUNIT_EXPECT_EQ_MSG(test, job->ops[i].op.out_result,
					    (u64)((i + b) % 3 != 0),
					    "batch %u page %u", b, i);
		}
		KUNIT_EXPECT_EQ_MSG(test, on_cpu, b == 1 ? 1 : 0, "batch %u", b);
		prev = job;
		prev_cap = job->cap;
		migaccel_job_put(job);
		/*
		 * Kept by the channel, not freed: once the soft engine's
		 * worker, which completed the job before it let go of it, has
		 * put its reference too.
		 */
		for (i = 0; i < 250 && READ_ONCE(ch->spare) != prev; i++)
			msleep(20);
		KUNIT_EXPECT_PTR_EQ(test, ch->spare, prev);
	}
	migaccel_job_free_spare(ch);
	KUNIT_EXPECT_NULL(test, ch->spare);
	for (i = 0; i < npages; i++)
		__free_page(pages[i]);
}

static struct kunit_case migaccel_batch_cases[] = {
	KUNIT_CASE(soft_batch_all_members_complete),
	KUNIT_CASE(soft_batch_member_failure_is_batch_fail),
	KUNIT_CASE(soft_batch_rejects_nested_batch),
	KUNIT_CASE(soft_batch_rejects_bad_count),
	KUNIT_CASE(soft_batch_rejects_unaligned_list),
	KUNIT_CASE_PARAM(comp_zero_page_outcome, comp_read_gen_params),
	KUNIT_CASE(job_zero_scan_through_workers),
	KUNIT_CASE(job_single_op_is_not_batched),
	KUNIT_CASE(job_spare_reused_across_batches),
	{}
};

static struct kunit_suite migaccel_batch_suite = {
	.name = "migaccel_batch",
	.test_cases = migaccel_batch_cases,
};

/* ---- migaccel_engine: engine lifetimes and limits ---- */

struct fake_engine {
	struct migaccel_engine engine;
	unsigned int unmapped;
};

static void fake_unmap_region(struct migaccel_engine *engine,
			      struct migaccel_region *region)
{
	struct fake_engine *fe = container_of(engine, struct fake_engine,
					      engine);

	if (region->dma[engine->id]) {
		region->dma[engine->id] = NULL;
		fe->unmapped++;
	}
}

static const struct migaccel_engine_ops fake_ops = {
	.unmap_region = fake_unmap_region,
};

static void fake_engine_init(struct fake_engine *fe, u32 kind, u32 max_batch)
{
	memset(fe, 0, sizeof(*fe));
	fe->engine.name = "kunit";
	fe->engine.kind = kind;
	fe->engine.max_batch = max_batch;
	fe->engine.ops = &fake_ops;
	fe->engine.wq_id = -1;
	fe->engine.numa_node = NUMA_NO_NODE;
}

/*
 * A work queue being removed keeps its engine id until its region
 * mappings are gone: a new engine gets another id, and a region
 * unregistered meanwhile is still unmapped from it.
 */
static void engine_id_outlives_removal(struct kunit *test)
{
	static struct migaccel_region_dma fake_dma;
	struct fake_engine *a, *b;
	struct migaccel_region *r;

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, a && b && r);
	fake_engine_init(a, 0, 1);
	fake_engine_init(b, 0, 1);
	migaccel_engine_add(&a->engine);
	r->dma[a->engine.id] = &fake_dma;
	migaccel_engine_del(&a->engine);

	migaccel_engine_add(&b->engine);
	KUNIT_EXPECT_NE(test, a->engine.id, b->engine.id);
	migaccel_engines_unmap_region(r);
	KUNIT_EXPECT_EQ(test, a->unmapped, 1);
	KUNIT_EXPECT_NULL(test, r->dma[a->engine.id]);

	migaccel_engine_free_id(&a->engine);
	migaccel_engine_del(&b->engine);
	migaccel_engine_free_id(&b->engine);
}

/* IAA chunks are no larger than the smallest descriptor pool. */
static void engine_iaa_chunk_fits_descriptor_pool(struct kunit *test)
{
	struct fake_engine *fe = kunit_kzalloc(test, sizeof(*fe), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fe);
	KUNIT_EXPECT_EQ(test, migaccel_engine_chunk_size(MIGACCEL_CLASS_IAA),
			MIGACCEL_CHUNK_DESCS);
	/* accel-config's example IAA work queue: wq_size 32. */
	fake_engine_init(fe, MIGACCEL_ENGINE_IAA, 32);
	migaccel_engine_add(&fe->engine);
	KUNIT_EXPECT_EQ(test, migaccel_engine_chunk_size(MIGACCEL_CLASS_IAA),
			32);
	KUNIT_EXPECT_EQ(test, migaccel_engine_chunk_size(MIGACCEL_CLASS_DSA),
			MIGACCEL_CHUNK_DESCS);
	migaccel_engine_del(&fe->engine);
	migaccel_engine_free_id(&fe->engine);
}

static struct kunit_case migaccel_engine_cases[] = {
	KUNIT_CASE(engine_id_outlives_removal),
	KUNIT_CASE(engine_iaa_chunk_fits_descriptor_pool),
	{}
};

static struct kunit_suite migaccel_engine_suite = {
	.name = "migaccel_engine",
	.test_cases = migaccel_engine_cases,
};

/*
 * Fair admission, without a clock: the window is filled with jobs that
 * hold it, jobs of two groups queue behind them alternately, and one
 * holder lets go.  The queued jobs (no chunks: each is done as it starts,
 * and frees its room for the next) are admitted one at a time; the order
 * in which they complete must follow the groups' weights in every prefix,
 * as start-time fair queueing promises: group A, with @wa times B's
 * limit, never more than two jobs off wa/(wa+1) of those admitted.
 */
#define QOS_TEST_JOBS	24

struct qos_order {
	spinlock_t lock;	/* the log */
	unsigned int n;
	char log[2 * QOS_TEST_JOBS];
	struct migaccel_job *jobs[2 * QOS_TEST_JOBS];
	char group_of[2 * QOS_TEST_JOBS];
};

static struct qos_order *qos_order;

static void qos_order_notify(struct migaccel_job *job)
{
	struct qos_order *o = qos_order;
	unsigned int i;

	spin_lock(&o->lock);
	for (i = 0; i < 2 * QOS_TEST_JOBS; i++)
		if (o->jobs[i] == job)
			o->log[o->n++] = o->group_of[i];
	spin_unlock(&o->lock);
}

static const unsigned int qos_weights[] = { 1, 2, 3 };

static void qos_weight_desc(const unsigned int *w, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "limits %u:1", *w);
}

KUNIT_ARRAY_PARAM(qos_weight, qos_weights, qos_weight_desc);

static struct migaccel_qos_group *qos_test_group(struct kunit *test, u64 id,
						 u64 quota)
{
	struct migaccel_qos_info info = { .quota = quota, .period_us = 100000 };
	struct migaccel_qos_group *g;

	g = migaccel_qos_group_lookup(MIGACCEL_GROUP_KIND_CGROUP, id, true);
	KUNIT_ASSERT_FALSE(test, IS_ERR(g));
	migaccel_qos_group_set(g, &info, MIGACCEL_QOS_SET_QUOTA |
			       MIGACCEL_QOS_SET_PERIOD);
	return g;
}

static void qos_admission_follows_limits(struct kunit *test)
{
	const unsigned int wa = *(const unsigned int *)test->param_value;
	unsigned int window = migaccel_engine_window(), i, a = 0, b = 0;
	struct migaccel_channel_qos qa = {}, qb = {}, qc = {};
	struct migaccel_job **holders;
	struct qos_order *o;

	KUNIT_ASSERT_GT(test, window, 0);
	o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	holders = kunit_kcalloc(test, window, sizeof(*holders), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_ASSERT_NOT_NULL(test, holders);
	spin_lock_init(&o->lock);
	qos_order = o;
	/* Ids no cgroup has (cgroup ids are inode numbers, counted up). */
	qa.group = qos_test_group(test, (u64)-2 - 2 * wa, wa * 1000000ull);
	qb.group = qos_test_group(test, (u64)-3 - 2 * wa, 1000000ull);
	/* The holders' own, so that neither A nor B starts behind. */
	qc.group = qos_test_group(test, (u64)-1, 1000000ull);

	for (i = 0; i < window; i++) {
		holders[i] = migaccel_job_alloc(1);
		KUNIT_ASSERT_NOT_NULL(test, holders[i]);
		KUNIT_ASSERT_EQ(test, migaccel_qos_admit(&qc, holders[i]), 0);
	}
	for (i = 0; i < 2 * QOS_TEST_JOBS; i++) {
		struct migaccel_job *job = migaccel_job_alloc(1);

		KUNIT_ASSERT_NOT_NULL(test, job);
		job->notify = qos_order_notify;
		o->jobs[i] = job;
		o->group_of[i] = i % 2 ? 'B' : 'A';
		KUNIT_ASSERT_EQ(test, migaccel_qos_admit(i % 2 ? &qb : &qa, job),
				MIGACCEL_QOS_QUEUED);
	}
	/* One place frees: the queue goes through it, one job at a time. */
	migaccel_qos_admit_end(holders[0]);
	/* Each job's notify runs after its completion: wait for the log. */
	for (i = 0; i < 500 && READ_ONCE(o->n) < 2 * QOS_TEST_JOBS; i++)
		msleep(20);
	for (i = 1; i < window; i++)
		migaccel_qos_admit_end(holders[i]);

	KUNIT_EXPECT_EQ(test, o->n, 2 * QOS_TEST_JOBS);
	/* While both groups still had jobs queued. */
	for (i = 0; i < o->n; i++) {
		if (o->log[i] == 'A')
			a++;
		else
			b++;
		if (a == QOS_TEST_JOBS || b == QOS_TEST_JOBS)
			break;
		KUNIT_EXPECT_LE_MSG(test, abs((int)a - (int)(wa * b)), 2 * wa,
				    "after %u admissions: %u of A, %u of B (limits %u:1), order %.*s",
				    i + 1, a, b, wa, (int)o->n, o->log);
	}
	for (i = 0; i < 2 * QOS_TEST_JOBS; i++)
		migaccel_job_put(o->jobs[i]);
	for (i = 0; i < window; i++)
		migaccel_job_put(holders[i]);
	migaccel_qos_group_put(qa.group);
	migaccel_qos_group_put(qb.group);
	migaccel_qos_group_put(qc.group);
	qos_order = NULL;
}

static struct kunit_case migaccel_qos_cases[] = {
	KUNIT_CASE_PARAM(qos_admission_follows_limits, qos_weight_gen_params),
	{}
};

static struct kunit_suite migaccel_qos_suite = {
	.name = "migaccel_qos",
	.test_cases = migaccel_qos_cases,
};

kunit_test_suites(&migaccel_desc_suite, &migaccel_soft_suite,
		  &migaccel_batch_suite, &migaccel_engine_suite,
		  &migaccel_qos_suite);

MODULE_DESCRIPTION("KUnit tests for migaccel");
MODULE_LICENSE("GPL");
