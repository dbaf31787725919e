// SPDX-License-Identifier: GPL-2.0
/*
 * The soft engine: a CPU executor that consumes the same DSA and IAA
 * descriptors and writes the same completion records as the devices.  It
 * is the engine of last resort and the test double for hardware, and can
 * be told (inject.c) to fault as hardware does.
 *
 * Addresses in its descriptors are physical: the address a device without
 * an IOMMU would be given.  migaccel is x86-64 only (so is idxd), where
 * every page, pinned user pages included, is in the direct map, so a
 * physical range that stays on valid page frames is reachable at
 * phys_to_virt().  A range that leaves them faults, as on a device.
 */
#include <linux/bitrev.h>
#include <linux/delay.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/* Largest transfer one descriptor may name, as a typical DSA WQ reports. */
#define SOFT_MAX_XFER		(2u << 20)
#define SOFT_MAX_BATCH		1024u
#define SOFT_KNOWN_FLAGS	(IDXD_OP_FLAG_FENCE | IDXD_OP_FLAG_BOF | \
				 IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR | \
				 IDXD_OP_FLAG_RCI | IDXD_OP_FLAG_CC | \
				 IDXD_OP_FLAG_RD_SRC2_AECS)
/* The IAA specification's page-fault status, the same value as DSA's. */
#define SOFT_IAX_PAGE_FAULT	DSA_COMP_PAGE_FAULT_NOBOF

static struct workqueue_struct *soft_wq;

/*
 * Chunks "lost" by injection, until the submitter aborts them, or the
 * module goes away (migaccel_soft_exit() gives them back unrun).
 */
static DEFINE_SPINLOCK(soft_lost_lock);
static LIST_HEAD(soft_lost);

/* Kernel address of a physical range, or NULL where a device would fault. */
static __always_inline void *soft_va(u64 pa, u32 len)
{
	if (!len || pa + len < pa)
		return NULL;
	/* A page or a record lies in one frame: one check. */
	if (!pfn_valid(PHYS_PFN(pa)) ||
	    (PHYS_PFN(pa + len - 1) != PHYS_PFN(pa) &&
	     !pfn_valid(PHYS_PFN(pa + len - 1))))
		return NULL;
	return phys_to_virt(pa);
}

/* Write a record as a device does: everything, then the status byte. */
static __always_inline void soft_write_comp(u64 addr, const void *rec,
					    size_t size)
{
	u8 *comp = soft_va(addr, size);

	if (!comp)
		return;
	memcpy(comp + 1, rec + 1, size - 1);
	/* Pairs with the reader's smp_rmb() after it sees the status. */
	smp_wmb();
	WRITE_ONCE(comp[0], *(const u8 *)rec);
}

static void soft_fault(struct dsa_completion_record *res, u32 done, u64 addr)
{
	res->status = DSA_COMP_PAGE_FAULT_NOBOF;
	res->bytes_completed = done;
	res->fault_addr = addr;
}

/* The end of a transfer stopped at @len: a fault there, or success. */
static void soft_finish(const struct dsa_hw_desc *desc, u32 len,
			struct dsa_completion_record *res)
{
	if (len < desc->xfer_size) {
		soft_fault(res, len, desc->src_addr + len);
		return;
	}
	res->status = DSA_COMP_SUCCESS;
	res->bytes_completed = len;
}

#define SOFT_W(q, k)	get_unaligned((const u64 *)((q) + 8 * (k)))

/*
 * Do the 64 bytes at @q repeat the 8-byte pattern @pw?  Every word is @pw
 * iff their OR and their AND both are.
 */
static bool soft_match64(const u8 *q, u64 pw)
{
	return migaccel_or64(q) == pw &&
	       (SOFT_W(q, 0) & SOFT_W(q, 1) & SOFT_W(q, 2) & SOFT_W(q, 3) &
		SOFT_W(q, 4) & SOFT_W(q, 5) & SOFT_W(q, 6) & SOFT_W(q, 7)) == pw;
}

/*
 * Compare pattern, as DML's reference model: 8-byte words, then the tail
 * byte by byte.  On a difference bytes_completed is the offset of the word
 * holding it (of the byte, in the tail): at most the first different byte.
 */
