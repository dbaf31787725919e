/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libmigaccel: zero-page detection (and later copy, CRC32C, deflate) for
 * live-migration threads, offloaded to Intel DSA/IAA through /dev/migaccel
 * when the migaccel module is loaded, done on the CPU with identical results
 * when it is not.
 *
 * Every function returns 0 (or a documented non-negative value) on success
 * and a negative errno value on failure.  None of them uses errno to report
 * an error.
 *
 * A channel is used by one thread at a time; different channels are
 * independent and may be used concurrently.  migaccel_page_is_zero() is
 * thread-safe.
 */
#ifndef LIBMIGACCEL_H
#define LIBMIGACCEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Size and alignment in bytes of every page the library works on. */
#define MIGACCEL_PAGE_SIZE 4096u

/* Flags of migaccel_channel_open(); at most one of them. */
#define MIGACCEL_OPEN_CPU	(1u << 0)	/* force the CPU path */
#define MIGACCEL_OPEN_KERNEL	(1u << 1)	/* require /dev/migaccel */

enum migaccel_path {
	MIGACCEL_PATH_CPU = 1,
	MIGACCEL_PATH_KERNEL = 2,
};

struct migaccel_channel;

int migaccel_channel_open(unsigned int flags, struct migaccel_channel **out);
void migaccel_channel_close(struct migaccel_channel *ch);
int migaccel_channel_path(const struct migaccel_channel *ch);

int migaccel_zero_scan(struct migaccel_channel *ch, void *const *pages,
		       unsigned int nr_pages, uint64_t *bitmap);

int migaccel_page_is_zero(const void *page);

#ifdef __cplusplus
}
#endif

#endif /* LIBMIGACCEL_H */
