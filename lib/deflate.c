// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Per-page raw deflate (RFC 1951, no zlib or gzip wrapper), one page per
 * stream, every match distance below 4096: what IAA produces and reads,
 * so that pages compressed on either path inflate on the other.  The CPU
 * path uses ISA-L's igzip at level 1 with a 4 KiB history (hist_bits 12).
 *
 * The CPU path compresses and inflates into the channel's own page first:
 * a page that does not compress, or a stream that is corrupt, leaves the
 * caller's buffer untouched, as the module does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <isa-l/igzip_lib.h>

#include "internal.h"

/* log2 of the deflate window: 4 KiB, as IAA. */
#define HIST_BITS 12

/*
 * Room for an inflated page and more, so that a stream that runs past the
 * page is seen running past it, and one that ends exactly at the page end
 * still has room to reach its end-of-block code.
 */
#define OUT_SIZE (2 * MIGACCEL_PAGE_SIZE)

struct migaccel_deflate {
	struct isal_zstream zs;
	struct inflate_state is;
	/* Level 1 tokens: ample for the one page a stream holds. */
	uint8_t level_buf[ISAL_DEF_LVL1_SMALL];
	uint8_t out[OUT_SIZE];
};

void migaccel__deflate_free(struct migaccel_deflate *d)
{
	free(d);
}

