// SPDX-License-Identifier: GPL-2.0
/*
 * The idxd engine: migaccel as a work-queue driver on the idxd "dsa" bus.
 *
 * An admin binds a DSA or IAA work queue to migaccel by configuring it as a
 * dedicated kernel work queue with driver_name "migaccel" (accel-config
 * config-wq --type=kernel --mode=dedicated --driver-name=migaccel) and
 * enabling it.  probe() claims it and publishes it as an engine.  Shared
 * work queues are refused: a failed ENQCMDS makes idxd abort and free
 * other descriptors of the WQ through the dmaengine path, which never
 * tells a sub-driver.
 *
 * Submission: the chunk's descriptors are DMA-mapped (the chunk body, each
 * page and bounce buffer, mapped for this device when the descriptor is
 * built; region pages were mapped at registration and are synced); a DSA
 * chunk is one descriptor (a BATCH or a single operation) submitted with
 * idxd_submit_desc(); an IAA chunk is one descriptor per operation.  The
 * top-level descriptor goes in an idxd-owned slot whose completion record
 * idxd's interrupt thread (or migaccel's poller) watches; its record is
 * kept aside and written into the chunk once the chunk is unmapped, so
 * that a bounce buffer (SWIOTLB) cannot overwrite it.
 *
 * Every descriptor handed to idxd is on the WQ's outstanding list until
 * desc_complete() (or the poller) takes it off.  remove() unpublishes the
 * engine, waits (once, timeout_ms) for its chunks, stops new submissions
 * and the poller, quiesces and disables the WQ, and then completes what
 * is still outstanding itself: idxd_drv_disable_wq() drops such
 * descriptors through the dmaengine path, never through desc_complete().
 * The engine, its id and its region mappings outlive every chunk that
 * picked it.
 */
#include <linux/device.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>
#include "idxd.h"

#include "migaccel.h"

/**
 * struct migaccel_wq - a work queue claimed by migaccel
 * @engine: the engine this WQ provides; published while the WQ is enabled
 * @wq: the idxd work queue
 * @dev: the PCI device DMA goes through
 * @aecs: IAA: compression state with the fixed Huffman code, or NULL
 * @aecs_dma: its bus address
 * @lock: protects @outstanding, @stopping and @submitters
 * @outstanding: owners of the descriptors handed to idxd and not completed
 * @stopping: remove() started: no submission, no poll, no resubmission
 * @submitters: submissions under way
 * @idle: woken when @submitters drops to zero while @stopping
 * @poll_work: polls completion records while descriptors are polled
 * @resubmit_wq: resubmits descriptors whose interrupt handle was revoked
 */
struct migaccel_wq {
	struct migaccel_engine engine;
	struct idxd_wq *wq;
	struct device *dev;
	struct migaccel_aecs *aecs;
	dma_addr_t aecs_dma;
	spinlock_t lock; /* protects outstanding, stopping, submitters */
	struct list_head outstanding;
	bool stopping;
	unsigned int submitters;
	wait_queue_head_t idle;
	struct work_struct poll_work;
	struct workqueue_struct *resubmit_wq;
};

static bool idxd_poll;
module_param_named(idxd_poll, idxd_poll, bool, 0644);
MODULE_PARM_DESC(idxd_poll,
		 "complete work-queue descriptors by polling instead of by interrupt");

/**
 * struct migaccel_aecs - IAA compression state, as the IAA spec lays it out
 * @crc: running CRC (unused: 0)
 * @xor_checksum: running checksum (unused: 0)
 * @reserved0: 0
 * @num_output_accum_bits: bits of @output_accum to emit first
 * @output_accum: bits emitted before the data: the deflate block header
 * @ll_sym: literal/length code of each symbol: length << 15 | code
 * @reserved1: 0
 * @reserved2: 0
 * @d_sym: distance code of each symbol, same encoding
 * @reserved_padding: 0
 */
struct migaccel_aecs {
	u32 crc;
	u32 xor_checksum;
	u32 reserved0[5];
	u32 num_output_accum_bits;
	u8 output_accum[256];
	u32 ll_sym[286];
	u32 reserved1;
	u32 reserved2;
	u32 d_sym[30];
	u32 reserved_padding[2];
} __packed;

/* What a chunk mapped, and how it gives it back at release. */
enum idxd_map_kind {
	IDXD_MAP_PAGE,		/* dma_map_page(), unmapped at release */
	IDXD_MAP_SINGLE,	/* dma_map_single(), unmapped at release */
	IDXD_MAP_REGION,	/* a region's page: synced, stays mapped */
};

/* One DMA address a chunk's descriptors name, besides the body. */
struct idxd_map {
	dma_addr_t addr;
	size_t size;
	enum idxd_map_kind kind;
};

