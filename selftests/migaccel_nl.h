/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A raw generic netlink client for the migaccel selftests: no libnl, so a
 * test can send exactly the malformed attribute it means to, and read the
 * extended ack the kernel answers with.
 */
#ifndef MIGACCEL_SELFTEST_NL_H
#define MIGACCEL_SELFTEST_NL_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/migaccel_nl.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define NL_BUF 16384

struct nl_req {
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	char attrs[1024];
};

/* What the kernel said about a request. */
struct nl_ack {
	int error;		/* 0 or negative errno */
	char msg[256];		/* NLMSGERR_ATTR_MSG */
	int miss_type;		/* NLMSGERR_ATTR_MISS_TYPE, or -1 */
	int has_offs;		/* NLMSGERR_ATTR_OFFS was given */
};

struct nl_ctx {
	int fd;
	uint16_t family;
	uint32_t monitor_grp;
	uint32_t seq;
	struct nl_req req;
	struct nl_ack ack;
	/* Replies of the last request, one genetlink message each. */
	char buf[1 << 18];
	size_t len;
};

static inline void nl_put(struct nl_req *r, uint16_t type, const void *data,
			  uint16_t len)
{
	struct nlattr *a = (struct nlattr *)((char *)r + r->nlh.nlmsg_len);

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	r->nlh.nlmsg_len += NLA_ALIGN(a->nla_len);
}

static inline void nl_put_u32(struct nl_req *r, uint16_t type, uint32_t v)
{
	nl_put(r, type, &v, sizeof(v));
}

static inline void nl_put_u64(struct nl_req *r, uint16_t type, uint64_t v)
{
	nl_put(r, type, &v, sizeof(v));
}

static inline void nl_put_u8(struct nl_req *r, uint16_t type, uint8_t v)
{
	nl_put(r, type, &v, sizeof(v));
}

static inline void nl_start(struct nl_ctx *c, uint16_t family, uint8_t cmd,
			    uint16_t flags)
{
	memset(&c->req, 0, sizeof(c->req));
	c->req.nlh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	c->req.nlh.nlmsg_type = family;
	c->req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	c->req.nlh.nlmsg_seq = ++c->seq;
	c->req.genl.cmd = cmd;
	c->req.genl.version = 1;
}

static inline void nl_parse_ack(struct nl_ctx *c, struct nlmsghdr *nlh)
{
	struct nlmsgerr *e = NLMSG_DATA(nlh);
	struct nlattr *a;
	int len;

	c->ack.error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	/* NETLINK_CAP_ACK: the TLVs follow the request's header only. */
	a = (struct nlattr *)((char *)e + sizeof(*e));
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)sizeof(*e);
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		void *d = (char *)a + NLA_HDRLEN;

		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(c->ack.msg, sizeof(c->ack.msg), "%s",
				 (char *)d);
		else if (a->nla_type == NLMSGERR_ATTR_MISS_TYPE)
			c->ack.miss_type = *(uint32_t *)d;
		else if (a->nla_type == NLMSGERR_ATTR_OFFS)
			c->ack.has_offs = 1;
		len -= NLA_ALIGN(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
	}
}

/* Send c->req; collect replies until the ack or NLMSG_DONE.  -errno. */
static inline int nl_do(struct nl_ctx *c)
{
	char rx[NL_BUF];
	int done = 0;

	memset(&c->ack, 0, sizeof(c->ack));
	c->ack.miss_type = -1;
	c->len = 0;
	if (send(c->fd, &c->req, c->req.nlh.nlmsg_len, 0) < 0)
		return -errno;
	while (!done) {
		ssize_t n = recv(c->fd, rx, sizeof(rx), 0);
		struct nlmsghdr *nlh;

		if (n < 0)
			return -errno;
		for (nlh = (struct nlmsghdr *)rx; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != c->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				nl_parse_ack(c, nlh);
				done = 1;
				break;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				/* A dump ends here, with its status. */
				c->ack.error = *(int *)NLMSG_DATA(nlh);
				done = 1;
				break;
			}
			if (c->len + nlh->nlmsg_len <= sizeof(c->buf)) {
				memcpy(c->buf + c->len, nlh, nlh->nlmsg_len);
				c->len += NLMSG_ALIGN(nlh->nlmsg_len);
			}
		}
	}
	return c->ack.error;
}

static inline int nl_attr_ok(const struct nlattr *a, int rem)
{
	return rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem;
}

