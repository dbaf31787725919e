/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Page mixes and the byte-loop reference shared by the libmigaccel tests.
 */
#ifndef MIGACCEL_TEST_COMMON_H
#define MIGACCEL_TEST_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "libmigaccel.h"

#define PAGE MIGACCEL_PAGE_SIZE
#define WORDS(nr) (((size_t)(nr) + 63) / 64)
#define BITMAP_POISON 0xa5a5a5a5a5a5a5a5ULL

/* How the pages of a mix are filled. */
enum mix {
	MIX_ZERO,		/* every page zero */
	MIX_FIRST_BYTE,		/* every page non-zero at offset 0 */
	MIX_MIDDLE_BYTE,	/* ... at offset 2048 */
	MIX_LAST_BYTE,		/* ... at offset 4095 */
	MIX_RANDOM_BYTE,	/* ... at a random offset, random value */
	MIX_RANDOM_DATA,	/* every page random bytes */
	MIX_EVERY_8TH,		/* every 8th page non-zero at a random offset */
	MIX_RANDOM,		/* each page any of the above */
	MIX_NR
};

static const char *const mix_names[MIX_NR] = {
	"zero", "first-byte", "middle-byte", "last-byte", "random-byte",
	"random-data", "every-8th", "random",
};

/* xorshift64*: reproducible from the seed printed by the tests */
/* per thread, so threads may draw numbers too */
static __thread uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static inline void rng_seed(uint64_t seed)
{
	rng_state = seed ? seed : 0x9e3779b97f4a7c15ULL;
}

static inline uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static inline unsigned char rng_nonzero_byte(void)
{
	return (unsigned char)(rng() % 255 + 1);
}

/* Page-aligned, zero-filled, never NULL (exits on failure). */
static inline unsigned char *pages_alloc(size_t nr)
{
	void *p = mmap(NULL, (nr ? nr : 1) * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

static inline void pages_free(void *p, size_t nr)
{
	munmap(p, (nr ? nr : 1) * PAGE);
}

static inline void page_fill(unsigned char *page, enum mix mix, size_t index)
{
	size_t i;

	memset(page, 0, PAGE);
	if (mix == MIX_RANDOM)
		mix = (enum mix)(rng() % MIX_RANDOM);
	switch (mix) {
	case MIX_ZERO:
		break;
	case MIX_FIRST_BYTE:
		page[0] = rng_nonzero_byte();
		break;
	case MIX_MIDDLE_BYTE:
		page[PAGE / 2] = rng_nonzero_byte();
		break;
	case MIX_LAST_BYTE:
		page[PAGE - 1] = rng_nonzero_byte();
		break;
	case MIX_RANDOM_BYTE:
		page[rng() % PAGE] = rng_nonzero_byte();
		break;
	case MIX_RANDOM_DATA:
		for (i = 0; i < PAGE; i += 8) {
			uint64_t w = rng();

			memcpy(page + i, &w, 8);
		}
		page[rng() % PAGE] = rng_nonzero_byte();
		break;
	case MIX_EVERY_8TH:
		if (index % 8 == 7)
			page[rng() % PAGE] = rng_nonzero_byte();
		break;
	default:
		abort();
	}
}

/*
 * Fill @nr pages of @pool and point @pages at them in a shuffled order, so
 * that nothing can rely on pages[] being contiguous.
 */
static inline void mix_fill(unsigned char *pool, void **pages, size_t nr,
			    enum mix mix)
{
	size_t i;

	for (i = 0; i < nr; i++) {
		page_fill(pool + i * PAGE, mix, i);
		pages[i] = pool + i * PAGE;
	}
	for (i = nr; i > 1; i--) {
		size_t j = rng() % i;
		void *t = pages[i - 1];

		pages[i - 1] = pages[j];
		pages[j] = t;
	}
}

static inline bool ref_page_is_zero(const void *page)
{
	const unsigned char *p = page;
	size_t i;

	for (i = 0; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

/* The reference bitmap: bits past @nr zero. */
static inline void ref_zero_scan(void *const *pages, size_t nr, uint64_t *bm)
{
	size_t i;

	memset(bm, 0, WORDS(nr) * sizeof(*bm));
	for (i = 0; i < nr; i++)
		if (ref_page_is_zero(pages[i]))
			bm[i / 64] |= 1ULL << (i % 64);
}

static inline void bitmap_poison(uint64_t *bm, size_t words)
{
	size_t i;

	for (i = 0; i < words; i++)
		bm[i] = BITMAP_POISON;
}

/* First differing page, or -1. */
static inline long bitmap_diff(const uint64_t *a, const uint64_t *b,
			       size_t words)
{
	size_t i;

	for (i = 0; i < words; i++)
		if (a[i] != b[i])
			return (long)(i * 64 + __builtin_ctzll(a[i] ^ b[i]));
	return -1;
}

#endif /* MIGACCEL_TEST_COMMON_H */
