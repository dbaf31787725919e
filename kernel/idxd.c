// SPDX-License-Identifier: GPL-2.0
/*
 * The idxd engine: migaccel as a work-queue driver on the idxd "dsa" bus.
 *
 * An admin binds a DSA or IAA work queue to migaccel by configuring it as a
 * kernel work queue with driver_name "migaccel" (accel-config config-wq
 * --type=kernel --driver-name=migaccel) and enabling it.  probe() claims it
 * and publishes it as an engine; remove() unpublishes it, waits for the
 * chunks that picked it to drain (bounded by timeout_ms), and disables it;
 * what the device still holds then comes back aborted and fails over.
 *
 * Submission: the chunk's descriptors are DMA-mapped (the chunk body, each
 * page and bounce buffer, mapped for this device when the descriptor is
 * built); a DSA chunk is one descriptor (a BATCH or a single operation)
 * submitted with idxd_submit_desc(); an IAA chunk is one descriptor per
 * operation.  The top-level descriptor goes in an idxd-owned slot whose
 * completion record idxd's interrupt thread watches; desc_complete() copies
 * that record into the chunk and completes it.  Every descriptor requests
 * a completion interrupt.
 */
#include <linux/device.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "idxd.h"

#include "migaccel.h"

/**
 * struct migaccel_wq - a work queue claimed by migaccel
 * @engine: the engine this WQ provides; published while the WQ is enabled
 * @wq: the idxd work queue
 * @dev: the PCI device DMA goes through
 * @aecs: IAA: compression state with the fixed Huffman code, or NULL
 * @aecs_dma: its bus address
 * @poll_lock: protects @polled
 * @polled: descriptors submitted without an interrupt request, in flight
 * @poll_work: polls their completion records while there are any
 */
struct migaccel_wq {
	struct migaccel_engine engine;
	struct idxd_wq *wq;
	struct device *dev;
	struct migaccel_aecs *aecs;
	dma_addr_t aecs_dma;
	spinlock_t poll_lock; /* protects polled */
	struct list_head polled;
	struct work_struct poll_work;
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

/* One DMA mapping a chunk made, undone at release. */
struct idxd_map {
	dma_addr_t addr;
	size_t size;
	bool page;
};

/* What an idxd descriptor in flight carries: its chunk and member. */
struct idxd_owner {
	struct migaccel_chunk *chunk;
	int slot;
};

/**
 * struct idxd_chunk - a chunk's state on a work queue
 * @body: bus address of the chunk's descriptors and records
 * @failed: a mapping failed: submit refuses the chunk
 * @owners: per member (IAA), and [MIGACCEL_CHUNK_DESCS] for the chunk's
 *	one descriptor (DSA): what desc_complete() is told
 * @nr: entries of @maps
 * @maps: page and bounce buffer mappings
 */
struct idxd_chunk {
	dma_addr_t body;
	bool failed;
	struct idxd_owner owners[MIGACCEL_CHUNK_DESCS + 1];
	unsigned int nr;
	struct idxd_map maps[];
};

/* Bytes of a chunk a device reads and writes: descriptors and records. */
#define CHUNK_BODY	offsetof(struct migaccel_chunk, job)
/* Mappings a chunk may need: three pages and a buffer per operation. */
#define CHUNK_MAPS	(MIGACCEL_CHUNK_DESCS * 4)

static struct migaccel_wq *to_mwq(struct migaccel_engine *engine)
{
	return container_of(engine, struct migaccel_wq, engine);
}

/* Fixed Huffman codes of RFC 1951 3.2.6, in the AECS encoding. */
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

static int idxd_prepare(struct migaccel_engine *engine,
			struct migaccel_chunk *chunk)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	struct idxd_chunk *ic;

	ic = kzalloc(struct_size(ic, maps, CHUNK_MAPS), GFP_KERNEL);
	if (!ic)
		return -ENOMEM;
	ic->body = dma_map_single(mwq->dev, chunk, CHUNK_BODY,
				  DMA_BIDIRECTIONAL);
	if (dma_mapping_error(mwq->dev, ic->body)) {
		kfree(ic);
		return -ENOMEM;
	}
	chunk->priv = ic;
	return 0;
}

