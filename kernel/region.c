// SPDX-License-Identifier: GPL-2.0
/*
 * Registered regions: guest RAM a VMM pins once, so that batches name
 * (region, offset) and the hot path pins nothing.
 *
 * A region is pinned long term and writable, charged to the owner's
 * RLIMIT_MEMLOCK (account_locked_vm(), as VFIO does), and mapped for the
 * device of every work queue: at registration for the engines present,
 * and by migaccel_regions_engine_add() for one that appears later.  A
 * device is mapped once, shared by its work queues, and by runs of
 * physically contiguous pages (migaccel_region_runs()).  It
 * belongs to one channel (an xarray of the channel); batches that name it
 * hold a use count, so unregistering waits or fails with -EBUSY.
 *
 * Its lifetime is a reference count, not the channel's: the channel holds
 * one while the region is registered, and each operation of a job that
 * names it holds one until the job is released, which is when its
 * submitter and every engine that took its work have let go.  A caller
 * that gives up (a fatal signal, a timeout, close) leaves the pages pinned
 * and mapped while an engine may still read or write them; the last put
 * unmaps, unpins and uncharges them.
 */
#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/*
 * Every region of every channel, for mapping them when an engine comes
 * or goes.  Lock order: migaccel_regions_lock, then migaccel_engines_lock.
 */
struct mutex migaccel_regions_lock =
	__MUTEX_INITIALIZER(migaccel_regions_lock);
EXPORT_SYMBOL_IF_KUNIT(migaccel_regions_lock);
static LIST_HEAD(migaccel_regions);

/* Largest region: a bound on the page array, not on guest RAM. */
#define REGION_MAX_PAGES	(64ul << 30 >> PAGE_SHIFT)
static_assert(REGION_MAX_PAGES < U32_MAX);

static void region_unpin(struct migaccel_region *r, unsigned long n)
{
	unpin_user_pages_dirty_lock(r->pages, n, true);
}

static int region_pin(struct migaccel_region *r)
{
	unsigned long done = 0;
	int ret;

	while (done < r->nr_pages) {
		unsigned long n = min(r->nr_pages - done, 512ul);

		ret = pin_user_pages_fast(r->addr + (done << PAGE_SHIFT), n,
					  FOLL_WRITE | FOLL_LONGTERM,
					  r->pages + done);
		if (ret <= 0) {
			region_unpin(r, done);
			return ret ?: -EFAULT;
		}
		done += ret;
	}
	return 0;
}

/**
 * migaccel_memlock_uncharge() - give back pinned pages to RLIMIT_MEMLOCK
 * @mm: the address space charged (account_locked_vm()), held by mmgrab()
 * @pages: how many
 *
 * Unlike account_locked_vm(), asks nothing of the task it runs in: the
 * last reference may be dropped by an engine's worker.
 *
 * Context: process context; takes mmap_lock for writing.
 */
void migaccel_memlock_uncharge(struct mm_struct *mm, unsigned long pages)
{
	if (!pages)
		return;
	mmap_write_lock(mm);
	__account_locked_vm(mm, pages, false, current, false);
	mmap_write_unlock(mm);
}

static void region_free(struct migaccel_region *r)
{
	kvfree(r->pages);
	mmdrop(r->mm);
	kfree(r);
}

/*
 * Page runs.  A run is what one dma_map_page() covers: physically
 * contiguous pages, no longer than the device maps at once.  Guest RAM
 * backed by transparent huge pages comes in runs of 2 MiB or more, so a
 * region's mapping costs a few bytes per run instead of per page.
 */

/**
 * migaccel_region_runs() - split a region's pages into runs
 * @pages: the pages
 * @nr: how many
 * @max_pages: longest run, at least 1
 * @run_start: NULL to count only; else room for the count plus one: set
 *	to the index of the first page of each run, then @nr
 *
 * Context: any.
 * Return: the number of runs.
 */
