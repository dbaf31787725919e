/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Descriptor builders, inline where chunks are built: one call per
 * operation costs as much as the build itself.  Every descriptor an engine
 * sees is built here from validated kernel state; nothing user space sends
 * is forwarded.  The soft engine and the idxd engine consume the same
 * structures, so a test that runs on the soft engine also checks what
 * would be sent to hardware.
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
#ifndef MIGACCEL_DESC_H
#define MIGACCEL_DESC_H

#include <linux/unaligned.h>

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

static __always_inline void desc_dsa_init(struct dsa_hw_desc *desc, u8 opcode, u64 completion)
{
	desc_clear(desc);
	desc->opcode = opcode;
	desc->flags = MIGACCEL_DESC_FLAGS;
	desc->completion_addr = completion;
}

static __always_inline void desc_iax_init(struct iax_hw_desc *desc, u8 opcode, u64 completion)
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
static inline void migaccel_desc_compval(struct dsa_hw_desc *desc, u64 src,
					 u32 len, u64 pattern, u64 completion)
{
	desc_dsa_init(desc, DSA_OPCODE_COMPVAL, completion);
	desc->src_addr = src;
	desc->xfer_size = len;
	desc->comp_pattern = pattern;
}

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
static inline void migaccel_desc_memmove(struct dsa_hw_desc *desc, u64 src,
					 u64 dst, u32 len, u64 completion)
{
	desc_dsa_init(desc, DSA_OPCODE_MEMMOVE, completion);
	desc->src_addr = src;
	desc->dst_addr = dst;
	desc->xfer_size = len;
}

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
static inline void migaccel_desc_crcgen(struct dsa_hw_desc *desc, u64 src,
					u32 len, u32 seed, u64 completion)
{
	desc_dsa_init(desc, DSA_OPCODE_CRCGEN, completion);
	desc->src_addr = src;
	desc->xfer_size = len;
	desc->crc_seed = seed;
}

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
static inline void migaccel_desc_cr_delta(struct dsa_hw_desc *desc, u64 src,
					  u64 src2, u32 len, u64 delta,
					  u32 max_delta, u64 completion)
{
	desc_dsa_init(desc, DSA_OPCODE_CR_DELTA, completion);
	desc->src_addr = src;
	desc->src2_addr = src2;
	desc->xfer_size = len;
	desc->delta_addr = delta;
	desc->max_delta_size = max_delta;
}

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
static inline void migaccel_desc_ap_delta(struct dsa_hw_desc *desc, u64 delta,
					  u32 delta_size, u64 dst, u32 len,
					  u64 completion)
{
	desc_dsa_init(desc, DSA_OPCODE_AP_DELTA, completion);
	/* Apply takes the record where other operations take a source. */
	desc->src_addr = delta;
	desc->delta_rec_size = delta_size;
	desc->dst_addr = dst;
	desc->xfer_size = len;
}

/**
 * migaccel_desc_batch() - build a DSA batch descriptor
 * @desc: descriptor to fill; fully overwritten
 * @list: engine address of @count descriptors, 64-byte aligned
 * @count: number of descriptors in the list, 2 to the WQ's max_batch_size
 * @completion: engine address of the batch completion record
 *
 * Context: any.
 */
static inline void migaccel_desc_batch(struct dsa_hw_desc *desc, u64 list,
				       u32 count, u64 completion)
{
	desc_dsa_init(desc, DSA_OPCODE_BATCH, completion);
	desc->desc_list_addr = list;
	desc->desc_count = count;
}

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
static inline void migaccel_desc_compress(struct iax_hw_desc *desc, u64 src,
					  u32 len, u64 dst, u32 max_dst,
					  u64 aecs, u32 aecs_size,
					  u64 completion)
{
	desc_iax_init(desc, IAX_OPCODE_COMPRESS, completion);
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
static inline void migaccel_desc_decompress(struct iax_hw_desc *desc, u64 src,
					    u32 len, u64 dst, u32 max_dst,
					    u64 completion)
{
	desc_iax_init(desc, IAX_OPCODE_DECOMPRESS, completion);
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
static inline void migaccel_desc_crc64(struct iax_hw_desc *desc, u64 src,
				       u32 len, u64 completion)
{
	desc_iax_init(desc, IAX_OPCODE_CRC64, completion);
	/* Most significant bit first (no BE), seed and result inverted. */
	desc->compr_flags = MIGACCEL_IAA_CRC64_INV;
	desc->src1_addr = src;
	desc->src1_size = len;
	put_unaligned_le64(MIGACCEL_CRC64_POLY,
			   (u8 *)desc + IAX_CRC64_POLY_OFF);
}

#endif /* MIGACCEL_DESC_H */