static u64 idxd_map(struct migaccel_engine *engine,
		    struct migaccel_chunk *chunk, struct page *page,
		    void *ptr, size_t size)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	struct idxd_chunk *ic = chunk->priv;
	dma_addr_t addr;

	if (ic->nr == CHUNK_MAPS) {
		ic->failed = true;
		return 0;
	}
	if (page)
		addr = dma_map_page(mwq->dev, page, 0, size, DMA_BIDIRECTIONAL);
	else
		addr = dma_map_single(mwq->dev, ptr, size, DMA_BIDIRECTIONAL);
	if (dma_mapping_error(mwq->dev, addr)) {
		ic->failed = true;
		return 0;
	}
	ic->maps[ic->nr].addr = addr;
	ic->maps[ic->nr].size = size;
	ic->maps[ic->nr].page = !!page;
	ic->nr++;
	return addr;
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

static void idxd_release(struct migaccel_engine *engine,
			 struct migaccel_chunk *chunk)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	struct idxd_chunk *ic = chunk->priv;
	unsigned int i;

	if (!ic)
		return;
	for (i = 0; i < ic->nr; i++) {
		if (ic->maps[i].page)
			dma_unmap_page(mwq->dev, ic->maps[i].addr,
				       ic->maps[i].size, DMA_BIDIRECTIONAL);
		else
			dma_unmap_single(mwq->dev, ic->maps[i].addr,
					 ic->maps[i].size, DMA_BIDIRECTIONAL);
	}
	dma_unmap_single(mwq->dev, ic->body, CHUNK_BODY, DMA_BIDIRECTIONAL);
	kfree(ic);
	chunk->priv = NULL;
}

/*
 * Which chunk and member an idxd descriptor carries.  Kernel work queues
 * bound to a driver other than dmaengine leave the descriptor's txd unused;
 * its cookie stays 0, so idxd's abort path, which completes through the
 * dmaengine helpers, leaves it alone.
 */
static void desc_set_owner(struct idxd_desc *desc,
			   struct migaccel_chunk *chunk, int slot)
{
	struct idxd_chunk *ic = chunk->priv;
	struct idxd_owner *o = &ic->owners[slot < 0 ? MIGACCEL_CHUNK_DESCS : slot];

	o->chunk = chunk;
	o->slot = slot;
	desc->txd.callback_param = o;
}

static int idxd_submit_one(struct migaccel_wq *mwq,
			   struct migaccel_chunk *chunk, int slot,
			   const void *hw)
{
	bool polled = READ_ONCE(idxd_poll);
	struct idxd_desc *desc;
	u32 pasid, priv;
	int ret;

	desc = idxd_alloc_desc(mwq->wq, IDXD_OP_NONBLOCK);
	if (IS_ERR(desc))
		return PTR_ERR(desc) == -EAGAIN ? -EBUSY : PTR_ERR(desc);
	/* idxd set the kernel PASID a shared WQ needs: keep it. */
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
	desc_set_owner(desc, chunk, slot);
	if (polled) {
		/* Listed first: the poller may see it complete at once. */
		spin_lock(&mwq->poll_lock);
		list_add_tail(&desc->list, &mwq->polled);
		spin_unlock(&mwq->poll_lock);
	}
	ret = idxd_submit_desc(mwq->wq, desc);
	if (ret && polled) {
		spin_lock(&mwq->poll_lock);
		list_del(&desc->list);
		spin_unlock(&mwq->poll_lock);
	}
	/* A refused descriptor is still ours, aborted or not. */
	if (ret)
		idxd_free_desc(mwq->wq, desc);
	else if (polled)
		queue_work(system_highpri_wq, &mwq->poll_work);
	return ret;
}

static int idxd_submit(struct migaccel_engine *engine,
		       struct migaccel_chunk *chunk)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	struct idxd_chunk *ic = chunk->priv;
	unsigned int i;
	int ret;

	if (ic->failed)
		return -ENOMEM;
	/* The descriptors were written after the chunk was mapped. */
	dma_sync_single_for_device(mwq->dev, ic->body, CHUNK_BODY,
				   DMA_BIDIRECTIONAL);
	/* Too long a list for this WQ: another engine takes the chunk. */
	if (chunk->class == MIGACCEL_CLASS_DSA && chunk->nr > 1 &&
	    chunk->nr > mwq->wq->max_batch_size)
		return -E2BIG;
	if (chunk->class == MIGACCEL_CLASS_DSA)
		return idxd_submit_one(mwq, chunk, -1, chunk->nr > 1 ?
				       &chunk->batch : &chunk->descs[0].dsa);

	atomic_set(&chunk->pending, chunk->nr);
	for (i = 0; i < chunk->nr; i++) {
		ret = idxd_submit_one(mwq, chunk, i, &chunk->descs[i].iax);
		if (!ret)
			continue;
		if (!i)
			return ret;
		/* The rest stay unrun: the CPU finishes them. */
		if (atomic_sub_and_test(chunk->nr - i, &chunk->pending))
			migaccel_chunk_complete(chunk, false);
		break;
	}
	return 0;
}

