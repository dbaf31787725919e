// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptor builders.  Every descriptor an engine sees is built here from
 * validated kernel state; nothing user space sends is forwarded.  The soft
 * engine and the idxd engine consume the same structures, so a test that
 * runs on the soft engine also checks what would be sent to hardware.
 *
 * Common to all: block-on-fault is left clear, so a fault ends the
 * descriptor with PAGE_FAULT_NOBOF and the CPU finishes from
 * bytes_completed instead of stalling the work queue; priv is 0 because
 * kernel DMA through VT-d runs with user privilege; PASID is 0 (kernel
 * work queues).  The idxd engine adds the interrupt request and handle.
 * IAA compress and decompress ask for cache control (the output is read by
 * the CPU next), as iaa_crypto does; IAA CRC64 must leave that flag clear,
 * it is reserved there (QPL clears it for CRC64).
 */
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/* Every descriptor asks for a completion record at a valid address. */
#define MIGACCEL_DESC_FLAGS	(IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR)

/*
 * Clear a 64-byte descriptor with eight stores: memset() of a constant 64
 * bytes becomes a REP STOS, one per descriptor.
 */
static __always_inline void desc_clear(void *desc)
{
	u64 *w = desc;

	BUILD_BUG_ON(sizeof(struct dsa_hw_desc) != 8 * sizeof(u64) ||
		     sizeof(struct iax_hw_desc) != 8 * sizeof(u64));
	w[0] = 0;
	w[1] = 0;
	w[2] = 0;
	w[3] = 0;
	w[4] = 0;
	w[5] = 0;
	w[6] = 0;
	w[7] = 0;
}

static void dsa_init(struct dsa_hw_desc *desc, u8 opcode, u64 completion)
{
	desc_clear(desc);
	desc->opcode = opcode;
	desc->flags = MIGACCEL_DESC_FLAGS;
	desc->completion_addr = completion;
}

static void iax_init(struct iax_hw_desc *desc, u8 opcode, u64 completion)
{
	desc_clear(desc);
	desc->opcode = opcode;
	desc->flags = MIGACCEL_DESC_FLAGS;
	desc->completion_addr = completion;
}

/**
 * migaccel_desc_compval() - build a DSA compare-pattern descriptor
 * @desc: descriptor to fill; fully overwritten
 * @src: engine address of the buffer to compare
 * @len: bytes to compare
 * @pattern: 8-byte pattern repeated over the buffer; 0 for a zero scan
 * @completion: engine address of the 32-byte aligned completion record
 *
 * Context: any.
 */
void migaccel_desc_compval(struct dsa_hw_desc *desc, u64 src, u32 len,
			   u64 pattern, u64 completion)
{
	dsa_init(desc, DSA_OPCODE_COMPVAL, completion);
	desc->src_addr = src;
	desc->xfer_size = len;
	desc->comp_pattern = pattern;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_compval);

/**
 * migaccel_desc_memmove() - build a DSA memory move descriptor
 * @desc: descriptor to fill; fully overwritten
 * @src: engine address to copy from
 * @dst: engine address to copy to
 * @len: bytes to copy
 * @completion: engine address of the completion record
 *
 * Context: any.
 */
void migaccel_desc_memmove(struct dsa_hw_desc *desc, u64 src, u64 dst,
			   u32 len, u64 completion)
{
	dsa_init(desc, DSA_OPCODE_MEMMOVE, completion);
	desc->src_addr = src;
	desc->dst_addr = dst;
	desc->xfer_size = len;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_memmove);

/**
 * migaccel_desc_crcgen() - build a DSA CRC generation descriptor
 * @desc: descriptor to fill; fully overwritten
 * @src: engine address of the data
 * @len: bytes of data
 * @seed: CRC to continue from, in the result's convention: the device
 *	inverts it before use and inverts the result (no bypass flags), so
 *	seed 0 gives the RFC 3720 CRC32C and results chain
 * @completion: engine address of the completion record
 *
 * Context: any.
 */
void migaccel_desc_crcgen(struct dsa_hw_desc *desc, u64 src, u32 len,
			  u32 seed, u64 completion)
{
	dsa_init(desc, DSA_OPCODE_CRCGEN, completion);
	desc->src_addr = src;
	desc->xfer_size = len;
	desc->crc_seed = seed;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_crcgen);

