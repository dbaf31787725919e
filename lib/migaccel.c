// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Channels and the zero scan.
 *
 * A channel runs on one of two paths, fixed when it is opened: the kernel
 * path batches operations through MIGACCEL_BATCH on /dev/migaccel, the CPU
 * path does the same work here.  Both produce the same bitmap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define BITS_PER_WORD 64u

enum open_mode {
	MODE_AUTO,
	MODE_CPU,
	MODE_KERNEL,
};

static int mode_from_flags(unsigned int flags, enum open_mode *mode)
{
	const char *env;

	if (flags & ~(MIGACCEL_OPEN_CPU | MIGACCEL_OPEN_KERNEL))
		return -EINVAL;
	if (flags == (MIGACCEL_OPEN_CPU | MIGACCEL_OPEN_KERNEL))
		return -EINVAL;
	if (flags & MIGACCEL_OPEN_CPU) {
		*mode = MODE_CPU;
		return 0;
	}
	if (flags & MIGACCEL_OPEN_KERNEL) {
		*mode = MODE_KERNEL;
		return 0;
	}

	env = secure_getenv("MIGACCEL_PATH");
	if (!env || !*env)
		*mode = MODE_AUTO;
	else if (!strcmp(env, "cpu"))
		*mode = MODE_CPU;
	else if (!strcmp(env, "kernel"))
		*mode = MODE_KERNEL;
	else
		return -EINVAL;
	return 0;
}

/*
 * Open the device and check that it can run zero scans on 4 KiB pages.
 * Returns the descriptor, or a negative errno with nothing left open.
 */
static int kernel_probe(unsigned int *max_batch_ops)
{
	const char *path = secure_getenv("MIGACCEL_DEVICE");
	struct migaccel_info info;
	int fd, ret;

	if (!path || !*path)
		path = MIGACCEL_DEFAULT_DEVICE;
	fd = migaccel__sys_open(path, O_RDWR);
	if (fd < 0)
		return fd;

	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	ret = migaccel__sys_ioctl(fd, MIGACCEL_INFO, &info);
	if (ret < 0)
		goto err_close;

	if (info.out_api_version != MIGACCEL_API_VERSION ||
	    info.out_max_batch_ops == 0) {
		ret = -ENODEV;
		goto err_close;
	}
	if (!(info.out_ops & (1ULL << MIGACCEL_OP_ZERO_SCAN)) ||
	    info.out_page_size != MIGACCEL_PAGE_SIZE) {
		ret = -EOPNOTSUPP;
		goto err_close;
	}

	*max_batch_ops = info.out_max_batch_ops;
	if (*max_batch_ops > MIGACCEL_LIB_MAX_BATCH_OPS)
		*max_batch_ops = MIGACCEL_LIB_MAX_BATCH_OPS;
	return fd;

err_close:
	migaccel__sys_close(fd);
	return ret;
}

static int scratch_reserve(struct migaccel_channel *ch, size_t words)
{
	uint64_t *scratch;

	if (words <= ch->scratch_words)
		return 0;
	scratch = realloc(ch->scratch, words * sizeof(*scratch));
	if (!scratch)
		return -ENOMEM;
	ch->scratch = scratch;
	ch->scratch_words = words;
	return 0;
}

MIGACCEL_EXPORT int migaccel_channel_open(unsigned int flags,
					  struct migaccel_channel **out)
{
	struct migaccel_channel *ch;
	unsigned int max_batch_ops = 0;
	enum open_mode mode;
	int fd = -1, ret;

	if (!out)
		return -EINVAL;
	ret = mode_from_flags(flags, &mode);
	if (ret)
		return ret;

	if (mode != MODE_CPU) {
		fd = kernel_probe(&max_batch_ops);
		if (fd < 0 && mode == MODE_KERNEL)
			return fd;
	}

	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		ret = -ENOMEM;
		goto err_close;
	}
	ch->fd = -1;
	ch->path = MIGACCEL_PATH_CPU;
	if (fd < 0)
		goto done;

	/* All the memory a batch needs, allocated once here and reused. */
	ch->ops = calloc(max_batch_ops, sizeof(*ch->ops));
	if (!ch->ops) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = scratch_reserve(ch, DIV_ROUND_UP(max_batch_ops, BITS_PER_WORD));
	if (ret)
		goto err_free;
	ch->fd = fd;
	ch->max_batch_ops = max_batch_ops;
	ch->path = MIGACCEL_PATH_KERNEL;
done:
	*out = ch;
	return 0;

err_free:
	free(ch->ops);
	free(ch);
err_close:
	if (fd >= 0)
		migaccel__sys_close(fd);
	return ret;
}

MIGACCEL_EXPORT void migaccel_channel_close(struct migaccel_channel *ch)
{
	if (!ch)
		return;
	if (ch->fd >= 0)
		migaccel__sys_close(ch->fd);
	free(ch->scratch);
	free(ch->ops);
	free(ch);
}

MIGACCEL_EXPORT int migaccel_channel_path(const struct migaccel_channel *ch)
{
	if (!ch)
		return -EINVAL;
	return ch->path;
}

/* Bits [0, n) set, for 1 <= n <= 64. */
static inline uint64_t low_mask(unsigned int n)
{
	return n >= BITS_PER_WORD ? ~0ULL : (1ULL << n) - 1;
}

