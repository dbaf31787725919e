// SPDX-License-Identifier: GPL-2.0
/*
 * Engines and jobs.  A job is the engine work of one batch call: its
 * operations split by device kind into chunks of at most
 * MIGACCEL_CHUNK_DESCS descriptors, each chunk one submission (a DSA BATCH
 * descriptor or single descriptor, or a set of IAA descriptors).
 *
 * A chunk picks an engine (a work queue of its kind, least loaded, on the
 * caller's NUMA node first; else the soft engine) and holds one of the
 * engine's in-flight counts until the engine is done with it, so an engine
 * going away can drain.  A busy engine is retried, then another is tried,
 * then the CPU finishes the chunk.  A chunk given back unrun (its work
 * queue went away) fails over the same way.  A chunk whose completion does
 * not come in time is aborted when its engine can guarantee it will not
 * touch it again, and finished on the CPU; otherwise the call fails and
 * the chunk keeps the job, its pins and buffers alive until the engine
 * lets go.
 *
 * A job is freed, its pages unpinned and the regions it names released,
 * only when the submitter and every chunk in flight have let go of it.
 */
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/*
 * Protects migaccel_engines, migaccel_engines_dying and engine ids.
 * Engines taken off migaccel_engines keep their id, and stay on the dying
 * list, until their owner frees the id once their mappings are gone: a new
 * engine never reuses an id region DMA addresses are still kept under.
 */
static DEFINE_MUTEX(migaccel_engines_lock);
static LIST_HEAD(migaccel_engines);
static LIST_HEAD(migaccel_engines_dying);
static unsigned long migaccel_engine_ids;
/* Sum of the published engines' depths; under migaccel_engines_lock. */
static unsigned int migaccel_engines_depth;

static struct kmem_cache *migaccel_chunk_cache;

/**
 * migaccel_engine_add() - publish a fully set up engine
 * @engine: the engine; its id is assigned here
 *
 * Context: process context; takes migaccel_engines_lock.
 */
void migaccel_engine_add(struct migaccel_engine *engine)
{
	init_waitqueue_head(&engine->drained);
	atomic_set(&engine->inflight, 0);
	engine->dead = false;
	mutex_lock(&migaccel_engines_lock);
	engine->id = find_first_zero_bit(&migaccel_engine_ids,
					 MIGACCEL_MAX_ENGINES);
	__set_bit(engine->id, &migaccel_engine_ids);
	list_add_tail(&engine->node, &migaccel_engines);
	WRITE_ONCE(migaccel_engines_depth,
		   migaccel_engines_depth + engine->depth);
	mutex_unlock(&migaccel_engines_lock);
	/* Chunks that pick it before its regions are mapped go elsewhere. */
	migaccel_regions_engine_add(engine);
	migaccel_nl_notify_engine(engine, true);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engine_add);

/**
 * migaccel_engine_del() - unpublish an engine: no chunk picks it any more
 * @engine: a published engine
 *
 * Chunks that already picked it keep it until migaccel_engine_put(); see
 * migaccel_engine_drain().  It keeps its id, and regions being unregistered
 * are still unmapped from it, until migaccel_engine_free_id().
 *
 * Context: process context; takes migaccel_engines_lock.
 */
void migaccel_engine_del(struct migaccel_engine *engine)
{
	mutex_lock(&migaccel_engines_lock);
	engine->dead = true;
	list_move_tail(&engine->node, &migaccel_engines_dying);
	WRITE_ONCE(migaccel_engines_depth,
		   migaccel_engines_depth - engine->depth);
	mutex_unlock(&migaccel_engines_lock);
	migaccel_nl_notify_engine(engine, false);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engine_del);

/**
 * migaccel_engine_free_id() - forget an unpublished engine
 * @engine: an engine after migaccel_engine_del() that no chunk holds and
 *	no region is mapped for (migaccel_regions_engine_del())
 *
 * Its id may then name another engine.
 *
 * Context: process context; takes migaccel_engines_lock.
 */
void migaccel_engine_free_id(struct migaccel_engine *engine)
{
	mutex_lock(&migaccel_engines_lock);
	list_del(&engine->node);
	__clear_bit(engine->id, &migaccel_engine_ids);
	mutex_unlock(&migaccel_engines_lock);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engine_free_id);

/**
 * migaccel_engine_drain() - wait for the chunks that picked an engine
 * @engine: an unpublished engine
 * @timeout_ms: how long to wait; 0: until none is left, however long
 *
 * A chunk holds its engine until the engine is done with it, so an
 * engine's memory may be freed only after a drain with @timeout_ms 0
 * (once the engine can no longer hold work, e.g. its work queue is
 * disabled).  That wait warns every timeout_ms ms.
 *
 * Context: process context; sleeps.
 */
void migaccel_engine_drain(struct migaccel_engine *engine,
			   unsigned int timeout_ms)
{
	unsigned int step = timeout_ms ?: max(migaccel_timeout_ms, 1000u);

	while (!wait_event_timeout(engine->drained,
				   !atomic_read(&engine->inflight),
				   msecs_to_jiffies(step))) {
		pr_warn("migaccel: %s: %d chunks still in flight after %u ms\n",
			engine->name, atomic_read(&engine->inflight), step);
		if (timeout_ms)
			break;
	}
}

