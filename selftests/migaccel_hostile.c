// SPDX-License-Identifier: GPL-2.0
/*
 * migaccel_hostile: /dev/migaccel as an attacker with access to it uses it.
 *
 * For MIGACCEL_HOSTILE_SECONDS (default 60):
 *
 * - MIGACCEL_HOSTILE_THREADS threads (default 6) share one channel.  Each
 *   submits synchronous and asynchronous batches and page-list zero
 *   scans (MIGACCEL_ZERO_SCAN) on its own memory and checks every result
 *   against the CPU, reaps any thread's batches,
 *   polls, registers and unregisters regions (and unregisters ids it
 *   guesses), sets the eventfd, passes argument structs in read-only
 *   memory, makes an async batch's op array vanish before it is reaped,
 *   and makes malformed calls, each of which must fail with its documented
 *   errno.  MIGACCEL_HOSTILE_HEAVY (default 5) is the percentage of
 *   batches, reaps, polls and region calls among them.  At the end the
 *   main thread closes the channel under them.
 * - For the first MIGACCEL_HOSTILE_STORM_SECONDS (default 2/5 of the
 *   run), at the same time, a storm process forks children that open a
 *   channel, register a region of random bytes and loop 1,024-op copies
 *   in it, synchronous and asynchronous, and SIGKILLs them 5 to 45 ms
 *   later.  Some pass their fd
 *   over a UNIX socket, some fork a child that inherits it: neither may
 *   reach the owner's memory (EPERM).
 *
 * Then every pin is back (nr_foll_pin_acquired - nr_foll_pin_released as
 * before).  The VM plan unloads the module and checks the kernel log.
 * MIGACCEL_HOSTILE_SEED (default 1) seeds everything; MIGACCEL_HOSTILE_CALLS,
 * when set, stops the run after about that many calls.  Output is TAP,
 * with the number of calls and the time as diagnostics.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/migaccel.h>

#include "migaccel_util.h"

#define PAGE 4096
#define MEM_PAGES 64
#define MAX_OPS 16
#define OPS_PAGES ((MAX_OPS * sizeof(struct migaccel_op) + PAGE - 1) / PAGE)
#define POOL_SIZE 256

/* Shared with the storm process and its children. */
struct shared {
	atomic_ulong calls;
	atomic_ulong checked_ops;
	atomic_ulong violations;
	atomic_ulong kills;
	atomic_ulong forks;
	atomic_ulong fd_passes;
	atomic_int stop;
	char first[256];
	atomic_int first_set;
};

static struct shared *sh;
static unsigned long max_calls;
static double end_time;
/* This process's channel was closed under its threads. */
static atomic_int closed;
/*
 * Region ids a thread runs batches on: another thread's guessed
 * unregister may take any other id, never these (or a batch would find
 * another thread's memory at a reused id).  Under regions_lock.
 */
static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t owned[64];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void violation(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&sh->violations, 1);
	if (atomic_exchange(&sh->first_set, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(sh->first, sizeof(sh->first), fmt, ap);
	va_end(ap);
}

/* Calls of this thread, added to sh->calls at its end. */
static __thread unsigned long my_calls;
static __thread bool counted_locally;

static bool running(void)
{
	return !atomic_load(&sh->stop) && !atomic_load(&closed) &&
	       now_s() < end_time &&
	       (!max_calls || atomic_load(&sh->calls) + my_calls < max_calls);
}

/* One ioctl, counted: 0 or -errno. */
static int call(int fd, unsigned long nr, void *arg)
{
	int ret = ioctl(fd, nr, arg) ? -errno : 0;

	if (ret == -EBADF)
		atomic_store(&closed, 1);
	else if (counted_locally)
		my_calls++;
	else
		atomic_fetch_add(&sh->calls, 1);
	return ret;
}

/* A call that must fail with @want (0: succeed). */
static void expect(int fd, unsigned long nr, void *arg, int want,
		   const char *what)
{
	int ret = call(fd, nr, arg);

	if (ret != want && ret != -EBADF)
		violation("%s: %d, want %d", what, ret, want);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint32_t crc32c_table[256];

static void crc_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc32c_table[i] = c;
	}
}