static void soft_compval(const struct dsa_hw_desc *desc, u32 len,
			 struct dsa_completion_record *res)
{
	const u8 *p = soft_va(desc->src_addr, desc->xfer_size);
	const u8 *pat = (const u8 *)&desc->comp_pattern;
	u64 pw = desc->comp_pattern;
	u32 words = desc->xfer_size & ~7u;
	u32 i = 0;

	if (!p) {
		soft_fault(res, 0, desc->src_addr);
		return;
	}
	if (!pw) {
		/* Zero, the pattern of every ZERO_SCAN: the first other byte. */
		const u8 *nz;

		i = migaccel_zero_prefix(p, len);
		nz = memchr_inv(p + i, 0, len - i);
		i = nz ? nz - p : len;
	} else {
		/*
		 * 64 bytes at a time while they match (byte i is compared with
		 * pattern byte i % 8, so word i / 8 with the whole pattern);
		 * the word, then the byte, of the first mismatch.
		 */
		for (; i + 64 <= len; i += 64)
			if (!soft_match64(p + i, pw))
				break;
		for (; i + 8 <= len; i += 8)
			if (get_unaligned((const u64 *)(p + i)) != pw)
				break;
		for (; i < len; i++)
			if (p[i] != pat[i & 7])
				break;
	}
	if (i < len) {
		res->status = DSA_COMP_SUCCESS;
		res->result = 1;
		res->bytes_completed = i < words ? i & ~7u : i;
		return;
	}
	soft_finish(desc, len, res);
}

static void soft_memmove(const struct dsa_hw_desc *desc, u32 len,
			 struct dsa_completion_record *res)
{
	const void *src = soft_va(desc->src_addr, desc->xfer_size);
	void *dst = soft_va(desc->dst_addr, desc->xfer_size);

	if (!src || !dst) {
		soft_fault(res, 0, src ? desc->dst_addr : desc->src_addr);
		return;
	}
	memmove(dst, src, len);
	soft_finish(desc, len, res);
}

static void soft_crcgen(const struct dsa_hw_desc *desc, u32 len,
			struct dsa_completion_record *res)
{
	const void *src = soft_va(desc->src_addr, desc->xfer_size);

	if (!src) {
		soft_fault(res, 0, desc->src_addr);
		return;
	}
	/* On a fault the record holds the CRC of the bytes completed. */
	res->crc_val = migaccel_cpu_crc32c(desc->crc_seed, src, len);
	soft_finish(desc, len, res);
}

static void soft_cr_delta(const struct dsa_hw_desc *desc, u32 len,
			  struct dsa_completion_record *res)
{
	const void *src = soft_va(desc->src_addr, desc->xfer_size);
	const void *src2 = soft_va(desc->src2_addr, desc->xfer_size);
	u8 *rec = soft_va(desc->delta_addr, desc->max_delta_size);
	u32 off, size = 0;

	if (desc->xfer_size % 8 || desc->xfer_size > MIGACCEL_PAGE_SIZE * 128) {
		res->status = DSA_COMP_XFER_ERANGE;
		return;
	}
	/* DML: a multiple of 10, at least 80. */
	if (desc->max_delta_size % MIGACCEL_DELTA_ENTRY_SIZE ||
	    desc->max_delta_size < MIGACCEL_DSA_DELTA_MIN) {
		res->status = DSA_COMP_DR_ERANGE;
		return;
	}
	if (!src || !src2 || !rec) {
		soft_fault(res, 0, !src ? desc->src_addr :
			   !src2 ? desc->src2_addr : desc->delta_addr);
		return;
	}
	/* Words compared; a fault lands on a word boundary. */
	len &= ~7u;
	for (off = 0; off < len; off += 8) {
		if (!memcmp(src + off, src2 + off, 8))
			continue;
		if (size + MIGACCEL_DELTA_ENTRY_SIZE > desc->max_delta_size) {
			res->status = DSA_COMP_SUCCESS;
			res->result = MIGACCEL_DELTA_RES_OVERFLOW;
			res->bytes_completed = off;
			res->delta_rec_size = size;
			return;
		}
		rec[size] = (off / 8) & 0xff;
		rec[size + 1] = (off / 8) >> 8;
		memcpy(rec + size + 2, src2 + off, 8);
		size += MIGACCEL_DELTA_ENTRY_SIZE;
	}
	res->delta_rec_size = size;
	soft_finish(desc, len, res);
	if (res->status == DSA_COMP_SUCCESS)
		res->result = size ? 1 : 0;
}

