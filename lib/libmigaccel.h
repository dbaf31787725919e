/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libmigaccel: the per-page work of live migration (zero-page detection,
 * copy, CRC32C, CRC64, delta records, per-page deflate) offloaded to Intel
 * DSA/IAA through /dev/migaccel when the migaccel module is loaded, done
 * on the CPU with the same results when it is not.  Compressed pages are
 * raw deflate with a 4 KiB window either way: each side inflates what the
 * other compressed, byte for byte the same page, though the compressed
 * bytes themselves may differ.
 *
 * The array functions take nr pages (or buffers) and run them in as few
 * kernel calls as the module allows.  Every valid element is processed
 * even when another one fails; the call then returns the error of the
 * first failing element, and leaves that element's outputs untouched.
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

/*
 * A size that does not fit: the page compresses to no fewer bytes than it
 * has, or its delta record or compressed form is larger than the buffer
 * given.  The caller sends the page itself.
 */
#define MIGACCEL_SIZE_RAW UINT32_MAX

/*
 * Size of one delta record entry, and the largest record of one page.
 * Spelt as in <linux/migaccel.h> so that both headers may be included.
 */
#define MIGACCEL_DELTA_ENTRY_SIZE 10
#define MIGACCEL_DELTA_MAX_SIZE \
	(MIGACCEL_PAGE_SIZE / 8u * MIGACCEL_DELTA_ENTRY_SIZE)

int migaccel_copy(struct migaccel_channel *ch, void *const *dst,
		  const void *const *src, unsigned int nr);
int migaccel_crc32c(struct migaccel_channel *ch, const void *const *pages,
		    const uint32_t *seeds, unsigned int nr, uint32_t *crcs);
int migaccel_crc64(struct migaccel_channel *ch, const void *const *pages,
		   unsigned int nr, uint64_t *crcs);
int migaccel_delta_create(struct migaccel_channel *ch,
			  const void *const *old_pages,
			  const void *const *new_pages, unsigned int nr,
			  void *const *records, const uint32_t *capacities,
			  uint32_t *sizes);
int migaccel_delta_apply(struct migaccel_channel *ch, void *const *pages,
			 const void *const *records, const uint32_t *sizes,
			 unsigned int nr);
int migaccel_compress(struct migaccel_channel *ch, const void *const *pages,
		      unsigned int nr, void *const *out,
		      const uint32_t *capacities, uint32_t *sizes);
int migaccel_decompress(struct migaccel_channel *ch, const void *const *in,
			const uint32_t *in_sizes, unsigned int nr,
			void *const *pages);

#ifdef __cplusplus
}
#endif

#endif /* LIBMIGACCEL_H */