static inline struct nlattr *nl_attr_next(const struct nlattr *a, int *rem)
{
	*rem -= NLA_ALIGN(a->nla_len);
	return (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
}

/* Iterate the attributes in @len bytes at @start; @rem counts down. */
#define nl_for_each_attr(a, start, len, rem)				\
	for ((a) = (struct nlattr *)(start), (rem) = (len);		\
	     nl_attr_ok((a), (rem)); (a) = nl_attr_next((a), &(rem)))

static inline void *nl_data(const struct nlattr *a)
{
	return (char *)a + NLA_HDRLEN;
}

static inline uint64_t nl_uint(const struct nlattr *a)
{
	if (a->nla_len - NLA_HDRLEN == 8)
		return *(uint64_t *)nl_data(a);
	return *(uint32_t *)nl_data(a);
}

/* Attribute @type of genetlink message @nlh, or NULL. */
static inline struct nlattr *nl_attr(struct nlmsghdr *nlh, int type)
{
	struct nlattr *a;
	int rem;

	nl_for_each_attr(a, (char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
			 (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), rem)
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
	return NULL;
}

#define nl_for_each_msg(c, nlh)						\
	for ((nlh) = (struct nlmsghdr *)(c)->buf;			\
	     (char *)(nlh) < (c)->buf + (c)->len;			\
	     (nlh) = (struct nlmsghdr *)((char *)(nlh) + NLMSG_ALIGN((nlh)->nlmsg_len)))

/* Open a socket and resolve the migaccel family; -errno. */
static inline int nl_open(struct nl_ctx *c)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh;
	struct nlattr *a, *g, *ga;
	int one = 1, ret, rem, grem;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (c->fd < 0)
		return -errno;
	if (bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) ||
	    setsockopt(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one)))
		return -errno;
	nl_start(c, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	nl_put(&c->req, CTRL_ATTR_FAMILY_NAME, MIGACCEL_FAMILY_NAME,
	       sizeof(MIGACCEL_FAMILY_NAME));
	ret = nl_do(c);
	if (ret)
		return ret;
	nl_for_each_msg(c, nlh) {
		a = nl_attr(nlh, CTRL_ATTR_FAMILY_ID);
		if (a)
			c->family = *(uint16_t *)nl_data(a);
		g = nl_attr(nlh, CTRL_ATTR_MCAST_GROUPS);
		if (!g)
			continue;
		nl_for_each_attr(a, nl_data(g), g->nla_len - NLA_HDRLEN, rem) {
			uint32_t id = 0;
			int match = 0;

			nl_for_each_attr(ga, nl_data(a), a->nla_len - NLA_HDRLEN,
					 grem) {
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_ID)
					id = *(uint32_t *)nl_data(ga);
				if (ga->nla_type == CTRL_ATTR_MCAST_GRP_NAME &&
				    !strcmp(nl_data(ga), MIGACCEL_MCGRP_MONITOR))
					match = 1;
			}
			if (match)
				c->monitor_grp = id;
		}
	}
	return c->family ? 0 : -ENOENT;
}

/* GROUP_GET of one group into c->buf; -errno. */
static inline int nl_group_get(struct nl_ctx *c, uint32_t kind, uint64_t id)
{
	nl_start(c, c->family, MIGACCEL_CMD_GROUP_GET, 0);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND, kind);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, id);
	return nl_do(c);
}

/* Attribute of the single reply of the last request, 0 if absent. */
static inline uint64_t nl_reply_uint(struct nl_ctx *c, int type)
{
	struct nlattr *a;

	if (!c->len)
		return 0;
	a = nl_attr((struct nlmsghdr *)c->buf, type);
	return a ? nl_uint(a) : 0;
}

/* GROUP_SET of a process group's quota (bytes), period and slice; -errno. */
static inline int nl_set_limit(struct nl_ctx *c, uint64_t pid, uint64_t quota,
			       uint32_t period_us, uint32_t slice)
{
	nl_start(c, c->family, MIGACCEL_CMD_GROUP_SET, 0);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_KIND, MIGACCEL_GROUP_KIND_PROCESS);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_ID, pid);
	nl_put_u64(&c->req, MIGACCEL_A_GROUP_QUOTA, quota);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_PERIOD_US, period_us);
	nl_put_u32(&c->req, MIGACCEL_A_GROUP_SLICE, slice);
	return nl_do(c);
}

#endif /* MIGACCEL_SELFTEST_NL_H */
