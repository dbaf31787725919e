// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/migaccel: registered regions, asynchronous batches, isolation
 * between processes, a process killed mid-batch, and many threads.
 *
 * MIGACCEL_STRESS_BATCHES sets the batches per thread of the stress test
 * (default 1000).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include <linux/migaccel.h>

#include "kselftest_harness.h"
#include "migaccel_util.h"

#define PAGE 4096
#define RAM_PAGES 512
#define TIMEOUT_PARAM "/sys/module/migaccel/parameters/timeout_ms"

static int dev_open(void)
{
	return open("/dev/migaccel", O_RDWR);
}

/* A batch of zero scans of @nr pages: in region @region at @off, or at @p. */
static int _zero_batch(int fd, struct migaccel_op *ops, unsigned int nr,
		       uint32_t region, uint64_t off, uint8_t *p,
		       uint32_t flags, uint64_t user_data)
{
	struct migaccel_batch b = {
		.size = sizeof(b),
		.flags = flags,
		.nr_ops = nr,
		.op_size = sizeof(*ops),
		.ops = (uintptr_t)ops,
		.user_data = user_data,
	};
	unsigned int i;

	for (i = 0; i < nr; i++) {
		memset(&ops[i], 0, sizeof(ops[i]));
		ops[i].opcode = MIGACCEL_OP_ZERO_SCAN;
		ops[i].region = region;
		ops[i].src = region ? off + (uint64_t)i * PAGE :
				      (uintptr_t)(p + (size_t)i * PAGE);
		ops[i].out_result = 7;
	}
	return ioctl(fd, MIGACCEL_BATCH, &b) ? -errno : 0;
}

static int _reap(int fd, struct migaccel_completion *c, unsigned int nr,
		 unsigned int min, uint32_t flags, unsigned int *got)
{
	*got = 0;
	struct migaccel_reap r = {
		.size = sizeof(r),
		.flags = flags,
		.nr = nr,
		.min_complete = min,
		.entries = (uintptr_t)c,
	};

	if (ioctl(fd, MIGACCEL_REAP, &r))
		return -errno;
	*got = r.out_nr;
	return 0;
}

/* Page i of @ram is zero iff i % 3 == 0. */
static void fill_ram(uint8_t *ram, unsigned int nr)
{
	unsigned int i;

	memset(ram, 0, (size_t)nr * PAGE);
	for (i = 0; i < nr; i++)
		if (i % 3)
			ram[(size_t)i * PAGE + (i * 37) % PAGE] = 1 + i % 200;
}

static long vmstat_value(const char *name)
{
	char key[64];
	long v, found = -1;
	FILE *f;

	write_file("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

FIXTURE(async)
{
	int fd;
	uint8_t *ram;
	struct migaccel_op ops[1024];
	long pins_before;
};

FIXTURE_SETUP(async)
{
	self->pins_before = pins_held();
	ASSERT_LE(0, self->pins_before);
	self->fd = dev_open();
	ASSERT_LE(0, self->fd) TH_LOG("open /dev/migaccel: %s", strerror(errno));
	self->ram = mmap(NULL, (size_t)RAM_PAGES * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	fill_ram(self->ram, RAM_PAGES);
}

FIXTURE_TEARDOWN(async)
{
	write_file(TIMEOUT_PARAM, "10000");
	close(self->fd);
	munmap(self->ram, (size_t)RAM_PAGES * PAGE);
	/* Closing the channel released every region and batch. */
	EXPECT_EQ(self->pins_before, pins_held());
}

/* ---- regions ---- */

TEST_F(async, region_register_pins_once_and_unregister_unpins)
{
	uint32_t id = 0;

	ASSERT_EQ(0, _region_register(self->fd, self->ram,
				      (uint64_t)RAM_PAGES * PAGE, &id));
	ASSERT_NE(0, id);
	ASSERT_EQ(self->pins_before + RAM_PAGES, pins_held());
	ASSERT_EQ(0, _region_unregister(self->fd, id, 0));
	ASSERT_EQ(self->pins_before, pins_held());
	ASSERT_EQ(-ENOENT, _region_unregister(self->fd, id, 0));
}

TEST_F(async, region_bad_ranges_are_refused)
{
	struct migaccel_region_register r = { .size = sizeof(r) };
	uint32_t id = 0;
	uint8_t *ro;

	ASSERT_EQ(-EINVAL, _region_register(self->fd, self->ram, 0, &id));
	ASSERT_EQ(-EINVAL, _region_register(self->fd, self->ram + 8, PAGE, &id));
	ASSERT_EQ(-EINVAL, _region_register(self->fd, self->ram, PAGE + 1, &id));
	ASSERT_EQ(-EFAULT, _region_register(self->fd, (void *)-4096ul,
					    PAGE, &id));
	/* Longer than a region may be. */
	ASSERT_EQ(-EINVAL, _region_register(self->fd, self->ram,
					    UINT64_MAX & ~4095ull, &id));
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(-EFAULT, _region_register(self->fd, ro, PAGE, &id));
	munmap(ro, PAGE);
	r.addr = (uintptr_t)self->ram;
	r.length = PAGE;
	r.flags = 1;
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_REGION_REGISTER, &r));
	ASSERT_EQ(EOPNOTSUPP, errno);
	r.flags = 0;
	r.__reserved = 1;
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_REGION_REGISTER, &r));
	ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(self->pins_before, pins_held());
}

