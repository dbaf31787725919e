// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The kernel path against the CPU path: the same page mixes zero-scanned
 * through a MIGACCEL_OPEN_KERNEL channel and a MIGACCEL_OPEN_CPU channel
 * must give identical bitmaps, equal to a byte-loop reference, including
 * calls larger than the module's batch limit (the library splits them) and
 * page counts that are not multiples of 64.  Needs /dev/migaccel (or
 * MIGACCEL_DEVICE): without it every case fails; it never skips.
 *
 *   zero_scan_paths [seed]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "common.h"

/* Distinct pages behind a scan; larger scans reuse them. */
#define POOL_MAX 1024u

static struct migaccel_channel *kch, *cch;
static int kch_err;
static unsigned int max_batch;

#define NEED_KERNEL()							\
	TAP_CHECK(kch, "no kernel channel: %s (is migaccel.ko loaded?)", \
		  strerror(-kch_err))

struct scan_set {
	unsigned char *pool;
	size_t pool_nr;
	void **pages;
	size_t nr;
};

/*
 * @nr pages of @mix; beyond POOL_MAX distinct pages the entries repeat
 * pages of the pool, so big scans stay small in memory.
 */
static void set_make(struct scan_set *s, size_t nr, enum mix mix)
{
	size_t i;

	s->nr = nr;
	s->pool_nr = nr < POOL_MAX ? nr : POOL_MAX;
	s->pool = pages_alloc(s->pool_nr);
	s->pages = calloc(nr ? nr : 1, sizeof(*s->pages));
	if (!s->pages)
		exit(2);
	mix_fill(s->pool, s->pages, s->pool_nr, mix);
	for (i = s->pool_nr; i < nr; i++)
		s->pages[i] = s->pages[rng() % s->pool_nr];
}

static void set_free(struct scan_set *s)
{
	free(s->pages);
	pages_free(s->pool, s->pool_nr);
}

/* Scan @s on both paths; fail unless both equal the reference. */
static enum tap_result check_both(struct migaccel_channel *k,
				  struct migaccel_channel *c,
				  void *const *pages, size_t nr)
{
	size_t words = WORDS(nr) + 1;	/* one guard word */
	uint64_t *kb = calloc(words, 8), *cb = calloc(words, 8);
	uint64_t *ref = calloc(words, 8);
	enum tap_result res = TAP_FAIL;
	int kret, cret;
	long d;

	if (!kb || !cb || !ref)
		exit(2);
	ref_zero_scan(pages, nr, ref);
	ref[words - 1] = BITMAP_POISON;
	bitmap_poison(kb, words);
	bitmap_poison(cb, words);
	kret = migaccel_zero_scan(k, pages, nr, kb);
	cret = migaccel_zero_scan(c, pages, nr, cb);
	if (kret || cret) {
		tap_diag("nr %zu: kernel path %d, CPU path %d", nr, kret, cret);
		goto out;
	}
	d = bitmap_diff(kb, cb, words);
	if (d >= 0) {
		tap_diag("nr %zu page %ld: kernel path %d, CPU path %d", nr, d,
			 (int)(kb[d / 64] >> (d % 64) & 1),
			 (int)(cb[d / 64] >> (d % 64) & 1));
		goto out;
	}
	d = bitmap_diff(kb, ref, words);
	if (d >= 0) {
		tap_diag("nr %zu page %ld: both paths %d, reference %d%s", nr, d,
			 (int)(kb[d / 64] >> (d % 64) & 1),
			 (int)(ref[d / 64] >> (d % 64) & 1),
			 (size_t)d >= nr ? " (past nr_pages)" : "");
		goto out;
	}
	res = TAP_PASS;
out:
	free(ref);
	free(cb);
	free(kb);
	return res;
}

static enum tap_result t_open_kernel(const void *arg)
{
	(void)arg;
	NEED_KERNEL();
	TAP_CHECK(migaccel_channel_path(kch) == MIGACCEL_PATH_KERNEL,
		  "path %d", migaccel_channel_path(kch));
	TAP_CHECK(migaccel_channel_path(cch) == MIGACCEL_PATH_CPU,
		  "path %d", migaccel_channel_path(cch));
	tap_diag("max_batch_ops %u", max_batch);
	return TAP_PASS;
}

