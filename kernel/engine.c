// SPDX-License-Identifier: GPL-2.0
/*
 * Engines and jobs.  A job is the engine work of one batch call: its
 * operations split into chunks of at most MIGACCEL_CHUNK_DESCS descriptors,
 * each chunk one submission (a BATCH descriptor, or a single descriptor).
 *
 * A job is freed, and its pages unpinned, only when the submitter and every
 * chunk in flight have let go of it, so a submitter that is killed or times
 * out never frees memory an engine still writes.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/* Protects migaccel_engines.  Outermost lock of the module. */
static DEFINE_MUTEX(migaccel_engines_lock);
static LIST_HEAD(migaccel_engines);

static struct kmem_cache *migaccel_chunk_cache;

/**
 * migaccel_engine_add() - publish a fully set up engine
 * @engine: the engine
 *
 * Context: process context; takes migaccel_engines_lock, allocates.
 */
void migaccel_engine_add(struct migaccel_engine *engine)
{
	mutex_lock(&migaccel_engines_lock);
	list_add_tail(&engine->node, &migaccel_engines);
	mutex_unlock(&migaccel_engines_lock);
	migaccel_nl_notify_engine(engine, true);
}

/**
 * migaccel_engine_del() - unpublish an engine
 * @engine: a published engine
 *
 * Context: process context; takes migaccel_engines_lock, allocates.
 */
void migaccel_engine_del(struct migaccel_engine *engine)
{
	mutex_lock(&migaccel_engines_lock);
	list_del(&engine->node);
	mutex_unlock(&migaccel_engines_lock);
	migaccel_nl_notify_engine(engine, false);
}

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
 * migaccel_job_alloc() - allocate a job and its chunks
 * @engine: engine the job will run on
 * @nr: number of operations, 1 to MIGACCEL_MAX_BATCH_OPS
 *
 * Context: process context, may sleep.
 * Return: the job holding one reference, or NULL.
 */
struct migaccel_job *migaccel_job_alloc(struct migaccel_engine *engine,
					unsigned int nr)
{
	unsigned int nr_chunks = DIV_ROUND_UP(nr, MIGACCEL_CHUNK_DESCS);
	struct migaccel_job *job;
	unsigned int i;

	job = kzalloc(struct_size(job, chunks, nr_chunks), GFP_KERNEL);
	if (!job)
		return NULL;
	job->nr_chunks = nr_chunks;
	kref_init(&job->ref);
	init_completion(&job->done);
	job->engine = engine;
	job->nr = nr;

	job->pages = kvcalloc(nr, sizeof(*job->pages), GFP_KERNEL);
	if (!job->pages)
		goto free_job;

	for (i = 0; i < nr_chunks; i++) {
		struct migaccel_chunk *chunk;

		chunk = kmem_cache_zalloc(migaccel_chunk_cache, GFP_KERNEL);
		if (!chunk)
			goto free_chunks;
		chunk->job = job;
		chunk->first = i * MIGACCEL_CHUNK_DESCS;
		chunk->nr = min(nr - chunk->first, MIGACCEL_CHUNK_DESCS);
		job->chunks[i] = chunk;
	}
	return job;

free_chunks:
	while (i--)
		kmem_cache_free(migaccel_chunk_cache, job->chunks[i]);
	kvfree(job->pages);
free_job:
	kfree(job);
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_alloc);

static void migaccel_job_release(struct kref *ref)
{
	struct migaccel_job *job = container_of(ref, struct migaccel_job, ref);
	unsigned int i;

	unpin_user_pages(job->pages, job->nr_pinned);
	for (i = 0; i < job->nr_chunks; i++)
		kmem_cache_free(migaccel_chunk_cache, job->chunks[i]);
	kvfree(job->pages);
	kfree(job);
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
 * migaccel_job_submit() - hand every chunk of a built job to its engine
 * @job: a job whose descriptors are built
 *
 * Each chunk holds a job reference until migaccel_chunk_complete().
 *
 * Context: process context.
 * Return: 0, or the engine's error for the first chunk it refused; chunks
 * refused are completed at once with their records unwritten, so the
 * caller sees them as undecided and finishes them on the CPU.
 */
int migaccel_job_submit(struct migaccel_job *job)
{
	struct migaccel_engine *engine = job->engine;
	unsigned int i;
	int ret = 0;

	atomic_set(&job->pending, job->nr_chunks);
	for (i = 0; i < job->nr_chunks; i++) {
		struct migaccel_chunk *chunk = job->chunks[i];
		int err;

		kref_get(&job->ref);
		atomic64_inc(&engine->submitted);
		err = engine->ops->submit(engine, chunk);
		if (err) {
			ret = ret ?: err;
			migaccel_chunk_complete(chunk);
		}
	}
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_submit);

/**
 * migaccel_chunk_complete() - an engine is done with a chunk
 * @chunk: the chunk; its job may be freed before this returns
 *
 * Context: the soft engine's workers; process context.
 */
void migaccel_chunk_complete(struct migaccel_chunk *chunk)
{
	struct migaccel_job *job = chunk->job;

	atomic64_inc(&job->engine->completed);
	if (atomic_dec_and_test(&job->pending))
		complete(&job->done);
	migaccel_job_put(job);
}

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