TEST_F(async, batches_on_a_region_match_and_pin_nothing)
{
	long acquired;
	uint32_t id = 0;
	unsigned int i, k;

	ASSERT_EQ(0, _region_register(self->fd, self->ram,
				      (uint64_t)RAM_PAGES * PAGE, &id));
	acquired = vmstat_value("nr_foll_pin_acquired");
	for (k = 0; k < 4; k++) {
		ASSERT_EQ(0, _zero_batch(self->fd, self->ops, 128, id,
					 (uint64_t)k * 128 * PAGE, NULL, 0, 0));
		for (i = 0; i < 128; i++)
			ASSERT_EQ((k * 128 + i) % 3 == 0, self->ops[i].out_result)
				TH_LOG("page %u", k * 128 + i);
	}
	ASSERT_EQ(acquired, vmstat_value("nr_foll_pin_acquired"));
	/* An offset past the end, an unknown region. */
	ASSERT_EQ(-EINVAL, _zero_batch(self->fd, self->ops, 1, id,
				       (uint64_t)RAM_PAGES * PAGE, NULL, 0, 0));
	ASSERT_EQ(-ENOENT, _zero_batch(self->fd, self->ops, 1, id + 1, 0,
				       NULL, 0, 0));
	ASSERT_EQ(0, _region_unregister(self->fd, id, 0));
}

/*
 * One batch naming two regions and plain addresses in turn, region 0
 * included after a region: each op finds its own page.
 */
TEST_F(async, batch_interleaving_two_regions_and_plain_addresses)
{
	struct migaccel_batch b = {
		.size = sizeof(b),
		.nr_ops = 96,
		.op_size = sizeof(self->ops[0]),
		.ops = (uintptr_t)self->ops,
	};
	uint32_t ids[2] = { 0, 0 };
	unsigned int i, page, half = RAM_PAGES / 2;

	ASSERT_EQ(0, _region_register(self->fd, self->ram,
				      (uint64_t)half * PAGE, &ids[0]));
	ASSERT_EQ(0, _region_register(self->fd, self->ram + (size_t)half * PAGE,
				      (uint64_t)half * PAGE, &ids[1]));
	for (i = 0; i < b.nr_ops; i++) {
		/* Region 0, region 1, plain, region 0, plain, region 1, ... */
		unsigned int kind = (i * 7 + i / 5) % 3;

		page = (i * 37) % half + (kind == 1 ? half : 0);
		memset(&self->ops[i], 0, sizeof(self->ops[i]));
		self->ops[i].opcode = MIGACCEL_OP_ZERO_SCAN;
		self->ops[i].out_result = 7;
		if (kind == 2) {
			self->ops[i].src = (uintptr_t)(self->ram +
						       (size_t)page * PAGE);
		} else {
			self->ops[i].region = ids[kind];
			self->ops[i].src = (uint64_t)(page % half) * PAGE;
		}
	}
	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_BATCH, &b));
	ASSERT_EQ(0, b.out_nr_failed);
	for (i = 0; i < b.nr_ops; i++) {
		unsigned int kind = (i * 7 + i / 5) % 3;

		page = (i * 37) % half + (kind == 1 ? half : 0);
		ASSERT_EQ(0, self->ops[i].out_status);
		ASSERT_EQ(page % 3 == 0, self->ops[i].out_result)
			TH_LOG("op %u, page %u, kind %u", i, page, kind);
	}
	ASSERT_EQ(0, _region_unregister(self->fd, ids[1], 0));
	ASSERT_EQ(0, _region_unregister(self->fd, ids[0], 0));
}

