/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * What the operation tests share: page kinds, references written here
 * independently of the library (bitwise CRCs, a naive delta record, zlib
 * for deflate), and the table of malformed calls that must fail with a
 * given errno and write nothing, on either path.
 */
#ifndef MIGACCEL_TEST_OPS_COMMON_H
#define MIGACCEL_TEST_OPS_COMMON_H

#include <errno.h>
#include <zlib.h>

#include "common.h"
#include "tap.h"

/* ---- page kinds ---- */

enum kind {
	K_ZERO,		/* all zero */
	K_ONE_BYTE,	/* zero but for one random non-zero byte */
	K_RANDOM,	/* random bytes: does not compress */
	K_TEXT,		/* words and numbers, as in a guest's page cache */
	K_REPEAT,	/* a short pattern repeated */
	K_NR
};

static const char *const kind_names[K_NR] = {
	"zero", "one-byte", "random", "text", "repeat",
};

static const char *const text_words[] = {
	"the ", "page ", "migration ", "of ", "guest ", "memory ", "is ",
	"copied ", "while ", "running", ".\n", "a ", "dirty ", "bitmap ",
	"kernel ", "0x", "ffff", "8800 ", "error: ", "to ", "and ", "VM ",
};

static inline void fill_text(unsigned char *p)
{
	size_t n = 0;

	while (n < PAGE) {
		const char *w = text_words[rng() % (sizeof(text_words) /
						    sizeof(text_words[0]))];
		size_t len = strlen(w);

		if (rng() % 8 == 0) {	/* a number now and then */
			char num[24];

			len = (size_t)snprintf(num, sizeof(num), "%u ",
					       (unsigned int)(rng() % 100000));
			memcpy(p + n, num, len < PAGE - n ? len : PAGE - n);
		} else {
			memcpy(p + n, w, len < PAGE - n ? len : PAGE - n);
		}
		n += len;
	}
}

static inline void fill_kind(unsigned char *p, enum kind k)
{
	size_t i;

	switch (k) {
	case K_ZERO:
		memset(p, 0, PAGE);
		break;
	case K_ONE_BYTE:
		memset(p, 0, PAGE);
		p[rng() % PAGE] = rng_nonzero_byte();
		break;
	case K_RANDOM:
		for (i = 0; i < PAGE; i += 8) {
			uint64_t w = rng();

			memcpy(p + i, &w, 8);
		}
		break;
	case K_TEXT:
		fill_text(p);
		break;
	case K_REPEAT: {
		size_t period = 1 + rng() % 64;

		for (i = 0; i < period; i++)
			p[i] = (unsigned char)rng();
		for (i = period; i < PAGE; i++)
			p[i] = p[i - period];
		break;
	}
	default:
		abort();
	}
}

static inline enum kind random_kind(void)
{
	return (enum kind)(rng() % K_NR);
}

/* How a new page differs from the old one, for delta records. */
enum change {
	C_NONE,		/* equal */
	C_ONE_BYTE,	/* one byte */
	C_FEW,		/* up to 16 words */
	C_MANY,		/* about half the words */
	C_ALL,		/* every word */
	C_NR
};

static const char *const change_names[C_NR] = {
	"equal", "one-byte", "few-words", "many-words", "all-words",
};

static inline void apply_change(unsigned char *new_page,
				const unsigned char *old, enum change c)
{
	size_t i, n;

	memcpy(new_page, old, PAGE);
	switch (c) {
	case C_NONE:
		break;
	case C_ONE_BYTE:
		i = rng() % PAGE;
		new_page[i] = (unsigned char)(old[i] ^ rng_nonzero_byte());
		break;
	case C_FEW:
		for (n = 1 + rng() % 16; n; n--)
			new_page[rng() % PAGE] ^= rng_nonzero_byte();
		break;
	case C_MANY:
		for (i = 0; i < PAGE; i += 8)
			if (rng() & 1)
				new_page[i + rng() % 8] ^= rng_nonzero_byte();
		break;
	case C_ALL:
		for (i = 0; i < PAGE; i += 8)
			new_page[i + rng() % 8] ^= rng_nonzero_byte();
		break;
	default:
		abort();
	}
}

/* ---- references ---- */

