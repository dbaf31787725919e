// SPDX-License-Identifier: GPL-2.0
/*
 * MIGACCEL_BATCH: validate a batch, pin its pages, build one descriptor per
 * operation, run them on engines and report each outcome.
 *
 * Everything that can fail because of the caller's batch (a malformed op,
 * an unmapped or read-only buffer) is checked before any engine work
 * starts, and the user's memory is written only after all of it
 * succeeded, so a refused batch changes nothing.  What only the data can
 * tell (a corrupt deflate stream, a delta record with bad offsets) fails
 * that operation alone, with its destination untouched.
 *
 * Buffers of any alignment (compressed streams, delta records) go through
 * a kernel bounce buffer: the engine works on it, and results reach the
 * user's pinned pages only once complete.  Decompression also lands in
 * the bounce buffer first, so a bad stream leaves the page as it was.
 */
#include <linux/bitmap.h>
#include <linux/eventfd.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "migaccel.h"

/* A page operand: a user address, or an offset in a region (0 allowed). */
static __always_inline bool page_operand_ok(const struct migaccel_op *op, u64 addr)
{
	return PAGE_ALIGNED(addr) && (addr || op->region);
}

/* A buffer operand: a user address, or an offset in a buffer region. */
static __always_inline bool buffer_operand_ok(const struct migaccel_op *op, u64 addr)
{
	return addr || op->buf_region;
}

/* Fields an opcode uses; every other one must be 0. */
#define F_SRC	BIT(0)
#define F_SRC2	BIT(1)
#define F_DST	BIT(2)
#define F_SLEN	BIT(3)
#define F_DLEN	BIT(4)
#define F_SEED	BIT(5)

static const u8 batch_op_fields[MIGACCEL_OP_MAX] = {
	[MIGACCEL_OP_ZERO_SCAN] = F_SRC,
	[MIGACCEL_OP_COPY] = F_SRC | F_DST,
	[MIGACCEL_OP_CRC32C] = F_SRC | F_SEED,
	[MIGACCEL_OP_DELTA_CREATE] = F_SRC | F_SRC2 | F_DST | F_DLEN,
	[MIGACCEL_OP_DELTA_APPLY] = F_SRC | F_SLEN | F_DST,
	[MIGACCEL_OP_COMPRESS] = F_SRC | F_DST | F_DLEN,
	[MIGACCEL_OP_DECOMPRESS] = F_SRC | F_SLEN | F_DST,
	[MIGACCEL_OP_CRC64] = F_SRC,
};

/*
 * The same as masks: per opcode, the bits of src2, dst, src_len and
 * dst_len (as the one word they share) and seed it does not use, which
 * must all be 0.
 */
struct op_unused {
	u64 src2;
	u64 dst;
	u64 lens;
	u64 seed;
};

#define LENS_SRC	U32_MAX
#define LENS_DST	((u64)U32_MAX << 32)

/* Must say what batch_op_fields says. */
static const struct op_unused batch_op_unused[MIGACCEL_OP_MAX] = {
	[MIGACCEL_OP_ZERO_SCAN] = {
		.src2 = U64_MAX, .dst = U64_MAX,
		.lens = LENS_SRC | LENS_DST, .seed = U64_MAX,
	},
	[MIGACCEL_OP_COPY] = {
		.src2 = U64_MAX, .dst = 0,
		.lens = LENS_SRC | LENS_DST, .seed = U64_MAX,
	},
	[MIGACCEL_OP_CRC32C] = {
		.src2 = U64_MAX, .dst = U64_MAX,
		.lens = LENS_SRC | LENS_DST, .seed = 0,
	},
	[MIGACCEL_OP_DELTA_CREATE] = {
		.src2 = 0, .dst = 0,
		.lens = LENS_SRC, .seed = U64_MAX,
	},
	[MIGACCEL_OP_DELTA_APPLY] = {
		.src2 = U64_MAX, .dst = 0,
		.lens = LENS_DST, .seed = U64_MAX,
	},
	[MIGACCEL_OP_COMPRESS] = {
		.src2 = U64_MAX, .dst = 0,
		.lens = LENS_SRC, .seed = U64_MAX,
	},
	[MIGACCEL_OP_DECOMPRESS] = {
		.src2 = U64_MAX, .dst = 0,
		.lens = LENS_DST, .seed = U64_MAX,
	},
	[MIGACCEL_OP_CRC64] = {
		.src2 = U64_MAX, .dst = U64_MAX,
		.lens = LENS_SRC | LENS_DST, .seed = U64_MAX,
	},
};

/* The 8-byte words of a struct migaccel_op, as read from user space. */
enum {
	OPW_CODE,	/* opcode, flags */
	OPW_SRC,
	OPW_SRC2,
	OPW_DST,
	OPW_LENS,	/* src_len, dst_len */
	OPW_SEED,
	OPW_OUT,	/* out_status, out_flags */
	OPW_RESULT,
	OPW_IDS,	/* region, buf_region */
	OPW_NR
};

static_assert(offsetof(struct migaccel_op, flags) == OPW_CODE * 8 + 4 &&
	      offsetof(struct migaccel_op, src) == OPW_SRC * 8 &&
	      offsetof(struct migaccel_op, src2) == OPW_SRC2 * 8 &&
	      offsetof(struct migaccel_op, dst) == OPW_DST * 8 &&
	      offsetof(struct migaccel_op, src_len) == OPW_LENS * 8 &&
	      offsetof(struct migaccel_op, dst_len) == OPW_LENS * 8 + 4 &&
	      offsetof(struct migaccel_op, seed) == OPW_SEED * 8 &&
	      offsetof(struct migaccel_op, out_status) == OPW_OUT * 8 &&
	      offsetof(struct migaccel_op, out_flags) == OPW_OUT * 8 + 4 &&
	      offsetof(struct migaccel_op, out_result) == OPW_RESULT * 8 &&
	      offsetof(struct migaccel_op, region) == OPW_IDS * 8 &&
	      offsetof(struct migaccel_op, buf_region) == OPW_IDS * 8 + 4 &&
	      sizeof(struct migaccel_op) == OPW_NR * 8);

