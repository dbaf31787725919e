// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "migaccel": dumps show what exists, strict
 * policies refuse malformed requests with an extended ack that says why,
 * and changes need CAP_NET_ADMIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>

#include <linux/migaccel.h>
#include <linux/migaccel_nl.h>

#include "kselftest_harness.h"
#include "migaccel_nl.h"

#define PAGE 4096

static const char *dev_path(void)
{
	const char *p = getenv("MIGACCEL_DEVICE");

	return p ? p : "/dev/migaccel";
}

/* Zero-scan @nr pages at @buf; bitmap of zero pages in *@zero.  -errno. */
static int zero_scan(int fd, uint8_t *buf, unsigned int nr, uint64_t *zero)
{
	struct migaccel_op ops[64] = {};
	struct migaccel_batch b = {
		.size = sizeof(b),
		.nr_ops = nr,
		.op_size = sizeof(struct migaccel_op),
		.ops = (uintptr_t)ops,
		.out_zero_bitmap = (uintptr_t)zero,
	};
	unsigned int i;

	for (i = 0; i < nr; i++) {
		ops[i].opcode = MIGACCEL_OP_ZERO_SCAN;
		ops[i].src = (uintptr_t)(buf + (size_t)i * PAGE);
	}
	return ioctl(fd, MIGACCEL_BATCH, &b) ? -errno : 0;
}

FIXTURE(nl)
{
	struct nl_ctx *c;
	int dev;
};

FIXTURE_SETUP(nl)
{
	self->c = calloc(1, sizeof(*self->c));
	ASSERT_NE(NULL, self->c);
	ASSERT_EQ(0, nl_open(self->c)) TH_LOG("no netlink family migaccel");
	self->dev = open(dev_path(), O_RDWR);
	ASSERT_LE(0, self->dev);
}

FIXTURE_TEARDOWN(nl)
{
	close(self->dev);
	close(self->c->fd);
	free(self->c);
}

/* A group-set request for this process with a valid kind and id. */
static void start_set(struct nl_ctx *c)
{
	nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND, MIGACCEL_GROUP_KIND_PROCESS);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, getpid());
}

/* Assert a refusal with @err and an extack message. */
#define do_nl_err(c, err)						\
	do {								\
		EXPECT_EQ(-(err), nl_do(c));				\
		EXPECT_NE(0, (c)->ack.msg[0] || (c)->ack.miss_type >= 0) \
			TH_LOG("no extack message");			\
		TH_LOG("refused as expected: %s", (c)->ack.msg);	\
	} while (0)

TEST_F(nl, family_has_monitor_group)
{
	EXPECT_NE(0, self->c->monitor_grp);
}

TEST_F(nl, engine_dump_lists_soft_engine)
{
	struct nl_ctx *c = self->c;
	struct nlmsghdr *nlh;
	int found = 0;

	nl_start(c, c->family, MIGACCEL_CMD_ENGINE_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_do(c));
	nl_for_each_msg(c, nlh) {
		struct nlattr *name = nl_attr(nlh, MIGACCEL_A_ENGINE_NAME);

		ASSERT_NE(NULL, name);
		if (strcmp(nl_data(name), "soft"))
			continue;
		found++;
		EXPECT_EQ(MIGACCEL_ENGINE_KIND_SOFT,
			  nl_uint(nl_attr(nlh, MIGACCEL_A_ENGINE_KIND)));
		EXPECT_EQ(MIGACCEL_ENGINE_STATE_ENABLED,
			  nl_uint(nl_attr(nlh, MIGACCEL_A_ENGINE_STATE)));
		EXPECT_EQ(NULL, nl_attr(nlh, MIGACCEL_A_ENGINE_WQ_ID));
		/* The soft engine runs every operation. */
		EXPECT_EQ(((1u << MIGACCEL_OP_MAX) - 1) & ~1u,
			  nl_uint(nl_attr(nlh, MIGACCEL_A_ENGINE_OPS)));
		EXPECT_NE(NULL, nl_attr(nlh, MIGACCEL_A_ENGINE_COMPLETED));
		EXPECT_NE(NULL, nl_attr(nlh, MIGACCEL_A_ENGINE_CPU_COMPLETIONS));
	}
	EXPECT_EQ(1, found);
}

/* The client message of this process in the last dump, or NULL. */
static struct nlmsghdr *my_client(struct nl_ctx *c)
{
	struct nlmsghdr *nlh;

	nl_for_each_msg(c, nlh) {
		struct nlattr *pid = nl_attr(nlh, MIGACCEL_A_CLIENT_PID);

		if (pid && nl_uint(pid) == (uint64_t)getpid())
			return nlh;
	}
	return NULL;
}