/* RFC 3720 CRC32C, bit by bit: reflected polynomial 0x82F63B78. */
static inline uint32_t ref_crc32c_bits(uint32_t seed, const void *buf,
				       size_t len)
{
	const unsigned char *p = buf;
	uint32_t crc = ~seed;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = crc >> 1 ^ (crc & 1 ? 0x82F63B78u : 0);
	}
	return ~crc;
}

/* CRC-64/WE bit by bit: MSB first, init and xorout all ones. */
static inline uint64_t ref_crc64_bits(const void *buf, size_t len)
{
	const uint64_t poly = 0x42F0E1EBA9EA3693ULL;
	const unsigned char *p = buf;
	uint64_t crc = ~0ULL;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= (uint64_t)p[i] << 56;
		for (b = 0; b < 8; b++)
			crc = crc << 1 ^ (crc >> 63 ? poly : 0);
	}
	return ~crc;
}

/*
 * Byte-table forms of the same two, for bulk checks; the tables are built
 * from the bitwise definitions above, one byte at a time.
 */
static uint32_t ref_crc32c_table[256];
static uint64_t ref_crc64_table[256];

static inline void ref_tables_init(void)
{
	unsigned int i;
	int b;

	for (i = 0; i < 256; i++) {
		uint32_t c = i;
		uint64_t d = (uint64_t)i << 56;

		for (b = 0; b < 8; b++) {
			c = c >> 1 ^ (c & 1 ? 0x82F63B78u : 0);
			d = d << 1 ^ (d >> 63 ? 0x42F0E1EBA9EA3693ULL : 0);
		}
		ref_crc32c_table[i] = c;
		ref_crc64_table[i] = d;
	}
}

static inline uint32_t ref_crc32c(uint32_t seed, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t crc = ~seed;
	size_t i;

	for (i = 0; i < len; i++)
		crc = crc >> 8 ^ ref_crc32c_table[(crc ^ p[i]) & 0xff];
	return ~crc;
}

static inline uint64_t ref_crc64(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t crc = ~0ULL;
	size_t i;

	for (i = 0; i < len; i++)
		crc = crc << 8 ^ ref_crc64_table[(crc >> 56 ^ p[i]) & 0xff];
	return ~crc;
}

/* The delta record, byte by byte; returns its size (up to 5120). */
static inline uint32_t ref_delta_create(const unsigned char *old,
					const unsigned char *new_page,
					unsigned char *rec)
{
	uint32_t size = 0;
	unsigned int w;

	for (w = 0; w < PAGE / 8; w++) {
		if (!memcmp(old + w * 8, new_page + w * 8, 8))
			continue;
		rec[size] = (unsigned char)(w & 0xff);
		rec[size + 1] = (unsigned char)(w >> 8);
		memcpy(rec + size + 2, new_page + w * 8, 8);
		size += 10;
	}
	return size;
}

static inline void ref_delta_apply(unsigned char *page,
				   const unsigned char *rec, uint32_t size)
{
	uint32_t i;

	for (i = 0; i < size; i += 10)
		memcpy(page + (rec[i] | rec[i + 1] << 8) * 8, rec + i + 2, 8);
}

/*
 * zlib's raw inflate with a 4 KiB window: 0 if @in is a deflate stream
 * that ends with a final block and inflates to exactly one page (then in
 * @page), else -1.  A distance beyond 4096 fails here.
 */
static inline int zlib_inflate_page_msg(const void *in, uint32_t len,
					unsigned char *page, const char **msg)
{
	unsigned char out[2 * PAGE];
	z_stream zs;
	int ret;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -12) != Z_OK)
		return -1;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = sizeof(out);
	ret = inflate(&zs, Z_FINISH);
	if (msg)
		*msg = zs.msg;	/* static strings in zlib */
	inflateEnd(&zs);
	if (ret != Z_STREAM_END || zs.total_out != PAGE)
		return -1;
	memcpy(page, out, PAGE);
	return 0;
}

static inline int zlib_inflate_page(const void *in, uint32_t len,
				    unsigned char *page)
{
	return zlib_inflate_page_msg(in, len, page, NULL);
}

