// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A stand-in for the migaccel module, for exercising the library's kernel
 * path on a host without it: preloaded, it answers MIGACCEL_INFO and
 * MIGACCEL_BATCH on any descriptor, running each operation with the
 * tests' references (ops_common.h) and zlib, as the uapi header states.
 * It is a test double of the uapi, not of the module: it knows nothing
 * of engines, and finishes nothing "on the CPU".
 *
 *   MIGACCEL_DEVICE=/dev/null LD_PRELOAD=tests/fake_module.so \
 *	tests/ops_paths
 *
 * FAKE_MAX_BATCH sets out_max_batch_ops (default 100: not a multiple of
 * 64, so that the library's chunking is exercised).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/migaccel.h>

#include "ops_common.h"

/* Can this process read @len bytes at @p?  No signal if not. */
static bool readable(uint64_t p, size_t len)
{
	static unsigned char sink[2 * PAGE];
	struct iovec local = { sink, len }, remote = { (void *)(uintptr_t)p,
						       len };

	if (!p || len > sizeof(sink))
		return false;
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
	       (ssize_t)len;
}

static bool page_ok(uint64_t p)
{
	return p && !(p % PAGE) && readable(p, PAGE);
}

static int run_op(struct migaccel_op *op)
{
	unsigned char *src = (unsigned char *)(uintptr_t)op->src;
	unsigned char *dst = (unsigned char *)(uintptr_t)op->dst;
	unsigned char tmp[2 * PAGE];
	uint32_t size, i, prev;

	op->out_flags = 0;
	op->out_result = 0;
	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
		if (!page_ok(op->src))
			return -EFAULT;
		op->out_result = ref_page_is_zero(src);
		return 0;
	case MIGACCEL_OP_COPY:
		if (!page_ok(op->src) || !page_ok(op->dst))
			return -EFAULT;
		if (op->src == op->dst)
			return -EINVAL;
		memcpy(dst, src, PAGE);
		return 0;
	case MIGACCEL_OP_CRC32C:
		if (!page_ok(op->src))
			return -EFAULT;
		if (op->seed > UINT32_MAX)
			return -EINVAL;
		op->out_result = ref_crc32c((uint32_t)op->seed, src, PAGE);
		return 0;
	case MIGACCEL_OP_CRC64:
		if (!page_ok(op->src))
			return -EFAULT;
		op->out_result = ref_crc64(src, PAGE);
		return 0;
	case MIGACCEL_OP_DELTA_CREATE:
		if (!page_ok(op->src) || !page_ok(op->src2))
			return -EFAULT;
		if (op->dst_len < MIGACCEL_DELTA_ENTRY_SIZE)
			return -EINVAL;
		size = ref_delta_create(src, (void *)(uintptr_t)op->src2, tmp);
		if (size > op->dst_len) {
			op->out_flags = MIGACCEL_OUT_RAW;
			return 0;
		}
		memcpy(dst, tmp, size);
		op->out_result = size;
		return 0;
	case MIGACCEL_OP_DELTA_APPLY:
		if (!page_ok(op->dst) || !readable(op->src, op->src_len))
			return -EFAULT;
		if (op->src_len % 10 || op->src_len > MIGACCEL_DELTA_MAX_SIZE)
			return -EINVAL;
		for (i = 0, prev = 0; i < op->src_len; i += 10) {
			uint32_t off = src[i] | (uint32_t)src[i + 1] << 8;

			if (off >= PAGE / 8 || (i && off <= prev))
				return -EINVAL;
			prev = off;
		}
		ref_delta_apply(dst, src, op->src_len);
		return 0;
	case MIGACCEL_OP_COMPRESS:
		if (!page_ok(op->src) || !op->dst)
			return -EFAULT;
		if (!op->dst_len)
			return -EINVAL;
		size = zlib_deflate_raw(src, PAGE, tmp, sizeof(tmp), 1, 1);
		if (size >= PAGE || size > op->dst_len) {
			op->out_flags = MIGACCEL_OUT_RAW;
			return 0;
		}
		memcpy(dst, tmp, size);
		op->out_result = size;
		return 0;
	case MIGACCEL_OP_DECOMPRESS:
		if (!page_ok(op->dst) || !readable(op->src, op->src_len))
			return -EFAULT;
		if (!op->src_len || op->src_len > PAGE)
			return -EINVAL;
		if (zlib_inflate_page(src, op->src_len, tmp))
			return -EBADMSG;
		memcpy(dst, tmp, PAGE);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static unsigned int max_batch(void)
{
	const char *env = getenv("FAKE_MAX_BATCH");

	return env && *env ? (unsigned int)strtoul(env, NULL, 0) : 100;
}

static int fake_batch(struct migaccel_batch *b)
{
	unsigned char *ops = (unsigned char *)(uintptr_t)b->ops;
	uint64_t *bm = (uint64_t *)(uintptr_t)b->out_zero_bitmap;
	uint32_t i, failed = 0;

	if (b->size < sizeof(*b) || b->flags || b->op_size < 64 ||
	    b->op_size % 8 || b->op_size > 256 || !b->nr_ops ||
	    b->nr_ops > max_batch())
		return -EINVAL;
	ref_tables_init();
	if (bm)
		memset(bm, 0, WORDS(b->nr_ops) * 8);
	for (i = 0; i < b->nr_ops; i++) {
		struct migaccel_op *op = (void *)(ops + (size_t)i * b->op_size);

		op->out_status = op->flags ? -EINVAL : run_op(op);
		if (op->out_status) {
			op->out_result = 0;
			op->out_flags = 0;
			failed++;
		} else if (bm && op->opcode == MIGACCEL_OP_ZERO_SCAN &&
			   op->out_result) {
			bm[i / 64] |= 1ULL << (i % 64);
		}
	}
	b->out_nr_failed = failed;
	b->out_nr_cpu = 0;
	return 0;
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int ret;

	(void)fd;
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (req == MIGACCEL_INFO) {
		struct migaccel_info *info = arg;
		int op;

		memset(info, 0, sizeof(*info));
		info->size = sizeof(*info);
		info->out_api_version = MIGACCEL_API_VERSION;
		info->out_engines = MIGACCEL_ENGINE_SOFT;
		for (op = MIGACCEL_OP_ZERO_SCAN; op < MIGACCEL_OP_MAX; op++)
			info->out_ops |= 1ULL << op;
		info->out_max_batch_ops = max_batch();
		info->out_page_size = PAGE;
		return 0;
	}
	if (req == MIGACCEL_BATCH) {
		ret = fake_batch(arg);
		if (ret) {
			errno = -ret;
			return -1;
		}
		return 0;
	}
	errno = ENOTTY;
	return -1;
}
