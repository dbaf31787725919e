// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The kernel path of registered regions, work objects and asynchronous
 * completion, against the CPU path: for the VM, with the real module.
 *
 *  - packets: migaccel_packet_compress() reports and packs as the CPU path;
 *  - work objects with every operation, run and submitted, with and without
 *    the memory registered, give what the CPU array functions give;
 *  - a region is busy (-EBUSY) while an unreaped batch names it, even
 *    after it completed (its results are written when it is reaped), and
 *    unregistering succeeds once it is reaped;
 *  - RLIMIT_MEMLOCK is enforced to the page, in a forked child that drops
 *    CAP_IPC_LOCK: N pages register under a limit of N pages, one more
 *    fails with -ENOMEM;
 *  - completions come back in submission order, and epoll on
 *    migaccel_channel_fd() says readable exactly while one waits; the
 *    eventfd is signalled once per batch;
 *  - 16 threads, each with its own channel, run MIGACCEL_STRESS_BATCHES
 *    (default 1000) batches each, every result checked against the CPU.
 *
 * Needs /dev/migaccel (or MIGACCEL_DEVICE): without it every case fails;
 * it never skips.  Exit status non-zero on any failure.
 *
 *   async_paths [seed]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "work_common.h"

static struct migaccel_channel *kch, *cch;
static int kch_err;
static struct op_set set;
static uint64_t seed;

#define NEED_KERNEL()							\
	TAP_CHECK(kch, "no kernel channel: %s (is migaccel.ko loaded?)", \
		  strerror(-kch_err))

/* ---- packets ---- */

static enum tap_result packet_kernel_as_cpu(const void *arg)
{
	enum { NR = 300 };
	static struct migaccel_page_out kres[NR], cres[NR];
	static void *pages[NR];
	unsigned char *pool = pages_alloc(NR), *kout, *cout;
	int kused, cused;
	unsigned int i;

	(void)arg;
	NEED_KERNEL();
	kout = malloc(MIGACCEL_PACKET_OUT_SIZE(NR));
	cout = malloc(MIGACCEL_PACKET_OUT_SIZE(NR));
	TAP_CHECK(kout && cout, "malloc");
	for (i = 0; i < NR; i++) {
		pages[i] = pool + (size_t)i * PAGE;
		fill_kind(pages[i], random_kind());
	}
	kused = migaccel_packet_compress(kch, pages, NR, kout,
					 MIGACCEL_PACKET_OUT_SIZE(NR), kres);
	cused = migaccel_packet_compress(cch, pages, NR, cout,
					 MIGACCEL_PACKET_OUT_SIZE(NR), cres);
	TAP_CHECK(packet_ok(pages, NR, kout, kused, kres), "kernel packet");
	TAP_CHECK(packet_ok(pages, NR, cout, cused, cres), "CPU packet");
	for (i = 0; i < NR; i++)
		TAP_CHECK((kres[i].kind == MIGACCEL_PAGE_ZERO) ==
			  (cres[i].kind == MIGACCEL_PAGE_ZERO), "page %u", i);
	tap_diag("%d bytes on the kernel path, %d on the CPU", kused, cused);
	free(kout);
	free(cout);
	pages_free(pool, NR);
	return TAP_PASS;
}

/* ---- work objects ---- */

static uint32_t set_regions[16];
static unsigned int nr_set_regions;

static int register_set(void)
{
	unsigned char *bufs[] = { set.src, set.src2, set.dst, set.buf,
				  set.rec, set.back, set.app, set.wz };
	unsigned int i;
	int ret;

	nr_set_regions = 0;
	for (i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		ret = migaccel_region_register(kch, bufs[i], SET * PAGE,
					       &set_regions[nr_set_regions]);
		if (ret)
			return ret;
		nr_set_regions++;
	}
	/* wrec stays unregistered: a mix of region and plain operands. */
	return 0;
}

static int unregister_set(void)
{
	int ret = 0;

	while (nr_set_regions)
		ret = ret ? ret :
		      migaccel_region_unregister(kch,
						 set_regions[--nr_set_regions],
						 0);
	return ret;
}

struct every_op_case {
	bool regions;
	bool async;
};

static enum tap_result work_every_op_kernel(const void *arg)
{
	const struct every_op_case *c = arg;
	struct migaccel_work *w;
	struct migaccel_done d;
	enum tap_result r = TAP_PASS;
	unsigned int round;
	int ret;

