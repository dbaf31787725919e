// SPDX-License-Identifier: GPL-2.0
/*
 * Operations: which device kind runs each, the descriptor each becomes,
 * and how its outcome is read back from the completion record, finished on
 * the CPU where the engine stopped short (a page fault: continue from
 * bytes_completed; anything else: redo it whole).
 *
 * Where an operation's data lives (batch.c sets it up):
 *   ZERO_SCAN, CRC32C, CRC64: @src page
 *   COPY: @src page to @dst page
 *   DELTA_CREATE: @src old, @src2 new, record built in @bounce
 *   DELTA_APPLY: record (checked) in @bounce, applied to @dst page
 *   COMPRESS: @src page, stream built in @bounce
 *   DECOMPRESS: stream in @bounce, page built at @bounce + page size
 */
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/**
 * migaccel_chunk_slot_of() - where an operation sits in a chunk
 * @chunk: the chunk
 * @op: index of the operation in the chunk's job
 *
 * Context: any.
 * Return: the slot, or -1 when @chunk does not hold @op.
 */
int migaccel_chunk_slot_of(const struct migaccel_chunk *chunk, u32 op)
{
	unsigned int i;

	for (i = 0; i < chunk->nr; i++)
		if (chunk->op[i] == op)
			return i;
	return -1;
}

/* The largest record the caller takes; the device may be given more. */
static u32 delta_max(const struct migaccel_op *op)
{
	u32 max = min(op->dst_len, MIGACCEL_DELTA_MAX);

	return max - max % MIGACCEL_DELTA_ENTRY_SIZE;
}

static bool verify_compress = true;
module_param(verify_compress, bool, 0644);
MODULE_PARM_DESC(verify_compress,
		 "inflate every page an engine compressed and compare it before using it (default on)");

static u32 compress_max(const struct migaccel_op *op)
{
	/* Only output smaller than the page is worth sending. */
	return min(op->dst_len, MIGACCEL_PAGE_SIZE - 1);
}

/*
 * What building a chunk's descriptors needs of the chunk, read once: the
 * descriptors are stored through pointers the compiler cannot tell from
 * the chunk's own fields, so it would reload them for every operation.
 */
struct build_ctx {
	struct migaccel_engine *engine;
	struct migaccel_chunk *chunk;
	u64 comps_addr;
	bool phys;
	bool dsa;
};

/* A page of a region is mapped already where the engine needs it. */
static __always_inline u64 op_page_addr(const struct build_ctx *b,
					struct migaccel_jop *jop,
					struct page *page, unsigned long idx)
{
	struct migaccel_engine *engine = b->engine;

	if (b->phys)
		return page_to_phys(page);
	if (jop->region && engine->ops->region_addr)
		return engine->ops->region_addr(engine, b->chunk, jop->region,
						idx);
	return engine->ops->page_addr(engine, b->chunk, page);
}

/* Clear the record of @slot: what the engine writes, then reads back. */
static __always_inline void comp_clear(const struct build_ctx *b,
				       unsigned int slot)
{
	u64 *w = (u64 *)&b->chunk->comps[slot];

	BUILD_BUG_ON(sizeof(b->chunk->comps[0]) != 8 * sizeof(u64) ||
		     sizeof(struct dsa_completion_record) != 4 * sizeof(u64));
	w[0] = 0;
	w[1] = 0;
	w[2] = 0;
	w[3] = 0;
	if (b->dsa)
		return;
	w[4] = 0;
	w[5] = 0;
	w[6] = 0;
	w[7] = 0;
}

