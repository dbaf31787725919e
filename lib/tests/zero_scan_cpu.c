// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libmigaccel without the module: channel opening rules, argument checks,
 * and the CPU zero scan against a byte-loop reference, for every SIMD
 * variant this CPU has.  Runs on any host; never needs /dev/migaccel.
 *
 *   zero_scan_cpu [seed]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "tap.h"
#include "common.h"

#define NO_DEVICE "/nonexistent/migaccel"

static enum migaccel_simd simd_default;

/* Open with the two environment variables set (NULL: unset) for this call. */
static int open_env(const char *path, const char *device, unsigned int flags,
		    struct migaccel_channel **ch)
{
	int ret;

	if (path)
		setenv("MIGACCEL_PATH", path, 1);
	if (device)
		setenv("MIGACCEL_DEVICE", device, 1);
	ret = migaccel_channel_open(flags, ch);
	unsetenv("MIGACCEL_PATH");
	unsetenv("MIGACCEL_DEVICE");
	return ret;
}

static enum tap_result expect_open_err(int err, const char *path,
				       const char *device, unsigned int flags)
{
	struct migaccel_channel *ch = (void *)&ch;	/* must stay untouched */
	int ret = open_env(path, device, flags, &ch);

	TAP_CHECK(ret == err, "open(flags %#x, MIGACCEL_PATH=%s, "
		  "MIGACCEL_DEVICE=%s) = %d, want %d", flags,
		  path ? path : "(unset)", device ? device : "(unset)", ret, err);
	TAP_CHECK(ch == (void *)&ch, "*out written on failure");
	return TAP_PASS;
}

static enum tap_result expect_open_path(int want, const char *path,
					const char *device, unsigned int flags)
{
	struct migaccel_channel *ch = NULL;
	int ret = open_env(path, device, flags, &ch);

	TAP_CHECK(ret == 0, "open(flags %#x, MIGACCEL_PATH=%s) = %d", flags,
		  path ? path : "(unset)", ret);
	TAP_CHECK(ch != NULL, "no channel");
	ret = migaccel_channel_path(ch);
	migaccel_channel_close(ch);
	TAP_CHECK(ret == want, "path %d, want %d", ret, want);
	return TAP_PASS;
}

static enum tap_result t_open_unknown_flag(const void *arg)
{
	(void)arg;
	return expect_open_err(-EINVAL, NULL, NO_DEVICE, 1u << 7);
}

static enum tap_result t_open_both_flags(const void *arg)
{
	(void)arg;
	return expect_open_err(-EINVAL, NULL, NO_DEVICE,
			       MIGACCEL_OPEN_CPU | MIGACCEL_OPEN_KERNEL);
}

static enum tap_result t_open_null_out(const void *arg)
{
	(void)arg;
	TAP_CHECK(migaccel_channel_open(MIGACCEL_OPEN_CPU, NULL) == -EINVAL,
		  "NULL out accepted");
	return TAP_PASS;
}

static enum tap_result t_env_path_invalid(const void *arg)
{
	(void)arg;
	return expect_open_err(-EINVAL, "gpu", NO_DEVICE, 0);
}

static enum tap_result t_env_path_cpu(const void *arg)
{
	(void)arg;
	return expect_open_path(MIGACCEL_PATH_CPU, "cpu", NULL, 0);
}

static enum tap_result t_env_path_kernel_no_device(const void *arg)
{
	(void)arg;
	return expect_open_err(-ENOENT, "kernel", NO_DEVICE, 0);
}

static enum tap_result t_flag_kernel_no_device(const void *arg)
{
	(void)arg;
	return expect_open_err(-ENOENT, NULL, NO_DEVICE, MIGACCEL_OPEN_KERNEL);
}

static enum tap_result t_flag_kernel_not_migaccel(const void *arg)
{
	(void)arg;
	/* /dev/null opens but knows no MIGACCEL_INFO */
	return expect_open_err(-ENOTTY, NULL, "/dev/null", MIGACCEL_OPEN_KERNEL);
}