static uint32_t ref_crc32c(uint32_t seed, const uint8_t *p, size_t len)
{
	uint32_t c = ~seed;

	while (len--)
		c = crc32c_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

static bool page_zero(const uint8_t *p)
{
	size_t i;

	for (i = 0; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

static void *map_pages(size_t n)
{
	void *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Pages of @mem: zero or random, as @rng says. */
static void fill_pages(uint8_t *mem, unsigned int n, uint64_t *rng)
{
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		uint8_t *p = mem + (size_t)i * PAGE;

		memset(p, 0, PAGE);
		if (rng_next(rng) % 3 == 0)
			continue;
		for (k = 0; k < 8; k++)
			p[rng_next(rng) % PAGE] = 1 + rng_next(rng) % 255;
	}
}

/*
 * A batch and what the CPU says its results must be: @nr ops on @src
 * pages (zero scans, CRC32C, copies into @dst pages).
 */
struct work {
	struct migaccel_op *ops;
	unsigned int nr;
	uint8_t *src;
	uint8_t *dst;
	uint64_t want[MAX_OPS];
	bool vanish;		/* the op array vanishes before reaping */
	atomic_int refs;	/* submitter (vanish only) and reaper */
};

static void work_build(struct work *w, uint64_t *rng, uint32_t region,
		       uint64_t region_base)
{
	unsigned int i;

	w->nr = 1 + rng_next(rng) % MAX_OPS;
	fill_pages(w->src, w->nr, rng);
	memset(w->ops, 0, w->nr * sizeof(*w->ops));
	for (i = 0; i < w->nr; i++) {
		struct migaccel_op *op = &w->ops[i];
		uint8_t *s = w->src + (size_t)i * PAGE;

		op->src = region ? region_base + (uint64_t)i * PAGE :
				   (uintptr_t)s;
		op->region = region;
		switch (rng_next(rng) % 3) {
		case 0:
			op->opcode = MIGACCEL_OP_ZERO_SCAN;
			w->want[i] = page_zero(s);
			break;
		case 1:
			op->opcode = MIGACCEL_OP_CRC32C;
			op->seed = (uint32_t)rng_next(rng);
			w->want[i] = ref_crc32c(op->seed, s, PAGE);
			break;
		default:
			/* Copies go to pages of their own, never in a region. */
			op->opcode = MIGACCEL_OP_COPY;
			op->region = 0;
			op->src = (uintptr_t)s;
			op->dst = (uintptr_t)(w->dst + (size_t)i * PAGE);
			memset(w->dst + (size_t)i * PAGE, 0xa5, PAGE);
			w->want[i] = 0;
			break;
		}
		op->out_result = 0xdead;
	}
}

/* Every result of a completed batch, against the CPU. */
static void work_check(struct work *w, const char *what)
{
	unsigned int i;

	for (i = 0; i < w->nr; i++) {
		struct migaccel_op *op = &w->ops[i];

		if (op->out_status) {
			violation("%s: op %u: status %d", what, i,
				  op->out_status);
			return;
		}
		if (op->opcode == MIGACCEL_OP_COPY) {
			if (memcmp(w->dst + (size_t)i * PAGE,
				   w->src + (size_t)i * PAGE, PAGE))
				violation("%s: op %u: copy differs", what, i);
		} else if (op->out_result != w->want[i]) {
			violation("%s: op %u (opcode %u): %llu, CPU %llu", what,
				  i, op->opcode,
				  (unsigned long long)op->out_result,
				  (unsigned long long)w->want[i]);
		}
	}
	atomic_fetch_add(&sh->checked_ops, w->nr);
}

/*
 * Works are kept for reuse: mapping and unmapping memory in a process of
 * many threads costs TLB shootdowns, which emulation makes slow.
 */
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct work *pool[POOL_SIZE];
static unsigned int pool_nr;

static struct work *work_new(void)
{
	struct work *w = NULL;

	pthread_mutex_lock(&pool_lock);
	if (pool_nr)
		w = pool[--pool_nr];
	pthread_mutex_unlock(&pool_lock);
	if (w) {
		w->vanish = false;
		atomic_store(&w->refs, 1);
		return w;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->src = map_pages(MAX_OPS);
	w->dst = map_pages(MAX_OPS);
	w->ops = map_pages(OPS_PAGES);
	atomic_store(&w->refs, 1);
	if (!w->src || !w->dst || !w->ops) {
		violation("out of memory");
		return NULL;
	}
	return w;
}

static void work_free(struct work *w)
{
	if (!w->vanish) {
		pthread_mutex_lock(&pool_lock);
		if (pool_nr < POOL_SIZE) {
			pool[pool_nr++] = w;
			w = NULL;
		}
		pthread_mutex_unlock(&pool_lock);
		if (!w)
			return;
	}
	munmap(w->src, MAX_OPS * PAGE);
	munmap(w->dst, MAX_OPS * PAGE);
	munmap(w->ops, OPS_PAGES * PAGE);
	free(w);
}

static void work_put(struct work *w)
{
	if (atomic_fetch_sub(&w->refs, 1) == 1)
		work_free(w);
}

static void batch_cmd(struct migaccel_batch *b, struct work *w,
		      uint32_t flags)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->flags = flags;
	b->nr_ops = w->nr;
	b->op_size = sizeof(*w->ops);
	b->ops = (uintptr_t)w->ops;
	b->user_data = (uintptr_t)w;
}

/* ---- the threads sharing one channel ---- */

struct thread {
	pthread_t t;
	int fd;
	int efd;
	unsigned int id;
	uint64_t rng;
	uint8_t *ro;		/* a read-only batch struct naming @rmem's op */
	uint8_t *rmem;		/* memory it registers as regions */
	uint32_t region;	/* its region, or 0 */
	struct work *sync;
};

static void reap_some(struct thread *t, bool wait)
{
	struct migaccel_completion c[8];
	struct migaccel_reap r = {
		.size = sizeof(r),
		.flags = wait ? MIGACCEL_REAP_WAIT : 0,
		.nr = 1 + rng_next(&t->rng) % 8,
		.min_complete = wait ? 1 : 0,
		.entries = (uintptr_t)c,
		.timeout_ms = wait ? 10 : 0,
	};
	unsigned int i;
	int ret = call(t->fd, MIGACCEL_REAP, &r);

	if (ret) {
		if (ret != -EBADF && ret != -EINTR)
			violation("reap: %d", ret);
		return;
	}
	for (i = 0; i < r.out_nr; i++) {
		struct work *w = (struct work *)(uintptr_t)c[i].user_data;

		if (w->vanish) {
			/* Its op array went away: no results, or EFAULT. */
			if (c[i].result && c[i].result != -EFAULT)
				violation("reap vanished: %d", c[i].result);
		} else if (c[i].result) {
			violation("reap: batch result %d", c[i].result);
		} else {
			work_check(w, "async");
		}
		work_put(w);
	}
}

static void submit_async(struct thread *t, bool vanish)
{
	struct migaccel_batch b;
	struct work *w = work_new();
	int ret;

	if (!w)
		return;
	work_build(w, &t->rng, 0, 0);
	batch_cmd(&b, w, MIGACCEL_BATCH_ASYNC);
	if (vanish) {
		w->vanish = true;
		atomic_store(&w->refs, 2);
	}
	ret = call(t->fd, MIGACCEL_BATCH, &b);
	if (ret) {
		if (ret != -EBUSY && ret != -EBADF)
			violation("async batch: %d", ret);
		work_free(w);
		return;
	}
	if (vanish) {
		/*
		 * The op array goes away (no access) before it is reaped, if
		 * no reaper was quicker: its results cannot be written.  A
		 * mapping in its place, not a hole, so that no later mapping
		 * of another thread takes the addresses.
		 */
		mmap(w->ops, OPS_PAGES * PAGE, PROT_NONE,
		     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		work_put(w);
	}
}

static void submit_sync(struct thread *t, bool in_region)
{
	struct work *w = t->sync;
	struct migaccel_batch b;
	int ret;

	/* The region maps w->src: zero scans and CRCs name it by offset. */
	work_build(w, &t->rng, in_region ? t->region : 0, 0);
	batch_cmd(&b, w, 0);
	ret = call(t->fd, MIGACCEL_BATCH, &b);
	/* Another thread may have unregistered the region (guessing ids). */
	if (in_region && ret == -ENOENT) {
		t->region = 0;
		return;
	}
	if (ret) {
		if (ret != -EBADF && ret != -EINTR)
			violation("sync batch: %d", ret);
		return;
	}
	if (b.out_nr_failed)
		violation("sync batch: %u failed", b.out_nr_failed);
	work_check(w, in_region ? "sync region" : "sync");
}

/*
 * Pages of the thread's region as a MIGACCEL_ZERO_SCAN page list, in any
 * order and some twice, checked against the CPU.
 */
static void submit_page_scan(struct thread *t)
{
	struct migaccel_zero_scan z = { .size = sizeof(z) };
	uint64_t offs[MAX_OPS], bits[(MAX_OPS + 63) / 64];
	unsigned int i, nr = 1 + rng_next(&t->rng) % MAX_OPS;
	uint8_t *src = t->sync->src;
	int ret;

	fill_pages(src, MAX_OPS, &t->rng);
	for (i = 0; i < nr; i++)
		offs[i] = rng_next(&t->rng) % MAX_OPS * PAGE;
	memset(bits, 0xa5, sizeof(bits));
	z.nr_pages = nr;
	z.region = t->region;
	z.pages = (uintptr_t)offs;
	z.out_zero_bitmap = (uintptr_t)bits;
	ret = call(t->fd, MIGACCEL_ZERO_SCAN, &z);
	/* As submit_sync(): the region may be gone. */
	if (ret == -ENOENT) {
		t->region = 0;
		return;
	}
	if (ret) {
		if (ret != -EBADF && ret != -EINTR)
			violation("page scan: %d", ret);
		return;
	}
	for (i = 0; i < nr; i++)
		if ((bits[i / 64] >> (i % 64) & 1) != page_zero(src + offs[i]))
			violation("page scan: page %u (offset %llu): %d, CPU %d",
				  i, (unsigned long long)offs[i],
				  (int)(bits[i / 64] >> (i % 64) & 1),
				  page_zero(src + offs[i]));
	if (bits[nr / 64] >> (nr % 64))
		violation("page scan: bits past page %u", nr);
	atomic_fetch_add(&sh->checked_ops, nr);
}

static void region_toggle(struct thread *t)
{
	int ret;

	pthread_mutex_lock(&regions_lock);
	if (t->region) {
		struct migaccel_region_unregister u = {
			.size = sizeof(u), .region_id = t->region,
		};

		/* Its own batches are synchronous: nothing holds it. */
		ret = call(t->fd, MIGACCEL_REGION_UNREGISTER, &u);
		if (ret && ret != -EBADF)
			violation("unregister: %d", ret);
		if (t->region < sizeof(owned))
			owned[t->region] = 0;
		t->region = 0;
	} else {
		struct migaccel_region_register r = {
			.size = sizeof(r), .addr = (uintptr_t)t->sync->src,
			.length = (uint64_t)MAX_OPS * PAGE,
		};

		ret = call(t->fd, MIGACCEL_REGION_REGISTER, &r);
		if (ret && ret != -EBADF)
			violation("register: %d", ret);
		if (!ret && r.out_region_id < sizeof(owned)) {
			t->region = r.out_region_id;
			owned[t->region] = 1;
		} else if (!ret) {
			/* An id too high to track: let it go at once. */
			struct migaccel_region_unregister u = {
				.size = sizeof(u), .region_id = r.out_region_id,
			};

			call(t->fd, MIGACCEL_REGION_UNREGISTER, &u);
		}
	}
	pthread_mutex_unlock(&regions_lock);
}

/*
 * A scratch region, then an unregister of an id guessed among the small
 * ones: it takes a scratch region of any thread, or finds nothing.
 */
static void region_guess(struct thread *t)
{
	struct migaccel_region_register r = {
		.size = sizeof(r), .addr = (uintptr_t)t->rmem, .length = PAGE,
	};
	struct migaccel_region_unregister u = { .size = sizeof(u) };
	int ret;

	pthread_mutex_lock(&regions_lock);
	ret = call(t->fd, MIGACCEL_REGION_REGISTER, &r);
	if (ret && ret != -EBADF)
		violation("scratch register: %d", ret);
	do
		u.region_id = 1 + rng_next(&t->rng) % 16;
	while (owned[u.region_id]);
	ret = call(t->fd, MIGACCEL_REGION_UNREGISTER, &u);
	if (ret && ret != -ENOENT && ret != -EBADF)
		violation("guessed unregister: %d", ret);
	pthread_mutex_unlock(&regions_lock);
}

/* Malformed calls, each with the errno the uapi documents for it. */
static void malformed(struct thread *t)
{
	union {
		struct migaccel_info info;
		struct migaccel_batch batch;
		struct migaccel_reap reap;
		struct migaccel_region_register reg;
		struct migaccel_region_unregister unreg;
		struct migaccel_set_eventfd efd;
		struct migaccel_zero_scan scan;
		uint8_t raw[256];
	} u;
	uint64_t off = 0;
	struct migaccel_op op = { .opcode = MIGACCEL_OP_ZERO_SCAN };
	int fd = t->fd;

	memset(&u, 0, sizeof(u));
	switch (rng_next(&t->rng) % 18) {
	case 0:
		u.info.size = sizeof(u.info);
		expect(fd, MIGACCEL_INFO, &u, 0, "info");
		break;
	case 1:
		u.info.size = sizeof(u.info);
		u.info.flags = 1;
		expect(fd, MIGACCEL_INFO, &u, -EOPNOTSUPP, "info flags");
		break;
	case 2:
		u.batch.size = 4;
		expect(fd, MIGACCEL_BATCH, &u, -EINVAL, "batch short");
		break;
	case 3:
		u.batch.size = sizeof(u.batch) + 8;
		u.raw[sizeof(u.batch) + 3] = 1;
		expect(fd, MIGACCEL_BATCH, &u, -E2BIG, "batch tail");
		break;
	case 4:
		u.batch.size = sizeof(u.batch);
		u.batch.op_size = sizeof(op);
		u.batch.ops = (uintptr_t)&op;
		expect(fd, MIGACCEL_BATCH, &u, -EINVAL, "batch no ops");
		break;
	case 5:
		u.batch.size = sizeof(u.batch);
		u.batch.nr_ops = 1;
		u.batch.op_size = 7;
		u.batch.ops = (uintptr_t)&op;
		expect(fd, MIGACCEL_BATCH, &u, -EINVAL, "batch op_size");
		break;
	case 6:
		u.batch.size = sizeof(u.batch);
		u.batch.nr_ops = 1;
		u.batch.op_size = sizeof(op);
		u.batch.flags = 1u << 7;
		u.batch.ops = (uintptr_t)&op;
		expect(fd, MIGACCEL_BATCH, &u, -EOPNOTSUPP, "batch flags");
		break;
	case 7:
		u.batch.size = sizeof(u.batch);
		u.batch.nr_ops = 1;
		u.batch.op_size = sizeof(op);
		u.batch.ops = 8;	/* unmapped */
		expect(fd, MIGACCEL_BATCH, &u, -EFAULT, "batch ops unmapped");
		break;
	case 8:
		op.region = 0x7fff0000u + rng_next(&t->rng) % 0xffff;
		op.src = 0;
		u.batch.size = sizeof(u.batch);
		u.batch.nr_ops = 1;
		u.batch.op_size = sizeof(op);
		u.batch.ops = (uintptr_t)&op;
		expect(fd, MIGACCEL_BATCH, &u, -ENOENT, "batch region");
		break;
	case 9:
		u.reap.size = sizeof(u.reap);
		expect(fd, MIGACCEL_REAP, &u, -EINVAL, "reap nr 0");
		break;
	case 10:
		u.unreg.size = sizeof(u.unreg);
		u.unreg.region_id = 0x7fff0000u + rng_next(&t->rng) % 0xffff;
		expect(fd, MIGACCEL_REGION_UNREGISTER, &u, -ENOENT,
		       "unregister unknown");
		break;
	case 11:
		u.reg.size = sizeof(u.reg);
		u.reg.addr = (uintptr_t)t->rmem;
		expect(fd, MIGACCEL_REGION_REGISTER, &u, -EINVAL,
		       "register length 0");
		break;
	case 12:
		u.reg.size = sizeof(u.reg);
		u.reg.addr = 0xffff888000000000ull;
		u.reg.length = PAGE;
		expect(fd, MIGACCEL_REGION_REGISTER, &u, -EFAULT,
		       "register kernel address");
		break;
	case 13:
		expect(fd, _IO(MIGACCEL_TYPE, 0x7f), &u, -ENOTTY, "bad ioctl");
		break;
	case 14:
		/* A read-only struct: fails before it acts. */
		expect(fd, MIGACCEL_BATCH, t->ro, -EFAULT, "batch read-only");
		if (((struct migaccel_op *)(t->rmem + PAGE / 2))->out_result)
			violation("read-only batch wrote its result");
		break;
	case 15:
		u.scan.size = sizeof(u.scan);
		u.scan.nr_pages = 1;
		u.scan.region = 0x7fff0000u + rng_next(&t->rng) % 0xffff;
		u.scan.pages = (uintptr_t)&off;
		u.scan.out_zero_bitmap = (uintptr_t)&off;
		expect(fd, MIGACCEL_ZERO_SCAN, &u, -ENOENT, "page scan region");
		break;
	case 16:
		u.scan.size = sizeof(u.scan);
		u.scan.nr_pages = 1 + rng_next(&t->rng) % 2048;
		u.scan.flags = 1;
		expect(fd, MIGACCEL_ZERO_SCAN, &u, -EOPNOTSUPP, "page scan flags");
		break;
	default:
		u.efd.size = sizeof(u.efd);
		u.efd.fd = rng_next(&t->rng) & 1 ? t->efd : -1;
		expect(fd, MIGACCEL_SET_EVENTFD, &u, 0, "set eventfd");
		break;
	}
}

static unsigned long heavy_pct;

static void *thread_main(void *p)
{
	struct thread *t = p;
	struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
	unsigned int r;

	counted_locally = true;
	while (running()) {
		/* Batches and the like heavy_pct % of the time, 32 kinds. */
		r = rng_next(&t->rng) % 100;
		r = r < heavy_pct ? r * 32 / heavy_pct : 32;
		switch (r) {
		case 0 ... 3:
			submit_sync(t, false);
			break;
		case 4 ... 5:
			if (t->region && r == 5)
				submit_page_scan(t);
			else if (t->region)
				submit_sync(t, true);
			else
				region_toggle(t);
			break;
		case 6 ... 10:
			submit_async(t, r == 10);
			break;
		case 11 ... 23:
			reap_some(t, r < 14);
			break;
		case 24 ... 29:
			my_calls++;
			poll(&pfd, 1, 0);
			break;
		case 30:
			region_toggle(t);
			break;
		case 31:
			region_guess(t);
			break;
		default:
			malformed(t);
			break;
		}
	}
	atomic_fetch_add(&sh->calls, my_calls);
	return NULL;
}

/* A batch struct in read-only memory, naming one zero scan of @rmem. */
static uint8_t *ro_batch(uint8_t *rmem)
{
	struct migaccel_op *op = (void *)(rmem + PAGE / 2);
	struct migaccel_batch b = {
		.size = sizeof(b), .nr_ops = 1, .op_size = sizeof(*op),
		.ops = (uintptr_t)op,
	};
	uint8_t *ro = map_pages(1);

	if (!ro)
		return NULL;
	memset(op, 0, sizeof(*op));
	op->opcode = MIGACCEL_OP_ZERO_SCAN;
	op->src = (uintptr_t)rmem;
	memcpy(ro, &b, sizeof(b));
	return mprotect(ro, PAGE, PROT_READ) ? NULL : ro;
}

/* ---- the kill storm ---- */

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte = 'f';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_DONTWAIT) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

/* Someone else's channel: nothing that reaches memory is allowed. */
static void foreign_use(int fd, uint8_t *mine)
{
	struct migaccel_op op = {
		.opcode = MIGACCEL_OP_ZERO_SCAN, .src = (uintptr_t)mine,
	};
	struct migaccel_batch b = {
		.size = sizeof(b), .nr_ops = 1, .op_size = sizeof(op),
		.ops = (uintptr_t)&op,
	};
	struct migaccel_completion c;
	struct migaccel_reap r = {
		.size = sizeof(r), .nr = 1, .entries = (uintptr_t)&c,
	};
	struct migaccel_region_register reg = {
		.size = sizeof(reg), .addr = (uintptr_t)mine, .length = PAGE,
	};
	struct migaccel_info info = { .size = sizeof(info) };

	expect(fd, MIGACCEL_BATCH, &b, -EPERM, "foreign batch");
	expect(fd, MIGACCEL_REAP, &r, -EPERM, "foreign reap");
	expect(fd, MIGACCEL_REGION_REGISTER, &reg, -EPERM, "foreign register");
	expect(fd, MIGACCEL_INFO, &info, 0, "foreign info");
}

/* A victim: copies in a region of random bytes until it is killed. */
static void victim(uint64_t seed, int sock)
{
	struct migaccel_op *ops = calloc(1024, sizeof(*ops));
	struct migaccel_batch b;
	struct migaccel_completion c[4];
	struct migaccel_reap r = {
		.size = sizeof(r), .nr = 4, .entries = (uintptr_t)c,
	};
	uint8_t *ram = map_pages(MEM_PAGES);
	struct migaccel_region_register reg = {
		.size = sizeof(reg), .addr = (uintptr_t)ram,
		.length = (uint64_t)MEM_PAGES * PAGE,
	};
	uint64_t rng = seed | 1;
	unsigned int i, k;
	int fd = open("/dev/migaccel", O_RDWR);

	if (fd < 0 || !ops || !ram)
		_exit(1);
	for (i = 0; i < MEM_PAGES * PAGE / 8; i++)
		((uint64_t *)ram)[i] = rng_next(&rng);
	if (call(fd, MIGACCEL_REGION_REGISTER, &reg))
		_exit(2);
	if (seed % 3 == 0 && !send_fd(sock, fd))
		atomic_fetch_add(&sh->fd_passes, 1);
	if (seed % 5 == 1) {
		pid_t pid = fork();

		if (!pid) {
			/* The inherited fd is not ours to use. */
			foreign_use(fd, ram);
			_exit(0);
		}
		if (pid > 0) {
			atomic_fetch_add(&sh->forks, 1);
			waitpid(pid, NULL, 0);
		}
	}
	for (i = 0; i < 1024; i++) {
		ops[i].opcode = MIGACCEL_OP_COPY;
		ops[i].region = reg.out_region_id;
		ops[i].src = (uint64_t)(i % (MEM_PAGES / 2)) * PAGE;
		ops[i].dst = (uint64_t)(MEM_PAGES / 2 + i % (MEM_PAGES / 2)) * PAGE;
	}
	for (k = 0; ; k++) {
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.nr_ops = k & 1 ? 1024 : 16;
		b.op_size = sizeof(*ops);
		b.ops = (uintptr_t)ops;
		b.flags = k & 1 ? 0 : MIGACCEL_BATCH_ASYNC;
		call(fd, MIGACCEL_BATCH, &b);
		if (k % 4 == 2)
			call(fd, MIGACCEL_REAP, &r);
	}
}

static void storm(uint64_t seed, double storm_end)
{
	uint8_t *mine = map_pages(1);
	pid_t pids[4];
	int sv[2], i, fd;

	if (!mine || socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		_exit(1);
	while (running() && now_s() < storm_end) {
		for (i = 0; i < 4; i++) {
			uint64_t s = rng_next(&seed);

			pids[i] = fork();
			if (!pids[i])
				victim(s, sv[1]);
		}
		usleep(5000 + rng_next(&seed) % 40000);
		for (i = 0; i < 4; i++) {
			if (pids[i] > 0 && !kill(pids[i], SIGKILL))
				atomic_fetch_add(&sh->kills, 1);
		}
		/* Passed fds: the owner is dead or dying; still not ours. */
		while ((fd = recv_fd(sv[0])) >= 0) {
			foreign_use(fd, mine);
			close(fd);
		}
		for (i = 0; i < 4; i++)
			if (pids[i] > 0)
				waitpid(pids[i], NULL, 0);
	}
	_exit(0);
}

static unsigned long env_ul(const char *name, unsigned long def)
{
	const char *e = getenv(name);

	return e && *e ? strtoul(e, NULL, 0) : def;
}

int main(void)
{
	unsigned long secs = env_ul("MIGACCEL_HOSTILE_SECONDS", 60);
	unsigned long nthreads = env_ul("MIGACCEL_HOSTILE_THREADS", 6);
	unsigned long storm_secs = env_ul("MIGACCEL_HOSTILE_STORM_SECONDS",
					  secs * 2 / 5);
	uint64_t seed = env_ul("MIGACCEL_HOSTILE_SEED", 1);
	struct thread *t = calloc(nthreads, sizeof(*t));
	long pins_before = pins_held(), pins_after;
	unsigned long v;
	double t0, elapsed;
	pid_t storm_pid;
	int fd, efd, status;
	unsigned int i;
	bool ok;

	max_calls = env_ul("MIGACCEL_HOSTILE_CALLS", 0);
	heavy_pct = env_ul("MIGACCEL_HOSTILE_HEAVY", 5);
	if (!heavy_pct || heavy_pct > 100)
		heavy_pct = 5;
	printf("1..3\n");
	printf("# seed %llu, %lu s, %lu threads, kill storm for the first %lu s\n",
	       (unsigned long long)seed, secs, nthreads, storm_secs);
	fflush(stdout);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED || !t || pins_before < 0) {
		printf("Bail out! setup\n");
		return 1;
	}
	crc_init();
	t0 = now_s();
	end_time = t0 + secs;

	storm_pid = fork();
	if (!storm_pid)
		storm(seed * 7919, t0 + storm_secs);

	fd = open("/dev/migaccel", O_RDWR);
	efd = eventfd(0, EFD_NONBLOCK);
	if (fd < 0 || efd < 0) {
		printf("Bail out! open: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		t[i].fd = fd;
		t[i].efd = efd;
		t[i].id = i;
		t[i].rng = seed * 1000003 + i + 1;
		t[i].rmem = map_pages(1);
		t[i].ro = t[i].rmem ? ro_batch(t[i].rmem) : NULL;
		t[i].sync = work_new();
		if (!t[i].ro || !t[i].rmem || !t[i].sync ||
		    pthread_create(&t[i].t, NULL, thread_main, &t[i])) {
			printf("Bail out! thread %u\n", i);
			return 1;
		}
	}
	/* Close the channel under the threads near the end. */
	while (now_s() < end_time - 1 && running())
		usleep(50000);
	close(fd);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i].t, NULL);
	atomic_store(&sh->stop, 1);
	waitpid(storm_pid, &status, 0);
	elapsed = now_s() - t0;
	close(efd);

	v = atomic_load(&sh->violations);
	ok = !v && WIFEXITED(status) && !WEXITSTATUS(status);
	printf("%s 1 - every result matches the CPU, every errno as documented\n",
	       ok ? "ok" : "not ok");
	if (v)
		printf("# %lu violations, first: %s\n", v, sh->first);
	printf("%s 2 - the storm process ran to its end\n",
	       WIFEXITED(status) && !WEXITSTATUS(status) ? "ok" : "not ok");
	/* Engines let go of what the killed processes gave up on. */
	for (i = 0; i < 600 && (pins_after = pins_held()) != pins_before; i++)
		usleep(50000);
	printf("%s 3 - pins balanced (%ld before, %ld after)\n",
	       pins_after == pins_before ? "ok" : "not ok", pins_before,
	       pins_after);
	printf("# calls %lu in %.1f s (%.0f/s); %lu operations checked against the CPU\n",
	       atomic_load(&sh->calls), elapsed,
	       atomic_load(&sh->calls) / elapsed,
	       atomic_load(&sh->checked_ops));
	printf("# processes killed %lu, fds passed %lu, forked children %lu\n",
	       atomic_load(&sh->kills), atomic_load(&sh->fd_passes),
	       atomic_load(&sh->forks));
	return ok && pins_after == pins_before ? 0 : 1;
}
