// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The kernel path against the CPU path for copy, CRC32C, CRC64, delta
 * records and deflate: the same pages of mixed kinds (zero, one byte,
 * random, text-like, repetitive) through a MIGACCEL_OPEN_KERNEL channel
 * and a MIGACCEL_OPEN_CPU channel must give equal CRCs, equal delta
 * records and equal copies, and each side's compressed pages must inflate
 * on the other side (and in zlib) to the original page.  Per-operation
 * throughput goes to '#' lines; nothing about timing is asserted.
 *
 * Needs /dev/migaccel (or MIGACCEL_DEVICE): without it every case fails;
 * it never skips.  MIGACCEL_EXPECT_CPU=1 states that the module is meant
 * to be absent (the host stage): the test then checks that the kernel path
 * does not open and compares two CPU channels, which checks the test and
 * measures the CPU path.
 *
 *   ops_paths [seed]
 *
 * MIGACCEL_OPS_PAGES: pages per operation (default 100000), run in arenas
 * of 1024 pages that are reused with small changes between rounds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "common.h"
#include "ops_common.h"

#define ARENA 1024u
#define DEFAULT_PAGES 100000u
/* Every this many rounds the arena is drawn afresh, else just touched. */
#define REFILL_EVERY 8u

static struct migaccel_channel *kch, *cch;
static int kch_err;
static bool expect_cpu;
static unsigned int nr_pages = DEFAULT_PAGES;

#define NEED_KERNEL()							\
	TAP_CHECK(kch, "no kernel channel: %s (is migaccel.ko loaded?)", \
		  strerror(-kch_err))

/* ---- the arena ---- */

struct arena {
	unsigned char *src, *src2, *kdst, *cdst;	/* ARENA pages each */
	unsigned char *kbuf, *cbuf;			/* 2 pages an entry */
	void *psrc[ARENA], *psrc2[ARENA], *pkdst[ARENA], *pcdst[ARENA];
	void *pkbuf[ARENA], *pcbuf[ARENA];
	uint32_t caps[ARENA], seeds[ARENA], ksizes[ARENA], csizes[ARENA];
	enum kind kinds[ARENA];
	unsigned int round;
};

static struct arena *arena_new(void)
{
	struct arena *ar = calloc(1, sizeof(*ar));
	unsigned int i;

	if (!ar)
		exit(2);
	ar->src = pages_alloc(ARENA);
	ar->src2 = pages_alloc(ARENA);
	ar->kdst = pages_alloc(ARENA);
	ar->cdst = pages_alloc(ARENA);
	ar->kbuf = pages_alloc(2 * ARENA);
	ar->cbuf = pages_alloc(2 * ARENA);
	for (i = 0; i < ARENA; i++) {
		ar->psrc[i] = ar->src + (size_t)i * PAGE;
		ar->psrc2[i] = ar->src2 + (size_t)i * PAGE;
		ar->pkdst[i] = ar->kdst + (size_t)i * PAGE;
		ar->pcdst[i] = ar->cdst + (size_t)i * PAGE;
		ar->pkbuf[i] = ar->kbuf + (size_t)i * 2 * PAGE;
		ar->pcbuf[i] = ar->cbuf + (size_t)i * 2 * PAGE;
	}
	return ar;
}

static void arena_free(struct arena *ar)
{
	pages_free(ar->src, ARENA);
	pages_free(ar->src2, ARENA);
	pages_free(ar->kdst, ARENA);
	pages_free(ar->cdst, ARENA);
	pages_free(ar->kbuf, 2 * ARENA);
	pages_free(ar->cbuf, 2 * ARENA);
	free(ar);
}

/*
 * The next round of source pages: drawn afresh every REFILL_EVERY rounds,
 * else each page changed a little in a way that keeps its kind, which is
 * much cheaper than drawing it again (the VM runs under emulation).
 */
