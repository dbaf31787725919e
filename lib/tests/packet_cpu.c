// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * migaccel_packet_compress() on the CPU path: packets of zero, compressible
 * and random pages are reported and packed exactly as the man page states
 * (packet_common.h), agree with the per-operation functions, and every
 * malformed call fails with its errno and writes nothing.
 *
 *   packet_cpu [seed]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tap.h"
#include "packet_common.h"

#define MAXP 1024u
#define OUT_CAP MIGACCEL_PACKET_OUT_SIZE(MAXP)

static struct migaccel_channel *ch;
static unsigned char *pool, *out;
static void *pages[MAXP];
static struct migaccel_page_out res[MAXP];

/* A packet of @nr pages drawn from @kinds (K_NR: any kind). */
static void packet_fill(unsigned int nr, enum kind k)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		fill_kind(pool + (size_t)i * PAGE, k == K_NR ? random_kind() : k);
		pages[i] = pool + (size_t)i * PAGE;
	}
	/* Not in address order: nothing may rely on pages[] being sorted. */
	for (i = nr; i > 1; i--) {
		unsigned int j = (unsigned int)(rng() % i);
		void *t = pages[i - 1];

		pages[i - 1] = pages[j];
		pages[j] = t;
	}
}

struct mix_case {
	unsigned int nr;
	enum kind kind;
};

static enum tap_result packet_mix(const void *arg)
{
	const struct mix_case *c = arg;
	int used;

	packet_fill(c->nr, c->kind);
	memset(res, 0xa5, sizeof(res));
	used = migaccel_packet_compress(ch, pages, c->nr, out,
					MIGACCEL_PACKET_OUT_SIZE(c->nr), res);
	TAP_CHECK(packet_ok(pages, c->nr, out, used, res), "nr %u kind %s",
		  c->nr, c->kind == K_NR ? "mixed" : kind_names[c->kind]);
	if (c->kind == K_RANDOM)
		TAP_CHECK(res[0].kind == MIGACCEL_PAGE_RAW, "random page %u",
			  res[0].kind);
	if (c->kind == K_TEXT)
		TAP_CHECK(res[0].kind == MIGACCEL_PAGE_COMPRESSED,
			  "text page %u", res[0].kind);
	return TAP_PASS;
}

/* The same answers as migaccel_zero_scan() and migaccel_compress(). */
static enum tap_result packet_matches_per_op_functions(const void *arg)
{
	static unsigned char bufs[MAXP][PAGE];
	static void *bp[MAXP];
	static uint32_t caps[MAXP], sizes[MAXP];
	uint64_t bm[WORDS(MAXP)];
	unsigned int i, nr = 300;
	int used;

	(void)arg;
	packet_fill(nr, K_NR);
	used = migaccel_packet_compress(ch, pages, nr, out, OUT_CAP, res);
	TAP_CHECK(packet_ok(pages, nr, out, used, res), "packet");
	TAP_CHECK(!migaccel_zero_scan(ch, pages, nr, bm), "zero scan");
	for (i = 0; i < nr; i++) {
		bp[i] = bufs[i];
		caps[i] = PAGE - 1;
	}
	TAP_CHECK(!migaccel_compress(ch, (const void *const *)pages, nr, bp,
				     caps, sizes), "compress");
	for (i = 0; i < nr; i++) {
		bool zero = bm[i / 64] >> (i % 64) & 1;

		if (zero) {
			TAP_CHECK(res[i].kind == MIGACCEL_PAGE_ZERO, "page %u", i);
			continue;
		}
		if (sizes[i] == MIGACCEL_SIZE_RAW) {
			TAP_CHECK(res[i].kind == MIGACCEL_PAGE_RAW, "page %u", i);
			continue;
		}
		TAP_CHECK(res[i].kind == MIGACCEL_PAGE_COMPRESSED &&
			  res[i].length == sizes[i] &&
			  !memcmp(out + res[i].offset, bufs[i], sizes[i]),
			  "page %u: packet and migaccel_compress() differ", i);
	}
	return TAP_PASS;
}

/* The library's own inflate reads what the packet holds. */
static enum tap_result packet_decompresses_in_library(const void *arg)
{
	static unsigned char back[PAGE] __attribute__((aligned(PAGE)));
	unsigned int i, nr = 200;
	int used;

	(void)arg;
	packet_fill(nr, K_NR);
	used = migaccel_packet_compress(ch, pages, nr, out, OUT_CAP, res);
	TAP_CHECK(used >= 0, "%d", used);
	for (i = 0; i < nr; i++) {
		const void *in = out + res[i].offset;
		void *bk = back;

		if (res[i].kind != MIGACCEL_PAGE_COMPRESSED)
			continue;
		TAP_CHECK(!migaccel_decompress(ch, &in, &res[i].length, 1,
					       &bk), "page %u", i);
		TAP_CHECK(!memcmp(back, pages[i], PAGE), "page %u", i);
	}
	return TAP_PASS;
}

/* ---- malformed calls: the errno, and nothing written ---- */

