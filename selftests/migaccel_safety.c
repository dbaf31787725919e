// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/migaccel under hostile use: one regression test per memory-safety
 * bug of issue 14, each of which failed on the code before its fix.
 *
 * The soft engine's "slow" fault (debugfs) stands in for a device that
 * holds work after its caller gave up: the caller times out, is killed or
 * closes, and the engine still reads and writes the pages.  Those pages
 * must stay pinned until it lets go, and nothing it touches may be freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include <linux/migaccel.h>

#include "kselftest_harness.h"
#include "migaccel_util.h"

#define PAGE 4096
#define RAM_PAGES 64
#define PARAMS "/sys/module/migaccel/parameters/"
#define TIMEOUT_PARAM PARAMS "timeout_ms"

static int dev_open(void)
{
	return open("/dev/migaccel", O_RDWR);
}

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 0) : -EIO;
}

static int set_timeout_ms(unsigned int ms)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", ms);
	return write_file(TIMEOUT_PARAM, buf);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait up to @secs for pins_held() to reach @want; the value last seen. */
static long pins_settle(long want, double secs)
{
	double end = now_s() + secs;
	long v;

	while ((v = pins_held()) != want && now_s() < end)
		usleep(20000);
	return v;
}

/* Copies page i to page i + @nr: in region @region, or at @ram. */
static void copy_ops(struct migaccel_op *ops, unsigned int nr,
		     uint32_t region, uint8_t *ram)
{
	unsigned int i;

	memset(ops, 0, nr * sizeof(*ops));
	for (i = 0; i < nr; i++) {
		ops[i].opcode = MIGACCEL_OP_COPY;
		ops[i].region = region;
		ops[i].src = region ? (uint64_t)i * PAGE :
				      (uintptr_t)(ram + (size_t)i * PAGE);
		ops[i].dst = region ? (uint64_t)(i + nr) * PAGE :
				      (uintptr_t)(ram + (size_t)(i + nr) * PAGE);
	}
}

static void zero_ops(struct migaccel_op *ops, unsigned int nr, uint8_t *ram)
{
	unsigned int i;

	memset(ops, 0, nr * sizeof(*ops));
	for (i = 0; i < nr; i++) {
		ops[i].opcode = MIGACCEL_OP_ZERO_SCAN;
		ops[i].src = (uintptr_t)(ram + (size_t)i * PAGE);
	}
}

static int _batch(int fd, struct migaccel_batch *b, struct migaccel_op *ops,
		  unsigned int nr, uint32_t flags, uint64_t user_data)
{
	memset(b, 0, sizeof(*b));
	b->size = sizeof(*b);
	b->flags = flags;
	b->nr_ops = nr;
	b->op_size = sizeof(*ops);
	b->ops = (uintptr_t)ops;
	b->user_data = user_data;
	return ioctl(fd, MIGACCEL_BATCH, b) ? -errno : 0;
}

static int _reap(int fd, struct migaccel_completion *c, unsigned int nr,
		 unsigned int min, uint32_t flags, uint32_t timeout_ms,
		 unsigned int *got)
{
	struct migaccel_reap r = {
		.size = sizeof(r),
		.flags = flags,
		.nr = nr,
		.min_complete = min,
		.entries = (uintptr_t)c,
		.timeout_ms = timeout_ms,
	};

	*got = 0;
	if (ioctl(fd, MIGACCEL_REAP, &r))
		return -errno;
	*got = r.out_nr;
	return 0;
}

static void fill_random(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = seed >> 16;
	}
}

FIXTURE(safety)
{
	int fd;
	uint8_t *ram;
	struct migaccel_op ops[1024];
	long pins_before;
};