static int idxd_map_region(struct migaccel_engine *engine,
			   struct migaccel_region *r)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	dma_addr_t *dma;
	unsigned long i;

	dma = kvcalloc(r->nr_pages, sizeof(*dma), GFP_KERNEL);
	if (!dma)
		return -ENOMEM;
	for (i = 0; i < r->nr_pages; i++) {
		dma[i] = dma_map_page(mwq->dev, r->pages[i], 0, PAGE_SIZE,
				      DMA_BIDIRECTIONAL);
		if (dma_mapping_error(mwq->dev, dma[i]))
			goto unmap;
	}
	r->dma[engine->id] = dma;
	return 0;

unmap:
	while (i--)
		dma_unmap_page(mwq->dev, dma[i], PAGE_SIZE, DMA_BIDIRECTIONAL);
	kvfree(dma);
	return -ENOMEM;
}

static void idxd_unmap_region(struct migaccel_engine *engine,
			      struct migaccel_region *r)
{
	struct migaccel_wq *mwq = to_mwq(engine);
	dma_addr_t *dma = r->dma[engine->id];
	unsigned long i;

	if (!dma)
		return;
	for (i = 0; i < r->nr_pages; i++)
		dma_unmap_page(mwq->dev, dma[i], PAGE_SIZE, DMA_BIDIRECTIONAL);
	kvfree(dma);
	r->dma[engine->id] = NULL;
}

static u64 idxd_region_addr(struct migaccel_engine *engine,
			    struct migaccel_chunk *chunk,
			    struct migaccel_region *r, unsigned long idx)
{
	struct idxd_chunk *ic = chunk->priv;
	dma_addr_t *dma = r->dma[engine->id];