/* The module's engines, through the kernel channel's descriptor. */
static int module_engines(uint32_t *engines)
{
	struct migaccel_info info = { .size = sizeof(info) };

	if (ioctl(migaccel_channel_fd(kch), MIGACCEL_INFO, &info))
		return -errno;
	*engines = info.out_engines;
	return 0;
}

static int auto_path(void)
{
	struct migaccel_channel *ch = NULL;
	int ret;

	ret = migaccel_channel_open(0, &ch);
	if (ret)
		return ret;
	ret = migaccel_channel_path(ch);
	migaccel_channel_close(ch);
	return ret;
}

/*
 * Without flags: the kernel path only when the module has a device; on
 * the soft engine alone the library's CPU path does the same work
 * without the round trip.  Against the fake module (MIGACCEL_TEST_FAKE=1,
 * set by make check-fake) also with the engines FAKE_ENGINES sets.
 */
static enum tap_result t_auto_needs_hardware(const void *arg)
{
	static const struct { const char *engines; int want; } fake[] = {
		{ "1", MIGACCEL_PATH_CPU },	/* soft only */
		{ "3", MIGACCEL_PATH_KERNEL },	/* soft and DSA */
		{ "4", MIGACCEL_PATH_KERNEL },	/* IAA */
		{ "0", MIGACCEL_PATH_CPU },
	};
	const char *is_fake = getenv("MIGACCEL_TEST_FAKE");
	uint32_t engines = 0;
	int ret, path, want;
	unsigned int i;

	(void)arg;
	NEED_KERNEL();
	ret = module_engines(&engines);
	TAP_CHECK(ret == 0, "MIGACCEL_INFO: %s", strerror(-ret));
	want = engines & (MIGACCEL_ENGINE_DSA | MIGACCEL_ENGINE_IAA) ?
	       MIGACCEL_PATH_KERNEL : MIGACCEL_PATH_CPU;
	path = auto_path();
	TAP_CHECK(path == want, "engines %#x: auto chose %d, want %d",
		  engines, path, want);
	tap_diag("engines %#x: auto chose the %s path", engines,
		 want == MIGACCEL_PATH_KERNEL ? "kernel" : "CPU");
	if (!is_fake || strcmp(is_fake, "1"))
		return TAP_PASS;
	for (i = 0; i < sizeof(fake) / sizeof(fake[0]); i++) {
		setenv("FAKE_ENGINES", fake[i].engines, 1);
		path = auto_path();
		unsetenv("FAKE_ENGINES");
		TAP_CHECK(path == fake[i].want, "engines %s: path %d, want %d",
			  fake[i].engines, path, fake[i].want);
	}
	tap_diag("fake module: engines 1, 3, 4, 0 chose the right paths");
	return TAP_PASS;
}

/* Asked for, the kernel path runs on whatever engine the module has. */
static enum tap_result t_kernel_path_when_asked(const void *arg)
{
	struct migaccel_channel *ch = NULL;
	int ret, path;

	(void)arg;
	NEED_KERNEL();
	ret = migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &ch);
	TAP_CHECK(ret == 0, "open(KERNEL) = %d", ret);
	path = migaccel_channel_path(ch);
	migaccel_channel_close(ch);
	TAP_CHECK(path == MIGACCEL_PATH_KERNEL, "OPEN_KERNEL: path %d", path);

	setenv("MIGACCEL_PATH", "kernel", 1);
	path = auto_path();
	setenv("MIGACCEL_PATH", "cpu", 1);
	ret = auto_path();
	unsetenv("MIGACCEL_PATH");
	TAP_CHECK(path == MIGACCEL_PATH_KERNEL, "MIGACCEL_PATH=kernel: path %d",
		  path);
	TAP_CHECK(ret == MIGACCEL_PATH_CPU, "MIGACCEL_PATH=cpu: path %d", ret);
	return TAP_PASS;
}

static size_t count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	size_t n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static enum tap_result t_open_close_no_fd_leak(const void *arg)
{
	size_t before, after;
	int i, ret = 0;

	(void)arg;
	NEED_KERNEL();
	before = count_fds();
	for (i = 0; i < 500 && !ret; i++) {
		struct migaccel_channel *ch;

		ret = migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &ch);
		if (!ret)
			migaccel_channel_close(ch);
	}
	after = count_fds();
	TAP_CHECK(ret == 0, "open #%d = %d", i, ret);
	TAP_CHECK(before == after, "fds %zu before, %zu after", before, after);
	return TAP_PASS;
}

