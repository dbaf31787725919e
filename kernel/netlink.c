// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "migaccel": engines, clients, client groups
 * and their bandwidth limits.  Documentation/netlink/migaccel.yaml is the
 * specification; nl-gen.c, generated from it, holds the policies and the
 * op table, so attributes reach these handlers already validated.
 */
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include <linux/migaccel_nl.h>
#include "migaccel.h"
#include "gen/nl-gen.h"

/* Set once the family is registered: engines appear before and after. */
static bool migaccel_nl_registered;

struct nl_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

static u32 nl_engine_kind(const struct migaccel_engine *engine)
{
	switch (engine->kind) {
	case MIGACCEL_ENGINE_DSA:
		return MIGACCEL_ENGINE_KIND_DSA;
	case MIGACCEL_ENGINE_IAA:
		return MIGACCEL_ENGINE_KIND_IAA;
	default:
		return MIGACCEL_ENGINE_KIND_SOFT;
	}
}

static int nl_engine_fill(struct sk_buff *skb, struct migaccel_engine *engine,
			  u32 portid, u32 seq, int flags, u8 cmd)
{
	u64 completed = atomic64_read(&engine->completed);
	u64 submitted = atomic64_read(&engine->submitted);
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &migaccel_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_string(skb, MIGACCEL_A_ENGINE_NAME, engine->name) ||
	    nla_put_u32(skb, MIGACCEL_A_ENGINE_KIND, nl_engine_kind(engine)) ||
	    (engine->wq_id >= 0 &&
	     nla_put_u32(skb, MIGACCEL_A_ENGINE_WQ_ID, engine->wq_id)) ||
	    /* An engine is listed exactly while it is enabled. */
	    nla_put_u32(skb, MIGACCEL_A_ENGINE_STATE,
			cmd == MIGACCEL_CMD_ENGINE_DEL_NTF ?
			MIGACCEL_ENGINE_STATE_DISABLED :
			MIGACCEL_ENGINE_STATE_ENABLED) ||
	    nla_put_s32(skb, MIGACCEL_A_ENGINE_NUMA_NODE, engine->numa_node) ||
	    nla_put_uint(skb, MIGACCEL_A_ENGINE_OPS, engine->ops_mask) ||
	    /* Read completed first: in flight is then never negative. */
	    nla_put_uint(skb, MIGACCEL_A_ENGINE_IN_FLIGHT,
			 submitted > completed ? submitted - completed : 0) ||
	    nla_put_uint(skb, MIGACCEL_A_ENGINE_COMPLETED, completed) ||
	    nla_put_uint(skb, MIGACCEL_A_ENGINE_ERRORS,
			 atomic64_read(&engine->errors)) ||
	    nla_put_uint(skb, MIGACCEL_A_ENGINE_CPU_COMPLETIONS,
			 atomic64_read(&engine->cpu_completions)))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/* A dump ends when a callback found no room: more to come if it added some. */
static int nl_dump_result(struct nl_dump *d, int ret)
{
	if (ret == -EMSGSIZE && d->skb->len)
		return d->skb->len;
	return ret;
}

static int nl_engine_dump_one(struct migaccel_engine *engine, void *arg)
{
	struct nl_dump *d = arg;

	return nl_engine_fill(d->skb, engine, NETLINK_CB(d->cb->skb).portid,
			      d->cb->nlh->nlmsg_seq, NLM_F_MULTI,
			      MIGACCEL_CMD_ENGINE_GET);
}

/**
 * migaccel_nl_engine_get_dumpit() - MIGACCEL_CMD_ENGINE_GET dump
 * @skb: reply
 * @cb: dump state; args[0] is the next engine's index
 *
 * Context: process context; takes migaccel_engines_lock.
 * Return: skb->len while more follow, 0 at the end, or a negative errno.
 */
int migaccel_nl_engine_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct nl_dump d = { .skb = skb, .cb = cb };

	return nl_dump_result(&d, migaccel_engine_for_each(&cb->args[0],
							   nl_engine_dump_one,
							   &d));
}

static int nl_client_fill_ops(struct sk_buff *skb,
			      struct migaccel_client *client)
{
	struct nlattr *nest;
	u32 op;