/* Pages in one region, output buffers in another, offset 0 included. */
TEST_F(async, compress_from_region_into_buffer_region_at_offset_zero)
{
	uint8_t *out = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct migaccel_batch b = { .size = sizeof(b), .nr_ops = 2,
				    .op_size = sizeof(self->ops[0]) };
	uint32_t ram, buf;
	long acquired;
	unsigned int i;

	ASSERT_NE(MAP_FAILED, out);
	for (i = 0; i < PAGE; i++)
		self->ram[i] = "registered "[i % 11];
	ASSERT_EQ(0, _region_register(self->fd, self->ram, 4 * PAGE, &ram));
	ASSERT_EQ(0, _region_register(self->fd, out, 4 * PAGE, &buf));
	memset(self->ops, 0, 2 * sizeof(self->ops[0]));
	for (i = 0; i < 2; i++) {
		self->ops[i].opcode = MIGACCEL_OP_COMPRESS;
		self->ops[i].region = ram;
		self->ops[i].buf_region = buf;
		self->ops[i].src = 0;
		self->ops[i].dst = i * 2 * PAGE;
		self->ops[i].dst_len = PAGE;
	}
	b.ops = (uintptr_t)self->ops;
	acquired = vmstat_value("nr_foll_pin_acquired");
	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_BATCH, &b));
	ASSERT_EQ(acquired, vmstat_value("nr_foll_pin_acquired"));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, self->ops[i].out_status);
		ASSERT_LT(0, self->ops[i].out_result);
		ASSERT_GT(200, self->ops[i].out_result);
	}
	/* Both compressed the same page the same way. */
	ASSERT_EQ(0, memcmp(out, out + 2 * PAGE, self->ops[0].out_result));
	ASSERT_EQ(0, _region_unregister(self->fd, buf, 0));
	ASSERT_EQ(0, _region_unregister(self->fd, ram, 0));
	munmap(out, 4 * PAGE);
}

TEST_F(async, rlimit_memlock_is_enforced_exactly)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		uint32_t id = 0, extra;
		int fd = dev_open();

		if (fd < 0)
			_exit(9);
		/* Without CAP_IPC_LOCK the limit applies. */
		if (memlock_allow(8 * PAGE))
			_exit(10);
		if (_region_register(fd, self->ram, 8 * PAGE, &id))
			_exit(13);
		if (_region_register(fd, self->ram + 8 * PAGE, PAGE, &extra) !=
		    -ENOMEM)
			_exit(14);
		/* Unregistering gives the room back. */
		if (_region_unregister(fd, id, 0))
			_exit(15);
		if (_region_register(fd, self->ram + PAGE, 8 * PAGE, &id))
			_exit(16);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_F(async, exit_with_regions_registered_unpins)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = dev_open();
		uint32_t id = 0;

		if (fd < 0 || _region_register(fd, self->ram,
					       (uint64_t)RAM_PAGES * PAGE, &id))
			_exit(1);
		_exit(pins_held() == self->pins_before + RAM_PAGES ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(self->pins_before, pins_held());
}

/* ---- asynchronous batches ---- */

TEST_F(async, async_batches_reap_in_submission_order)
{
	struct migaccel_completion c[8];
	struct migaccel_op ops[3][64];
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	unsigned int got = 0, i, k;

	ASSERT_EQ(0, _reap(self->fd, c, 8, 0, 0, &got));
	ASSERT_EQ(0, got);
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	for (k = 0; k < 3; k++)
		ASSERT_EQ(0, _zero_batch(self->fd, ops[k], 64, 0, 0,
					 self->ram + (size_t)k * 64 * PAGE,
					 MIGACCEL_BATCH_ASYNC, 100 + k));
	/* Nothing is written before the batch is reaped. */
	ASSERT_EQ(7, ops[2][0].out_result);
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_TRUE(pfd.revents & POLLIN);
	ASSERT_EQ(0, _reap(self->fd, c, 8, 3, MIGACCEL_REAP_WAIT, &got));
	ASSERT_EQ(3, got);
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(100 + k, c[k].user_data);
		ASSERT_EQ(0, c[k].result);
		ASSERT_EQ(0, c[k].nr_failed);
		for (i = 0; i < 64; i++)
			ASSERT_EQ((k * 64 + i) % 3 == 0, ops[k][i].out_result);
	}
	ASSERT_EQ(0, poll(&pfd, 1, 0));
}