/**
 * struct idxd_owner - what an idxd descriptor in flight carries
 * @chunk: its chunk
 * @slot: its member (IAA), or -1 for the chunk's one descriptor (DSA)
 * @desc: the idxd descriptor, while it is outstanding
 * @node: on the WQ's outstanding list, or empty
 * @polled: submitted without an interrupt request
 * @resubmit: resubmits @desc after a revoked interrupt handle
 */
struct idxd_owner {
	struct migaccel_chunk *chunk;
	int slot;
	struct idxd_desc *desc;
	struct list_head node;
	bool polled;
	struct work_struct resubmit;
};

/**
 * struct idxd_chunk - a chunk's state on a work queue
 * @body: bus address of the chunk's descriptors and records
 * @failed: a mapping failed: submit refuses the chunk
 * @owners: per member (IAA), and [MIGACCEL_CHUNK_DESCS] for the chunk's
 *	one descriptor (DSA): what desc_complete() is told
 * @recs: the records idxd's slots held for @owners, written into the
 *	chunk only after it is unmapped
 * @lost: IAA members that ended without a record
 * @run_hint: run of the region page named last (migaccel_region_dma_addr())
 * @nr: entries of @maps
 * @maps: page, bounce buffer and region page addresses
 */
struct idxd_chunk {
	dma_addr_t body;
	bool failed;
	struct idxd_owner owners[MIGACCEL_CHUNK_DESCS + 1];
	union migaccel_hw_comp recs[MIGACCEL_CHUNK_DESCS + 1];
	atomic_t lost;
	u32 run_hint;
	unsigned int nr;
	struct idxd_map maps[];
};

/* Bytes of a chunk a device reads and writes: descriptors and records. */
#define CHUNK_BODY	offsetof(struct migaccel_chunk, job)
/* Mappings a chunk may need: three pages and a buffer per operation. */
#define CHUNK_MAPS	(MIGACCEL_CHUNK_DESCS * 4)
/* Owner slot of a DSA chunk's one descriptor. */
#define DSA_OWNER	MIGACCEL_CHUNK_DESCS

static void idxd_resubmit_work(struct work_struct *work);

static struct migaccel_wq *to_mwq(struct migaccel_engine *engine)
{
	return container_of(engine, struct migaccel_wq, engine);
}

static void aecs_init_fixed(struct migaccel_aecs *aecs)
{
	unsigned int i;

	memset(aecs, 0, sizeof(*aecs));
	for (i = 0; i < ARRAY_SIZE(aecs->ll_sym); i++) {
		u32 len, code;

		if (i < 144) {
			len = 8;
			code = 0x30 + i;
		} else if (i < 256) {
			len = 9;
			code = 0x190 + i - 144;
		} else if (i < 280) {
			len = 7;
			code = i - 256;
		} else {
			len = 8;
			code = 0xc0 + i - 280;
		}
		aecs->ll_sym[i] = len << 15 | code;
	}
	for (i = 0; i < ARRAY_SIZE(aecs->d_sym); i++)
		aecs->d_sym[i] = 5 << 15 | i;
	/* BFINAL = 1, BTYPE = 01 (fixed codes), least significant bit first. */
	aecs->output_accum[0] = 0x3;
	aecs->num_output_accum_bits = 3;
}

/**
 * migaccel_aecs_init_fixed() - write the fixed-code AECS migaccel gives IAA
 * @buf: room for the AECS, 64-byte aligned
 *
 * The layout and tables are those of iaa_crypto's "fixed" compression mode.
 *
 * Context: any.
 * Return: the size of the AECS.
 */
size_t migaccel_aecs_init_fixed(void *buf)
{
	aecs_init_fixed(buf);
	return sizeof(struct migaccel_aecs);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_aecs_init_fixed);

static int idxd_prepare(struct migaccel_engine *engine,
			struct migaccel_chunk *chunk)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	struct idxd_chunk *ic;
	unsigned int i;

	ic = kzalloc(struct_size(ic, maps, CHUNK_MAPS), GFP_KERNEL);
	if (!ic)
		return -ENOMEM;
	for (i = 0; i < ARRAY_SIZE(ic->owners); i++) {
		INIT_LIST_HEAD(&ic->owners[i].node);
		INIT_WORK(&ic->owners[i].resubmit, idxd_resubmit_work);
	}
	ic->body = dma_map_single(mwq->dev, chunk, CHUNK_BODY,
				  DMA_BIDIRECTIONAL);
	if (dma_mapping_error(mwq->dev, ic->body)) {
		kfree(ic);
		return -ENOMEM;
	}
	chunk->priv = ic;
	return 0;
}

static bool idxd_add_map(struct idxd_chunk *ic, dma_addr_t addr, size_t size,
			 enum idxd_map_kind kind)
{
	if (ic->nr == CHUNK_MAPS) {
		ic->failed = true;
		return false;
	}
	ic->maps[ic->nr].addr = addr;
	ic->maps[ic->nr].size = size;
	ic->maps[ic->nr].kind = kind;
	ic->nr++;
	return true;
}