TEST_F(nl, client_dump_counts_channels_of_this_process)
{
	struct nl_ctx *c = self->c;
	struct nlmsghdr *nlh;
	int fd2;

	fd2 = open(dev_path(), O_RDWR);
	ASSERT_LE(0, fd2);
	nl_start(c, c->family, MIGACCEL_CMD_CLIENT_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_do(c));
	nlh = my_client(c);
	ASSERT_NE(NULL, nlh);
	EXPECT_EQ(2, nl_uint(nl_attr(nlh, MIGACCEL_A_CLIENT_CHANNELS)));
	EXPECT_EQ(MIGACCEL_GROUP_KIND_PROCESS,
		  nl_uint(nl_attr(nlh, MIGACCEL_A_CLIENT_GROUP_KIND)));
	EXPECT_EQ((uint64_t)getpid(),
		  nl_uint(nl_attr(nlh, MIGACCEL_A_CLIENT_GROUP_ID)));
	close(fd2);

	nl_start(c, c->family, MIGACCEL_CMD_CLIENT_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_do(c));
	nlh = my_client(c);
	ASSERT_NE(NULL, nlh);
	EXPECT_EQ(1, nl_uint(nl_attr(nlh, MIGACCEL_A_CLIENT_CHANNELS)));
}

TEST_F(nl, client_dump_counts_zero_scan_operations)
{
	struct nl_ctx *c = self->c;
	struct nlattr *a, *f;
	struct nlmsghdr *nlh;
	uint64_t zero = 0;
	uint8_t *buf;
	int seen = 0, rem, frem;

	buf = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0, 5 * PAGE);
	ASSERT_EQ(0, zero_scan(self->dev, buf, 5, &zero));
	ASSERT_EQ(0, zero_scan(self->dev, buf, 3, &zero));

	nl_start(c, c->family, MIGACCEL_CMD_CLIENT_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_do(c));
	nlh = my_client(c);
	ASSERT_NE(NULL, nlh);
	nl_for_each_attr(a, (char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
			 (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem) {
		uint64_t op = 0, calls = 0, nops = 0;

		if ((a->nla_type & NLA_TYPE_MASK) != MIGACCEL_A_CLIENT_OP_STAT)
			continue;
		nl_for_each_attr(f, nl_data(a), a->nla_len - NLA_HDRLEN, frem) {
			if (f->nla_type == MIGACCEL_A_OP_STAT_OPCODE)
				op = nl_uint(f);
			else if (f->nla_type == MIGACCEL_A_OP_STAT_CALLS)
				calls = nl_uint(f);
			else if (f->nla_type == MIGACCEL_A_OP_STAT_OPS)
				nops = nl_uint(f);
		}
		EXPECT_EQ(MIGACCEL_OP_ZERO_SCAN, op);
		EXPECT_EQ(2, calls);
		EXPECT_EQ(8, nops);
		seen++;
	}
	EXPECT_EQ(1, seen);
	munmap(buf, 5 * PAGE);
}

TEST_F(nl, group_get_without_kind_names_missing_attribute)
{
	struct nl_ctx *c = self->c;

	nl_start(c, c->family, MIGACCEL_CMD_GROUP_GET, 0);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, getpid());
	EXPECT_EQ(-EINVAL, nl_do(c));
	EXPECT_EQ(MIGACCEL_A_GROUP_KIND, c->ack.miss_type);
}

TEST_F(nl, group_set_without_id_names_missing_attribute)
{
	struct nl_ctx *c = self->c;

	nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND, MIGACCEL_GROUP_KIND_PROCESS);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, 1 << 20);
	EXPECT_EQ(-EINVAL, nl_do(c));
	EXPECT_EQ(MIGACCEL_A_GROUP_ID, c->ack.miss_type);
}

TEST_F(nl, group_set_kind_of_wrong_type_is_einval)
{
	struct nl_ctx *c = self->c;

	nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
	nl_put_u8(&c->req, MIGACCEL_A_GROUP_KIND, MIGACCEL_GROUP_KIND_PROCESS);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, getpid());
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, 1 << 20);
	do_nl_err(c, EINVAL);
	EXPECT_TRUE(c->ack.has_offs);
}

TEST_F(nl, group_set_quota_of_wrong_type_is_einval)
{
	struct nl_ctx *c = self->c;
	uint16_t q = 1;

	start_set(c);
	nl_put(&c->req, MIGACCEL_A_GROUP_QUOTA, &q, sizeof(q));
	do_nl_err(c, EINVAL);
	EXPECT_TRUE(c->ack.has_offs);
}

TEST_F(nl, group_set_unknown_kind_is_erange)
{
	struct nl_ctx *c = self->c;

	nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND, MIGACCEL_GROUP_KIND_CGROUP + 1);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, getpid());
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, 1 << 20);
	do_nl_err(c, ERANGE);
}