FIXTURE_SETUP(safety)
{
	self->pins_before = pins_held();
	ASSERT_LE(0, self->pins_before);
	self->fd = dev_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/migaccel: %s", strerror(errno));
	self->ram = mmap(NULL, (size_t)RAM_PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	fill_random(self->ram, (size_t)RAM_PAGES * PAGE, 14);
}

FIXTURE_TEARDOWN(safety)
{
	set_timeout_ms(10000);
	if (self->fd >= 0)
		close(self->fd);
	munmap(self->ram, (size_t)RAM_PAGES * PAGE);
	/* Every engine let go, so every pin is back. */
	EXPECT_EQ(self->pins_before, pins_settle(self->pins_before, 10));
}

/*
 * ---- 1. A region outlives every job that names it ----
 *
 * The engine holds a 32-page copy inside a 64-page region for 1.5 s while
 * its caller gives up (timeout, SIGKILL, close, reap past the deadline):
 * the region's pages stay pinned until the engine is done, then are
 * unpinned.  Before the fix, closing the channel freed the region under
 * the engine (KASAN: use-after-free in migaccel_region_put, soft_dsa_one).
 */

#define HELD_MS 1500

/* The region's pins, held by the engine's job after the caller left. */
static void expect_held_then_released(struct __test_metadata *_metadata,
				      long before)
{
	EXPECT_EQ(before + RAM_PAGES, pins_held())
		TH_LOG("the region must stay pinned while the engine holds it");
	EXPECT_EQ(before, pins_settle(before, 10));
}

TEST_F(safety, region_outlives_sync_batch_that_timed_out_and_closed)
{
	struct migaccel_batch b;
	uint32_t id;

	ASSERT_EQ(0, _region_register(self->fd, self->ram,
				      (uint64_t)RAM_PAGES * PAGE, &id));
	ASSERT_EQ(0, set_timeout_ms(100));
	ASSERT_EQ(0, channel_inject(self->fd, "slow desc=0 delay=1500"));
	copy_ops(self->ops, RAM_PAGES / 2, id, NULL);
	ASSERT_EQ(-ETIMEDOUT, _batch(self->fd, &b, self->ops, RAM_PAGES / 2,
				     0, 0));
	/* The engine still holds the job: the region is busy. */
	ASSERT_EQ(-EBUSY, _region_unregister(self->fd, id, 0));
	close(self->fd);
	self->fd = -1;
	expect_held_then_released(_metadata, self->pins_before);
}

TEST_F(safety, region_outlives_sync_batch_of_killed_process)
{
	int ready[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct migaccel_batch b;
		int fd = dev_open();
		uint32_t id;

		if (fd < 0 || _region_register(fd, self->ram,
					       (uint64_t)RAM_PAGES * PAGE, &id))
			_exit(1);
		if (channel_inject(fd, "slow desc=0 delay=1500"))
			_exit(2);
		copy_ops(self->ops, RAM_PAGES / 2, id, NULL);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		_batch(fd, &b, self->ops, RAM_PAGES / 2, 0, 0);
		_exit(4);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	usleep(300000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	expect_held_then_released(_metadata, self->pins_before);
	close(ready[0]);
	close(ready[1]);
}

TEST_F(safety, region_outlives_async_batch_closed_past_its_deadline)
{
	struct migaccel_batch b;
	uint32_t id;

	ASSERT_EQ(0, _region_register(self->fd, self->ram,
				      (uint64_t)RAM_PAGES * PAGE, &id));
	ASSERT_EQ(0, set_timeout_ms(100));
	ASSERT_EQ(0, channel_inject(self->fd, "slow desc=0 delay=1500"));
	copy_ops(self->ops, RAM_PAGES / 2, id, NULL);
	ASSERT_EQ(0, _batch(self->fd, &b, self->ops, RAM_PAGES / 2,
			    MIGACCEL_BATCH_ASYNC, 1));
	/* Release waits timeout_ms, cannot take the chunk back, gives up. */
	close(self->fd);
	self->fd = -1;
	expect_held_then_released(_metadata, self->pins_before);
}

TEST_F(safety, region_outlives_async_batch_reaped_past_its_deadline)
{
	struct migaccel_completion c;
	struct migaccel_batch b;
	unsigned int got;
	uint32_t id;

	ASSERT_EQ(0, _region_register(self->fd, self->ram,
				      (uint64_t)RAM_PAGES * PAGE, &id));
	ASSERT_EQ(0, set_timeout_ms(100));
	ASSERT_EQ(0, channel_inject(self->fd, "slow desc=0 delay=1500"));
	copy_ops(self->ops, RAM_PAGES / 2, id, NULL);
	ASSERT_EQ(0, _batch(self->fd, &b, self->ops, RAM_PAGES / 2,
			    MIGACCEL_BATCH_ASYNC, 7));
	ASSERT_EQ(0, _reap(self->fd, &c, 1, 1, MIGACCEL_REAP_WAIT, 0, &got));
	ASSERT_EQ(1, got);
	ASSERT_EQ(7, c.user_data);
	ASSERT_EQ(-ETIMEDOUT, c.result);
	ASSERT_EQ(-EBUSY, _region_unregister(self->fd, id, 0));
	close(self->fd);
	self->fd = -1;
	expect_held_then_released(_metadata, self->pins_before);
}

/*
 * ---- 2. Several threads reap one channel ----
 *
 * Four threads loop MIGACCEL_REAP (waiting and not) while the main thread
 * submits single-op async batches: each batch comes out exactly once, with
 * its result.  Before the fix two reapers took the same batch and freed it
 * twice (KASAN: use-after-free in migaccel_job_requeue, then an Oops).
 */

struct reaper {
	int fd;
	atomic_uint *seen;
	unsigned int nr;
	atomic_uint *reaped;
	atomic_int *err;
	unsigned int id;
};

static void *reaper_thread(void *p)
{
	struct reaper *r = p;
	struct migaccel_completion c[4];
	unsigned int got, i;
	int ret;

	while (atomic_load(r->reaped) < r->nr && !atomic_load(r->err)) {
		if (r->id & 1)
			ret = _reap(r->fd, c, 4, 1, MIGACCEL_REAP_WAIT, 50, &got);
		else
			ret = _reap(r->fd, c, 4, 0, 0, 0, &got);
		if (ret && ret != -EINTR) {
			atomic_store(r->err, ret);
			break;
		}
		for (i = 0; i < got; i++) {
			if (c[i].result || c[i].user_data >= r->nr ||
			    atomic_fetch_add(&r->seen[c[i].user_data], 1))
				atomic_store(r->err, -EIO);
			atomic_fetch_add(r->reaped, 1);
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(safety, concurrent_reapers_take_each_batch_once, 600)
{
	const char *e = getenv("MIGACCEL_SAFETY_BATCHES");
	unsigned int nr = e ? strtoul(e, NULL, 0) : 20000;
	struct migaccel_op *ops = calloc(nr, sizeof(*ops));
	atomic_uint *seen = calloc(nr, sizeof(*seen));
	atomic_uint reaped = 0;
	atomic_int err = 0;
	struct reaper r[4];
	struct migaccel_batch b;
	pthread_t t[4];
	unsigned int i;
	int ret;

	ASSERT_NE(NULL, ops);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < 4; i++) {
		r[i] = (struct reaper){ self->fd, seen, nr, &reaped, &err, i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, reaper_thread, &r[i]));
	}
	for (i = 0; i < nr && !atomic_load(&err); i++) {
		zero_ops(&ops[i], 1, self->ram + (size_t)(i % RAM_PAGES) * PAGE);
		/* Past the channel's bound on unreaped batches: try again. */
		while ((ret = _batch(self->fd, &b, &ops[i], 1,
				     MIGACCEL_BATCH_ASYNC, i)) == -EBUSY)
			usleep(100);
		if (ret) {
			atomic_store(&err, ret);
			break;
		}
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ASSERT_EQ(0, atomic_load(&err));
	ASSERT_EQ(nr, atomic_load(&reaped));
	for (i = 0; i < nr; i++) {
		ASSERT_EQ(1, seen[i]) TH_LOG("batch %u", i);
		ASSERT_EQ(0, ops[i].out_status);
		ASSERT_EQ(0, ops[i].out_result) TH_LOG("batch %u", i);
	}
	TH_LOG("%u batches, 4 reapers", nr);
	free(ops);
	free(seen);
}

/*
 * ---- 3. An ioctl fails and does nothing, or acts and succeeds ----
 *
 * The argument struct sits in read-only memory.  Before the fix each of
 * these acted (wrote destinations, started a batch, pinned a region,
 * reaped a completion) and then failed with EFAULT when writing back.
 */

/* A read-only copy of @len bytes at @p, in a page of its own. */
static void *ro_copy(const void *p, size_t len)
{
	void *ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (ro == MAP_FAILED)
		return NULL;
	memcpy(ro, p, len);
	if (mprotect(ro, PAGE, PROT_READ)) {
		munmap(ro, PAGE);
		return NULL;
	}
	return ro;
}

static struct migaccel_batch batch_cmd(struct migaccel_op *ops,
				       unsigned int nr, uint32_t flags)
{
	struct migaccel_batch b = {
		.size = sizeof(b), .flags = flags, .nr_ops = nr,
		.op_size = sizeof(*ops), .ops = (uintptr_t)ops, .user_data = 3,
	};

	return b;
}

TEST_F(safety, readonly_sync_batch_writes_nothing)
{
	struct migaccel_batch b = batch_cmd(self->ops, 1, 0), *ro;
	uint8_t *dst = self->ram + 40 * PAGE;

	memset(dst, 0, PAGE);
	memset(self->ops, 0, sizeof(self->ops[0]));
	self->ops[0].opcode = MIGACCEL_OP_COPY;
	self->ops[0].src = (uintptr_t)self->ram;
	self->ops[0].dst = (uintptr_t)dst;
	ro = ro_copy(&b, sizeof(b));
	ASSERT_NE(NULL, ro);
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_BATCH, ro));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, dst[0] | dst[PAGE - 1]);
	ASSERT_EQ(0, memcmp(dst, dst + 1, PAGE - 1));
	munmap(ro, PAGE);
}

TEST_F(safety, readonly_async_batch_is_never_started)
{
	struct migaccel_batch b = batch_cmd(self->ops, 4, MIGACCEL_BATCH_ASYNC);
	struct migaccel_batch *ro;
	struct migaccel_completion c;
	unsigned int got = 1;

	zero_ops(self->ops, 4, self->ram);
	ro = ro_copy(&b, sizeof(b));
	ASSERT_NE(NULL, ro);
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_BATCH, ro));
	ASSERT_EQ(EFAULT, errno);
	/* Nothing comes out of REAP, even after a wait. */
	ASSERT_EQ(0, _reap(self->fd, &c, 1, 1, MIGACCEL_REAP_WAIT, 200, &got));
	ASSERT_EQ(0, got);
	munmap(ro, PAGE);
}

