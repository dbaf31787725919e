// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Work objects: a list of typed operations that a VMM thread allocates
 * once and refills for every packet, then runs (submit and wait) or
 * submits and reaps later, several at a time on one channel.
 *
 * On the kernel path a work object owns the struct migaccel_op array and
 * the zero bitmaps the module reads and writes, so nothing is allocated
 * per submission.  A work object longer than the module's out_max_batch_ops
 * goes as several MIGACCEL_BATCH calls ("parts"); it is complete when every
 * part is.  Each part carries a sequence number of the channel as its
 * user_data, which names the work object and the part without trusting
 * anything the module returns: a number not in flight is an error.
 *
 * Operations the module does not offer (an older module) and those that
 * need no work (an empty delta record) are done on the CPU when the work
 * object is run or submitted.  On the CPU path everything is: submission
 * completes the work object, and migaccel_reap() returns it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define BITS_PER_WORD 64u

struct work_op {
	uint32_t opcode;		/* enum migaccel_opcode: the tag */
	bool ran;			/* status, flags, value are valid */
	int32_t status;
	uint32_t flags;			/* MIGACCEL_RESULT_* */
	uint64_t value;
	union {
		struct {
			const void *page;
		} scan;			/* ZERO_SCAN, CRC64 */
		struct {
			const void *page;
			uint32_t seed;
		} crc32c;
		struct {
			void *dst;
			const void *src;
		} copy;
		struct {
			const void *old_page;
			const void *new_page;
			void *record;
			uint32_t capacity;
		} delta_create;
		struct {
			void *page;
			const void *record;
			uint32_t size;
		} delta_apply;
		struct {
			const void *page;
			void *out;
			uint32_t capacity;
		} compress;
		struct {
			const void *in;
			void *page;
			uint32_t in_size;
		} decompress;
	} u;
};

enum work_state {
	WORK_IDLE,		/* may be filled, run, submitted, read */
	WORK_INFLIGHT,		/* submitted; parts still with the module */
	WORK_DONE,		/* complete, waiting in the channel's FIFO */
};

struct migaccel_work {
	struct migaccel_channel *ch;	/* NULL once the channel is closed */
	unsigned int capacity;
	unsigned int nr;
	enum work_state state;
	bool orphan;			/* freed while busy: reaping frees it */
	uint64_t user_data;
	int result;
	unsigned int nr_failed;
	struct work_op *ops;

	/* Kernel path: what the module reads and writes. */
	struct migaccel_op *kops;	/* capacity entries */
	unsigned int *kidx;		/* ops[] index of each kops[] entry */
	uint64_t *bitmaps;		/* words_per_part words a part */
	unsigned int words_per_part;
	unsigned int nk;		/* kops[] in use */
	unsigned int parts;		/* submitted */
	unsigned int parts_left;	/* submitted and not yet reaped */
	uint64_t first_seq;		/* user_data of part 0 */

	struct migaccel_work *prev, *next;	/* in flight, or the FIFO */
};

static unsigned int part_size(const struct migaccel_work *w)
{
	return w->ch->max_batch_ops;
}

static unsigned int part_len(const struct migaccel_work *w, unsigned int p)
{
	unsigned int first = p * part_size(w);

	return w->nk - first < part_size(w) ? w->nk - first : part_size(w);
}

/* ---- building ---- */

MIGACCEL_EXPORT int migaccel_work_new(struct migaccel_channel *ch,
				      unsigned int capacity,
				      struct migaccel_work **out)
{
	struct migaccel_work *w;