static enum tap_result t_auto_no_device_is_cpu(const void *arg)
{
	(void)arg;
	return expect_open_path(MIGACCEL_PATH_CPU, NULL, NO_DEVICE, 0);
}

static enum tap_result t_auto_not_migaccel_is_cpu(const void *arg)
{
	(void)arg;
	return expect_open_path(MIGACCEL_PATH_CPU, NULL, "/dev/null", 0);
}

static enum tap_result t_flag_cpu_beats_env(const void *arg)
{
	(void)arg;
	return expect_open_path(MIGACCEL_PATH_CPU, "kernel", NO_DEVICE,
				MIGACCEL_OPEN_CPU);
}

static enum tap_result t_flag_ignores_bad_env(const void *arg)
{
	(void)arg;
	return expect_open_path(MIGACCEL_PATH_CPU, "bogus", NULL,
				MIGACCEL_OPEN_CPU);
}

static enum tap_result t_errno_untouched(const void *arg)
{
	struct migaccel_channel *ch;

	(void)arg;
	errno = 4321;
	open_env(NULL, NO_DEVICE, MIGACCEL_OPEN_KERNEL, &ch);
	TAP_CHECK(errno == 4321, "errno changed to %d", errno);
	return TAP_PASS;
}

static enum tap_result t_close_null(const void *arg)
{
	(void)arg;
	migaccel_channel_close(NULL);
	return TAP_PASS;
}

static enum tap_result t_path_null(const void *arg)
{
	(void)arg;
	TAP_CHECK(migaccel_channel_path(NULL) == -EINVAL, "NULL accepted");
	return TAP_PASS;
}

static struct migaccel_channel *cpu_channel(void)
{
	struct migaccel_channel *ch = NULL;

	if (migaccel_channel_open(MIGACCEL_OPEN_CPU, &ch)) {
		tap_diag("cannot open a CPU channel");
		exit(2);
	}
	return ch;
}

static enum tap_result t_scan_null_channel(const void *arg)
{
	unsigned char *pool = pages_alloc(1);
	void *pages[1] = { pool };
	uint64_t bm = BITMAP_POISON;
	int ret;

	(void)arg;
	ret = migaccel_zero_scan(NULL, pages, 1, &bm);
	pages_free(pool, 1);
	TAP_CHECK(ret == -EINVAL, "ret %d", ret);
	TAP_CHECK(bm == BITMAP_POISON, "bitmap written");
	return TAP_PASS;
}

static enum tap_result t_scan_nr0_writes_nothing(const void *arg)
{
	struct migaccel_channel *ch = cpu_channel();
	unsigned char *pool = pages_alloc(1);
	void *pages[1] = { pool };
	uint64_t bm = BITMAP_POISON;
	int r1, r2;

	(void)arg;
	r1 = migaccel_zero_scan(ch, pages, 0, &bm);
	r2 = migaccel_zero_scan(ch, NULL, 0, NULL);
	migaccel_channel_close(ch);
	pages_free(pool, 1);
	TAP_CHECK(r1 == 0 && r2 == 0, "ret %d %d", r1, r2);
	TAP_CHECK(bm == BITMAP_POISON, "bitmap written");
	return TAP_PASS;
}

static enum tap_result t_scan_null_arrays(const void *arg)
{
	struct migaccel_channel *ch = cpu_channel();
	unsigned char *pool = pages_alloc(1);
	void *pages[1] = { pool };
	uint64_t bm = BITMAP_POISON;
	int r1, r2;

	(void)arg;
	r1 = migaccel_zero_scan(ch, NULL, 1, &bm);
	r2 = migaccel_zero_scan(ch, pages, 1, NULL);
	migaccel_channel_close(ch);
	pages_free(pool, 1);
	TAP_CHECK(r1 == -EFAULT && r2 == -EFAULT, "ret %d %d", r1, r2);
	TAP_CHECK(bm == BITMAP_POISON, "bitmap written");
	return TAP_PASS;
}