static void idxd_unmap_one(struct migaccel_wq *mwq, const struct idxd_map *m)
{
	if (m->kind == IDXD_MAP_PAGE)
		dma_unmap_page(mwq->dev, m->addr, m->size, DMA_BIDIRECTIONAL);
	else
		dma_unmap_single(mwq->dev, m->addr, m->size, DMA_BIDIRECTIONAL);
}

static u64 idxd_map(struct migaccel_engine *engine,
		    struct migaccel_chunk *chunk, struct page *page,
		    void *ptr, size_t size)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	struct idxd_chunk *ic = chunk->priv;
	struct idxd_map m = { .size = size };

	if (ic->nr == CHUNK_MAPS) {
		ic->failed = true;
		return 0;
	}
	if (page) {
		m.kind = IDXD_MAP_PAGE;
		m.addr = dma_map_page(mwq->dev, page, 0, size,
				      DMA_BIDIRECTIONAL);
	} else {
		m.kind = IDXD_MAP_SINGLE;
		m.addr = dma_map_single(mwq->dev, ptr, size, DMA_BIDIRECTIONAL);
	}
	if (dma_mapping_error(mwq->dev, m.addr)) {
		ic->failed = true;
		return 0;
	}
	idxd_add_map(ic, m.addr, m.size, m.kind);
	return m.addr;
}

static u64 idxd_page_addr(struct migaccel_engine *engine,
			  struct migaccel_chunk *chunk, struct page *page)
{
	return idxd_map(engine, chunk, page, NULL, PAGE_SIZE);
}

static u64 idxd_kernel_addr(struct migaccel_engine *engine,
			    struct migaccel_chunk *chunk, void *ptr)
{
	struct idxd_chunk *ic = chunk->priv;

	if (ptr >= (void *)chunk && ptr < (void *)chunk + CHUNK_BODY)
		return ic->body + (ptr - (void *)chunk);
	/* Anything else a descriptor names is an op's bounce buffer. */
	return idxd_map(engine, chunk, NULL, ptr, MIGACCEL_BOUNCE_SIZE);
}

/*
 * Give the chunk back to the CPU: sync region pages, unmap the rest, and
 * only then write the records idxd's slots held, so that unmapping a
 * bounced body cannot overwrite them.
 */
static void idxd_release(struct migaccel_engine *engine,
			 struct migaccel_chunk *chunk)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	struct idxd_chunk *ic = chunk->priv;
	unsigned int i;

	if (!ic)
		return;
	for (i = 0; i < ic->nr; i++) {
		if (ic->maps[i].kind == IDXD_MAP_REGION)
			dma_sync_single_for_cpu(mwq->dev, ic->maps[i].addr,
						ic->maps[i].size,
						DMA_BIDIRECTIONAL);
		else
			idxd_unmap_one(mwq, &ic->maps[i]);
	}
	dma_unmap_single(mwq->dev, ic->body, CHUNK_BODY, DMA_BIDIRECTIONAL);
	if (chunk->class == MIGACCEL_CLASS_DSA) {
		const union migaccel_hw_comp *rec = &ic->recs[DSA_OWNER];

		if (rec->dsa.status && chunk->nr > 1)
			memcpy(&chunk->batch_comp, rec, sizeof(chunk->batch_comp));
		else if (rec->dsa.status)
			chunk->comps[0] = *rec;
	} else {
		for (i = 0; i < chunk->nr; i++)
			if (ic->recs[i].iax.status)
				chunk->comps[i] = ic->recs[i];
	}
	kfree(ic);
	chunk->priv = NULL;
}

/*
 * Which chunk and member an idxd descriptor carries.  Kernel work queues
 * bound to a driver other than dmaengine leave the descriptor's txd unused;
 * its cookie stays 0, so idxd's abort path, which completes through the
 * dmaengine helpers, only frees it: the outstanding list is how migaccel
 * learns of it.
 */
static struct idxd_owner *owner_of(struct migaccel_chunk *chunk, int slot)
{
	struct idxd_chunk *ic = chunk->priv;

	return &ic->owners[slot < 0 ? DSA_OWNER : slot];
}

/* Take @o off the outstanding list; false when someone else did. */
static bool owner_take(struct migaccel_wq *mwq, struct idxd_owner *o)
{
	bool mine;

	spin_lock(&mwq->lock);
	mine = !list_empty(&o->node);
	list_del_init(&o->node);
	spin_unlock(&mwq->lock);
	return mine;
}

/*
 * A descriptor of @o's chunk is done: with its record (@rec, idxd's slot,
 * before the slot is freed) or without one (aborted or lost: the member
 * is finished by the CPU, a DSA chunk runs elsewhere).
 */
