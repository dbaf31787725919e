// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Copy, CRC32C and CRC64 of pages.  The CPU path uses ISA-L; the kernel
 * path goes through migaccel__batch_run().
 */
#include <errno.h>
#include <string.h>

#include <isa-l/crc.h>
#include <isa-l/crc64.h>

#include "internal.h"

/*
 * RFC 3720 CRC32C continued from @seed (0 starts a new CRC): ISA-L's
 * crc32_iscsi() neither inverts its initial value nor its result, so the
 * standard CRC is ~crc32_iscsi(buf, len, ~seed), and the result of one
 * buffer seeds the next.
 */
uint32_t migaccel__crc32c(uint32_t seed, const void *buf, size_t len)
{
	uint32_t crc = ~seed;

	/* crc32_iscsi() takes an int length and a non-const pointer */
	while (len) {
		size_t n = len > (1u << 30) ? 1u << 30 : len;

		crc = crc32_iscsi((unsigned char *)buf, (int)n, crc);
		buf = (const unsigned char *)buf + n;
		len -= n;
	}
	return ~crc;
}

/* CRC-64/WE: crc64_ecma_norm() inverts its seed and its result itself. */
uint64_t migaccel__crc64(const void *buf, size_t len)
{
	return crc64_ecma_norm(0, buf, len);
}

/* ---- copy ---- */

struct copy_args {
	void *const *dst;
	const void *const *src;
};

static bool copy_fill(struct migaccel_op *op, unsigned int i, const void *arg)
{
	const struct copy_args *a = arg;

	op->opcode = MIGACCEL_OP_COPY;
	op->src = (uintptr_t)a->src[i];
	op->dst = (uintptr_t)a->dst[i];
	return true;
}

static const struct migaccel_batch_ops copy_ops = {
	.fill = copy_fill,
	.done = migaccel__batch_no_result,
};

MIGACCEL_EXPORT int migaccel_copy(struct migaccel_channel *ch,
				  void *const *dst, const void *const *src,
				  unsigned int nr)
{
	struct copy_args a = { dst, src };
	unsigned int i;
	int ret;

	if (!ch)
		return -EINVAL;
	if (!nr)
		return 0;
	if (!dst || !src)
		return -EFAULT;
	for (i = 0; i < nr; i++) {
		ret = migaccel__check_pages(&src[i], 1);
		if (!ret)
			ret = migaccel__check_pages((const void *const *)&dst[i],
						    1);
		if (ret)
			return ret;
		if (src[i] == dst[i])
			return -EINVAL;	/* aligned pages overlap only so */
	}

	if (migaccel__use_kernel(ch, MIGACCEL_OP_COPY))
		return migaccel__batch_run(ch, nr, &copy_ops, &a);
	for (i = 0; i < nr; i++)
		memcpy(dst[i], src[i], MIGACCEL_PAGE_SIZE);
	return 0;
}

/* ---- CRC32C and CRC64 ---- */

struct crc_args {
	const void *const *pages;
	const uint32_t *seeds;
	void *crcs;
};

static bool crc32c_fill(struct migaccel_op *op, unsigned int i,
			const void *arg)
{
	const struct crc_args *a = arg;

	op->opcode = MIGACCEL_OP_CRC32C;
	op->src = (uintptr_t)a->pages[i];
	op->seed = a->seeds ? a->seeds[i] : 0;
	return true;
}

static int crc32c_done(const struct migaccel_op *op, unsigned int i,
		       void *arg)
{
	struct crc_args *a = arg;

	if (op->out_result > UINT32_MAX)
		return -EIO;
	((uint32_t *)a->crcs)[i] = (uint32_t)op->out_result;
	return 0;
}

static const struct migaccel_batch_ops crc32c_ops = {
	.fill = crc32c_fill,
	.done = crc32c_done,
};

static bool crc64_fill(struct migaccel_op *op, unsigned int i,
		       const void *arg)
{
	const struct crc_args *a = arg;

	op->opcode = MIGACCEL_OP_CRC64;
	op->src = (uintptr_t)a->pages[i];
	return true;
}

static int crc64_done(const struct migaccel_op *op, unsigned int i,
		      void *arg)
{
	struct crc_args *a = arg;

	((uint64_t *)a->crcs)[i] = op->out_result;
	return 0;
}

static const struct migaccel_batch_ops crc64_ops = {
	.fill = crc64_fill,
	.done = crc64_done,
};

static int crc_check(const struct migaccel_channel *ch,
		     const void *const *pages, unsigned int nr,
		     const void *crcs)
{
	if (!ch)
		return -EINVAL;
	if (!nr)
		return 0;
	if (!pages || !crcs)
		return -EFAULT;
	return migaccel__check_pages(pages, nr);
}

MIGACCEL_EXPORT int migaccel_crc32c(struct migaccel_channel *ch,
				    const void *const *pages,
				    const uint32_t *seeds, unsigned int nr,
				    uint32_t *crcs)
{
	struct crc_args a = { pages, seeds, crcs };
	unsigned int i;
	int ret;

	ret = crc_check(ch, pages, nr, crcs);
	if (ret || !nr)
		return ret;

	if (migaccel__use_kernel(ch, MIGACCEL_OP_CRC32C))
		return migaccel__batch_run(ch, nr, &crc32c_ops, &a);
	for (i = 0; i < nr; i++)
		crcs[i] = migaccel__crc32c(seeds ? seeds[i] : 0, pages[i],
					   MIGACCEL_PAGE_SIZE);
	return 0;
}

MIGACCEL_EXPORT int migaccel_crc64(struct migaccel_channel *ch,
				   const void *const *pages, unsigned int nr,
				   uint64_t *crcs)
{
	struct crc_args a = { pages, NULL, crcs };
	unsigned int i;
	int ret;

	ret = crc_check(ch, pages, nr, crcs);
	if (ret || !nr)
		return ret;

	if (migaccel__use_kernel(ch, MIGACCEL_OP_CRC64))
		return migaccel__batch_run(ch, nr, &crc64_ops, &a);
	for (i = 0; i < nr; i++)
		crcs[i] = migaccel__crc64(pages[i], MIGACCEL_PAGE_SIZE);
	return 0;
}