/**
 * migaccel_engine_for_each() - call @fn for the engines from *@pos on
 * @pos: index of the first engine; advanced past each engine @fn accepted
 * @fn: returns 0 to go on, anything else to stop
 * @arg: passed to @fn
 *
 * Context: process context; @fn runs under migaccel_engines_lock.
 * Return: what @fn returned when it stopped, else 0.
 */
int migaccel_engine_for_each(unsigned long *pos,
			     int (*fn)(struct migaccel_engine *engine,
				       void *arg),
			     void *arg)
{
	struct migaccel_engine *engine;
	unsigned long i = 0;
	int ret = 0;

	mutex_lock(&migaccel_engines_lock);
	list_for_each_entry(engine, &migaccel_engines, node) {
		if (i++ < *pos)
			continue;
		ret = fn(engine, arg);
		if (ret)
			break;
		(*pos)++;
	}
	mutex_unlock(&migaccel_engines_lock);
	return ret;
}

/**
 * migaccel_engines_collect() - hold every engine of some kinds
 * @kinds: mask of MIGACCEL_ENGINE_* bits
 * @out: the engines, each with an in-flight count (migaccel_engine_put())
 * @max: room in @out
 *
 * Context: process context; takes migaccel_engines_lock.
 * Return: how many were put in @out.
 */
unsigned int migaccel_engines_collect(u32 kinds, struct migaccel_engine **out,
				      unsigned int max)
{
	struct migaccel_engine *engine;
	unsigned int n = 0;

	mutex_lock(&migaccel_engines_lock);
	list_for_each_entry(engine, &migaccel_engines, node) {
		if (!(engine->kind & kinds) || n == max)
			continue;
		atomic_inc(&engine->inflight);
		out[n++] = engine;
	}
	mutex_unlock(&migaccel_engines_lock);
	return n;
}

/**
 * migaccel_engines_map_region() - map a new region for every engine
 * @region: the region, pinned
 *
 * Context: process context; migaccel_regions_lock held; takes
 * migaccel_engines_lock.
 * Return: 0, or the first mapping error (nothing is left mapped).
 */
int migaccel_engines_map_region(struct migaccel_region *region)
{
	struct migaccel_engine *engine;
	int ret = 0;

	mutex_lock(&migaccel_engines_lock);
	list_for_each_entry(engine, &migaccel_engines, node) {
		if (!engine->ops->map_region)
			continue;
		ret = engine->ops->map_region(engine, region);
		if (ret)
			break;
	}
	if (ret) {
		list_for_each_entry_continue_reverse(engine, &migaccel_engines,
						     node)
			if (engine->ops->unmap_region)
				engine->ops->unmap_region(engine, region);
	}
	mutex_unlock(&migaccel_engines_lock);
	return ret;
}

/**
 * migaccel_engines_unmap_region() - unmap a region from every engine
 * @region: the region, used by no batch
 *
 * Engines being removed are included: their mappings outlive their
 * publication.
 *
 * Context: process context; migaccel_regions_lock held; takes
 * migaccel_engines_lock.
 */
void migaccel_engines_unmap_region(struct migaccel_region *region)
{
	struct migaccel_engine *engine;

	mutex_lock(&migaccel_engines_lock);
	list_for_each_entry(engine, &migaccel_engines, node)
		if (engine->ops->unmap_region)
			engine->ops->unmap_region(engine, region);
	list_for_each_entry(engine, &migaccel_engines_dying, node)
		if (engine->ops->unmap_region)
			engine->ops->unmap_region(engine, region);
	mutex_unlock(&migaccel_engines_lock);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engines_unmap_region);

/**
 * migaccel_engine_window() - chunks the published engines work on at once
 *
 * Context: any; read without a lock (it changes as engines come and go).
 * Return: the sum of their depths, 0 when there is none.
 */
unsigned int migaccel_engine_window(void)
{
	return READ_ONCE(migaccel_engines_depth);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engine_window);

/**
 * migaccel_engine_chunk_size() - descriptors per chunk for a device kind
 * @class: the kind
 *
 * A DSA chunk is one BATCH descriptor: no longer than the smallest batch
 * the DSA work queues take (the power of two idxd programs), so that every
 * one can take it.  An IAA chunk is one descriptor per operation: no more
 * than the smallest descriptor pool of the IAA work queues.
 *
 * Context: process context; takes migaccel_engines_lock.
 * Return: 1 to MIGACCEL_CHUNK_DESCS.
 */
unsigned int migaccel_engine_chunk_size(enum migaccel_class class)
{
	u32 kind = class == MIGACCEL_CLASS_DSA ? MIGACCEL_ENGINE_DSA :
		   MIGACCEL_ENGINE_IAA;
	unsigned int size = MIGACCEL_CHUNK_DESCS;
	struct migaccel_engine *engine;

	mutex_lock(&migaccel_engines_lock);
	list_for_each_entry(engine, &migaccel_engines, node)
		if (engine->kind == kind)
			size = clamp(engine->max_batch, 1u, size);
	mutex_unlock(&migaccel_engines_lock);
	return size;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engine_chunk_size);