static void owner_done(struct idxd_owner *o, const void *rec)
{
	struct migaccel_chunk *chunk = o->chunk;
	struct idxd_chunk *ic = chunk->priv;
	int idx = o->slot < 0 ? DSA_OWNER : o->slot;

	o->desc = NULL;
	/* idxd's slots are 32 bytes on DSA, 64 on IAA. */
	if (rec && chunk->class == MIGACCEL_CLASS_DSA)
		memcpy(&ic->recs[idx].dsa, rec, sizeof(ic->recs[idx].dsa));
	else if (rec)
		memcpy(&ic->recs[idx].iax, rec, sizeof(ic->recs[idx].iax));
	if (chunk->class == MIGACCEL_CLASS_DSA) {
		/* Aborted unrun: another engine or the CPU takes it. */
		migaccel_chunk_complete(chunk, !rec);
		return;
	}
	if (!rec)
		atomic_inc(&ic->lost);
	/* Every member lost: the chunk runs elsewhere, as a DSA one does. */
	if (atomic_dec_and_test(&chunk->pending))
		migaccel_chunk_complete(chunk,
					atomic_read(&ic->lost) == chunk->nr);
}

/* Status a revoked interrupt handle leaves, the same for DSA and IAA. */
static bool int_handle_revoked(const struct idxd_desc *desc)
{
	return DSA_COMP_STATUS(desc->completion->status) ==
	       DSA_COMP_INT_HANDLE_INVAL;
}

static void migaccel_idxd_desc_complete(struct idxd_desc *desc,
					enum idxd_complete_type comp_type,
					bool free_desc, void *ctx, u32 *status)
{
	struct idxd_owner *o = desc->txd.callback_param;
	struct migaccel_wq *mwq = to_mwq(o->chunk->engine);
	bool normal = comp_type == IDXD_COMPLETE_NORMAL;

	/*
	 * idxd resubmits only dmaengine descriptors after an interrupt
	 * handle was revoked (status 0x19): do it for ours, with the new
	 * handle idxd_submit_desc() puts in.  The owner stays outstanding.
	 */
	if (normal && int_handle_revoked(desc)) {
		spin_lock(&mwq->lock);
		if (!mwq->stopping) {
			queue_work(mwq->resubmit_wq, &o->resubmit);
			spin_unlock(&mwq->lock);
			return;
		}
		spin_unlock(&mwq->lock);
		normal = false;
	}
	if (!owner_take(mwq, o))
		return;
	/* The record's status before the rest of it. */
	dma_rmb();
	owner_done(o, normal ? desc->completion : NULL);
	if (free_desc)
		idxd_free_desc(desc->wq, desc);
}

static void idxd_resubmit_work(struct work_struct *work)
{
	struct idxd_owner *o = container_of(work, struct idxd_owner, resubmit);
	struct migaccel_wq *mwq = to_mwq(o->chunk->engine);
	struct idxd_desc *desc = o->desc;
	int ret = -ENXIO;

	memset(desc->completion, 0, mwq->wq->idxd->data->compl_size);
	if (!READ_ONCE(mwq->stopping))
		ret = idxd_submit_desc(mwq->wq, desc);
	if (!ret || !owner_take(mwq, o))
		return;
	owner_done(o, NULL);
	idxd_free_desc(mwq->wq, desc);
}

/* Count a submission under way; false once remove() has started. */
static bool submit_begin(struct migaccel_wq *mwq)
{
	bool ok;

	spin_lock(&mwq->lock);
	ok = !mwq->stopping;
	if (ok)
		mwq->submitters++;
	spin_unlock(&mwq->lock);
	return ok;
}

static void submit_end(struct migaccel_wq *mwq)
{
	spin_lock(&mwq->lock);
	if (!--mwq->submitters && mwq->stopping)
		wake_up_all(&mwq->idle);
	spin_unlock(&mwq->lock);
}

static int idxd_submit_one(struct migaccel_wq *mwq,
			   struct migaccel_chunk *chunk, int slot,
			   const void *hw)
{
	struct idxd_owner *o = owner_of(chunk, slot);
	bool polled = READ_ONCE(idxd_poll);
	struct idxd_desc *desc;
	u32 pasid, priv;
	int ret;

	desc = idxd_alloc_desc(mwq->wq, IDXD_OP_NONBLOCK);
	if (IS_ERR(desc))
		return PTR_ERR(desc) == -EAGAIN ? -EBUSY : PTR_ERR(desc);
	/* idxd set the PASID its device uses for kernel DMA: keep it. */
	pasid = desc->hw->pasid;
	priv = desc->hw->priv;
	memcpy(desc->hw, hw, sizeof(*desc->hw));
	desc->hw->pasid = pasid;
	desc->hw->priv = priv;
	desc->hw->completion_addr = desc->compl_dma;
	if (!polled)
		desc->hw->flags |= IDXD_OP_FLAG_RCI;
	if (desc->hw->opcode == IAX_OPCODE_COMPRESS &&
	    chunk->class == MIGACCEL_CLASS_IAA) {
		desc->iax_hw->flags |= IDXD_OP_FLAG_RD_SRC2_AECS;
		desc->iax_hw->src2_addr = mwq->aecs_dma;
		desc->iax_hw->src2_size = sizeof(*mwq->aecs);
	}
	memset(desc->completion, 0, mwq->wq->idxd->data->compl_size);
	o->chunk = chunk;
	o->slot = slot;
	o->desc = desc;
	o->polled = polled;
	desc->txd.callback_param = o;
	/* Listed first: it may complete before idxd_submit_desc() returns. */
	spin_lock(&mwq->lock);
	list_add_tail(&o->node, &mwq->outstanding);
	spin_unlock(&mwq->lock);
	ret = idxd_submit_desc(mwq->wq, desc);
	if (ret) {
		/*
		 * A dedicated WQ refuses before queueing anything (-EIO,
		 * -ENXIO once quiesced): the descriptor is still ours.
		 */
		owner_take(mwq, o);
		o->desc = NULL;
		idxd_free_desc(mwq->wq, desc);
		return ret == -EAGAIN ? -EBUSY : ret;
	}
	if (polled)
		queue_work(system_highpri_wq, &mwq->poll_work);
	return 0;
}