static void soft_ap_delta(const struct dsa_hw_desc *desc, u32 len,
			  struct dsa_completion_record *res)
{
	const u8 *rec = soft_va(desc->src_addr, desc->delta_rec_size);
	u8 *dst = soft_va(desc->dst_addr, desc->xfer_size);
	u32 i, prev = 0;

	if (!rec || !dst) {
		soft_fault(res, 0, !rec ? desc->src_addr : desc->dst_addr);
		return;
	}
	if (desc->delta_rec_size % MIGACCEL_DELTA_ENTRY_SIZE) {
		res->status = DSA_COMP_DR_ERANGE;
		return;
	}
	for (i = 0; i < desc->delta_rec_size; i += MIGACCEL_DELTA_ENTRY_SIZE) {
		u32 off = rec[i] | rec[i + 1] << 8;

		if (i && off <= prev) {
			res->status = DSA_COMP_DR_OFFSET_NOINC;
			res->bytes_completed = i;
			return;
		}
		if (off * 8 + 8 > desc->xfer_size) {
			res->status = DSA_COMP_DR_OFFSET_ERANGE;
			res->bytes_completed = i;
			return;
		}
		if (off * 8 + 8 > len) {
			soft_fault(res, i, desc->dst_addr + off * 8);
			return;
		}
		memcpy(dst + off * 8, rec + i + 2, 8);
		prev = off;
	}
	res->status = DSA_COMP_SUCCESS;
	res->bytes_completed = desc->delta_rec_size;
}

/*
 * Checks common to every descriptor, in the order a device makes them:
 * the error status, or 0.
 */
static u8 soft_desc_error(u32 flags, u64 completion)
{
	if (flags & ~SOFT_KNOWN_FLAGS)
		return DSA_COMP_INVALID_FLAGS;
	if (completion & 31)
		return DSA_COMP_CRA_ALIGN;
	return 0;
}

/*
 * Run one non-batch DSA descriptor into @res.  @fault_at, when not NULL,
 * is the byte at which the source "faults"; U32_MAX means a hardware error
 * before any work.
 */
static void soft_dsa_one(const struct dsa_hw_desc *desc, const u32 *fault_at,
			 struct dsa_completion_record *res)
{
	u32 len = desc->xfer_size;

	memset(res, 0, sizeof(*res));
	res->status = soft_desc_error(desc->flags, desc->completion_addr);
	if (res->status)
		return;
	if (fault_at && *fault_at == U32_MAX) {
		res->status = DSA_COMP_HW_ERR1;
		return;
	}
	if (fault_at)
		len = min(len, *fault_at);

	switch (desc->opcode) {
	case DSA_OPCODE_NOOP:
		res->status = DSA_COMP_SUCCESS;
		return;
	case DSA_OPCODE_COMPVAL:
	case DSA_OPCODE_MEMMOVE:
	case DSA_OPCODE_CRCGEN:
	case DSA_OPCODE_CR_DELTA:
	case DSA_OPCODE_AP_DELTA:
		break;
	default:
		res->status = DSA_COMP_BAD_OPCODE;
		return;
	}
	if (!desc->xfer_size || desc->xfer_size > SOFT_MAX_XFER) {
		res->status = DSA_COMP_XFER_ERANGE;
		return;
	}

	switch (desc->opcode) {
	case DSA_OPCODE_COMPVAL:
		soft_compval(desc, len, res);
		break;
	case DSA_OPCODE_MEMMOVE:
		soft_memmove(desc, len, res);
		break;
	case DSA_OPCODE_CRCGEN:
		soft_crcgen(desc, len, res);
		break;
	case DSA_OPCODE_CR_DELTA:
		soft_cr_delta(desc, len, res);
		break;
	case DSA_OPCODE_AP_DELTA:
		soft_ap_delta(desc, len, res);
		break;
	}
}