static __always_inline void op_build(const struct build_ctx *b,
				     struct migaccel_jop *jop,
				     unsigned int slot)
{
	union migaccel_hw_desc *desc = &b->chunk->descs[slot];
	const struct migaccel_op *op = &jop->op;
	u64 comp = b->comps_addr + slot * sizeof(b->chunk->comps[0]);
	u64 src = 0, src2 = 0, dst = 0, bounce = 0;

	comp_clear(b, slot);
	if (jop->src)
		src = op_page_addr(b, jop, jop->src, jop->src_idx);
	/* The single-page DSA operations first: the common ones. */
	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
		migaccel_desc_compval(&desc->dsa, src, MIGACCEL_PAGE_SIZE, 0,
				      comp);
		return;
	case MIGACCEL_OP_CRC32C:
		migaccel_desc_crcgen(&desc->dsa, src, MIGACCEL_PAGE_SIZE,
				     op->seed, comp);
		return;
	}
	if (jop->src2)
		src2 = op_page_addr(b, jop, jop->src2, jop->src2_idx);
	if (jop->dst)
		dst = op_page_addr(b, jop, jop->dst, jop->dst_idx);
	/* Only these use it; others may keep one from an earlier batch. */
	if (op->opcode == MIGACCEL_OP_DELTA_CREATE ||
	    op->opcode == MIGACCEL_OP_DELTA_APPLY ||
	    op->opcode == MIGACCEL_OP_COMPRESS ||
	    op->opcode == MIGACCEL_OP_DECOMPRESS)
		bounce = b->phys ? virt_to_phys(jop->bounce) :
			 b->engine->ops->kernel_addr(b->engine, b->chunk,
						     jop->bounce);

	switch (op->opcode) {
	case MIGACCEL_OP_COPY:
		migaccel_desc_memmove(&desc->dsa, src, dst, MIGACCEL_PAGE_SIZE,
				      comp);
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		/* The record lands in @bounce, room for the largest. */
		migaccel_desc_cr_delta(&desc->dsa, src, src2,
				       MIGACCEL_PAGE_SIZE, bounce,
				       migaccel_delta_max_size(op->dst_len),
				       comp);
		break;
	case MIGACCEL_OP_DELTA_APPLY:
		migaccel_desc_ap_delta(&desc->dsa, bounce, op->src_len, dst,
				       MIGACCEL_PAGE_SIZE, comp);
		break;
	case MIGACCEL_OP_COMPRESS:
		/* The engine supplies its own compression state, if any. */
		migaccel_desc_compress(&desc->iax, src, MIGACCEL_PAGE_SIZE,
				       bounce, compress_max(op), 0, 0, comp);
		break;
	case MIGACCEL_OP_DECOMPRESS:
		migaccel_desc_decompress(&desc->iax, bounce, op->src_len,
					 bounce + MIGACCEL_PAGE_SIZE,
					 MIGACCEL_PAGE_SIZE, comp);
		break;
	case MIGACCEL_OP_CRC64:
		migaccel_desc_crc64(&desc->iax, src, MIGACCEL_PAGE_SIZE, comp);
		break;
	}
}

static __always_inline void build_ctx_init(struct build_ctx *b,
					   struct migaccel_chunk *chunk)
{
	b->engine = chunk->engine;
	b->chunk = chunk;
	b->comps_addr = chunk->comps_addr;
	b->phys = chunk->engine->phys;
	b->dsa = chunk->class == MIGACCEL_CLASS_DSA;
}

/**
 * migaccel_op_build() - build the descriptor of an operation
 * @jop: the operation, its pages pinned and buffers set up
 * @chunk: its chunk, prepared for its engine, @comps_addr set
 * @slot: its index in @chunk
 *
 * Its completion record is cleared.
 *
 * Context: any.
 */
void migaccel_op_build(struct migaccel_jop *jop, struct migaccel_chunk *chunk,
		       unsigned int slot)
{
	struct build_ctx b;

	build_ctx_init(&b, chunk);
	op_build(&b, jop, slot);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_op_build);

/**
 * migaccel_chunk_build() - build the descriptors of a chunk's operations
 * @chunk: the chunk, prepared for its engine, @comps_addr set
 *
 * Their completion records are cleared.
 *
 * Context: any.
 */
void migaccel_chunk_build(struct migaccel_chunk *chunk)
{
	struct migaccel_jop *jops = chunk->job->ops;
	const u16 *op = chunk->op;
	unsigned int i, nr = chunk->nr;
	struct build_ctx b;

	build_ctx_init(&b, chunk);
	for (i = 0; i < nr; i++)
		op_build(&b, &jops[op[i]], i);
}

/*
 * How far the engine got with a DSA operation other than the zero scan:
 * true with *@resume when it finished (resume == page size) or stopped at
 * a page fault after some bytes; false when the CPU must start from 0.
 * Only the status and bytes_completed are read: on a fault, result means
 * different things for different opcodes.
 */
