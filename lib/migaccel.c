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

#define DIV_ROUND_UP MIGACCEL_DIV_ROUND_UP
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
 * Open the device and check that it speaks this API on 4 KiB pages.
 * Returns the descriptor, or a negative errno with nothing left open;
 * *engines is the module's &enum migaccel_engine_mask.
 */
static int kernel_probe(unsigned int *max_batch_ops, uint64_t *kernel_ops,
			uint32_t *engines)
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

	*kernel_ops = info.out_ops;
	*engines = info.out_engines;
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
	uint64_t kernel_ops = 0;
	uint32_t engines = 0;
	enum open_mode mode;
	int fd = -1, ret;

	if (!out)
		return -EINVAL;
	ret = mode_from_flags(flags, &mode);
	if (ret)
		return ret;

	if (mode != MODE_CPU) {
		fd = kernel_probe(&max_batch_ops, &kernel_ops, &engines);
		if (fd < 0 && mode == MODE_KERNEL)
			return fd;
	}
	/*
	 * Without a device the module runs everything on its soft engine:
	 * the same work on the same CPU, plus the round trip.  Only a caller
	 * who asks for the kernel path gets it then.
	 */
	if (fd >= 0 && mode == MODE_AUTO &&
	    !(engines & (MIGACCEL_ENGINE_DSA | MIGACCEL_ENGINE_IAA))) {
		migaccel__sys_close(fd);
		fd = -1;
	}

	ch = calloc(1, sizeof(*ch));
	if (!ch) {
		ret = -ENOMEM;
		goto err_close;
	}
	ch->fd = -1;
	ch->evfd = -1;
	ch->user_evfd = -1;
	ch->path = MIGACCEL_PATH_CPU;
	if (fd < 0)
		goto done;

	/* All the memory a batch needs, allocated once here and reused. */
	ch->ops = calloc(max_batch_ops, sizeof(*ch->ops));
	ch->op_index = calloc(max_batch_ops, sizeof(*ch->op_index));
	ch->batch_bitmap = calloc(DIV_ROUND_UP(max_batch_ops, BITS_PER_WORD),
				  sizeof(*ch->batch_bitmap));
	ch->zero_offs = calloc(max_batch_ops, sizeof(*ch->zero_offs));
	ch->comps = calloc(MIGACCEL_REAP_ENTRIES, sizeof(*ch->comps));
	if (!ch->ops || !ch->op_index || !ch->batch_bitmap || !ch->zero_offs ||
	    !ch->comps) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = scratch_reserve(ch, DIV_ROUND_UP(max_batch_ops, BITS_PER_WORD));
	if (ret)
		goto err_free;
	ch->fd = fd;
	ch->max_batch_ops = max_batch_ops;
	ch->kernel_ops = kernel_ops;
	ch->path = MIGACCEL_PATH_KERNEL;
done:
	*out = ch;
	return 0;

err_free:
	free(ch->comps);
	free(ch->scratch);
	free(ch->zero_offs);
	free(ch->batch_bitmap);
	free(ch->op_index);
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
	/* The module drains and releases what the channel has in flight. */
	if (ch->fd >= 0)
		migaccel__sys_close(ch->fd);
	if (ch->evfd >= 0)
		migaccel__sys_close(ch->evfd);
	migaccel__works_release(ch);
	migaccel__regions_free(ch);
	free(ch->packet_bitmap);
	free(ch->comps);
	migaccel__deflate_free(ch->deflate);
	free(ch->delta_buf);
	free(ch->scratch);
	free(ch->zero_offs);
	free(ch->batch_bitmap);
	free(ch->op_index);
	free(ch->ops);
	free(ch);
}

MIGACCEL_EXPORT int migaccel_channel_path(const struct migaccel_channel *ch)
{
	if (!ch)
		return -EINVAL;
	return ch->path;
}

struct zero_scan_args {
	void *const *pages;
	uint64_t *bits;
};

static bool zero_scan_fill(struct migaccel_op *op, unsigned int i,
			   const void *arg)
{
	const struct zero_scan_args *a = arg;

	op->opcode = MIGACCEL_OP_ZERO_SCAN;
	op->src = (uintptr_t)a->pages[i];
	return true;
}

static int zero_scan_done(const struct migaccel_op *op, unsigned int i,
			  void *arg)
{
	struct zero_scan_args *a = arg;

	if (op->out_result)
		a->bits[i / BITS_PER_WORD] |= 1ULL << (i % BITS_PER_WORD);
	return 0;
}