/* The fault of member @i of @chunk's job, if the job injects one there. */
static const u32 *soft_member_fault(const struct migaccel_chunk *chunk,
				    unsigned int i, u32 *buf)
{
	const struct migaccel_fault *f;

	if (!chunk)
		return NULL;
	f = &chunk->job->fault;
	if (chunk->op[i] != f->desc)
		return NULL;
	switch (f->kind) {
	case MIGACCEL_INJECT_PAGEFAULT:
		*buf = f->byte;
		return buf;
	case MIGACCEL_INJECT_ERROR:
		*buf = U32_MAX;
		return buf;
	default:
		return NULL;
	}
}

static bool soft_injects(const struct migaccel_chunk *chunk, u32 kind)
{
	return chunk && chunk->job->fault.kind == kind &&
	       migaccel_chunk_slot_of(chunk, chunk->job->fault.desc) >= 0;
}

static void soft_batch(const struct dsa_hw_desc *batch,
		       const struct migaccel_chunk *chunk,
		       struct dsa_completion_record *res)
{
	struct dsa_completion_record member;
	const struct dsa_hw_desc *list;
	bool failed = false;
	u32 i, fault;

	memset(res, 0, sizeof(*res));
	res->status = soft_desc_error(batch->flags, batch->completion_addr);
	if (res->status)
		return;
	if (batch->desc_count < 2 || batch->desc_count > SOFT_MAX_BATCH) {
		res->status = DSA_COMP_DESC_CNT_ERANGE;
		return;
	}
	if (batch->desc_list_addr & 63) {
		res->status = DSA_COMP_DESCLIST_ALIGN;
		return;
	}
	list = soft_va(batch->desc_list_addr,
		       batch->desc_count * sizeof(*list));
	if (!list || soft_injects(chunk, MIGACCEL_INJECT_BATCHFAIL)) {
		res->status = DSA_COMP_BATCH_PAGE_FAULT;
		res->fault_addr = batch->desc_list_addr;
		return;
	}
	for (i = 0; i < batch->desc_count; i++) {
		const struct dsa_hw_desc *desc = &list[i];

		if (desc->opcode == DSA_OPCODE_BATCH) {
			memset(&member, 0, sizeof(member));
			member.status = DSA_COMP_BAD_OPCODE;
		} else {
			soft_dsa_one(desc, soft_member_fault(chunk, i, &fault),
				     &member);
		}
		if (member.status != DSA_COMP_SUCCESS)
			failed = true;
		if (desc->flags & IDXD_OP_FLAG_RCR)
			soft_write_comp(desc->completion_addr, &member,
					sizeof(member));
	}
	res->status = failed ? DSA_COMP_BATCH_FAIL : DSA_COMP_SUCCESS;
	res->descs_completed = batch->desc_count;
}

static void soft_dsa(const struct dsa_hw_desc *desc,
		     const struct migaccel_chunk *chunk, const u32 *fault_at)
{
	struct dsa_completion_record res;

	if (desc->opcode == DSA_OPCODE_BATCH)
		soft_batch(desc, chunk, &res);
	else
		soft_dsa_one(desc, fault_at, &res);
	if (desc->flags & IDXD_OP_FLAG_RCR)
		soft_write_comp(desc->completion_addr, &res, sizeof(res));
}

/**
 * migaccel_soft_exec_dsa() - execute one DSA descriptor as the device would
 * @desc: a descriptor built by desc.c; a BATCH runs its whole list
 * @fault_at: NULL, or the byte at which the source faults (U32_MAX: the
 *	descriptor ends in a hardware error); ignored for a BATCH
 *
 * Writes the completion record(s) the descriptor(s) ask for, each with its
 * status byte last.
 *
 * Context: process context; may sleep.
 */
void migaccel_soft_exec_dsa(const struct dsa_hw_desc *desc,
			    const u32 *fault_at)
{
	soft_dsa(desc, NULL, fault_at);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_soft_exec_dsa);

static void soft_iax_compress(const struct iax_hw_desc *desc,
			      struct iax_completion_record *res)
{
	const void *src = soft_va(desc->src1_addr, desc->src1_size);
	void *dst = soft_va(desc->dst_addr, desc->max_dst_size);
	int ret;