	NEED_KERNEL();
	if (c->regions)
		TAP_CHECK(!(ret = register_set()), "register: %d", ret);
	/* 256 operations: more than one batch wherever the limit is low. */
	TAP_CHECK(!migaccel_work_new(kch, 8 * SET, &w), "new");
	for (round = 0; round < 4 && r == TAP_PASS; round++) {
		TAP_CHECK(op_set_fill(&set, cch), "fill");
		TAP_CHECK(!migaccel_work_reset(w), "reset");
		TAP_CHECK(!(ret = op_set_add(&set, w)), "add: %d", ret);
		if (c->async) {
			TAP_CHECK(!(ret = migaccel_work_submit(w, round)),
				  "submit: %d", ret);
			ret = migaccel_reap(kch, &d, 1, 1, 10000);
			TAP_CHECK(ret == 1 && d.work == w &&
				  d.user_data == round && !d.result,
				  "reap: %d, result %d", ret, d.result);
		} else {
			TAP_CHECK(!(ret = migaccel_work_run(w)), "run: %d", ret);
		}
		r = op_set_check(&set, w, cch);
	}
	migaccel_work_free(w);
	if (c->regions)
		TAP_CHECK(!(ret = unregister_set()), "unregister: %d", ret);
	return r;
}

/* ---- region lifetime ---- */

static enum tap_result region_busy_in_flight(const void *arg)
{
	unsigned char *mem = pages_alloc(64);
	struct migaccel_work *w;
	struct migaccel_done d;
	uint64_t value;
	uint32_t id;
	unsigned int i;
	int ret;

	(void)arg;
	NEED_KERNEL();
	for (i = 0; i < 64; i++)
		fill_kind(mem + (size_t)i * PAGE, random_kind());
	TAP_CHECK(!(ret = migaccel_region_register(kch, mem, 64 * PAGE, &id)),
		  "register: %d", ret);
	TAP_CHECK(!migaccel_work_new(kch, 64, &w), "new");
	for (i = 0; i < 64; i++)
		TAP_CHECK(migaccel_work_add_crc64(w, mem + (size_t)i * PAGE) ==
			  (int)i, "add");
	TAP_CHECK(!(ret = migaccel_work_submit(w, 7)), "submit: %d", ret);
	ret = migaccel_region_unregister(kch, id, 0);
	TAP_CHECK(ret == -EBUSY, "unregister in flight: %d", ret);
	ret = migaccel_reap(kch, &d, 1, 1, 10000);
	TAP_CHECK(ret == 1 && !d.result, "reap: %d, result %d", ret, d.result);
	ret = migaccel_region_unregister(kch, id, MIGACCEL_UNREGISTER_WAIT);
	TAP_CHECK(!ret, "unregister once reaped: %d", ret);
	for (i = 0; i < 64; i++) {
		TAP_CHECK(!migaccel_work_result(w, i, NULL, NULL, &value) &&
			  value == ref_crc64(mem + (size_t)i * PAGE, PAGE),
			  "crc of page %u", i);
	}
	migaccel_work_free(w);
	pages_free(mem, 64);
	return TAP_PASS;
}

/* Drop CAP_IPC_LOCK from the effective set, so RLIMIT_MEMLOCK applies. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -errno;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &h, d))
		return -errno;
	return 0;
}

#define LIMIT_PAGES 16u

/* In the child: exit 0 if the limit holds to the page, else a code. */
static int memlock_child(void)
{
	struct rlimit rl = { LIMIT_PAGES * PAGE, LIMIT_PAGES * PAGE };
	unsigned char *mem = pages_alloc(LIMIT_PAGES), *more = pages_alloc(1);
	struct migaccel_channel *c;
	uint32_t id, id2;
	int ret;

	if (drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl))
		return 10;
	if (migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &c))
		return 11;
	ret = migaccel_region_register(c, mem, LIMIT_PAGES * PAGE, &id);
	if (ret) {
		printf("# child: %u pages under a %u-page limit: %d\n",
		       LIMIT_PAGES, LIMIT_PAGES, ret);
		return 12;
	}
	ret = migaccel_region_register(c, more, PAGE, &id2);
	if (ret != -ENOMEM) {
		printf("# child: one page over the limit: %d\n", ret);
		return 13;
	}
	/* Unregistering gives the charge back: the page fits now. */
	if (migaccel_region_unregister(c, id, 0) ||
	    migaccel_region_register(c, more, PAGE, &id2))
		return 14;
	migaccel_channel_close(c);
	return 0;
}