	if (!ch)
		return -EINVAL;
	if (!out)
		return -EFAULT;
	if (!capacity || capacity > MIGACCEL_WORK_MAX_OPS)
		return -EINVAL;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->ch = ch;
	w->capacity = capacity;
	w->ops = calloc(capacity, sizeof(*w->ops));
	if (!w->ops)
		goto err_free;
	if (ch->path == MIGACCEL_PATH_KERNEL) {
		unsigned int parts = MIGACCEL_DIV_ROUND_UP(capacity,
							   ch->max_batch_ops);

		w->words_per_part = MIGACCEL_DIV_ROUND_UP(ch->max_batch_ops,
							  BITS_PER_WORD);
		w->kops = calloc(capacity, sizeof(*w->kops));
		w->kidx = calloc(capacity, sizeof(*w->kidx));
		w->bitmaps = calloc((size_t)parts * w->words_per_part,
				    sizeof(*w->bitmaps));
		if (!w->kops || !w->kidx || !w->bitmaps)
			goto err_free;
	}
	*out = w;
	return 0;

err_free:
	free(w->bitmaps);
	free(w->kidx);
	free(w->kops);
	free(w->ops);
	free(w);
	return -ENOMEM;
}

static void work_destroy(struct migaccel_work *w)
{
	free(w->bitmaps);
	free(w->kidx);
	free(w->kops);
	free(w->ops);
	free(w);
}

static void done_remove(struct migaccel_channel *ch, struct migaccel_work *w)
{
	struct migaccel_work **pp = &ch->done_head, *prev = NULL;

	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = w->next;
	if (ch->done_tail == w)
		ch->done_tail = prev;
	ch->nr_done--;
}

MIGACCEL_EXPORT void migaccel_work_free(struct migaccel_work *w)
{
	if (!w)
		return;
	switch (w->state) {
	case WORK_INFLIGHT:
		/* The module still writes into it: reaping frees it. */
		w->orphan = true;
		return;
	case WORK_DONE:
		done_remove(w->ch, w);
		break;
	case WORK_IDLE:
		break;
	}
	work_destroy(w);
}

MIGACCEL_EXPORT int migaccel_work_reset(struct migaccel_work *w)
{
	if (!w)
		return -EINVAL;
	if (w->state != WORK_IDLE)
		return -EBUSY;
	w->nr = 0;
	return 0;
}

/* The slot for a new operation, or a negative errno in *@err. */
static struct work_op *op_add(struct migaccel_work *w, uint32_t opcode,
			      int *err)
{
	struct work_op *op;

	if (!w) {
		*err = -EINVAL;
		return NULL;
	}
	if (!w->ch) {
		*err = -ENODEV;
		return NULL;
	}
	if (w->state != WORK_IDLE) {
		*err = -EBUSY;
		return NULL;
	}
	if (w->nr == w->capacity) {
		*err = -ENOSPC;
		return NULL;
	}
	op = &w->ops[w->nr];
	memset(op, 0, sizeof(*op));
	op->opcode = opcode;
	*err = (int)w->nr;
	return op;
}

static int check_page(const void *page)
{
	return migaccel__check_pages(&page, 1);
}

/*
 * Each add function checks its operands exactly as the array function of
 * the same operation does, before the operation is taken.
 */
MIGACCEL_EXPORT int migaccel_work_add_zero_scan(struct migaccel_work *w,
						const void *page)
{
	struct work_op *op;
	int ret = w ? check_page(page) : -EINVAL;

	if (ret)
		return ret;
	op = op_add(w, MIGACCEL_OP_ZERO_SCAN, &ret);
	if (op) {
		op->u.scan.page = page;
		w->nr++;
	}
	return ret;
}

MIGACCEL_EXPORT int migaccel_work_add_crc64(struct migaccel_work *w,
					    const void *page)
{
	struct work_op *op;
	int ret = w ? check_page(page) : -EINVAL;

	if (ret)
		return ret;
	op = op_add(w, MIGACCEL_OP_CRC64, &ret);
	if (op) {
		op->u.scan.page = page;
		w->nr++;
	}
	return ret;
}

MIGACCEL_EXPORT int migaccel_work_add_crc32c(struct migaccel_work *w,
					     const void *page, uint32_t seed)
{
	struct work_op *op;
	int ret = w ? check_page(page) : -EINVAL;

	if (ret)
		return ret;
	op = op_add(w, MIGACCEL_OP_CRC32C, &ret);
	if (op) {
		op->u.crc32c.page = page;
		op->u.crc32c.seed = seed;
		w->nr++;
	}
	return ret;
}

