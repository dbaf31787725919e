// SPDX-License-Identifier: GPL-2.0
/*
 * fail-nth sweep over /dev/migaccel: make the n-th fault-injection point of
 * a call fail, for n = 1, 2, ... until the call succeeds.  Every failed call
 * must return a clear error, leave the caller's memory as it was and
 * release every pin; the call that finally succeeds must be right.
 *
 * Needs a kernel with CONFIG_FAULT_INJECTION, FAILSLAB and
 * FAULT_INJECTION_DEBUG_FS (the debug kernel); it fails, not skips, where
 * they are missing, so it is only run there.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include <linux/migaccel.h>

#include "kselftest_harness.h"
#include "migaccel_util.h"
#include "migaccel_nl.h"

#define PAGE 4096
#define NR 300
#define MAX_NTH 2000

/*
 * fail-nth is opened once, before arming: opening a file allocates, and
 * would itself consume the armed failure.
 */
static int fail_nth_open(void)
{
	return open("/proc/thread-self/fail-nth", O_RDWR);
}

/* Arm fail-nth for this thread: the n-th injection point from now fails. */
static int arm_fail_nth(int fd, unsigned int n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", n);
	return pwrite(fd, buf, strlen(buf), 0) == (ssize_t)strlen(buf) ? 0 : -1;
}

/* Disarm; 1 if the armed failure was not reached (the call ran clean). */
static int disarm_fail_nth(int fd)
{
	char buf[16] = "";
	int left;

	if (pread(fd, buf, sizeof(buf) - 1, 0) < 0)
		return -1;
	left = atoi(buf);
	if (pwrite(fd, "0", 1, 0) != 1)
		return -1;
	return left > 0;
}

FIXTURE(fail_nth)
{
	int fd;
	int nth;
	uint8_t *buf;
	struct migaccel_op ops[NR];
	uint64_t bitmap[(NR + 63) / 64];
	long pins_before;
};

FIXTURE_SETUP(fail_nth)
{
	unsigned int i;

	/*
	 * Fail GFP_KERNEL allocations too, not only atomic ones, and do not
	 * log a stack trace for each: those would fail the kernel-log check.
	 */
	ASSERT_EQ(0, write_file("/sys/kernel/debug/failslab/ignore-gfp-wait",
				"N"));
	ASSERT_EQ(0, write_file("/sys/kernel/debug/failslab/verbose", "0"));
	ASSERT_EQ(0, write_file("/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait",
				"N"));
	ASSERT_EQ(0, write_file("/sys/kernel/debug/fail_page_alloc/verbose",
				"0"));
	self->nth = fail_nth_open();
	ASSERT_LE(0, self->nth);
	self->fd = open("/dev/migaccel", O_RDWR);
	ASSERT_LE(0, self->fd);
	self->buf = mmap(NULL, (size_t)NR * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i < NR; i++)
		memset(self->buf + (size_t)i * PAGE, 0, PAGE);
	for (i = 0; i < NR; i += 3)
		self->buf[(size_t)i * PAGE + (i * 13) % PAGE] = 1;
	self->pins_before = pins_held();
	ASSERT_LE(0, self->pins_before);
}

/* Close the fixture's channel and open another: 0, or -1. */
static int reopen_channel(FIXTURE_DATA(fail_nth) * self)
{
	close(self->fd);
	self->fd = open("/dev/migaccel", O_RDWR);
	return self->fd < 0 ? -1 : 0;
}

FIXTURE_TEARDOWN(fail_nth)
{
	EXPECT_EQ(self->pins_before, pins_held());
	munmap(self->buf, (size_t)NR * PAGE);
	close(self->fd);
	close(self->nth);
}