/**
 * migaccel_desc_cr_delta() - build a DSA create delta record descriptor
 * @desc: descriptor to fill; fully overwritten
 * @src: engine address of the old contents
 * @src2: engine address of the new contents
 * @len: bytes to compare, a multiple of 8
 * @delta: engine address of the delta record buffer
 * @max_delta: its size, a multiple of MIGACCEL_DELTA_ENTRY_SIZE
 * @completion: engine address of the completion record
 *
 * Context: any.
 */
void migaccel_desc_cr_delta(struct dsa_hw_desc *desc, u64 src, u64 src2,
			    u32 len, u64 delta, u32 max_delta, u64 completion)
{
	dsa_init(desc, DSA_OPCODE_CR_DELTA, completion);
	desc->src_addr = src;
	desc->src2_addr = src2;
	desc->xfer_size = len;
	desc->delta_addr = delta;
	desc->max_delta_size = max_delta;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_cr_delta);

/**
 * migaccel_desc_ap_delta() - build a DSA apply delta record descriptor
 * @desc: descriptor to fill; fully overwritten
 * @delta: engine address of a validated delta record
 * @delta_size: its size in bytes
 * @dst: engine address of the buffer to patch
 * @len: size of that buffer
 * @completion: engine address of the completion record
 *
 * Context: any.
 */
void migaccel_desc_ap_delta(struct dsa_hw_desc *desc, u64 delta,
			    u32 delta_size, u64 dst, u32 len, u64 completion)
{
	dsa_init(desc, DSA_OPCODE_AP_DELTA, completion);
	/* Apply takes the record where other operations take a source. */
	desc->src_addr = delta;
	desc->delta_rec_size = delta_size;
	desc->dst_addr = dst;
	desc->xfer_size = len;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_ap_delta);

/**
 * migaccel_desc_batch() - build a DSA batch descriptor
 * @desc: descriptor to fill; fully overwritten
 * @list: engine address of @count descriptors, 64-byte aligned
 * @count: number of descriptors in the list, 2 to the WQ's max_batch_size
 * @completion: engine address of the batch completion record
 *
 * Context: any.
 */
void migaccel_desc_batch(struct dsa_hw_desc *desc, u64 list, u32 count,
			 u64 completion)
{
	dsa_init(desc, DSA_OPCODE_BATCH, completion);
	desc->desc_list_addr = list;
	desc->desc_count = count;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_batch);

/**
 * migaccel_desc_compress() - build an IAA compress descriptor for one page
 * @desc: descriptor to fill; fully overwritten
 * @src: engine address of the page
 * @len: its size
 * @dst: engine address of the output buffer
 * @max_dst: size of the output buffer: more output ends the descriptor
 *	with OUTBUF_OVERFLOW
 * @aecs: engine address of the compression state (AECS) holding the
 *	Huffman tables and the block header; 0 lets the engine choose (soft)
 * @aecs_size: its size
 * @completion: engine address of the 64-byte aligned completion record
 *
 * The output is one final raw deflate block ended by an end-of-block
 * code, every match within the device's 4 KiB history.
 *
 * Context: any.
 */
void migaccel_desc_compress(struct iax_hw_desc *desc, u64 src, u32 len,
			    u64 dst, u32 max_dst, u64 aecs, u32 aecs_size,
			    u64 completion)
{
	iax_init(desc, IAX_OPCODE_COMPRESS, completion);
	desc->flags |= IDXD_OP_FLAG_CC;
	if (aecs)
		desc->flags |= IDXD_OP_FLAG_RD_SRC2_AECS;
	desc->compr_flags = MIGACCEL_IAA_COMP_FLUSH | MIGACCEL_IAA_COMP_APPEND_EOB;
	desc->src1_addr = src;
	desc->src1_size = len;
	desc->dst_addr = dst;
	desc->max_dst_size = max_dst;
	desc->src2_addr = aecs;
	desc->src2_size = aecs_size;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_compress);