/* One bad entry, last of 65 pages: nothing may be written. */
static enum tap_result scan_bad_entry(int err, uintptr_t bad)
{
	struct migaccel_channel *ch = cpu_channel();
	unsigned char *pool = pages_alloc(65);
	void *pages[65];
	uint64_t bm[2] = { BITMAP_POISON, BITMAP_POISON };
	int ret;

	mix_fill(pool, pages, 65, MIX_RANDOM);
	pages[64] = bad ? (void *)(pool + bad) : NULL;
	ret = migaccel_zero_scan(ch, pages, 65, bm);
	migaccel_channel_close(ch);
	pages_free(pool, 65);
	TAP_CHECK(ret == err, "ret %d, want %d", ret, err);
	TAP_CHECK(bm[0] == BITMAP_POISON && bm[1] == BITMAP_POISON,
		  "bitmap written: %#" PRIx64 " %#" PRIx64, bm[0], bm[1]);
	return TAP_PASS;
}

static enum tap_result t_scan_unaligned_einval(const void *arg)
{
	(void)arg;
	return scan_bad_entry(-EINVAL, 8);
}

static enum tap_result t_scan_unaligned_last_byte_einval(const void *arg)
{
	(void)arg;
	return scan_bad_entry(-EINVAL, PAGE - 1);
}

static enum tap_result t_scan_null_entry_efault(const void *arg)
{
	(void)arg;
	return scan_bad_entry(-EFAULT, 0);
}

static enum tap_result t_page_is_zero_null(const void *arg)
{
	(void)arg;
	TAP_CHECK(migaccel_page_is_zero(NULL) == -EINVAL, "NULL accepted");
	return TAP_PASS;
}

/*
 * Every single non-zero byte at every offset, with the sign bit set and
 * clear, plus the zero page, through one forced SIMD variant.
 */
static enum tap_result t_page_is_zero_every_offset(const void *arg)
{
	enum migaccel_simd simd = (enum migaccel_simd)(uintptr_t)arg;
	static const unsigned char values[] = { 0x01, 0x80, 0xff };
	unsigned char *page = pages_alloc(2);
	enum tap_result res = TAP_PASS;
	size_t off, v, shift;

	if (!migaccel__simd_supported(simd)) {
		tap_diag("%s not supported by this CPU", migaccel__simd_name(simd));
		pages_free(page, 2);
		return TAP_SKIP;
	}
	migaccel__simd_force(simd);
	/* aligned, then shifted by 1 and 33 bytes (the public helper allows it) */
	for (shift = 0; shift < 3 && res == TAP_PASS; shift++) {
		unsigned char *p = page + (size_t[]){ 0, 1, 33 }[shift];

		memset(page, 0, 2 * PAGE);
		if (migaccel_page_is_zero(p) != 1) {
			tap_diag("zero page at +%zu not zero", p - page);
			res = TAP_FAIL;
		}
		for (off = 0; off < PAGE && res == TAP_PASS; off++) {
			for (v = 0; v < sizeof(values); v++) {
				p[off] = values[v];
				if (migaccel_page_is_zero(p) != 0) {
					tap_diag("byte %#x at offset %zu (page +%zu) missed",
						 values[v], off, p - page);
					res = TAP_FAIL;
					break;
				}
			}
			p[off] = 0;
		}
		/* the byte just past the page must not count */
		p[PAGE] = 0xff;
		if (res == TAP_PASS && migaccel_page_is_zero(p) != 1) {
			tap_diag("byte past the page counted (page +%zu)", p - page);
			res = TAP_FAIL;
		}
	}
	migaccel__simd_force(simd_default);
	pages_free(page, 2);
	return res;
}