TEST_F(fail_nth, batch_unwinds_at_every_allocation)
{
	struct migaccel_batch batch;
	unsigned int n, i, failures = 0;
	int ret, clean;

	for (n = 1; n < MAX_NTH; n++) {
		/*
		 * A fresh channel each time: a channel keeps its last job for
		 * its next batch, which then allocates less, and the sweep is
		 * to reach every allocation a batch makes.
		 */
		ASSERT_EQ(0, reopen_channel(self));
		memset(self->ops, 0, sizeof(self->ops));
		for (i = 0; i < NR; i++) {
			self->ops[i].opcode = MIGACCEL_OP_ZERO_SCAN;
			self->ops[i].src = (uintptr_t)(self->buf + (size_t)i * PAGE);
			self->ops[i].out_result = 0x55;
		}
		memset(self->bitmap, 0xab, sizeof(self->bitmap));
		memset(&batch, 0, sizeof(batch));
		batch.size = sizeof(batch);
		batch.nr_ops = NR;
		batch.op_size = sizeof(struct migaccel_op);
		batch.ops = (uintptr_t)self->ops;
		batch.out_zero_bitmap = (uintptr_t)self->bitmap;

		ASSERT_EQ(0, arm_fail_nth(self->nth, n));
		ret = ioctl(self->fd, MIGACCEL_BATCH, &batch) ? -errno : 0;
		clean = disarm_fail_nth(self->nth);
		ASSERT_LE(0, clean);

		if (ret) {
			failures++;
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("fail-nth %u", n);
			for (i = 0; i < NR; i++)
				ASSERT_EQ(0x55, self->ops[i].out_result);
			ASSERT_EQ(0xababababababababull, self->bitmap[0]);
			ASSERT_EQ(self->pins_before, pins_held())
				TH_LOG("pins leaked at fail-nth %u", n);
			continue;
		}
		for (i = 0; i < NR; i++)
			ASSERT_EQ(i % 3 != 0,
				  (self->bitmap[i / 64] >> (i % 64)) & 1);
		if (clean)
			break;
	}
	ASSERT_LT(n, MAX_NTH);
	/* The sweep reached at least the op copy, the job and its chunks. */
	ASSERT_LE(3, failures);
	TH_LOG("%u injection points failed cleanly", failures);
}

/* The same pages as a MIGACCEL_ZERO_SCAN page list, in a region. */
TEST_F(fail_nth, zero_scan_unwinds_at_every_allocation)
{
	struct migaccel_zero_scan scan;
	unsigned int n, i, failures = 0;
	uint64_t offs[NR];
	uint32_t region;
	int ret, clean;

	for (i = 0; i < NR; i++)
		offs[i] = (uint64_t)i * PAGE;
	for (n = 1; n < MAX_NTH; n++) {
		/* A fresh channel and region: see the batch sweep. */
		ASSERT_EQ(0, reopen_channel(self));
		ASSERT_EQ(0, _region_register(self->fd, self->buf,
					      (uint64_t)NR * PAGE, &region));
		memset(self->bitmap, 0xab, sizeof(self->bitmap));
		memset(&scan, 0, sizeof(scan));
		scan.size = sizeof(scan);
		scan.nr_pages = NR;
		scan.region = region;
		scan.pages = (uintptr_t)offs;
		scan.out_zero_bitmap = (uintptr_t)self->bitmap;
		scan.out_nr_cpu = 0x55;

		ASSERT_EQ(0, arm_fail_nth(self->nth, n));
		ret = ioctl(self->fd, MIGACCEL_ZERO_SCAN, &scan) ? -errno : 0;
		clean = disarm_fail_nth(self->nth);
		ASSERT_LE(0, clean);

		if (ret) {
			failures++;
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("fail-nth %u", n);
			ASSERT_EQ(0x55, scan.out_nr_cpu);
			for (i = 0; i < ARRAY_SIZE(self->bitmap); i++)
				ASSERT_EQ(0xababababababababull,
					  self->bitmap[i]);
			ASSERT_EQ(0, _region_unregister(self->fd, region, 0));
			ASSERT_EQ(self->pins_before, pins_held())
				TH_LOG("pins leaked at fail-nth %u", n);
			continue;
		}
		for (i = 0; i < NR; i++)
			ASSERT_EQ(i % 3 != 0,
				  (self->bitmap[i / 64] >> (i % 64)) & 1);
		ASSERT_EQ(0, _region_unregister(self->fd, region, 0));
		if (clean)
			break;
	}
	ASSERT_LT(n, MAX_NTH);
	/* The sweep reached at least the context, the job and its chunks. */
	ASSERT_LE(3, failures);
	TH_LOG("%u injection points failed cleanly", failures);
}