/**
 * migaccel_engine_kinds() - which kinds of engine are present
 *
 * Context: process context; takes migaccel_engines_lock.
 * Return: a mask of MIGACCEL_ENGINE_* bits.
 */
u32 migaccel_engine_kinds(void)
{
	struct migaccel_engine *engine;
	u32 kinds = 0;

	mutex_lock(&migaccel_engines_lock);
	list_for_each_entry(engine, &migaccel_engines, node)
		kinds |= engine->kind;
	mutex_unlock(&migaccel_engines_lock);
	return kinds;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engine_kinds);

static bool engine_serves(const struct migaccel_engine *engine,
			  enum migaccel_class class)
{
	return engine->kind == (class == MIGACCEL_CLASS_DSA ?
				MIGACCEL_ENGINE_DSA : MIGACCEL_ENGINE_IAA);
}

/**
 * migaccel_engine_pick() - choose an engine for a chunk and hold it
 * @class: the kind of descriptors
 * @exclude: mask of engine ids (1 << id) not to pick
 *
 * Work queues of the right kind come first, those on the caller's node
 * before others, the one with the fewest chunks in flight among them;
 * the soft engine when there is none.
 *
 * Context: process context; takes migaccel_engines_lock.
 * Return: the engine, with an in-flight count to give back with
 * migaccel_engine_put(); NULL when every candidate is excluded.
 */
struct migaccel_engine *migaccel_engine_pick(enum migaccel_class class,
					     u32 exclude)
{
	int node = numa_node_id();
	struct migaccel_engine *engine, *best = NULL;
	int best_score = INT_MAX;

	mutex_lock(&migaccel_engines_lock);
	list_for_each_entry(engine, &migaccel_engines, node) {
		int score;

		if (!engine_serves(engine, class) || (exclude & BIT(engine->id)))
			continue;
		/* Remote work queues count as busier than any local one. */
		score = atomic_read(&engine->inflight);
		if (engine->numa_node != NUMA_NO_NODE && engine->numa_node != node)
			score += 1 << 20;
		if (score < best_score) {
			best = engine;
			best_score = score;
		}
	}
	if (!best && !(exclude & BIT(migaccel_soft_engine.id)) &&
	    !migaccel_soft_engine.dead)
		best = &migaccel_soft_engine;
	if (best)
		atomic_inc(&best->inflight);
	mutex_unlock(&migaccel_engines_lock);
	return best;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engine_pick);

/**
 * migaccel_engine_put() - give back an in-flight count
 * @engine: the engine
 *
 * Context: any.
 */
void migaccel_engine_put(struct migaccel_engine *engine)
{
	if (atomic_dec_and_test(&engine->inflight))
		wake_up_all(&engine->drained);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_engine_put);

/* Chunks of at least the smaller size, one partial per kind. */
static unsigned int job_max_chunks(unsigned int nr, unsigned int dsa_chunk,
				   unsigned int iaa_chunk)
{
	return DIV_ROUND_UP(nr, min(dsa_chunk, iaa_chunk)) + 1;
}

static struct migaccel_job *job_alloc(unsigned int nr, unsigned int dsa_chunk,
				      unsigned int iaa_chunk)
{
	unsigned int max_chunks = job_max_chunks(nr, dsa_chunk, iaa_chunk);
	struct migaccel_job *job;

	job = kzalloc(struct_size(job, chunks, max_chunks),
		      GFP_KERNEL_ACCOUNT);
	if (!job)
		return NULL;
	job->max_chunks = max_chunks;
	job->ops = kvcalloc(nr, sizeof(*job->ops), GFP_KERNEL_ACCOUNT);
	if (!job->ops) {
		kfree(job);
		return NULL;
	}
	job->cap = nr;
	job->regions = job->regions_inline;
	job->max_regions = ARRAY_SIZE(job->regions_inline);
	init_completion(&job->done);
	return job;
}

/* Set up an allocated or spare job for a batch of @nr operations. */
static void job_reset(struct migaccel_job *job, unsigned int nr,
		      unsigned int dsa_chunk, unsigned int iaa_chunk)
{
	kref_init(&job->ref);
	atomic_set(&job->pending, 0);
	job->notify = NULL;
	job->listed = false;
	job->done_unlisted = false;
	job->ch = NULL;
	memset(&job->fault, 0, sizeof(job->fault));
	job->stats = NULL;
	job->nr = nr;
	job->dsa_chunk = dsa_chunk;
	job->iaa_chunk = iaa_chunk;
	job->nr_chunks = 0;
	job->locked = 0;
	job->admitted = 0;
	job->admit_state = MIGACCEL_ADMIT_NONE;
	job->admit_group = NULL;
	job->nr_regions = 0;
	job->runner = NULL;
	INIT_LIST_HEAD(&job->deferred);
}