	if (desc->src1_size != MIGACCEL_PAGE_SIZE) {
		res->status = IAX_COMP_INVALID_SIZE;
		return;
	}
	if (!src || !dst) {
		res->status = SOFT_IAX_PAGE_FAULT;
		res->fault_addr = !src ? desc->src1_addr : desc->dst_addr;
		return;
	}
	ret = migaccel_cpu_compress(src, dst, desc->max_dst_size);
	if (ret == -ENOSPC) {
		/* iaa_crypto's IAA_ANALYTICS_ERROR, IAA_ERROR_COMP_BUF_OVERFLOW. */
		res->status = IAX_COMP_ANALYTICS_ERROR;
		res->error_code = MIGACCEL_IAA_ERR_COMP_OVERFLOW;
		return;
	}
	if (ret < 0) {
		res->status = IAX_COMP_HW_ERR1;
		return;
	}
	res->status = IAX_COMP_SUCCESS;
	res->bytes_completed = desc->src1_size;
	res->output_size = ret;
}

/* The decompress flags the soft engine models; others are refused. */
#define SOFT_DECOMP_FLAGS	(MIGACCEL_IAA_DECOMP_ENABLE | \
				 MIGACCEL_IAA_DECOMP_FLUSH | \
				 MIGACCEL_IAA_DECOMP_CHECK_EOB | \
				 MIGACCEL_IAA_DECOMP_STOP_EOB | \
				 MIGACCEL_IAA_DECOMP_BFINAL_EOB)

static void soft_iax_decompress(const struct iax_hw_desc *desc,
				struct iax_completion_record *res)
{
	const void *src = soft_va(desc->src1_addr, desc->src1_size);
	void *dst = soft_va(desc->dst_addr, desc->max_dst_size);
	u16 flags = desc->decompr_flags;
	u32 size;
	int ret;

	if (flags & ~SOFT_DECOMP_FLAGS || !(flags & MIGACCEL_IAA_DECOMP_ENABLE)) {
		res->status = IAX_COMP_INVALID_COMP_FLAG;
		return;
	}
	if (!desc->max_dst_size) {
		res->status = IAX_COMP_INVALID_SIZE;
		return;
	}
	if (!src || !dst) {
		res->status = SOFT_IAX_PAGE_FAULT;
		res->fault_addr = !src ? desc->src1_addr : desc->dst_addr;
		return;
	}
	/*
	 * Stop on EOB without "select BFINAL EOB" stops at the end of the
	 * first block, with success: what the device does with such flags.
	 */
	ret = migaccel_cpu_inflate(src, desc->src1_size, dst,
				   desc->max_dst_size,
				   (flags & (MIGACCEL_IAA_DECOMP_CHECK_EOB |
					     MIGACCEL_IAA_DECOMP_STOP_EOB)) &&
				   !(flags & MIGACCEL_IAA_DECOMP_BFINAL_EOB),
				   &size);
	if (ret == -ENOSPC) {
		res->status = IAX_COMP_OUTBUF_OVERFLOW;
		res->output_size = size;
		return;
	}
	if (ret) {
		/* The analytics engine's "bad deflate stream" class of errors. */
		res->status = IAX_COMP_ANALYTICS_ERROR;
		res->error_code = 1;
		return;
	}
	res->status = IAX_COMP_SUCCESS;
	res->bytes_completed = desc->src1_size;
	res->output_size = size;
}

/* Reverse the bits of a 64-bit value. */
static u64 soft_bitrev64(u64 x)
{
	return (u64)bitrev32(x) << 32 | bitrev32(x >> 32);
}

/*
 * IAA CRC64 as QPL models it: the polynomial written high (top bit
 * implied), INV inverts the initial and final CRC over the polynomial's
 * width, BE selects the bit-reflected algorithm.
 */