/*
 * zlib refuses Huffman code sets that are incomplete or oversubscribed;
 * ISA-L's inflate decodes them when the data never uses the missing
 * codes.  No deflater writes such a header, so the library accepts that
 * difference: this tells the tests which refusals it covers.
 */
static inline bool zlib_refuses_code_set(const char *msg)
{
	return msg && (!strcmp(msg, "invalid distances set") ||
		       !strcmp(msg, "invalid literal/lengths set") ||
		       !strcmp(msg, "invalid code lengths set"));
}

/* zlib's own raw deflate of @len bytes; returns the size. */
static inline uint32_t zlib_deflate_raw(const void *in, uint32_t len,
					unsigned char *out, uint32_t cap,
					int level, int final)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, -12, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	zs.next_in = (unsigned char *)in;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = cap;
	if (deflate(&zs, final ? Z_FINISH : Z_SYNC_FLUSH) ==
	    Z_STREAM_ERROR)
		abort();
	deflateEnd(&zs);
	return (uint32_t)zs.total_out;
}

/* ---- malformed calls ---- */

enum op_fn {
	F_COPY, F_CRC32C, F_CRC64, F_DELTA_CREATE, F_DELTA_APPLY,
	F_COMPRESS, F_DECOMPRESS, F_NR
};

static const char *const fn_names[F_NR] = {
	"copy", "crc32c", "crc64", "delta_create", "delta_apply",
	"compress", "decompress",
};

enum bad {
	B_NULL_CHANNEL,
	B_NULL_ARRAY,		/* argument array number .arg is NULL */
	B_NULL_ENTRY,		/* its last entry is NULL */
	B_MISALIGNED,		/* its last entry is 8 bytes past a page */
	B_MISALIGNED_END,	/* ... 4095 bytes past */
	B_CAP_ZERO,		/* last capacity 0 */
	B_CAP_BELOW_ENTRY,	/* last capacity 9 */
	B_SIZE_NOT_10,		/* last record size 15 */
	B_SIZE_TOO_BIG,		/* last record size 5130 */
	B_IN_SIZE_ZERO,		/* last compressed size 0 */
	B_IN_SIZE_TOO_BIG,	/* last compressed size 4097 */
	B_OVERLAP,		/* last copy has dst == src */
};

static const char *const bad_names[] = {
	"null_channel", "null_array", "null_entry", "misaligned",
	"misaligned_end", "capacity_0", "capacity_9", "size_15",
	"size_5130", "in_size_0", "in_size_4097", "overlap",
};

struct bad_case {
	enum op_fn fn;
	enum bad bad;
	int arg;
	int want;
};

#define BAD(fn, bad, arg, want) { fn, bad, arg, want }

/* t_<function>_<what>[_arg<n>]_<errno> */
static inline void bad_case_name(const struct bad_case *c, char *buf,
				 size_t len)
{
	char argn[16] = "";

	if (c->bad == B_NULL_ARRAY || c->bad == B_NULL_ENTRY ||
	    c->bad == B_MISALIGNED || c->bad == B_MISALIGNED_END)
		snprintf(argn, sizeof(argn), "_arg%d", c->arg);
	snprintf(buf, len, "t_%s_%s%s_%s", fn_names[c->fn], bad_names[c->bad],
		 argn, c->want == -EINVAL ? "einval" : "efault");
}