static void arena_next(struct arena *ar)
{
	unsigned int i;

	for (i = 0; i < ARENA; i++) {
		unsigned char *p = ar->psrc[i];
		size_t off = rng() % PAGE;

		if (ar->round % REFILL_EVERY == 0) {
			ar->kinds[i] = random_kind();
			fill_kind(p, ar->kinds[i]);
			continue;
		}
		switch (ar->kinds[i]) {
		case K_ZERO:
			break;
		case K_ONE_BYTE:
			memset(p, 0, PAGE);
			p[off] = rng_nonzero_byte();
			break;
		case K_RANDOM:
			p[off] ^= rng_nonzero_byte();
			break;
		case K_TEXT:
			p[off] = (unsigned char)('a' + rng() % 26);
			break;
		case K_REPEAT:
			p[off] ^= rng_nonzero_byte();
			break;
		default:
			abort();
		}
	}
	ar->round++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct timing {
	double k, c;		/* seconds in the library, per path */
	uint64_t pages;
};

static void timing_report(const char *op, const struct timing *t)
{
	double mb = (double)t->pages * PAGE / 1e6;

	tap_diag("%s: %" PRIu64 " pages; %s path %.1f MB/s (%.2f s), CPU path "
		 "%.1f MB/s (%.2f s)", op, t->pages,
		 expect_cpu ? "second CPU" : "kernel",
		 t->k > 0 ? mb / t->k : 0.0, t->k,
		 t->c > 0 ? mb / t->c : 0.0, t->c);
}

/* Time @call into @acc; evaluates to its return value. */
#define TIMED(acc, call)						\
	({								\
		double t0_ = now();					\
		int r_ = (call);					\
		(acc) += now() - t0_;					\
		r_;							\
	})

/* ---- per-operation agreement ---- */

static enum tap_result t_paths_agree_copy(const void *arg)
{
	struct arena *ar = arena_new();
	struct timing t = { 0 };
	enum tap_result res = TAP_PASS;
	int kr, cr;

	(void)arg;
	NEED_KERNEL();
	while (t.pages < nr_pages && res == TAP_PASS) {
		arena_next(ar);
		memset(ar->kdst, 0x5a, (size_t)ARENA * PAGE);
		kr = TIMED(t.k, migaccel_copy(kch, ar->pkdst,
				(const void *const *)ar->psrc, ARENA));
		cr = TIMED(t.c, migaccel_copy(cch, ar->pcdst,
				(const void *const *)ar->psrc, ARENA));
		t.pages += ARENA;
		if (kr || cr) {
			tap_diag("kernel %d, CPU %d", kr, cr);
			res = TAP_FAIL;
		} else if (memcmp(ar->kdst, ar->src, (size_t)ARENA * PAGE) ||
			   memcmp(ar->cdst, ar->src, (size_t)ARENA * PAGE)) {
			tap_diag("round %u: a copy differs from its source",
				 ar->round);
			res = TAP_FAIL;
		}
	}
	timing_report("copy", &t);
	arena_free(ar);
	return res;
}

static enum tap_result t_paths_agree_crc32c(const void *arg)
{
	struct arena *ar = arena_new();
	static uint32_t kc[ARENA], cc[ARENA];
	struct timing t = { 0 };
	enum tap_result res = TAP_PASS;
	unsigned int i;
	int kr, cr;

	(void)arg;
	NEED_KERNEL();
	while (t.pages < nr_pages && res == TAP_PASS) {
		arena_next(ar);
		for (i = 0; i < ARENA; i++)
			ar->seeds[i] = i % 4 ? (uint32_t)rng() : 0;
		kr = TIMED(t.k, migaccel_crc32c(kch,
				(const void *const *)ar->psrc, ar->seeds,
				ARENA, kc));
		cr = TIMED(t.c, migaccel_crc32c(cch,
				(const void *const *)ar->psrc, ar->seeds,
				ARENA, cc));
		t.pages += ARENA;
		if (kr || cr) {
			tap_diag("kernel %d, CPU %d", kr, cr);
			res = TAP_FAIL;
		}
		for (i = 0; i < ARENA && res == TAP_PASS; i++) {
			if (kc[i] != cc[i]) {
				tap_diag("round %u page %u (%s, seed %#x): "
					 "kernel %#x, CPU %#x", ar->round, i,
					 kind_names[ar->kinds[i]], ar->seeds[i],
					 kc[i], cc[i]);
				res = TAP_FAIL;
			}
		}
	}
	timing_report("crc32c", &t);
	arena_free(ar);
	return res;
}

static enum tap_result t_paths_agree_crc64(const void *arg)
{
	struct arena *ar = arena_new();
	static uint64_t kc[ARENA], cc[ARENA];
	struct timing t = { 0 };
	enum tap_result res = TAP_PASS;
	unsigned int i;
	int kr, cr;

	(void)arg;
	NEED_KERNEL();
	while (t.pages < nr_pages && res == TAP_PASS) {
		arena_next(ar);
		kr = TIMED(t.k, migaccel_crc64(kch,
				(const void *const *)ar->psrc, ARENA, kc));
		cr = TIMED(t.c, migaccel_crc64(cch,
				(const void *const *)ar->psrc, ARENA, cc));
		t.pages += ARENA;
		if (kr || cr) {
			tap_diag("kernel %d, CPU %d", kr, cr);
			res = TAP_FAIL;
		}
		for (i = 0; i < ARENA && res == TAP_PASS; i++) {
			if (kc[i] != cc[i]) {
				tap_diag("round %u page %u (%s): kernel %#"
					 PRIx64 ", CPU %#" PRIx64, ar->round, i,
					 kind_names[ar->kinds[i]], kc[i], cc[i]);
				res = TAP_FAIL;
			}
		}
	}
	timing_report("crc64", &t);
	arena_free(ar);
	return res;
}

/*
 * Records of (old, new) pairs: equal sizes, equal bytes, the same raw
 * decisions (capacities are drawn so that some records do not fit); then
 * each path applies the other's records.
 */
static enum tap_result t_paths_agree_delta(const void *arg)
{
	struct arena *ar = arena_new();
	struct timing tc = { 0 }, ta = { 0 };
	enum tap_result res = TAP_PASS;
	unsigned int i;
	int kr, cr;

	(void)arg;
	NEED_KERNEL();
	while (tc.pages < nr_pages && res == TAP_PASS) {
		arena_next(ar);
		for (i = 0; i < ARENA; i++) {
			apply_change(ar->psrc2[i], ar->psrc[i],
				     (enum change)(rng() % C_NR));
			ar->caps[i] = i % 8 ? MIGACCEL_DELTA_MAX_SIZE :
				      10 + (uint32_t)(rng() % 400);
		}
		kr = TIMED(tc.k, migaccel_delta_create(kch,
				(const void *const *)ar->psrc,
				(const void *const *)ar->psrc2, ARENA,
				ar->pkbuf, ar->caps, ar->ksizes));
		cr = TIMED(tc.c, migaccel_delta_create(cch,
				(const void *const *)ar->psrc,
				(const void *const *)ar->psrc2, ARENA,
				ar->pcbuf, ar->caps, ar->csizes));
		tc.pages += ARENA;
		if (kr || cr) {
			tap_diag("create: kernel %d, CPU %d", kr, cr);
			res = TAP_FAIL;
			break;
		}
		for (i = 0; i < ARENA && res == TAP_PASS; i++) {
			if (ar->ksizes[i] != ar->csizes[i] ||
			    (ar->ksizes[i] != MIGACCEL_SIZE_RAW &&
			     memcmp(ar->pkbuf[i], ar->pcbuf[i], ar->ksizes[i]))) {
				tap_diag("round %u pair %u (%s, cap %u): kernel "
					 "size %u, CPU size %u", ar->round, i,
					 kind_names[ar->kinds[i]], ar->caps[i],
					 ar->ksizes[i], ar->csizes[i]);
				res = TAP_FAIL;
			}
			if (ar->ksizes[i] == MIGACCEL_SIZE_RAW)
				ar->ksizes[i] = ar->csizes[i] = 0;
		}
		if (res != TAP_PASS)
			break;
		/* Each path applies the other's records to the old pages. */
		memcpy(ar->kdst, ar->src, (size_t)ARENA * PAGE);
		memcpy(ar->cdst, ar->src, (size_t)ARENA * PAGE);
		kr = TIMED(ta.k, migaccel_delta_apply(kch, ar->pkdst,
				(const void *const *)ar->pcbuf, ar->csizes,
				ARENA));
		cr = TIMED(ta.c, migaccel_delta_apply(cch, ar->pcdst,
				(const void *const *)ar->pkbuf, ar->ksizes,
				ARENA));
		ta.pages += ARENA;
		if (kr || cr) {
			tap_diag("apply: kernel %d, CPU %d", kr, cr);
			res = TAP_FAIL;
			break;
		}
		for (i = 0; i < ARENA && res == TAP_PASS; i++) {
			/*
			 * Size 0: equal pages, or a raw pair that was not
			 * applied and keeps the old page.
			 */
			const void *want = ar->csizes[i] ? ar->psrc2[i] :
					   ar->psrc[i];

			if (memcmp(ar->pkdst[i], want, PAGE) ||
			    memcmp(ar->pcdst[i], want, PAGE)) {
				tap_diag("round %u pair %u: applied page differs",
					 ar->round, i);
				res = TAP_FAIL;
			}
		}
	}
	timing_report("delta_create", &tc);
	timing_report("delta_apply", &ta);
	arena_free(ar);
	return res;
}

/*
 * Each side compresses; the other side and zlib inflate what it made.
 * Raw decisions may differ (the compressors differ); each side's
 * non-raw output must be smaller than a page and read back exactly.
 */
static enum tap_result t_paths_agree_deflate(const void *arg)
{
	struct arena *ar = arena_new();
	struct timing tc = { 0 }, td = { 0 };
	enum tap_result res = TAP_PASS;
	unsigned char *page = pages_alloc(1);
	uint64_t kbytes = 0, cbytes = 0, kraw = 0, craw = 0, nz = 0;
	static const void *kin[ARENA], *cin[ARENA];
	static void *kout[ARENA], *cout[ARENA];
	static uint32_t kin_size[ARENA], cin_size[ARENA];
	static unsigned int korig[ARENA], corig[ARENA];
	unsigned int i, nk, nc;
	int kr, cr;

	(void)arg;
	NEED_KERNEL();
	for (i = 0; i < ARENA; i++)
		ar->caps[i] = 2 * PAGE;
	while (tc.pages < nr_pages && res == TAP_PASS) {
		arena_next(ar);
		kr = TIMED(tc.k, migaccel_compress(kch,
				(const void *const *)ar->psrc, ARENA,
				ar->pkbuf, ar->caps, ar->ksizes));
		cr = TIMED(tc.c, migaccel_compress(cch,
				(const void *const *)ar->psrc, ARENA,
				ar->pcbuf, ar->caps, ar->csizes));
		tc.pages += ARENA;
		if (kr || cr) {
			tap_diag("compress: kernel %d, CPU %d", kr, cr);
			res = TAP_FAIL;
			break;
		}
		/* Raw pages travel as themselves: only streams go back. */
		nk = nc = 0;
		for (i = 0; i < ARENA && res == TAP_PASS; i++) {
			if (ar->ksizes[i] == MIGACCEL_SIZE_RAW) {
				kraw++;
			} else {
				kbytes += ar->ksizes[i];
				if (zlib_inflate_page(ar->pkbuf[i],
						      ar->ksizes[i], page) ||
				    memcmp(page, ar->psrc[i], PAGE)) {
					tap_diag("round %u page %u (%s): zlib "
						 "cannot read the kernel's %u "
						 "bytes", ar->round, i,
						 kind_names[ar->kinds[i]],
						 ar->ksizes[i]);
					res = TAP_FAIL;
				}
				nz++;
				kin[nk] = ar->pkbuf[i];
				kin_size[nk] = ar->ksizes[i];
				kout[nk] = ar->pcdst[i];
				korig[nk++] = i;
			}
			if (ar->csizes[i] == MIGACCEL_SIZE_RAW) {
				craw++;
			} else {
				cbytes += ar->csizes[i];
				cin[nc] = ar->pcbuf[i];
				cin_size[nc] = ar->csizes[i];
				cout[nc] = ar->pkdst[i];
				corig[nc++] = i;
			}
		}
		if (res != TAP_PASS)
			break;
		memset(ar->kdst, 0x5a, (size_t)ARENA * PAGE);
		memset(ar->cdst, 0x5a, (size_t)ARENA * PAGE);
		/* the kernel inflates the CPU's pages, and the reverse */
		kr = TIMED(td.k, migaccel_decompress(kch, cin, cin_size, nc,
						     cout));
		cr = TIMED(td.c, migaccel_decompress(cch, kin, kin_size, nk,
						     kout));
		td.pages += nc;
		if (kr || cr) {
			tap_diag("decompress: kernel %d, CPU %d", kr, cr);
			res = TAP_FAIL;
			break;
		}
		for (i = 0; i < nc && res == TAP_PASS; i++) {
			if (memcmp(cout[i], ar->psrc[corig[i]], PAGE)) {
				tap_diag("round %u page %u (%s): the kernel "
					 "inflates the CPU's stream wrong",
					 ar->round, corig[i],
					 kind_names[ar->kinds[corig[i]]]);
				res = TAP_FAIL;
			}
		}
		for (i = 0; i < nk && res == TAP_PASS; i++) {
			if (memcmp(kout[i], ar->psrc[korig[i]], PAGE)) {
				tap_diag("round %u page %u (%s): the CPU "
					 "inflates the kernel's stream wrong",
					 ar->round, korig[i],
					 kind_names[ar->kinds[korig[i]]]);
				res = TAP_FAIL;
			}
		}
	}
	timing_report("compress", &tc);
	timing_report("decompress", &td);
	if (tc.pages)
		tap_diag("raw pages: kernel %" PRIu64 ", CPU %" PRIu64 " of %" PRIu64
			 "; compressed bytes: kernel %" PRIu64 ", CPU %" PRIu64
			 "; zlib read %" PRIu64 " kernel streams", kraw, craw,
			 tc.pages, kbytes, cbytes, nz);
	pages_free(page, 1);
	arena_free(ar);
	return res;
}

/* ---- per-element errors on both paths ---- */

/* A bad record in the middle: -EINVAL, that page untouched, others done. */
static enum tap_result t_delta_apply_bad_record_both_paths(const void *arg)
{
	struct migaccel_channel *chs[2] = { kch, cch };
	unsigned char *p = pages_alloc(6), recs[3][20];
	void *pages[3];
	const void *rp[3];
	uint32_t sizes[3] = { 20, 20, 20 };
	int c, i, ret;

	(void)arg;
	NEED_KERNEL();
	for (i = 0; i < 3; i++) {
		rp[i] = recs[i];
		pages[i] = p + i * PAGE;
		/* offsets 3 then 4, but 4 then 4 in the middle one */
		recs[i][0] = i == 1 ? 4 : 3;
		recs[i][1] = 0;
		memset(recs[i] + 2, 0xee, 8);
		recs[i][10] = 4;
		recs[i][11] = 0;
		memset(recs[i] + 12, 0xdd, 8);
	}
	for (c = 0; c < 2; c++) {
		fill_kind(p, K_TEXT);
		fill_kind(p + PAGE, K_TEXT);
		fill_kind(p + 2 * PAGE, K_TEXT);
		memcpy(p + 3 * PAGE, p, 3 * PAGE);
		ret = migaccel_delta_apply(chs[c], pages, rp, sizes, 3);
		TAP_CHECK(ret == -EINVAL, "%s path: ret %d", c ? "CPU" :
			  "kernel", ret);
		TAP_CHECK(!memcmp(p + PAGE, p + 4 * PAGE, PAGE),
			  "%s path: bad record's page written", c ? "CPU" :
			  "kernel");
		for (i = 0; i < 3; i += 2) {
			ref_delta_apply(p + (3 + i) * PAGE, recs[i], 20);
			TAP_CHECK(!memcmp(p + i * PAGE, p + (3 + i) * PAGE,
					  PAGE), "%s path: page %d",
				  c ? "CPU" : "kernel", i);
		}
	}
	pages_free(p, 6);
	return TAP_PASS;
}

/*
 * Truncated and bit-flipped streams: both paths give the same verdict,
 * -EBADMSG with the page untouched or the same page, but for the Huffman
 * code sets zlib refuses and ISA-L decodes (see ops_common.h).
 */
static enum tap_result t_decompress_corrupt_both_paths(const void *arg)
{
	unsigned char *p = pages_alloc(3), buf[PAGE], bad[PAGE];
	const void *pg = p, *in = bad;
	void *out = buf, *kd = p + PAGE, *cd = p + 2 * PAGE;
	uint32_t cap = PAGE, size = 0, len;
	unsigned int n, nr_lenient = 0, nr_ok = 0;
	const char *msg = NULL;
	int kr, cr;

	(void)arg;
	NEED_KERNEL();
	for (n = 0; n < 2000; n++) {
		if (n % 100 == 0) {
			fill_kind(p, n % 200 ? K_TEXT : K_REPEAT);
			cr = migaccel_compress(cch, &pg, 1, &out, &cap, &size);
			TAP_CHECK(cr == 0 && size < PAGE, "compress %d", cr);
		}
		memcpy(bad, buf, size);
		len = size;
		if (n % 2)
			len = 1 + (uint32_t)(rng() % (size - 1));
		else
			bad[rng() % size] ^= (unsigned char)(1u << rng() % 8);
		memset(p + PAGE, 0x5a, 2 * PAGE);
		kr = migaccel_decompress(kch, &in, &len, 1, &kd);
		cr = migaccel_decompress(cch, &in, &len, 1, &cd);
		if (kr != cr && cr == 0 &&
		    zlib_inflate_page_msg(bad, len, buf + 0, &msg) &&
		    zlib_refuses_code_set(msg)) {
			nr_lenient++;
			/* buf was overwritten only on success: not here */
			continue;
		}
		TAP_CHECK(kr == cr, "stream %u (%u bytes): kernel %d, CPU %d",
			  n, len, kr, cr);
		TAP_CHECK(kr == 0 || kr == -EBADMSG, "stream %u: %d", n, kr);
		TAP_CHECK(!memcmp(p + PAGE, p + 2 * PAGE, PAGE),
			  "stream %u: pages differ (%d)", n, kr);
		nr_ok += !kr;
	}
	tap_diag("%u corrupt streams: %u still valid; %u code sets that only "
		 "the kernel refuses", n, nr_ok, nr_lenient);
	pages_free(p, 3);
	return TAP_PASS;
}

/*
 * The module cannot pin one page: it refuses the whole batch before any
 * work, so the call fails with -EFAULT and writes nothing at all.
 */
static enum tap_result t_unmapped_page_refuses_the_batch(const void *arg)
{
	unsigned char *p = pages_alloc(4);
	static uint32_t crcs[3];
	const void *pages[3] = { p, p + PAGE, p + 2 * PAGE };
	int ret;

	(void)arg;
	NEED_KERNEL();
	if (expect_cpu) {
		pages_free(p, 4);
		tap_diag("CPU path only: an unmapped page would crash it");
		return TAP_PASS;
	}
	fill_kind(p, K_TEXT);
	fill_kind(p + 2 * PAGE, K_TEXT);
	munmap(p + PAGE, PAGE);
	crcs[0] = crcs[1] = crcs[2] = 0xa5a5a5a5;
	ret = migaccel_crc32c(kch, pages, NULL, 3, crcs);
	pages_free(p + 2 * PAGE, 2);
	munmap(p, PAGE);
	TAP_CHECK(ret == -EFAULT, "ret %d", ret);
	TAP_CHECK(crcs[0] == 0xa5a5a5a5 && crcs[1] == 0xa5a5a5a5 &&
		  crcs[2] == 0xa5a5a5a5, "a refused batch wrote results");
	return TAP_PASS;
}

/* ---- channel ---- */

static enum tap_result t_open_paths(const void *arg)
{
	uint64_t all = 0;
	int op;

	(void)arg;
	if (expect_cpu) {
		struct migaccel_channel *ch = NULL;
		int ret;

		TAP_CHECK(kch_err, "MIGACCEL_EXPECT_CPU=1 but the kernel path "
			  "opened");
		ret = migaccel_channel_open(0, &ch);
		TAP_CHECK(ret == 0, "open(0) = %d", ret);
		ret = migaccel_channel_path(ch);
		migaccel_channel_close(ch);
		TAP_CHECK(ret == MIGACCEL_PATH_CPU, "path %d", ret);
		tap_diag("MIGACCEL_EXPECT_CPU=1: no module (%s); comparing two "
			 "CPU channels", strerror(-kch_err));
		return TAP_PASS;
	}
	NEED_KERNEL();
	TAP_CHECK(migaccel_channel_path(kch) == MIGACCEL_PATH_KERNEL,
		  "path %d", migaccel_channel_path(kch));
	TAP_CHECK(migaccel_channel_path(cch) == MIGACCEL_PATH_CPU,
		  "path %d", migaccel_channel_path(cch));
	for (op = MIGACCEL_OP_ZERO_SCAN; op < MIGACCEL_OP_MAX; op++)
		all |= 1ULL << op;
	tap_diag("max_batch_ops %u, out_ops %#" PRIx64, kch->max_batch_ops,
		 kch->kernel_ops);
	TAP_CHECK((kch->kernel_ops & all) == all,
		  "the module lacks operations: out_ops %#" PRIx64,
		  kch->kernel_ops);
	return TAP_PASS;
}

static enum tap_result t_bad_call(const void *arg)
{
	NEED_KERNEL();
	return run_bad_case(kch, arg);
}

#define CASE(fn) { #fn, fn, NULL }

static const struct tap_case fixed_cases[] = {
	CASE(t_open_paths),
	CASE(t_paths_agree_copy),
	CASE(t_paths_agree_crc32c),
	CASE(t_paths_agree_crc64),
	CASE(t_paths_agree_delta),
	CASE(t_paths_agree_deflate),
	CASE(t_delta_apply_bad_record_both_paths),
	CASE(t_decompress_corrupt_both_paths),
	CASE(t_unmapped_page_refuses_the_batch),
};

#define NR_FIXED (sizeof(fixed_cases) / sizeof(fixed_cases[0]))

int main(int argc, char **argv)
{
	static struct tap_case cases[NR_FIXED + NR_BAD_CASES];
	static char names[NR_BAD_CASES][80];
	const char *env;
	unsigned int i, n = 0;
	uint64_t seed;
	double t0 = now();
	int ret;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)getpid();
	rng_seed(seed);
	ref_tables_init();
	unsetenv("MIGACCEL_PATH");
	env = getenv("MIGACCEL_EXPECT_CPU");
	expect_cpu = env && !strcmp(env, "1");
	env = getenv("MIGACCEL_OPS_PAGES");
	if (env && *env)
		nr_pages = (unsigned int)strtoul(env, NULL, 0);

	kch_err = migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &kch);
	if (kch_err)
		kch = NULL;
	if (migaccel_channel_open(MIGACCEL_OPEN_CPU, &cch)) {
		fprintf(stderr, "cannot open a CPU channel\n");
		return 2;
	}
	/* The host stage: the second side is a CPU channel too. */
	if (!kch && expect_cpu && migaccel_channel_open(MIGACCEL_OPEN_CPU,
							&kch)) {
		fprintf(stderr, "cannot open a second CPU channel\n");
		return 2;
	}

	for (i = 0; i < NR_FIXED; i++)
		cases[n++] = fixed_cases[i];
	for (i = 0; i < NR_BAD_CASES; i++) {
		bad_case_name(&bad_cases[i], names[i], sizeof(names[i]));
		cases[n++] = (struct tap_case){ names[i], t_bad_call,
						&bad_cases[i] };
	}

	tap_plan(n);
	tap_diag("seed %#" PRIx64 ", %u pages per operation", seed, nr_pages);
	if (!kch)
		tap_diag("MIGACCEL_OPEN_KERNEL: %s; this test needs the migaccel "
			 "module and fails without it (MIGACCEL_EXPECT_CPU=1: "
			 "on purpose)", strerror(-kch_err));
	ret = tap_run(cases, n);
	tap_diag("%.1f s; operations the module finished on the CPU: %" PRIu64,
		 now() - t0, kch ? kch->nr_kernel_cpu : 0);
	migaccel_channel_close(cch);
	migaccel_channel_close(kch);
	return ret;
}