/* MIGACCEL_SIMD=sse2 in a fresh process selects SSE2 (no shell needed). */
static enum tap_result t_env_simd(const void *arg)
{
	char exe[4096], out[32] = "";
	int fds[2], status;
	ssize_t len;
	pid_t pid;

	(void)arg;
	/* the path, not /proc/self/exe itself, so that it works under valgrind */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	TAP_CHECK(len > 0, "readlink /proc/self/exe");
	exe[len] = '\0';
	TAP_CHECK(pipe(fds) == 0, "pipe");
	pid = fork();
	TAP_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		setenv("MIGACCEL_SIMD", "sse2", 1);
		execl(exe, exe, "--print-simd",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	len = read(fds[0], out, sizeof(out) - 1);
	close(fds[0]);
	waitpid(pid, &status, 0);
	out[len > 0 ? len : 0] = '\0';
	TAP_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "child status %#x", status);
	TAP_CHECK(!strcmp(out, "sse2\n"), "child chose '%s'", out);
	return TAP_PASS;
}

struct scan_arg {
	unsigned int nr;
	enum mix mix;
	int simd;		/* -1: the default variant */
};

static enum tap_result t_scan_vs_reference(const void *arg)
{
	const struct scan_arg *a = arg;
	struct migaccel_channel *ch;
	unsigned char *pool = pages_alloc(a->nr);
	void **pages = calloc(a->nr ? a->nr : 1, sizeof(*pages));
	size_t words = WORDS(a->nr) + 1;	/* one guard word */
	uint64_t *bm = calloc(words, sizeof(*bm));
	uint64_t *ref = calloc(words, sizeof(*ref));
	enum tap_result res = TAP_PASS;
	long diff;
	int ret;

	if (!pages || !bm || !ref)
		exit(2);
	if (a->simd >= 0) {
		if (!migaccel__simd_supported(a->simd)) {
			res = TAP_SKIP;
			goto out;
		}
		migaccel__simd_force(a->simd);
	}
	ch = cpu_channel();
	mix_fill(pool, pages, a->nr, a->mix);
	ref_zero_scan(pages, a->nr, ref);
	ref[words - 1] = BITMAP_POISON;
	/* poisoned, so bits past nr_pages must be cleared by the library */
	bitmap_poison(bm, words);
	ret = migaccel_zero_scan(ch, pages, a->nr, bm);
	migaccel_channel_close(ch);
	if (ret) {
		tap_diag("zero_scan(%u) = %d", a->nr, ret);
		res = TAP_FAIL;
	} else if (a->nr == 0 && bm[0] != BITMAP_POISON) {
		tap_diag("nr 0 wrote the bitmap");
		res = TAP_FAIL;
	} else if (a->nr && (diff = bitmap_diff(bm, ref, words)) >= 0) {
		tap_diag("page %ld: library %d, reference %d%s", diff,
			 (int)(bm[diff / 64] >> (diff % 64) & 1),
			 (int)(ref[diff / 64] >> (diff % 64) & 1),
			 (size_t)diff >= a->nr ? " (past nr_pages)" : "");
		res = TAP_FAIL;
	}
out:
	migaccel__simd_force(simd_default);
	free(ref);
	free(bm);
	free(pages);
	pages_free(pool, a->nr);
	return res;
}

#define CASE(fn, arg) { #fn, fn, (const void *)(uintptr_t)(arg) }