/* Word @k of @op (little-endian x86: the pairs of u32 fields as one). */
static __always_inline u64 op_word(const struct migaccel_op *op, unsigned int k)
{
	return ((const u64 *)op)[k];
}

static __always_inline int batch_check_op(const struct migaccel_op *op)
{
	const struct op_unused *unused;
	u8 used;

	/* 1 <= opcode < MIGACCEL_OP_MAX and flags 0, as one comparison. */
	if (op_word(op, OPW_CODE) - 1 >= MIGACCEL_OP_MAX - 1)
		return -EOPNOTSUPP;
	used = batch_op_fields[op->opcode];
	unused = &batch_op_unused[op->opcode];
	/* Every field the opcode does not use is 0. */
	if ((op->src2 & unused->src2) | (op->dst & unused->dst) |
	    (op_word(op, OPW_LENS) & unused->lens) |
	    (op->seed & unused->seed))
		return -EINVAL;
	/* ZERO_SCAN and CRC64: a source page, nothing else. */
	if (used == F_SRC)
		return page_operand_ok(op, op->src) && !op->buf_region ?
		       0 : -EINVAL;
	/* CRC32C: the same and a 32-bit seed. */
	if (used == (F_SRC | F_SEED))
		return page_operand_ok(op, op->src) && !op->buf_region &&
		       op->seed <= U32_MAX ? 0 : -EINVAL;

	switch (op->opcode) {
	case MIGACCEL_OP_DELTA_APPLY:
		if (!op->src_len || op->src_len > MIGACCEL_DELTA_MAX ||
		    op->src_len % MIGACCEL_DELTA_ENTRY_SIZE)
			return -EINVAL;
		break;
	case MIGACCEL_OP_DECOMPRESS:
		if (!op->src_len || op->src_len > MIGACCEL_PAGE_SIZE)
			return -EINVAL;
		break;
	default:
		/* Every other source is a page. */
		if (!page_operand_ok(op, op->src))
			return -EINVAL;
		break;
	}
	switch (op->opcode) {
	case MIGACCEL_OP_COPY:
		if (!page_operand_ok(op, op->dst) || op->dst == op->src)
			return -EINVAL;
		break;
	case MIGACCEL_OP_DELTA_APPLY:
	case MIGACCEL_OP_DECOMPRESS:
		if (!page_operand_ok(op, op->dst))
			return -EINVAL;
		break;
	case MIGACCEL_OP_CRC32C:
		if (op->seed > U32_MAX)
			return -EINVAL;
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		if (!page_operand_ok(op, op->src2) ||
		    op->dst_len < MIGACCEL_DELTA_ENTRY_SIZE ||
		    !buffer_operand_ok(op, op->dst))
			return -EINVAL;
		break;
	case MIGACCEL_OP_COMPRESS:
		if (!op->dst_len || !buffer_operand_ok(op, op->dst))
			return -EINVAL;
		break;
	}
	/* Pages in a region and buffers in the same: regions must differ. */
	if (op->buf_region && !(used & (F_SLEN | F_DLEN)))
		return -EINVAL;
	return 0;
}

static struct migaccel_op __user *batch_user_op(const struct migaccel_batch *cmd,
						u32 i)
{
	return u64_to_user_ptr(cmd->ops + (u64)i * cmd->op_size);
}

static __always_inline unsigned int op_pins(const struct migaccel_op *op);

/*
 * Read the caller's op array into the job's operations, word by word,
 * and check each op as it is read: nothing is copied twice.  Returns
 * -EFAULT when any of the array cannot be read, else the error of the
 * first malformed op (bytes past the fields this module knows must be 0:
 * -E2BIG), else 0 with *@pins set to the user pages the batch will pin.
 * Only computation runs between reads: no call, with user access on.
 */
static int batch_read_ops(const struct migaccel_batch *cmd,
			  struct migaccel_job *job, unsigned long *pins)
{
	/* The command's fields once: stores to the ops could alias them. */
	const u32 nr = cmd->nr_ops, size = cmd->op_size;
	const bool ids = size >= offsetofend(struct migaccel_op, buf_region);
	const size_t extra = size > sizeof(struct migaccel_op) ?
			     (size - sizeof(struct migaccel_op)) / sizeof(u64) : 0;
	const u8 __user *u = u64_to_user_ptr(cmd->ops);
	struct migaccel_jop *jop = job->ops;
	unsigned long n = 0;
	int err = 0;
	u32 i;