static enum tap_result region_memlock_exact(const void *arg)
{
	pid_t pid;
	int st;

	(void)arg;
	NEED_KERNEL();
	fflush(stdout);
	pid = fork();
	TAP_CHECK(pid >= 0, "fork");
	if (!pid) {
		/* Not the parent's channel: the child opens its own. */
		_exit(memlock_child());
	}
	TAP_CHECK(waitpid(pid, &st, 0) == pid, "wait");
	TAP_CHECK(WIFEXITED(st) && !WEXITSTATUS(st), "child status %d",
		  WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return TAP_PASS;
}

/* ---- ordering and readiness ---- */

#define NR_ASYNC 8

static enum tap_result async_order_and_epoll(const void *arg)
{
	struct migaccel_work *w[NR_ASYNC];
	struct migaccel_done d[NR_ASYNC];
	struct epoll_event ev = { .events = EPOLLIN }, got;
	unsigned char *mem = pages_alloc(NR_ASYNC);
	uint64_t value, count = 0;
	int ep, efd, fd, i, n, ret;

	(void)arg;
	NEED_KERNEL();
	fd = migaccel_channel_fd(kch);
	ep = epoll_create1(EPOLL_CLOEXEC);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	TAP_CHECK(fd >= 0 && ep >= 0 && efd >= 0, "fd %d", fd);
	TAP_CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl");
	TAP_CHECK(epoll_wait(ep, &got, 1, 0) == 0, "readable before submit");
	TAP_CHECK(!(ret = migaccel_channel_set_eventfd(kch, efd)),
		  "set eventfd: %d", ret);