TEST_F(async, eventfd_counts_completed_batches)
{
	struct migaccel_set_eventfd e = { .size = sizeof(e) };
	struct migaccel_completion c[4];
	struct migaccel_op ops[2][8];
	unsigned int got = 0;
	uint64_t v = 0;
	int efd = eventfd(0, 0);

	ASSERT_LE(0, efd);
	e.fd = efd;
	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_SET_EVENTFD, &e));
	ASSERT_EQ(0, _zero_batch(self->fd, ops[0], 8, 0, 0, self->ram,
				 MIGACCEL_BATCH_ASYNC, 1));
	ASSERT_EQ(0, _zero_batch(self->fd, ops[1], 8, 0, 0, self->ram,
				 MIGACCEL_BATCH_ASYNC, 2));
	ASSERT_EQ(0, _reap(self->fd, c, 4, 2, MIGACCEL_REAP_WAIT, &got));
	ASSERT_EQ(2, got);
	ASSERT_EQ(sizeof(v), read(efd, &v, sizeof(v)));
	ASSERT_EQ(2, v);
	e.fd = -1;
	ASSERT_EQ(0, ioctl(self->fd, MIGACCEL_SET_EVENTFD, &e));
	e.fd = -2;
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_SET_EVENTFD, &e));
	ASSERT_EQ(EINVAL, errno);
	close(efd);
}

TEST_F(async, reap_bad_arguments_are_refused)
{
	struct migaccel_completion c[2];
	unsigned int got = 0;

	ASSERT_EQ(-EINVAL, _reap(self->fd, c, 0, 0, 0, &got));
	ASSERT_EQ(-EINVAL, _reap(self->fd, c, 2, 3, MIGACCEL_REAP_WAIT, &got));
	ASSERT_EQ(-EINVAL, _reap(self->fd, c, 2, 1, 0, &got));
	ASSERT_EQ(-EOPNOTSUPP, _reap(self->fd, c, 2, 0, 1u << 30, &got));
}

TEST_F(async, unregister_in_flight_is_ebusy_then_waits)
{
	struct migaccel_completion c[2];
	unsigned int got = 0;
	uint32_t id = 0;

	ASSERT_EQ(0, _region_register(self->fd, self->ram,
				      (uint64_t)RAM_PAGES * PAGE, &id));
	/* Hold the batch in flight: its completion never comes. */
	ASSERT_EQ(0, write_file(TIMEOUT_PARAM, "300"));
	ASSERT_EQ(0, channel_inject(self->fd, "lost desc=0"));
	ASSERT_EQ(0, _zero_batch(self->fd, self->ops, 16, id, 0, NULL,
				 MIGACCEL_BATCH_ASYNC, 9));
	ASSERT_EQ(-EBUSY, _region_unregister(self->fd, id, 0));
	/* After the timeout the batch is finished on the CPU and reaped. */
	ASSERT_EQ(0, _reap(self->fd, c, 2, 1, MIGACCEL_REAP_WAIT, &got));
	ASSERT_EQ(1, got);
	ASSERT_EQ(0, c[0].result);
	ASSERT_EQ(16, c[0].nr_cpu);
	ASSERT_EQ(1, self->ops[3].out_result);
	ASSERT_EQ(0, self->ops[4].out_result);
	ASSERT_EQ(0, _region_unregister(self->fd, id, MIGACCEL_UNREGISTER_WAIT));
	ASSERT_EQ(self->pins_before, pins_held());
}

TEST_F(async, poll_wakes_when_a_lost_batch_reaches_its_deadline)
{
	struct pollfd pfd = { .fd = self->fd, .events = POLLIN };
	struct migaccel_completion c;
	unsigned int got;

	ASSERT_EQ(0, write_file(TIMEOUT_PARAM, "300"));
	ASSERT_EQ(0, channel_inject(self->fd, "lost desc=0"));
	ASSERT_EQ(0, _zero_batch(self->fd, self->ops, 8, 0, 0, self->ram,
				 MIGACCEL_BATCH_ASYNC, 5));
	/* Its completion never comes: the deadline wakes the poller. */
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	ASSERT_EQ(0, _reap(self->fd, &c, 1, 0, 0, &got));
	ASSERT_EQ(1, got);
	ASSERT_EQ(5, c.user_data);
	ASSERT_EQ(0, c.result);
	ASSERT_EQ(8, c.nr_cpu);
	ASSERT_EQ(1, self->ops[0].out_result);
}

TEST_F(async, close_with_batches_in_flight_releases_everything)
{
	int fd = dev_open();
	uint32_t id = 0;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, _region_register(fd, self->ram, 64 * PAGE, &id));
	ASSERT_EQ(0, _zero_batch(fd, self->ops, 64, id, 0, NULL,
				 MIGACCEL_BATCH_ASYNC, 1));
	ASSERT_EQ(0, _zero_batch(fd, self->ops + 64, 64, 0, 0, self->ram,
				 MIGACCEL_BATCH_ASYNC, 2));
	close(fd);
	ASSERT_EQ(self->pins_before, pins_held());
}