TEST_F(nl, group_set_period_below_minimum_is_erange)
{
	start_set(self->c);
	nl_put_u32(&self->c->req, MIGACCEL_A_GROUP_PERIOD_US,
		   MIGACCEL_PERIOD_US_MIN - 1);
	do_nl_err(self->c, ERANGE);
}

TEST_F(nl, group_set_period_above_maximum_is_erange)
{
	start_set(self->c);
	nl_put_u32(&self->c->req, MIGACCEL_A_GROUP_PERIOD_US,
		   MIGACCEL_PERIOD_US_MAX + 1);
	do_nl_err(self->c, ERANGE);
}

TEST_F(nl, group_set_slice_above_one_gib_is_erange)
{
	start_set(self->c);
	nl_put_u32(&self->c->req, MIGACCEL_A_GROUP_SLICE, (1u << 30) + 1);
	do_nl_err(self->c, ERANGE);
}

TEST_F(nl, group_set_cpu_fallback_two_is_erange)
{
	start_set(self->c);
	nl_put_u8(&self->c->req, MIGACCEL_A_GROUP_CPU_FALLBACK, 2);
	do_nl_err(self->c, ERANGE);
}

TEST_F(nl, group_set_unknown_attribute_is_einval)
{
	start_set(self->c);
	nl_put_u64(&self->c->req, MIGACCEL_A_GROUP_QUOTA, 1 << 20);
	nl_put_u32(&self->c->req, MIGACCEL_A_GROUP_MAX + 1, 0);
	do_nl_err(self->c, EINVAL);
}

TEST_F(nl, group_set_with_nothing_to_set_is_einval)
{
	start_set(self->c);
	do_nl_err(self->c, EINVAL);
	EXPECT_NE(NULL, strstr(self->c->ack.msg, "nothing to set"));
}

TEST_F(nl, group_set_id_zero_is_einval)
{
	struct nl_ctx *c = self->c;

	nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND, MIGACCEL_GROUP_KIND_PROCESS);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, 0);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, 1 << 20);
	do_nl_err(c, EINVAL);
}

TEST_F(nl, group_set_of_process_without_channel_is_enoent)
{
	struct nl_ctx *c = self->c;

	/* init never opens /dev/migaccel. */
	nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND, MIGACCEL_GROUP_KIND_PROCESS);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, 1);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, 1 << 20);
	do_nl_err(c, ENOENT);
	EXPECT_NE(NULL, strstr(c->ack.msg, "no client"));
}

TEST_F(nl, group_set_then_get_returns_the_limit)
{
	struct nl_ctx *c = self->c;

	start_set(c);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, 123456);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_PERIOD_US, 20000);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_SLICE, 8192);
	nl_put_u8(&c->req, MIGACCEL_A_GROUP_CPU_FALLBACK, 1);
	ASSERT_EQ(0, nl_do(c)) TH_LOG("%s", c->ack.msg);

	ASSERT_EQ(0, nl_group_get(c, MIGACCEL_GROUP_KIND_PROCESS, getpid()));
	EXPECT_EQ(123456, nl_reply_uint(c, MIGACCEL_A_GROUP_QUOTA));
	EXPECT_EQ(20000, nl_reply_uint(c, MIGACCEL_A_GROUP_PERIOD_US));
	EXPECT_EQ(8192, nl_reply_uint(c, MIGACCEL_A_GROUP_SLICE));
	EXPECT_EQ(1, nl_reply_uint(c, MIGACCEL_A_GROUP_CPU_FALLBACK) & 0xff);
	EXPECT_EQ(1, nl_reply_uint(c, MIGACCEL_A_GROUP_CHANNELS));
}

TEST_F(nl, cgroup_group_is_created_by_set)
{
	struct nl_ctx *c = self->c;
	const uint64_t cgid = 0x7fff0001;

	nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND, MIGACCEL_GROUP_KIND_CGROUP);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, cgid);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, 1 << 20);
	ASSERT_EQ(0, nl_do(c)) TH_LOG("%s", c->ack.msg);
	ASSERT_EQ(0, nl_group_get(c, MIGACCEL_GROUP_KIND_CGROUP, cgid));
	EXPECT_EQ(1 << 20, nl_reply_uint(c, MIGACCEL_A_GROUP_QUOTA));
	EXPECT_EQ(0, nl_reply_uint(c, MIGACCEL_A_GROUP_CHANNELS));
}