static bool dsa_progress(const struct dsa_completion_record *comp,
			 u32 *resume)
{
	u8 status = DSA_COMP_STATUS(READ_ONCE(comp->status));

	/* Read the rest of the record only after the status says it is there. */
	smp_rmb();
	*resume = 0;
	if (status == DSA_COMP_SUCCESS)
		*resume = MIGACCEL_PAGE_SIZE;
	else if (status == DSA_COMP_PAGE_FAULT_NOBOF &&
		 comp->bytes_completed < MIGACCEL_PAGE_SIZE)
		*resume = comp->bytes_completed;
	return *resume;
}

/*
 * Did the engine complete a DSA operation?  Once the status says so, the
 * rest of the record may be read: the barrier orders those reads after it.
 */
static __always_inline bool dsa_succeeded(const struct dsa_completion_record *comp)
{
	if (DSA_COMP_STATUS(READ_ONCE(comp->status)) != DSA_COMP_SUCCESS)
		return false;
	/* The rest of the record after the status says it is there. */
	smp_rmb();
	return true;
}

static __always_inline void
finish_zero(struct migaccel_jop *jop, const struct dsa_completion_record *comp,
	    bool *cpu)
{
	u32 resume;

	/* The engine's answer, as migaccel_comp_zero_page() reads it. */
	if (dsa_succeeded(comp)) {
		jop->op.out_result = !comp->result;
		return;
	}
	if (migaccel_comp_zero_page(comp, MIGACCEL_PAGE_SIZE, &resume)) {
		jop->op.out_result = !comp->result;
		return;
	}
	*cpu = true;
	jop->op.out_result = migaccel_cpu_zero(page_address(jop->src), resume);
}

static void finish_copy(struct migaccel_jop *jop,
			const struct dsa_completion_record *comp, bool *cpu)
{
	u32 resume;

	dsa_progress(comp, &resume);
	if (resume == MIGACCEL_PAGE_SIZE)
		return;
	*cpu = true;
	memcpy(page_address(jop->dst) + resume,
	       page_address(jop->src) + resume, MIGACCEL_PAGE_SIZE - resume);
}

static void finish_crc32c(struct migaccel_jop *jop,
			  const struct dsa_completion_record *comp, bool *cpu)
{
	u32 resume, crc = jop->op.seed;

	/* On a fault the record holds the CRC of the bytes completed. */
	if (dsa_progress(comp, &resume) && resume)
		crc = comp->crc_val;
	if (resume < MIGACCEL_PAGE_SIZE) {
		*cpu = true;
		crc = migaccel_cpu_crc32c(crc, page_address(jop->src) + resume,
					  MIGACCEL_PAGE_SIZE - resume);
	}
	jop->op.out_result = crc;
}

static void finish_delta_create(struct migaccel_jop *jop,
				const struct dsa_completion_record *comp,
				bool *cpu)
{
	u32 resume, size = 0, max = delta_max(&jop->op);
	int ret;

	if (dsa_progress(comp, &resume)) {
		if (DSA_COMP_STATUS(comp->status) == DSA_COMP_SUCCESS &&
		    comp->result == MIGACCEL_DELTA_RES_OVERFLOW) {
			jop->op.out_flags |= MIGACCEL_OUT_RAW;
			return;
		}
		size = comp->delta_rec_size;
		resume &= ~7u;
	}
	/* The device may have had more room than the caller gives. */
	if (size > max) {
		jop->op.out_flags |= MIGACCEL_OUT_RAW;
		return;
	}
	if (resume == MIGACCEL_PAGE_SIZE) {
		jop->op.out_result = size;
		return;
	}
	*cpu = true;
	ret = migaccel_cpu_delta_create(page_address(jop->src),
					page_address(jop->src2), resume,
					jop->bounce, size, max);
	if (ret < 0)
		jop->op.out_flags |= MIGACCEL_OUT_RAW;
	else
		jop->op.out_result = ret;
}

static void finish_delta_apply(struct migaccel_jop *jop,
			       const struct dsa_completion_record *comp,
			       bool *cpu)
{
	if (DSA_COMP_STATUS(READ_ONCE(comp->status)) == DSA_COMP_SUCCESS)
		return;
	/* Applying a checked record again is harmless: redo it whole. */
	*cpu = true;
	migaccel_cpu_delta_apply(page_address(jop->dst), jop->bounce,
				 jop->op.src_len);
}

/*
 * Does the engine's stream inflate to the page?  The second page of the
 * bounce buffer is free for a compression: the stream fits in the first.
 */