	/* Mapped for every engine at registration, or when it appeared. */
	if (!dma) {
		ic->failed = true;
		return 0;
	}
	return dma[idx];
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

static void migaccel_idxd_desc_complete(struct idxd_desc *desc,
					enum idxd_complete_type comp_type,
					bool free_desc, void *ctx, u32 *status)
{
	struct idxd_owner *o = desc->txd.callback_param;
	struct migaccel_chunk *chunk = o->chunk;
	struct migaccel_wq *mwq = to_mwq(chunk->engine);
	struct idxd_chunk *ic = chunk->priv;
	int slot = o->slot;
	bool normal = comp_type == IDXD_COMPLETE_NORMAL;

	/* Member records the device wrote, before the CPU reads them. */
	dma_sync_single_for_cpu(mwq->dev, ic->body, CHUNK_BODY,
				DMA_BIDIRECTIONAL);
	if (chunk->class == MIGACCEL_CLASS_DSA) {
		void *rec = chunk->nr > 1 ? (void *)&chunk->batch_comp :
					    (void *)&chunk->comps[0];

		if (normal)
			memcpy(rec, desc->completion, sizeof(chunk->batch_comp));
		if (free_desc)
			idxd_free_desc(desc->wq, desc);
		/* Aborted unrun: another engine or the CPU takes it. */
		migaccel_chunk_complete(chunk, !normal);
		return;
	}
	if (normal)
		memcpy(&chunk->comps[slot], desc->iax_completion,
		       sizeof(chunk->comps[slot].iax));
	if (free_desc)
		idxd_free_desc(desc->wq, desc);
	if (atomic_dec_and_test(&chunk->pending))
		migaccel_chunk_complete(chunk, false);
}

/*
 * Polling mode: complete what the device finished, and come back while
 * anything is in flight.  With @abort (the WQ is disabled, so nothing in
 * flight will complete) everything left is aborted and fails over.
 */
static void idxd_poll_run(struct migaccel_wq *mwq, bool abort)
{
	struct idxd_desc *desc, *next;
	LIST_HEAD(done);
	bool more;

	spin_lock(&mwq->poll_lock);
	list_for_each_entry_safe(desc, next, &mwq->polled, list)
		if (abort || READ_ONCE(desc->completion->status))
			list_move_tail(&desc->list, &done);
	more = !list_empty(&mwq->polled);
	spin_unlock(&mwq->poll_lock);

	list_for_each_entry_safe(desc, next, &done, list) {
		list_del(&desc->list);
		/* The record's status before the rest of it. */
		dma_rmb();
		migaccel_idxd_desc_complete(desc, abort ? IDXD_COMPLETE_ABORT :
					    IDXD_COMPLETE_NORMAL, true, NULL,
					    NULL);
	}
	if (more && !abort) {
		cond_resched();
		queue_work(system_highpri_wq, &mwq->poll_work);
	}
}

static void idxd_poll_work(struct work_struct *work)
{
	idxd_poll_run(container_of(work, struct migaccel_wq, poll_work), false);
}

static int migaccel_wq_setup(struct migaccel_wq *mwq)
{
	struct idxd_wq *wq = mwq->wq;
	struct idxd_device *idxd = wq->idxd;

	mwq->dev = &idxd->pdev->dev;
	spin_lock_init(&mwq->poll_lock);
	INIT_LIST_HEAD(&mwq->polled);
	INIT_WORK(&mwq->poll_work, idxd_poll_work);
	mwq->engine.name = dev_name(wq_confdev(wq));
	mwq->engine.numa_node = dev_to_node(mwq->dev);
	mwq->engine.wq_id = wq->id;
	mwq->engine.max_batch = wq->max_batch_size;
	mwq->engine.ops = &idxd_engine_ops;
	if (idxd->data->type != IDXD_TYPE_IAX) {
		mwq->engine.kind = MIGACCEL_ENGINE_DSA;
		mwq->engine.ops_mask = BIT_ULL(MIGACCEL_OP_ZERO_SCAN) |
				       BIT_ULL(MIGACCEL_OP_COPY) |
				       BIT_ULL(MIGACCEL_OP_CRC32C) |
				       BIT_ULL(MIGACCEL_OP_DELTA_CREATE) |
				       BIT_ULL(MIGACCEL_OP_DELTA_APPLY);
		return 0;
	}
	mwq->engine.kind = MIGACCEL_ENGINE_IAA;
	mwq->engine.ops_mask = BIT_ULL(MIGACCEL_OP_COMPRESS) |
			       BIT_ULL(MIGACCEL_OP_DECOMPRESS) |
			       BIT_ULL(MIGACCEL_OP_CRC64);
	mwq->aecs = dma_alloc_coherent(mwq->dev, sizeof(*mwq->aecs),
				       &mwq->aecs_dma, GFP_KERNEL);
	if (!mwq->aecs)
		return -ENOMEM;
	aecs_init_fixed(mwq->aecs);
	return 0;
}

static void migaccel_wq_free(struct migaccel_wq *mwq)
{
	if (mwq->aecs)
		dma_free_coherent(mwq->dev, sizeof(*mwq->aecs), mwq->aecs,
				  mwq->aecs_dma);
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
	wq->type = IDXD_WQT_KERNEL;
	ret = idxd_drv_enable_wq(wq);
	if (ret < 0) {
		dev_dbg(dev, "enabling %s failed: %d\n", dev_name(dev), ret);
		wq->type = IDXD_WQT_NONE;
		ret = -ENXIO;
		goto unlock;
	}
	mwq->engine.max_batch = wq->max_batch_size;
	idxd_wq_set_private(wq, mwq);
	migaccel_engine_add(&mwq->engine);
	mutex_unlock(&wq->wq_lock);
	dev_info(dev, "migaccel claimed %s work queue %s (node %d)\n",
		 mwq->engine.kind == MIGACCEL_ENGINE_IAA ? "IAA" : "DSA",
		 dev_name(dev), mwq->engine.numa_node);
	return 0;

unlock:
	mutex_unlock(&wq->wq_lock);
free:
	migaccel_wq_free(mwq);
	return ret;
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
		 * Then let what is in flight finish; disabling the WQ
		 * aborts what the device still holds after the timeout, and
		 * desc_complete() fails it over.
		 */
		migaccel_engine_drain(&mwq->engine, migaccel_timeout_ms);
		idxd_wq_set_private(wq, NULL);
	}
	idxd_drv_disable_wq(wq);
	wq->type = IDXD_WQT_NONE;
	mutex_unlock(&wq->wq_lock);
	if (mwq) {
		/* Polled descriptors are not on idxd's lists: abort them here. */
		cancel_work_sync(&mwq->poll_work);
		idxd_poll_run(mwq, true);
		/*
		 * Aborted chunks give their counts back from desc_complete();
		 * a chunk holds the engine (mwq) until then: no bounded wait.
		 */
		migaccel_engine_drain(&mwq->engine, 0);
		migaccel_regions_engine_del(&mwq->engine);
		migaccel_wq_free(mwq);
	}
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

		if (!ch->sva[id]) {
			sva = iommu_sva_bind_device(mwq->dev, current->mm);
			if (IS_ERR(sva)) {
				ret = PTR_ERR(sva) == -ENODEV ? -EOPNOTSUPP :
				      PTR_ERR(sva);
				continue;
			}
			ch->sva[id] = sva;
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