static void job_free(struct migaccel_job *job)
{
	unsigned int i;

	for (i = 0; i < job->cap; i++)
		kfree(job->ops[i].bounce);
	for (i = 0; i < job->nr_alloc; i++)
		kmem_cache_free(migaccel_chunk_cache, job->chunks[i]);
	if (job->regions != job->regions_inline)
		kfree(job->regions);
	kvfree(job->ops);
	kfree(job);
}

/**
 * migaccel_job_alloc() - allocate a job for a number of operations
 * @nr: number of operations, 1 to MIGACCEL_MAX_BATCH_OPS
 *
 * Its operations are zeroed.
 *
 * Context: process context, may sleep.
 * Return: the job holding one reference, or NULL.
 */
struct migaccel_job *migaccel_job_alloc(unsigned int nr)
{
	unsigned int dsa_chunk = migaccel_engine_chunk_size(MIGACCEL_CLASS_DSA);
	unsigned int iaa_chunk = migaccel_engine_chunk_size(MIGACCEL_CLASS_IAA);
	struct migaccel_job *job = job_alloc(nr, dsa_chunk, iaa_chunk);

	if (job)
		job_reset(job, nr, dsa_chunk, iaa_chunk);
	return job;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_alloc);

/**
 * migaccel_job_get() - a job for a batch of a channel
 * @ch: the channel
 * @nr: number of operations, 1 to MIGACCEL_MAX_BATCH_OPS
 *
 * The channel's spare job when it has room, else a new one.  The
 * operations of a spare job are not zeroed: whoever fills one sets every
 * field its opcode uses (@op, @class, @src, @src2, @dst, @nr_ubuf,
 * @region, @buf_region, @chunk); @pinned is 0 and @bounce is NULL or a
 * buffer to reuse.  The caller sets @ch (with a reference) and @stats.
 *
 * Context: process context, may sleep.
 * Return: the job holding one reference, or NULL.
 */
struct migaccel_job *migaccel_job_get(struct migaccel_channel *ch,
				      unsigned int nr)
{
	unsigned int dsa_chunk = migaccel_engine_chunk_size(MIGACCEL_CLASS_DSA);
	unsigned int iaa_chunk = migaccel_engine_chunk_size(MIGACCEL_CLASS_IAA);
	struct migaccel_job *job = xchg(&ch->spare, NULL);

	if (job && (job->cap < nr || job->max_chunks <
		    job_max_chunks(nr, dsa_chunk, iaa_chunk))) {
		job_free(job);
		job = NULL;
	}
	if (!job)
		job = job_alloc(nr, dsa_chunk, iaa_chunk);
	if (job)
		job_reset(job, nr, dsa_chunk, iaa_chunk);
	return job;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_get);

/**
 * migaccel_job_free_spare() - free a channel's spare job
 * @ch: the channel, being freed
 *
 * Context: any in which kvfree() may run.
 */
void migaccel_job_free_spare(struct migaccel_channel *ch)
{
	struct migaccel_job *job = xchg(&ch->spare, NULL);

	if (job)
		job_free(job);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_free_spare);

/* Unpin what the job pinned; its operations are left with @pinned 0. */
static void job_unpin(struct migaccel_job *job)
{
	unsigned int i;

	for (i = 0; i < job->nr; i++) {
		struct migaccel_jop *jop = &job->ops[i];

		if (!jop->pinned)
			continue;
		if (jop->pinned & MIGACCEL_PIN_SRC)
			unpin_user_page(jop->src);
		if (jop->pinned & MIGACCEL_PIN_SRC2)
			unpin_user_page(jop->src2);
		/* Written by an engine or by the completion: dirty. */
		if (jop->pinned & MIGACCEL_PIN_DST)
			unpin_user_pages_dirty_lock(&jop->dst, 1, true);
		if (jop->pinned & MIGACCEL_PIN_UBUF)
			unpin_user_pages_dirty_lock(jop->ubuf, jop->nr_ubuf,
						    true);
		jop->pinned = 0;
	}
}

/* Give back the job's hold on memory: pins, their charge, regions. */
static void job_let_go(struct migaccel_job *job)
{
	struct migaccel_channel *ch = job->ch;
	unsigned int i;

	/* Every pin of a channel's job is charged: none charged, none pinned. */
	if (job->locked || !ch)
		job_unpin(job);
	for (i = 0; i < job->nr_regions; i++)
		migaccel_region_put(job->regions[i], &ch->wait);
	job->nr_regions = 0;
	if (job->locked)
		migaccel_memlock_uncharge(ch->mm, job->locked);
	job->locked = 0;
}

/**
 * migaccel_job_let_go() - the owner is done with a job's memory
 * @job: a job whose chunks are all DONE (migaccel_job_wait() returned 0),
 *	 its operations finished and written back; the caller holds a
 *	 reference
 *
 * Unpins, uncharges and drops the regions' use counts now.  An engine
 * that completed a chunk may still hold a reference to the job for a
 * moment after the owner was woken, and the job's release would give
 * these back only then, possibly after the owner's call returned: a
 * region it used would still be busy for an unregister right after it.
 * The job's release then has nothing more to give back.
 *
 * Context: process context (unpinning may sleep).
 */
void migaccel_job_let_go(struct migaccel_job *job)
{
	job_let_go(job);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_let_go);