	for (op = 0; op < MIGACCEL_CLIENT_OPS; op++) {
		u64 calls = atomic64_read(&client->calls[op]);

		if (!calls)
			continue;
		nest = nla_nest_start(skb, MIGACCEL_A_CLIENT_OP_STAT);
		if (!nest)
			return -EMSGSIZE;
		if (nla_put_u32(skb, MIGACCEL_A_OP_STAT_OPCODE, op) ||
		    nla_put_uint(skb, MIGACCEL_A_OP_STAT_CALLS, calls) ||
		    nla_put_uint(skb, MIGACCEL_A_OP_STAT_OPS,
				 atomic64_read(&client->ops[op]))) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
		nla_nest_end(skb, nest);
	}
	return 0;
}

static int nl_client_dump_one(struct migaccel_client *client, void *arg)
{
	struct nl_dump *d = arg;
	struct migaccel_qos_info group;
	struct sk_buff *skb = d->skb;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &migaccel_nl_family,
			  NLM_F_MULTI, MIGACCEL_CMD_CLIENT_GET);
	if (!hdr)
		return -EMSGSIZE;
	migaccel_qos_group_read(client->group, task_active_pid_ns(current),
				&group);
	if (nla_put_u32(skb, MIGACCEL_A_CLIENT_PID, pid_vnr(client->tgid)) ||
	    nla_put_u32(skb, MIGACCEL_A_CLIENT_CHANNELS,
			kref_read(&client->ref)) ||
	    nla_put_u32(skb, MIGACCEL_A_CLIENT_REGIONS,
			atomic_read(&client->regions)) ||
	    nla_put_uint(skb, MIGACCEL_A_CLIENT_PINNED_BYTES,
			 atomic64_read(&client->pinned_bytes)) ||
	    nla_put_u32(skb, MIGACCEL_A_CLIENT_GROUP_KIND, group.kind) ||
	    nla_put_uint(skb, MIGACCEL_A_CLIENT_GROUP_ID, group.id) ||
	    nl_client_fill_ops(skb, client))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

/**
 * migaccel_nl_client_get_dumpit() - MIGACCEL_CMD_CLIENT_GET dump
 * @skb: reply
 * @cb: dump state; args[0] is the next client's index
 *
 * Context: process context; takes migaccel_clients_lock.
 * Return: skb->len while more follow, 0 at the end, or a negative errno.
 */
int migaccel_nl_client_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct nl_dump d = { .skb = skb, .cb = cb };

	return nl_dump_result(&d, migaccel_client_for_each(&cb->args[0],
							   nl_client_dump_one,
							   &d));
}

/*
 * Replies give process ids as the requester sees them; notifications, sent
 * from the throttled task to every listener, as the initial namespace does.
 */