u32 migaccel_region_runs(struct page * const *pages, u32 nr,
			 unsigned long max_pages, u32 *run_start)
{
	unsigned long len = 0;
	u32 i, n = 0;

	for (i = 0; i < nr; i++) {
		if (len && len < max_pages &&
		    page_to_pfn(pages[i]) == page_to_pfn(pages[i - 1]) + 1) {
			len++;
			continue;
		}
		if (run_start)
			run_start[n] = i;
		n++;
		len = 1;
	}
	if (run_start)
		run_start[n] = nr;
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_region_runs);

/* Bytes of a run index, and of a page array: what a mapping keeps. */
static size_t runs_bytes(u32 nr_runs)
{
	return (size_t)nr_runs * sizeof(dma_addr_t) +
	       ((size_t)nr_runs + 1) * sizeof(u32);
}

static size_t pages_bytes(u32 nr_pages)
{
	return (size_t)nr_pages * sizeof(dma_addr_t);
}

/**
 * migaccel_region_dma_by_runs() - whether runs are worth mapping as such
 * @nr_runs: runs of the region
 * @nr_pages: pages of the region
 *
 * Fragmented memory (runs of a page or two) would cost more as a run
 * index than as one address per page: then each page is mapped on its
 * own, so that the worst case is never more than a page array.
 *
 * Context: any.
 * Return: true to map runs, false to map pages.
 */
bool migaccel_region_dma_by_runs(u32 nr_runs, u32 nr_pages)
{
	return runs_bytes(nr_runs) <= pages_bytes(nr_pages);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_region_dma_by_runs);

/**
 * migaccel_region_dma_bytes() - bytes a region's mapping keeps
 * @m: the mapping
 * @nr_pages: pages of its region
 *
 * The arrays only, as requested from the allocator: the structure itself
 * is constant per device.
 *
 * Context: any.
 * Return: bytes.
 */
size_t migaccel_region_dma_bytes(const struct migaccel_region_dma *m,
				 u32 nr_pages)
{
	return m->run_start ? runs_bytes(m->nr_maps) : pages_bytes(nr_pages);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_region_dma_bytes);

/**
 * migaccel_region_dma_run() - the run holding a page, by binary search
 * @m: a mapping by runs
 * @idx: a page index of its region
 *
 * Context: any.
 * Return: the index of the run.
 */