static void migaccel_job_release(struct kref *ref)
{
	struct migaccel_job *job = container_of(ref, struct migaccel_job, ref);
	struct migaccel_channel *ch = job->ch;

	/* Taken back from the engines after a timeout: never done. */
	migaccel_qos_admit_end(job);
	job_let_go(job);
	if (!ch) {
		job_free(job);
		return;
	}
	/* The channel's next batch reuses it, unless it has one already. */
	job->ch = NULL;
	if (cmpxchg(&ch->spare, NULL, job))
		job_free(job);
	migaccel_channel_put(ch);
}

/**
 * migaccel_job_put() - drop a reference; the last one unpins and frees
 * @job: the job
 *
 * Context: process context (unpinning may sleep).
 */
void migaccel_job_put(struct migaccel_job *job)
{
	kref_put(&job->ref, migaccel_job_release);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_put);

/**
 * migaccel_job_new_chunk() - add an empty chunk of one kind to a job
 * @job: the job
 * @class: the device kind of its operations
 *
 * The caller puts up to MIGACCEL_CHUNK_DESCS operations in it: @op[@nr],
 * its opcode's bit in @ops, the operation's @chunk and @slot, then @nr.  A chunk a spare job
 * kept is reused.
 *
 * Context: process context, may sleep.
 * Return: the chunk, or NULL (no memory, or no room in @job).
 */
struct migaccel_chunk *migaccel_job_new_chunk(struct migaccel_job *job,
					      enum migaccel_class class)
{
	struct migaccel_chunk *chunk;

	if (WARN_ON_ONCE(job->nr_chunks == job->max_chunks))
		return NULL;
	if (job->nr_chunks < job->nr_alloc) {
		chunk = job->chunks[job->nr_chunks];
	} else {
		chunk = kmem_cache_alloc(migaccel_chunk_cache,
					 GFP_KERNEL_ACCOUNT);
		if (!chunk)
			return NULL;
		job->chunks[job->nr_alloc++] = chunk;
	}
	chunk->job = job;
	spin_lock_init(&chunk->lock);
	chunk->engine = NULL;
	chunk->class = class;
	chunk->nr = 0;
	chunk->ops = 0;
	chunk->tried = 0;
	chunk->refused = 0;
	chunk->priv = NULL;
	atomic_set(&chunk->state, MIGACCEL_CHUNK_IDLE);
	job->nr_chunks++;
	return chunk;
}

/*
 * A chunk of @class for @nr operations of @job: those whose indexes @ops
 * lists, or with no list the run from @first on.  Inlined into both
 * callers, so that a run reads no index array.
 */
static __always_inline int job_add_chunk(struct migaccel_job *job,
					 enum migaccel_class class,
					 const unsigned int *ops,
					 unsigned int first, unsigned int nr)
{
	struct migaccel_chunk *chunk;
	struct migaccel_jop *jop;
	unsigned int i, k;

	if (WARN_ON_ONCE(!nr || nr > MIGACCEL_CHUNK_DESCS))
		return -EINVAL;
	chunk = migaccel_job_new_chunk(job, class);
	if (!chunk)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		k = ops ? ops[i] : first + i;
		jop = &job->ops[k];
		chunk->op[i] = k;
		chunk->ops |= BIT_ULL(jop->op.opcode);
		jop->chunk = chunk;
		jop->slot = i;
	}
	chunk->nr = nr;
	return 0;
}

/**
 * migaccel_job_add_chunk() - add a chunk of operations of one kind
 * @job: the job
 * @class: their device kind
 * @ops: indexes of the operations in @job
 * @nr: how many, 1 to MIGACCEL_CHUNK_DESCS
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int migaccel_job_add_chunk(struct migaccel_job *job, enum migaccel_class class,
			   const unsigned int *ops, unsigned int nr)
{
	return job_add_chunk(job, class, ops, 0, nr);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_add_chunk);

/**
 * migaccel_job_add_run() - add a chunk of consecutive operations of one kind
 * @job: the job
 * @class: their device kind
 * @first: index of the first operation in @job
 * @nr: how many, 1 to MIGACCEL_CHUNK_DESCS
 *
 * migaccel_job_add_chunk() for the operations @first to @first + @nr - 1.
 *
 * Context: process context, may sleep.
 * Return: 0 or -ENOMEM.
 */
int migaccel_job_add_run(struct migaccel_job *job, enum migaccel_class class,
			 unsigned int first, unsigned int nr)
{
	return job_add_chunk(job, class, NULL, first, nr);
}

/* No engine runs @chunk: its records read as "nothing done", the CPU's. */
static void chunk_to_cpu(struct migaccel_chunk *chunk)
{
	memset(chunk->comps, 0, chunk->nr * sizeof(chunk->comps[0]));
	memset(&chunk->batch_comp, 0, sizeof(chunk->batch_comp));
	atomic_set(&chunk->state, MIGACCEL_CHUNK_DONE);
}

/* Descriptors of @chunk for @engine, completion records cleared. */
static void chunk_build(struct migaccel_chunk *chunk,
			struct migaccel_engine *engine)
{
	const struct migaccel_engine_ops *ops = engine->ops;

