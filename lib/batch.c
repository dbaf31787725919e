// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The kernel path of every operation: cut a call of nr elements into
 * MIGACCEL_BATCH calls of at most the module's out_max_batch_ops, and turn
 * each operation's out_status into the call's result.
 *
 * Each operation only differs in how it fills a struct migaccel_op and
 * where its result goes; both are callbacks, so the batching, the checks
 * of what the module wrote and the error rules live here once.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

#define BITS_PER_WORD 64u

static int op_error(const struct migaccel_op *op)
{
	return op->out_status < 0 ? op->out_status : -EIO;
}

/**
 * migaccel__batch_check() - is what the module wrote for a batch coherent?
 * @ops: the @n operations after the module ran them
 * @n: number of operations
 * @bitmap: the batch's out_zero_bitmap
 * @nr_failed: the batch's out_nr_failed (or the completion's nr_failed)
 *
 * The bitmap, out_result and out_nr_failed state the same facts twice; a
 * page wrongly called zero is lost from the migrated guest, so insist
 * that they agree before trusting any of them.
 *
 * Return: 0, or -EIO when no result of the batch may be used.
 */
int migaccel__batch_check(const struct migaccel_op *ops, unsigned int n,
			  const uint64_t *bitmap, unsigned int nr_failed)
{
	unsigned int i, failed = 0;

	for (i = 0; i < n; i++) {
		const struct migaccel_op *op = &ops[i];
		bool bit = bitmap[i / BITS_PER_WORD] >> (i % BITS_PER_WORD) & 1;
		bool zero = op->opcode == MIGACCEL_OP_ZERO_SCAN &&
			    !op->out_status && op->out_result == 1;

		if (op->out_status)
			failed++;
		if (bit != zero)
			return -EIO;
		if (op->opcode == MIGACCEL_OP_ZERO_SCAN && !op->out_status &&
		    op->out_result > 1)
			return -EIO;
	}
	return failed == nr_failed ? 0 : -EIO;
}

/**
 * migaccel__op_result() - the result of one operation the module ran
 * @op: an operation whose out_status is 0
 * @value: its result, as the work object functions report it: 1 or 0
 *	for ZERO_SCAN, the CRC, the record or compressed size (or
 *	MIGACCEL_SIZE_RAW), 0 for the others
 *
 * Return: 0, or -EIO when the module reported something impossible.
 */
int migaccel__op_result(const struct migaccel_op *op, uint64_t *value)
{
	bool raw = op->out_flags & MIGACCEL_OUT_RAW;

	*value = 0;
	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
		if (op->out_result > 1 || raw)
			return -EIO;
		*value = op->out_result;
		return 0;
	case MIGACCEL_OP_CRC32C:
		if (op->out_result > UINT32_MAX || raw)
			return -EIO;
		*value = op->out_result;
		return 0;
	case MIGACCEL_OP_CRC64:
		if (raw)
			return -EIO;
		*value = op->out_result;
		return 0;
	case MIGACCEL_OP_DELTA_CREATE:
		if (raw) {
			*value = MIGACCEL_SIZE_RAW;
			return op->out_result ? -EIO : 0;
		}
		if (op->out_result > op->dst_len ||
		    op->out_result % MIGACCEL_DELTA_ENTRY_SIZE)
			return -EIO;
		*value = op->out_result;
		return 0;
	case MIGACCEL_OP_COMPRESS:
		if (raw) {
			*value = MIGACCEL_SIZE_RAW;
			return op->out_result ? -EIO : 0;
		}
		if (!op->out_result || op->out_result >= MIGACCEL_PAGE_SIZE ||
		    op->out_result > op->dst_len)
			return -EIO;
		*value = op->out_result;
		return 0;
	default:
		return raw ? -EIO : 0;
	}
}

/*
 * Run ch->ops[0, n) as one MIGACCEL_BATCH.  A negative return means the
 * batch as a whole failed, or the module wrote something impossible: no
 * result of it is used.  Otherwise each operation's outcome goes to
 * @done or to *@first_err (only if that is still 0).
 */
static int batch_chunk(struct migaccel_channel *ch, unsigned int n,
		       const struct migaccel_batch_ops *ops, void *arg,
		       int *first_err)
{
	size_t words = MIGACCEL_DIV_ROUND_UP(n, BITS_PER_WORD);
	struct migaccel_batch batch;
	unsigned int i;
	int ret;

	/*
	 * All ones: a module that does not write the bitmap is caught below,
	 * as every operation that is not a zero page must read back 0.
	 */
	memset(ch->batch_bitmap, 0xff, words * sizeof(*ch->batch_bitmap));

	memset(&batch, 0, sizeof(batch));
	batch.size = sizeof(batch);
	batch.nr_ops = n;
	batch.op_size = sizeof(struct migaccel_op);
	batch.ops = (uintptr_t)ch->ops;
	batch.out_zero_bitmap = (uintptr_t)ch->batch_bitmap;

	ret = migaccel__sys_ioctl(ch->fd, MIGACCEL_BATCH, &batch);
	if (ret < 0)
		return ret;

	ret = migaccel__batch_check(ch->ops, n, ch->batch_bitmap,
				    batch.out_nr_failed);
	if (ret)
		return ret;
	ch->nr_kernel_cpu += batch.out_nr_cpu;

	for (i = 0; i < n; i++) {
		const struct migaccel_op *op = &ch->ops[i];
		int err = op->out_status ? op_error(op) :
			  ops->done(op, ch->op_index[i], arg);

		if (err && !*first_err)
			*first_err = err;
	}
	return 0;
}

/**
 * migaccel__batch_run() - run @nr elements on the kernel path
 * @ch: a kernel-path channel
 * @nr: number of elements, checked by the caller
 * @ops: how to fill an operation and where its result goes
 * @arg: passed to @ops
 *
 * Every element runs even when another fails.  Return: 0; the error of
 * the first failing element; or the error of a MIGACCEL_BATCH call that
 * failed as a whole, in which case the elements of that call and of the
 * later ones have not run (those of earlier calls have).
 */
int migaccel__batch_run(struct migaccel_channel *ch, unsigned int nr,
			const struct migaccel_batch_ops *ops, void *arg)
{
	unsigned int i = 0, n;
	int first_err = 0, ret;

	while (i < nr) {
		for (n = 0; i < nr && n < ch->max_batch_ops; i++) {
			struct migaccel_op *op = &ch->ops[n];

			memset(op, 0, sizeof(*op));
			if (!ops->fill(op, i, arg))
				continue;
			migaccel__region_translate(ch, op);
			ch->op_index[n++] = i;
		}
		if (!n)
			continue;
		ret = batch_chunk(ch, n, ops, arg, &first_err);
		if (ret)
			return ret;
	}
	return first_err;
}

/* The .done of operations whose only result is in memory. */
int migaccel__batch_no_result(const struct migaccel_op *op, unsigned int i,
			      void *arg)
{
	(void)op;
	(void)i;
	(void)arg;
	return 0;
}