/*
 * Submit IAA member @i, waiting (bounded, as chunk_start() retries a busy
 * engine) for a descriptor of the WQ's pool to come back.
 */
static int idxd_submit_member(struct migaccel_wq *mwq,
			      struct migaccel_chunk *chunk, unsigned int i)
{
	unsigned int tries = 0;
	int ret;

	for (;;) {
		ret = idxd_submit_one(mwq, chunk, i, &chunk->descs[i].iax);
		if (ret != -EBUSY || !i || tries++ >= migaccel_busy_retries ||
		    READ_ONCE(mwq->stopping))
			return ret;
		migaccel_count(chunk->job->stats, MIGACCEL_STAT_BUSY_RETRIES, 1);
		usleep_range(10, 50);
	}
}

static int idxd_submit(struct migaccel_engine *engine,
		       struct migaccel_chunk *chunk)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	struct idxd_chunk *ic = chunk->priv;
	unsigned int i;
	int ret = 0;

	if (ic->failed)
		return -ENOMEM;
	/* Too long a list for this WQ: another engine takes the chunk. */
	if (chunk->class == MIGACCEL_CLASS_DSA && chunk->nr > 1 &&
	    chunk->nr > engine->max_batch)
		return -E2BIG;
	if (!submit_begin(mwq))
		return -ENXIO;
	/*
	 * The CPU wrote the descriptors and cleared the records after the
	 * chunk was mapped, and region pages hold whatever the guest wrote:
	 * hand all of it to the device.
	 */
	dma_sync_single_for_device(mwq->dev, ic->body, CHUNK_BODY,
				   DMA_BIDIRECTIONAL);
	for (i = 0; i < ic->nr; i++)
		dma_sync_single_for_device(mwq->dev, ic->maps[i].addr,
					   ic->maps[i].size,
					   DMA_BIDIRECTIONAL);
	if (chunk->class == MIGACCEL_CLASS_DSA) {
		ret = idxd_submit_one(mwq, chunk, -1, chunk->nr > 1 ?
				      &chunk->batch : &chunk->descs[0].dsa);
		goto end;
	}

	atomic_set(&chunk->pending, chunk->nr);
	for (i = 0; i < chunk->nr; i++) {
		ret = idxd_submit_member(mwq, chunk, i);
		if (!ret)
			continue;
		if (!i)
			goto end;
		/* The rest stay unrun: the CPU finishes them. */
		ret = 0;
		if (atomic_sub_and_test(chunk->nr - i, &chunk->pending))
			migaccel_chunk_complete(chunk, false);
		break;
	}
end:
	submit_end(mwq);
	return ret;
}

/* Work queues of one device share its mapping of a region. */
static int idxd_map_region(struct migaccel_engine *engine,
			   struct migaccel_region *r)
{
	return migaccel_region_dma_get(r, engine->id, to_mwq(engine)->dev);
}

static void idxd_unmap_region(struct migaccel_engine *engine,
			      struct migaccel_region *r)
{
	migaccel_region_dma_put(r, engine->id);
}

/*
 * A region page a descriptor names: mapped once at registration, synced
 * for the device at submission and for the CPU at release, as the DMA API
 * wants of a long-lived streaming mapping.  Only the page is synced, not
 * the run it was mapped with.
 */
static u64 idxd_region_addr(struct migaccel_engine *engine,
			    struct migaccel_chunk *chunk,
			    struct migaccel_region *r, unsigned long idx)
{
	struct idxd_chunk *ic = chunk->priv;
	struct migaccel_region_dma *m = READ_ONCE(r->dma[engine->id]);
	dma_addr_t addr;

	/* Mapped for every engine at registration, or when it appeared. */
	if (!m) {
		ic->failed = true;
		return 0;
	}
	addr = migaccel_region_dma_addr(m, idx, &ic->run_hint);
	if (!idxd_add_map(ic, addr, PAGE_SIZE, IDXD_MAP_REGION))
		return 0;
	return addr;
}