/**
 * migaccel_desc_decompress() - build an IAA decompress descriptor
 * @desc: descriptor to fill; fully overwritten
 * @src: engine address of the raw deflate stream
 * @len: its size
 * @dst: engine address of the output page
 * @max_dst: size of the output buffer
 * @completion: engine address of the 64-byte aligned completion record
 *
 * The engine stops at the end of the stream's final block (BFINAL set):
 * a stream of several blocks is decompressed whole, bytes after the final
 * block are ignored.
 *
 * Context: any.
 */
void migaccel_desc_decompress(struct iax_hw_desc *desc, u64 src, u32 len,
			      u64 dst, u32 max_dst, u64 completion)
{
	iax_init(desc, IAX_OPCODE_DECOMPRESS, completion);
	desc->flags |= IDXD_OP_FLAG_CC;
	/* Stop at the end of the final block, not of the first one. */
	desc->decompr_flags = MIGACCEL_IAA_DECOMP_ENABLE |
			      MIGACCEL_IAA_DECOMP_FLUSH |
			      MIGACCEL_IAA_DECOMP_CHECK_EOB |
			      MIGACCEL_IAA_DECOMP_STOP_EOB |
			      MIGACCEL_IAA_DECOMP_BFINAL_EOB;
	desc->src1_addr = src;
	desc->src1_size = len;
	desc->dst_addr = dst;
	desc->max_dst_size = max_dst;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_decompress);

/*
 * IAA CRC64 keeps its 64-bit polynomial in the last 8 bytes of the
 * descriptor and its result in bytes 40..47 of the completion record, the
 * max and sum fields of other operations: QPL reads it as
 * (u64)sum << 32 | max, a little-endian u64 at byte 40.
 */
#define IAX_CRC64_POLY_OFF	56
#define IAX_CRC64_RESULT_OFF	40

/**
 * migaccel_desc_crc64() - build an IAA CRC64 descriptor (CRC-64/WE)
 * @desc: descriptor to fill; fully overwritten
 * @src: engine address of the data
 * @len: bytes of data
 * @completion: engine address of the 64-byte aligned completion record
 *
 * Context: any.
 */
void migaccel_desc_crc64(struct iax_hw_desc *desc, u64 src, u32 len,
			 u64 completion)
{
	iax_init(desc, IAX_OPCODE_CRC64, completion);
	/* Most significant bit first (no BE), seed and result inverted. */
	desc->compr_flags = MIGACCEL_IAA_CRC64_INV;
	desc->src1_addr = src;
	desc->src1_size = len;
	put_unaligned_le64(MIGACCEL_CRC64_POLY,
			   (u8 *)desc + IAX_CRC64_POLY_OFF);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_crc64);

/**
 * migaccel_comp_crc64() - the CRC64 an IAA completion record holds
 * @comp: the record
 *
 * Context: any.
 * Return: the CRC.
 */
u64 migaccel_comp_crc64(const struct iax_completion_record *comp)
{
	return get_unaligned_le64((const u8 *)comp + IAX_CRC64_RESULT_OFF);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_comp_crc64);

/**
 * migaccel_comp_set_crc64() - store a CRC64 result as IAA does
 * @comp: the record
 * @crc: the CRC
 *
 * Context: any.
 */
void migaccel_comp_set_crc64(struct iax_completion_record *comp, u64 crc)
{
	put_unaligned_le64(crc, (u8 *)comp + IAX_CRC64_RESULT_OFF);
}

/**
 * migaccel_comp_zero_page() - read the outcome of a zero-scan descriptor
 * @comp: its completion record, as the engine left it
 * @len: bytes the descriptor covered
 * @resume: set to the offset the CPU must continue from when the engine
 *	did not decide
 *
 * Return: true when the engine decided (the answer is then !@comp->result):
 * success, or a page fault whose result already says "different"; false
 * when the CPU must scan from *@resume: a page fault leaves the bytes
 * before bytes_completed already compared equal, any other status (error,
 * batch abort, never written) leaves nothing known.  On a difference
 * bytes_completed is only at most its offset (DML reports the 8-byte word
 * that holds it), so it is never read as the offset.
 *
 * Context: any.
 */