	if (!user_read_access_begin(u, (size_t)nr * size))
		return -EFAULT;
	for (i = 0; i < nr; i++, u += size, jop++) {
		const u64 __user *uw = (const u64 __user *)u;
		struct migaccel_op *op = &jop->op;
		u64 *w = (u64 *)op;

		/* Whole words: the pairs of u32 fields in one read each. */
		unsafe_get_user(w[OPW_CODE], &uw[OPW_CODE], efault);
		unsafe_get_user(w[OPW_SRC], &uw[OPW_SRC], efault);
		unsafe_get_user(w[OPW_SRC2], &uw[OPW_SRC2], efault);
		unsafe_get_user(w[OPW_DST], &uw[OPW_DST], efault);
		unsafe_get_user(w[OPW_LENS], &uw[OPW_LENS], efault);
		unsafe_get_user(w[OPW_SEED], &uw[OPW_SEED], efault);
		w[OPW_OUT] = 0;
		w[OPW_RESULT] = 0;
		w[OPW_IDS] = 0;
		if (ids)
			unsafe_get_user(w[OPW_IDS], &uw[OPW_IDS], efault);
		/* The first malformed op decides; the rest is still read. */
		if (unlikely(err))
			continue;
		if (unlikely(extra)) {
			const u64 __user *x = &uw[OPW_NR];
			size_t words = extra;
			u64 v, any = 0;

			while (words--) {
				unsafe_get_user(v, x++, efault);
				any |= v;
			}
			if (any) {
				err = -E2BIG;
				continue;
			}
		}
		err = batch_check_op(op);
		/* Only a valid opcode indexes the tables. */
		if (!err)
			n += op_pins(op);
	}
	user_read_access_end();
	*pins = n;
	return err;

efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * Results are written back over the op array (its out_ fields) and the
 * bitmap: make sure now that they can be, so that a read-only array fails
 * before any work.  Each page of [@uaddr, @uaddr + @len) gets one of its
 * bytes read and written back unchanged.
 */
static int batch_probe_writable(u64 uaddr, size_t len)
{
	u8 __user *p = u64_to_user_ptr(uaddr);
	u8 __user *end = p + len;
	u8 v;

	if (!user_access_begin(p, len))
		return -EFAULT;
	while (p < end) {
		unsafe_get_user(v, p, efault);
		unsafe_put_user(v, p, efault);
		p = (u8 __user *)(((unsigned long)p & PAGE_MASK) + PAGE_SIZE);
	}
	user_access_end();
	return 0;

efault:
	user_access_end();
	return -EFAULT;
}

static int pin_one(u64 addr, unsigned int gup_flags, struct page **page)
{
	int ret;

	/* Kernel addresses and wrap-around are not user memory. */
	if (!access_ok(u64_to_user_ptr(addr), MIGACCEL_PAGE_SIZE))
		return -EFAULT;
	ret = pin_user_pages_fast(addr, 1, gup_flags, page);
	if (ret == 1)
		return 0;
	*page = NULL;
	return ret < 0 ? ret : -EFAULT;
}

/* Pin, writable, the pages under the first @len bytes of buffer @addr. */
static int pin_ubuf(struct migaccel_jop *jop, u64 addr, u32 len)
{
	unsigned long first = addr & PAGE_MASK;
	unsigned int n = (PAGE_ALIGN(addr + len) - first) >> PAGE_SHIFT;
	int ret;

	if (!access_ok(u64_to_user_ptr(addr), len))
		return -EFAULT;
	if (WARN_ON_ONCE(n > ARRAY_SIZE(jop->ubuf)))
		return -EINVAL;
	ret = pin_user_pages_fast(first, n, FOLL_WRITE, jop->ubuf);
	if (ret > 0)
		jop->nr_ubuf = ret;
	if (ret == n)
		return 0;
	return ret < 0 ? ret : -EFAULT;
}

/* Largest output a COMPRESS or DELTA_CREATE op may write to its buffer. */
static __always_inline u32 op_out_max(const struct migaccel_op *op)
{
	if (op->opcode == MIGACCEL_OP_COMPRESS)
		return min(op->dst_len, MIGACCEL_PAGE_SIZE - 1);
	return min(op->dst_len, MIGACCEL_DELTA_MAX);
}

/* Page operand @addr: pinned now, or found in the op's region. */
static __always_inline int page_operand(struct migaccel_jop *jop, u64 addr,
					bool write, struct page **page,
					unsigned long *idx, u8 pin_bit)
{
	int ret;

	if (jop->region) {
		*page = migaccel_region_page(jop->region, addr, PAGE_SIZE, idx);
		return *page ? 0 : -EINVAL;
	}
	ret = pin_one(addr, write ? FOLL_WRITE : 0, page);
	if (!ret)
		jop->pinned |= pin_bit;
	return ret;
}

/* Buffer operand @addr of @len bytes in the op's buffer region. */
static int region_buf(struct migaccel_jop *jop, u64 addr, u32 len,
		      struct page **pages, unsigned int max)
{
	struct migaccel_region *r = jop->buf_region;
	unsigned long idx, first = addr >> PAGE_SHIFT;
	unsigned int i, n = (PAGE_ALIGN(addr + len) >> PAGE_SHIFT) - first;

	if (n > max || !migaccel_region_page(r, addr, len, &idx))
		return -EINVAL;
	for (i = 0; i < n; i++)
		pages[i] = r->pages[first + i];
	return n;
}

/* Copy @len bytes at offset @off of @pages into @dst. */
static void pages_read(struct page **pages, u32 off, u8 *dst, u32 len)
{
	unsigned int i;

	for (i = 0; len; i++) {
		u32 n = min_t(u32, len, PAGE_SIZE - off);

		memcpy(dst, page_address(pages[i]) + off, n);
		dst += n;
		len -= n;
		off = 0;
	}
}

/*
 * The last region an operand named, and its id (0 and NULL: none): the
 * ops of a batch mostly name one or two regions, so each is looked up in
 * the job's list only when it changes.
 */
struct region_memo {
	u32 id;
	struct migaccel_region *r;
};

/* Region @id of the job (NULL for 0). */
static __always_inline int op_region(struct migaccel_job *job, u32 id,
				     struct region_memo *memo,
				     struct migaccel_region **r)
{
	int ret;

	if (id == memo->id || !id) {
		*r = id ? memo->r : NULL;
		return 0;
	}
	ret = migaccel_job_region(job, id, r);
	if (!ret) {
		memo->id = id;
		memo->r = *r;
	}
	return ret;
}

/*
 * Pin (or find in a region) what an operation reads and writes and fill
 * its bounce buffer.  Returns 0, or the error that refuses the batch.
 */
static __always_inline int batch_prepare_op(struct migaccel_job *job,
					    struct migaccel_jop *jop,
					    struct region_memo memo[2])
{
	struct migaccel_op *op = &jop->op;
	u32 used = batch_op_fields[op->opcode];
	struct page *in[3];
	int ret;

	/* A spare job's operation: every field used is set here. */
	jop->class = migaccel_op_class(op->opcode);
	jop->src = NULL;
	jop->src2 = NULL;
	jop->dst = NULL;
	jop->nr_ubuf = 0;
	jop->chunk = NULL;
	ret = op_region(job, op->region, &memo[0], &jop->region);
	if (ret)
		return ret;
	if (unlikely(op->buf_region)) {
		ret = op_region(job, op->buf_region, &memo[1],
				&jop->buf_region);
		if (ret)
			return ret;
	} else {
		jop->buf_region = NULL;
	}
	if ((used & F_SRC) && !(used & F_SLEN)) {
		ret = page_operand(jop, op->src, false, &jop->src,
				   &jop->src_idx, MIGACCEL_PIN_SRC);
		if (ret)
			return ret;
	}
	/* ZERO_SCAN, CRC32C, CRC64: nothing more. */
	if (!(used & ~(F_SRC | F_SEED)))
		return 0;
	if (used & F_SRC2) {
		ret = page_operand(jop, op->src2, false, &jop->src2,
				   &jop->src2_idx, MIGACCEL_PIN_SRC2);
		if (ret)
			return ret;
	}
	if ((used & F_DST) && !(used & F_DLEN)) {
		ret = page_operand(jop, op->dst, true, &jop->dst,
				   &jop->dst_idx, MIGACCEL_PIN_DST);
		if (ret)
			return ret;
	}
	if ((used & F_DLEN) && jop->buf_region) {
		ret = region_buf(jop, op->dst, op_out_max(op), jop->ubuf,
				 ARRAY_SIZE(jop->ubuf));
		if (ret < 0)
			return ret;
		jop->nr_ubuf = ret;
	} else if (used & F_DLEN) {
		ret = pin_ubuf(jop, op->dst, op_out_max(op));
		if (jop->nr_ubuf)
			jop->pinned |= MIGACCEL_PIN_UBUF;
		if (ret)
			return ret;
	}
	if (op->opcode == MIGACCEL_OP_COPY)
		return 0;