static bool compress_verified(struct migaccel_jop *jop, u32 size)
{
	void *back = jop->bounce + MIGACCEL_PAGE_SIZE;

	if (!READ_ONCE(verify_compress))
		return true;
	return !migaccel_cpu_decompress(jop->bounce, size, back) &&
	       !memcmp(back, page_address(jop->src), MIGACCEL_PAGE_SIZE);
}

/**
 * migaccel_comp_compress_overflow() - did an IAA compression not fit?
 * @comp: its completion record
 *
 * IAA ends a compression whose output exceeds max_dst_size with an
 * analytics error, error code 0x19 (iaa_crypto's
 * IAA_ERROR_COMP_BUF_OVERFLOW); status 0x0b is the decompression overflow.
 *
 * Context: any.
 * Return: true for that outcome.
 */
bool migaccel_comp_compress_overflow(const struct iax_completion_record *comp)
{
	return DSA_COMP_STATUS(READ_ONCE(comp->status)) ==
	       IAX_COMP_ANALYTICS_ERROR &&
	       comp->error_code == MIGACCEL_IAA_ERR_COMP_OVERFLOW;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_comp_compress_overflow);

static void finish_compress(struct migaccel_jop *jop,
			    const struct iax_completion_record *comp,
			    bool *cpu)
{
	u8 status = DSA_COMP_STATUS(READ_ONCE(comp->status));
	int ret;

	/* The rest of the record after the status, as dsa_progress(). */
	smp_rmb();
	if (status == IAX_COMP_SUCCESS && comp->output_size &&
	    comp->output_size <= compress_max(&jop->op) &&
	    compress_verified(jop, comp->output_size)) {
		jop->op.out_result = comp->output_size;
		return;
	}
	if (migaccel_comp_compress_overflow(comp)) {
		jop->op.out_flags |= MIGACCEL_OUT_RAW;
		return;
	}
	*cpu = true;
	ret = migaccel_cpu_compress(page_address(jop->src), jop->bounce,
				    compress_max(&jop->op));
	if (ret == -ENOSPC)
		jop->op.out_flags |= MIGACCEL_OUT_RAW;
	else if (ret < 0)
		jop->op.out_status = ret;
	else
		jop->op.out_result = ret;
}

static void finish_decompress(struct migaccel_jop *jop,
			      const struct iax_completion_record *comp,
			      bool *cpu)
{
	u8 status = DSA_COMP_STATUS(READ_ONCE(comp->status));

	/* The rest of the record after the status, as dsa_progress(). */
	smp_rmb();
	if (status == IAX_COMP_SUCCESS &&
	    comp->output_size == MIGACCEL_PAGE_SIZE)
		return;
	/*
	 * Anything else, a stream that ended short of a page included, is
	 * for the CPU to judge: it inflates to the final block, and says
	 * -EBADMSG only for a stream that is bad there too.
	 */
	*cpu = true;
	jop->op.out_status = migaccel_cpu_decompress(jop->bounce,
						     jop->op.src_len,
						     jop->bounce +
						     MIGACCEL_PAGE_SIZE);
}

static void finish_crc64(struct migaccel_jop *jop,
			 const struct iax_completion_record *comp, bool *cpu)
{
	u8 status = DSA_COMP_STATUS(READ_ONCE(comp->status));

	/* The rest of the record after the status, as dsa_progress(). */
	smp_rmb();
	if (status == IAX_COMP_SUCCESS) {
		jop->op.out_result = migaccel_comp_crc64(comp);
		return;
	}
	*cpu = true;
	jop->op.out_result = migaccel_cpu_crc64(page_address(jop->src),
						MIGACCEL_PAGE_SIZE);
}

static __always_inline bool op_finish(struct migaccel_jop *jop)
{
	const union migaccel_hw_comp *comp = &jop->chunk->comps[jop->slot];
	bool cpu = false;

	switch (jop->op.opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
		finish_zero(jop, &comp->dsa, &cpu);
		break;
	case MIGACCEL_OP_COPY:
		finish_copy(jop, &comp->dsa, &cpu);
		break;
	case MIGACCEL_OP_CRC32C:
		finish_crc32c(jop, &comp->dsa, &cpu);
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		finish_delta_create(jop, &comp->dsa, &cpu);
		break;
	case MIGACCEL_OP_DELTA_APPLY:
		finish_delta_apply(jop, &comp->dsa, &cpu);
		break;
	case MIGACCEL_OP_COMPRESS:
		finish_compress(jop, &comp->iax, &cpu);
		break;
	case MIGACCEL_OP_DECOMPRESS:
		finish_decompress(jop, &comp->iax, &cpu);
		break;
	case MIGACCEL_OP_CRC64:
		finish_crc64(jop, &comp->iax, &cpu);
		break;
	}
	return cpu;
}

