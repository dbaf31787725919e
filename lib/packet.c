// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A multifd packet in one call: zero-scan the pages, compress the non-zero
 * ones, pack the compressed streams back to back.
 *
 * The kernel path needs two batches, as the second depends on the first:
 * a zero scan of every page, then a compression of each non-zero page into
 * its own slot of MIGACCEL_PAGE_SIZE - 1 bytes in @out (the n-th non-zero
 * page into slot n), as the module must know every destination before it
 * starts.  The streams are then moved down to close the gaps; a stream
 * never moves up, so moving them in order overwrites nothing unread.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BITS_PER_WORD 64u
#define SLOT (MIGACCEL_PAGE_SIZE - 1)

struct packet_args {
	void *const *pages;
	unsigned char *out;
	struct migaccel_page_out *res;
	uint64_t *bits;
};

static bool is_zero(const struct packet_args *a, unsigned int i)
{
	return a->bits[i / BITS_PER_WORD] >> (i % BITS_PER_WORD) & 1;
}

/* res[i].offset holds page i's slot until the streams are packed. */
static bool compress_fill(struct migaccel_op *op, unsigned int i,
			  const void *arg)
{
	const struct packet_args *a = arg;

	if (is_zero(a, i))
		return false;
	op->opcode = MIGACCEL_OP_COMPRESS;
	op->src = (uintptr_t)a->pages[i];
	op->dst = (uintptr_t)(a->out + a->res[i].offset);
	op->dst_len = SLOT;
	return true;
}

static int compress_done(const struct migaccel_op *op, unsigned int i,
			 void *arg)
{
	struct packet_args *a = arg;
	uint64_t size;
	int ret;

	ret = migaccel__op_result(op, &size);
	if (ret)
		return ret;
	if (size == MIGACCEL_SIZE_RAW) {
		a->res[i].kind = MIGACCEL_PAGE_RAW;
	} else {
		a->res[i].kind = MIGACCEL_PAGE_COMPRESSED;
		a->res[i].length = (uint32_t)size;
	}
	return 0;
}

static const struct migaccel_batch_ops compress_ops = {
	.fill = compress_fill,
	.done = compress_done,
};

static int bits_reserve(struct migaccel_channel *ch, size_t words)
{
	uint64_t *bits;

	if (words <= ch->packet_words)
		return 0;
	bits = realloc(ch->packet_bitmap, words * sizeof(*bits));
	if (!bits)
		return -ENOMEM;
	ch->packet_bitmap = bits;
	ch->packet_words = words;
	return 0;
}

static int scan(struct migaccel_channel *ch, struct packet_args *a,
		unsigned int nr)
{
	unsigned int i;

	/* As migaccel_zero_scan(): a page list where the pages are in a region. */
	if (migaccel__use_kernel(ch, MIGACCEL_OP_ZERO_SCAN))
		return migaccel__zero_scan_kernel(ch, a->pages, nr, a->bits);
	memset(a->bits, 0, MIGACCEL_DIV_ROUND_UP(nr, BITS_PER_WORD) *
			   sizeof(*a->bits));
	for (i = 0; i < nr; i++)
		if (migaccel__page_is_zero(a->pages[i]))
			a->bits[i / BITS_PER_WORD] |= 1ULL << (i % BITS_PER_WORD);
	return 0;
}

static int compress_kernel(struct migaccel_channel *ch, struct packet_args *a,
			   unsigned int nr)
{
	unsigned int i, slot = 0;
	size_t used = 0;
	int ret;

	for (i = 0; i < nr; i++) {
		a->res[i].kind = MIGACCEL_PAGE_ZERO;
		a->res[i].length = 0;
		a->res[i].offset = is_zero(a, i) ? 0 : (uint64_t)slot++ * SLOT;
	}
	ret = migaccel__batch_run(ch, nr, &compress_ops, a);
	if (ret)
		return ret;

	for (i = 0; i < nr; i++) {
		struct migaccel_page_out *r = &a->res[i];

		if (r->kind != MIGACCEL_PAGE_COMPRESSED) {
			r->offset = 0;
			continue;
		}
		if (r->offset != used)
			memmove(a->out + used, a->out + r->offset, r->length);
		r->offset = used;
		used += r->length;
	}
	return (int)used;
}

static int compress_cpu(struct migaccel_channel *ch, struct packet_args *a,
			unsigned int nr)
{
	size_t used = 0;
	unsigned int i;
	uint32_t size;
	int ret;

	for (i = 0; i < nr; i++) {
		struct migaccel_page_out *r = &a->res[i];

		r->kind = MIGACCEL_PAGE_ZERO;
		r->length = 0;
		r->offset = 0;
		if (is_zero(a, i))
			continue;
		ret = migaccel__compress_cpu(ch, a->pages[i], a->out + used,
					     SLOT, &size);
		if (ret)
			return ret;
		if (size == MIGACCEL_SIZE_RAW) {
			r->kind = MIGACCEL_PAGE_RAW;
			continue;
		}
		r->kind = MIGACCEL_PAGE_COMPRESSED;
		r->length = size;
		r->offset = used;
		used += size;
	}
	return (int)used;
}

MIGACCEL_EXPORT int migaccel_packet_compress(struct migaccel_channel *ch,
					     void *const *pages,
					     unsigned int nr, void *out,
					     size_t out_capacity,
					     struct migaccel_page_out *res)
{
	struct packet_args a = { pages, out, res, NULL };
	int ret;

	if (!ch)
		return -EINVAL;
	if (!nr)
		return 0;
	if (nr > MIGACCEL_PACKET_MAX_PAGES)
		return -EINVAL;
	if (!pages || !out || !res)
		return -EFAULT;
	if (out_capacity < MIGACCEL_PACKET_OUT_SIZE(nr))
		return -ENOSPC;
	ret = migaccel__check_pages((const void *const *)pages, nr);
	if (ret)
		return ret;

	ret = bits_reserve(ch, MIGACCEL_DIV_ROUND_UP(nr, BITS_PER_WORD));
	if (ret)
		return ret;
	a.bits = ch->packet_bitmap;

	ret = scan(ch, &a, nr);
	if (ret)
		return ret;
	if (migaccel__use_kernel(ch, MIGACCEL_OP_COMPRESS))
		return compress_kernel(ch, &a, nr);
	return compress_cpu(ch, &a, nr);
}