/* A work queue cannot give back a descriptor it was handed. */
static bool idxd_abort(struct migaccel_engine *engine,
		       struct migaccel_chunk *chunk)
{
	return false;
}

static const struct migaccel_engine_ops idxd_engine_ops = {
	.prepare = idxd_prepare,
	.page_addr = idxd_page_addr,
	.kernel_addr = idxd_kernel_addr,
	.submit = idxd_submit,
	.abort = idxd_abort,
	.release = idxd_release,
	.region_addr = idxd_region_addr,
	.map_region = idxd_map_region,
	.unmap_region = idxd_unmap_region,
};

/*
 * Polling mode: complete what the device finished, and come back while
 * anything polled is outstanding and the WQ is not being removed.
 */
static void idxd_poll_run(struct migaccel_wq *mwq)
{
	struct idxd_owner *o, *next;
	LIST_HEAD(done);
	bool more = false;

	spin_lock(&mwq->lock);
	list_for_each_entry_safe(o, next, &mwq->outstanding, node) {
		if (!o->polled)
			continue;
		if (READ_ONCE(o->desc->completion->status))
			list_move_tail(&o->node, &done);
		else
			more = true;
	}
	more &= !mwq->stopping;
	spin_unlock(&mwq->lock);

	list_for_each_entry_safe(o, next, &done, node) {
		struct idxd_desc *desc = o->desc;

		list_del_init(&o->node);
		/* The record's status before the rest of it. */
		dma_rmb();
		owner_done(o, desc->completion);
		idxd_free_desc(mwq->wq, desc);
	}
	if (more) {
		cond_resched();
		queue_work(system_highpri_wq, &mwq->poll_work);
	}
}

static void idxd_poll_work(struct work_struct *work)
{
	idxd_poll_run(container_of(work, struct migaccel_wq, poll_work));
}

/*
 * After idxd_drv_disable_wq(): idxd freed every descriptor it still held
 * without calling desc_complete().  The device has stopped (drained and
 * reset), so the chunks are the CPU's again: complete them without records.
 */
static void idxd_complete_outstanding(struct migaccel_wq *mwq)
{
	struct idxd_owner *o, *next;
	unsigned int n = 0;
	LIST_HEAD(lost);

	spin_lock(&mwq->lock);
	list_splice_init(&mwq->outstanding, &lost);
	spin_unlock(&mwq->lock);
	list_for_each_entry_safe(o, next, &lost, node) {
		list_del_init(&o->node);
		owner_done(o, NULL);
		n++;
	}
	if (n)
		dev_info(mwq->dev, "%s: %u descriptors left at removal fail over\n",
			 mwq->engine.name, n);
}

/* The operations a WQ takes, from its op_config and maximum transfer. */
static u64 migaccel_wq_ops(struct idxd_wq *wq)
{
	struct idxd_device *idxd = wq->idxd;
	const unsigned long *opcap = wq->opcap_bmap ?: idxd->opcap_bmap;

	return migaccel_wq_ops_mask(idxd->data->type == IDXD_TYPE_IAX, opcap,
				    wq->max_xfer_bytes);
}

static int migaccel_wq_setup(struct migaccel_wq *mwq)
{
	struct idxd_wq *wq = mwq->wq;
	struct idxd_device *idxd = wq->idxd;

	mwq->dev = &idxd->pdev->dev;
	spin_lock_init(&mwq->lock);
	INIT_LIST_HEAD(&mwq->outstanding);
	init_waitqueue_head(&mwq->idle);
	INIT_WORK(&mwq->poll_work, idxd_poll_work);
	mwq->resubmit_wq = alloc_workqueue("migaccel_%s", WQ_UNBOUND, 0,
					   dev_name(wq_confdev(wq)));
	if (!mwq->resubmit_wq)
		return -ENOMEM;
	mwq->engine.name = dev_name(wq_confdev(wq));
	mwq->engine.numa_node = dev_to_node(mwq->dev);
	mwq->engine.wq_id = wq->id;
	mwq->engine.ops = &idxd_engine_ops;
	if (idxd->data->type != IDXD_TYPE_IAX) {
		mwq->engine.kind = MIGACCEL_ENGINE_DSA;
		return 0;
	}
	mwq->engine.kind = MIGACCEL_ENGINE_IAA;
	mwq->aecs = dma_alloc_coherent(mwq->dev, sizeof(*mwq->aecs),
				       &mwq->aecs_dma, GFP_KERNEL);
	if (!mwq->aecs)
		return -ENOMEM;
	aecs_init_fixed(mwq->aecs);
	return 0;
}

