// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/migaccel.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "nl-gen.h"

#include <uapi/linux/migaccel_nl.h>

/* Integer value ranges */
static const struct netlink_range_validation migaccel_a_group_period_us_range = {
	.min	= MIGACCEL_PERIOD_US_MIN,
	.max	= MIGACCEL_PERIOD_US_MAX,
};

static const struct netlink_range_validation migaccel_a_group_slice_range = {
	.max	= 1073741824ULL,
};

/* MIGACCEL_CMD_GROUP_GET - do */
static const struct nla_policy migaccel_group_get_nl_policy[MIGACCEL_A_GROUP_ID + 1] = {
	[MIGACCEL_A_GROUP_KIND] = NLA_POLICY_RANGE(NLA_U32, 1, 2),
	[MIGACCEL_A_GROUP_ID] = { .type = NLA_UINT, },
};

/* MIGACCEL_CMD_GROUP_SET - do */
static const struct nla_policy migaccel_group_set_nl_policy[MIGACCEL_A_GROUP_CPU_FALLBACK + 1] = {
	[MIGACCEL_A_GROUP_KIND] = NLA_POLICY_RANGE(NLA_U32, 1, 2),
	[MIGACCEL_A_GROUP_ID] = { .type = NLA_UINT, },
	[MIGACCEL_A_GROUP_QUOTA] = { .type = NLA_UINT, },
	[MIGACCEL_A_GROUP_PERIOD_US] = NLA_POLICY_FULL_RANGE(NLA_U32, &migaccel_a_group_period_us_range),
	[MIGACCEL_A_GROUP_SLICE] = NLA_POLICY_FULL_RANGE(NLA_U32, &migaccel_a_group_slice_range),
	[MIGACCEL_A_GROUP_CPU_FALLBACK] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* Ops table for migaccel */
static const struct genl_split_ops migaccel_nl_ops[] = {
	{
		.cmd	= MIGACCEL_CMD_ENGINE_GET,
		.dumpit	= migaccel_nl_engine_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd	= MIGACCEL_CMD_CLIENT_GET,
		.dumpit	= migaccel_nl_client_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= MIGACCEL_CMD_GROUP_GET,
		.doit		= migaccel_nl_group_get_doit,
		.policy		= migaccel_group_get_nl_policy,
		.maxattr	= MIGACCEL_A_GROUP_ID,
		.flags		= GENL_CMD_CAP_DO,
	},
	{
		.cmd	= MIGACCEL_CMD_GROUP_GET,
		.dumpit	= migaccel_nl_group_get_dumpit,
		.flags	= GENL_CMD_CAP_DUMP,
	},
	{
		.cmd		= MIGACCEL_CMD_GROUP_SET,
		.doit		= migaccel_nl_group_set_doit,
		.policy		= migaccel_group_set_nl_policy,
		.maxattr	= MIGACCEL_A_GROUP_CPU_FALLBACK,
		.flags		= GENL_ADMIN_PERM | GENL_CMD_CAP_DO,
	},
};

static const struct genl_multicast_group migaccel_nl_mcgrps[] = {
	[MIGACCEL_NLGRP_MONITOR] = { "monitor", },
};

struct genl_family migaccel_nl_family __ro_after_init = {
	.name		= MIGACCEL_FAMILY_NAME,
	.version	= MIGACCEL_FAMILY_VERSION,
	.netnsok	= true,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.split_ops	= migaccel_nl_ops,
	.n_split_ops	= ARRAY_SIZE(migaccel_nl_ops),
	.mcgrps		= migaccel_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(migaccel_nl_mcgrps),
};