static const struct bad_case bad_cases[] = {
	BAD(F_COPY, B_NULL_CHANNEL, 0, -EINVAL),
	BAD(F_COPY, B_NULL_ARRAY, 0, -EFAULT),
	BAD(F_COPY, B_NULL_ARRAY, 1, -EFAULT),
	BAD(F_COPY, B_NULL_ENTRY, 0, -EFAULT),
	BAD(F_COPY, B_NULL_ENTRY, 1, -EFAULT),
	BAD(F_COPY, B_MISALIGNED, 0, -EINVAL),
	BAD(F_COPY, B_MISALIGNED, 1, -EINVAL),
	BAD(F_COPY, B_MISALIGNED_END, 1, -EINVAL),
	BAD(F_COPY, B_OVERLAP, 0, -EINVAL),
	BAD(F_CRC32C, B_NULL_CHANNEL, 0, -EINVAL),
	BAD(F_CRC32C, B_NULL_ARRAY, 0, -EFAULT),
	BAD(F_CRC32C, B_NULL_ARRAY, 2, -EFAULT),
	BAD(F_CRC32C, B_NULL_ENTRY, 0, -EFAULT),
	BAD(F_CRC32C, B_MISALIGNED, 0, -EINVAL),
	BAD(F_CRC32C, B_MISALIGNED_END, 0, -EINVAL),
	BAD(F_CRC64, B_NULL_CHANNEL, 0, -EINVAL),
	BAD(F_CRC64, B_NULL_ARRAY, 0, -EFAULT),
	BAD(F_CRC64, B_NULL_ARRAY, 1, -EFAULT),
	BAD(F_CRC64, B_NULL_ENTRY, 0, -EFAULT),
	BAD(F_CRC64, B_MISALIGNED, 0, -EINVAL),
	BAD(F_DELTA_CREATE, B_NULL_CHANNEL, 0, -EINVAL),
	BAD(F_DELTA_CREATE, B_NULL_ARRAY, 0, -EFAULT),
	BAD(F_DELTA_CREATE, B_NULL_ARRAY, 1, -EFAULT),
	BAD(F_DELTA_CREATE, B_NULL_ARRAY, 2, -EFAULT),
	BAD(F_DELTA_CREATE, B_NULL_ARRAY, 3, -EFAULT),
	BAD(F_DELTA_CREATE, B_NULL_ARRAY, 4, -EFAULT),
	BAD(F_DELTA_CREATE, B_NULL_ENTRY, 0, -EFAULT),
	BAD(F_DELTA_CREATE, B_NULL_ENTRY, 1, -EFAULT),
	BAD(F_DELTA_CREATE, B_NULL_ENTRY, 2, -EFAULT),
	BAD(F_DELTA_CREATE, B_MISALIGNED, 0, -EINVAL),
	BAD(F_DELTA_CREATE, B_MISALIGNED, 1, -EINVAL),
	BAD(F_DELTA_CREATE, B_CAP_ZERO, 0, -EINVAL),
	BAD(F_DELTA_CREATE, B_CAP_BELOW_ENTRY, 0, -EINVAL),
	BAD(F_DELTA_APPLY, B_NULL_CHANNEL, 0, -EINVAL),
	BAD(F_DELTA_APPLY, B_NULL_ARRAY, 0, -EFAULT),
	BAD(F_DELTA_APPLY, B_NULL_ARRAY, 1, -EFAULT),
	BAD(F_DELTA_APPLY, B_NULL_ARRAY, 2, -EFAULT),
	BAD(F_DELTA_APPLY, B_NULL_ENTRY, 0, -EFAULT),
	BAD(F_DELTA_APPLY, B_NULL_ENTRY, 1, -EFAULT),
	BAD(F_DELTA_APPLY, B_MISALIGNED, 0, -EINVAL),
	BAD(F_DELTA_APPLY, B_SIZE_NOT_10, 0, -EINVAL),
	BAD(F_DELTA_APPLY, B_SIZE_TOO_BIG, 0, -EINVAL),
	BAD(F_COMPRESS, B_NULL_CHANNEL, 0, -EINVAL),
	BAD(F_COMPRESS, B_NULL_ARRAY, 0, -EFAULT),
	BAD(F_COMPRESS, B_NULL_ARRAY, 1, -EFAULT),
	BAD(F_COMPRESS, B_NULL_ARRAY, 2, -EFAULT),
	BAD(F_COMPRESS, B_NULL_ARRAY, 3, -EFAULT),
	BAD(F_COMPRESS, B_NULL_ENTRY, 0, -EFAULT),
	BAD(F_COMPRESS, B_NULL_ENTRY, 1, -EFAULT),
	BAD(F_COMPRESS, B_MISALIGNED, 0, -EINVAL),
	BAD(F_COMPRESS, B_CAP_ZERO, 0, -EINVAL),
	BAD(F_DECOMPRESS, B_NULL_CHANNEL, 0, -EINVAL),
	BAD(F_DECOMPRESS, B_NULL_ARRAY, 0, -EFAULT),
	BAD(F_DECOMPRESS, B_NULL_ARRAY, 1, -EFAULT),
	BAD(F_DECOMPRESS, B_NULL_ARRAY, 2, -EFAULT),
	BAD(F_DECOMPRESS, B_NULL_ENTRY, 0, -EFAULT),
	BAD(F_DECOMPRESS, B_NULL_ENTRY, 2, -EFAULT),
	BAD(F_DECOMPRESS, B_MISALIGNED, 2, -EINVAL),
	BAD(F_DECOMPRESS, B_IN_SIZE_ZERO, 0, -EINVAL),
	BAD(F_DECOMPRESS, B_IN_SIZE_TOO_BIG, 0, -EINVAL),
};