	for (i = 0; i < NR_ASYNC; i++) {
		memset(mem + (size_t)i * PAGE, i + 1, PAGE);
		TAP_CHECK(!migaccel_work_new(kch, 1, &w[i]), "new");
		TAP_CHECK(!migaccel_work_add_crc32c(w[i],
						    mem + (size_t)i * PAGE, 0),
			  "add");
	}
	for (i = 0; i < NR_ASYNC; i++)
		TAP_CHECK(!(ret = migaccel_work_submit(w[i], 1000 + i)),
			  "submit %d: %d", i, ret);
	TAP_CHECK(epoll_wait(ep, &got, 1, 10000) == 1, "never readable");
	n = migaccel_reap(kch, d, NR_ASYNC, NR_ASYNC, 10000);
	TAP_CHECK(n == NR_ASYNC, "reaped %d", n);
	for (i = 0; i < NR_ASYNC; i++) {
		TAP_CHECK(d[i].work == w[i] &&
			  d[i].user_data == (uint64_t)(1000 + i) &&
			  !d[i].result, "completion %d: user_data %" PRIu64, i,
			  d[i].user_data);
		TAP_CHECK(!migaccel_work_result(w[i], 0, NULL, NULL, &value) &&
			  value == ref_crc32c(0, mem + (size_t)i * PAGE, PAGE),
			  "crc %d", i);
	}
	TAP_CHECK(epoll_wait(ep, &got, 1, 0) == 0, "readable after reaping");
	/*
	 * One signal per batch, never before REAP can see it, but possibly
	 * after (uapi.rst): a reaper may find a batch done while its
	 * engine is still on its way to the eventfd.  So the count may still
	 * be short of NR_ASYNC here, and must reach it, exactly, soon.
	 */
	for (i = 0; i < 100 && count < NR_ASYNC; i++) {
		struct pollfd pfd = { .fd = efd, .events = POLLIN };

		if (poll(&pfd, 1, 100) == 1 && read(efd, &value, 8) == 8)
			count += value;
	}
	TAP_CHECK(count == NR_ASYNC, "eventfd count %" PRIu64, count);
	TAP_CHECK(read(efd, &value, 8) < 0 && errno == EAGAIN,
		  "eventfd signalled again: %" PRIu64, value);
	TAP_CHECK(!migaccel_channel_set_eventfd(kch, -1), "unset eventfd");
	for (i = 0; i < NR_ASYNC; i++)
		migaccel_work_free(w[i]);
	close(efd);
	close(ep);
	pages_free(mem, NR_ASYNC);
	return TAP_PASS;
}

/* ---- load ---- */

#define THREADS 16
#define STRESS_PAGES 16u

struct stress {
	pthread_t tid;
	unsigned int id, batches;
	char err[200];
};

/* Did batch @b (@w on @mem, compressed to @zb) give the CPU's results? */
static bool stress_check(struct stress *t, struct migaccel_channel *c,
			 struct migaccel_work *w, unsigned char *mem,
			 unsigned char *zb, unsigned int b)
{
	unsigned char page[PAGE];
	void *pp[STRESS_PAGES];
	uint32_t crc[STRESS_PAGES];
	uint64_t bm[1], v = 0;
	unsigned int i;
	int st = 0;

	for (i = 0; i < STRESS_PAGES; i++)
		pp[i] = mem + (size_t)i * PAGE;
	if (migaccel_zero_scan(c, pp, STRESS_PAGES, bm) ||
	    migaccel_crc32c(c, (const void *const *)pp, NULL, STRESS_PAGES,
			    crc)) {
		snprintf(t->err, sizeof(t->err), "CPU path failed");
		return false;
	}
	for (i = 0; i < STRESS_PAGES; i++) {
		if (migaccel_work_result(w, 3 * i, &st, NULL, &v) || st ||
		    v != (bm[0] >> i & 1))
			goto bad;
		if (migaccel_work_result(w, 3 * i + 1, &st, NULL, &v) || st ||
		    v != crc[i])
			goto bad;
		if (migaccel_work_result(w, 3 * i + 2, &st, NULL, &v) || st)
			goto bad;
		if (v != MIGACCEL_SIZE_RAW &&
		    (zlib_inflate_page(zb + (size_t)i * PAGE, (uint32_t)v,
				       page) || memcmp(page, pp[i], PAGE)))
			goto bad;
	}
	return true;
bad:
	snprintf(t->err, sizeof(t->err),
		 "batch %u page %u: status %d value %" PRIu64, b, i, st, v);
	return false;
}

/*
 * One thread: its own channels and two work objects, so that one batch is
 * in flight while the next is filled; every 8th batch is run instead.
 */
static void *stress_thread(void *arg)
{
	struct stress *t = arg;
	struct migaccel_channel *k = NULL, *c = NULL;
	struct migaccel_work *w[2] = { NULL, NULL };
	unsigned char *mem[2], *zb[2];
	struct migaccel_done d;
	unsigned int b, i, s;
	int pending = -1, ret;

	rng_seed(seed + t->id * 7919);
	for (i = 0; i < 2; i++) {
		mem[i] = pages_alloc(STRESS_PAGES);
		zb[i] = pages_alloc(STRESS_PAGES);
	}
	if (migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &k) ||
	    migaccel_channel_open(MIGACCEL_OPEN_CPU, &c) ||
	    migaccel_work_new(k, 3 * STRESS_PAGES, &w[0]) ||
	    migaccel_work_new(k, 3 * STRESS_PAGES, &w[1])) {
		snprintf(t->err, sizeof(t->err), "setup");
		goto out;
	}
	for (i = 0; i < STRESS_PAGES; i++) {
		fill_kind(mem[0] + (size_t)i * PAGE, random_kind());
		fill_kind(mem[1] + (size_t)i * PAGE, random_kind());
	}

	for (b = 0; b <= t->batches; b++) {
		s = b % 2;
		if (b < t->batches) {
			/* Slot s was reaped and checked at batch b - 1. */
			migaccel_work_reset(w[s]);
			for (i = 0; i < STRESS_PAGES; i++) {
				unsigned char *p = mem[s] + (size_t)i * PAGE;

				if (rng() % 4 == 0)
					fill_kind(p, random_kind());
				else if (!ref_page_is_zero(p))
					p[rng() % PAGE] ^= 1;
				migaccel_work_add_zero_scan(w[s], p);
				migaccel_work_add_crc32c(w[s], p, 0);
				migaccel_work_add_compress(
					w[s], p, zb[s] + (size_t)i * PAGE,
					PAGE);
			}
			if (b % 8 == 7) {
				ret = migaccel_work_run(w[s]);
				if (ret) {
					snprintf(t->err, sizeof(t->err),
						 "run %u: %d", b, ret);
					goto out;
				}
				if (!stress_check(t, c, w[s], mem[s], zb[s], b))
					goto out;
			} else {
				ret = migaccel_work_submit(w[s], b);
				if (ret) {
					snprintf(t->err, sizeof(t->err),
						 "submit %u: %d", b, ret);
					goto out;
				}
			}
		}
		if (pending >= 0) {
			unsigned int ps = (unsigned int)pending % 2;

			ret = migaccel_reap(k, &d, 1, 1, 10000);
			if (ret != 1 || d.work != w[ps] ||
			    d.user_data != (uint64_t)pending || d.result) {
				snprintf(t->err, sizeof(t->err),
					 "reap of %d: %d, user_data %" PRIu64
					 ", result %d", pending, ret,
					 d.user_data, d.result);
				goto out;
			}
			if (!stress_check(t, c, w[ps], mem[ps], zb[ps],
					  (unsigned int)pending))
				goto out;
		}
		pending = b < t->batches && b % 8 != 7 ? (int)b : -1;
	}
out:
	migaccel_work_free(w[0]);
	migaccel_work_free(w[1]);
	migaccel_channel_close(k);
	migaccel_channel_close(c);
	for (i = 0; i < 2; i++) {
		pages_free(mem[i], STRESS_PAGES);
		pages_free(zb[i], STRESS_PAGES);
	}
	return NULL;
}