	/* The records lie in a row: one address, each one's from it. */
	chunk->comps_addr = ops->kernel_addr(engine, chunk, chunk->comps);
	memset(&chunk->batch_comp, 0, sizeof(chunk->batch_comp));
	/* Each descriptor's builder clears its record. */
	migaccel_chunk_build(chunk);
	if (chunk->class == MIGACCEL_CLASS_DSA && chunk->nr > 1)
		migaccel_desc_batch(&chunk->batch,
				    ops->kernel_addr(engine, chunk, chunk->descs),
				    chunk->nr,
				    ops->kernel_addr(engine, chunk,
						     &chunk->batch_comp));
}

/* Set or clear the engine holding @chunk, against a racing abort. */
static void chunk_set_engine(struct migaccel_chunk *chunk,
			     struct migaccel_engine *engine)
{
	unsigned long flags;

	spin_lock_irqsave(&chunk->lock, flags);
	chunk->engine = engine;
	spin_unlock_irqrestore(&chunk->lock, flags);
}

/*
 * @engine is done with @chunk (its hold on the chunk already ended under
 * the chunk's lock): give back what picking it took.
 */
static void chunk_unpick(struct migaccel_chunk *chunk,
			 struct migaccel_engine *engine)
{
	engine->ops->release(engine, chunk);
	migaccel_engine_put(engine);
}

/*
 * Put @chunk on an engine: pick, map, build, submit.  Returns true when an
 * engine took it; false when none would, and the CPU must do it all.
 */
static bool chunk_start(struct migaccel_chunk *chunk)
{
	struct migaccel_job *job = chunk->job;
	struct migaccel_engine *engine;
	u64 ops = chunk->ops;
	unsigned int tries;
	int ret;

	while ((engine = migaccel_engine_pick(chunk->class, chunk->tried))) {
		chunk_set_engine(chunk, engine);
		chunk->tried |= BIT(engine->id);
		/* A work queue whose op_config lacks one: the next engine. */
		if ((ops & engine->ops_mask) != ops ||
		    engine->ops->prepare(engine, chunk)) {
			chunk_set_engine(chunk, NULL);
			migaccel_engine_put(engine);
			continue;
		}
		chunk_build(chunk, engine);
		atomic_set(&chunk->state, MIGACCEL_CHUNK_INFLIGHT);
		kref_get(&job->ref);
		atomic_inc(&job->pending);
		/* Counted first: once submitted, the engine may go at any time. */
		atomic64_inc(&engine->submitted);
		for (tries = 0; ; tries++) {
			ret = engine->ops->submit(engine, chunk);
			if (ret != -EBUSY || tries >= migaccel_busy_retries)
				break;
			migaccel_count(job->stats, MIGACCEL_STAT_BUSY_RETRIES, 1);
			usleep_range(10, 50);
		}
		if (ret == MIGACCEL_SUBMIT_DEFERRED) {
			/* Ours to run: the engine's hold on it is unchanged. */
			list_add_tail(&chunk->node, &job->deferred);
			return true;
		}
		if (!ret)
			return true;
		atomic64_dec(&engine->submitted);
		atomic_dec(&job->pending);
		migaccel_job_put(job);
		atomic_set(&chunk->state, MIGACCEL_CHUNK_IDLE);
		chunk_set_engine(chunk, NULL);
		chunk_unpick(chunk, engine);
	}
	return false;
}

/* An incompressible page is an answer, not an error. */
static bool record_ok(enum migaccel_class class, const union migaccel_hw_comp *comp)
{
	u8 status = DSA_COMP_STATUS(READ_ONCE(comp->dsa.status));

	return status == DSA_COMP_SUCCESS ||
	       (class == MIGACCEL_CLASS_IAA &&
		migaccel_comp_compress_overflow(&comp->iax));
}

/*
 * Operations of a completed chunk the CPU finishes (@cpu), and of those,
 * the ones whose record the engine wrote with an error status (@errors).
 * A record left unwritten (status 0) is an operation the engine never ran:
 * the rest of a chunk a full work queue refused, or what a disabled work
 * queue dropped.  The CPU finishes it too, but it is no engine error.
 */
static void chunk_outcome(const struct migaccel_chunk *chunk,
			  unsigned int *cpu, unsigned int *errors)
{
	unsigned int i;

	*cpu = 0;
	*errors = 0;
	if (chunk->class == MIGACCEL_CLASS_DSA && chunk->nr > 1 &&
	    DSA_COMP_STATUS(READ_ONCE(chunk->batch_comp.status)) ==
	    DSA_COMP_SUCCESS)
		return;
	for (i = 0; i < chunk->nr; i++) {
		if (record_ok(chunk->class, &chunk->comps[i]))
			continue;
		(*cpu)++;
		if (READ_ONCE(chunk->comps[i].dsa.status))
			(*errors)++;
	}
}

static void job_done(struct migaccel_job *job)
{
	/* The engines are done with it: the next job may be admitted. */
	migaccel_qos_admit_end(job);
	complete(&job->done);
	if (job->notify)
		job->notify(job);
}