static void zero_scan_cpu(void *const *pages, unsigned int nr_pages,
			  uint64_t *bitmap)
{
	unsigned int i;
	uint64_t bits = 0;

	for (i = 0; i < nr_pages; i++) {
		if (migaccel__page_is_zero(pages[i]))
			bits |= 1ULL << (i % BITS_PER_WORD);
		if (i % BITS_PER_WORD == BITS_PER_WORD - 1 || i == nr_pages - 1) {
			bitmap[i / BITS_PER_WORD] = bits;
			bits = 0;
		}
	}
}

/*
 * Run pages[start, start + n) as one MIGACCEL_BATCH and put the results in
 * ch->scratch at bit @start.  The module writes whole words, and need not
 * clear the bits past its last operation.  So it writes straight into the
 * scratch bitmap only when the chunk starts on a word and either fills its
 * last word or is the last chunk of the call (whose tail is masked later);
 * that is every chunk when the module accepts 64 operations or more, as
 * zero_scan_kernel() then cuts chunks in multiples of 64.  Otherwise the
 * chunk has fewer than 64 operations, the module writes one word here, and
 * it is merged in.  The scratch bits of this chunk must be zero on entry.
 */
static int zero_scan_chunk(struct migaccel_channel *ch, void *const *pages,
			   unsigned int start, unsigned int n, bool last)
{
	uint64_t *words = ch->scratch + start / BITS_PER_WORD;
	unsigned int off = start % BITS_PER_WORD;
	bool direct = !off && (n % BITS_PER_WORD == 0 || last);
	struct migaccel_batch batch;
	uint64_t tmp = 0, *out = direct ? words : &tmp;
	unsigned int i;
	int ret;

	memset(ch->ops, 0, (size_t)n * sizeof(*ch->ops));
	for (i = 0; i < n; i++) {
		ch->ops[i].opcode = MIGACCEL_OP_ZERO_SCAN;
		ch->ops[i].src = (uintptr_t)pages[start + i];
	}

	memset(&batch, 0, sizeof(batch));
	batch.size = sizeof(batch);
	batch.nr_ops = n;
	batch.op_size = sizeof(struct migaccel_op);
	batch.ops = (uintptr_t)ch->ops;
	batch.out_zero_bitmap = (uintptr_t)out;

	ret = migaccel__sys_ioctl(ch->fd, MIGACCEL_BATCH, &batch);
	if (ret < 0)
		return ret;

	if (batch.out_nr_failed) {
		for (i = 0; i < n; i++)
			if (ch->ops[i].out_status)
				return ch->ops[i].out_status < 0 ?
				       ch->ops[i].out_status : -EIO;
		return -EIO;	/* a count of failures but none to be found */
	}

	/*
	 * The bitmap and out_result state the same fact twice; a page wrongly
	 * called zero is lost from the migrated guest, so insist they agree,
	 * and that no operation failed behind out_nr_failed's back.
	 */
	for (i = 0; i < n; i++) {
		uint64_t bit = out[i / BITS_PER_WORD] >> (i % BITS_PER_WORD) & 1;

		if (bit != ch->ops[i].out_result || ch->ops[i].out_status)
			return -EIO;
	}

	if (!direct) {
		/* n < 64 here: the chunk size is below a word. */
		tmp &= low_mask(n);
		words[0] |= tmp << off;
		if (off + n > BITS_PER_WORD)
			words[1] |= tmp >> (BITS_PER_WORD - off);
	}
	return 0;
}

static int zero_scan_kernel(struct migaccel_channel *ch, void *const *pages,
			    unsigned int nr_pages, uint64_t *bitmap)
{
	size_t nr_words = DIV_ROUND_UP((size_t)nr_pages, BITS_PER_WORD);
	unsigned int chunk, start, n;
	int ret;

	ret = scratch_reserve(ch, nr_words);
	if (ret)
		return ret;
	memset(ch->scratch, 0, nr_words * sizeof(*ch->scratch));

	chunk = ch->max_batch_ops;
	if (chunk >= BITS_PER_WORD)
		chunk -= chunk % BITS_PER_WORD;

	for (start = 0; start < nr_pages; start += n) {
		n = nr_pages - start < chunk ? nr_pages - start : chunk;
		ret = zero_scan_chunk(ch, pages, start, n,
				      start + n == nr_pages);
		if (ret)
			return ret;
	}

	/* Clear what the module may have left past the last operation. */
	ch->scratch[nr_words - 1] &=
		low_mask(nr_pages - (unsigned int)(nr_words - 1) * BITS_PER_WORD);
	memcpy(bitmap, ch->scratch, nr_words * sizeof(*bitmap));
	return 0;
}

MIGACCEL_EXPORT int migaccel_zero_scan(struct migaccel_channel *ch,
				       void *const *pages,
				       unsigned int nr_pages, uint64_t *bitmap)
{
	unsigned int i;

	if (!ch)
		return -EINVAL;
	if (!nr_pages)
		return 0;
	if (!pages || !bitmap)
		return -EFAULT;

	/* Reject bad input before anything runs or anything is written. */
	for (i = 0; i < nr_pages; i++) {
		if (!pages[i])
			return -EFAULT;
		if ((uintptr_t)pages[i] % MIGACCEL_PAGE_SIZE)
			return -EINVAL;
	}

	if (ch->path == MIGACCEL_PATH_KERNEL)
		return zero_scan_kernel(ch, pages, nr_pages, bitmap);
	zero_scan_cpu(pages, nr_pages, bitmap);
	return 0;
}