#define NR_BAD_CASES (sizeof(bad_cases) / sizeof(bad_cases[0]))

/*
 * Everything a call may touch, in one mapping, so that "nothing written"
 * is one memcmp: NR_FX elements, each valid, the last one spoilt.
 */
#define NR_FX 5

struct fixture {
	unsigned char src[NR_FX][PAGE];
	unsigned char dst[NR_FX][PAGE];
	unsigned char buf[NR_FX][2 * PAGE];	/* records, compressed */
	uint32_t caps[NR_FX];
	uint32_t sizes[NR_FX];			/* outputs */
	uint32_t in_sizes[NR_FX];		/* inputs */
	uint32_t seeds[NR_FX];
	uint32_t crc32[NR_FX];
	uint64_t crc64[NR_FX];
};

/* Spoil the size fields of the last element, as @c says. */
static inline void spoil_sizes(struct fixture *fx, const struct bad_case *c)
{
	unsigned int last = NR_FX - 1;

	switch (c->bad) {
	case B_CAP_ZERO:
		fx->caps[last] = 0;
		break;
	case B_CAP_BELOW_ENTRY:
		fx->caps[last] = MIGACCEL_DELTA_ENTRY_SIZE - 1;
		break;
	case B_SIZE_NOT_10:
		fx->in_sizes[last] = 15;
		break;
	case B_SIZE_TOO_BIG:
		fx->in_sizes[last] = MIGACCEL_DELTA_MAX_SIZE + 10;
		break;
	case B_IN_SIZE_ZERO:
		fx->in_sizes[last] = 0;
		break;
	case B_IN_SIZE_TOO_BIG:
		fx->in_sizes[last] = PAGE + 1;
		break;
	default:
		break;
	}
}

/*
 * Call @c's function on @fx, with the pointer arguments spoilt as @c
 * says; c->arg numbers the arguments after the channel from 0.
 */