/**
 * migaccel_chunk_complete() - an engine is done with a chunk
 * @chunk: the chunk; its job may be freed before this returns
 * @requeue: the engine did not run it (its work queue went away)
 *
 * Context: any in which the engine's release and unpinning may run: the
 * soft engine's workers, the idxd interrupt thread.
 */
void migaccel_chunk_complete(struct migaccel_chunk *chunk, bool requeue)
{
	struct migaccel_job *job = chunk->job;
	struct migaccel_engine *engine;
	unsigned long flags;

	/* From here on an abort finds no engine to ask. */
	spin_lock_irqsave(&chunk->lock, flags);
	engine = chunk->engine;
	chunk->engine = NULL;
	spin_unlock_irqrestore(&chunk->lock, flags);

	atomic64_inc(&engine->completed);
	if (!requeue) {
		unsigned int cpu, errors;

		/* Each is finished on the CPU, from where the engine stopped. */
		chunk_outcome(chunk, &cpu, &errors);
		atomic64_add(errors, &engine->errors);
		atomic64_add(cpu, &engine->cpu_completions);
	}
	chunk_unpick(chunk, engine);
	/* Records first, state after: the waiter reads them once it sees it. */
	atomic_set_release(&chunk->state, requeue ? MIGACCEL_CHUNK_REQUEUE :
			   MIGACCEL_CHUNK_DONE);
	if (atomic_dec_and_test(&job->pending))
		job_done(job);
	migaccel_job_put(job);
}

/**
 * migaccel_chunk_may_defer() - may an engine leave a chunk to its submitter?
 * @chunk: a chunk being submitted
 *
 * Yes when the task submitting it is the job's runner, which waits for
 * the job in migaccel_job_wait() and runs it there (&migaccel_job.runner),
 * and the job has no deferred chunk yet: the runner does one chunk, other
 * chunks still go to the engine's own workers, in parallel with it.
 *
 * Context: in &migaccel_engine_ops.submit.
 * Return: true when the engine may return MIGACCEL_SUBMIT_DEFERRED.
 */
bool migaccel_chunk_may_defer(const struct migaccel_chunk *chunk)
{
	const struct migaccel_job *job = chunk->job;

	return job->runner == current && list_empty(&job->deferred);
}

/* The runner runs the chunks left to it, before it waits for the rest. */
static void job_run_deferred(struct migaccel_job *job)
{
	struct migaccel_chunk *chunk, *next;

	list_for_each_entry_safe(chunk, next, &job->deferred, node) {
		list_del(&chunk->node);
		/* Held until it completes: no completion nor abort clears it. */
		chunk->engine->ops->run(chunk->engine, chunk);
	}
}

/**
 * migaccel_job_start() - submit every idle chunk of a job
 * @job: the job
 *
 * Chunks no engine takes are left to the CPU.  @job->done completes, and
 * @job->notify runs, once every chunk submitted here is back.
 *
 * Context: process context.
 */
void migaccel_job_start(struct migaccel_job *job)
{
	unsigned int i;

	reinit_completion(&job->done);
	/* One count for the submitter, so completion waits for all starts. */
	atomic_set(&job->pending, 1);
	for (i = 0; i < job->nr_chunks; i++) {
		struct migaccel_chunk *chunk = job->chunks[i];

		if (atomic_read(&chunk->state) != MIGACCEL_CHUNK_IDLE)
			continue;
		if (!chunk_start(chunk))
			chunk_to_cpu(chunk);
	}
	if (atomic_dec_and_test(&job->pending))
		job_done(job);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_start);

/**
 * migaccel_job_start_on_cpu() - start a job that no engine may run
 * @job: the job; its group is out of quota and asked for the CPU
 *
 * Every chunk is left to the CPU: @job->done completes at once.
 *
 * Context: any.
 */
void migaccel_job_start_on_cpu(struct migaccel_job *job)
{
	unsigned int i;

	reinit_completion(&job->done);
	for (i = 0; i < job->nr_chunks; i++)
		chunk_to_cpu(job->chunks[i]);
	atomic_set(&job->pending, 0);
	job_done(job);
}

/**
 * migaccel_job_abort() - take back what the engines have not completed
 * @job: a job whose wait ran out
 *
 * Context: process context.
 * Return: true when no chunk is in flight any more (those taken back are
 * left to the CPU); false when an engine could not give one back.
 */