bool migaccel_comp_zero_page(const struct dsa_completion_record *comp,
			     u32 len, u32 *resume)
{
	u8 status = DSA_COMP_STATUS(READ_ONCE(comp->status));

	/* Read the rest of the record only after the status says it is there. */
	smp_rmb();
	*resume = 0;
	switch (status) {
	case DSA_COMP_SUCCESS:
		return true;
	case DSA_COMP_PAGE_FAULT_NOBOF:
		/* A difference before the fault decides the page. */
		if (comp->result)
			return true;
		if (comp->bytes_completed < len)
			*resume = comp->bytes_completed;
		return false;
	default:
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_comp_zero_page);

/**
 * migaccel_dsa_batch_max() - most descriptors a DSA work queue takes in a batch
 * @max_batch_size: the work queue's max_batch_size attribute
 *
 * idxd programs the work queue with ilog2(max_batch_size) and the device
 * enforces that power of two: a WQ configured with 100 takes 64.
 *
 * Context: any.
 * Return: the largest power of two not above @max_batch_size; 1 for 0
 * (no batch support).
 */
u32 migaccel_dsa_batch_max(u32 max_batch_size)
{
	return max_batch_size ? rounddown_pow_of_two(max_batch_size) : 1;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_dsa_batch_max);

/**
 * migaccel_delta_max_size() - maximum delta record size to give the device
 * @dst_len: bytes the caller offers for the record
 *
 * DSA takes a maximum record size that is a multiple of 10 and at least 80
 * (DML's validation; other values end with DSA_COMP_DR_ERANGE).  A smaller
 * @dst_len still runs on the device with 80: the record lands in the op's
 * kernel buffer, and a record larger than @dst_len is then reported as not
 * fitting, as it would be had the device stopped at @dst_len.
 *
 * Context: any.
 * Return: a multiple of 10 from 80 to MIGACCEL_DELTA_MAX.
 */
u32 migaccel_delta_max_size(u32 dst_len)
{
	u32 max = min(dst_len, MIGACCEL_DELTA_MAX);

	max -= max % MIGACCEL_DELTA_ENTRY_SIZE;
	return max(max, MIGACCEL_DSA_DELTA_MIN);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_delta_max_size);

/* Device opcodes each migaccel operation needs. */
static const u8 migaccel_op_opcode[MIGACCEL_OP_MAX] = {
	[MIGACCEL_OP_ZERO_SCAN] = DSA_OPCODE_COMPVAL,
	[MIGACCEL_OP_COPY] = DSA_OPCODE_MEMMOVE,
	[MIGACCEL_OP_CRC32C] = DSA_OPCODE_CRCGEN,
	[MIGACCEL_OP_DELTA_CREATE] = DSA_OPCODE_CR_DELTA,
	[MIGACCEL_OP_DELTA_APPLY] = DSA_OPCODE_AP_DELTA,
	[MIGACCEL_OP_COMPRESS] = IAX_OPCODE_COMPRESS,
	[MIGACCEL_OP_DECOMPRESS] = IAX_OPCODE_DECOMPRESS,
	[MIGACCEL_OP_CRC64] = IAX_OPCODE_CRC64,
};

/**
 * migaccel_wq_ops_mask() - the operations a work queue's configuration allows
 * @iaa: an IAA work queue (else DSA)
 * @opcap: the work queue's operation configuration, a bitmap of 256 opcodes
 *	(its op_config attribute, or the device's operation capabilities)
 * @max_xfer: its maximum transfer size in bytes
 *
 * Context: any.
 * Return: bit (1 << op) for each &enum migaccel_opcode whose opcode is
 * allowed; 0 when the WQ cannot take a page in one descriptor.
 */
u64 migaccel_wq_ops_mask(bool iaa, const unsigned long *opcap, u64 max_xfer)
{
	u64 mask = 0;
	u32 op;

	if (max_xfer < MIGACCEL_PAGE_SIZE)
		return 0;
	for (op = MIGACCEL_OP_ZERO_SCAN; op < MIGACCEL_OP_MAX; op++) {
		bool iaa_op = migaccel_op_class(op) == MIGACCEL_CLASS_IAA;

		if (iaa_op == iaa && test_bit(migaccel_op_opcode[op], opcap))
			mask |= BIT_ULL(op);
	}
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_wq_ops_mask);