MIGACCEL_EXPORT int migaccel_work_add_copy(struct migaccel_work *w,
					   void *dst, const void *src)
{
	struct work_op *op;
	int ret = w ? check_page(src) : -EINVAL;

	if (!ret)
		ret = check_page(dst);
	if (!ret && src == dst)
		ret = -EINVAL;
	if (ret)
		return ret;
	op = op_add(w, MIGACCEL_OP_COPY, &ret);
	if (op) {
		op->u.copy.dst = dst;
		op->u.copy.src = src;
		w->nr++;
	}
	return ret;
}

MIGACCEL_EXPORT int migaccel_work_add_delta_create(struct migaccel_work *w,
						   const void *old_page,
						   const void *new_page,
						   void *record,
						   uint32_t capacity)
{
	struct work_op *op;
	int ret = w ? check_page(old_page) : -EINVAL;

	if (!ret)
		ret = check_page(new_page);
	if (!ret && !record)
		ret = -EFAULT;
	if (!ret && capacity < MIGACCEL_DELTA_ENTRY_SIZE)
		ret = -EINVAL;
	if (ret)
		return ret;
	op = op_add(w, MIGACCEL_OP_DELTA_CREATE, &ret);
	if (op) {
		op->u.delta_create.old_page = old_page;
		op->u.delta_create.new_page = new_page;
		op->u.delta_create.record = record;
		op->u.delta_create.capacity = capacity;
		w->nr++;
	}
	return ret;
}

MIGACCEL_EXPORT int migaccel_work_add_delta_apply(struct migaccel_work *w,
						  void *page,
						  const void *record,
						  uint32_t size)
{
	struct work_op *op;
	int ret = w ? check_page(page) : -EINVAL;

	if (!ret && !record && size)
		ret = -EFAULT;
	if (!ret && (size % MIGACCEL_DELTA_ENTRY_SIZE ||
		     size > MIGACCEL_DELTA_MAX_SIZE))
		ret = -EINVAL;
	if (ret)
		return ret;
	op = op_add(w, MIGACCEL_OP_DELTA_APPLY, &ret);
	if (op) {
		op->u.delta_apply.page = page;
		op->u.delta_apply.record = record;
		op->u.delta_apply.size = size;
		w->nr++;
	}
	return ret;
}

MIGACCEL_EXPORT int migaccel_work_add_compress(struct migaccel_work *w,
					       const void *page, void *out,
					       uint32_t capacity)
{
	struct work_op *op;
	int ret = w ? check_page(page) : -EINVAL;

	if (!ret && !out)
		ret = -EFAULT;
	if (!ret && !capacity)
		ret = -EINVAL;
	if (ret)
		return ret;
	op = op_add(w, MIGACCEL_OP_COMPRESS, &ret);
	if (op) {
		op->u.compress.page = page;
		op->u.compress.out = out;
		op->u.compress.capacity = capacity;
		w->nr++;
	}
	return ret;
}

MIGACCEL_EXPORT int migaccel_work_add_decompress(struct migaccel_work *w,
						 const void *in,
						 uint32_t in_size, void *page)
{
	struct work_op *op;
	int ret = w ? check_page(page) : -EINVAL;

	if (!ret && !in)
		ret = -EFAULT;
	if (!ret && (!in_size || in_size > MIGACCEL_PAGE_SIZE))
		ret = -EINVAL;
	if (ret)
		return ret;
	op = op_add(w, MIGACCEL_OP_DECOMPRESS, &ret);
	if (op) {
		op->u.decompress.in = in;
		op->u.decompress.in_size = in_size;
		op->u.decompress.page = page;
		w->nr++;
	}
	return ret;
}

/* ---- running ---- */