u32 migaccel_region_dma_run(const struct migaccel_region_dma *m,
			    unsigned long idx)
{
	u32 lo = 0, hi = m->nr_maps;

	/* run_start[lo] <= idx < run_start[hi], run_start[0] being 0. */
	while (hi - lo > 1) {
		u32 mid = lo + (hi - lo) / 2;

		if (m->run_start[mid] <= idx)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_region_dma_run);

/* First page and length in pages of mapping @i. */
static void region_dma_span(const struct migaccel_region_dma *m, u32 i,
			    u32 *first, u32 *len)
{
	if (m->run_start) {
		*first = m->run_start[i];
		*len = m->run_start[i + 1] - m->run_start[i];
	} else {
		*first = i;
		*len = 1;
	}
}

/* Unmap the first @n mappings of @m, then free it. */
static void region_dma_free(struct migaccel_region_dma *m, u32 n)
{
	u32 i, first, len;

	for (i = 0; i < n; i++) {
		region_dma_span(m, i, &first, &len);
		dma_unmap_page(m->dev, m->addr[i], (size_t)len << PAGE_SHIFT,
			       DMA_BIDIRECTIONAL);
	}
	kvfree(m->run_start);
	kvfree(m->addr);
	kfree(m);
}

/*
 * Map @r for @dev: each run at once, or each page when runs would cost
 * more.  Not charged to the caller: an engine that appears later maps
 * every region in the context of whoever enabled its work queue.
 */
static struct migaccel_region_dma *region_dma_map(struct migaccel_region *r,
						  struct device *dev)
{
	unsigned long max_pages = max_t(size_t, dma_max_mapping_size(dev) >>
					PAGE_SHIFT, 1);
	struct migaccel_region_dma *m;
	u32 i, first, len, nr_runs;

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return NULL;
	m->dev = dev;
	m->users = 1;
	nr_runs = migaccel_region_runs(r->pages, r->nr_pages, max_pages, NULL);
	if (migaccel_region_dma_by_runs(nr_runs, r->nr_pages)) {
		m->run_start = kvmalloc_array(nr_runs + 1, sizeof(u32),
					      GFP_KERNEL);
		if (!m->run_start)
			goto free;
		migaccel_region_runs(r->pages, r->nr_pages, max_pages,
				     m->run_start);
		m->nr_maps = nr_runs;
	} else {
		m->nr_maps = r->nr_pages;
	}
	m->addr = kvmalloc_array(m->nr_maps, sizeof(dma_addr_t), GFP_KERNEL);
	if (!m->addr)
		goto free;
	for (i = 0; i < m->nr_maps; i++) {
		region_dma_span(m, i, &first, &len);
		m->addr[i] = dma_map_page(dev, r->pages[first], 0,
					  (size_t)len << PAGE_SHIFT,
					  DMA_BIDIRECTIONAL);
		if (dma_mapping_error(dev, m->addr[i]))
			goto unmap;
	}
	return m;

unmap:
	region_dma_free(m, i);
	return NULL;
free:
	region_dma_free(m, 0);
	return NULL;
}

/**
 * migaccel_region_dma_get() - map a region for an engine's device
 * @r: the region, pinned
 * @id: the engine's id
 * @dev: the device the engine DMAs through
 *
 * An engine of a device the region is mapped for already shares that
 * mapping.  An engine mapped already is left alone: an engine appearing
 * while a region registers may be offered the region twice.
 *
 * Context: process context; migaccel_regions_lock held.
 * Return: 0, -ENOMEM when the mapping could not be made.
 */
int migaccel_region_dma_get(struct migaccel_region *r, unsigned int id,
			    struct device *dev)
{
	struct migaccel_region_dma *m = NULL;
	unsigned int i;

	lockdep_assert_held(&migaccel_regions_lock);
	if (r->dma[id])
		return 0;
	for (i = 0; i < MIGACCEL_MAX_ENGINES && !m; i++)
		if (r->dma[i] && r->dma[i]->dev == dev)
			m = r->dma[i];
	if (m) {
		m->users++;
	} else {
		m = region_dma_map(r, dev);
		if (!m)
			return -ENOMEM;
	}
	/* Chunks read it without a lock: published complete. */
	smp_store_release(&r->dma[id], m);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_region_dma_get);

/**
 * migaccel_region_dma_put() - an engine lets go of a region's mapping
 * @r: the region
 * @id: the engine's id; no chunk of it uses the region
 *
 * The last engine of a device unmaps exactly what was mapped.  Nothing
 * happens for an engine the region is not mapped for.
 *
 * Context: process context; migaccel_regions_lock held.
 */
void migaccel_region_dma_put(struct migaccel_region *r, unsigned int id)
{
	struct migaccel_region_dma *m = r->dma[id];

	lockdep_assert_held(&migaccel_regions_lock);
	if (!m)
		return;
	WRITE_ONCE(r->dma[id], NULL);
	if (!--m->users)
		region_dma_free(m, m->nr_maps);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_region_dma_put);

/**
 * migaccel_region_meta() - what a region keeps about its pages
 * @r: the region
 * @bytes: set to the bytes of its page array and of its mappings
 * @devices: set to the devices it is mapped for
 *
 * Context: migaccel_regions_lock held.
 */
void migaccel_region_meta(struct migaccel_region *r, u64 *bytes,
			  u32 *devices)
{
	unsigned int i, j;

	lockdep_assert_held(&migaccel_regions_lock);
	*bytes = (u64)r->nr_pages * sizeof(*r->pages);
	*devices = 0;
	for (i = 0; i < MIGACCEL_MAX_ENGINES; i++) {
		if (!r->dma[i])
			continue;
		for (j = 0; j < i && r->dma[j] != r->dma[i]; j++)
			;
		if (j < i)
			continue;
		*bytes += migaccel_region_dma_bytes(r->dma[i], r->nr_pages);
		(*devices)++;
	}
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_region_meta);

/**
 * migaccel_region_register() - MIGACCEL_REGION_REGISTER
 * @ch: the channel; its owner is the caller
 * @cmd: the command; out_region_id, out_meta_bytes and out_dma_devices
 *	are set on success
 *
 * Context: process context of the channel's owner; sleeps.
 * Return: 0; -EINVAL for a bad range, -ENOMEM beyond RLIMIT_MEMLOCK or out
 * of memory, -EFAULT for memory that cannot be pinned writable.
 */
int migaccel_region_register(struct migaccel_channel *ch,
			     struct migaccel_region_register *cmd)
{
	struct migaccel_region *r;
	unsigned long nr_pages;
	u32 id;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->__reserved2)
		return -EINVAL;
	if (!cmd->length || !PAGE_ALIGNED(cmd->addr) ||
	    !PAGE_ALIGNED(cmd->length) ||
	    cmd->length >> PAGE_SHIFT > REGION_MAX_PAGES)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(cmd->addr), cmd->length))
		return -EFAULT;
	nr_pages = cmd->length >> PAGE_SHIFT;
	/* The limit first: nothing is allocated for a region beyond it. */
	ret = account_locked_vm(current->mm, nr_pages, true);
	if (ret)
		return ret;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r) {
		ret = -ENOMEM;
		goto unaccount;
	}
	kref_init(&r->ref);
	r->addr = cmd->addr;
	r->length = cmd->length;
	r->nr_pages = nr_pages;
	atomic_set(&r->users, 0);
	r->mm = current->mm;
	mmgrab(r->mm);
	r->pages = kvcalloc(r->nr_pages, sizeof(*r->pages),
			    GFP_KERNEL_ACCOUNT);
	if (!r->pages) {
		ret = -ENOMEM;
		goto free;
	}
	ret = region_pin(r);
	if (ret)
		goto free;

	/* An id reserved: a lookup finds nothing there until it is stored. */
	ret = xa_alloc(&ch->regions, &id, NULL, xa_limit_32b,
		       GFP_KERNEL_ACCOUNT);
	if (ret)
		goto unpin;
	r->id = id;
	mutex_lock(&migaccel_regions_lock);
	ret = migaccel_engines_map_region(r);
	if (ret) {
		mutex_unlock(&migaccel_regions_lock);
		goto release_id;
	}
	list_add_tail(&r->node, &migaccel_regions);
	migaccel_region_meta(r, &cmd->out_meta_bytes, &cmd->out_dma_devices);
	mutex_unlock(&migaccel_regions_lock);
	migaccel_client_pinned(ch->client, 1, r->length);
	cmd->out_region_id = id;
	/*
	 * Published last, complete: from here an UNREGISTER of the id (by
	 * another thread guessing it) or a batch may use it.  Storing over a
	 * reserved entry allocates nothing and cannot fail.
	 */
	WARN_ON(xa_is_err(xa_store(&ch->regions, id, r, GFP_KERNEL_ACCOUNT)));
	return 0;