static int deflate_get(struct migaccel_channel *ch)
{
	if (!ch->deflate) {
		ch->deflate = malloc(sizeof(*ch->deflate));
		if (!ch->deflate)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Compress @page into d->out; returns the size, or MIGACCEL_SIZE_RAW when
 * the stream would not be smaller than the page or than @cap + 1.
 */
static uint32_t compress_page(struct migaccel_deflate *d, const void *page,
			      uint32_t cap)
{
	struct isal_zstream *zs = &d->zs;
	uint32_t limit = MIGACCEL_PAGE_SIZE - 1;

	if (cap < limit)
		limit = cap;
	isal_deflate_init(zs);
	zs->level = 1;
	zs->level_buf = d->level_buf;
	zs->level_buf_size = sizeof(d->level_buf);
	zs->hist_bits = HIST_BITS;
	zs->gzip_flag = IGZIP_DEFLATE;
	zs->flush = NO_FLUSH;
	zs->end_of_stream = 1;
	zs->next_in = (uint8_t *)page;
	zs->avail_in = MIGACCEL_PAGE_SIZE;
	zs->next_out = d->out;
	zs->avail_out = limit;

	/* It stops when the output is full, short of ZSTATE_END. */
	if (isal_deflate(zs) != COMP_OK ||
	    zs->internal_state.state != ZSTATE_END || zs->avail_in)
		return MIGACCEL_SIZE_RAW;
	return zs->total_out;
}

/* Inflate @in into d->out: 0 if it is exactly one page, else -EBADMSG. */
static int decompress_page(struct migaccel_deflate *d, const void *in,
			   uint32_t in_size)
{
	struct inflate_state *is = &d->is;
	int ret;

	isal_inflate_init(is);
	is->crc_flag = ISAL_DEFLATE;
	is->next_in = (uint8_t *)in;
	is->avail_in = in_size;
	is->next_out = d->out;
	is->avail_out = OUT_SIZE;

	ret = isal_inflate(is);
	if (ret != ISAL_DECOMP_OK || is->block_state != ISAL_BLOCK_FINISH ||
	    is->total_out != MIGACCEL_PAGE_SIZE)
		return -EBADMSG;
	return 0;
}

/*
 * One page on the CPU: *@size is its compressed size, written to @out, or
 * MIGACCEL_SIZE_RAW with @out untouched.
 */
int migaccel__compress_cpu(struct migaccel_channel *ch, const void *page,
			   void *out, uint32_t cap, uint32_t *size)
{
	int ret = deflate_get(ch);

	if (ret)
		return ret;
	*size = compress_page(ch->deflate, page, cap);
	if (*size != MIGACCEL_SIZE_RAW)
		memcpy(out, ch->deflate->out, *size);
	return 0;
}

/* One stream on the CPU: 0, or -EBADMSG with @page untouched. */
int migaccel__decompress_cpu(struct migaccel_channel *ch, const void *in,
			     uint32_t in_size, void *page)
{
	int ret = deflate_get(ch);

	if (!ret)
		ret = decompress_page(ch->deflate, in, in_size);
	if (!ret)
		memcpy(page, ch->deflate->out, MIGACCEL_PAGE_SIZE);
	return ret;
}

/* ---- compress ---- */

struct compress_args {
	const void *const *pages;
	void *const *out;
	const uint32_t *capacities;
	uint32_t *sizes;
};

static bool compress_fill(struct migaccel_op *op, unsigned int i,
			  const void *arg)
{
	const struct compress_args *a = arg;
	uint32_t cap = a->capacities[i];

	op->opcode = MIGACCEL_OP_COMPRESS;
	op->src = (uintptr_t)a->pages[i];
	op->dst = (uintptr_t)a->out[i];
	/* Nothing of a page's size or more is kept anyway. */
	op->dst_len = cap < MIGACCEL_PAGE_SIZE ? cap : MIGACCEL_PAGE_SIZE;
	return true;
}

static int compress_done(const struct migaccel_op *op, unsigned int i,
			 void *arg)
{
	struct compress_args *a = arg;

	if (op->out_flags & MIGACCEL_OUT_RAW) {
		if (op->out_result)
			return -EIO;
		a->sizes[i] = MIGACCEL_SIZE_RAW;
		return 0;
	}
	if (!op->out_result || op->out_result >= MIGACCEL_PAGE_SIZE ||
	    op->out_result > op->dst_len)
		return -EIO;
	a->sizes[i] = (uint32_t)op->out_result;
	return 0;
}

static const struct migaccel_batch_ops compress_ops = {
	.fill = compress_fill,
	.done = compress_done,
};

MIGACCEL_EXPORT int migaccel_compress(struct migaccel_channel *ch,
				      const void *const *pages,
				      unsigned int nr, void *const *out,
				      const uint32_t *capacities,
				      uint32_t *sizes)
{
	struct compress_args a = { pages, out, capacities, sizes };
	unsigned int i;
	int ret;

	if (!ch)
		return -EINVAL;
	if (!nr)
		return 0;
	if (!pages || !out || !capacities || !sizes)
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		ret = migaccel__check_pages(&pages[i], 1);
		if (ret)
			return ret;
		if (!out[i])
			return -EFAULT;
		if (!capacities[i])
			return -EINVAL;
	}

	if (migaccel__use_kernel(ch, MIGACCEL_OP_COMPRESS))
		return migaccel__batch_run(ch, nr, &compress_ops, &a);

	for (i = 0; i < nr; i++) {
		ret = migaccel__compress_cpu(ch, pages[i], out[i],
					     capacities[i], &sizes[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- decompress ---- */

struct decompress_args {
	const void *const *in;
	const uint32_t *in_sizes;
	void *const *pages;
};

static bool decompress_fill(struct migaccel_op *op, unsigned int i,
			    const void *arg)
{
	const struct decompress_args *a = arg;

	op->opcode = MIGACCEL_OP_DECOMPRESS;
	op->src = (uintptr_t)a->in[i];
	op->src_len = a->in_sizes[i];
	op->dst = (uintptr_t)a->pages[i];
	return true;
}

static const struct migaccel_batch_ops decompress_ops = {
	.fill = decompress_fill,
	.done = migaccel__batch_no_result,
};

MIGACCEL_EXPORT int migaccel_decompress(struct migaccel_channel *ch,
					const void *const *in,
					const uint32_t *in_sizes,
					unsigned int nr, void *const *pages)
{
	struct decompress_args a = { in, in_sizes, pages };
	unsigned int i;
	int ret, first_err = 0;

	if (!ch)
		return -EINVAL;
	if (!nr)
		return 0;
	if (!in || !in_sizes || !pages)
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		ret = migaccel__check_pages((const void *const *)&pages[i], 1);
		if (ret)
			return ret;
		if (!in[i])
			return -EFAULT;
		if (!in_sizes[i] || in_sizes[i] > MIGACCEL_PAGE_SIZE)
			return -EINVAL;
	}

	if (migaccel__use_kernel(ch, MIGACCEL_OP_DECOMPRESS))
		return migaccel__batch_run(ch, nr, &decompress_ops, &a);

	ret = deflate_get(ch);
	if (ret)
		return ret;
	for (i = 0; i < nr; i++) {
		ret = migaccel__decompress_cpu(ch, in[i], in_sizes[i],
					       pages[i]);
		if (ret && !first_err)
			first_err = ret;
	}
	return first_err;
}
