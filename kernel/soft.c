// SPDX-License-Identifier: GPL-2.0
/*
 * The soft engine: a CPU executor that consumes the same DSA descriptors and
 * writes the same completion records as the device.  It is the engine of
 * last resort and the test double for hardware.
 *
 * Addresses in its descriptors are physical: the address a device without
 * an IOMMU would be given.  The soft engine reaches them one page at a time
 * with kmap_local_page(), so it never depends on the direct map.
 */
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/* Largest transfer one descriptor may name, as a typical DSA WQ reports. */
#define SOFT_MAX_XFER		(2u << 20)
#define SOFT_MAX_BATCH		1024u
#define SOFT_KNOWN_FLAGS	(IDXD_OP_FLAG_FENCE | IDXD_OP_FLAG_BOF | \
				 IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR | \
				 IDXD_OP_FLAG_RCI | IDXD_OP_FLAG_CC)

static struct workqueue_struct *soft_wq;

/* A local copy of what the engine will report for one descriptor. */
struct soft_result {
	u8 status;
	u8 result;
	u32 bytes_completed;
	u64 fault_addr;
};

static void soft_write_comp(u64 addr, const struct soft_result *res)
{
	struct dsa_completion_record *comp;
	struct page *page;
	void *va;

	if (!pfn_valid(PHYS_PFN(addr)))
		return;
	page = pfn_to_page(PHYS_PFN(addr));
	va = kmap_local_page(page);
	comp = va + offset_in_page(addr);
	memset((u8 *)comp + 1, 0, sizeof(*comp) - 1);
	comp->result = res->result;
	comp->bytes_completed = res->bytes_completed;
	comp->fault_addr = res->fault_addr;
	/* The status byte is written last: it tells the reader the rest is valid. */
	smp_wmb();
	WRITE_ONCE(comp->status, res->status);
	kunmap_local(va);
}

/*
 * Offset of the first byte in @p[0..@n) that differs from @pattern, whose
 * byte 0 lines up with @phase of the buffer; @n when there is none.
 */
static u32 soft_pattern_mismatch(const u8 *p, u32 n, u64 pattern, u32 phase)
{
	const u8 *pat = (const u8 *)&pattern;
	const u8 *bad;
	u32 i;

	if (pattern == 0 || pattern == ~0ull) {
		bad = memchr_inv(p, pat[0], n);
		return bad ? bad - p : n;
	}
	for (i = 0; i < n; i++)
		if (p[i] != pat[(phase + i) & 7])
			return i;
	return n;
}

static void soft_compval(const struct dsa_hw_desc *desc,
			 struct soft_result *res)
{
	u32 done = 0;

	while (done < desc->xfer_size) {
		u64 pa = desc->src_addr + done;
		u32 n = min_t(u32, desc->xfer_size - done,
			      PAGE_SIZE - offset_in_page(pa));
		u32 off;
		void *va;

		if (!pfn_valid(PHYS_PFN(pa))) {
			res->status = DSA_COMP_PAGE_FAULT_NOBOF;
			res->bytes_completed = done;
			res->fault_addr = pa;
			return;
		}
		va = kmap_local_page(pfn_to_page(PHYS_PFN(pa)));
		off = soft_pattern_mismatch(va + offset_in_page(pa), n,
					    desc->comp_pattern, done);
		kunmap_local(va);
		if (off < n) {
			res->status = DSA_COMP_SUCCESS;
			res->result = 1;
			res->bytes_completed = done + off;
			return;
		}
		done += n;
	}
	res->status = DSA_COMP_SUCCESS;
	res->result = 0;
	res->bytes_completed = done;
}

/* Checks common to every descriptor, in the order a device makes them. */
static bool soft_desc_valid(const struct dsa_hw_desc *desc,
			    struct soft_result *res)
{
	if (desc->flags & ~SOFT_KNOWN_FLAGS) {
		res->status = DSA_COMP_INVALID_FLAGS;
		return false;
	}
	if (desc->completion_addr & 31) {
		res->status = DSA_COMP_CRA_ALIGN;
		return false;
	}
	return true;
}

static void soft_exec_one(const struct dsa_hw_desc *desc,
			  struct soft_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!soft_desc_valid(desc, res))
		return;

	switch (desc->opcode) {
	case DSA_OPCODE_NOOP:
		res->status = DSA_COMP_SUCCESS;
		break;
	case DSA_OPCODE_COMPVAL:
		if (!desc->xfer_size || desc->xfer_size > SOFT_MAX_XFER) {
			res->status = DSA_COMP_XFER_ERANGE;
			break;
		}
		soft_compval(desc, res);
		break;
	default:
		res->status = DSA_COMP_BAD_OPCODE;
		break;
	}
}

