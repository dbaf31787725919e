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

#define MIGACCEL_API_VERSION 2

#define MIGACCEL_TYPE 0xDA

enum {
	MIGACCEL_CMD_BASE = 0x80,
	MIGACCEL_CMD_INFO = MIGACCEL_CMD_BASE,
	MIGACCEL_CMD_BATCH = 0x81,
	MIGACCEL_CMD_REGION_REGISTER = 0x82,
	MIGACCEL_CMD_REGION_UNREGISTER = 0x83,
	MIGACCEL_CMD_REAP = 0x84,
	MIGACCEL_CMD_SET_EVENTFD = 0x85,
	MIGACCEL_CMD_SVA_BIND = 0x86,
	MIGACCEL_CMD_ZERO_SCAN = 0x87
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
 *
 * Every operation works on one page of &migaccel_info.out_page_size bytes.
 * "Page" below means a user address aligned to that size; "buffer" means
 * any user address with a length.
 *
 * @MIGACCEL_OP_ZERO_SCAN: is the page at @src all zero?  out_result is 1
 *	if it is, else 0.  DSA compare-pattern with pattern 0.
 * @MIGACCEL_OP_COPY: copy the page at @src to the page at @dst; the two
 *	must not be the same page.  DSA memory move.
 * @MIGACCEL_OP_CRC32C: CRC32C (Castagnoli, as RFC 3720) of the page at
 *	@src, continued from @seed: seed 0 starts a new CRC, and the result
 *	of one page is the seed of the next, so a chain of pages yields the
 *	CRC of their concatenation.  out_result is the CRC.  DSA CRC
 *	generation.
 * @MIGACCEL_OP_DELTA_CREATE: compare the page at @src (the old contents)
 *	with the page at @src2 (the new contents) and write the delta record
 *	that turns the first into the second to the buffer @dst of @dst_len
 *	bytes.  A record is a sequence of 10-byte entries, each a
 *	little-endian __u16 offset in units of 8 bytes followed by the 8 new
 *	bytes at that offset, offsets strictly increasing (the DSA delta
 *	record format).  out_result is the record size, 0 when the pages are
 *	equal.  When the record would not fit in @dst_len bytes,
 *	MIGACCEL_OUT_RAW is set, out_result is 0 and @dst is not written:
 *	send the page instead.  DSA create delta record.
 * @MIGACCEL_OP_DELTA_APPLY: apply the delta record of @src_len bytes at
 *	buffer @src to the page at @dst.  DSA apply delta record.
 * @MIGACCEL_OP_COMPRESS: compress the page at @src as raw deflate (RFC
 *	1951, no zlib or gzip wrapper, every match distance below 4096) into
 *	the buffer @dst of @dst_len bytes.  out_result is the compressed
 *	size.  When the compressed form is not smaller than the page or does
 *	not fit in @dst_len bytes, MIGACCEL_OUT_RAW is set, out_result is 0
 *	and @dst is not written: send the page raw.  IAA compress.
 * @MIGACCEL_OP_DECOMPRESS: inflate the raw deflate stream of @src_len
 *	bytes at buffer @src into the page at @dst.  The stream must end
 *	with a final block and produce exactly one page (bytes after the
 *	final block are ignored); otherwise out_status is -EBADMSG and @dst
 *	is not written.  IAA decompress.
 * @MIGACCEL_OP_CRC64: CRC-64/WE (polynomial 0x42F0E1EBA9EA3693 of
 *	ECMA-182, most significant bit first, initial value and final xor
 *	all ones) of the page at @src.  out_result is the CRC; @seed must be
 *	0.  IAA CRC64.
 * @MIGACCEL_OP_MAX: one past the last defined operation
 */
enum migaccel_opcode {
	MIGACCEL_OP_ZERO_SCAN = 1,
	MIGACCEL_OP_COPY = 2,
	MIGACCEL_OP_CRC32C = 3,
	MIGACCEL_OP_DELTA_CREATE = 4,
	MIGACCEL_OP_DELTA_APPLY = 5,
	MIGACCEL_OP_COMPRESS = 6,
	MIGACCEL_OP_DECOMPRESS = 7,
	MIGACCEL_OP_CRC64 = 8,
	MIGACCEL_OP_MAX
};

/* Size in bytes of one delta record entry: __u16 offset, 8 data bytes. */
#define MIGACCEL_DELTA_ENTRY_SIZE 10

/**
 * enum migaccel_out_flags - how an operation ended, in &migaccel_op.out_flags
 * @MIGACCEL_OUT_CPU: the operation was finished, wholly or in part, on the
 *	CPU (a page fault, a device error, a busy or removed work queue or a
 *	timeout on the engine); the result is the same
 * @MIGACCEL_OUT_RAW: COMPRESS or DELTA_CREATE: the result would not have
 *	been smaller than the page or did not fit the destination buffer;
 *	nothing was written there
 */
enum migaccel_out_flags {
	MIGACCEL_OUT_CPU = 1 << 0,
	MIGACCEL_OUT_RAW = 1 << 1
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
 * @out_channel_id: identifier of this channel (open file), as debugfs
 *	names it
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
	__u32 out_channel_id;
	__u32 __reserved;
};

#define MIGACCEL_INFO _IO(MIGACCEL_TYPE, MIGACCEL_CMD_INFO)

/**
 * struct migaccel_op - one operation of a batch
 * @opcode: an &enum migaccel_opcode
 * @flags: must be 0
 * @src: source page, or buffer for DELTA_APPLY and DECOMPRESS
 * @src2: DELTA_CREATE: the page holding the new contents; else 0
 * @dst: destination page (COPY, DELTA_APPLY, DECOMPRESS) or buffer
 *	(DELTA_CREATE, COMPRESS); 0 for ZERO_SCAN, CRC32C and CRC64
 * @src_len: bytes at @src for DELTA_APPLY (a multiple of 10, at most
 *	page size / 8 entries) and DECOMPRESS (1 to page size); else 0
 * @dst_len: bytes available at @dst for DELTA_CREATE (at least one
 *	entry, 10) and COMPRESS (at least 1); else 0
 * @seed: CRC32C: the CRC to continue from (below 2^32); else 0
 * @out_status: 0, or a negative errno for this operation alone
 * @out_flags: &enum migaccel_out_flags
 * @out_result: see &enum migaccel_opcode; 0 where none is defined
 * @region: 0, or a region of MIGACCEL_REGION_REGISTER: then every page
 *	(@src, @src2, @dst where they name a page) is an offset in it
 * @buf_region: 0, or a region in which every buffer (@src, @dst where
 *	they name a buffer) is an offset
 *
 * Operands in a registered region are pinned already: the call pins
 * nothing for them.  Operations are laid out with a stride of &migaccel_batch.op_size, so a
 * caller built against an older or newer header still works.
 */
struct migaccel_op {
	__u32 opcode;
	__u32 flags;
	__aligned_u64 src;
	__aligned_u64 src2;
	__aligned_u64 dst;
	__u32 src_len;
	__u32 dst_len;
	__aligned_u64 seed;
	__s32 out_status;
	__u32 out_flags;
	__aligned_u64 out_result;
	__u32 region;
	__u32 buf_region;
};

/**
 * struct migaccel_batch - MIGACCEL_BATCH: run a batch of operations
 * @size: sizeof(struct migaccel_batch)
 * @flags: must be 0
 * @nr_ops: number of operations, 1 to &migaccel_info.out_max_batch_ops
 * @op_size: sizeof(struct migaccel_op) as the caller knows it; a multiple
 *	of 8, at least 64 (without @region and @buf_region) and at most 256
 * @ops: user pointer to @nr_ops operations, @op_size bytes apart; any mix
 *	of opcodes
 * @out_zero_bitmap: user pointer to (@nr_ops + 63) / 64 __u64 words, or 0;
 *	bit i (word i / 64, bit i % 64) is set iff operation i is a
 *	MIGACCEL_OP_ZERO_SCAN that found its page all zero
 * @out_nr_failed: number of operations whose out_status is not 0
 * @out_nr_cpu: number of operations with MIGACCEL_OUT_CPU set
 * @user_data: MIGACCEL_BATCH_ASYNC: returned in its &migaccel_completion
 *
 * The call returns 0 once every operation has run, each with its own
 * out_status.  It returns a negative errno, and writes nothing, when the
 * batch itself is malformed or cannot be started.
 *
 * With MIGACCEL_BATCH_ASYNC the call returns once the batch is started,
 * and writes nothing yet: the results (out_ fields of the batch are not
 * used; those of the ops, the zero bitmap and every output) are written
 * when MIGACCEL_REAP returns the batch's completion, so the op array and
 * every buffer must stay valid until then.
 */
struct migaccel_batch {
	__u32 size;
	__u32 flags;
	__u32 nr_ops;
	__u32 op_size;
	__aligned_u64 ops;
	__aligned_u64 out_zero_bitmap;
	__u32 out_nr_failed;
	__u32 out_nr_cpu;
	__aligned_u64 user_data;
};

/**
 * enum migaccel_batch_flags - flags of &migaccel_batch
 * @MIGACCEL_BATCH_ASYNC: start the batch and return; reap it later
 */
enum migaccel_batch_flags {
	MIGACCEL_BATCH_ASYNC = 1 << 0
};

#define MIGACCEL_BATCH _IO(MIGACCEL_TYPE, MIGACCEL_CMD_BATCH)

/**
 * struct migaccel_region_register - MIGACCEL_REGION_REGISTER: pin memory once
 * @size: sizeof(struct migaccel_region_register)
 * @flags: must be 0
 * @addr: start, aligned to out_page_size
 * @length: bytes, a non-zero multiple of out_page_size
 * @out_region_id: the region's id for &migaccel_op.region, never 0
 * @__reserved: must be 0
 * @out_meta_bytes: bytes of kernel memory the region keeps about its
 *	pages once registered: its page array (8 per page) and, for each
 *	device, its DMA mapping (12 per run of physically contiguous pages
 *	plus 4, or 8 per page when that is less)
 * @out_dma_devices: devices the region was mapped for: the DMA devices
 *	of migaccel's work queues, each once however many of its work
 *	queues migaccel has
 * @__reserved2: must be 0
 *
 * The pages are pinned (long term, writable) and charged to the caller's
 * RLIMIT_MEMLOCK: beyond it the call fails with -ENOMEM.  They are mapped
 * for every device a work queue of migaccel belongs to.  A region belongs
 * to the channel: closing the channel releases it.  @out_meta_bytes and
 * @out_dma_devices describe the region when the call returns: a device
 * whose first work queue is bound later adds its mapping then.  A caller
 * compiled without them (a @size ending at @__reserved) is not told.
 */
struct migaccel_region_register {
	__u32 size;
	__u32 flags;
	__aligned_u64 addr;
	__aligned_u64 length;
	__u32 out_region_id;
	__u32 __reserved;
	__aligned_u64 out_meta_bytes;
	__u32 out_dma_devices;
	__u32 __reserved2;
};

#define MIGACCEL_REGION_REGISTER _IO(MIGACCEL_TYPE, MIGACCEL_CMD_REGION_REGISTER)

/**
 * enum migaccel_unregister_flags - flags of &migaccel_region_unregister
 * @MIGACCEL_UNREGISTER_WAIT: wait (up to the module's timeout_ms) for the
 *	batches using the region instead of failing with -EBUSY at once
 */
enum migaccel_unregister_flags {
	MIGACCEL_UNREGISTER_WAIT = 1 << 0
};

/**
 * struct migaccel_region_unregister - MIGACCEL_REGION_UNREGISTER
 * @size: sizeof(struct migaccel_region_unregister)
 * @flags: &enum migaccel_unregister_flags
 * @region_id: a region of this channel
 * @__reserved: must be 0
 *
 * Fails with -EBUSY while a batch that names the region is in flight or,
 * if asynchronous, not reaped yet; MIGACCEL_UNREGISTER_WAIT waits for them
 * first, and still fails with -EBUSY when they do not let go in time.
 */
struct migaccel_region_unregister {
	__u32 size;
	__u32 flags;
	__u32 region_id;
	__u32 __reserved;
};

#define MIGACCEL_REGION_UNREGISTER \
	_IO(MIGACCEL_TYPE, MIGACCEL_CMD_REGION_UNREGISTER)

/**
 * struct migaccel_completion - how an asynchronous batch ended
 * @user_data: &migaccel_batch.user_data
 * @result: 0, or the negative errno the batch failed with as a whole
 *	(-ETIMEDOUT, -EFAULT when its memory went away, ...)
 * @nr_failed: operations whose out_status is not 0
 * @nr_cpu: operations finished on the CPU
 * @__reserved: 0
 */
struct migaccel_completion {
	__aligned_u64 user_data;
	__s32 result;
	__u32 nr_failed;
	__u32 nr_cpu;
	__u32 __reserved;
};

/**
 * enum migaccel_reap_flags - flags of &migaccel_reap
 * @MIGACCEL_REAP_WAIT: wait until @min_complete batches completed (or all
 *	in flight, if fewer), or @timeout_ms passed
 */
enum migaccel_reap_flags {
	MIGACCEL_REAP_WAIT = 1 << 0
};

/**
 * struct migaccel_reap - MIGACCEL_REAP: collect asynchronous batches
 * @size: sizeof(struct migaccel_reap)
 * @flags: &enum migaccel_reap_flags
 * @nr: room in @entries, at least 1
 * @min_complete: with MIGACCEL_REAP_WAIT, how many to wait for; else 0
 * @entries: user pointer to @nr &struct migaccel_completion
 * @timeout_ms: with MIGACCEL_REAP_WAIT: longest wait, 0 for the module's
 *	timeout_ms
 * @out_nr: completions written, in submission order: a batch is returned
 *	only after every batch the channel submitted before it
 *
 * Writes the results of each batch it returns (see &migaccel_batch).
 * Without MIGACCEL_REAP_WAIT it never sleeps for a device; with it, -EINTR
 * on a signal, and out_nr may be below @min_complete after the timeout.
 * The channel's fd is readable (poll, epoll) while the oldest batch not
 * reaped yet has completed or passed its deadline (timeout_ms after it
 * was submitted).
 */
struct migaccel_reap {
	__u32 size;
	__u32 flags;
	__u32 nr;
	__u32 min_complete;
	__aligned_u64 entries;
	__u32 timeout_ms;
	__u32 out_nr;
};

#define MIGACCEL_REAP _IO(MIGACCEL_TYPE, MIGACCEL_CMD_REAP)

/**
 * struct migaccel_set_eventfd - MIGACCEL_SET_EVENTFD
 * @size: sizeof(struct migaccel_set_eventfd)
 * @flags: must be 0
 * @fd: an eventfd to signal when an asynchronous batch completes (again
 *	if part of it had to be resubmitted to another engine), or -1 to
 *	stop
 * @__reserved: must be 0
 */
struct migaccel_set_eventfd {
	__u32 size;
	__u32 flags;
	__s32 fd;
	__u32 __reserved;
};

#define MIGACCEL_SET_EVENTFD _IO(MIGACCEL_TYPE, MIGACCEL_CMD_SET_EVENTFD)

/**
 * struct migaccel_sva_bind - MIGACCEL_SVA_BIND: share the address space
 * @size: sizeof(struct migaccel_sva_bind)
 * @flags: must be 0
 * @out_pasid: the PASID the devices know the caller's address space by
 * @out_engines: &enum migaccel_engine_mask of the work queues bound
 *
 * Binds the caller's address space to the devices of every work queue of
 * migaccel through the IOMMU (shared virtual addressing).  -ENODEV when
 * there is no work queue, -EOPNOTSUPP when the IOMMU cannot.  See the
 * administrator guide for what SVA mode does and does not do.
 */
struct migaccel_sva_bind {
	__u32 size;
	__u32 flags;
	__u32 out_pasid;
	__u32 out_engines;
};

#define MIGACCEL_SVA_BIND _IO(MIGACCEL_TYPE, MIGACCEL_CMD_SVA_BIND)

/**
 * struct migaccel_zero_scan - MIGACCEL_ZERO_SCAN: which pages of a region are zero
 * @size: sizeof(struct migaccel_zero_scan)
 * @flags: must be 0
 * @nr_pages: 1 to &migaccel_info.out_max_batch_ops
 * @region: the region the pages are in (&migaccel_region_register)
 * @pages: user pointer to @nr_pages __u64 offsets in @region, each a
 *	multiple of &migaccel_info.out_page_size; the same page may be listed
 *	more than once
 * @out_zero_bitmap: user pointer to (@nr_pages + 63) / 64 __u64 words:
 *	bit i (word i / 64, bit i % 64) is set iff page @pages[i] is all
 *	zero; the bits after the last page are 0
 * @out_nr_cpu: pages the module scanned on the CPU because an engine did
 *	not (MIGACCEL_OUT_CPU of the same scan through MIGACCEL_BATCH)
 * @__reserved: must be 0
 *
 * The same as a MIGACCEL_BATCH of @nr_pages MIGACCEL_OP_ZERO_SCAN
 * operations in @region with out_zero_bitmap, for the common case of a
 * list of guest pages: 8 bytes per page to read instead of an operation,
 * and only the bitmap to write.  Synchronous: it returns once every page
 * is scanned.  It returns a negative errno, and writes nothing, when the
 * call is malformed (-EINVAL, also for an offset that is not a page of
 * @region; -ENOENT for an unknown region; -EFAULT for memory that cannot
 * be read or written) or cannot run (as MIGACCEL_BATCH).
 */
struct migaccel_zero_scan {
	__u32 size;
	__u32 flags;
	__u32 nr_pages;
	__u32 region;
	__aligned_u64 pages;
	__aligned_u64 out_zero_bitmap;
	__u32 out_nr_cpu;
	__u32 __reserved;
};

#define MIGACCEL_ZERO_SCAN _IO(MIGACCEL_TYPE, MIGACCEL_CMD_ZERO_SCAN)

#endif /* _UAPI_LINUX_MIGACCEL_H */