/* In a child: drop CAP_NET_ADMIN, or become nobody; then try a change. */
static int unprivileged_set(int setuid_nobody, char *msg, size_t len)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	struct nl_ctx *c = calloc(1, sizeof(*c));
	uint64_t pid = getppid();
	int ret;

	if (!c)
		return -ENOMEM;
	if (setuid_nobody) {
		if (setuid(65534))
			return -errno;
	} else {
		if (syscall(SYS_capget, &hdr, data))
			return -errno;
		data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
		data[CAP_NET_ADMIN / 32].permitted &= ~(1u << (CAP_NET_ADMIN % 32));
		if (syscall(SYS_capset, &hdr, data))
			return -errno;
	}
	ret = nl_open(c);
	if (ret)
		return ret;
	/* Reading is for everyone. */
	nl_start(c, c->family, MIGACCEL_CMD_ENGINE_GET, NLM_F_DUMP);
	ret = nl_do(c);
	if (ret)
		return 1000 + ret;
	ret = nl_set_limit(c, pid, 1 << 20, 100000, 0);
	snprintf(msg, len, "%s", c->ack.msg);
	return ret;
}

static void check_unprivileged(struct __test_metadata *_metadata,
			       int setuid_nobody)
{
	int pfd[2], status;
	char msg[256] = "";
	pid_t child;
	int ret;

	ASSERT_EQ(0, pipe(pfd));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		ret = unprivileged_set(setuid_nobody, msg, sizeof(msg));
		if (write(pfd[1], &ret, sizeof(ret)) != sizeof(ret) ||
		    write(pfd[1], msg, sizeof(msg)) != sizeof(msg))
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(sizeof(ret), read(pfd[0], &ret, sizeof(ret)));
	ASSERT_EQ(sizeof(msg), read(pfd[0], msg, sizeof(msg)));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(-EPERM, ret) TH_LOG("child got %d (%s)", ret, msg);
	close(pfd[0]);
}

TEST_F(nl, group_set_without_cap_net_admin_is_eperm)
{
	check_unprivileged(_metadata, 0);
}

TEST_F(nl, group_set_as_nobody_is_eperm)
{
	check_unprivileged(_metadata, 1);
}

TEST_F(nl, throttled_group_is_announced_and_runs_on_cpu)
{
	struct nl_ctx *c = self->c;
	struct nl_ctx *mon = calloc(1, sizeof(*mon));
	struct timeval tv = { .tv_sec = 5 };
	struct nlmsghdr *nlh;
	uint64_t zero = 0;
	char rx[NL_BUF];
	uint8_t *buf;
	int grp, found = 0;
	ssize_t n;

	ASSERT_NE(NULL, mon);
	ASSERT_EQ(0, nl_open(mon));
	grp = mon->monitor_grp;
	ASSERT_EQ(0, setsockopt(mon->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
				&grp, sizeof(grp)));
	ASSERT_EQ(0, setsockopt(mon->fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
				sizeof(tv)));

	/* One page per second, and CPU fallback: a 4-page batch throttles. */
	start_set(c);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, PAGE);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_PERIOD_US, MIGACCEL_PERIOD_US_MAX);
	nl_put_u8(&c->req, MIGACCEL_A_GROUP_CPU_FALLBACK, 1);
	ASSERT_EQ(0, nl_do(c)) TH_LOG("%s", c->ack.msg);

	buf = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0, 4 * PAGE);
	buf[2 * PAGE + 100] = 1;
	/* On the CPU, with the same answer. */
	ASSERT_EQ(0, zero_scan(self->dev, buf, 4, &zero));
	EXPECT_EQ(0xb, zero);

	n = recv(mon->fd, rx, sizeof(rx), 0);
	ASSERT_LT(0, n) TH_LOG("no notification: %s", strerror(errno));
	for (nlh = (struct nlmsghdr *)rx; NLMSG_OK(nlh, n);
	     nlh = NLMSG_NEXT(nlh, n)) {
		struct genlmsghdr *g = NLMSG_DATA(nlh);
		struct nlattr *id = nl_attr(nlh, MIGACCEL_A_GROUP_ID);

		if (g->cmd != MIGACCEL_CMD_GROUP_THROTTLED_NTF || !id ||
		    nl_uint(id) != (uint64_t)getpid())
			continue;
		found = 1;
		EXPECT_LE(1, nl_uint(nl_attr(nlh, MIGACCEL_A_GROUP_NR_THROTTLED)));
	}
	EXPECT_EQ(1, found);

	ASSERT_EQ(0, nl_group_get(c, MIGACCEL_GROUP_KIND_PROCESS, getpid()));
	/* Nothing of the batch was charged: it ran on the CPU. */
	EXPECT_EQ(0, nl_reply_uint(c, MIGACCEL_A_GROUP_USAGE));
	munmap(buf, 4 * PAGE);
	close(mon->fd);
	free(mon);
}

TEST_HARNESS_MAIN
