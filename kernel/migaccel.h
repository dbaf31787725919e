/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migaccel private header: prototypes grouped by the file that defines them.
 *
 * Lock order (outer first):
 *   wq->wq_lock (idxd)                - held by idxd.c probe/remove
 *     migaccel_engines_lock (engine.c) - the list of engines
 * Jobs take no lock: their lifetime is a kref, their progress an atomic.
 */
#ifndef _MIGACCEL_H
#define _MIGACCEL_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/completion.h>
#include <linux/workqueue.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <uapi/linux/idxd.h>
#include <linux/migaccel.h>

#define MIGACCEL_PAGE_SIZE	4096u
#define MIGACCEL_MAX_BATCH_OPS	1024u
/* Descriptors per hardware batch; DSA's max_batch_size can be larger. */
#define MIGACCEL_CHUNK_DESCS	128u
/* Largest op stride accepted, to bound the kernel copy of the op array. */
#define MIGACCEL_MAX_OP_SIZE	256u

struct migaccel_engine;
struct migaccel_job;

/**
 * struct migaccel_chunk - one submission to an engine
 * @descs: member descriptors; the DSA batch list, 64-byte aligned
 * @comps: one completion record per member, 32-byte aligned
 * @batch: the BATCH descriptor naming @descs when @nr > 1
 * @batch_comp: completion record of @batch
 * @hw: what is submitted: @batch, or @descs[0] when @nr == 1
 * @hw_comp: completion record the engine writes last for @hw
 * @job: the job this chunk belongs to
 * @first: index in the job of @descs[0]
 * @nr: number of member descriptors
 * @work: soft engine execution
 *
 * Lives in one slab object, so the descriptor list and completion records
 * are physically contiguous, as a device needs them.
 */
struct migaccel_chunk {
	struct dsa_hw_desc descs[MIGACCEL_CHUNK_DESCS];
	struct dsa_completion_record comps[MIGACCEL_CHUNK_DESCS];
	struct dsa_hw_desc batch;
	struct dsa_completion_record batch_comp __aligned(32);
	struct dsa_hw_desc *hw;
	struct dsa_completion_record *hw_comp;
	struct migaccel_job *job;
	unsigned int first;
	unsigned int nr;
	struct work_struct work;
};

/**
 * struct migaccel_job - the engine work of one batch call
 * @ref: held by the submitter and by each chunk in flight
 * @pending: chunks not yet completed by the engine
 * @done: completed when @pending reaches zero
 * @engine: where the chunks run
 * @nr: number of operations
 * @pages: the pinned source page of each operation, unpinned on release
 * @nr_pinned: entries of @pages holding a pin
 * @nr_chunks: entries of @chunks
 * @chunks: submissions, MIGACCEL_CHUNK_DESCS operations each
 */
struct migaccel_job {
	struct kref ref;
	atomic_t pending;
	struct completion done;
	struct migaccel_engine *engine;
	unsigned int nr;
	struct page **pages;
	unsigned int nr_pinned;
	unsigned int nr_chunks;
	struct migaccel_chunk *chunks[] __counted_by(nr_chunks);
};

/**
 * struct migaccel_engine_ops - what an engine does with a chunk
 * @page_addr: address the engine uses to reach @page
 * @kernel_addr: address the engine uses to reach kernel memory at @ptr
 * @submit: start @chunk; the engine calls migaccel_chunk_complete() once
 *	@chunk->hw_comp is written, from any context that may sleep or not
 */
struct migaccel_engine_ops {
	u64 (*page_addr)(struct migaccel_engine *engine, struct page *page);
	u64 (*kernel_addr)(struct migaccel_engine *engine, void *ptr);
	int (*submit)(struct migaccel_engine *engine,
		      struct migaccel_chunk *chunk);
};

/**
 * struct migaccel_engine - an executor of DSA/IAA descriptors
 * @name: for logs
 * @kind: MIGACCEL_ENGINE_SOFT, _DSA or _IAA
 * @ops: how to reach memory and submit
 * @node: in migaccel_engines, under migaccel_engines_lock
 * @submitted: chunks submitted
 * @completed: chunks completed
 */
struct migaccel_engine {
	const char *name;
	u32 kind;
	const struct migaccel_engine_ops *ops;
	struct list_head node;
	atomic64_t submitted;
	atomic64_t completed;
};

/* main.c */
extern unsigned int migaccel_timeout_ms;

/* engine.c */
void migaccel_engine_add(struct migaccel_engine *engine);
void migaccel_engine_del(struct migaccel_engine *engine);
u32 migaccel_engine_kinds(void);
struct migaccel_job *migaccel_job_alloc(struct migaccel_engine *engine,
					unsigned int nr);
void migaccel_job_put(struct migaccel_job *job);
int migaccel_job_submit(struct migaccel_job *job);
void migaccel_chunk_complete(struct migaccel_chunk *chunk);
int migaccel_engine_init(void);
void migaccel_engine_exit(void);

/* desc.c */
void migaccel_desc_compval(struct dsa_hw_desc *desc, u64 src, u32 len,
			   u64 pattern, u64 completion);
void migaccel_desc_batch(struct dsa_hw_desc *desc, u64 list, u32 count,
			 u64 completion);
bool migaccel_comp_zero_page(const struct dsa_completion_record *comp,
			     u32 len, u32 *resume);

/* soft.c */
extern struct migaccel_engine migaccel_soft_engine;
void migaccel_soft_exec(const struct dsa_hw_desc *desc);
int migaccel_soft_init(void);
void migaccel_soft_exit(void);

/* batch.c */
int migaccel_batch_run(struct migaccel_batch *cmd);
bool migaccel_cpu_zero_page(struct page *page, u32 from);
void migaccel_job_build_zero_scan(struct migaccel_job *job);
unsigned int migaccel_job_zero_results(struct migaccel_job *job,
				       unsigned long *bitmap);

/* idxd.c */
int migaccel_idxd_init(void);
void migaccel_idxd_exit(void);

#endif /* _MIGACCEL_H */