TEST_F(safety, readonly_region_register_pins_nothing)
{
	struct migaccel_region_register r = {
		.size = sizeof(r), .addr = (uintptr_t)self->ram,
		.length = (uint64_t)RAM_PAGES * PAGE,
	}, *ro = ro_copy(&r, sizeof(r));

	ASSERT_NE(NULL, ro);
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_REGION_REGISTER, ro));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(self->pins_before, pins_held());
	/* No id was handed out: the first region is still id 1. */
	ASSERT_EQ(-ENOENT, _region_unregister(self->fd, 1, 0));
	munmap(ro, PAGE);
}

TEST_F(safety, readonly_reap_loses_no_completion)
{
	struct migaccel_batch b;
	struct migaccel_completion c;
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct migaccel_reap r = {
		.size = sizeof(r), .nr = 1, .entries = (uintptr_t)&c,
	}, *ro = ro_copy(&r, sizeof(r));
	unsigned int got;

	ASSERT_NE(NULL, ro);
	zero_ops(self->ops, 4, self->ram);
	ASSERT_EQ(0, _batch(self->fd, &b, self->ops, 4, MIGACCEL_BATCH_ASYNC,
			    11));
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_REAP, ro));
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, _reap(self->fd, &c, 1, 0, 0, 0, &got));
	ASSERT_EQ(1, got);
	ASSERT_EQ(11, c.user_data);
	ASSERT_EQ(0, c.result);
	munmap(ro, PAGE);
}

