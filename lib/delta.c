// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Delta records in the DSA format: 10-byte entries, a little-endian __u16
 * offset in units of 8 bytes followed by the 8 new bytes there, offsets
 * strictly increasing.  No library writes this format, so the CPU path is
 * plain C here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define WORD 8u
#define WORDS_PER_PAGE (MIGACCEL_PAGE_SIZE / WORD)

static void put_le16(unsigned char *p, unsigned int v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static unsigned int get_le16(const unsigned char *p)
{
	return p[0] | (unsigned int)p[1] << 8;
}

/*
 * The record that turns @old into @new, in @buf (MIGACCEL_DELTA_MAX_SIZE
 * bytes).  Returns its size, or MIGACCEL_SIZE_RAW once it outgrows @cap.
 */
static uint32_t delta_build(const unsigned char *old, const unsigned char *new,
			    unsigned char *buf, uint32_t cap)
{
	uint32_t size = 0;
	unsigned int w;

	for (w = 0; w < WORDS_PER_PAGE; w++) {
		uint64_t a, b;

		memcpy(&a, old + w * WORD, WORD);
		memcpy(&b, new + w * WORD, WORD);
		if (a == b)
			continue;
		if (cap - size < MIGACCEL_DELTA_ENTRY_SIZE)
			return MIGACCEL_SIZE_RAW;
		put_le16(buf + size, w);
		memcpy(buf + size + 2, &b, WORD);
		size += MIGACCEL_DELTA_ENTRY_SIZE;
	}
	return size;
}

/* -EINVAL unless every offset is in the page and above the previous one. */
static int delta_validate(const unsigned char *rec, uint32_t size)
{
	uint32_t pos;
	long prev = -1;

	for (pos = 0; pos < size; pos += MIGACCEL_DELTA_ENTRY_SIZE) {
		unsigned int w = get_le16(rec + pos);

		if (w >= WORDS_PER_PAGE || (long)w <= prev)
			return -EINVAL;
		prev = w;
	}
	return 0;
}

static void delta_apply_cpu(unsigned char *page, const unsigned char *rec,
			    uint32_t size)
{
	uint32_t pos;

	for (pos = 0; pos < size; pos += MIGACCEL_DELTA_ENTRY_SIZE)
		memcpy(page + get_le16(rec + pos) * WORD, rec + pos + 2, WORD);
}

/* One record on the CPU; *@size as migaccel_delta_create() reports it. */
int migaccel__delta_create_cpu(struct migaccel_channel *ch, const void *old,
			       const void *new_page, void *record,
			       uint32_t cap, uint32_t *size)
{
	/* Built aside, so that a record that does not fit writes nothing. */
	if (!ch->delta_buf) {
		ch->delta_buf = malloc(MIGACCEL_DELTA_MAX_SIZE);
		if (!ch->delta_buf)
			return -ENOMEM;
	}
	*size = delta_build(old, new_page, ch->delta_buf, cap);
	if (*size != MIGACCEL_SIZE_RAW)
		memcpy(record, ch->delta_buf, *size);
	return 0;
}

/* One record on the CPU: checked whole before the page is touched. */
int migaccel__delta_apply_cpu(void *page, const void *record, uint32_t size)
{
	int ret = delta_validate(record, size);

	if (!ret)
		delta_apply_cpu(page, record, size);
	return ret;
}

/* ---- create ---- */

struct create_args {
	const void *const *old_pages;
	const void *const *new_pages;
	void *const *records;
	const uint32_t *capacities;
	uint32_t *sizes;
};

static bool create_fill(struct migaccel_op *op, unsigned int i,
			const void *arg)
{
	const struct create_args *a = arg;
	uint32_t cap = a->capacities[i];

	op->opcode = MIGACCEL_OP_DELTA_CREATE;
	op->src = (uintptr_t)a->old_pages[i];
	op->src2 = (uintptr_t)a->new_pages[i];
	op->dst = (uintptr_t)a->records[i];
	/* No record is longer: the module need not reach further. */
	op->dst_len = cap < MIGACCEL_DELTA_MAX_SIZE ? cap :
		      MIGACCEL_DELTA_MAX_SIZE;
	return true;
}

static int create_done(const struct migaccel_op *op, unsigned int i,
		       void *arg)
{
	struct create_args *a = arg;

	if (op->out_flags & MIGACCEL_OUT_RAW) {
		if (op->out_result)
			return -EIO;
		a->sizes[i] = MIGACCEL_SIZE_RAW;
		return 0;
	}
	if (op->out_result > op->dst_len ||
	    op->out_result % MIGACCEL_DELTA_ENTRY_SIZE)
		return -EIO;
	a->sizes[i] = (uint32_t)op->out_result;
	return 0;
}

static const struct migaccel_batch_ops create_ops = {
	.fill = create_fill,
	.done = create_done,
};

MIGACCEL_EXPORT int migaccel_delta_create(struct migaccel_channel *ch,
					  const void *const *old_pages,
					  const void *const *new_pages,
					  unsigned int nr,
					  void *const *records,
					  const uint32_t *capacities,
					  uint32_t *sizes)
{
	struct create_args a = { old_pages, new_pages, records, capacities,
				 sizes };
	unsigned int i;
	int ret;

	if (!ch)
		return -EINVAL;
	if (!nr)
		return 0;
	if (!old_pages || !new_pages || !records || !capacities || !sizes)
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		ret = migaccel__check_pages(&old_pages[i], 1);
		if (!ret)
			ret = migaccel__check_pages(&new_pages[i], 1);
		if (ret)
			return ret;
		if (!records[i])
			return -EFAULT;
		if (capacities[i] < MIGACCEL_DELTA_ENTRY_SIZE)
			return -EINVAL;
	}

	if (migaccel__use_kernel(ch, MIGACCEL_OP_DELTA_CREATE))
		return migaccel__batch_run(ch, nr, &create_ops, &a);

	for (i = 0; i < nr; i++) {
		ret = migaccel__delta_create_cpu(ch, old_pages[i],
						 new_pages[i], records[i],
						 capacities[i], &sizes[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- apply ---- */

struct apply_args {
	void *const *pages;
	const void *const *records;
	const uint32_t *sizes;
};

static bool apply_fill(struct migaccel_op *op, unsigned int i,
		       const void *arg)
{
	const struct apply_args *a = arg;

	/* An empty record (equal pages) changes nothing: no kernel work. */
	if (!a->sizes[i])
		return false;
	op->opcode = MIGACCEL_OP_DELTA_APPLY;
	op->src = (uintptr_t)a->records[i];
	op->src_len = a->sizes[i];
	op->dst = (uintptr_t)a->pages[i];
	return true;
}

static const struct migaccel_batch_ops apply_ops = {
	.fill = apply_fill,
	.done = migaccel__batch_no_result,
};

MIGACCEL_EXPORT int migaccel_delta_apply(struct migaccel_channel *ch,
					 void *const *pages,
					 const void *const *records,
					 const uint32_t *sizes,
					 unsigned int nr)
{
	struct apply_args a = { pages, records, sizes };
	unsigned int i;
	int ret, first_err = 0;

	if (!ch)
		return -EINVAL;
	if (!nr)
		return 0;
	if (!pages || !records || !sizes)
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		ret = migaccel__check_pages((const void *const *)&pages[i], 1);
		if (ret)
			return ret;
		if (!records[i] && sizes[i])
			return -EFAULT;
		if (sizes[i] % MIGACCEL_DELTA_ENTRY_SIZE ||
		    sizes[i] > MIGACCEL_DELTA_MAX_SIZE)
			return -EINVAL;
	}

	if (migaccel__use_kernel(ch, MIGACCEL_OP_DELTA_APPLY))
		return migaccel__batch_run(ch, nr, &apply_ops, &a);
	for (i = 0; i < nr; i++) {
		ret = migaccel__delta_apply_cpu(pages[i], records[i],
						sizes[i]);
		if (ret && !first_err)
			first_err = ret;
	}
	return first_err;
}