struct scan_arg {
	int nr_kind;		/* index in nr_of() */
	enum mix mix;
};

/* The page counts: fixed ones, then around the module's batch limit. */
static size_t nr_of(int kind)
{
	size_t m = max_batch ? max_batch : 128;

	switch (kind) {
	case 0: return 1;
	case 1: return 63;
	case 2: return 64;
	case 3: return 65;
	case 4: return 1000;
	case 5: return m - 1 ? m - 1 : 1;
	case 6: return m;
	case 7: return m + 1;
	case 8: return 2 * m + 63;
	default: return 4 * m + 17;
	}
}

#define NR_KINDS 10

static enum tap_result t_paths_agree(const void *arg)
{
	const struct scan_arg *a = arg;
	struct scan_set s;
	enum tap_result res;

	NEED_KERNEL();
	set_make(&s, nr_of(a->nr_kind), a->mix);
	res = check_both(kch, cch, s.pages, s.nr);
	set_free(&s);
	return res;
}

/*
 * Was MIGACCEL_ZERO_SCAN used (true), or did the channel fall back to
 * MIGACCEL_BATCH for good?  Only the fake module told to lack it
 * (FAKE_NO_ZERO_SCAN) falls back.
 */
static bool want_zero_scan_ioctl(void)
{
	const char *no = getenv("FAKE_NO_ZERO_SCAN");

	return !(no && *no == '1');
}

/*
 * The same with every page in one registered region: the module gets a
 * page list (MIGACCEL_ZERO_SCAN), split at multiples of 64 pages; with
 * @outside, one page that is not in the region sends the whole call
 * through MIGACCEL_BATCH instead.
 */
static enum tap_result region_agree(const struct scan_arg *a, bool outside)
{
	unsigned char *extra = NULL;
	enum tap_result res;
	struct scan_set s;
	uint32_t id;
	int ret;

	NEED_KERNEL();
	set_make(&s, nr_of(a->nr_kind), a->mix);
	ret = migaccel_region_register(kch, s.pool, s.pool_nr * PAGE, &id);
	TAP_CHECK(!ret, "migaccel_region_register: %s", strerror(-ret));
	if (outside) {
		extra = pages_alloc(1);
		page_fill(extra, MIX_RANDOM_BYTE, 0);
		s.pages[rng() % s.nr] = extra;
	}
	res = check_both(kch, cch, s.pages, s.nr);
	if (res == TAP_PASS && kch->no_zero_scan == want_zero_scan_ioctl()) {
		tap_diag("MIGACCEL_ZERO_SCAN %s", kch->no_zero_scan ?
			 "was not used" : "was used by a module without it");
		res = TAP_FAIL;
	}
	ret = migaccel_region_unregister(kch, id, 0);
	if (ret) {
		tap_diag("migaccel_region_unregister: %s", strerror(-ret));
		res = TAP_FAIL;
	}
	if (extra)
		pages_free(extra, 1);
	set_free(&s);
	return res;
}

static enum tap_result t_region_paths_agree(const void *arg)
{
	return region_agree(arg, false);
}

static enum tap_result t_region_and_outside_page_agree(const void *arg)
{
	return region_agree(arg, true);
}

/* A bad entry at @bad_index of @nr pages: error, and nothing written. */
static enum tap_result scan_fails_unchanged(size_t nr, size_t bad_index,
					    void *bad, int want)
{
	size_t words = WORDS(nr), i;
	uint64_t *bm = calloc(words, 8);
	struct scan_set s;
	int ret;

	if (!bm)
		exit(2);
	set_make(&s, nr, MIX_RANDOM);
	s.pages[bad_index] = bad;
	bitmap_poison(bm, words);
	ret = migaccel_zero_scan(kch, s.pages, nr, bm);
	set_free(&s);
	for (i = 0; i < words && bm[i] == BITMAP_POISON; i++)
		;
	free(bm);
	tap_diag("nr %zu, bad page %zu: %d (%s)", nr, bad_index, ret,
		 strerror(ret < 0 ? -ret : 0));
	TAP_CHECK(want ? ret == want : ret < 0, "ret %d, want %d", ret, want);
	TAP_CHECK(i == words, "bitmap word %zu written", i);
	return TAP_PASS;
}

static enum tap_result t_unaligned_einval_unchanged(const void *arg)
{
	static unsigned char buf[2 * 4096] __attribute__((aligned(4096)));

