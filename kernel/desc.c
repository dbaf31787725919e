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
 */
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/* Every descriptor asks for a completion record at a valid address. */
#define MIGACCEL_DESC_FLAGS	(IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR)

static void dsa_init(struct dsa_hw_desc *desc, u8 opcode, u64 completion)
{
	memset(desc, 0, sizeof(*desc));
	desc->opcode = opcode;
	desc->flags = MIGACCEL_DESC_FLAGS;
	desc->completion_addr = completion;
}

static void iax_init(struct iax_hw_desc *desc, u8 opcode, u64 completion)
{
	memset(desc, 0, sizeof(*desc));
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
 * Context: any.
 */
void migaccel_desc_decompress(struct iax_hw_desc *desc, u64 src, u32 len,
			      u64 dst, u32 max_dst, u64 completion)
{
	iax_init(desc, IAX_OPCODE_DECOMPRESS, completion);
	desc->decompr_flags = MIGACCEL_IAA_DECOMP_ENABLE |
			      MIGACCEL_IAA_DECOMP_FLUSH |
			      MIGACCEL_IAA_DECOMP_CHECK_EOB |
			      MIGACCEL_IAA_DECOMP_STOP_EOB;
	desc->src1_addr = src;
	desc->src1_size = len;
	desc->dst_addr = dst;
	desc->max_dst_size = max_dst;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_decompress);

/*
 * IAA CRC64 keeps its 64-bit polynomial in the last 8 bytes of the
 * descriptor and its result in bytes 40..47 of the completion record, the
 * max and sum fields of the analytics operations: QPL reads it as
 * (u64)sum << 32 | max (completion_record.hpp).
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
	/*
	 * CRC-64/WE is MSB first: QPL's "big-endian" flag selects the
	 * bit-reflected computation (crc.cpp), so only invert is set.
	 */
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
 * Return: true when the engine decided (the answer is then !@comp->result);
 * false when the CPU must scan from *@resume: a page fault leaves the bytes
 * before bytes_completed already compared equal, any other status (error,
 * batch abort, never written) leaves nothing known.
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
		if (comp->bytes_completed < len)
			*resume = comp->bytes_completed;
		return false;
	default:
		return false;
	}
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_comp_zero_page);