/* The operation on the CPU, as the array functions run it. */
static void op_run_cpu(struct migaccel_channel *ch, struct work_op *op)
{
	uint32_t size = 0;
	int ret = 0;

	op->value = 0;
	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
		op->value = migaccel__page_is_zero(op->u.scan.page);
		break;
	case MIGACCEL_OP_CRC64:
		op->value = migaccel__crc64(op->u.scan.page,
					    MIGACCEL_PAGE_SIZE);
		break;
	case MIGACCEL_OP_CRC32C:
		op->value = migaccel__crc32c(op->u.crc32c.seed,
					     op->u.crc32c.page,
					     MIGACCEL_PAGE_SIZE);
		break;
	case MIGACCEL_OP_COPY:
		memcpy(op->u.copy.dst, op->u.copy.src, MIGACCEL_PAGE_SIZE);
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		ret = migaccel__delta_create_cpu(ch,
						 op->u.delta_create.old_page,
						 op->u.delta_create.new_page,
						 op->u.delta_create.record,
						 op->u.delta_create.capacity,
						 &size);
		op->value = size;
		break;
	case MIGACCEL_OP_DELTA_APPLY:
		ret = migaccel__delta_apply_cpu(op->u.delta_apply.page,
						op->u.delta_apply.record,
						op->u.delta_apply.size);
		break;
	case MIGACCEL_OP_COMPRESS:
		ret = migaccel__compress_cpu(ch, op->u.compress.page,
					     op->u.compress.out,
					     op->u.compress.capacity, &size);
		op->value = size;
		break;
	case MIGACCEL_OP_DECOMPRESS:
		ret = migaccel__decompress_cpu(ch, op->u.decompress.in,
					       op->u.decompress.in_size,
					       op->u.decompress.page);
		break;
	}
	if (ret)
		op->value = 0;
	op->status = ret;
	op->flags = 0;
	op->ran = true;
}

/* Fill @k for the module; false: the operation needs none. */
static bool op_fill(const struct work_op *op, struct migaccel_op *k)
{
	memset(k, 0, sizeof(*k));
	k->opcode = op->opcode;
	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
	case MIGACCEL_OP_CRC64:
		k->src = (uintptr_t)op->u.scan.page;
		break;
	case MIGACCEL_OP_CRC32C:
		k->src = (uintptr_t)op->u.crc32c.page;
		k->seed = op->u.crc32c.seed;
		break;
	case MIGACCEL_OP_COPY:
		k->src = (uintptr_t)op->u.copy.src;
		k->dst = (uintptr_t)op->u.copy.dst;
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		k->src = (uintptr_t)op->u.delta_create.old_page;
		k->src2 = (uintptr_t)op->u.delta_create.new_page;
		k->dst = (uintptr_t)op->u.delta_create.record;
		/* No record is longer: the module need not reach further. */
		k->dst_len = op->u.delta_create.capacity <
			     MIGACCEL_DELTA_MAX_SIZE ?
			     op->u.delta_create.capacity :
			     MIGACCEL_DELTA_MAX_SIZE;
		break;
	case MIGACCEL_OP_DELTA_APPLY:
		/* An empty record (equal pages) changes nothing. */
		if (!op->u.delta_apply.size)
			return false;
		k->src = (uintptr_t)op->u.delta_apply.record;
		k->src_len = op->u.delta_apply.size;
		k->dst = (uintptr_t)op->u.delta_apply.page;
		break;
	case MIGACCEL_OP_COMPRESS:
		k->src = (uintptr_t)op->u.compress.page;
		k->dst = (uintptr_t)op->u.compress.out;
		/* Nothing of a page's size or more is kept anyway. */
		k->dst_len = op->u.compress.capacity < MIGACCEL_PAGE_SIZE ?
			     op->u.compress.capacity : MIGACCEL_PAGE_SIZE;
		break;
	case MIGACCEL_OP_DECOMPRESS:
		k->src = (uintptr_t)op->u.decompress.in;
		k->src_len = op->u.decompress.in_size;
		k->dst = (uintptr_t)op->u.decompress.page;
		break;
	}
	return true;
}