static void soft_batch(const struct dsa_hw_desc *batch,
		       struct soft_result *res)
{
	const struct dsa_hw_desc *list;
	struct soft_result member;
	bool failed = false;
	u32 i;

	if (batch->desc_count < 2 || batch->desc_count > SOFT_MAX_BATCH) {
		res->status = DSA_COMP_DESC_CNT_ERANGE;
		return;
	}
	if (batch->desc_list_addr & 63) {
		res->status = DSA_COMP_DESCLIST_ALIGN;
		return;
	}
	/* The list is kernel memory the builder allocated in one piece. */
	list = phys_to_virt(batch->desc_list_addr);
	for (i = 0; i < batch->desc_count; i++) {
		const struct dsa_hw_desc *desc = &list[i];

		if (desc->opcode == DSA_OPCODE_BATCH) {
			memset(&member, 0, sizeof(member));
			member.status = DSA_COMP_BAD_OPCODE;
		} else {
			soft_exec_one(desc, &member);
		}
		if (member.status != DSA_COMP_SUCCESS)
			failed = true;
		if (desc->flags & IDXD_OP_FLAG_RCR)
			soft_write_comp(desc->completion_addr, &member);
	}
	res->status = failed ? DSA_COMP_BATCH_FAIL : DSA_COMP_SUCCESS;
	res->bytes_completed = batch->desc_count;
}

/**
 * migaccel_soft_exec() - execute one descriptor as the device would
 * @desc: a descriptor built by desc.c; a BATCH runs its whole list
 *
 * Writes the completion record(s) the descriptor(s) ask for, each with its
 * status byte last.
 *
 * Context: may be called from any context that can run for a while; does
 * not sleep.
 */
void migaccel_soft_exec(const struct dsa_hw_desc *desc)
{
	struct soft_result res;

	memset(&res, 0, sizeof(res));
	if (desc->opcode == DSA_OPCODE_BATCH) {
		if (soft_desc_valid(desc, &res))
			soft_batch(desc, &res);
	} else {
		soft_exec_one(desc, &res);
	}
	if (desc->flags & IDXD_OP_FLAG_RCR)
		soft_write_comp(desc->completion_addr, &res);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_soft_exec);

static void soft_work(struct work_struct *work)
{
	struct migaccel_chunk *chunk =
		container_of(work, struct migaccel_chunk, work);

	migaccel_soft_exec(chunk->hw);
	migaccel_chunk_complete(chunk);
}

static u64 soft_page_addr(struct migaccel_engine *engine, struct page *page)
{
	return page_to_phys(page);
}

static u64 soft_kernel_addr(struct migaccel_engine *engine, void *ptr)
{
	return virt_to_phys(ptr);
}

static int soft_submit(struct migaccel_engine *engine,
		       struct migaccel_chunk *chunk)
{
	INIT_WORK(&chunk->work, soft_work);
	queue_work(soft_wq, &chunk->work);
	return 0;
}

static const struct migaccel_engine_ops soft_ops = {
	.page_addr = soft_page_addr,
	.kernel_addr = soft_kernel_addr,
	.submit = soft_submit,
};

struct migaccel_engine migaccel_soft_engine = {
	.name = "soft",
	.kind = MIGACCEL_ENGINE_SOFT,
	.ops = &soft_ops,
	.wq_id = -1,
	.numa_node = NUMA_NO_NODE,
	.ops_mask = 1ull << MIGACCEL_OP_ZERO_SCAN,
};
EXPORT_SYMBOL_IF_KUNIT(migaccel_soft_engine);

/**
 * migaccel_soft_init() - start the soft engine's workers and publish it
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int migaccel_soft_init(void)
{
	soft_wq = alloc_workqueue("migaccel_soft", WQ_UNBOUND, 0);
	if (!soft_wq)
		return -ENOMEM;
	migaccel_engine_add(&migaccel_soft_engine);
	return 0;
}

/**
 * migaccel_soft_exit() - unpublish the soft engine and drain its workers
 *
 * Context: process context, module exit, after the last channel closed.
 */
void migaccel_soft_exit(void)
{
	migaccel_engine_del(&migaccel_soft_engine);
	destroy_workqueue(soft_wq);
}
