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
 * the module allows: bounds the per-channel op array (48 bytes an op).
 */
#define MIGACCEL_LIB_MAX_BATCH_OPS 4096u

struct migaccel_channel {
	enum migaccel_path path;
	int fd;				/* -1 on the CPU path */
	unsigned int max_batch_ops;	/* ops per MIGACCEL_BATCH, > 0 */
	struct migaccel_op *ops;	/* max_batch_ops entries, reused */
	/*
	 * Kernel results land here first so that the caller's bitmap is
	 * untouched when a later chunk fails; grown to the largest call.
	 */
	uint64_t *scratch;
	size_t scratch_words;
};

/* syscall.c: the only file that talks to the kernel */
int migaccel__sys_open(const char *path, int flags);
int migaccel__sys_ioctl(int fd, unsigned long req, void *arg);
int migaccel__sys_close(int fd);

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
