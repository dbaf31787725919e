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
 * the module allows: bounds the per-channel op array (64 bytes an op).
 */
#define MIGACCEL_LIB_MAX_BATCH_OPS 4096u

#define MIGACCEL_DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

struct migaccel_deflate;

struct migaccel_channel {
	enum migaccel_path path;
	int fd;				/* -1 on the CPU path */
	unsigned int max_batch_ops;	/* ops per MIGACCEL_BATCH, > 0 */
	uint64_t kernel_ops;		/* out_ops: 1 << opcode the module runs */
	struct migaccel_op *ops;	/* max_batch_ops entries, reused */
	unsigned int *op_index;		/* element of each entry of ops[] */
	uint64_t *batch_bitmap;		/* out_zero_bitmap of one batch */
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
};

/* syscall.c: the only file that talks to the kernel */
int migaccel__sys_open(const char *path, int flags);
int migaccel__sys_ioctl(int fd, unsigned long req, void *arg);
int migaccel__sys_close(int fd);

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

/* ops.c: CPU helpers on any buffer, for the library and its tests */
uint32_t migaccel__crc32c(uint32_t seed, const void *buf, size_t len);
uint64_t migaccel__crc64(const void *buf, size_t len);

/* migaccel.c */
int migaccel__check_pages(const void *const *pages, unsigned int nr);

/* Does @ch send @opcode to the module (else it runs on the CPU)? */
static inline bool migaccel__use_kernel(const struct migaccel_channel *ch,
					unsigned int opcode)
{
	return ch->path == MIGACCEL_PATH_KERNEL &&
	       (ch->kernel_ops & (1ULL << opcode));
}

/* deflate.c */
void migaccel__deflate_free(struct migaccel_deflate *d);

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
