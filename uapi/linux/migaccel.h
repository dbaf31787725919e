/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * migaccel: offload of live-migration page work to Intel DSA and IAA.
 *
 * Every ioctl argument starts with a __u32 size that user space sets to
 * sizeof() of the structure it was compiled with.  The kernel accepts
 * shorter structures as long as they reach the last field it needs, and
 * longer ones as long as the bytes it does not know are zero.
 */
#ifndef _UAPI_LINUX_MIGACCEL_H
#define _UAPI_LINUX_MIGACCEL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define MIGACCEL_API_VERSION 1

#define MIGACCEL_TYPE 0xDA

enum {
	MIGACCEL_CMD_BASE = 0x80,
	MIGACCEL_CMD_INFO = MIGACCEL_CMD_BASE,
	MIGACCEL_CMD_BATCH = 0x81
};

/**
 * enum migaccel_engine_mask - engines that can execute operations
 * @MIGACCEL_ENGINE_SOFT: the CPU executor inside the module, which runs
 *	the same hardware descriptors a device would
 * @MIGACCEL_ENGINE_DSA: at least one DSA work queue is bound to migaccel
 * @MIGACCEL_ENGINE_IAA: at least one IAA work queue is bound to migaccel
 */
enum migaccel_engine_mask {
	MIGACCEL_ENGINE_SOFT = 1 << 0,
	MIGACCEL_ENGINE_DSA = 1 << 1,
	MIGACCEL_ENGINE_IAA = 1 << 2
};

/**
 * enum migaccel_opcode - operations a batch can carry
 * @MIGACCEL_OP_ZERO_SCAN: is the page at &migaccel_op.src all zero?
 *	Executed as a DSA compare-pattern descriptor with pattern 0.
 * @MIGACCEL_OP_MAX: one past the last defined operation
 */
enum migaccel_opcode {
	MIGACCEL_OP_ZERO_SCAN = 1,
	MIGACCEL_OP_MAX
};

/**
 * struct migaccel_info - MIGACCEL_INFO: what this module can do
 * @size: sizeof(struct migaccel_info)
 * @flags: must be 0
 * @out_api_version: MIGACCEL_API_VERSION of the running module
 * @out_engines: mask of &enum migaccel_engine_mask present now
 * @out_ops: bit (1 << opcode) set for each supported &enum migaccel_opcode
 * @out_max_batch_ops: most operations one MIGACCEL_BATCH call accepts
 * @out_page_size: size in bytes of the page every operation works on
 * @__reserved: must be 0
 */
struct migaccel_info {
	__u32 size;
	__u32 flags;
	__u32 out_api_version;
	__u32 out_engines;
	__aligned_u64 out_ops;
	__u32 out_max_batch_ops;
	__u32 out_page_size;
	__aligned_u64 __reserved;
};

#define MIGACCEL_INFO _IO(MIGACCEL_TYPE, MIGACCEL_CMD_INFO)

/**
 * struct migaccel_op - one operation of a batch
 * @opcode: an &enum migaccel_opcode
 * @flags: must be 0
 * @src: user address of the source page, aligned to out_page_size
 * @dst: destination address; must be 0 for MIGACCEL_OP_ZERO_SCAN
 * @arg: operation argument; must be 0 for MIGACCEL_OP_ZERO_SCAN
 * @out_status: 0, or a negative errno for this operation alone
 * @__reserved: must be 0
 * @out_result: MIGACCEL_OP_ZERO_SCAN: 1 if the page is all zero, else 0
 *
 * Operations are laid out with a stride of &migaccel_batch.op_size, so a
 * caller built against an older or newer header still works.
 */
struct migaccel_op {
	__u32 opcode;
	__u32 flags;
	__aligned_u64 src;
	__aligned_u64 dst;
	__aligned_u64 arg;
	__s32 out_status;
	__u32 __reserved;
	__aligned_u64 out_result;
};

/**
 * struct migaccel_batch - MIGACCEL_BATCH: run a batch of operations
 * @size: sizeof(struct migaccel_batch)
 * @flags: must be 0
 * @nr_ops: number of operations, 1 to &migaccel_info.out_max_batch_ops
 * @op_size: sizeof(struct migaccel_op) as the caller knows it; a multiple
 *	of 8, at least 48 and at most 256
 * @ops: user pointer to @nr_ops operations, @op_size bytes apart
 * @out_zero_bitmap: user pointer to (@nr_ops + 63) / 64 __u64 words, or 0;
 *	bit i (word i / 64, bit i % 64) is set iff operation i is a
 *	MIGACCEL_OP_ZERO_SCAN that found its page all zero
 * @out_nr_failed: number of operations whose out_status is not 0
 * @__reserved: must be 0
 *
 * The call returns 0 once every operation has run, each with its own
 * out_status.  It returns a negative errno, and writes nothing, when the
 * batch itself is malformed or cannot be started.
 */
struct migaccel_batch {
	__u32 size;
	__u32 flags;
	__u32 nr_ops;
	__u32 op_size;
	__aligned_u64 ops;
	__aligned_u64 out_zero_bitmap;
	__u32 out_nr_failed;
	__u32 __reserved;
};

#define MIGACCEL_BATCH _IO(MIGACCEL_TYPE, MIGACCEL_CMD_BATCH)

#endif /* _UAPI_LINUX_MIGACCEL_H */