	/* Kept with the job for the channel's next batches. */
	if (!jop->bounce)
		jop->bounce = kmalloc(MIGACCEL_BOUNCE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!jop->bounce)
		return -ENOMEM;
	if ((used & F_SLEN) && jop->buf_region) {
		ret = region_buf(jop, op->src, op->src_len, in, ARRAY_SIZE(in));
		if (ret < 0)
			return ret;
		pages_read(in, offset_in_page(op->src), jop->bounce,
			   op->src_len);
	} else if (used & F_SLEN) {
		if (!access_ok(u64_to_user_ptr(op->src), op->src_len) ||
		    copy_from_user(jop->bounce, u64_to_user_ptr(op->src),
				   op->src_len))
			return -EFAULT;
	}
	/* What the data says is this op's failure alone, found before work. */
	if (op->opcode == MIGACCEL_OP_DELTA_APPLY)
		op->out_status = migaccel_cpu_delta_check(jop->bounce,
							  op->src_len,
							  MIGACCEL_PAGE_SIZE);
	return 0;
}

/* User pages an operation pins for its job (none in a region). */
static __always_inline unsigned int op_pins(const struct migaccel_op *op)
{
	u8 used = batch_op_fields[op->opcode];
	unsigned int n = 0;

	if (!op->region) {
		n += (used & F_SRC) && !(used & F_SLEN);
		n += !!(used & F_SRC2);
		n += (used & F_DST) && !(used & F_DLEN);
	}
	if ((used & F_DLEN) && !op->buf_region)
		n += min_t(u64, 3, (offset_in_page(op->dst) + op_out_max(op) +
				    PAGE_SIZE - 1) >> PAGE_SHIFT);
	return n;
}

/*
 * Charge the pages the batch will pin to the caller's RLIMIT_MEMLOCK, as
 * registered regions are: they stay pinned as long as the job is held
 * (until an async batch is reaped, or an engine lets go).
 */
static int batch_charge_pins(struct migaccel_job *job, unsigned long n)
{
	int ret;

	ret = account_locked_vm(current->mm, n, true);
	if (!ret)
		job->locked = n;
	return ret;
}

/*
 * Put operation @i in the open chunk of its kind, a new one when that is
 * full (@size: the most a chunk of each kind takes): chunks a work queue
 * can take, in the batch's order.
 */
static __always_inline int batch_chunk_op(struct migaccel_job *job,
					  struct migaccel_chunk **open,
					  const unsigned int *size,
					  unsigned int i)
{
	struct migaccel_jop *jop = &job->ops[i];
	struct migaccel_chunk *chunk = open[jop->class];

	if (!chunk || chunk->nr == size[jop->class]) {
		chunk = migaccel_job_new_chunk(job, jop->class);
		if (!chunk)
			return -ENOMEM;
		open[jop->class] = chunk;
	}
	chunk->op[chunk->nr] = i;
	chunk->ops |= BIT_ULL(jop->op.opcode);
	jop->chunk = chunk;
	jop->slot = chunk->nr++;
	return 0;
}

/* Every chunk is DONE: read each outcome, put outputs in place, count. */
static void batch_finish_ops(struct migaccel_batch *cmd,
			     struct migaccel_job *job, unsigned long *bitmap)
{
	u32 count[2 + MIGACCEL_OP_MAX];
	u32 i;