static u64 soft_crc64(const u8 *p, u32 len, u64 poly, bool be, bool inv)
{
	u64 mask = poly, crc;
	u32 i, b;

	if (!be && poly == MIGACCEL_CRC64_POLY)
		return inv ? migaccel_cpu_crc64(p, len) :
			     migaccel_crc64_be(0, p, len);
	/* The bits from the polynomial's lowest set bit up. */
	mask |= mask << 1;
	mask |= mask << 2;
	mask |= mask << 4;
	mask |= mask << 8;
	mask |= mask << 16;
	mask |= mask << 32;
	if (be) {
		poly = soft_bitrev64(poly);
		mask = soft_bitrev64(mask);
	}
	crc = inv ? mask : 0;
	for (i = 0; i < len; i++) {
		if (be)
			crc ^= p[i];
		else
			crc ^= (u64)p[i] << 56;
		for (b = 0; b < 8; b++) {
			if (be)
				crc = crc & 1 ? crc >> 1 ^ poly : crc >> 1;
			else
				crc = crc >> 63 ? crc << 1 ^ poly : crc << 1;
		}
	}
	return inv ? crc ^ mask : crc;
}

static void soft_iax_crc64(const struct iax_hw_desc *desc,
			   struct iax_completion_record *res)
{
	const void *src = soft_va(desc->src1_addr, desc->src1_size);
	u16 flags = desc->compr_flags;
	u8 *d = (u8 *)desc;
	u64 poly = 0;
	int i;

	for (i = 7; i >= 0; i--)
		poly = poly << 8 | d[56 + i];
	/* Cache control is reserved for CRC64 (QPL clears it there). */
	if (desc->flags & IDXD_OP_FLAG_CC) {
		res->status = IAX_COMP_INVALID_FLAGS;
		return;
	}
	if (flags & ~(MIGACCEL_IAA_CRC64_BE | MIGACCEL_IAA_CRC64_INV) ||
	    !poly) {
		res->status = IAX_COMP_INVALID_COMP_FLAG;
		return;
	}
	if (!src) {
		res->status = SOFT_IAX_PAGE_FAULT;
		res->fault_addr = desc->src1_addr;
		return;
	}
	res->status = IAX_COMP_SUCCESS;
	res->bytes_completed = desc->src1_size;
	migaccel_comp_set_crc64(res, soft_crc64(src, desc->src1_size, poly,
						flags & MIGACCEL_IAA_CRC64_BE,
						flags & MIGACCEL_IAA_CRC64_INV));
}

/**
 * migaccel_soft_exec_iax() - execute one IAA descriptor as the device would
 * @desc: a descriptor built by desc.c
 * @fault_at: NULL, or the byte at which the source faults (U32_MAX: the
 *	descriptor ends in a hardware error)
 *
 * Context: process context; may sleep (zlib workspace).
 */
void migaccel_soft_exec_iax(const struct iax_hw_desc *desc,
			    const u32 *fault_at)
{
	struct iax_completion_record res;

	memset(&res, 0, sizeof(res));
	res.status = soft_desc_error(desc->flags, desc->completion_addr);
	if (res.status)
		goto write;
	if (desc->completion_addr & 63) {
		res.status = IAX_COMP_CRA_ALIGN;
		goto write;
	}
	if (fault_at && *fault_at == U32_MAX) {
		res.status = IAX_COMP_HW_ERR1;
		goto write;
	}
	if (fault_at) {
		/* No partial state an engine could resume from: redo whole. */
		u32 at = min(*fault_at, desc->src1_size - 1);

		res.status = SOFT_IAX_PAGE_FAULT;
		res.bytes_completed = at;
		res.fault_addr = desc->src1_addr + at;
		goto write;
	}
	switch (desc->opcode) {
	case IAX_OPCODE_NOOP:
		res.status = IAX_COMP_SUCCESS;
		break;
	case IAX_OPCODE_COMPRESS:
		soft_iax_compress(desc, &res);
		break;
	case IAX_OPCODE_DECOMPRESS:
		soft_iax_decompress(desc, &res);
		break;
	case IAX_OPCODE_CRC64:
		soft_iax_crc64(desc, &res);
		break;
	default:
		res.status = IAX_COMP_BAD_OPCODE;
		break;
	}
write:
	if (desc->flags & IDXD_OP_FLAG_RCR)
		soft_write_comp(desc->completion_addr, &res, sizeof(res));
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_soft_exec_iax);

/*
 * Null mode, for measuring the cost of the path around the engine: every
 * descriptor "succeeds" at once, nothing is read or written but records.
 */
