// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Registered memory.  On the kernel path MIGACCEL_REGION_REGISTER pins a
 * range once, and operations then name (region, offset) so that the
 * module pins nothing per batch.  The caller keeps passing pointers: the
 * channel keeps its regions in a sorted table and every operation built
 * for the module is translated here, just before it is sent.
 *
 * On the CPU path nothing is pinned: the range is checked and recorded,
 * so that a caller sees the same ids, errors and -EBUSY rules on both
 * paths.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Does region @r hold [p, p + len)? */
static int region_holds(const struct migaccel_region *r, uintptr_t p,
			uint64_t len)
{
	return r->start <= p && p < r->end && len <= r->end - p;
}

/*
 * The region holding [p, p + len), or NULL.  The one found last is tried
 * first: a migration thread sends runs of pages of one region.  The
 * channel is used by one thread at a time, so the hint is its own.
 */
static const struct migaccel_region *
region_find(struct migaccel_channel *ch, uintptr_t p, uint64_t len)
{
	unsigned int lo = 0, hi = ch->nr_regions;

	if (ch->region_hint < hi &&
	    region_holds(&ch->regions[ch->region_hint], p, len))
		return &ch->regions[ch->region_hint];
	/* The last region starting at or below p: the only candidate. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (ch->regions[mid].start <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || !region_holds(&ch->regions[lo - 1], p, len))
		return NULL;
	ch->region_hint = lo - 1;
	return &ch->regions[lo - 1];
}

/**
 * migaccel__region_of_pages() - the one region holding every page of a list
 * @ch: the channel
 * @pages: @nr pointers, page aligned
 * @nr: at least 1
 *
 * Return: the region, or NULL when the pages are not all in one region.
 */
const struct migaccel_region *
migaccel__region_of_pages(struct migaccel_channel *ch, void *const *pages,
			  unsigned int nr)
{
	const struct migaccel_region *r;
	unsigned int i;

	if (!ch->nr_regions)
		return NULL;
	r = region_find(ch, (uintptr_t)pages[0], MIGACCEL_PAGE_SIZE);
	for (i = 1; r && i < nr; i++)
		if (!region_holds(r, (uintptr_t)pages[i], MIGACCEL_PAGE_SIZE))
			r = NULL;
	return r;
}

/* Index of the first region that starts above @p. */
static unsigned int region_slot(const struct migaccel_channel *ch,
				uintptr_t p)
{
	unsigned int i = 0;

	while (i < ch->nr_regions && ch->regions[i].start <= p)
		i++;
	return i;
}

/**
 * migaccel__region_translate() - name an operation's operands by region
 * @ch: the channel the operation is sent on
 * @op: an operation with plain addresses, region and buf_region 0
 *
 * The page operands (src, src2, dst where they name a page) share one
 * region field: they are translated only if they all lie in the same
 * region.  The buffer operand (src or dst where it names a buffer) is
 * translated when it lies wholly in a region.  Anything else stays a
 * plain address, which the module pins for the call.
 */
void migaccel__region_translate(struct migaccel_channel *ch,
				struct migaccel_op *op)
{
	const struct migaccel_region *r, *pr = NULL;
	__u64 *pages[3], *buf = NULL;
	uint64_t buf_len = 0;
	unsigned int n = 0, i;

	if (!ch->nr_regions)
		return;
	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
	case MIGACCEL_OP_CRC32C:
	case MIGACCEL_OP_CRC64:
		/* One page, no buffer: the common case, directly. */
		r = region_find(ch, (uintptr_t)op->src, MIGACCEL_PAGE_SIZE);
		if (r) {
			op->src -= r->start;
			op->region = r->id;
		}
		return;
	case MIGACCEL_OP_COPY:
		pages[n++] = &op->src;
		pages[n++] = &op->dst;
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		pages[n++] = &op->src;
		pages[n++] = &op->src2;
		buf = &op->dst;
		buf_len = op->dst_len;
		break;
	case MIGACCEL_OP_COMPRESS:
		pages[n++] = &op->src;
		buf = &op->dst;
		buf_len = op->dst_len;
		break;
	case MIGACCEL_OP_DELTA_APPLY:
	case MIGACCEL_OP_DECOMPRESS:
		pages[n++] = &op->dst;
		buf = &op->src;
		buf_len = op->src_len;
		break;
	default:
		pages[n++] = &op->src;
		break;
	}

	for (i = 0; i < n; i++) {
		r = region_find(ch, (uintptr_t)*pages[i], MIGACCEL_PAGE_SIZE);
		if (!r || (pr && r != pr))
			break;
		pr = r;
	}
	if (i == n) {
		for (i = 0; i < n; i++)
			*pages[i] -= pr->start;
		op->region = pr->id;
	}

	if (buf && buf_len) {
		r = region_find(ch, (uintptr_t)*buf, buf_len);
		if (r) {
			*buf -= r->start;
			op->buf_region = r->id;
		}
	}
}