static int nl_group_fill(struct sk_buff *skb, struct migaccel_qos_group *group,
			 u32 portid, u32 seq, int flags, u8 cmd)
{
	struct pid_namespace *ns = cmd == MIGACCEL_CMD_GROUP_THROTTLED_NTF ?
				   &init_pid_ns : task_active_pid_ns(current);
	struct migaccel_qos_info info;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &migaccel_nl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	migaccel_qos_group_read(group, ns, &info);
	if (nla_put_u32(skb, MIGACCEL_A_GROUP_KIND, info.kind) ||
	    nla_put_uint(skb, MIGACCEL_A_GROUP_ID, info.id) ||
	    nla_put_uint(skb, MIGACCEL_A_GROUP_QUOTA, info.quota) ||
	    nla_put_u32(skb, MIGACCEL_A_GROUP_PERIOD_US, info.period_us) ||
	    nla_put_u32(skb, MIGACCEL_A_GROUP_SLICE, info.slice) ||
	    nla_put_u8(skb, MIGACCEL_A_GROUP_CPU_FALLBACK, info.cpu_fallback) ||
	    nla_put_u32(skb, MIGACCEL_A_GROUP_CHANNELS, info.channels) ||
	    nla_put_uint(skb, MIGACCEL_A_GROUP_USAGE, info.usage) ||
	    nla_put_uint(skb, MIGACCEL_A_GROUP_NR_PERIODS, info.nr_periods) ||
	    nla_put_uint(skb, MIGACCEL_A_GROUP_NR_THROTTLED,
			 info.nr_throttled) ||
	    nla_put_uint(skb, MIGACCEL_A_GROUP_THROTTLED_TIME,
			 info.throttled_time) ||
	    nla_put_uint(skb, MIGACCEL_A_GROUP_OUTSTANDING, info.outstanding))
		goto cancel;
	genlmsg_end(skb, hdr);
	return 0;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int nl_group_dump_one(struct migaccel_qos_group *group, void *arg)
{
	struct nl_dump *d = arg;

	return nl_group_fill(d->skb, group, NETLINK_CB(d->cb->skb).portid,
			     d->cb->nlh->nlmsg_seq, NLM_F_MULTI,
			     MIGACCEL_CMD_GROUP_GET);
}

/**
 * migaccel_nl_group_get_dumpit() - MIGACCEL_CMD_GROUP_GET dump
 * @skb: reply
 * @cb: dump state; args[0] is the next group's index
 *
 * Context: process context; takes migaccel_groups_lock.
 * Return: skb->len while more follow, 0 at the end, or a negative errno.
 */
int migaccel_nl_group_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb)
{
	struct nl_dump d = { .skb = skb, .cb = cb };

	return nl_dump_result(&d, migaccel_qos_group_for_each(&cb->args[0],
							      nl_group_dump_one,
							      &d));
}

/* The group named by the request's kind and id, with a reference. */
static struct migaccel_qos_group *nl_group_from_info(struct genl_info *info,
						     bool create)
{
	struct migaccel_qos_group *group;
	u32 kind;
	u64 id;

	if (GENL_REQ_ATTR_CHECK(info, MIGACCEL_A_GROUP_KIND) ||
	    GENL_REQ_ATTR_CHECK(info, MIGACCEL_A_GROUP_ID))
		return ERR_PTR(-EINVAL);
	kind = nla_get_u32(info->attrs[MIGACCEL_A_GROUP_KIND]);
	id = nla_get_uint(info->attrs[MIGACCEL_A_GROUP_ID]);
	if (!id || (kind == MIGACCEL_GROUP_KIND_PROCESS && id > PID_MAX_LIMIT)) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[MIGACCEL_A_GROUP_ID],
				    "not a valid process or cgroup id");
		return ERR_PTR(-EINVAL);
	}
	group = migaccel_qos_group_lookup(kind, id, create);
	if (IS_ERR(group) && PTR_ERR(group) == -ENOENT) {
		if (kind == MIGACCEL_GROUP_KIND_PROCESS)
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[MIGACCEL_A_GROUP_ID],
					    "no client with this process id");
		else
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[MIGACCEL_A_GROUP_ID],
					    "no such client group");
	}
	return group;
}

/**
 * migaccel_nl_group_get_doit() - MIGACCEL_CMD_GROUP_GET of one group
 * @skb: request
 * @info: request attributes; KIND and ID are required
 *
 * Context: process context.
 * Return: 0 once the reply is sent, or a negative errno with an extack
 * message.
 */
int migaccel_nl_group_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct migaccel_qos_group *group;
	struct sk_buff *msg;
	int ret;

	group = nl_group_from_info(info, false);
	if (IS_ERR(group))
		return PTR_ERR(group);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto put_group;
	}
	ret = nl_group_fill(msg, group, info->snd_portid, info->snd_seq, 0,
			    MIGACCEL_CMD_GROUP_GET);
	if (ret)
		goto free_msg;
	migaccel_qos_group_put(group);
	return genlmsg_reply(msg, info);

free_msg:
	nlmsg_free(msg);
put_group:
	migaccel_qos_group_put(group);
	return ret;
}

/**
 * migaccel_nl_group_set_doit() - MIGACCEL_CMD_GROUP_SET
 * @skb: request
 * @info: request attributes; KIND and ID are required, and at least one of
 *	QUOTA, PERIOD_US, SLICE, CPU_FALLBACK
 *
 * The family's op table requires CAP_NET_ADMIN (GENL_ADMIN_PERM).
 *
 * Context: process context.
 * Return: 0, or a negative errno with an extack message.
 */