/* What the enabled WQ takes: its operations, batch and descriptor pool. */
static int migaccel_wq_limits(struct migaccel_wq *mwq, struct device *dev)
{
	struct idxd_wq *wq = mwq->wq;

	mwq->engine.ops_mask = migaccel_wq_ops(wq);
	/*
	 * The device's engines of its group each work on one descriptor;
	 * one more each is queued so none idles between completions.
	 */
	mwq->engine.depth = 2 * max(wq->group ? wq->group->num_engines : 0, 1);
	if (!mwq->engine.ops_mask) {
		dev_warn(dev, "migaccel: %s: no operation migaccel uses fits its op_config and max_transfer_size (%llu, at least %u needed)\n",
			 dev_name(dev), wq->max_xfer_bytes, MIGACCEL_PAGE_SIZE);
		return -EOPNOTSUPP;
	}
	if (mwq->engine.kind == MIGACCEL_ENGINE_IAA) {
		/* IAA chunks are no larger than the descriptor pool. */
		mwq->engine.max_batch = max(wq->num_descs, 1);
		return 0;
	}
	/* The device takes the power of two idxd programmed. */
	mwq->engine.max_batch = migaccel_dsa_batch_max(wq->max_batch_size);
	if (!test_bit(DSA_OPCODE_BATCH, wq->opcap_bmap ?: wq->idxd->opcap_bmap))
		mwq->engine.max_batch = 1;
	return 0;
}

static void migaccel_wq_free(struct migaccel_wq *mwq)
{
	if (mwq->aecs)
		dma_free_coherent(mwq->dev, sizeof(*mwq->aecs), mwq->aecs,
				  mwq->aecs_dma);
	if (mwq->resubmit_wq)
		destroy_workqueue(mwq->resubmit_wq);
	kfree(mwq);
}

static int migaccel_idxd_probe(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_device *idxd = wq->idxd;
	struct device *dev = &idxd_dev->conf_dev;
	struct migaccel_wq *mwq;
	int ret;

	if (idxd->state != IDXD_DEV_ENABLED)
		return -ENXIO;

	mwq = kzalloc(sizeof(*mwq), GFP_KERNEL);
	if (!mwq)
		return -ENOMEM;
	mwq->wq = wq;
	ret = migaccel_wq_setup(mwq);
	if (ret)
		goto free;

	mutex_lock(&wq->wq_lock);
	if (idxd_wq_get_private(wq)) {
		ret = -EBUSY;
		goto unlock;
	}
	if (!idxd_wq_driver_name_match(wq, dev)) {
		idxd->cmd_status = IDXD_SCMD_WQ_NO_DRV_NAME;
		ret = -ENODEV;
		goto unlock;
	}
	/*
	 * On a shared WQ a refused ENQCMDS makes idxd abort and free other
	 * completed descriptors through the dmaengine path, unseen by
	 * desc_complete(): migaccel would lose their chunks.
	 */
	if (!wq_dedicated(wq)) {
		dev_warn(dev, "migaccel: %s is a shared work queue; migaccel needs a dedicated one (accel-config config-wq --mode=dedicated)\n",
			 dev_name(dev));
		ret = -EOPNOTSUPP;
		goto unlock;
	}
	wq->type = IDXD_WQT_KERNEL;
	ret = idxd_drv_enable_wq(wq);
	if (ret < 0) {
		dev_dbg(dev, "enabling %s failed: %d\n", dev_name(dev), ret);
		wq->type = IDXD_WQT_NONE;
		ret = -ENXIO;
		goto unlock;
	}
	ret = migaccel_wq_limits(mwq, dev);
	if (ret) {
		idxd_drv_disable_wq(wq);
		wq->type = IDXD_WQT_NONE;
		goto unlock;
	}
	idxd_wq_set_private(wq, mwq);
	migaccel_engine_add(&mwq->engine);
	mutex_unlock(&wq->wq_lock);
	dev_info(dev, "migaccel claimed %s work queue %s (node %d, batch %u)\n",
		 mwq->engine.kind == MIGACCEL_ENGINE_IAA ? "IAA" : "DSA",
		 dev_name(dev), mwq->engine.numa_node, mwq->engine.max_batch);
	return 0;

unlock:
	mutex_unlock(&wq->wq_lock);
free:
	migaccel_wq_free(mwq);
	return ret;
}

/*
 * Stop everything that could touch the WQ's descriptors or portal: new
 * submissions (they fail over with -ENXIO), the poller and resubmissions.
 * The poller's last pass completes what the device already finished.
 */
static void migaccel_wq_stop(struct migaccel_wq *mwq)
{
	spin_lock(&mwq->lock);
	mwq->stopping = true;
	spin_unlock(&mwq->lock);
	wait_event(mwq->idle, !READ_ONCE(mwq->submitters));
	flush_workqueue(mwq->resubmit_wq);
	cancel_work_sync(&mwq->poll_work);
	idxd_poll_run(mwq);
}