static enum tap_result stress_threads(const void *arg)
{
	static struct stress t[THREADS];
	const char *env = getenv("MIGACCEL_STRESS_BATCHES");
	unsigned int batches = env && *env ? (unsigned int)atoi(env) : 1000;
	struct timespec a, z;
	unsigned int i;
	bool ok = true;

	(void)arg;
	NEED_KERNEL();
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < THREADS; i++) {
		t[i].id = i;
		t[i].batches = batches;
		t[i].err[0] = 0;
		TAP_CHECK(!pthread_create(&t[i].tid, NULL, stress_thread, &t[i]),
			  "thread %u", i);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i].tid, NULL);
	clock_gettime(CLOCK_MONOTONIC, &z);
	for (i = 0; i < THREADS; i++) {
		if (t[i].err[0]) {
			tap_diag("thread %u: %s", i, t[i].err);
			ok = false;
		}
	}
	tap_diag("%u threads x %u batches of %u ops in %.2f s", THREADS,
		 batches, 3 * STRESS_PAGES,
		 (double)(z.tv_sec - a.tv_sec) + (z.tv_nsec - a.tv_nsec) / 1e9);
	TAP_CHECK(ok, "a thread failed");
	return TAP_PASS;
}

static enum tap_result kernel_channel_opens(const void *arg)
{
	(void)arg;
	NEED_KERNEL();
	TAP_CHECK(migaccel_channel_path(kch) == MIGACCEL_PATH_KERNEL, "path");
	return TAP_PASS;
}

static const struct every_op_case run_plain = { false, false };
static const struct every_op_case run_regions = { true, false };
static const struct every_op_case async_plain = { false, true };
static const struct every_op_case async_regions = { true, true };

static const struct tap_case cases[] = {
	{ "kernel channel opens", kernel_channel_opens, NULL },
	{ "packet: kernel path reports and packs as the CPU path",
	  packet_kernel_as_cpu, NULL },
	{ "work run: every operation matches the CPU",
	  work_every_op_kernel, &run_plain },
	{ "work run on registered memory: every operation matches the CPU",
	  work_every_op_kernel, &run_regions },
	{ "work submitted: every operation matches the CPU",
	  work_every_op_kernel, &async_plain },
	{ "work submitted on registered memory: every operation matches",
	  work_every_op_kernel, &async_regions },
	{ "region: -EBUSY in flight, MIGACCEL_UNREGISTER_WAIT succeeds",
	  region_busy_in_flight, NULL },
	{ "region: RLIMIT_MEMLOCK enforced to the page",
	  region_memlock_exact, NULL },
	{ "async: submission order, epoll readiness, eventfd count",
	  async_order_and_epoll, NULL },
	{ "16 threads x MIGACCEL_STRESS_BATCHES batches checked",
	  stress_threads, NULL },
};

int main(int argc, char **argv)
{
	unsigned int n = sizeof(cases) / sizeof(cases[0]);
	int ret;

	seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)time(NULL);
	rng_seed(seed);
	ref_tables_init();
	kch_err = migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &kch);
	if (kch_err)
		kch = NULL;
	if (migaccel_channel_open(MIGACCEL_OPEN_CPU, &cch)) {
		printf("Bail out! no CPU channel\n");
		return 1;
	}
	op_set_init(&set);
	tap_plan(n);
	tap_diag("seed %" PRIu64, seed);
	ret = tap_run(cases, n);
	migaccel_channel_close(kch);
	migaccel_channel_close(cch);
	return ret;
}
