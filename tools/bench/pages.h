/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Deterministic guest pages for the benchmarks: zero, text-like
 * (compressible about as well as a guest's text and code pages) and random
 * (incompressible).  Page i of a given seed is always the same bytes, so
 * that any thread can fill any part of the RAM and runs are comparable.
 */
#ifndef MIGACCEL_BENCH_PAGES_H
#define MIGACCEL_BENCH_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BENCH_PAGE 4096u

enum bench_page_kind {
	BENCH_ZERO,
	BENCH_TEXT,
	BENCH_RANDOM,
};

/* SplitMix64: one well-mixed 64-bit value per state step. */
static inline uint64_t bench_mix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* What page @index is, for percentages @zero and @text (the rest random). */
static inline enum bench_page_kind bench_page_kind(uint64_t seed,
						   uint64_t index,
						   unsigned int zero,
						   unsigned int text)
{
	uint64_t s = seed ^ (index * 0xd1342543de82ef95ull);
	unsigned int r = bench_mix64(&s) % 100;

	if (r < zero)
		return BENCH_ZERO;
	return r < zero + text ? BENCH_TEXT : BENCH_RANDOM;
}

/*
 * Words of a made-up log and source text; picked at random they give
 * deflate level 1 a ratio of about 2 to 3 on a 4 KiB page.
 */
static const char *const bench_words[] = {
	"the", "of", "and", "to", "in", "is", "that", "for", "it", "with",
	"as", "was", "on", "be", "at", "by", "this", "had", "not", "are",
	"but", "from", "or", "have", "an", "they", "which", "one", "you",
	"were", "all", "we", "when", "there", "can", "been", "if", "more",
	"static", "int", "return", "struct", "unsigned", "const", "void",
	"page", "memory", "migration", "channel", "packet", "kernel",
	"device", "queue", "completion", "descriptor", "buffer", "error",
	"0x7f3a", "1024", "4096", "=", "{", "}", "();",
};

/* Fill @page with the contents of page @index of @kind. */
static inline void bench_fill_page(void *page, uint64_t seed, uint64_t index,
				   enum bench_page_kind kind)
{
	uint64_t s = seed * 0x2545f4914f6cdd1dull + index;
	unsigned char *p = page;
	size_t i = 0;

	switch (kind) {
	case BENCH_ZERO:
		memset(page, 0, BENCH_PAGE);
		break;
	case BENCH_RANDOM:
		for (i = 0; i < BENCH_PAGE; i += 8) {
			uint64_t v = bench_mix64(&s);

			memcpy(p + i, &v, 8);
		}
		break;
	case BENCH_TEXT:
		while (i < BENCH_PAGE) {
			uint64_t r = bench_mix64(&s);
			const char *w = bench_words[r % (sizeof(bench_words) /
							 sizeof(bench_words[0]))];
			size_t n = strlen(w);

			if (n > BENCH_PAGE - i)
				n = BENCH_PAGE - i;
			memcpy(p + i, w, n);
			i += n;
			if (i < BENCH_PAGE)
				p[i++] = (r >> 32) % 12 ? ' ' : '\n';
		}
		break;
	}
}

#endif /* MIGACCEL_BENCH_PAGES_H */