static void migaccel_idxd_remove(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct migaccel_wq *mwq;

	mutex_lock(&wq->wq_lock);
	mwq = idxd_wq_get_private(wq);
	if (mwq) {
		/* Unpublish first, so nothing new is routed to the WQ. */
		migaccel_engine_del(&mwq->engine);
		/*
		 * Let what is in flight finish (the one bounded wait under
		 * wq_lock); what the device still holds afterwards is
		 * completed below, once the WQ is disabled.
		 */
		migaccel_engine_drain(&mwq->engine, migaccel_timeout_ms);
		migaccel_wq_stop(mwq);
		/* As iaa_crypto and idxd's dmaengine driver do. */
		__idxd_wq_quiesce(wq);
		idxd_wq_set_private(wq, NULL);
	}
	idxd_drv_disable_wq(wq);
	wq->type = IDXD_WQT_NONE;
	mutex_unlock(&wq->wq_lock);
	if (!mwq)
		return;
	idxd_complete_outstanding(mwq);
	/*
	 * Whatever still holds the engine runs on the CPU now (a submitter
	 * on its way to -ENXIO, a completion unpinning): wait for it, then
	 * give back the mappings and only then the id they are kept under.
	 */
	wait_event(mwq->engine.drained, !atomic_read(&mwq->engine.inflight));
	migaccel_regions_engine_del(&mwq->engine);
	migaccel_engine_free_id(&mwq->engine);
	migaccel_wq_free(mwq);
}

/**
 * migaccel_idxd_sva_bind() - MIGACCEL_SVA_BIND
 * @ch: the channel; its owner is the caller
 * @cmd: the command; out_pasid and out_engines are set
 *
 * Binds the caller's address space to the device of every work queue, so
 * that descriptors could name its virtual addresses under one PASID.  The
 * bindings last until the channel closes.
 *
 * Context: process context of the channel's owner; takes
 * migaccel_engines_lock.
 * Return: 0; -ENODEV without a work queue; -EOPNOTSUPP (or the IOMMU's
 * error) when a device cannot share the address space.
 */
int migaccel_idxd_sva_bind(struct migaccel_channel *ch,
			   struct migaccel_sva_bind *cmd)
{
	struct migaccel_engine *engines[MIGACCEL_MAX_ENGINES];
	unsigned int i, n;
	int ret = 0;

	if (cmd->flags)
		return -EOPNOTSUPP;
	n = migaccel_engines_collect(MIGACCEL_ENGINE_DSA | MIGACCEL_ENGINE_IAA,
				     engines, ARRAY_SIZE(engines));
	if (!n)
		return -ENODEV;
	cmd->out_engines = 0;
	for (i = 0; i < n && !ret; i++) {
		struct migaccel_wq *mwq = to_mwq(engines[i]);
		struct iommu_sva *sva;
		u32 id = mwq->engine.id;

		/*
		 * An id outlives its engine's mappings only: a binding kept
		 * under it may be for the device of a removed work queue.
		 */
		if (ch->sva[id] && ch->sva_dev[id] != mwq->dev) {
			iommu_sva_unbind_device(ch->sva[id]);
			ch->sva[id] = NULL;
		}
		if (!ch->sva[id]) {
			sva = iommu_sva_bind_device(mwq->dev, current->mm);
			if (IS_ERR(sva)) {
				ret = PTR_ERR(sva) == -ENODEV ? -EOPNOTSUPP :
				      PTR_ERR(sva);
				continue;
			}
			ch->sva[id] = sva;
			ch->sva_dev[id] = mwq->dev;
		}
		cmd->out_pasid = iommu_sva_get_pasid(ch->sva[id]);
		cmd->out_engines |= mwq->engine.kind;
	}
	for (i = 0; i < n; i++)
		migaccel_engine_put(engines[i]);
	return ret;
}

/**
 * migaccel_idxd_sva_unbind() - undo the SVA bindings of a closing channel
 * @ch: the channel
 *
 * Context: process context.
 */
void migaccel_idxd_sva_unbind(struct migaccel_channel *ch)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ch->sva); i++) {
		if (ch->sva[i])
			iommu_sva_unbind_device(ch->sva[i]);
		ch->sva[i] = NULL;
		ch->sva_dev[i] = NULL;
	}
}

static enum idxd_dev_type migaccel_idxd_dev_types[] = {
	IDXD_DEV_WQ,
	IDXD_DEV_NONE,
};

static struct idxd_device_driver migaccel_idxd_driver = {
	.name = "migaccel",
	.probe = migaccel_idxd_probe,
	.remove = migaccel_idxd_remove,
	.desc_complete = migaccel_idxd_desc_complete,
	.type = migaccel_idxd_dev_types,
};

/**
 * migaccel_idxd_init() - register migaccel as an idxd work-queue driver
 *
 * Context: module init.
 * Return: 0 or the driver core's error.
 */
int migaccel_idxd_init(void)
{
	return idxd_driver_register(&migaccel_idxd_driver);
}

/**
 * migaccel_idxd_exit() - unregister; remove() runs for every claimed WQ
 *
 * Context: module exit.
 */
void migaccel_idxd_exit(void)
{
	idxd_driver_unregister(&migaccel_idxd_driver);
}
