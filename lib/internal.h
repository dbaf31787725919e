/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libmigaccel private header: nothing here is part of the ABI.  Functions
 * are hidden (-fvisibility=hidden); the test programs link the static
 * library and may call them.
 */
#ifndef LIBMIGACCEL_INTERNAL_H
#define LIBMIGACCEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/migaccel.h>

#include "libmigaccel.h"

#define MIGACCEL_EXPORT __attribute__((visibility("default")))

#define MIGACCEL_DEFAULT_DEVICE "/dev/migaccel"

/*
 * Most operations the library puts in one MIGACCEL_BATCH call, whatever
 * the module allows: bounds the per-channel op array (72 bytes an op).
 */
#define MIGACCEL_LIB_MAX_BATCH_OPS 4096u

/* Completions one MIGACCEL_REAP call collects. */
#define MIGACCEL_REAP_ENTRIES 64u

#define MIGACCEL_DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

struct migaccel_deflate;
struct migaccel_work;

/* A registered range [start, end) of the channel, sorted by start. */
struct migaccel_region {
	uintptr_t start;
	uintptr_t end;
	uint32_t id;			/* the module's, or the library's */
};

struct migaccel_channel {
	enum migaccel_path path;
	int fd;				/* -1 on the CPU path */
	unsigned int max_batch_ops;	/* ops per MIGACCEL_BATCH, > 0 */
	uint64_t kernel_ops;		/* out_ops: 1 << opcode the module runs */
	struct migaccel_op *ops;	/* max_batch_ops entries, reused */
	unsigned int *op_index;		/* element of each entry of ops[] */
	uint64_t *batch_bitmap;		/* out_zero_bitmap of one batch */
	uint64_t *zero_offs;		/* MIGACCEL_ZERO_SCAN's page list */
	bool no_zero_scan;		/* the module predates the call */
	/*
	 * Kernel results land here first so that the caller's bitmap is
	 * untouched when a later chunk fails; grown to the largest call.
	 */
	uint64_t *scratch;
	size_t scratch_words;
	/* Operations the module finished on the CPU (out_nr_cpu), for tests. */
	uint64_t nr_kernel_cpu;
	/*
	 * CPU path: deflate/inflate state and a page of output, allocated on
	 * the first compress or decompress and kept until close; and the
	 * delta record being built, allocated on the first delta create.
	 */
	struct migaccel_deflate *deflate;
	unsigned char *delta_buf;
	/*
	 * Registered ranges, sorted by start and never overlapping, so that
	 * a pointer has at most one region; ids the CPU path hands out.
	 */
	struct migaccel_region *regions;
	unsigned int nr_regions, regions_cap;
	/* Index of the region region_find() found last (may be stale). */
	unsigned int region_hint;
	uint32_t next_region_id;
	/* migaccel_packet_compress(): zero bitmap, grown to the largest. */
	uint64_t *packet_bitmap;
	size_t packet_words;
	/*
	 * Asynchronous work: submitted and not yet complete (kernel path), a
	 * doubly-linked list; complete and not yet reaped, a FIFO.
	 */
	struct migaccel_work *inflight;
	unsigned int nr_inflight_parts;	/* MIGACCEL_BATCH calls in flight */
	uint64_t next_seq;		/* user_data of the next one */
	struct migaccel_work *done_head, *done_tail;
	unsigned int nr_done;
	struct migaccel_completion *comps;	/* MIGACCEL_REAP entries */
	int evfd;	/* CPU path: readable while done_head; -1 until asked */
	int user_evfd;	/* CPU path: migaccel_channel_set_eventfd(), or -1 */
};

/* syscall.c: the only file that talks to the kernel */
int migaccel__sys_open(const char *path, int flags);
int migaccel__sys_ioctl(int fd, unsigned long req, void *arg);
int migaccel__sys_close(int fd);
int migaccel__sys_eventfd(unsigned int count);
int migaccel__sys_eventfd_signal(int fd);
int migaccel__sys_eventfd_drain(int fd);

/* batch.c: the kernel path of every operation */
struct migaccel_batch_ops {
	/*
	 * Fill @op (zeroed) for element @i; false: the element needs no
	 * kernel work and has succeeded.
	 */
	bool (*fill)(struct migaccel_op *op, unsigned int i, const void *arg);
	/*
	 * Element @i succeeded in the module: store its result.  Returns 0,
	 * or a negative errno when the result is impossible (the element
	 * then fails, its outputs untouched).
	 */
	int (*done)(const struct migaccel_op *op, unsigned int i, void *arg);
};

int migaccel__batch_run(struct migaccel_channel *ch, unsigned int nr,
			const struct migaccel_batch_ops *ops, void *arg);
int migaccel__batch_no_result(const struct migaccel_op *op, unsigned int i,
			      void *arg);
int migaccel__batch_check(const struct migaccel_op *ops, unsigned int n,
			  const uint64_t *bitmap, unsigned int nr_failed);
int migaccel__op_result(const struct migaccel_op *op, uint64_t *value);

/* region.c */
const struct migaccel_region *
migaccel__region_of_pages(struct migaccel_channel *ch, void *const *pages,
			  unsigned int nr);
void migaccel__region_translate(struct migaccel_channel *ch,
				struct migaccel_op *op);
void migaccel__regions_free(struct migaccel_channel *ch);

/* work.c */
void migaccel__works_release(struct migaccel_channel *ch);
bool migaccel__works_reach(const struct migaccel_channel *ch,
			   uintptr_t start, uintptr_t end);

/* ops.c: CPU helpers on any buffer, for the library and its tests */
uint32_t migaccel__crc32c(uint32_t seed, const void *buf, size_t len);
uint64_t migaccel__crc64(const void *buf, size_t len);

/* migaccel.c */
int migaccel__check_pages(const void *const *pages, unsigned int nr);
int migaccel__zero_scan_kernel(struct migaccel_channel *ch, void *const *pages,
			       unsigned int nr_pages, uint64_t *bitmap);

/* Does @ch send @opcode to the module (else it runs on the CPU)? */
static inline bool migaccel__use_kernel(const struct migaccel_channel *ch,
					unsigned int opcode)
{
	return ch->path == MIGACCEL_PATH_KERNEL &&
	       (ch->kernel_ops & (1ULL << opcode));
}

/* deflate.c */
void migaccel__deflate_free(struct migaccel_deflate *d);
int migaccel__compress_cpu(struct migaccel_channel *ch, const void *page,
			   void *out, uint32_t cap, uint32_t *size);
int migaccel__decompress_cpu(struct migaccel_channel *ch, const void *in,
			     uint32_t in_size, void *page);

/* delta.c */
int migaccel__delta_create_cpu(struct migaccel_channel *ch, const void *old,
			       const void *new_page, void *record,
			       uint32_t cap, uint32_t *size);
int migaccel__delta_apply_cpu(void *page, const void *record, uint32_t size);

/* zero.c */
enum migaccel_simd {
	MIGACCEL_SIMD_SSE2,
	MIGACCEL_SIMD_AVX2,
	MIGACCEL_SIMD_AVX512,
	MIGACCEL_SIMD_NR
};

bool migaccel__page_is_zero(const void *page);
bool migaccel__simd_supported(enum migaccel_simd simd);
int migaccel__simd_force(enum migaccel_simd simd);
enum migaccel_simd migaccel__simd_current(void);
const char *migaccel__simd_name(enum migaccel_simd simd);

#endif /* LIBMIGACCEL_INTERNAL_H */
