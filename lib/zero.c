// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Is a 4 KiB page all zero?  The CPU path of the zero scan and the public
 * migaccel_page_is_zero().
 *
 * Each variant ORs a block of vectors together and tests the block, so a
 * non-zero page usually costs one block; a zero page costs the whole page.
 * The variant is chosen once, on first use, from what the CPU and the OS
 * support; MIGACCEL_SIMD=sse2|avx2|avx512 picks a lower one for testing
 * and measurement (a variant the CPU lacks, or an unknown name, is ignored).
 * Loads are unaligned so that the public helper accepts any address.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MIGACCEL_X86 1
#endif

#if !defined(MIGACCEL_X86) || !defined(__SSE2__)
/* Portable baseline (also the i386 build without SSE2). */
static bool page_is_zero_words(const void *page)
{
	const unsigned char *p = page;
	size_t i, j;

	for (i = 0; i < MIGACCEL_PAGE_SIZE; i += 64) {
		uint64_t acc = 0, w;

		for (j = 0; j < 64; j += 8) {
			memcpy(&w, p + i + j, sizeof(w));
			acc |= w;
		}
		if (acc)
			return false;
	}
	return true;
}
#endif

#ifdef MIGACCEL_X86
#ifdef __SSE2__
static bool page_is_zero_sse2(const void *page)
{
	const __m128i *v = page;
	size_t i;

	/* 128 bytes a block */
	for (i = 0; i < MIGACCEL_PAGE_SIZE / 16; i += 8) {
		__m128i a = _mm_or_si128(_mm_loadu_si128(v + i),
					 _mm_loadu_si128(v + i + 1));
		__m128i b = _mm_or_si128(_mm_loadu_si128(v + i + 2),
					 _mm_loadu_si128(v + i + 3));
		__m128i c = _mm_or_si128(_mm_loadu_si128(v + i + 4),
					 _mm_loadu_si128(v + i + 5));
		__m128i d = _mm_or_si128(_mm_loadu_si128(v + i + 6),
					 _mm_loadu_si128(v + i + 7));
		__m128i acc = _mm_or_si128(_mm_or_si128(a, b),
					   _mm_or_si128(c, d));

		if (_mm_movemask_epi8(_mm_cmpeq_epi8(acc, _mm_setzero_si128()))
		    != 0xffff)
			return false;
	}
	return true;
}
#else
#define page_is_zero_sse2 page_is_zero_words
#endif

__attribute__((target("avx2")))
static bool page_is_zero_avx2(const void *page)
{
	const __m256i *v = page;
	size_t i;

	/* 128 bytes a block */
	for (i = 0; i < MIGACCEL_PAGE_SIZE / 32; i += 4) {
		__m256i acc = _mm256_or_si256(
			_mm256_or_si256(_mm256_loadu_si256(v + i),
					_mm256_loadu_si256(v + i + 1)),
			_mm256_or_si256(_mm256_loadu_si256(v + i + 2),
					_mm256_loadu_si256(v + i + 3)));

		if (!_mm256_testz_si256(acc, acc))
			return false;
	}
	return true;
}

__attribute__((target("avx512f")))
static bool page_is_zero_avx512(const void *page)
{
	const unsigned char *p = page;
	size_t i;

	/* 256 bytes a block */
	for (i = 0; i < MIGACCEL_PAGE_SIZE; i += 256) {
		__m512i acc = _mm512_or_si512(
			_mm512_or_si512(_mm512_loadu_si512(p + i),
					_mm512_loadu_si512(p + i + 64)),
			_mm512_or_si512(_mm512_loadu_si512(p + i + 128),
					_mm512_loadu_si512(p + i + 192)));

		if (_mm512_test_epi64_mask(acc, acc))
			return false;
	}
	return true;
}

static bool cpu_has(enum migaccel_simd simd)
{
	__builtin_cpu_init();
	switch (simd) {
	case MIGACCEL_SIMD_SSE2:
		return true;
	case MIGACCEL_SIMD_AVX2:
		return __builtin_cpu_supports("avx2");
	case MIGACCEL_SIMD_AVX512:
		return __builtin_cpu_supports("avx512f");
	default:
		return false;
	}
}
#else /* !MIGACCEL_X86 */
#define page_is_zero_sse2 page_is_zero_words
#define page_is_zero_avx2 page_is_zero_words
#define page_is_zero_avx512 page_is_zero_words

static bool cpu_has(enum migaccel_simd simd)
{
	return simd == MIGACCEL_SIMD_SSE2;
}
#endif

typedef bool (*page_is_zero_fn)(const void *page);

static const struct {
	const char *name;
	page_is_zero_fn fn;
} variants[MIGACCEL_SIMD_NR] = {
	[MIGACCEL_SIMD_SSE2] = { "sse2", page_is_zero_sse2 },
	[MIGACCEL_SIMD_AVX2] = { "avx2", page_is_zero_avx2 },
	[MIGACCEL_SIMD_AVX512] = { "avx512", page_is_zero_avx512 },
};

/*
 * The chosen variant, or -1 before the first use.  Choosing is idempotent,
 * so threads racing on the first use all store the same value.
 */
static int current_simd = -1;

bool migaccel__simd_supported(enum migaccel_simd simd)
{
	return (unsigned int)simd < MIGACCEL_SIMD_NR && cpu_has(simd);
}

static enum migaccel_simd simd_choose(void)
{
	const char *env = secure_getenv("MIGACCEL_SIMD");
	int simd;

	if (env) {
		for (simd = 0; simd < MIGACCEL_SIMD_NR; simd++)
			if (!strcmp(env, variants[simd].name) && cpu_has(simd))
				return simd;
	}
	for (simd = MIGACCEL_SIMD_NR - 1; simd > MIGACCEL_SIMD_SSE2; simd--)
		if (cpu_has(simd))
			return simd;
	return MIGACCEL_SIMD_SSE2;
}

enum migaccel_simd migaccel__simd_current(void)
{
	int simd = __atomic_load_n(&current_simd, __ATOMIC_RELAXED);

	if (simd < 0) {
		simd = simd_choose();
		__atomic_store_n(&current_simd, simd, __ATOMIC_RELAXED);
	}
	return simd;
}

int migaccel__simd_force(enum migaccel_simd simd)
{
	if (!migaccel__simd_supported(simd))
		return -EOPNOTSUPP;
	__atomic_store_n(&current_simd, simd, __ATOMIC_RELAXED);
	return 0;
}

const char *migaccel__simd_name(enum migaccel_simd simd)
{
	return (unsigned int)simd < MIGACCEL_SIMD_NR ? variants[simd].name : "?";
}

bool migaccel__page_is_zero(const void *page)
{
	return variants[migaccel__simd_current()].fn(page);
}

MIGACCEL_EXPORT int migaccel_page_is_zero(const void *page)
{
	if (!page)
		return -EINVAL;
	return migaccel__page_is_zero(page);
}
