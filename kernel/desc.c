// SPDX-License-Identifier: GPL-2.0
/*
 * Descriptor builders.  Every descriptor an engine sees is built here from
 * validated kernel state; nothing user space sends is forwarded.  The soft
 * engine and the idxd engine consume the same structures, so a test that
 * runs on the soft engine also checks what would be sent to hardware.
 */
#include <linux/string.h>
#include <kunit/visibility.h>

#include "migaccel.h"

/* Every descriptor asks for a completion record at a valid address. */
#define MIGACCEL_DESC_FLAGS	(IDXD_OP_FLAG_CRAV | IDXD_OP_FLAG_RCR)

/**
 * migaccel_desc_compval() - build a DSA compare-pattern descriptor
 * @desc: descriptor to fill; fully overwritten
 * @src: engine address of the buffer to compare
 * @len: bytes to compare
 * @pattern: 8-byte pattern repeated over the buffer; 0 for a zero scan
 * @completion: engine address of the 32-byte aligned completion record
 *
 * Block-on-fault is left clear: a fault ends the descriptor with
 * PAGE_FAULT_NOBOF and the CPU finishes from bytes_completed, rather than
 * stalling the work queue.  priv is 0 because kernel DMA through VT-d
 * runs with user privilege.
 *
 * Context: any.
 */
void migaccel_desc_compval(struct dsa_hw_desc *desc, u64 src, u32 len,
			   u64 pattern, u64 completion)
{
	memset(desc, 0, sizeof(*desc));
	desc->opcode = DSA_OPCODE_COMPVAL;
	desc->flags = MIGACCEL_DESC_FLAGS;
	desc->src_addr = src;
	desc->xfer_size = len;
	desc->comp_pattern = pattern;
	desc->completion_addr = completion;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_compval);

/**
 * migaccel_desc_batch() - build a DSA batch descriptor
 * @desc: descriptor to fill; fully overwritten
 * @list: engine address of @count descriptors, 64-byte aligned
 * @count: number of descriptors in the list, at least 2
 * @completion: engine address of the batch completion record
 *
 * Context: any.
 */
void migaccel_desc_batch(struct dsa_hw_desc *desc, u64 list, u32 count,
			 u64 completion)
{
	memset(desc, 0, sizeof(*desc));
	desc->opcode = DSA_OPCODE_BATCH;
	desc->flags = MIGACCEL_DESC_FLAGS;
	desc->desc_list_addr = list;
	desc->desc_count = count;
	desc->completion_addr = completion;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_desc_batch);

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