	migaccel_job_finish(job, bitmap, count);
	for (i = 0; i < MIGACCEL_OP_MAX; i++)
		if (count[2 + i])
			migaccel_client_account(job->ch->client, i,
						count[2 + i]);
	migaccel_count(job->stats, MIGACCEL_STAT_BATCHES, 1);
	migaccel_count(job->stats, MIGACCEL_STAT_OPS, job->nr);
	migaccel_count(job->stats, MIGACCEL_STAT_CPU_OPS, count[1]);
	cmd->out_nr_failed = count[0];
	cmd->out_nr_cpu = count[1];
}

/*
 * The zero bitmap to user memory, in the user-access section of its own:
 * no bounce and no hardened-usercopy check of the heap object.  The
 * bitmap is a whole number of u64 words (bctx_prepare()).
 */
static int batch_write_bitmap(const struct migaccel_batch *cmd,
			      const unsigned long *bitmap)
{
	void __user *u = u64_to_user_ptr(cmd->out_zero_bitmap);
	size_t len = BITS_TO_U64(cmd->nr_ops) * sizeof(u64);

	if (!user_write_access_begin(u, len))
		return -EFAULT;
	unsafe_copy_to_user(u, (const void *)bitmap, len, efault);
	user_write_access_end();
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

/*
 * Outcomes to user memory: the op array's out_ fields (a MIGACCEL_ZERO_SCAN
 * call has none: @cmd->ops is 0), then the bitmap.
 */
static int batch_write_back(const struct migaccel_batch *cmd,
			    struct migaccel_job *job,
			    const unsigned long *bitmap)
{
	u32 i;

	if (!cmd->ops)
		return batch_write_bitmap(cmd, bitmap);
	/* Only the out_ fields change. */
	if (!user_write_access_begin(u64_to_user_ptr(cmd->ops),
				     (size_t)cmd->nr_ops * cmd->op_size))
		return -EFAULT;
	for (i = 0; i < job->nr; i++) {
		struct migaccel_op __user *u = batch_user_op(cmd, i);
		const struct migaccel_op *op = &job->ops[i].op;

		unsafe_put_user(op->out_status, &u->out_status, efault);
		unsafe_put_user(op->out_flags, &u->out_flags, efault);
		unsafe_put_user(op->out_result, &u->out_result, efault);
	}
	user_write_access_end();
	if (cmd->out_zero_bitmap)
		return batch_write_bitmap(cmd, bitmap);
	return 0;

efault:
	user_write_access_end();
	return -EFAULT;
}

static int batch_check(const struct migaccel_batch *cmd)
{
	if (cmd->flags & ~MIGACCEL_BATCH_ASYNC)
		return -EOPNOTSUPP;
	if (!cmd->nr_ops || cmd->nr_ops > MIGACCEL_MAX_BATCH_OPS)
		return -EINVAL;
	/* A multiple of 8 keeps every op's __u64 fields aligned. */
	if (cmd->op_size < offsetofend(struct migaccel_op, out_result) ||
	    cmd->op_size > MIGACCEL_MAX_OP_SIZE || cmd->op_size % 8)
		return -EINVAL;
	return 0;
}

/**
 * struct migaccel_bctx - one batch call, from validation to write-back
 * @node: in the channel's list of async batches
 * @cmd: the command as the caller gave it
 * @job: the engine work
 * @deadline: jiffies after which an async batch is given up on
 * @busy: a reaper works on it (under ch->lock): no other may touch it
 * @finished: its outcome is in @ent and written to user memory; only the
 *	entry is left to return
 * @ent: its completion entry, once @finished
 * @bitmap: zero-scan results, a whole number of u64 words
 */
struct migaccel_bctx {
	struct list_head node;
	struct migaccel_batch cmd;
	struct migaccel_job *job;
	unsigned long deadline;
	bool busy;
	bool finished;
	struct migaccel_completion ent;
	unsigned long bitmap[];
};

static void bctx_free(struct migaccel_bctx *ctx)
{
	if (ctx->job)
		migaccel_job_put(ctx->job);
	kfree(ctx);
}

/* A context for @cmd with a job of its size; NULL when out of memory. */
static struct migaccel_bctx *bctx_alloc(struct migaccel_channel *ch,
					const struct migaccel_batch *cmd)
{
	unsigned int nr = cmd->nr_ops;
	struct migaccel_bctx *ctx;
	struct migaccel_job *job;

	/* One allocation: the context and its bitmap, zeroed. */
	ctx = kzalloc(struct_size(ctx, bitmap,
				  BITS_TO_U64(nr) * sizeof(u64) / sizeof(long)),
		      GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;
	ctx->cmd = *cmd;
	job = migaccel_job_get(ch, nr);
	if (!job) {
		kfree(ctx);
		return NULL;
	}
	ctx->job = job;
	kref_get(&ch->ref);
	job->ch = ch;
	job->stats = &ch->stats;
	return ctx;
}

/*
 * The common end of bctx_prepare() and scan_prepare(): with @ret 0, @ctx
 * takes the faults armed on the channel and is the caller's; otherwise it
 * is freed and @ret returned.
 */
static int bctx_prepared(struct migaccel_channel *ch, struct migaccel_bctx *ctx,
			 int ret, struct migaccel_bctx **out)
{
	if (ret) {
		bctx_free(ctx);
		return ret;
	}
	migaccel_inject_take(&ch->inject, &ctx->job->fault);
	*out = ctx;
	return 0;
}

/* Validate, pin and chunk: nothing runs, nothing is written. */
static int bctx_prepare(struct migaccel_channel *ch,
			const struct migaccel_batch *cmd,
			struct migaccel_bctx **out)
{
	struct migaccel_bctx *ctx;
	struct migaccel_chunk *open[MIGACCEL_NR_CLASSES] = {};
	struct region_memo memo[2] = {};
	unsigned int size[MIGACCEL_NR_CLASSES];
	unsigned int i, nr = cmd->nr_ops;
	struct migaccel_job *job;
	unsigned long pins;
	int ret;

	ret = batch_check(cmd);
	if (ret)
		return ret;
	ctx = bctx_alloc(ch, cmd);
	if (!ctx)
		return -ENOMEM;
	job = ctx->job;
	ret = batch_read_ops(cmd, job, &pins) ?:
	      batch_probe_writable(cmd->ops, (size_t)cmd->nr_ops * cmd->op_size);
	if (!ret && cmd->out_zero_bitmap)
		ret = batch_probe_writable(cmd->out_zero_bitmap,
					   BITS_TO_U64(cmd->nr_ops) *
					   sizeof(u64));
	if (ret)
		goto out;
	ret = batch_charge_pins(job, pins);
	if (ret)
		goto out;
	size[MIGACCEL_CLASS_DSA] = job->dsa_chunk;
	size[MIGACCEL_CLASS_IAA] = job->iaa_chunk;
	for (i = 0; i < nr; i++) {
		ret = batch_prepare_op(job, &job->ops[i], memo);
		if (!ret && !job->ops[i].op.out_status)
			ret = batch_chunk_op(job, open, size, i);
		if (ret)
			goto out;
	}
out:
	return bctx_prepared(ch, ctx, ret, out);
}

/*
 * Every chunk is DONE: finish on the CPU, write the results back, and let
 * go of the pages and regions before the call returns.
 */
static int bctx_finish(struct migaccel_bctx *ctx)
{
	int ret;

	batch_finish_ops(&ctx->cmd, ctx->job, ctx->bitmap);
	ret = batch_write_back(&ctx->cmd, ctx->job, ctx->bitmap);
	migaccel_job_let_go(ctx->job);
	return ret;
}

/*
 * An async batch completed: its channel's poll and eventfd learn of it;
 * the eventfd only once the batch is listed, where REAP finds it.  The
 * channel is alive (the job holds it) even if it was closed: its eventfd
 * is NULL then.
 */
static void bctx_notify(struct migaccel_job *job)
{
	struct migaccel_channel *ch = job->ch;
	unsigned long flags;

	spin_lock_irqsave(&ch->lock, flags);
	if (!job->listed)
		job->done_unlisted = true;
	else if (ch->eventfd)
		eventfd_signal(ch->eventfd);
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_up_all(&ch->wait);
}

/*
 * An async batch is started: list it, where REAP and poll find it.  Not
 * before its start returned, so that no reaper works on a job still being
 * started; a completion that came first is signalled now.
 */
static void bctx_publish(struct migaccel_channel *ch,
			 struct migaccel_bctx *ctx)
{
	/*
	 * Once listed, a reaper may finish and free @ctx: nothing of it is
	 * read after the lock is dropped.
	 */
	unsigned long deadline = ctx->deadline;
	bool done;

	spin_lock_irq(&ch->lock);
	list_add_tail(&ctx->node, &ch->async);
	ctx->job->listed = true;
	done = ctx->job->done_unlisted;
	if (done && ch->eventfd)
		eventfd_signal(ch->eventfd);
	spin_unlock_irq(&ch->lock);
	/* One jiffy late, so the batch is past its deadline by then. */
	timer_reduce(&ch->deadline, deadline + 1);
	if (done)
		wake_up_all(&ch->wait);
}

/*
 * Run a prepared batch, which is consumed: charge its group, start it;
 * an async one is then listed for REAP, a synchronous one waited for,
 * and its outcomes written back (@out gets the counts).
 */
static int bctx_execute(struct migaccel_channel *ch,
			struct migaccel_bctx *ctx, bool async,
			struct migaccel_batch *out)
{
	unsigned long timeout = msecs_to_jiffies(migaccel_timeout_ms);
	int ret;

	/* The group's bandwidth: wait for quota, or run on the CPU. */
	ret = migaccel_qos_charge(&ch->qos, (u64)ctx->job->nr * MIGACCEL_PAGE_SIZE);
	if (ret < 0) {
		bctx_free(ctx);
		return ret;
	}
	if (async) {
		ctx->deadline = jiffies + timeout;
		ctx->job->notify = bctx_notify;
	} else {
		/* It waits for the job: an engine may leave it a chunk to run. */
		ctx->job->runner = current;
	}
	/* Room on the engines, in turn with the other groups. */
	if (ret == MIGACCEL_QOS_RUN_ON_CPU)
		migaccel_job_start_on_cpu(ctx->job);
	else if (migaccel_qos_admit(&ch->qos, ctx->job) != MIGACCEL_QOS_QUEUED)
		migaccel_job_start(ctx->job);
	if (async) {
		bctx_publish(ch, ctx);
		return 0;
	}
	ret = migaccel_job_wait(ctx->job, timeout);
	if (!ret) {
		ret = bctx_finish(ctx);
		out->out_nr_failed = ctx->cmd.out_nr_failed;
		out->out_nr_cpu = ctx->cmd.out_nr_cpu;
	}
	bctx_free(ctx);
	return ret;
}

/**
 * migaccel_batch_run() - execute MIGACCEL_BATCH for a channel's owner
 * @ch: the channel
 * @cmd: the command, copied from user space; out_ fields are set on
 *	success of a synchronous batch
 *
 * Context: process context of the channel's owner; sleeps.
 * Return: 0 once every operation has an outcome (or, with
 * MIGACCEL_BATCH_ASYNC, once the batch started); -EINVAL, -E2BIG,
 * -EOPNOTSUPP, -ENOENT or -EFAULT for a malformed batch, -ENOMEM (also
 * beyond RLIMIT_MEMLOCK), -EBUSY when the channel already has max_async
 * unreaped async batches, -EINTR when a fatal signal arrived, -ETIMEDOUT
 * when an engine did not complete.
 */
int migaccel_batch_run(struct migaccel_channel *ch, struct migaccel_batch *cmd)
{
	bool async = cmd->flags & MIGACCEL_BATCH_ASYNC;
	struct migaccel_bctx *ctx;
	int ret;

	/* A place among the channel's unreaped batches, taken first. */
	if (async) {
		spin_lock_irq(&ch->lock);
		ret = ch->nr_async < READ_ONCE(migaccel_max_async) ? 0 : -EBUSY;
		if (!ret)
			ch->nr_async++;
		spin_unlock_irq(&ch->lock);
		if (ret)
			return ret;
	}
	ret = bctx_prepare(ch, cmd, &ctx);
	if (!ret)
		ret = bctx_execute(ch, ctx, async, cmd);
	if (ret && async) {
		spin_lock_irq(&ch->lock);
		ch->nr_async--;
		spin_unlock_irq(&ch->lock);
	}
	return ret;
}

/*
 * MIGACCEL_ZERO_SCAN: each offset the caller lists becomes a zero scan of
 * that page of @r, read, checked and set up in one pass with user access
 * on (nothing in it calls out).  Returns -EFAULT when the list cannot be
 * read, -EINVAL at the first offset that is not a page of @r, else 0.
 */
static int scan_read_pages(const struct migaccel_zero_scan *cmd,
			   struct migaccel_job *job, struct migaccel_region *r)
{
	const u64 __user *u = u64_to_user_ptr(cmd->pages);
	struct page *const *pages = r->pages;
	const u64 length = r->length, id = cmd->region;
	struct migaccel_jop *jop = job->ops;
	u32 i, nr = cmd->nr_pages;
	u64 off;

	if (!user_read_access_begin(u, (size_t)nr * sizeof(*u)))
		return -EFAULT;
	for (i = 0; i < nr; i++, jop++) {
		u64 *w = (u64 *)&jop->op;

		unsafe_get_user(off, &u[i], efault);
		if (unlikely(!PAGE_ALIGNED(off) || off >= length)) {
			user_read_access_end();
			return -EINVAL;
		}
		/*
		 * The fields a zero scan uses (migaccel_job_get()), as
		 * MIGACCEL_BATCH would have read them and batch_prepare_op()
		 * set them up; scan_chunk() sets @chunk and @slot.
		 */
		w[OPW_CODE] = MIGACCEL_OP_ZERO_SCAN;
		w[OPW_SRC] = off;
		w[OPW_OUT] = 0;
		w[OPW_RESULT] = 0;
		w[OPW_IDS] = id;
		jop->class = MIGACCEL_CLASS_DSA;
		jop->region = r;
		jop->src_idx = off >> PAGE_SHIFT;
		jop->src = pages[jop->src_idx];
	}
	user_read_access_end();
	return 0;

efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * The job's zero scans, all of one kind and in order, in chunks of at
 * most @size: batch_chunk_op()'s result, a chunk at a time.
 */
static int scan_chunk(struct migaccel_job *job, unsigned int size)
{
	unsigned int i, n;
	int ret;

	for (i = 0; i < job->nr; i += n) {
		n = min(job->nr - i, size);
		ret = migaccel_job_add_run(job, MIGACCEL_CLASS_DSA, i, n);
		if (ret)
			return ret;
	}
	return 0;
}

/* Validate and chunk a MIGACCEL_ZERO_SCAN call, as bctx_prepare() a batch. */
static int scan_prepare(struct migaccel_channel *ch,
			const struct migaccel_zero_scan *cmd,
			struct migaccel_bctx **out)
{
	/* Only what the common path reads: no op array, the bitmap. */
	struct migaccel_batch batch = {
		.nr_ops = cmd->nr_pages,
		.out_zero_bitmap = cmd->out_zero_bitmap,
	};
	struct migaccel_region *r;
	struct migaccel_bctx *ctx;
	struct migaccel_job *job;
	int ret;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || !cmd->nr_pages ||
	    cmd->nr_pages > MIGACCEL_MAX_BATCH_OPS || !cmd->region)
		return -EINVAL;
	if (!cmd->out_zero_bitmap)
		return -EFAULT;
	ctx = bctx_alloc(ch, &batch);
	if (!ctx)
		return -ENOMEM;
	job = ctx->job;
	ret = migaccel_job_region(job, cmd->region, &r) ?:
	      scan_read_pages(cmd, job, r) ?:
	      batch_probe_writable(cmd->out_zero_bitmap,
				   BITS_TO_U64(cmd->nr_pages) * sizeof(u64)) ?:
	      scan_chunk(job, job->dsa_chunk);
	return bctx_prepared(ch, ctx, ret, out);
}

/**
 * migaccel_zero_scan_run() - execute MIGACCEL_ZERO_SCAN for a channel's owner
 * @ch: the channel
 * @cmd: the command, copied from user space; out_nr_cpu is set on success
 *
 * Context: process context of the channel's owner; sleeps.
 * Return: 0 once every page is scanned and the bitmap written; -EINVAL,
 * -EOPNOTSUPP, -ENOENT or -EFAULT for a malformed call, -ENOMEM,
 * -EINTR when a fatal signal arrived, -ETIMEDOUT when an engine did not
 * complete, -EIO if a scan failed (which the CPU finish rules out).
 */
int migaccel_zero_scan_run(struct migaccel_channel *ch,
			   struct migaccel_zero_scan *cmd)
{
	struct migaccel_batch out = {};
	struct migaccel_bctx *ctx;
	int ret;

	ret = scan_prepare(ch, cmd, &ctx) ?:
	      bctx_execute(ch, ctx, false, &out);
	if (ret)
		return ret;
	cmd->out_nr_cpu = out.out_nr_cpu;
	return out.out_nr_failed ? -EIO : 0;
}

/*
 * Has an async batch reached its outcome?  1: yes, finish it; 0: not yet
 * (chunks given back unrun were resubmitted); -ETIMEDOUT: past its
 * deadline, and an engine would not give a chunk back.
 */
static int bctx_progress(struct migaccel_bctx *ctx)
{
	struct migaccel_job *job = ctx->job;

	if (!completion_done(&job->done)) {
		if (time_before(jiffies, ctx->deadline))
			return 0;
		if (!migaccel_job_abort(job))
			return -ETIMEDOUT;
	}
	if (!migaccel_job_requeue(job))
		return 1;
	migaccel_job_start(job);
	return 0;
}

/* Has @ctx reached an outcome, or its deadline?  Under ch->lock. */
static bool bctx_ready(struct migaccel_bctx *ctx)
{
	return ctx->finished || completion_done(&ctx->job->done) ||
	       !time_before(jiffies, ctx->deadline);
}

/*
 * Async batches, from the oldest on, that reached an outcome or their
 * deadline: completions are reaped in submission order.  One a reaper is
 * working on stops the count: nothing behind it can be returned before
 * it.
 */
static unsigned int async_nr_ready(struct migaccel_channel *ch)
{
	struct migaccel_bctx *ctx;
	unsigned int n = 0;

	spin_lock_irq(&ch->lock);
	list_for_each_entry(ctx, &ch->async, node) {
		if (ctx->busy || !bctx_ready(ctx))
			break;
		n++;
	}
	spin_unlock_irq(&ch->lock);
	return n;
}

/**
 * migaccel_async_ready() - is a completed async batch waiting?
 * @ch: the channel
 *
 * Context: process context; takes ch->lock.
 * Return: true if MIGACCEL_REAP would return something without waiting
 * for a device.
 */
bool migaccel_async_ready(struct migaccel_channel *ch)
{
	return async_nr_ready(ch) > 0;
}

/**
 * migaccel_async_deadline() - an async batch of a channel reached its deadline
 * @ch: the channel
 *
 * Called by the channel's deadline timer: wakes poll and waiting reaps,
 * and arms the timer again at the next deadline still to come, so that
 * every batch's deadline wakes them, not only the earliest one.
 *
 * Context: timer (softirq); takes ch->lock.
 */
void migaccel_async_deadline(struct migaccel_channel *ch)
{
	unsigned long flags, next = 0;
	struct migaccel_bctx *ctx;
	bool any = false;

	spin_lock_irqsave(&ch->lock, flags);
	list_for_each_entry(ctx, &ch->async, node) {
		if (ctx->finished || completion_done(&ctx->job->done) ||
		    !time_before(jiffies, ctx->deadline))
			continue;
		if (!any || time_before(ctx->deadline, next))
			next = ctx->deadline;
		any = true;
	}
	/* One jiffy late, so the batch is past its deadline by then. */
	if (any)
		timer_reduce(&ch->deadline, next + 1);
	spin_unlock_irqrestore(&ch->lock, flags);
	wake_up_all(&ch->wait);
}

/* Enough batches to reap: @want of them, or every one in flight. */
static bool async_enough(struct migaccel_channel *ch, unsigned int want)
{
	return async_nr_ready(ch) >= min(want, READ_ONCE(ch->nr_async));
}

/*
 * Done with a claimed batch: @taken, off the list and freed; else left at
 * the head, finished, for the next reap.  Reapers that waited behind it
 * look again.
 */
static void reap_unclaim(struct migaccel_channel *ch,
			 struct migaccel_bctx *ctx, bool taken)
{
	spin_lock_irq(&ch->lock);
	ctx->busy = false;
	if (taken) {
		list_del(&ctx->node);
		ch->nr_async--;
	}
	spin_unlock_irq(&ch->lock);
	if (taken)
		bctx_free(ctx);
	wake_up_all(&ch->wait);
}

/*
 * Claim the oldest batch and bring it to its outcome if it has reached
 * one: returns it, still on the list, busy and finished (its results
 * written, its entry in @ent); NULL when it is not ready, or another
 * reaper holds it.  Every thread of the owner may reap at once: the batch
 * is found and marked busy under one lock, so no two work on one batch.
 */
static struct migaccel_bctx *reap_claim(struct migaccel_channel *ch)
{
	struct migaccel_bctx *ctx;
	int res;

	spin_lock_irq(&ch->lock);
	ctx = list_first_entry_or_null(&ch->async, struct migaccel_bctx, node);
	if (!ctx || ctx->busy || !bctx_ready(ctx)) {
		spin_unlock_irq(&ch->lock);
		return NULL;
	}
	ctx->busy = true;
	spin_unlock_irq(&ch->lock);
	if (ctx->finished)
		return ctx;

	res = bctx_progress(ctx);
	if (res) {
		memset(&ctx->ent, 0, sizeof(ctx->ent));
		ctx->ent.user_data = ctx->cmd.user_data;
		ctx->ent.result = res == 1 ? bctx_finish(ctx) : res;
		ctx->ent.nr_failed = ctx->cmd.out_nr_failed;
		ctx->ent.nr_cpu = ctx->cmd.out_nr_cpu;
		ctx->finished = true;
		return ctx;
	}
	reap_unclaim(ch, ctx, false);
	return NULL;
}

/**
 * migaccel_reap() - MIGACCEL_REAP
 * @ch: the channel
 * @cmd: the command; out_nr is set
 *
 * Context: process context of the channel's owner; sleeps with
 * MIGACCEL_REAP_WAIT.
 * Return: 0 (out_nr may be 0), -EINVAL/-EOPNOTSUPP for a bad command,
 * -EFAULT when the entries cannot be written, -EINTR on a signal.
 */
int migaccel_reap(struct migaccel_channel *ch, struct migaccel_reap *cmd)
{
	struct migaccel_completion __user *uent = u64_to_user_ptr(cmd->entries);
	unsigned long timeout = msecs_to_jiffies(cmd->timeout_ms ?:
						 migaccel_timeout_ms);
	bool wait = cmd->flags & MIGACCEL_REAP_WAIT;
	struct migaccel_bctx *ctx;
	bool timed_out = false;
	unsigned int n = 0;
	bool copied;
	long left;

	if (cmd->flags & ~MIGACCEL_REAP_WAIT)
		return -EOPNOTSUPP;
	if (!cmd->nr || cmd->min_complete > cmd->nr ||
	    (!wait && (cmd->min_complete || cmd->timeout_ms)))
		return -EINVAL;
	if (!access_ok(uent, (size_t)cmd->nr * sizeof(*uent)))
		return -EFAULT;

	/* Wait for all of them first, so they come in submission order. */
	if (wait && cmd->min_complete) {
		left = wait_event_interruptible_timeout(ch->wait,
							async_enough(ch, cmd->min_complete),
							timeout);
		if (left < 0)
			return -EINTR;
	}
	while (n < cmd->nr) {
		/* The entry is writable before a batch is taken for it. */
		if (put_user(0, &uent[n].__reserved))
			return n ? 0 : -EFAULT;
		ctx = reap_claim(ch);
		if (!ctx) {
			if (!wait || n >= cmd->min_complete || !ch->nr_async ||
			    timed_out)
				break;
			left = wait_event_interruptible_timeout(ch->wait,
								migaccel_async_ready(ch),
								timeout);
			if (left < 0)
				return n ? 0 : -EINTR;
			/* Once more after a timeout: deadlines may have passed. */
			timed_out = !left;
			continue;
		}
		/* An entry that cannot be written leaves its batch listed. */
		copied = !copy_to_user(&uent[n], &ctx->ent, sizeof(ctx->ent));
		reap_unclaim(ch, ctx, copied);
		if (!copied)
			return n ? 0 : -EFAULT;
		n++;
		cmd->out_nr = n;
	}
	cmd->out_nr = n;
	return 0;
}

/**
 * migaccel_async_release() - drop the async batches of a closing channel
 * @ch: the channel; its file is being released
 *
 * They are waited for (timeout_ms for them all) and aborted if they can
 * be; results are not written.  A chunk an engine holds keeps its job,
 * and so its pins, regions and the channel's memory, until it completes.
 * The notify of such a job may still run: it finds the channel's eventfd
 * gone.
 *
 * Context: process context; sleeps.
 */
void migaccel_async_release(struct migaccel_channel *ch)
{
	unsigned long timeout = msecs_to_jiffies(migaccel_timeout_ms);
	struct migaccel_bctx *ctx, *next;

	unsigned long end = jiffies + timeout;

	/* No ioctl runs any more: nothing else takes batches off the list. */
	list_for_each_entry_safe(ctx, next, &ch->async, node) {
		spin_lock_irq(&ch->lock);
		list_del(&ctx->node);
		spin_unlock_irq(&ch->lock);
		/* One timeout_ms for them all, not one each. */
		timeout = time_before(jiffies, end) ? end - jiffies : 0;
		if (!wait_for_completion_timeout(&ctx->job->done, timeout))
			migaccel_job_abort(ctx->job);
		bctx_free(ctx);
	}
	ch->nr_async = 0;
}