static void soft_null_run(struct migaccel_chunk *chunk)
{
	unsigned int i;

	/*
	 * The records were cleared when the descriptors were built: only
	 * the status is left to write.  No output size: a compression is
	 * redone on the CPU, not copied.
	 */
	for (i = 0; i < chunk->nr; i++)
		chunk->comps[i].dsa.status = DSA_COMP_SUCCESS;
	chunk->batch_comp.status = DSA_COMP_SUCCESS;
}

/*
 * Complete @chunk but keep a reference to its job for the fault's delay,
 * as a completion thread descheduled between waking the waiter and
 * letting go would: what a call held must not wait for that reference.
 */
static void soft_complete_late(struct migaccel_chunk *chunk)
{
	struct migaccel_job *job = chunk->job;

	kref_get(&job->ref);
	migaccel_chunk_complete(chunk, false);
	msleep(job->fault.delay_ms);
	migaccel_job_put(job);
}

static void soft_run(struct migaccel_chunk *chunk)
{
	unsigned int i;
	u32 fault;

	if (READ_ONCE(migaccel_soft_null)) {
		soft_null_run(chunk);
		migaccel_chunk_complete(chunk, false);
		return;
	}
	/* A slow device: the chunk is held, and cannot be aborted, meanwhile. */
	if (chunk->job->fault.delay_ms &&
	    chunk->job->fault.kind != MIGACCEL_INJECT_LATE &&
	    migaccel_chunk_slot_of(chunk, chunk->job->fault.desc) >= 0)
		msleep(chunk->job->fault.delay_ms);

	if (soft_injects(chunk, MIGACCEL_INJECT_WQREMOVE)) {
		/* Gone with the chunk queued: give it back unrun. */
		migaccel_chunk_complete(chunk, true);
		return;
	}
	if (soft_injects(chunk, MIGACCEL_INJECT_LOST)) {
		spin_lock(&soft_lost_lock);
		list_add_tail(&chunk->node, &soft_lost);
		spin_unlock(&soft_lost_lock);
		return;
	}

	if (chunk->class == MIGACCEL_CLASS_DSA) {
		if (chunk->nr > 1)
			soft_dsa(&chunk->batch, chunk, NULL);
		else if (soft_injects(chunk, MIGACCEL_INJECT_BATCHFAIL))
			soft_dsa(&chunk->descs[0].dsa, chunk, &(u32){U32_MAX});
		else
			soft_dsa(&chunk->descs[0].dsa, chunk,
				 soft_member_fault(chunk, 0, &fault));
	} else {
		for (i = 0; i < chunk->nr; i++)
			migaccel_soft_exec_iax(&chunk->descs[i].iax,
					       soft_member_fault(chunk, i,
								 &fault));
	}
	if (soft_injects(chunk, MIGACCEL_INJECT_LATE)) {
		soft_complete_late(chunk);
		return;
	}
	migaccel_chunk_complete(chunk, false);
}

static void soft_work(struct work_struct *work)
{
	/* The chunk may be gone once it is complete. */
	soft_run(container_of(work, struct migaccel_chunk, work));
	/*
	 * Jobs its completion admitted start here, no other worker woken:
	 * their chunks are the next this worker pool runs.
	 */
	migaccel_qos_admit_run();
}

/**
 * migaccel_soft_running() - whether current is a soft engine worker
 *
 * Its worker starts the jobs admitted meanwhile before it returns.
 *
 * Context: any.
 * Return: true in a soft engine worker running a chunk.
 */
bool migaccel_soft_running(void)
{
	struct work_struct *work = current_work();

	return work && work->func == soft_work;
}

static int soft_prepare(struct migaccel_engine *engine,
			struct migaccel_chunk *chunk)
{
	return 0;
}

static u64 soft_page_addr(struct migaccel_engine *engine,
			  struct migaccel_chunk *chunk, struct page *page)
{
	return page_to_phys(page);
}

static u64 soft_kernel_addr(struct migaccel_engine *engine,
			    struct migaccel_chunk *chunk, void *ptr)
{
	return virt_to_phys(ptr);
}