TEST_F(fail_nth, open_unwinds_at_every_allocation)
{
	unsigned int n, failures = 0;
	int fd, clean;

	for (n = 1; n < MAX_NTH; n++) {
		ASSERT_EQ(0, arm_fail_nth(self->nth, n));
		fd = open("/dev/migaccel", O_RDWR);
		clean = disarm_fail_nth(self->nth);
		ASSERT_LE(0, clean);
		if (fd < 0) {
			ASSERT_EQ(ENOMEM, errno);
			failures++;
			continue;
		}
		close(fd);
		if (clean)
			break;
	}
	ASSERT_LT(n, MAX_NTH);
	ASSERT_LE(1, failures);
}

TEST_F(fail_nth, region_register_unwinds_at_every_allocation)
{
	struct migaccel_region_register r;
	struct migaccel_region_unregister u;
	long locked = vm_locked_kb();
	unsigned int n, failures = 0;
	int ret, clean;

	for (n = 1; n < MAX_NTH; n++) {
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.addr = (uintptr_t)self->buf;
		r.length = (uint64_t)NR * PAGE;
		ASSERT_EQ(0, arm_fail_nth(self->nth, n));
		ret = ioctl(self->fd, MIGACCEL_REGION_REGISTER, &r) ? -errno : 0;
		clean = disarm_fail_nth(self->nth);
		ASSERT_LE(0, clean);
		if (ret) {
			failures++;
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("fail-nth %u", n);
			ASSERT_EQ(self->pins_before, pins_held());
			ASSERT_EQ(locked, vm_locked_kb());
			continue;
		}
		ASSERT_EQ(self->pins_before + NR, pins_held());
		memset(&u, 0, sizeof(u));
		u.size = sizeof(u);
		u.region_id = r.out_region_id;
		ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_REGION_UNREGISTER, &u));
		ASSERT_EQ(locked, vm_locked_kb());
		if (clean)
			break;
	}
	ASSERT_LT(n, MAX_NTH);
	ASSERT_LE(2, failures);
	TH_LOG("%u injection points failed cleanly", failures);
}

/*
 * A region beyond RLIMIT_MEMLOCK is refused before anything is allocated
 * for it (its page array is up to 128 MiB): with the first injection
 * point armed, the call fails with ENOMEM without reaching it.
 */
TEST_F(fail_nth, region_beyond_memlock_allocates_nothing)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct migaccel_region_register r = {
			.size = sizeof(r), .addr = (uintptr_t)self->buf,
			.length = 2 * PAGE,
		};
		int fd, nth, ret;

		fd = open("/dev/migaccel", O_RDWR);
		nth = fail_nth_open();
		if (fd < 0 || nth < 0)
			_exit(1);
		if (memlock_allow(0))
			_exit(2);
		if (arm_fail_nth(nth, 1))
			_exit(5);
		ret = ioctl(fd, MIGACCEL_REGION_REGISTER, &r) ? -errno : 0;
		if (disarm_fail_nth(nth) != 1)
			_exit(6);
		_exit(ret == -ENOMEM ? 0 : 7);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