static const struct migaccel_batch_ops zero_scan_ops = {
	.fill = zero_scan_fill,
	.done = zero_scan_done,
};

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
 * Pages that all lie in one registered region go to MIGACCEL_ZERO_SCAN:
 * 8 bytes per page to the module and the bitmap back, which @bits (all
 * 0) receives a whole number of words at a time.  Returns 1, with @bits
 * untouched, when the pages are not in one region or the module predates
 * the call: MIGACCEL_BATCH does it then.
 */
static int zero_scan_region(struct migaccel_channel *ch, void *const *pages,
			    unsigned int nr_pages, uint64_t *bits)
{
	unsigned int step = ch->max_batch_ops / BITS_PER_WORD * BITS_PER_WORD;
	const struct migaccel_region *r;
	struct migaccel_zero_scan scan;
	unsigned int i, j, n;
	int ret;

	if (ch->no_zero_scan || !step)
		return 1;
	r = migaccel__region_of_pages(ch, pages, nr_pages);
	if (!r)
		return 1;
	for (i = 0; i < nr_pages; i += n) {
		uint64_t *w = bits + i / BITS_PER_WORD;
		size_t words;

		n = nr_pages - i < step ? nr_pages - i : step;
		words = DIV_ROUND_UP(n, BITS_PER_WORD);
		for (j = 0; j < n; j++)
			ch->zero_offs[j] = (uintptr_t)pages[i + j] - r->start;
		/* All ones: bits past the last page must read back 0. */
		memset(w, 0xff, words * sizeof(*w));
		memset(&scan, 0, sizeof(scan));
		scan.size = sizeof(scan);
		scan.nr_pages = n;
		scan.region = r->id;
		scan.pages = (uintptr_t)ch->zero_offs;
		scan.out_zero_bitmap = (uintptr_t)w;
		ret = migaccel__sys_ioctl(ch->fd, MIGACCEL_ZERO_SCAN, &scan);
		if (ret == -ENOTTY && !i) {
			memset(w, 0, words * sizeof(*w));
			ch->no_zero_scan = true;
			return 1;
		}
		if (ret < 0)
			return ret;
		if (n % BITS_PER_WORD && w[words - 1] >> (n % BITS_PER_WORD))
			return -EIO;
		ch->nr_kernel_cpu += scan.out_nr_cpu;
	}
	return 0;
}

/**
 * migaccel__zero_scan_kernel() - migaccel_zero_scan() on the kernel path
 * @ch: a kernel-path channel
 * @pages: @nr_pages checked page pointers
 * @nr_pages: at least 1
 * @bitmap: receives (@nr_pages + 63) / 64 words
 *
 * The results gather in ch->scratch, and reach @bitmap only when every
 * page was checked: on any failure @bitmap is untouched.
 *
 * Return: 0, or the error of the first call that failed.
 */
int migaccel__zero_scan_kernel(struct migaccel_channel *ch, void *const *pages,
			       unsigned int nr_pages, uint64_t *bitmap)
{
	size_t nr_words = DIV_ROUND_UP((size_t)nr_pages, BITS_PER_WORD);
	struct zero_scan_args a = { pages, NULL };
	int ret;

	ret = scratch_reserve(ch, nr_words);
	if (ret)
		return ret;
	memset(ch->scratch, 0, nr_words * sizeof(*ch->scratch));
	a.bits = ch->scratch;

	ret = zero_scan_region(ch, pages, nr_pages, ch->scratch);
	if (ret == 1)
		ret = migaccel__batch_run(ch, nr_pages, &zero_scan_ops, &a);
	if (ret)
		return ret;
	memcpy(bitmap, ch->scratch, nr_words * sizeof(*bitmap));
	return 0;
}

int migaccel__check_pages(const void *const *pages, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (!pages[i])
			return -EFAULT;
		if ((uintptr_t)pages[i] % MIGACCEL_PAGE_SIZE)
			return -EINVAL;
	}
	return 0;
}

MIGACCEL_EXPORT int migaccel_zero_scan(struct migaccel_channel *ch,
				       void *const *pages,
				       unsigned int nr_pages, uint64_t *bitmap)
{
	int ret;

	if (!ch)
		return -EINVAL;
	if (!nr_pages)
		return 0;
	if (!pages || !bitmap)
		return -EFAULT;

	/* Reject bad input before anything runs or anything is written. */
	ret = migaccel__check_pages((const void *const *)pages, nr_pages);
	if (ret)
		return ret;

	if (ch->path == MIGACCEL_PATH_KERNEL)
		return migaccel__zero_scan_kernel(ch, pages, nr_pages, bitmap);
	zero_scan_cpu(pages, nr_pages, bitmap);
	return 0;
}
