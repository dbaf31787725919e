/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/migaccel.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_MIGACCEL_GEN_H
#define _LINUX_MIGACCEL_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/migaccel_nl.h>

int migaccel_nl_engine_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int migaccel_nl_client_get_dumpit(struct sk_buff *skb,
				  struct netlink_callback *cb);
int migaccel_nl_group_get_doit(struct sk_buff *skb, struct genl_info *info);
int migaccel_nl_group_get_dumpit(struct sk_buff *skb,
				 struct netlink_callback *cb);
int migaccel_nl_group_set_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	MIGACCEL_NLGRP_MONITOR,
};

extern struct genl_family migaccel_nl_family;

#endif /* _LINUX_MIGACCEL_GEN_H */