static inline int call_bad(struct migaccel_channel *ch, struct fixture *fx,
			   const struct bad_case *c)
{
	void *a_src[NR_FX], *a_dst[NR_FX], *a_buf[NR_FX], **arr[5] = { NULL };
	unsigned int i, last = NR_FX - 1;
	int nul = c->bad == B_NULL_ARRAY ? c->arg : -1;

#define ARG(k, v) (nul == (k) ? NULL : (v))
	for (i = 0; i < NR_FX; i++) {
		a_src[i] = fx->src[i];
		a_dst[i] = fx->dst[i];
		a_buf[i] = fx->buf[i];
	}
	/* The pointer arrays of each function, by argument number. */
	switch (c->fn) {
	case F_COPY:
		arr[0] = a_dst, arr[1] = a_src;
		break;
	case F_CRC32C:
	case F_CRC64:
		arr[0] = a_src;
		break;
	case F_DELTA_CREATE:
		arr[0] = a_src, arr[1] = a_dst, arr[2] = a_buf;
		break;
	case F_DELTA_APPLY:
		arr[0] = a_dst, arr[1] = a_buf;
		break;
	case F_COMPRESS:
		arr[0] = a_src, arr[1] = a_buf;
		break;
	case F_DECOMPRESS:
		arr[0] = a_buf, arr[2] = a_dst;
		break;
	default:
		abort();
	}

	switch (c->bad) {
	case B_NULL_CHANNEL:
		ch = NULL;
		break;
	case B_NULL_ENTRY:
		arr[c->arg][last] = NULL;
		break;
	case B_MISALIGNED:
		arr[c->arg][last] = (char *)arr[c->arg][last] + 8;
		break;
	case B_MISALIGNED_END:
		arr[c->arg][last] = (char *)arr[c->arg][last] + PAGE - 1;
		break;
	case B_OVERLAP:
		a_dst[last] = a_src[last];
		break;
	default:
		break;
	}

	switch (c->fn) {
	case F_COPY:
		return migaccel_copy(ch, ARG(0, a_dst),
				     ARG(1, (const void *const *)a_src), NR_FX);
	case F_CRC32C:
		return migaccel_crc32c(ch, ARG(0, (const void *const *)a_src),
				       ARG(1, fx->seeds), NR_FX,
				       ARG(2, fx->crc32));
	case F_CRC64:
		return migaccel_crc64(ch, ARG(0, (const void *const *)a_src),
				      NR_FX, ARG(1, fx->crc64));
	case F_DELTA_CREATE:
		return migaccel_delta_create(ch,
				ARG(0, (const void *const *)a_src),
				ARG(1, (const void *const *)a_dst), NR_FX,
				ARG(2, a_buf), ARG(3, fx->caps),
				ARG(4, fx->sizes));
	case F_DELTA_APPLY:
		return migaccel_delta_apply(ch, ARG(0, a_dst),
				ARG(1, (const void *const *)a_buf),
				ARG(2, fx->in_sizes), NR_FX);
	case F_COMPRESS:
		return migaccel_compress(ch, ARG(0, (const void *const *)a_src),
				NR_FX, ARG(1, a_buf), ARG(2, fx->caps),
				ARG(3, fx->sizes));
	case F_DECOMPRESS:
		return migaccel_decompress(ch,
				ARG(0, (const void *const *)a_buf),
				ARG(1, fx->in_sizes), NR_FX, ARG(2, a_dst));
	default:
		abort();
	}
#undef ARG
}

/* A fixture where every element of every function is valid. */
static inline struct fixture *fixture_new(const struct bad_case *c)
{
	struct fixture *fx = (struct fixture *)pages_alloc(
		(sizeof(struct fixture) + PAGE - 1) / PAGE);
	unsigned int i;

	for (i = 0; i < NR_FX; i++) {
		fill_kind(fx->src[i], K_TEXT);
		apply_change(fx->dst[i], fx->src[i], C_FEW);
		fx->caps[i] = sizeof(fx->buf[i]);
		fx->sizes[i] = 0xa5a5a5a5;
		fx->seeds[i] = (uint32_t)rng();
		fx->crc32[i] = 0xa5a5a5a5;
		fx->crc64[i] = BITMAP_POISON;
		if (c->fn == F_DELTA_APPLY)
			fx->in_sizes[i] = ref_delta_create(fx->src[i],
							   fx->dst[i],
							   fx->buf[i]);
		else if (c->fn == F_DECOMPRESS)
			fx->in_sizes[i] = zlib_deflate_raw(fx->src[i], PAGE,
							   fx->buf[i],
							   sizeof(fx->buf[i]),
							   6, 1);
		else
			fx->in_sizes[i] = 0;
	}
	return fx;
}

static inline void fixture_free(struct fixture *fx)
{
	pages_free(fx, (sizeof(struct fixture) + PAGE - 1) / PAGE);
}

/* The call fails with c->want and no byte of the fixture changes. */
static inline enum tap_result run_bad_case(struct migaccel_channel *ch,
					   const struct bad_case *c)
{
	struct fixture *fx = fixture_new(c), *before;
	size_t off;
	int ret;

	before = malloc(sizeof(*before));
	if (!before)
		exit(2);
	spoil_sizes(fx, c);
	memcpy(before, fx, sizeof(*fx));
	ret = call_bad(ch, fx, c);
	for (off = 0; off < sizeof(*fx); off++)
		if (((unsigned char *)fx)[off] != ((unsigned char *)before)[off])
			break;
	fixture_free(fx);
	free(before);
	TAP_CHECK(ret == c->want, "%s: ret %d, want %d", fn_names[c->fn], ret,
		  c->want);
	TAP_CHECK(off == sizeof(*fx), "%s: byte %zu of the fixture written",
		  fn_names[c->fn], off);
	return TAP_PASS;
}

#endif /* MIGACCEL_TEST_OPS_COMMON_H */