void migaccel__regions_free(struct migaccel_channel *ch)
{
	free(ch->regions);
	ch->regions = NULL;
	ch->nr_regions = ch->regions_cap = 0;
}

MIGACCEL_EXPORT int migaccel_region_register(struct migaccel_channel *ch,
					     void *addr, size_t len,
					     uint32_t *id)
{
	uintptr_t start = (uintptr_t)addr;
	unsigned int slot;
	uint32_t new_id;
	int ret;

	if (!ch)
		return -EINVAL;
	if (!id)
		return -EFAULT;
	if (!start || start % MIGACCEL_PAGE_SIZE || !len ||
	    len % MIGACCEL_PAGE_SIZE || len > UINTPTR_MAX - start)
		return -EINVAL;

	/* Overlaps would give a pointer two names: refuse them. */
	slot = region_slot(ch, start);
	if ((slot && ch->regions[slot - 1].end > start) ||
	    (slot < ch->nr_regions && ch->regions[slot].start < start + len))
		return -EEXIST;

	if (ch->nr_regions == ch->regions_cap) {
		unsigned int cap = ch->regions_cap ? 2 * ch->regions_cap : 8;
		struct migaccel_region *r;

		r = realloc(ch->regions, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		ch->regions = r;
		ch->regions_cap = cap;
	}

	if (ch->path == MIGACCEL_PATH_KERNEL) {
		struct migaccel_region_register arg;

		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.addr = start;
		arg.length = len;
		ret = migaccel__sys_ioctl(ch->fd, MIGACCEL_REGION_REGISTER,
					  &arg);
		if (ret < 0)
			return ret;
		new_id = arg.out_region_id;
		/* An id of 0 would mean "no region" in every later op. */
		if (!new_id)
			return -EIO;
	} else {
		do
			new_id = ++ch->next_region_id;
		while (!new_id);
	}

	memmove(&ch->regions[slot + 1], &ch->regions[slot],
		(ch->nr_regions - slot) * sizeof(*ch->regions));
	ch->regions[slot].start = start;
	ch->regions[slot].end = start + len;
	ch->regions[slot].id = new_id;
	ch->nr_regions++;
	*id = new_id;
	return 0;
}

MIGACCEL_EXPORT int migaccel_region_unregister(struct migaccel_channel *ch,
					       uint32_t id,
					       unsigned int flags)
{
	unsigned int i;
	int ret;

	if (!ch)
		return -EINVAL;
	if (flags & ~MIGACCEL_UNREGISTER_WAIT)
		return -EINVAL;
	for (i = 0; i < ch->nr_regions; i++)
		if (ch->regions[i].id == id)
			break;
	if (!id || i == ch->nr_regions)
		return -ENOENT;

	if (ch->path == MIGACCEL_PATH_KERNEL) {
		struct migaccel_region_unregister arg;

		memset(&arg, 0, sizeof(arg));
		arg.size = sizeof(arg);
		arg.flags = flags & MIGACCEL_UNREGISTER_WAIT;
		arg.region_id = id;
		ret = migaccel__sys_ioctl(ch->fd, MIGACCEL_REGION_UNREGISTER,
					  &arg);
		if (ret < 0)
			return ret;
	} else if (!(flags & MIGACCEL_UNREGISTER_WAIT) &&
		   migaccel__works_reach(ch, ch->regions[i].start,
					 ch->regions[i].end)) {
		/* CPU work is complete at submit: waiting is immediate. */
		return -EBUSY;
	}

	memmove(&ch->regions[i], &ch->regions[i + 1],
		(ch->nr_regions - i - 1) * sizeof(*ch->regions));
	ch->nr_regions--;
	return 0;
}