/* Zero scans, compressions and delta records in one batch, sync or async. */
static int mixed_batch(FIXTURE_DATA(fail_nth) * self, uint8_t *out,
		       uint32_t flags)
{
	struct migaccel_batch batch;
	unsigned int i;

	memset(self->ops, 0, sizeof(self->ops));
	for (i = 0; i < 64; i++) {
		struct migaccel_op *op = &self->ops[i];

		op->src = (uintptr_t)(self->buf + (size_t)i * PAGE);
		op->out_result = 0x55;
		if (i % 3 == 0) {
			op->opcode = MIGACCEL_OP_ZERO_SCAN;
		} else if (i % 3 == 1) {
			op->opcode = MIGACCEL_OP_COMPRESS;
			op->dst = (uintptr_t)(out + (size_t)i * PAGE);
			op->dst_len = PAGE;
		} else {
			op->opcode = MIGACCEL_OP_DELTA_CREATE;
			op->src2 = (uintptr_t)(self->buf + (size_t)(i + 1) * PAGE);
			op->dst = (uintptr_t)(out + (size_t)i * PAGE);
			op->dst_len = 2 * PAGE;
		}
	}
	memset(&batch, 0, sizeof(batch));
	batch.size = sizeof(batch);
	batch.flags = flags;
	batch.nr_ops = 64;
	batch.op_size = sizeof(struct migaccel_op);
	batch.ops = (uintptr_t)self->ops;
	return ioctl(self->fd, MIGACCEL_BATCH, &batch) ? -errno : 0;
}

static void sweep_mixed(struct __test_metadata *_metadata,
			FIXTURE_DATA(fail_nth) * self, uint32_t flags)
{
	uint8_t *out = mmap(NULL, (size_t)66 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct migaccel_completion c;
	struct migaccel_reap reap;
	unsigned int n, i, failures = 0;
	int ret, clean;

	ASSERT_NE(MAP_FAILED, out);
	for (n = 1; n < MAX_NTH; n++) {
		/* A fresh channel each time, as in the sweep above. */
		ASSERT_EQ(0, reopen_channel(self));
		memset(out, 0xee, (size_t)66 * PAGE);
		ASSERT_EQ(0, arm_fail_nth(self->nth, n));
		ret = mixed_batch(self, out, flags);
		clean = disarm_fail_nth(self->nth);
		ASSERT_LE(0, clean);
		if (ret) {
			failures++;
			ASSERT_EQ(-ENOMEM, ret) TH_LOG("fail-nth %u", n);
			for (i = 0; i < 64; i++)
				ASSERT_EQ(0x55, self->ops[i].out_result);
			ASSERT_EQ(0xee, out[PAGE]);
			ASSERT_EQ(self->pins_before, pins_held());
			continue;
		}
		if (flags & MIGACCEL_BATCH_ASYNC) {
			memset(&reap, 0, sizeof(reap));
			reap.size = sizeof(reap);
			reap.flags = MIGACCEL_REAP_WAIT;
			reap.nr = 1;
			reap.min_complete = 1;
			reap.entries = (uintptr_t)&c;
			ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_REAP, &reap));
			ASSERT_EQ(1, reap.out_nr);
			ASSERT_EQ(0, c.result);
		}
		for (i = 0; i < 64; i++)
			ASSERT_EQ(0, self->ops[i].out_status) TH_LOG("op %u", i);
		ASSERT_EQ(self->pins_before, pins_held());
		if (clean)
			break;
	}
	ASSERT_LT(n, MAX_NTH);
	ASSERT_LE(3, failures);
	TH_LOG("%u injection points failed cleanly", failures);
	munmap(out, (size_t)66 * PAGE);
}

TEST_F(fail_nth, mixed_batch_unwinds_at_every_allocation)
{
	sweep_mixed(_metadata, self, 0);
}

TEST_F(fail_nth, async_batch_unwinds_at_every_allocation)
{
	sweep_mixed(_metadata, self, MIGACCEL_BATCH_ASYNC);
}

/*
 * The first open of a process also creates its client and its process
 * group; a failure at any of those allocations must leave nothing behind.
 */