/*
 * Run on the CPU what the module will not do, and lay out the rest in
 * kops[] (regions translated) for the module.
 */
static void work_prepare(struct migaccel_work *w)
{
	struct migaccel_channel *ch = w->ch;
	unsigned int i;

	w->nk = 0;
	for (i = 0; i < w->nr; i++) {
		struct work_op *op = &w->ops[i];

		op->ran = false;
		if (!migaccel__use_kernel(ch, op->opcode)) {
			op_run_cpu(ch, op);
			continue;
		}
		if (!op_fill(op, &w->kops[w->nk])) {
			op->status = 0;
			op->flags = 0;
			op->value = 0;
			op->ran = true;
			continue;
		}
		migaccel__region_translate(ch, &w->kops[w->nk]);
		w->kidx[w->nk++] = i;
	}
}

/* Every operation of part @p failed with @err, as a whole. */
static void part_fail(struct migaccel_work *w, unsigned int p, int err)
{
	unsigned int j, first = p * part_size(w), n = part_len(w, p);

	for (j = first; j < first + n; j++) {
		struct work_op *op = &w->ops[w->kidx[j]];

		op->status = err;
		op->flags = 0;
		op->value = 0;
		op->ran = true;
	}
}

/* Part @p came back from the module: take its results, once checked. */
static void part_finish(struct migaccel_work *w, unsigned int p,
			unsigned int nr_failed, unsigned int nr_cpu)
{
	unsigned int j, first = p * part_size(w), n = part_len(w, p);
	const uint64_t *bitmap = &w->bitmaps[(size_t)p * w->words_per_part];

	if (migaccel__batch_check(&w->kops[first], n, bitmap, nr_failed)) {
		part_fail(w, p, -EIO);
		return;
	}
	w->ch->nr_kernel_cpu += nr_cpu;
	for (j = first; j < first + n; j++) {
		const struct migaccel_op *k = &w->kops[j];
		struct work_op *op = &w->ops[w->kidx[j]];

		op->flags = k->out_flags & MIGACCEL_OUT_CPU ?
			    MIGACCEL_RESULT_CPU : 0;
		if (k->out_status) {
			op->status = k->out_status < 0 ? k->out_status : -EIO;
			op->value = 0;
		} else {
			op->status = migaccel__op_result(k, &op->value);
			if (op->status)
				op->value = 0;
		}
		op->ran = true;
	}
}

/* The work object's result: the status of its first failing operation. */
static void work_finalize(struct migaccel_work *w)
{
	unsigned int i;

	w->result = 0;
	w->nr_failed = 0;
	for (i = 0; i < w->nr; i++) {
		if (!w->ops[i].status)
			continue;
		if (!w->nr_failed++)
			w->result = w->ops[i].status;
	}
}

static void batch_init(struct migaccel_work *w, unsigned int p,
		       struct migaccel_batch *b)
{
	unsigned int n = part_len(w, p);
	uint64_t *bitmap = &w->bitmaps[(size_t)p * w->words_per_part];

	/* All ones: a module that does not write the bitmap is caught. */
	memset(bitmap, 0xff, MIGACCEL_DIV_ROUND_UP(n, BITS_PER_WORD) *
			     sizeof(*bitmap));
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->nr_ops = n;
	b->op_size = sizeof(struct migaccel_op);
	b->ops = (uintptr_t)&w->kops[(size_t)p * part_size(w)];
	b->out_zero_bitmap = (uintptr_t)bitmap;
}

static unsigned int work_parts(const struct migaccel_work *w)
{
	return w->nk ? MIGACCEL_DIV_ROUND_UP(w->nk, part_size(w)) : 0;
}