release_id:
	xa_release(&ch->regions, id);
unpin:
	region_unpin(r, r->nr_pages);
free:
	region_free(r);
unaccount:
	account_locked_vm(current->mm, nr_pages, false);
	return ret;
}

/* The last reference: unmap, unpin, unaccount, free. */
static void region_destroy(struct migaccel_region *r)
{
	mutex_lock(&migaccel_regions_lock);
	list_del(&r->node);
	migaccel_engines_unmap_region(r);
	mutex_unlock(&migaccel_regions_lock);
	region_unpin(r, r->nr_pages);
	migaccel_memlock_uncharge(r->mm, r->nr_pages);
	region_free(r);
}

static void region_release(struct kref *ref)
{
	region_destroy(container_of(ref, struct migaccel_region, ref));
}

/* The channel lets go of a region it took out of its xarray. */
static void region_unpublished(struct migaccel_channel *ch,
			       struct migaccel_region *r)
{
	migaccel_client_pinned(ch->client, -1, -(s64)r->length);
	kref_put(&r->ref, region_release);
}

/* Take @id out of the channel if no batch uses it; NULL if one does. */
static struct migaccel_region *region_take(struct migaccel_channel *ch, u32 id,
					   int *err)
{
	struct migaccel_region *r;

	xa_lock(&ch->regions);
	r = xa_load(&ch->regions, id);
	if (!r) {
		*err = -ENOENT;
	} else if (atomic_read(&r->users)) {
		*err = -EBUSY;
		r = NULL;
	} else {
		/* No new batch finds it from here on. */
		__xa_erase(&ch->regions, id);
	}
	xa_unlock(&ch->regions);
	return r;
}