int migaccel_nl_group_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct migaccel_qos_info set = {};
	struct migaccel_qos_group *group;
	struct nlattr **tb = info->attrs;
	unsigned int mask = 0;

	if (tb[MIGACCEL_A_GROUP_QUOTA]) {
		set.quota = nla_get_uint(tb[MIGACCEL_A_GROUP_QUOTA]);
		mask |= MIGACCEL_QOS_SET_QUOTA;
	}
	if (tb[MIGACCEL_A_GROUP_PERIOD_US]) {
		set.period_us = nla_get_u32(tb[MIGACCEL_A_GROUP_PERIOD_US]);
		mask |= MIGACCEL_QOS_SET_PERIOD;
	}
	if (tb[MIGACCEL_A_GROUP_SLICE]) {
		set.slice = nla_get_u32(tb[MIGACCEL_A_GROUP_SLICE]);
		mask |= MIGACCEL_QOS_SET_SLICE;
	}
	if (tb[MIGACCEL_A_GROUP_CPU_FALLBACK]) {
		set.cpu_fallback = nla_get_u8(tb[MIGACCEL_A_GROUP_CPU_FALLBACK]);
		mask |= MIGACCEL_QOS_SET_CPU_FALLBACK;
	}
	if (!mask) {
		NL_SET_ERR_MSG(info->extack,
			       "nothing to set: give quota, period-us, slice or cpu-fallback");
		return -EINVAL;
	}
	group = nl_group_from_info(info, true);
	if (IS_ERR(group))
		return PTR_ERR(group);
	migaccel_qos_group_set(group, &set, mask);
	migaccel_qos_group_put(group);
	return 0;
}

static void nl_multicast(struct sk_buff *msg)
{
	rcu_read_lock();
	genlmsg_multicast_allns(&migaccel_nl_family, msg, 0,
				MIGACCEL_NLGRP_MONITOR);
	rcu_read_unlock();
}

/**
 * migaccel_nl_notify_engine() - tell the monitor group an engine came or went
 * @engine: the engine
 * @added: true when published, false when unpublished
 *
 * Context: process context (allocates with GFP_KERNEL).
 */
void migaccel_nl_notify_engine(struct migaccel_engine *engine, bool added)
{
	struct sk_buff *msg;

	if (!READ_ONCE(migaccel_nl_registered))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (nl_engine_fill(msg, engine, 0, 0, 0,
			   added ? MIGACCEL_CMD_ENGINE_ADD_NTF :
				   MIGACCEL_CMD_ENGINE_DEL_NTF)) {
		nlmsg_free(msg);
		return;
	}
	nl_multicast(msg);
}

/**
 * migaccel_nl_notify_throttled() - tell the monitor group a group throttled
 * @group: the group, held by the caller
 *
 * Context: process context (allocates with GFP_KERNEL), no spinlock held.
 */
void migaccel_nl_notify_throttled(struct migaccel_qos_group *group)
{
	struct sk_buff *msg;

	if (!READ_ONCE(migaccel_nl_registered))
		return;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return;
	if (nl_group_fill(msg, group, 0, 0, 0,
			  MIGACCEL_CMD_GROUP_THROTTLED_NTF)) {
		nlmsg_free(msg);
		return;
	}
	nl_multicast(msg);
}

/**
 * migaccel_nl_init() - register the generic netlink family
 *
 * Context: module init, before any engine is published.
 * Return: 0 or the error of genl_register_family().
 */
int migaccel_nl_init(void)
{
	int ret;

	ret = genl_register_family(&migaccel_nl_family);
	if (ret)
		return ret;
	WRITE_ONCE(migaccel_nl_registered, true);
	return 0;
}

/**
 * migaccel_nl_exit() - unregister the family and free the client groups
 *
 * Context: module exit, after every engine is unpublished and every
 * channel closed.
 */
void migaccel_nl_exit(void)
{
	WRITE_ONCE(migaccel_nl_registered, false);
	genl_unregister_family(&migaccel_nl_family);
	migaccel_qos_exit();
}