TEST_F(safety, readonly_unregister_and_set_eventfd_succeed)
{
	struct migaccel_region_unregister u = { .size = sizeof(u) }, *rou;
	struct migaccel_set_eventfd e = { .size = sizeof(e), .fd = -1 }, *roe;
	uint32_t id;

	ASSERT_EQ(0, _region_register(self->fd, self->ram, PAGE, &id));
	u.region_id = id;
	rou = ro_copy(&u, sizeof(u));
	roe = ro_copy(&e, sizeof(e));
	ASSERT_NE(NULL, rou);
	ASSERT_NE(NULL, roe);
	/* Nothing to write back: they act and succeed. */
	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_REGION_UNREGISTER, rou));
	ASSERT_EQ(-ENOENT, _region_unregister(self->fd, id, 0));
	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_SET_EVENTFD, roe));
	munmap(rou, PAGE);
	munmap(roe, PAGE);
}

/*
 * ---- 4. What a channel can make the kernel hold is bounded and charged ----
 */

TEST_F(safety, async_batches_are_bounded_per_channel)
{
	long max = read_long(PARAMS "max_async");
	struct migaccel_completion c;
	struct migaccel_batch b;
	unsigned int got;
	long i;

	ASSERT_LT(0, max) TH_LOG("max_async: %ld", max);
	ASSERT_GE(1024, max);
	zero_ops(self->ops, 1, self->ram);
	for (i = 0; i < max; i++)
		ASSERT_EQ(0, _batch(self->fd, &b, self->ops, 1,
				    MIGACCEL_BATCH_ASYNC, i));
	ASSERT_EQ(-EBUSY, _batch(self->fd, &b, self->ops, 1,
				 MIGACCEL_BATCH_ASYNC, i));
	/* A synchronous batch is not bounded by it. */
	ASSERT_EQ(0, _batch(self->fd, &b, self->ops, 1, 0, 0));
	/* Reaping one makes room for one. */
	ASSERT_EQ(0, _reap(self->fd, &c, 1, 1, MIGACCEL_REAP_WAIT, 0, &got));
	ASSERT_EQ(1, got);
	ASSERT_EQ(0, c.user_data);
	ASSERT_EQ(0, _batch(self->fd, &b, self->ops, 1, MIGACCEL_BATCH_ASYNC,
			    i));
	ASSERT_EQ(-EBUSY, _batch(self->fd, &b, self->ops, 1,
				 MIGACCEL_BATCH_ASYNC, i));
}