/**
 * migaccel_op_finish() - read an operation's outcome, finishing on the CPU
 * @jop: an operation whose chunk is DONE
 *
 * Sets out_result, out_status and MIGACCEL_OUT_RAW; the data of COMPRESS,
 * DELTA_CREATE and DECOMPRESS is left in the bounce buffer.
 *
 * Context: process context (may sleep for a zlib workspace).
 * Return: true when the CPU did some of the work.
 */
bool migaccel_op_finish(struct migaccel_jop *jop)
{
	return op_finish(jop);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_op_finish);

/* Copy @len bytes at @src to the op's destination buffer's pages. */
static void ubuf_write(struct migaccel_jop *jop, const u8 *src, u32 len)
{
	u32 off = offset_in_page(jop->op.dst);
	unsigned int i;

	for (i = 0; len; i++) {
		u32 n = min_t(u32, len, PAGE_SIZE - off);

		memcpy(page_address(jop->ubuf[i]) + off, src, n);
		src += n;
		len -= n;
		off = 0;
	}
}

/**
 * migaccel_job_finish() - read every outcome of a job and put outputs in place
 * @job: a job whose chunks are all DONE
 * @bitmap: bit i is set for operation i, a zero scan that found a zero page
 * @count: set: [0] operations with out_status, [1] with MIGACCEL_OUT_CPU,
 *	[2 + opcode] operations per opcode (MIGACCEL_OP_MAX of them)
 *
 * Operations without a chunk already have their outcome.  Outputs reach
 * the caller's memory (COMPRESS and DELTA_CREATE buffers, the DECOMPRESS
 * page) only for an operation that succeeded.
 *
 * Context: process context (may sleep for a zlib workspace).
 */
void migaccel_job_finish(struct migaccel_job *job, unsigned long *bitmap,
			 u32 *count)
{
	struct migaccel_jop *jops = job->ops;
	unsigned int i, nr = job->nr;

	memset(count, 0, (2 + MIGACCEL_OP_MAX) * sizeof(*count));
	for (i = 0; i < nr; i++) {
		struct migaccel_jop *jop = &jops[i];
		struct migaccel_op *op = &jop->op;
		u32 opcode = op->opcode;
		bool out;

		count[2 + opcode]++;
		if (!jop->chunk)
			goto counted;
		/*
		 * A zero scan or a CRC32C the engine answered: the most
		 * common outcomes, read here as finish_zero() and
		 * finish_crc32c() read a success, without their counting.
		 */
		if (opcode == MIGACCEL_OP_ZERO_SCAN) {
			const struct dsa_completion_record *comp =
				&jop->chunk->comps[jop->slot].dsa;

			if (dsa_succeeded(comp)) {
				op->out_result = !comp->result;
				if (op->out_result)
					__set_bit(i, bitmap);
				continue;
			}
		} else if (opcode == MIGACCEL_OP_CRC32C) {
			const struct dsa_completion_record *comp =
				&jop->chunk->comps[jop->slot].dsa;

			if (dsa_succeeded(comp)) {
				op->out_result = comp->crc_val;
				continue;
			}
		}
		if (op_finish(jop))
			op->out_flags |= MIGACCEL_OUT_CPU;
counted:
		count[0] += !!op->out_status;
		count[1] += !!(op->out_flags & MIGACCEL_OUT_CPU);
		out = jop->chunk && !op->out_status &&
		      !(op->out_flags & MIGACCEL_OUT_RAW);
		switch (opcode) {
		case MIGACCEL_OP_ZERO_SCAN:
			if (op->out_result)
				__set_bit(i, bitmap);
			break;
		case MIGACCEL_OP_COMPRESS:
		case MIGACCEL_OP_DELTA_CREATE:
			if (out && op->out_result)
				ubuf_write(jop, jop->bounce, op->out_result);
			break;
		case MIGACCEL_OP_DECOMPRESS:
			if (out)
				memcpy(page_address(jop->dst),
				       jop->bounce + MIGACCEL_PAGE_SIZE,
				       MIGACCEL_PAGE_SIZE);
			break;
		}
	}
}
