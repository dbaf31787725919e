// SPDX-License-Identifier: GPL-2.0
/*
 * Completion records and device limits: what a record says, what a work
 * queue can take.  The descriptor builders are inline, in desc.h.
 */
#include <linux/log2.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <kunit/visibility.h>

#include "migaccel.h"

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