TEST_F(safety, unregistered_pins_count_against_memlock_while_held)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct migaccel_completion c;
		struct migaccel_batch b;
		struct migaccel_op ops2[8];
		unsigned int got;
		int fd = dev_open();

		/* Room for one batch of 8 copies: 16 pinned pages. */
		if (fd < 0 || memlock_allow(16 * PAGE))
			_exit(10);
		copy_ops(self->ops, 8, 0, self->ram);
		copy_ops(ops2, 8, 0, self->ram + 16 * PAGE);
		if (_batch(fd, &b, self->ops, 8, MIGACCEL_BATCH_ASYNC, 1))
			_exit(11);
		/* Its pins are held until it is reaped. */
		if (_batch(fd, &b, ops2, 8, MIGACCEL_BATCH_ASYNC, 2) !=
		    -ENOMEM)
			_exit(12);
		if (_batch(fd, &b, ops2, 8, 0, 0) != -ENOMEM)
			_exit(13);
		if (_reap(fd, &c, 1, 1, MIGACCEL_REAP_WAIT, 0, &got) ||
		    got != 1 || c.result)
			_exit(14);
		/* Reaped: the room is back. */
		if (_batch(fd, &b, ops2, 8, 0, 0) || b.out_nr_failed)
			_exit(15);
		if (memcmp(self->ram + 16 * PAGE, self->ram + 24 * PAGE,
			   8 * PAGE))
			_exit(16);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

#define CGROOT "/sys/fs/cgroup"
#define CG CGROOT "/migaccel-safety"

static long cg_current(void)
{
	return read_long(CG "/memory.current");
}

TEST_F(safety, async_batches_are_charged_to_the_memory_cgroup)
{
	int go[2], done[2], status;
	long before, after;
	char buf[32];
	pid_t pid;

	if (access(CGROOT "/cgroup.controllers", F_OK))
		ASSERT_EQ(0, mount("none", CGROOT, "cgroup2", 0, NULL));
	ASSERT_EQ(0, write_file(CGROOT "/cgroup.subtree_control", "+memory"));
	rmdir(CG);
	ASSERT_EQ(0, mkdir(CG, 0755));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct migaccel_batch b;
		uint32_t id;
		char c;
		int i, fd;

		if (read(go[0], &c, 1) != 1)
			_exit(1);
		fd = dev_open();
		if (fd < 0 || _region_register(fd, self->ram,
					       (uint64_t)RAM_PAGES * PAGE, &id))
			_exit(2);
		for (i = 0; i < 1024; i++) {
			self->ops[i] = (struct migaccel_op){
				.opcode = MIGACCEL_OP_ZERO_SCAN,
				.region = id,
				.src = (uint64_t)(i % RAM_PAGES) * PAGE,
			};
		}
		if (write(done[1], "o", 1) != 1)
			_exit(3);
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		/* 32 batches of 1024 operations, left unreaped. */
		for (i = 0; i < 32; i++)
			if (_batch(fd, &b, self->ops, 1024,
				   MIGACCEL_BATCH_ASYNC, i))
				_exit(5);
		if (write(done[1], "s", 1) != 1)
			_exit(6);
		if (read(go[0], &c, 1) != 1)
			_exit(7);
		_exit(0);
	}
	snprintf(buf, sizeof(buf), "%d", pid);
	ASSERT_EQ(0, write_file(CG "/cgroup.procs", buf));
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(done[0], buf, 1));
	before = cg_current();
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(1, read(done[0], buf, 1));
	after = cg_current();
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	rmdir(CG);
	TH_LOG("32 async batches of 1024 ops: %ld KiB charged",
	       (after - before) / 1024);
	/* Each holds well over 128 KiB of kernel memory. */
	ASSERT_LT(before + 32 * (128 << 10), after);
}

