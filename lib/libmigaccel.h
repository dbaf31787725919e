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

/*
 * Registered memory (0.3).  A range registered once is pinned by the
 * module for the channel's life; every later operation whose operands lie
 * in it is sent as (region, offset) and pins nothing.  The library
 * translates pointers itself: callers keep passing pointers.
 */
#define MIGACCEL_UNREGISTER_WAIT (1u << 0)	/* wait instead of -EBUSY */

int migaccel_region_register(struct migaccel_channel *ch, void *addr,
			     size_t len, uint32_t *id);
int migaccel_region_unregister(struct migaccel_channel *ch, uint32_t id,
			       unsigned int flags);

/*
 * Work objects (0.3): a list of typed operations, allocated once for up
 * to capacity operations and reused.  Run it (submit and wait), or submit
 * it and reap it later; several may be in flight on one channel.  The
 * add functions return the operation's index, or a negative errno
 * (-ENOSPC when the object is full).
 */
struct migaccel_work;

/* Largest capacity of a work object. */
#define MIGACCEL_WORK_MAX_OPS 65536u

/* Result flags of migaccel_work_result(). */
#define MIGACCEL_RESULT_CPU (1u << 0)	/* the module finished it on the CPU */

int migaccel_work_new(struct migaccel_channel *ch, unsigned int capacity,
		      struct migaccel_work **out);
void migaccel_work_free(struct migaccel_work *w);
int migaccel_work_reset(struct migaccel_work *w);

int migaccel_work_add_zero_scan(struct migaccel_work *w, const void *page);
int migaccel_work_add_copy(struct migaccel_work *w, void *dst,
			   const void *src);
int migaccel_work_add_crc32c(struct migaccel_work *w, const void *page,
			     uint32_t seed);
int migaccel_work_add_crc64(struct migaccel_work *w, const void *page);
int migaccel_work_add_delta_create(struct migaccel_work *w,
				   const void *old_page, const void *new_page,
				   void *record, uint32_t capacity);
int migaccel_work_add_delta_apply(struct migaccel_work *w, void *page,
				  const void *record, uint32_t size);
int migaccel_work_add_compress(struct migaccel_work *w, const void *page,
			       void *out, uint32_t capacity);
int migaccel_work_add_decompress(struct migaccel_work *w, const void *in,
				 uint32_t in_size, void *page);

int migaccel_work_result(const struct migaccel_work *w, unsigned int index,
			 int *status, unsigned int *flags, uint64_t *value);
int migaccel_work_run(struct migaccel_work *w);
int migaccel_work_submit(struct migaccel_work *w, uint64_t user_data);

/* A work object that migaccel_reap() returns. */
struct migaccel_done {
	struct migaccel_work *work;
	uint64_t user_data;		/* as given to migaccel_work_submit() */
	int32_t result;			/* as migaccel_work_run() returns */
	uint32_t nr_failed;		/* operations whose status is not 0 */
};

int migaccel_reap(struct migaccel_channel *ch, struct migaccel_done *out,
		  unsigned int nr, unsigned int min_complete, int timeout_ms);
int migaccel_channel_fd(struct migaccel_channel *ch);
int migaccel_channel_set_eventfd(struct migaccel_channel *ch, int fd);

/*
 * A packet (0.3): zero-scan nr pages and compress the non-zero ones in
 * one call.  Each page is reported in its migaccel_page_out.
 */
enum migaccel_page_kind {
	MIGACCEL_PAGE_ZERO = 1,		/* all zero: send nothing */
	MIGACCEL_PAGE_COMPRESSED = 2,	/* raw deflate at offset in out */
	MIGACCEL_PAGE_RAW = 3,		/* incompressible: send the page */
};

struct migaccel_page_out {
	uint32_t kind;			/* enum migaccel_page_kind */
	uint32_t length;		/* COMPRESSED: bytes; else 0 */
	uint64_t offset;		/* COMPRESSED: where in out; else 0 */
};

/* Most pages in one packet, and the out buffer a packet needs. */
#define MIGACCEL_PACKET_MAX_PAGES 65536u
#define MIGACCEL_PACKET_OUT_SIZE(nr) \
	((size_t)(nr) * (MIGACCEL_PAGE_SIZE - 1))

int migaccel_packet_compress(struct migaccel_channel *ch,
			     void *const *pages, unsigned int nr, void *out,
			     size_t out_capacity,
			     struct migaccel_page_out *res);

#ifdef __cplusplus
}
#endif

#endif /* LIBMIGACCEL_H */
