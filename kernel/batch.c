// SPDX-License-Identifier: GPL-2.0
/*
 * MIGACCEL_BATCH: validate a batch, pin its pages, build one descriptor per
 * operation, run them on an engine and report each outcome.
 *
 * Everything that can fail because of the caller (a malformed op, an
 * unmapped or read-only buffer) is checked before any engine work starts,
 * and the user's memory is written only after all of it succeeded, so a
 * refused batch changes nothing.
 */
#include <linux/bitmap.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/* The caller's op array, copied in whole and written back in whole. */
struct batch_ops {
	u8 *raw;
	size_t raw_size;
	u32 stride;
	struct migaccel_op *ops;
};

static struct migaccel_op *batch_raw_op(struct batch_ops *b, u32 i)
{
	return (struct migaccel_op *)(b->raw + (size_t)i * b->stride);
}

static int batch_check_op(const struct migaccel_op *op)
{
	if (op->opcode != MIGACCEL_OP_ZERO_SCAN)
		return -EOPNOTSUPP;
	if (op->flags)
		return -EOPNOTSUPP;
	if (op->__reserved || op->dst || op->arg)
		return -EINVAL;
	if (!PAGE_ALIGNED(op->src))
		return -EINVAL;
	return 0;
}

static int batch_copy_ops(struct batch_ops *b, const struct migaccel_batch *cmd)
{
	size_t known = sizeof(struct migaccel_op);
	u32 i;
	int ret;

	b->stride = cmd->op_size;
	b->raw_size = (size_t)cmd->nr_ops * cmd->op_size;
	b->raw = kvmalloc(b->raw_size, GFP_KERNEL);
	b->ops = kvmalloc_array(cmd->nr_ops, sizeof(*b->ops), GFP_KERNEL);
	if (!b->raw || !b->ops)
		return -ENOMEM;
	if (copy_from_user(b->raw, u64_to_user_ptr(cmd->ops), b->raw_size))
		return -EFAULT;

	for (i = 0; i < cmd->nr_ops; i++) {
		const u8 *src = (const u8 *)batch_raw_op(b, i);

		memset(&b->ops[i], 0, known);
		memcpy(&b->ops[i], src, min_t(size_t, known, b->stride));
		if (b->stride > known &&
		    memchr_inv(src + known, 0, b->stride - known))
			return -E2BIG;
		ret = batch_check_op(&b->ops[i]);
		if (ret)
			return ret;
	}
	/*
	 * Results are written back over the same bytes; make sure now that
	 * they can be, so a read-only op array fails before any work.
	 */
	if (copy_to_user(u64_to_user_ptr(cmd->ops), b->raw, b->raw_size))
		return -EFAULT;
	return 0;
}

static int batch_probe_bitmap(u64 ubitmap, unsigned long *bitmap, u32 nr)
{
	size_t len = BITS_TO_U64(nr) * sizeof(u64);

	if (!ubitmap)
		return 0;
	/* Read and write back the same words: writable, yet unchanged. */
	if (copy_from_user(bitmap, u64_to_user_ptr(ubitmap), len) ||
	    copy_to_user(u64_to_user_ptr(ubitmap), bitmap, len))
		return -EFAULT;
	return 0;
}

static int batch_pin(struct migaccel_job *job, const struct migaccel_op *ops)
{
	unsigned int i;
	int ret;

	for (i = 0; i < job->nr; i++) {
		/* Kernel addresses and wrap-around are not user memory. */
		if (!access_ok(u64_to_user_ptr(ops[i].src), MIGACCEL_PAGE_SIZE))
			return -EFAULT;
		/* A zero scan only reads: pinning a read-only page is fine. */
		ret = pin_user_pages_fast(ops[i].src, 1, 0, &job->pages[i]);
		if (ret != 1)
			return ret < 0 ? ret : -EFAULT;
		job->nr_pinned++;
	}
	return 0;
}

/**
 * migaccel_job_build_zero_scan() - build one COMPVAL descriptor per page
 * @job: a job whose pages are set
 *
 * Context: any.
 */
void migaccel_job_build_zero_scan(struct migaccel_job *job)
{
	struct migaccel_engine *engine = job->engine;
	const struct migaccel_engine_ops *ops = engine->ops;
	unsigned int c, i;

	for (c = 0; c < job->nr_chunks; c++) {
		struct migaccel_chunk *chunk = job->chunks[c];

		for (i = 0; i < chunk->nr; i++) {
			struct page *page = job->pages[chunk->first + i];

			migaccel_desc_compval(&chunk->descs[i],
					      ops->page_addr(engine, page),
					      MIGACCEL_PAGE_SIZE, 0,
					      ops->kernel_addr(engine,
							       &chunk->comps[i]));
		}
		if (chunk->nr == 1) {
			chunk->hw = &chunk->descs[0];
			chunk->hw_comp = &chunk->comps[0];
			continue;
		}
		migaccel_desc_batch(&chunk->batch,
				    ops->kernel_addr(engine, chunk->descs),
				    chunk->nr,
				    ops->kernel_addr(engine, &chunk->batch_comp));
		chunk->hw = &chunk->batch;
		chunk->hw_comp = &chunk->batch_comp;
	}
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_build_zero_scan);

/**
 * migaccel_cpu_zero_page() - finish a zero scan on the CPU
 * @page: the page
 * @from: offset before which the engine already found only zeroes
 *
 * Context: process context.
 * Return: true if the page is zero from @from to its end.
 */