static const struct tap_case fixed_cases[] = {
	CASE(t_open_unknown_flag, 0),
	CASE(t_open_both_flags, 0),
	CASE(t_open_null_out, 0),
	CASE(t_env_path_invalid, 0),
	CASE(t_env_path_cpu, 0),
	CASE(t_env_path_kernel_no_device, 0),
	CASE(t_flag_kernel_no_device, 0),
	CASE(t_flag_kernel_not_migaccel, 0),
	CASE(t_auto_no_device_is_cpu, 0),
	CASE(t_auto_not_migaccel_is_cpu, 0),
	CASE(t_flag_cpu_beats_env, 0),
	CASE(t_flag_ignores_bad_env, 0),
	CASE(t_errno_untouched, 0),
	CASE(t_close_null, 0),
	CASE(t_path_null, 0),
	CASE(t_scan_null_channel, 0),
	CASE(t_scan_nr0_writes_nothing, 0),
	CASE(t_scan_null_arrays, 0),
	CASE(t_scan_unaligned_einval, 0),
	CASE(t_scan_unaligned_last_byte_einval, 0),
	CASE(t_scan_null_entry_efault, 0),
	CASE(t_page_is_zero_null, 0),
	CASE(t_env_simd, 0),
};

static const unsigned int scan_nrs[] = { 0, 1, 63, 64, 65, 1000 };

#define NR_FIXED (sizeof(fixed_cases) / sizeof(fixed_cases[0]))
#define NR_NRS (sizeof(scan_nrs) / sizeof(scan_nrs[0]))
#define NR_SCAN (NR_NRS * MIX_NR + MIGACCEL_SIMD_NR * MIX_NR)

int main(int argc, char **argv)
{
	static struct tap_case cases[NR_FIXED + NR_SCAN + MIGACCEL_SIMD_NR];
	static struct scan_arg args[NR_SCAN];
	static char names[NR_SCAN + MIGACCEL_SIMD_NR][64];
	static char missing[64];
	uint64_t seed;
	unsigned int i, n = 0, s = 0;
	int simd, m, ret;

	if (argc > 1 && !strcmp(argv[1], "--print-simd")) {
		printf("%s\n", migaccel__simd_name(migaccel__simd_current()));
		return 0;
	}
	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)getpid();
	rng_seed(seed);
	unsetenv("MIGACCEL_PATH");
	unsetenv("MIGACCEL_DEVICE");
	simd_default = migaccel__simd_current();

	for (i = 0; i < NR_FIXED; i++)
		cases[n++] = fixed_cases[i];
	for (i = 0; i < NR_NRS; i++) {
		for (m = 0; m < MIX_NR; m++, s++) {
			args[s] = (struct scan_arg){ scan_nrs[i], m, -1 };
			snprintf(names[s], sizeof(names[s]),
				 "t_scan_vs_reference_nr%u_%s", scan_nrs[i],
				 mix_names[m]);
			cases[n++] = (struct tap_case){ names[s],
				t_scan_vs_reference, &args[s] };
		}
	}
	/*
	 * Only the variants this CPU has: the harness counts a skip as a
	 * failure, and a variant the CPU lacks is never selected anyway.
	 */
	for (simd = 0; simd < MIGACCEL_SIMD_NR; simd++) {
		if (!migaccel__simd_supported(simd)) {
			strcat(missing, " ");
			strcat(missing, migaccel__simd_name(simd));
			continue;
		}
		snprintf(names[NR_SCAN + simd], sizeof(names[0]),
			 "t_page_is_zero_every_offset_%s",
			 migaccel__simd_name(simd));
		cases[n++] = (struct tap_case){ names[NR_SCAN + simd],
			t_page_is_zero_every_offset,
			(const void *)(uintptr_t)simd };
		for (m = 0; m < MIX_NR; m++, s++) {
			args[s] = (struct scan_arg){ 1000, m, simd };
			snprintf(names[s], sizeof(names[s]),
				 "t_scan_vs_reference_%s_nr1000_%s",
				 migaccel__simd_name(simd), mix_names[m]);
			cases[n++] = (struct tap_case){ names[s],
				t_scan_vs_reference, &args[s] };
		}
	}

	tap_plan(n);
	tap_diag("seed %#" PRIx64 ", default SIMD %s", seed,
		 migaccel__simd_name(simd_default));
	if (missing[0])
		tap_diag("not tested, this CPU lacks:%s", missing);
	ret = tap_run(cases, n);
	return ret;
}
