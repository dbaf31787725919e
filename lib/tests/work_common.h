/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * A work object holding every operation type, checked against the
 * per-operation array functions of a CPU channel: shared by work_cpu (both
 * channels on the CPU path) and async_paths (the work object on the
 * kernel path).
 */
#ifndef MIGACCEL_TEST_WORK_COMMON_H
#define MIGACCEL_TEST_WORK_COMMON_H

#include "packet_common.h"

/* Pages a set; a work object of one set holds 8 operations a page. */
#define SET 32u

struct op_set {
	/* SET pages each */
	unsigned char *src, *src2, *dst, *buf, *rec, *back, *app, *wrec, *wz;
	void *psrc[SET], *psrc2[SET], *pdst[SET], *pbuf[SET], *prec[SET];
	void *pback[SET], *papp[SET], *pwrec[SET], *pwz[SET];
	const void *expect[SET];	/* what decompress must rebuild */
	bool raw[SET];			/* src does not compress on the CPU */
	unsigned char *spare;		/* a text page, for raw ones */
	uint32_t seeds[SET], caps[SET], recsz[SET], zsz[SET];
	int idx[SET][8];
};

static inline void op_set_init(struct op_set *s)
{
	unsigned int i;

	s->src = pages_alloc(SET);
	s->src2 = pages_alloc(SET);
	s->dst = pages_alloc(SET);
	s->buf = pages_alloc(SET);
	s->rec = pages_alloc(SET);
	s->back = pages_alloc(SET);
	s->app = pages_alloc(SET);
	s->spare = pages_alloc(1);
	s->wrec = pages_alloc(2 * SET);
	s->wz = pages_alloc(SET);
	for (i = 0; i < SET; i++) {
		s->papp[i] = s->app + (size_t)i * PAGE;
		s->pwrec[i] = s->wrec + (size_t)i * 2 * PAGE;
		s->pwz[i] = s->wz + (size_t)i * PAGE;
		s->psrc[i] = s->src + (size_t)i * PAGE;
		s->psrc2[i] = s->src2 + (size_t)i * PAGE;
		s->pdst[i] = s->dst + (size_t)i * PAGE;
		s->pbuf[i] = s->buf + (size_t)i * PAGE;
		s->prec[i] = s->rec + (size_t)i * PAGE;
		s->pback[i] = s->back + (size_t)i * PAGE;
	}
}

/*
 * New contents, and the streams and records the decompress and delta
 * apply operations consume, made by the CPU channel @ref.
 */
static inline bool op_set_fill(struct op_set *s, struct migaccel_channel *ref)
{
	unsigned int i;

	fill_kind(s->spare, K_TEXT);
	for (i = 0; i < SET; i++) {
		fill_kind(s->psrc[i], random_kind());
		apply_change(s->psrc2[i], s->psrc[i],
			     (enum change)(rng() % C_NR));
		s->seeds[i] = (uint32_t)rng();
		s->caps[i] = PAGE;
	}
	if (migaccel_compress(ref, (const void *const *)s->psrc, SET, s->pbuf,
			      s->caps, s->zsz) ||
	    migaccel_delta_create(ref, (const void *const *)s->psrc,
				  (const void *const *)s->psrc2, SET, s->prec,
				  s->caps, s->recsz))
		return false;
	for (i = 0; i < SET; i++) {
		s->expect[i] = s->psrc[i];
		s->raw[i] = s->zsz[i] == MIGACCEL_SIZE_RAW;
		/* A raw page is sent as is: decompress a text page instead. */
		if (s->zsz[i] == MIGACCEL_SIZE_RAW) {
			const void *sp = s->spare;

			if (migaccel_compress(ref, &sp, 1, &s->pbuf[i],
					      &s->caps[i], &s->zsz[i]) ||
			    s->zsz[i] == MIGACCEL_SIZE_RAW)
				return false;
			s->expect[i] = s->spare;
		}
		if (s->recsz[i] == MIGACCEL_SIZE_RAW) {
			s->recsz[i] = 0;
			memcpy(s->psrc2[i], s->psrc[i], PAGE);
		}
		/* Operations of a batch may run in any order: no chains. */
		memcpy(s->papp[i], s->psrc[i], PAGE);
	}
	return true;
}

/*
 * Fill @w with every operation on every page of @s, none depending on
 * another (a batch's operations may run in any order): zero scan, CRC32C,
 * CRC64, copy (to dst), delta create (to wrec) and compress (to wz) of
 * src; delta apply of the CPU's record to app, a copy of src; decompress
 * of the CPU's stream to back.  Operation k of page i is at i * 8 + k.
 */