bool migaccel_job_abort(struct migaccel_job *job)
{
	bool all = true;
	unsigned int i;

	/* Still waiting for room on the engines: the CPU does it all. */
	if (migaccel_qos_admit_cancel(job)) {
		migaccel_job_start_on_cpu(job);
		return true;
	}

	for (i = 0; i < job->nr_chunks; i++) {
		struct migaccel_chunk *chunk = job->chunks[i];
		struct migaccel_engine *engine;
		unsigned long flags;
		bool taken = false;

		if (atomic_read_acquire(&chunk->state) != MIGACCEL_CHUNK_INFLIGHT)
			continue;
		migaccel_count(job->stats, MIGACCEL_STAT_TIMEOUTS, 1);
		/*
		 * The engine is asked only while it still holds the chunk: a
		 * completion racing this clears chunk->engine under the same
		 * lock, and the engine stays alive while it holds a chunk.
		 * A work queue never gives a descriptor back: only the soft
		 * engine is asked.
		 */
		spin_lock_irqsave(&chunk->lock, flags);
		engine = chunk->engine;
		if (engine == &migaccel_soft_engine &&
		    engine->ops->abort(engine, chunk)) {
			chunk->engine = NULL;
			taken = true;
		}
		spin_unlock_irqrestore(&chunk->lock, flags);
		if (!engine) {
			/*
			 * Completed meanwhile: its state becomes DONE or
			 * REQUEUE once the engine's release returns, which
			 * does not sleep; records are read only after that.
			 */
			while (atomic_read_acquire(&chunk->state) ==
			       MIGACCEL_CHUNK_INFLIGHT) {
				cond_resched();
				cpu_relax();
			}
			continue;
		}
		if (!taken) {
			all = false;
			continue;
		}
		/* Ours again, unrun: the CPU finishes it. */
		atomic64_add(chunk->nr, &engine->cpu_completions);
		chunk_unpick(chunk, engine);
		chunk_to_cpu(chunk);
		atomic_dec(&job->pending);
		migaccel_job_put(job);
	}
	return all;
}

/**
 * migaccel_job_requeue() - make chunks given back unrun idle again
 * @job: a job with no chunk in flight
 *
 * They go to another engine at the next migaccel_job_start(), or to the
 * CPU when there is none.
 *
 * Context: any.
 * Return: true when there were some.
 */
bool migaccel_job_requeue(struct migaccel_job *job)
{
	bool any = false;
	unsigned int i;

	for (i = 0; i < job->nr_chunks; i++) {
		struct migaccel_chunk *chunk = job->chunks[i];

		if (atomic_read_acquire(&chunk->state) != MIGACCEL_CHUNK_REQUEUE)
			continue;
		migaccel_count(job->stats, MIGACCEL_STAT_FAILOVERS, 1);
		/*
		 * @tried holds the engine that gave it back: another work
		 * queue or the soft engine takes it, the CPU after them.
		 */
		atomic_set(&chunk->state, MIGACCEL_CHUNK_IDLE);
		any = true;
	}
	return any;
}

/* Poll briefly before sleeping: a soft or idle engine is often quick. */
static bool job_poll(struct migaccel_job *job)
{
	u64 end;

	/* Done already (a chunk its runner ran): no clock to read. */
	if (completion_done(&job->done))
		return true;
	end = ktime_get_ns() + (u64)migaccel_poll_us * NSEC_PER_USEC;
	while (!completion_done(&job->done)) {
		if (ktime_get_ns() > end || need_resched())
			return false;
		cpu_relax();
	}
	return true;
}

/**
 * migaccel_job_wait() - wait for a started job to reach its outcome
 * @job: a job after migaccel_job_start()
 * @timeout: jiffies to wait for each round of submissions
 *
 * Chunks given back unrun are submitted again, elsewhere; on return 0
 * every chunk is DONE: its records hold what its engine did, or are clear
 * where nothing ran; migaccel_op_finish() then completes each operation,
 * on the CPU where needed.
 *
 * Context: process context of the submitter; sleeps, killable.
 * Return: 0; -ETIMEDOUT when an engine neither completed nor gave back a
 * chunk in time, -EINTR on a fatal signal.  On error the chunks still in
 * flight keep their job reference.
 */
int migaccel_job_wait(struct migaccel_job *job, unsigned long timeout)
{
	long left;

	for (;;) {
		job_run_deferred(job);
		left = job_poll(job) ? 1 :
		       wait_for_completion_killable_timeout(&job->done, timeout);
		if (left <= 0 && !migaccel_job_abort(job))
			return left ? -EINTR : -ETIMEDOUT;
		if (left < 0)
			return -EINTR;
		if (!migaccel_job_requeue(job))
			return 0;
		migaccel_job_start(job);
	}
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_wait);

/**
 * migaccel_job_run() - start a job and wait for its outcome
 * @job: a job whose operations and chunks are set up
 *
 * Context: process context of the submitter; sleeps, killable.
 * Return: as migaccel_job_wait().
 */
int migaccel_job_run(struct migaccel_job *job)
{
	migaccel_job_start(job);
	return migaccel_job_wait(job, msecs_to_jiffies(migaccel_timeout_ms));
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_run);

/**
 * migaccel_engine_init() - set up the chunk cache
 *
 * Context: module init.
 * Return: 0 or -ENOMEM.
 */
int migaccel_engine_init(void)
{
	/* 64-byte alignment puts descs[] where DSA wants a descriptor list. */
	migaccel_chunk_cache = kmem_cache_create("migaccel_chunk",
						 sizeof(struct migaccel_chunk),
						 64, 0, NULL);
	return migaccel_chunk_cache ? 0 : -ENOMEM;
}

/**
 * migaccel_engine_exit() - free the chunk cache
 *
 * Context: module exit, once every job is released.
 */
void migaccel_engine_exit(void)
{
	kmem_cache_destroy(migaccel_chunk_cache);
}