TEST_F(fail_nth, first_open_of_a_process_unwinds_at_every_allocation)
{
	pid_t child;
	int status;

	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		unsigned int n, failures = 0;
		int nth = fail_nth_open(), fd, clean;

		/* The fixture's fd is shared; this process has its own client. */
		close(self->fd);
		for (n = 1; n < MAX_NTH; n++) {
			if (arm_fail_nth(nth, n))
				_exit(10);
			fd = open("/dev/migaccel", O_RDWR);
			clean = disarm_fail_nth(nth);
			if (clean < 0)
				_exit(11);
			if (fd < 0) {
				if (errno != ENOMEM)
					_exit(12);
				failures++;
				continue;
			}
			close(fd);
			if (clean)
				break;
		}
		/* The channel, the client and its group. */
		_exit(n < MAX_NTH && failures >= 3 ? 0 : 13);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* A request under fail-nth: 0, or an allocation failure. */
static int nl_do_failing(struct nl_ctx *c, int nth, unsigned int n, int *clean)
{
	int ret;

	if (arm_fail_nth(nth, n))
		return -EIO;
	ret = nl_do(c);
	*clean = disarm_fail_nth(nth);
	return ret;
}

static int nl_alloc_failure(int ret)
{
	/* ENOBUFS: netlink itself could not allocate the reply. */
	return ret == -ENOMEM || ret == -ENOBUFS || ret == -EAGAIN;
}

TEST_F(fail_nth, netlink_group_set_unwinds_at_every_allocation)
{
	struct timeval tv = { .tv_sec = 2 };
	unsigned int n, failures = 0;
	struct nl_ctx *c;
	int ret, clean;

	c = calloc(1, sizeof(*c));
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, nl_open(c));
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	for (n = 1; n < MAX_NTH; n++) {
		uint64_t cgid = 0x6d000000 + n;

		nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
		nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND,
			   MIGACCEL_GROUP_KIND_CGROUP);
		nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, cgid);
		nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, n * PAGE);
		ret = nl_do_failing(c, self->nth, n, &clean);
		ASSERT_LE(0, clean);
		/* Published whole or not at all. */
		if (!nl_group_get(c, MIGACCEL_GROUP_KIND_CGROUP, cgid))
			ASSERT_EQ(n * PAGE,
				  nl_reply_uint(c, MIGACCEL_A_GROUP_QUOTA));
		if (ret) {
			ASSERT_TRUE(nl_alloc_failure(ret))
				TH_LOG("fail-nth %u: %d", n, ret);
			failures++;
			continue;
		}
		if (clean)
			break;
	}
	ASSERT_LT(n, MAX_NTH);
	ASSERT_LE(1, failures);
	TH_LOG("%u injection points failed cleanly", failures);
	close(c->fd);
	free(c);
}

TEST_F(fail_nth, netlink_gets_and_dumps_unwind_at_every_allocation)
{
	static const uint8_t dumps[] = {
		MIGACCEL_CMD_ENGINE_GET, MIGACCEL_CMD_CLIENT_GET,
		MIGACCEL_CMD_GROUP_GET,
	};
	struct timeval tv = { .tv_sec = 2 };
	unsigned int n, d, failures = 0;
	struct nl_ctx *c;
	int ret, clean;

	c = calloc(1, sizeof(*c));
	ASSERT_NE(NULL, c);
	ASSERT_EQ(0, nl_open(c));
	ASSERT_EQ(0, setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));
	for (d = 0; d <= sizeof(dumps); d++) {
		for (n = 1; n < MAX_NTH; n++) {
			if (d == sizeof(dumps)) {
				nl_start(c, c->family, MIGACCEL_CMD_GROUP_GET, 0);
				nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND,
					   MIGACCEL_GROUP_KIND_PROCESS);
				nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, getpid());
			} else {
				nl_start(c, c->family, dumps[d], NLM_F_DUMP);
			}
			ret = nl_do_failing(c, self->nth, n, &clean);
			ASSERT_LE(0, clean);
			if (ret) {
				ASSERT_TRUE(nl_alloc_failure(ret))
					TH_LOG("cmd %u fail-nth %u: %d", d, n, ret);
				failures++;
				continue;
			}
			if (clean)
				break;
		}
		ASSERT_LT(n, MAX_NTH);
	}
	ASSERT_LE(1, failures);
	TH_LOG("%u injection points failed cleanly", failures);
	close(c->fd);
	free(c);
}

TEST_HARNESS_MAIN