static int soft_submit(struct migaccel_engine *engine,
		       struct migaccel_chunk *chunk)
{
	if (soft_injects(chunk, MIGACCEL_INJECT_BUSY) &&
	    chunk->refused < chunk->job->fault.times) {
		chunk->refused++;
		return -EBUSY;
	}
	/*
	 * A synchronous batch's submitter would only wait for a worker:
	 * it runs one chunk itself, without the handover.  Not with a fault
	 * injected: a slow or lost chunk is for a worker to hold.
	 */
	if (chunk->job->fault.kind == MIGACCEL_INJECT_NONE &&
	    migaccel_chunk_may_defer(chunk))
		return MIGACCEL_SUBMIT_DEFERRED;
	INIT_WORK(&chunk->work, soft_work);
	queue_work(soft_wq, &chunk->work);
	return 0;
}

/* A chunk soft_submit() left to its submitter, which waits for it now. */
static void soft_run_deferred(struct migaccel_engine *engine,
			      struct migaccel_chunk *chunk)
{
	soft_run(chunk);
}

static bool soft_abort(struct migaccel_engine *engine,
		       struct migaccel_chunk *chunk)
{
	struct migaccel_chunk *pos;
	bool found = false;

	spin_lock(&soft_lost_lock);
	list_for_each_entry(pos, &soft_lost, node) {
		if (pos == chunk) {
			list_del(&chunk->node);
			found = true;
			break;
		}
	}
	spin_unlock(&soft_lost_lock);
	return found;
}

static void soft_release(struct migaccel_engine *engine,
			 struct migaccel_chunk *chunk)
{
}

static const struct migaccel_engine_ops soft_ops = {
	.prepare = soft_prepare,
	.page_addr = soft_page_addr,
	.kernel_addr = soft_kernel_addr,
	.submit = soft_submit,
	.run = soft_run_deferred,
	.abort = soft_abort,
	.release = soft_release,
};

struct migaccel_engine migaccel_soft_engine = {
	.name = "soft",
	.kind = MIGACCEL_ENGINE_SOFT,
	.numa_node = NUMA_NO_NODE,
	.max_batch = SOFT_MAX_BATCH,
	.ops = &soft_ops,
	.phys = true,
	.wq_id = -1,
	.ops_mask = GENMASK_ULL(MIGACCEL_OP_MAX - 1, MIGACCEL_OP_ZERO_SCAN),
};
EXPORT_SYMBOL_IF_KUNIT(migaccel_soft_engine);

static bool soft_enabled = true;
module_param_named(soft, soft_enabled, bool, 0444);
MODULE_PARM_DESC(soft,
		 "use the soft engine when no work queue serves a chunk (N: the CPU finishes it; for testing the devices)");

/**
 * migaccel_soft_init() - start the soft engine's workers and publish it
 *
 * Context: process context, module init.
 * Return: 0 or -ENOMEM.
 */
int migaccel_soft_init(void)
{
	soft_wq = alloc_workqueue("migaccel_soft", WQ_UNBOUND, 0);
	if (!soft_wq)
		return -ENOMEM;
	/* Its workers run the chunks on every CPU at once. */
	migaccel_soft_engine.depth = soft_enabled ? num_online_cpus() : 0;
	migaccel_engine_add(&migaccel_soft_engine);
	/* Listed (its counts stay 0) but never picked: the CPU takes over. */
	if (!soft_enabled)
		migaccel_soft_engine.dead = true;
	return 0;
}

/**
 * migaccel_soft_exit() - unpublish the soft engine and drain its workers
 *
 * Context: process context, module exit, after the last channel closed.
 */
void migaccel_soft_exit(void)
{
	struct migaccel_chunk *chunk, *next;
	LIST_HEAD(lost);

	migaccel_engine_del(&migaccel_soft_engine);
	destroy_workqueue(soft_wq);
	/*
	 * A lost chunk whose submitter gave up holds its job, pins and
	 * regions: the engine lets go of it now, as a removed work queue
	 * gives back what it held.
	 */
	spin_lock(&soft_lost_lock);
	list_splice_init(&soft_lost, &lost);
	spin_unlock(&soft_lost_lock);
	list_for_each_entry_safe(chunk, next, &lost, node) {
		list_del(&chunk->node);
		migaccel_chunk_complete(chunk, true);
	}
	migaccel_engine_free_id(&migaccel_soft_engine);
}