	(void)arg;
	NEED_KERNEL();
	return scan_fails_unchanged(2 * max_batch + 5, 2 * max_batch + 3,
				    buf + 64, -EINVAL);
}

/* The module finds the page unmapped in the last batch of the call. */
static enum tap_result t_unmapped_page_fails_unchanged(const void *arg)
{
	unsigned char *p = pages_alloc(2);
	enum tap_result res;

	(void)arg;
	NEED_KERNEL();
	munmap(p + PAGE, PAGE);
	res = scan_fails_unchanged(2 * max_batch + 5, 2 * max_batch + 3,
				   p + PAGE, 0);
	munmap(p, PAGE);
	return res;
}

static enum tap_result t_prot_none_page_fails_unchanged(const void *arg)
{
	unsigned char *p = pages_alloc(1);
	enum tap_result res;

	(void)arg;
	NEED_KERNEL();
	mprotect(p, PAGE, PROT_NONE);
	res = scan_fails_unchanged(max_batch + 1, max_batch, p, 0);
	pages_free(p, 1);
	return res;
}

/* Anonymous memory never touched reads as zero on both paths. */
static enum tap_result t_untouched_memory_is_zero(const void *arg)
{
	size_t nr = 300, i;
	unsigned char *p = pages_alloc(nr);
	void **pages = calloc(nr, sizeof(*pages));
	enum tap_result res;

	(void)arg;
	NEED_KERNEL();
	if (!pages)
		exit(2);
	for (i = 0; i < nr; i++)
		pages[i] = p + i * PAGE;
	res = check_both(kch, cch, pages, nr);
	free(pages);
	pages_free(p, nr);
	return res;
}

/* A zero scan only reads: read-only memory is fine. */
static enum tap_result t_readonly_memory(const void *arg)
{
	struct scan_set s;
	enum tap_result res;

	(void)arg;
	NEED_KERNEL();
	set_make(&s, 500, MIX_RANDOM);
	mprotect(s.pool, s.pool_nr * PAGE, PROT_READ);
	res = check_both(kch, cch, s.pages, s.nr);
	set_free(&s);
	return res;
}

static enum tap_result t_same_page_many_times(const void *arg)
{
	unsigned char *p = pages_alloc(1);
	size_t nr = 3 * max_batch + 7, i;
	void **pages;
	enum tap_result res = TAP_PASS;
	int round;

	(void)arg;
	NEED_KERNEL();
	pages = calloc(nr, sizeof(*pages));
	if (!pages)
		exit(2);
	for (i = 0; i < nr; i++)
		pages[i] = p;
	for (round = 0; round < 2 && res == TAP_PASS; round++) {
		p[PAGE - 1] = (unsigned char)round;	/* zero, then not */
		res = check_both(kch, cch, pages, nr);
	}
	free(pages);
	pages_free(p, 1);
	return res;
}

/* The multifd pattern: many small calls on one channel. */
static enum tap_result t_many_small_calls(const void *arg)
{
	enum tap_result res = TAP_PASS;
	int i;

	(void)arg;
	NEED_KERNEL();
	for (i = 0; i < 200 && res == TAP_PASS; i++) {
		struct scan_set s;

		set_make(&s, 128, MIX_RANDOM);
		res = check_both(kch, cch, s.pages, s.nr);
		set_free(&s);
	}
	return res;
}

static void *thread_fn(void *arg)
{
	struct migaccel_channel *k = NULL, *c = NULL;
	uintptr_t failed = 0;
	int i, ret;

	ret = migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &k);
	ret = ret ? ret : migaccel_channel_open(MIGACCEL_OPEN_CPU, &c);
	if (ret) {
		tap_diag("thread: open = %d", ret);
		failed = 1;
	}
	for (i = 0; i < 30 && !failed; i++) {
		struct scan_set s;

		set_make(&s, 257, MIX_RANDOM);
		failed = check_both(k, c, s.pages, s.nr) != TAP_PASS;
		set_free(&s);
	}
	migaccel_channel_close(c);
	migaccel_channel_close(k);
	(void)arg;
	return (void *)failed;
}

/* Channels are independent: one per thread, all at once. */
static enum tap_result t_threads_own_channels(const void *arg)
{
	pthread_t th[4];
	void *failed;
	int i, nfailed = 0;