enum bad_packet {
	BP_NULL_CH, BP_NULL_PAGES, BP_NULL_OUT, BP_NULL_RES, BP_TOO_MANY,
	BP_SHORT_OUT, BP_NULL_PAGE, BP_UNALIGNED_PAGE, BP_NR
};

static const struct {
	const char *name;
	int err;
} bad_packet[BP_NR] = {
	[BP_NULL_CH] = { "NULL channel", -EINVAL },
	[BP_NULL_PAGES] = { "NULL pages", -EFAULT },
	[BP_NULL_OUT] = { "NULL out", -EFAULT },
	[BP_NULL_RES] = { "NULL res", -EFAULT },
	[BP_TOO_MANY] = { "nr above MIGACCEL_PACKET_MAX_PAGES", -EINVAL },
	[BP_SHORT_OUT] = { "out_capacity one byte short", -ENOSPC },
	[BP_NULL_PAGE] = { "a NULL page", -EFAULT },
	[BP_UNALIGNED_PAGE] = { "an unaligned page", -EINVAL },
};

static enum tap_result packet_rejects(const void *arg)
{
	enum bad_packet b = (enum bad_packet)(uintptr_t)arg;
	static struct migaccel_page_out poison[8];
	unsigned int nr = 8, i;
	int ret;

	packet_fill(nr, K_TEXT);
	memset(res, 0x5a, sizeof(res));
	memcpy(poison, res, sizeof(poison));
	memset(out, 0x5a, MIGACCEL_PACKET_OUT_SIZE(nr));
	if (b == BP_NULL_PAGE)
		pages[5] = NULL;
	if (b == BP_UNALIGNED_PAGE)
		pages[3] = (unsigned char *)pages[3] + 8;

	ret = migaccel_packet_compress(
		b == BP_NULL_CH ? NULL : ch, b == BP_NULL_PAGES ? NULL : pages,
		b == BP_TOO_MANY ? MIGACCEL_PACKET_MAX_PAGES + 1 : nr,
		b == BP_NULL_OUT ? NULL : out,
		MIGACCEL_PACKET_OUT_SIZE(nr) - (b == BP_SHORT_OUT),
		b == BP_NULL_RES ? NULL : res);
	TAP_CHECK(ret == bad_packet[b].err, "%s: got %d, want %d",
		  bad_packet[b].name, ret, bad_packet[b].err);
	TAP_CHECK(!memcmp(res, poison, sizeof(poison)), "res written");
	for (i = 0; i < MIGACCEL_PACKET_OUT_SIZE(nr); i++)
		TAP_CHECK(out[i] == 0x5a, "out written at %u", i);
	return TAP_PASS;
}

static enum tap_result packet_of_no_page_writes_nothing(const void *arg)
{
	(void)arg;
	memset(res, 0x5a, sizeof(res[0]));
	TAP_CHECK(migaccel_packet_compress(ch, NULL, 0, NULL, 0, NULL) == 0,
		  "nr 0");
	TAP_CHECK(res[0].kind == 0x5a5a5a5a, "res written");
	return TAP_PASS;
}

static const struct mix_case mixes[] = {
	{ 1, K_ZERO }, { 1, K_TEXT }, { 1, K_RANDOM }, { 128, K_ZERO },
	{ 128, K_RANDOM }, { 128, K_TEXT }, { 128, K_REPEAT },
	{ 128, K_ONE_BYTE }, { 128, K_NR }, { 1000, K_NR }, { MAXP, K_NR },
};

int main(int argc, char **argv)
{
	static struct tap_case cases[64];
	static char names[64][80];
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) :
				   (uint64_t)time(NULL);
	unsigned int n = 0, i;
	int ret;

	rng_seed(seed);
	ret = migaccel_channel_open(MIGACCEL_OPEN_CPU, &ch);
	if (ret) {
		printf("Bail out! channel: %s\n", strerror(-ret));
		return 1;
	}
	pool = pages_alloc(MAXP);
	out = malloc(OUT_CAP);
	if (!out)
		return 2;

	for (i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++) {
		snprintf(names[n], sizeof(names[n]), "packet of %u %s pages",
			 mixes[i].nr, mixes[i].kind == K_NR ? "mixed" :
			 kind_names[mixes[i].kind]);
		cases[n] = (struct tap_case){ names[n], packet_mix, &mixes[i] };
		n++;
	}
	cases[n++] = (struct tap_case){ "packet matches zero scan and compress",
					packet_matches_per_op_functions, NULL };
	cases[n++] = (struct tap_case){ "packet decompresses in the library",
					packet_decompresses_in_library, NULL };
	cases[n++] = (struct tap_case){ "packet of no page writes nothing",
					packet_of_no_page_writes_nothing,
					NULL };
	for (i = 0; i < BP_NR; i++) {
		snprintf(names[n], sizeof(names[n]), "packet rejects %s",
			 bad_packet[i].name);
		cases[n] = (struct tap_case){ names[n], packet_rejects,
					      (void *)(uintptr_t)i };
		n++;
	}

	tap_plan(n);
	tap_diag("seed %" PRIu64, seed);
	ret = tap_run(cases, n);
	free(out);
	pages_free(pool, MAXP);
	migaccel_channel_close(ch);
	return ret;
}