/*
 * ---- 5. poll wakes at the deadline of every batch ----
 *
 * Two lost batches 300 ms apart, timeout_ms 600: poll wakes at the first
 * one's deadline; once it is reaped, poll must wake again at the second's
 * (about 300 ms later), not sleep through it.  Before the fix the timer
 * was armed for the earliest deadline only and poll slept 3 s.
 */
TEST_F(safety, poll_wakes_at_every_batchs_deadline)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct migaccel_op ops2[4];
	struct migaccel_completion c;
	struct migaccel_batch b;
	unsigned int got;
	double t0, t;

	ASSERT_EQ(0, set_timeout_ms(600));
	ASSERT_EQ(0, channel_inject(self->fd, "lost desc=0 count=2"));
	zero_ops(self->ops, 4, self->ram);
	zero_ops(ops2, 4, self->ram);
	t0 = now_s();
	ASSERT_EQ(0, _batch(self->fd, &b, self->ops, 4, MIGACCEL_BATCH_ASYNC,
			    1));
	usleep(300000);
	ASSERT_EQ(0, _batch(self->fd, &b, ops2, 4, MIGACCEL_BATCH_ASYNC, 2));
	ASSERT_EQ(1, poll(&pfd, 1, 3000));
	ASSERT_EQ(0, _reap(self->fd, &c, 1, 0, 0, 0, &got));
	ASSERT_EQ(1, got);
	ASSERT_EQ(1, c.user_data);
	/* The second batch's deadline is about 0.9 s after the first submit. */
	ASSERT_EQ(1, poll(&pfd, 1, 3000));
	t = now_s() - t0;
	EXPECT_GT(2.0, t) TH_LOG("poll woke %.2f s after the first submit", t);
	ASSERT_EQ(0, _reap(self->fd, &c, 1, 0, 0, 0, &got));
	ASSERT_EQ(1, got);
	ASSERT_EQ(2, c.user_data);
	ASSERT_EQ(0, c.result);
	ASSERT_EQ(4, c.nr_cpu);
}

/*
 * ---- 6. A chunk the soft engine lost is let go of at unload ----
 *
 * The caller gives up (ETIMEDOUT) while the engine still holds the chunk,
 * which it then loses: nothing will ever take it back, so its pins stay
 * held (as a device that never completes would keep them) until the
 * module is unloaded, which gives the chunk back.  Before the fix they
 * were never released and rmmod warned that the chunk cache still had
 * objects.  The test reloads the module: MIGACCEL_KO names it (default
 * /ko/migaccel.ko, where the VM's initramfs has it).
 */
TEST(lost_chunk_given_up_on_is_released_at_unload)
{
	const char *ko = getenv("MIGACCEL_KO") ?: "/ko/migaccel.ko";
	struct migaccel_op ops[8];
	struct migaccel_batch b;
	long before = pins_held();
	char cmd[256];
	uint8_t *ram;
	int fd;

	ASSERT_LE(0, before);
	ram = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ram);
	memset(ram, 1, 8 * PAGE);
	fd = dev_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, set_timeout_ms(100));
	ASSERT_EQ(0, channel_inject(fd, "lost desc=0 delay=300"));
	zero_ops(ops, 8, ram);
	ASSERT_EQ(-ETIMEDOUT, _batch(fd, &b, ops, 8, 0, 0));
	close(fd);
	ASSERT_EQ(0, set_timeout_ms(10000));
	usleep(500000);
	/* Lost by now, with the caller gone: the engine holds the pins. */
	EXPECT_EQ(before + 8, pins_held());
	ASSERT_EQ(0, system("rmmod migaccel"));
	EXPECT_EQ(before, pins_held());
	snprintf(cmd, sizeof(cmd), "insmod %s", ko);
	ASSERT_EQ(0, system(cmd));
	munmap(ram, 8 * PAGE);
}

TEST_HARNESS_MAIN