/* Wait condition: @id taken out (*@r set), or no longer busy (*@err). */
static bool region_taken(struct migaccel_channel *ch, u32 id,
			 struct migaccel_region **r, int *err)
{
	*r = region_take(ch, id, err);
	return *r || *err != -EBUSY;
}

/**
 * migaccel_region_unregister() - MIGACCEL_REGION_UNREGISTER
 * @ch: the channel
 * @cmd: the command
 *
 * A batch uses a region until it is done (synchronous) or reaped
 * (asynchronous): with MIGACCEL_UNREGISTER_WAIT the call waits up to
 * timeout_ms for that, and the region stays registered if it times out.
 *
 * Context: process context of the channel's owner; sleeps, killable.
 * Return: 0; -ENOENT for an unknown region, -EBUSY while batches use it,
 * -EINTR when a wait was interrupted.
 */
int migaccel_region_unregister(struct migaccel_channel *ch,
			       struct migaccel_region_unregister *cmd)
{
	unsigned long timeout = msecs_to_jiffies(migaccel_timeout_ms);
	struct migaccel_region *r;
	int ret = 0;

	if (cmd->flags & ~MIGACCEL_UNREGISTER_WAIT)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!cmd->region_id)
		return -ENOENT;

	r = region_take(ch, cmd->region_id, &ret);
	if (!r && ret == -EBUSY && (cmd->flags & MIGACCEL_UNREGISTER_WAIT) &&
	    wait_event_killable_timeout(ch->wait,
					region_taken(ch, cmd->region_id, &r,
						     &ret),
					timeout) < 0)
		return -EINTR;
	if (!r)
		return ret;
	region_unpublished(ch, r);
	return 0;
}

/**
 * migaccel_region_forget() - undo a registration the caller never learnt of
 * @ch: the channel
 * @id: the region's id, just registered
 *
 * Unlike unregistering, this does not wait for batches: one that named
 * the id meanwhile keeps its own reference.
 *
 * Context: process context of the channel's owner.
 */
void migaccel_region_forget(struct migaccel_channel *ch, u32 id)
{
	struct migaccel_region *r = xa_erase(&ch->regions, id);

	if (r)
		region_unpublished(ch, r);
}

/**
 * migaccel_region_get() - look up a region of a channel for a batch
 * @ch: the channel
 * @id: the region id
 *
 * Context: any; takes the xarray lock.
 * Return: the region with a use count and a reference, or NULL.
 */