bool migaccel_cpu_zero_page(struct page *page, u32 from)
{
	void *va = kmap_local_page(page);
	bool zero = !memchr_inv(va + from, 0, MIGACCEL_PAGE_SIZE - from);

	kunmap_local(va);
	return zero;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_cpu_zero_page);

/**
 * migaccel_job_zero_results() - read a completed zero-scan job
 * @job: a job built by migaccel_job_build_zero_scan() whose chunks completed
 * @bitmap: set bit i for each page i found zero; other bits are untouched
 *
 * Pages the engine did not decide (fault, error) are finished on the CPU.
 *
 * Context: process context.
 * Return: the number of pages finished on the CPU.
 */
unsigned int migaccel_job_zero_results(struct migaccel_job *job,
				       unsigned long *bitmap)
{
	unsigned int c, i, on_cpu = 0;

	for (c = 0; c < job->nr_chunks; c++) {
		struct migaccel_chunk *chunk = job->chunks[c];

		for (i = 0; i < chunk->nr; i++) {
			const struct dsa_completion_record *comp =
				&chunk->comps[i];
			unsigned int k = chunk->first + i;
			bool zero;
			u32 resume;

			if (migaccel_comp_zero_page(comp, MIGACCEL_PAGE_SIZE,
						    &resume)) {
				zero = !comp->result;
			} else {
				zero = migaccel_cpu_zero_page(job->pages[k],
							      resume);
				on_cpu++;
			}
			if (zero)
				__set_bit(k, bitmap);
		}
	}
	return on_cpu;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_job_zero_results);

static int batch_write_back(struct batch_ops *b, struct migaccel_batch *cmd,
			    const unsigned long *bitmap)
{
	u32 i;

	for (i = 0; i < cmd->nr_ops; i++) {
		struct migaccel_op *dst = batch_raw_op(b, i);

		/* Only the out_ fields change. */
		dst->out_status = 0;
		dst->out_result = test_bit(i, bitmap);
	}
	/* A zero scan always ends with an answer: the CPU finishes the rest. */
	cmd->out_nr_failed = 0;
	if (copy_to_user(u64_to_user_ptr(cmd->ops), b->raw, b->raw_size))
		return -EFAULT;
	if (cmd->out_zero_bitmap &&
	    copy_to_user(u64_to_user_ptr(cmd->out_zero_bitmap), bitmap,
			 BITS_TO_U64(cmd->nr_ops) * sizeof(u64)))
		return -EFAULT;
	return 0;
}

static int batch_check(const struct migaccel_batch *cmd)
{
	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	if (!cmd->nr_ops || cmd->nr_ops > MIGACCEL_MAX_BATCH_OPS)
		return -EINVAL;
	/* A multiple of 8 keeps every op's __u64 fields aligned. */
	if (cmd->op_size < offsetofend(struct migaccel_op, out_result) ||
	    cmd->op_size > MIGACCEL_MAX_OP_SIZE || cmd->op_size % 8)
		return -EINVAL;
	return 0;
}

/**
 * migaccel_batch_run() - execute MIGACCEL_BATCH for the current process
 * @cmd: the command, copied from user space; out_ fields are set on success
 * @qos: the channel's share of its group's bandwidth, charged before the
 *	engine gets the work
 *
 * Context: process context of the channel's owner; sleeps.
 * Return: 0 once every operation has an outcome; -EINVAL, -E2BIG,
 * -EOPNOTSUPP or -EFAULT for a malformed batch, -ENOMEM, -EINTR when a
 * fatal signal arrived (also while throttled), -ETIMEDOUT when the engine
 * did not complete.
 */
int migaccel_batch_run(struct migaccel_batch *cmd,
		       struct migaccel_channel_qos *qos)
{
	struct batch_ops b = {};
	struct migaccel_job *job;
	unsigned long *bitmap;
	long left, timeout;
	int ret;

	ret = batch_check(cmd);
	if (ret)
		return ret;

	bitmap = bitmap_zalloc(BITS_TO_U64(cmd->nr_ops) * 64, GFP_KERNEL);
	if (!bitmap)
		return -ENOMEM;
	ret = batch_copy_ops(&b, cmd);
	if (ret)
		goto free_ops;
	ret = batch_probe_bitmap(cmd->out_zero_bitmap, bitmap, cmd->nr_ops);
	if (ret)
		goto free_ops;
	bitmap_zero(bitmap, BITS_TO_U64(cmd->nr_ops) * 64);

	job = migaccel_job_alloc(&migaccel_soft_engine, cmd->nr_ops);
	if (!job) {
		ret = -ENOMEM;
		goto free_ops;
	}
	ret = batch_pin(job, b.ops);
	if (ret)
		goto put_job;

	migaccel_job_build_zero_scan(job);
	ret = migaccel_qos_charge(qos, (u64)job->nr * MIGACCEL_PAGE_SIZE);
	if (ret < 0)
		goto put_job;
	/* Throttled, CPU asked for: no record is written, the CPU decides all. */
	if (ret == MIGACCEL_QOS_RUN_ON_CPU)
		complete(&job->done);
	else
		migaccel_job_submit(job);

	timeout = msecs_to_jiffies(migaccel_timeout_ms);
	left = wait_for_completion_killable_timeout(&job->done, timeout);
	if (left <= 0) {
		ret = left ? -EINTR : -ETIMEDOUT;
		goto put_job;
	}
	migaccel_job_zero_results(job, bitmap);
	ret = batch_write_back(&b, cmd, bitmap);

put_job:
	migaccel_job_put(job);
free_ops:
	kvfree(b.ops);
	kvfree(b.raw);
	bitmap_free(bitmap);
	return ret;
}