	(void)arg;
	NEED_KERNEL();
	for (i = 0; i < 4; i++)
		TAP_CHECK(!pthread_create(&th[i], NULL, thread_fn, NULL),
			  "pthread_create");
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], &failed);
		nfailed += failed != NULL;
	}
	TAP_CHECK(!nfailed, "%d threads saw a mismatch", nfailed);
	return TAP_PASS;
}

static const enum mix scan_mixes[] = {
	MIX_RANDOM, MIX_ZERO, MIX_RANDOM_BYTE, MIX_LAST_BYTE, MIX_EVERY_8TH,
	MIX_RANDOM_DATA,
};

#define NR_MIXES (sizeof(scan_mixes) / sizeof(scan_mixes[0]))
#define CASE(fn) { #fn, fn, NULL }

static const struct tap_case fixed_cases[] = {
	CASE(t_open_kernel),
	CASE(t_auto_needs_hardware),
	CASE(t_kernel_path_when_asked),
	CASE(t_open_close_no_fd_leak),
	CASE(t_unaligned_einval_unchanged),
	CASE(t_unmapped_page_fails_unchanged),
	CASE(t_prot_none_page_fails_unchanged),
	CASE(t_untouched_memory_is_zero),
	CASE(t_readonly_memory),
	CASE(t_same_page_many_times),
	CASE(t_many_small_calls),
	CASE(t_threads_own_channels),
};

#define NR_FIXED (sizeof(fixed_cases) / sizeof(fixed_cases[0]))
/*
 * Every kind and mix; then in a region, every kind of one mix, and with
 * a page outside the region, three kinds (1, 1,000 and 2 batches + 63).
 */
static const int outside_kinds[] = { 0, 4, 8 };

#define NR_OUTSIDE (sizeof(outside_kinds) / sizeof(outside_kinds[0]))
#define NR_SCAN (NR_KINDS * NR_MIXES + NR_KINDS + NR_OUTSIDE)

int main(int argc, char **argv)
{
	static struct tap_case cases[NR_FIXED + NR_SCAN];
	static struct scan_arg args[NR_SCAN];
	static char names[NR_SCAN][80];
	unsigned int i, m, n = 0, s = 0;
	uint64_t seed;
	int ret;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)getpid();
	rng_seed(seed);
	unsetenv("MIGACCEL_PATH");

	kch_err = migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &kch);
	if (kch_err)
		kch = NULL;
	else
		max_batch = kch->max_batch_ops;
	if (migaccel_channel_open(MIGACCEL_OPEN_CPU, &cch)) {
		fprintf(stderr, "cannot open a CPU channel\n");
		return 2;
	}

	for (i = 0; i < NR_FIXED; i++)
		cases[n++] = fixed_cases[i];
	for (i = 0; i < NR_KINDS; i++) {
		for (m = 0; m < NR_MIXES; m++, s++) {
			args[s] = (struct scan_arg){ (int)i, scan_mixes[m] };
			snprintf(names[s], sizeof(names[s]),
				 "t_paths_agree_nr%zu_%s", nr_of((int)i),
				 mix_names[scan_mixes[m]]);
			cases[n++] = (struct tap_case){ names[s], t_paths_agree,
							&args[s] };
		}
	}

	for (i = 0; i < NR_KINDS + NR_OUTSIDE; i++, s++) {
		bool out = i >= NR_KINDS;
		int kind = out ? outside_kinds[i - NR_KINDS] : (int)i;

		args[s] = (struct scan_arg){ kind, MIX_RANDOM };
		snprintf(names[s], sizeof(names[s]),
			 "t_region%s_paths_agree_nr%zu_%s",
			 out ? "_and_outside_page" : "", nr_of(kind),
			 mix_names[MIX_RANDOM]);
		cases[n++] = (struct tap_case){
			names[s], out ? t_region_and_outside_page_agree :
			t_region_paths_agree, &args[s] };
	}

	tap_plan(n);
	tap_diag("seed %#" PRIx64 ", SIMD %s", seed,
		 migaccel__simd_name(migaccel__simd_current()));
	if (!kch)
		tap_diag("MIGACCEL_OPEN_KERNEL: %s; this test needs the migaccel "
			 "module and fails without it", strerror(-kch_err));
	ret = tap_run(cases, n);
	migaccel_channel_close(cch);
	migaccel_channel_close(kch);
	return ret;
}