MIGACCEL_EXPORT int migaccel_work_run(struct migaccel_work *w)
{
	struct migaccel_batch b;
	unsigned int p;
	int ret;

	if (!w)
		return -EINVAL;
	if (!w->ch)
		return -ENODEV;
	if (w->state != WORK_IDLE)
		return -EBUSY;

	work_prepare(w);
	for (p = 0; p < work_parts(w); p++) {
		batch_init(w, p, &b);
		ret = migaccel__sys_ioctl(w->ch->fd, MIGACCEL_BATCH, &b);
		if (ret < 0)
			part_fail(w, p, ret);
		else
			part_finish(w, p, b.out_nr_failed, b.out_nr_cpu);
	}
	work_finalize(w);
	return w->result;
}

MIGACCEL_EXPORT int migaccel_work_result(const struct migaccel_work *w,
					 unsigned int index, int *status,
					 unsigned int *flags, uint64_t *value)
{
	const struct work_op *op;

	if (!w || index >= w->nr)
		return -EINVAL;
	if (w->state != WORK_IDLE)
		return -EBUSY;
	op = &w->ops[index];
	if (!op->ran)
		return -EAGAIN;
	if (status)
		*status = op->status;
	if (flags)
		*flags = op->flags;
	if (value)
		*value = op->value;
	return 0;
}

/* ---- asynchronous ---- */

/* @w is complete: queue it for migaccel_reap(), and say so. */
static void work_complete(struct migaccel_channel *ch, struct migaccel_work *w)
{
	work_finalize(w);
	if (w->orphan) {
		work_destroy(w);
		return;
	}
	w->state = WORK_DONE;
	w->next = NULL;
	if (ch->done_tail)
		ch->done_tail->next = w;
	else
		ch->done_head = w;
	ch->done_tail = w;
	ch->nr_done++;

	/* The module makes its own fd readable and signals its eventfd. */
	if (ch->path == MIGACCEL_PATH_KERNEL)
		return;
	if (ch->evfd >= 0 && ch->nr_done == 1)
		migaccel__sys_eventfd_signal(ch->evfd);
	if (ch->user_evfd >= 0)
		migaccel__sys_eventfd_signal(ch->user_evfd);
}

static void inflight_add(struct migaccel_channel *ch, struct migaccel_work *w)
{
	w->prev = NULL;
	w->next = ch->inflight;
	if (ch->inflight)
		ch->inflight->prev = w;
	ch->inflight = w;
	w->state = WORK_INFLIGHT;
}