/* ---- isolation ---- */

TEST_F(async, forked_child_cannot_use_the_channel)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (!pid) {
		struct migaccel_completion c;
		unsigned int got = 0;
		uint32_t id = 0;

		if (_zero_batch(self->fd, self->ops, 1, 0, 0, self->ram, 0, 0) !=
		    -EPERM)
			_exit(1);
		if (_region_register(self->fd, self->ram, PAGE, &id) != -EPERM)
			_exit(2);
		if (_reap(self->fd, &c, 1, 0, 0, &got) != -EPERM)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_F(async, fd_passed_over_unix_socket_cannot_reach_owner_memory)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int sv[2], status;
	pid_t pid;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		uint8_t *mine;
		int fd;

		close(sv[0]);
		/* A fresh address space, as another process would have. */
		if (recvmsg(sv[1], &msg, 0) != 1)
			_exit(1);
		cm = CMSG_FIRSTHDR(&msg);
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		mine = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (_zero_batch(fd, self->ops, 1, 0, 0, mine, 0, 0) != -EPERM)
			_exit(2);
		_exit(0);
	}
	close(sv[1]);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &self->fd, sizeof(int));
	ASSERT_EQ(1, sendmsg(sv[0], &msg, 0));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	close(sv[0]);
}

TEST_F(async, killed_mid_batch_leaves_no_pins_and_no_hung_task)
{
	int ready[2], status;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = dev_open();

		/* The batch waits for a completion that never comes. */
		if (fd < 0 || channel_inject(fd, "lost desc=5"))
			_exit(1);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		_zero_batch(fd, self->ops, 256, 0, 0, self->ram, 0, 0);
		_exit(3);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	usleep(200000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_EQ(self->pins_before, pins_held());
	close(ready[0]);
	close(ready[1]);
}

TEST_F(async, sva_bind_without_a_work_queue_is_enodev)
{
	struct migaccel_sva_bind s = { .size = sizeof(s) };

	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_SVA_BIND, &s));
	ASSERT_EQ(ENODEV, errno);
	s.flags = 1;
	ASSERT_EQ(-1, ioctl(self->fd, MIGACCEL_SVA_BIND, &s));
	ASSERT_EQ(EOPNOTSUPP, errno);
}

/* ---- load ---- */

struct stress_arg {
	uint8_t *ram;
	unsigned int batches;
	unsigned int seed;
	int err;
};

/* Sync and async batches of zero scans and CRCs, each result checked. */
static void *stress_thread(void *p)
{
	struct stress_arg *a = p;
	struct migaccel_op ops[32];
	struct migaccel_completion c;
	unsigned int k, i, got = 0, base;
	int fd = dev_open();

	if (fd < 0) {
		a->err = -errno;
		return NULL;
	}
	for (k = 0; k < a->batches && !a->err; k++) {
		base = (a->seed * 131 + k * 7) % (RAM_PAGES - 32);
		a->err = _zero_batch(fd, ops, 32, 0, 0,
				     a->ram + (size_t)base * PAGE,
				     k & 1 ? MIGACCEL_BATCH_ASYNC : 0, k);
		if (!a->err && (k & 1)) {
			a->err = _reap(fd, &c, 1, 1, MIGACCEL_REAP_WAIT, &got);
			if (!a->err && (got != 1 || c.user_data != k || c.result))
				a->err = -EIO;
		}
		for (i = 0; i < 32 && !a->err; i++)
			if (ops[i].out_status ||
			    ops[i].out_result != ((base + i) % 3 == 0))
				a->err = -EIO;
	}
	close(fd);
	return NULL;
}

TEST_F_TIMEOUT(async, sixteen_threads_thousand_batches_each, 1200)
{
	const char *e = getenv("MIGACCEL_STRESS_BATCHES");
	struct stress_arg args[16];
	pthread_t t[16];
	int i;

	for (i = 0; i < 16; i++) {
		args[i].ram = self->ram;
		args[i].batches = e ? strtoul(e, NULL, 0) : 1000;
		args[i].seed = i;
		args[i].err = 0;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, stress_thread, &args[i]));
	}
	for (i = 0; i < 16; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, args[i].err) TH_LOG("thread %d", i);
	}
	TH_LOG("16 threads x %u batches of 32 pages checked", args[0].batches);
}

TEST_HARNESS_MAIN