static inline int op_set_add(struct op_set *s, struct migaccel_work *w)
{
	unsigned int i;

	for (i = 0; i < SET; i++) {
		s->idx[i][0] = migaccel_work_add_zero_scan(w, s->psrc[i]);
		s->idx[i][1] = migaccel_work_add_crc32c(w, s->psrc[i],
							s->seeds[i]);
		s->idx[i][2] = migaccel_work_add_crc64(w, s->psrc[i]);
		s->idx[i][3] = migaccel_work_add_copy(w, s->pdst[i],
						      s->psrc[i]);
		s->idx[i][4] = migaccel_work_add_delta_create(
			w, s->psrc[i], s->psrc2[i], s->pwrec[i], PAGE / 2);
		s->idx[i][5] = migaccel_work_add_compress(w, s->psrc[i],
							  s->pwz[i], PAGE);
		s->idx[i][6] = migaccel_work_add_decompress(w, s->pbuf[i],
							    s->zsz[i],
							    s->pback[i]);
		s->idx[i][7] = migaccel_work_add_delta_apply(
			w, s->papp[i], s->prec[i], s->recsz[i]);
	}
	for (i = 0; i < SET; i++) {
		unsigned int k;

		for (k = 0; k < 8; k++)
			if (s->idx[i][k] != (int)(i * 8 + k))
				return s->idx[i][k] < 0 ? s->idx[i][k] : -EIO;
	}
	return 0;
}

/* Did every operation of @w give what the CPU array functions give? */
static inline enum tap_result op_set_check(struct op_set *s,
					   struct migaccel_work *w,
					   struct migaccel_channel *ref)
{
	uint64_t bm[WORDS(SET)], c64[SET], value;
	uint32_t c32[SET];
	unsigned char page[PAGE];
	unsigned int i, k, flags;
	int status;

	TAP_CHECK(!migaccel_zero_scan(ref, s->psrc, SET, bm), "zero scan");
	TAP_CHECK(!migaccel_crc32c(ref, (const void *const *)s->psrc, s->seeds,
				   SET, c32), "crc32c");
	TAP_CHECK(!migaccel_crc64(ref, (const void *const *)s->psrc, SET, c64),
		  "crc64");
	for (i = 0; i < SET; i++) {
		for (k = 0; k < 8; k++) {
			TAP_CHECK(!migaccel_work_result(w, i * 8 + k, &status,
							&flags, &value),
				  "result %u/%u", i, k);
			TAP_CHECK(!status, "page %u op %u: status %d", i, k,
				  status);
		}
		migaccel_work_result(w, i * 8, NULL, NULL, &value);
		TAP_CHECK(value == (bm[i / 64] >> (i % 64) & 1),
			  "page %u: zero %llu", i, (unsigned long long)value);
		migaccel_work_result(w, i * 8 + 1, NULL, NULL, &value);
		TAP_CHECK(value == c32[i], "page %u: crc32c", i);
		migaccel_work_result(w, i * 8 + 2, NULL, NULL, &value);
		TAP_CHECK(value == c64[i], "page %u: crc64", i);
		TAP_CHECK(!memcmp(s->pdst[i], s->psrc[i], PAGE),
			  "page %u: copy", i);
		TAP_CHECK(!memcmp(s->papp[i], s->psrc2[i], PAGE),
			  "page %u: delta apply", i);
		migaccel_work_result(w, i * 8 + 4, NULL, NULL, &value);
		if (s->recsz[i] > PAGE / 2)
			TAP_CHECK(value == MIGACCEL_SIZE_RAW, "page %u: delta "
				  "of %u in %u", i, s->recsz[i], PAGE / 2);
		else
			TAP_CHECK(value == s->recsz[i] &&
				  !memcmp(s->pwrec[i], s->prec[i], s->recsz[i]),
				  "page %u: delta record", i);
		migaccel_work_result(w, i * 8 + 5, NULL, NULL, &value);
		if (value != MIGACCEL_SIZE_RAW)
			TAP_CHECK(value < PAGE &&
				  !zlib_inflate_page(s->pwz[i], (uint32_t)value,
						     page) &&
				  !memcmp(page, s->psrc[i], PAGE),
				  "page %u: compressed stream", i);
		else
			TAP_CHECK(s->raw[i] || s->zsz[i] > PAGE - 64,
				  "page %u: raw, but the CPU made %u bytes",
				  i, s->zsz[i]);
		TAP_CHECK(!memcmp(s->pback[i], s->expect[i], PAGE),
			  "page %u: decompress", i);
	}
	return TAP_PASS;
}

#endif /* MIGACCEL_TEST_WORK_COMMON_H */