static void inflight_del(struct migaccel_channel *ch, struct migaccel_work *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		ch->inflight = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

MIGACCEL_EXPORT int migaccel_work_submit(struct migaccel_work *w,
					 uint64_t user_data)
{
	struct migaccel_channel *ch;
	struct migaccel_batch b;
	unsigned int p, parts, started;
	int ret = 0;

	if (!w)
		return -EINVAL;
	ch = w->ch;
	if (!ch)
		return -ENODEV;
	if (w->state != WORK_IDLE)
		return -EBUSY;
	if (!w->nr)
		return -EINVAL;

	w->user_data = user_data;
	work_prepare(w);
	parts = work_parts(w);
	if (!parts) {
		work_complete(ch, w);
		return 0;
	}

	w->first_seq = ch->next_seq;
	for (p = 0; p < parts; p++) {
		batch_init(w, p, &b);
		b.flags = MIGACCEL_BATCH_ASYNC;
		b.user_data = w->first_seq + p;
		ret = migaccel__sys_ioctl(ch->fd, MIGACCEL_BATCH, &b);
		if (ret < 0)
			break;
	}
	if (!p)
		return ret;	/* nothing started: the object stays idle */

	/* The parts that did not start fail; the others are reaped. */
	for (started = p; p < parts; p++)
		part_fail(w, p, ret);
	parts = started;
	ch->next_seq += parts;
	w->parts = parts;
	w->parts_left = parts;
	ch->nr_inflight_parts += parts;
	inflight_add(ch, w);
	return 0;
}

/* The work object of completion @c, or NULL if none is in flight. */
static struct migaccel_work *work_of(struct migaccel_channel *ch,
				     uint64_t seq, unsigned int *part)
{
	struct migaccel_work *w;

	for (w = ch->inflight; w; w = w->next) {
		if (seq - w->first_seq < w->parts) {
			*part = (unsigned int)(seq - w->first_seq);
			return w;
		}
	}
	return NULL;
}

/*
 * Take @n completions from the module.  A completion that names nothing
 * in flight means the module and the library disagree: -EIO.
 */
static int comps_take(struct migaccel_channel *ch, unsigned int n)
{
	unsigned int i, p;
	int ret = 0;

	for (i = 0; i < n; i++) {
		const struct migaccel_completion *c = &ch->comps[i];
		struct migaccel_work *w = work_of(ch, c->user_data, &p);

		if (!w) {
			ret = -EIO;
			continue;
		}
		if (c->result)
			part_fail(w, p, c->result < 0 ? c->result : -EIO);
		else
			part_finish(w, p, c->nr_failed, c->nr_cpu);
		ch->nr_inflight_parts--;
		if (--w->parts_left)
			continue;
		inflight_del(ch, w);
		work_complete(ch, w);
	}
	return ret;
}

static unsigned int done_pop(struct migaccel_channel *ch,
			     struct migaccel_done *out, unsigned int nr)
{
	unsigned int n = 0;

	while (n < nr && ch->done_head) {
		struct migaccel_work *w = ch->done_head;

		ch->done_head = w->next;
		if (!ch->done_head)
			ch->done_tail = NULL;
		ch->nr_done--;
		w->next = NULL;
		w->state = WORK_IDLE;
		out[n].work = w;
		out[n].user_data = w->user_data;
		out[n].result = w->result;
		out[n].nr_failed = w->nr_failed;
		n++;
	}
	if (!ch->done_head && ch->evfd >= 0)
		migaccel__sys_eventfd_drain(ch->evfd);
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

MIGACCEL_EXPORT int migaccel_reap(struct migaccel_channel *ch,
				  struct migaccel_done *out, unsigned int nr,
				  unsigned int min_complete, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	unsigned int n;
	int err = 0, ret;

	if (!ch || !nr || min_complete > nr || timeout_ms < -1)
		return -EINVAL;
	if (!out)
		return -EFAULT;

	n = done_pop(ch, out, nr);
	while (n < nr && ch->inflight) {
		struct migaccel_reap r;
		bool wait = n < min_complete && timeout_ms != 0;

		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.nr = MIGACCEL_REAP_ENTRIES;
		r.entries = (uintptr_t)ch->comps;
		if (wait) {
			unsigned int want = min_complete - n;

			if (want > ch->nr_inflight_parts)
				want = ch->nr_inflight_parts;
			r.flags = MIGACCEL_REAP_WAIT;
			r.min_complete = want;
			if (timeout_ms > 0) {
				int64_t left = deadline - now_ms();

				if (left <= 0)
					break;
				r.timeout_ms = (uint32_t)left;
			}
		}
		ret = migaccel__sys_ioctl(ch->fd, MIGACCEL_REAP, &r);
		if (ret < 0) {
			err = ret;
			break;
		}
		if (r.out_nr > MIGACCEL_REAP_ENTRIES) {
			err = -EIO;
			break;
		}
		ret = comps_take(ch, r.out_nr);
		if (ret)
			err = ret;
		n += done_pop(ch, out + n, nr - n);
		if (err)
			break;
		/* Nothing more is complete now, or the wait timed out. */
		if (!r.out_nr || (!wait && r.out_nr < MIGACCEL_REAP_ENTRIES))
			break;
	}
	/* What was reaped is returned; an error only when nothing was. */
	return n ? (int)n : err;
}

MIGACCEL_EXPORT int migaccel_channel_fd(struct migaccel_channel *ch)
{
	int fd;

	if (!ch)
		return -EINVAL;
	if (ch->path == MIGACCEL_PATH_KERNEL)
		return ch->fd;
	if (ch->evfd < 0) {
		fd = migaccel__sys_eventfd(ch->done_head ? 1 : 0);
		if (fd < 0)
			return fd;
		ch->evfd = fd;
	}
	return ch->evfd;
}

MIGACCEL_EXPORT int migaccel_channel_set_eventfd(struct migaccel_channel *ch,
						 int fd)
{
	struct migaccel_set_eventfd arg;
	int ret;

	if (!ch || fd < -1)
		return -EINVAL;
	if (ch->path == MIGACCEL_PATH_CPU) {
		ch->user_evfd = fd;
		return 0;
	}
	memset(&arg, 0, sizeof(arg));
	arg.size = sizeof(arg);
	arg.fd = fd;
	ret = migaccel__sys_ioctl(ch->fd, MIGACCEL_SET_EVENTFD, &arg);
	return ret < 0 ? ret : 0;
}

/* ---- the channel's side ---- */

/* Does an operand of @op overlap [start, end)? */
static bool op_reaches(const struct work_op *op, uintptr_t start,
		       uintptr_t end)
{
	const void *p[3] = { NULL, NULL, NULL };
	size_t len[3] = { MIGACCEL_PAGE_SIZE, MIGACCEL_PAGE_SIZE,
			  MIGACCEL_PAGE_SIZE };
	unsigned int i;

	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
	case MIGACCEL_OP_CRC64:
		p[0] = op->u.scan.page;
		break;
	case MIGACCEL_OP_CRC32C:
		p[0] = op->u.crc32c.page;
		break;
	case MIGACCEL_OP_COPY:
		p[0] = op->u.copy.src;
		p[1] = op->u.copy.dst;
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		p[0] = op->u.delta_create.old_page;
		p[1] = op->u.delta_create.new_page;
		p[2] = op->u.delta_create.record;
		len[2] = op->u.delta_create.capacity;
		break;
	case MIGACCEL_OP_DELTA_APPLY:
		p[0] = op->u.delta_apply.page;
		p[1] = op->u.delta_apply.record;
		len[1] = op->u.delta_apply.size;
		break;
	case MIGACCEL_OP_COMPRESS:
		p[0] = op->u.compress.page;
		p[1] = op->u.compress.out;
		len[1] = op->u.compress.capacity;
		break;
	case MIGACCEL_OP_DECOMPRESS:
		p[0] = op->u.decompress.page;
		p[1] = op->u.decompress.in;
		len[1] = op->u.decompress.in_size;
		break;
	}
	for (i = 0; i < 3; i++) {
		uintptr_t a = (uintptr_t)p[i];

		if (p[i] && len[i] && a < end && a + len[i] > start)
			return true;
	}
	return false;
}

/*
 * CPU path: does a work object submitted and not yet reaped reach into
 * [start, end)?  Then its region is busy, as the module would say.
 */
bool migaccel__works_reach(const struct migaccel_channel *ch,
			   uintptr_t start, uintptr_t end)
{
	const struct migaccel_work *w;
	unsigned int i;

	for (w = ch->done_head; w; w = w->next)
		for (i = 0; i < w->nr; i++)
			if (op_reaches(&w->ops[i], start, end))
				return true;
	return false;
}

/*
 * The channel is closing, and its fd with it (the module has drained what
 * was in flight).  Work objects the caller still holds are detached: they
 * can only be freed.  Those the caller freed while busy are freed here.
 */
void migaccel__works_release(struct migaccel_channel *ch)
{
	struct migaccel_work *w, *next;

	for (w = ch->inflight; w; w = next) {
		next = w->next;
		if (w->orphan) {
			work_destroy(w);
			continue;
		}
		w->state = WORK_IDLE;
		w->ch = NULL;
		w->prev = w->next = NULL;
	}
	for (w = ch->done_head; w; w = next) {
		next = w->next;
		w->state = WORK_IDLE;
		w->ch = NULL;
		w->next = NULL;
	}
	ch->inflight = ch->done_head = ch->done_tail = NULL;
}