struct migaccel_region *migaccel_region_get(struct migaccel_channel *ch,
					    u32 id)
{
	struct migaccel_region *r;

	xa_lock(&ch->regions);
	r = xa_load(&ch->regions, id);
	if (r) {
		atomic_inc(&r->users);
		kref_get(&r->ref);
	}
	xa_unlock(&ch->regions);
	return r;
}

/**
 * migaccel_region_put() - a job is done with a region
 * @r: the region
 * @wait: the channel's wait queue, where an unregister may wait
 *
 * The last reference (the region unregistered or its channel closed, and
 * no other job naming it) unmaps, unpins and frees it.
 *
 * Context: process context (unpinning may sleep).
 */
void migaccel_region_put(struct migaccel_region *r, wait_queue_head_t *wait)
{
	if (atomic_dec_and_test(&r->users))
		wake_up_all(wait);
	kref_put(&r->ref, region_release);
}

/**
 * migaccel_job_region() - the region @id of a job's channel, held by the job
 * @job: the job, with its channel set
 * @id: the region id, not 0
 * @out: set to the region
 *
 * A region is looked up in the channel once per job: the job holds it (a
 * use count and a reference) until it is released, and later operations
 * naming the same id find it in the job.
 *
 * Context: process context; may allocate.
 * Return: 0, -ENOENT for an unknown id, -ENOMEM.
 */
int migaccel_job_region(struct migaccel_job *job, u32 id,
			struct migaccel_region **out)
{
	struct migaccel_region *r, **more;
	unsigned int i;

	for (i = 0; i < job->nr_regions; i++) {
		if (job->regions[i]->id == id) {
			*out = job->regions[i];
			return 0;
		}
	}
	if (job->nr_regions == job->max_regions) {
		more = kmalloc_array(job->max_regions * 2, sizeof(*more),
				     GFP_KERNEL_ACCOUNT);
		if (!more)
			return -ENOMEM;
		memcpy(more, job->regions, job->nr_regions * sizeof(*more));
		if (job->regions != job->regions_inline)
			kfree(job->regions);
		job->regions = more;
		job->max_regions *= 2;
	}
	r = migaccel_region_get(job->ch, id);
	if (!r)
		return -ENOENT;
	job->regions[job->nr_regions++] = r;
	*out = r;
	return 0;
}

/**
 * migaccel_regions_release() - let go of every region of a closing channel
 * @ch: the channel
 *
 * A region no job names is freed now; one that a job still names (an
 * engine has not let go of work its caller gave up on) lives until that
 * job is released.
 *
 * Context: process context.
 */
void migaccel_regions_release(struct migaccel_channel *ch)
{
	struct migaccel_region *r;
	unsigned long id;

	xa_for_each(&ch->regions, id, r) {
		xa_erase(&ch->regions, id);
		region_unpublished(ch, r);
	}
	xa_destroy(&ch->regions);
}

/**
 * migaccel_regions_engine_add() - map every region for a new engine
 * @engine: a published engine
 *
 * Context: process context; takes migaccel_regions_lock.
 */
void migaccel_regions_engine_add(struct migaccel_engine *engine)
{
	struct migaccel_region *r;

	if (!engine->ops->map_region)
		return;
	mutex_lock(&migaccel_regions_lock);
	list_for_each_entry(r, &migaccel_regions, node)
		engine->ops->map_region(engine, r);
	mutex_unlock(&migaccel_regions_lock);
}

/**
 * migaccel_regions_engine_del() - unmap every region from a drained engine
 * @engine: an unpublished engine no chunk uses
 *
 * Context: process context; takes migaccel_regions_lock.
 */
void migaccel_regions_engine_del(struct migaccel_engine *engine)
{
	struct migaccel_region *r;

	if (!engine->ops->unmap_region)
		return;
	mutex_lock(&migaccel_regions_lock);
	list_for_each_entry(r, &migaccel_regions, node)
		engine->ops->unmap_region(engine, r);
	mutex_unlock(&migaccel_regions_lock);
}
