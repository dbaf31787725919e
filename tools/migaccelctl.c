// SPDX-License-Identifier: GPL-2.0
/*
 * migaccelctl: the migaccel control plane from the command line, over the
 * generic netlink family "migaccel" (Documentation/netlink/migaccel.yaml).
 *
 * Exit status: 0 success, 1 the kernel refused or failed (its message is
 * printed), 2 usage error, 3 migaccel is not loaded (no netlink family).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>

#include <linux/migaccel_nl.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

enum { EXIT_KERNEL = 1, EXIT_USAGE = 2, EXIT_NOT_LOADED = 3 };

static bool json;
static bool json_single;	/* one object, not an array */
static int nr_printed;
static bool monitor_done;
static const char *prog = "migaccelctl";

struct ctl {
	struct nl_sock *sk;
	int family;
	int err;		/* negative errno from the last ack */
	char errmsg[256];	/* extack message of that ack */
};

static uint64_t get_uint(const struct nlattr *a)
{
	if (!a)
		return 0;
	return nla_len(a) == 8 ? nla_get_u64((struct nlattr *)a) :
				 nla_get_u32((struct nlattr *)a);
}

static uint32_t get_u32(const struct nlattr *a)
{
	return a ? nla_get_u32((struct nlattr *)a) : 0;
}

static const char *engine_kind_name(uint32_t k)
{
	switch (k) {
	case MIGACCEL_ENGINE_KIND_SOFT: return "soft";
	case MIGACCEL_ENGINE_KIND_DSA: return "dsa";
	case MIGACCEL_ENGINE_KIND_IAA: return "iaa";
	default: return "unknown";
	}
}

static const char *engine_state_name(uint32_t s)
{
	switch (s) {
	case MIGACCEL_ENGINE_STATE_ENABLED: return "enabled";
	case MIGACCEL_ENGINE_STATE_DISABLED: return "disabled";
	default: return "unknown";
	}
}

static const char *group_kind_name(uint32_t k)
{
	switch (k) {
	case MIGACCEL_GROUP_KIND_PROCESS: return "process";
	case MIGACCEL_GROUP_KIND_CGROUP: return "cgroup";
	default: return "unknown";
	}
}

static const char *op_name(uint32_t op)
{
	/* enum migaccel_opcode of linux/migaccel.h */
	switch (op) {
	case 1: return "zero_scan";
	default: return NULL;
	}
}

/* Separators of a JSON array of objects, one object per message. */
static void json_next(void)
{
	if (json_single)
		return;
	printf("%s", nr_printed++ ? ",\n  " : "[\n  ");
}

static int ack_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct ctl *ctl = arg;
	struct nlattr *a;
	int len, rem;

	(void)who;
	ctl->err = e->error;
	ctl->errmsg[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	/* NETLINK_CAP_ACK: the TLVs follow the request's header only. */
	a = (struct nlattr *)((char *)e + sizeof(*e));
	len = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)sizeof(*e);
	nla_for_each_attr(a, a, len, rem)
		if (nla_type(a) == NLMSGERR_ATTR_MSG)
			snprintf(ctl->errmsg, sizeof(ctl->errmsg), "%s",
				 (char *)nla_data(a));
	return NL_STOP;
}

static int ctl_open(struct ctl *ctl)
{
	int one = 1;

	memset(ctl, 0, sizeof(*ctl));
	ctl->sk = nl_socket_alloc();
	if (!ctl->sk || genl_connect(ctl->sk)) {
		fprintf(stderr, "%s: cannot open a generic netlink socket\n",
			prog);
		return EXIT_KERNEL;
	}
	setsockopt(nl_socket_get_fd(ctl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(ctl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	ctl->family = genl_ctrl_resolve(ctl->sk, MIGACCEL_FAMILY_NAME);
	if (ctl->family < 0) {
		fprintf(stderr, "%s: no netlink family %s: is migaccel loaded?\n",
			prog, MIGACCEL_FAMILY_NAME);
		return EXIT_NOT_LOADED;
	}
	nl_cb_err(nl_socket_get_cb(ctl->sk), NL_CB_CUSTOM, ack_cb, ctl);
	return 0;
}

/* Send @msg, run @parse on each reply; 0 or an exit status. */
static int ctl_run(struct ctl *ctl, struct nl_msg *msg,
		   nl_recvmsg_msg_cb_t parse)
{
	int ret;

	nl_socket_modify_cb(ctl->sk, NL_CB_VALID, NL_CB_CUSTOM, parse, ctl);
	nl_cb_err(nl_socket_get_cb(ctl->sk), NL_CB_CUSTOM, ack_cb, ctl);
	ctl->err = 0;
	ret = nl_send_auto(ctl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		fprintf(stderr, "%s: send: %s\n", prog, nl_geterror(ret));
		return EXIT_KERNEL;
	}
	ret = nl_recvmsgs_default(ctl->sk);
	if (ctl->err) {
		fprintf(stderr, "%s: %s%s%s\n", prog, strerror(-ctl->err),
			ctl->errmsg[0] ? ": " : "", ctl->errmsg);
		return EXIT_KERNEL;
	}
	if (ret < 0) {
		fprintf(stderr, "%s: receive: %s\n", prog, nl_geterror(ret));
		return EXIT_KERNEL;
	}
	return 0;
}

static struct nl_msg *ctl_msg(struct ctl *ctl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, ctl->family,
				 0, flags | NLM_F_ACK, cmd, MIGACCEL_FAMILY_VERSION)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(EXIT_KERNEL);
	}
	return msg;
}

static void parse_attrs(struct nl_msg *msg, struct nlattr **tb, int max)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));

	nla_parse(tb, max, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0),
		  NULL);
}

static void print_engine(struct nlattr **tb, const char *event)
{
	const char *name = tb[MIGACCEL_A_ENGINE_NAME] ?
			   nla_get_string(tb[MIGACCEL_A_ENGINE_NAME]) : "";
	const char *kind = engine_kind_name(get_u32(tb[MIGACCEL_A_ENGINE_KIND]));
	const char *state =
		engine_state_name(get_u32(tb[MIGACCEL_A_ENGINE_STATE]));
	int node = tb[MIGACCEL_A_ENGINE_NUMA_NODE] ?
		   (int)nla_get_s32(tb[MIGACCEL_A_ENGINE_NUMA_NODE]) : -1;
	long wq = tb[MIGACCEL_A_ENGINE_WQ_ID] ?
		  (long)get_u32(tb[MIGACCEL_A_ENGINE_WQ_ID]) : -1;
	char wqs[16] = "-";

	if (json) {
		if (!event)
			json_next();
		printf("{%s%s%s\"name\": \"%s\", \"kind\": \"%s\", \"wq_id\": %ld, "
		       "\"state\": \"%s\", \"numa_node\": %d, \"ops\": %" PRIu64
		       ", \"in_flight\": %" PRIu64 ", \"completed\": %" PRIu64
		       ", \"errors\": %" PRIu64 ", \"cpu_completions\": %" PRIu64
		       "}%s",
		       event ? "\"event\": \"" : "", event ? event : "",
		       event ? "\", " : "", name, kind, wq, state, node,
		       get_uint(tb[MIGACCEL_A_ENGINE_OPS]),
		       get_uint(tb[MIGACCEL_A_ENGINE_IN_FLIGHT]),
		       get_uint(tb[MIGACCEL_A_ENGINE_COMPLETED]),
		       get_uint(tb[MIGACCEL_A_ENGINE_ERRORS]),
		       get_uint(tb[MIGACCEL_A_ENGINE_CPU_COMPLETIONS]),
		       event ? "\n" : "");
		return;
	}
	if (event) {
		printf("%s engine %s kind %s wq %ld node %d\n", event, name,
		       kind, wq, node);
		return;
	}
	if (wq >= 0)
		snprintf(wqs, sizeof(wqs), "%ld", wq);
	if (!nr_printed++)
		printf("%-16s %-5s %4s %-8s %4s %10s %9s %12s %8s %12s\n",
		       "ENGINE", "KIND", "WQ", "STATE", "NODE", "OPS",
		       "INFLIGHT", "COMPLETED", "ERRORS", "CPU_DONE");
	printf("%-16s %-5s %4s %-8s %4d %#10" PRIx64 " %9" PRIu64 " %12" PRIu64
	       " %8" PRIu64 " %12" PRIu64 "\n", name, kind,
	       wqs, state, node,
	       get_uint(tb[MIGACCEL_A_ENGINE_OPS]),
	       get_uint(tb[MIGACCEL_A_ENGINE_IN_FLIGHT]),
	       get_uint(tb[MIGACCEL_A_ENGINE_COMPLETED]),
	       get_uint(tb[MIGACCEL_A_ENGINE_ERRORS]),
	       get_uint(tb[MIGACCEL_A_ENGINE_CPU_COMPLETIONS]));
}

static int engine_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MIGACCEL_A_ENGINE_MAX + 1];

	(void)arg;
	parse_attrs(msg, tb, MIGACCEL_A_ENGINE_MAX);
	print_engine(tb, NULL);
	return NL_OK;
}

static int client_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MIGACCEL_A_CLIENT_MAX + 1];
	struct nlattr *st[MIGACCEL_A_OP_STAT_MAX + 1];
	char ops[256] = "";
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *a;
	size_t n = 0;
	int rem, k = 0;

	(void)arg;
	parse_attrs(msg, tb, MIGACCEL_A_CLIENT_MAX);
	nla_for_each_attr(a, genlmsg_attrdata(g, 0), genlmsg_attrlen(g, 0), rem) {
		const char *name;
		uint32_t op;

		if (nla_type(a) != MIGACCEL_A_CLIENT_OP_STAT)
			continue;
		nla_parse_nested(st, MIGACCEL_A_OP_STAT_MAX, a, NULL);
		op = get_u32(st[MIGACCEL_A_OP_STAT_OPCODE]);
		name = op_name(op);
		if (n >= sizeof(ops))
			break;
		if (json)
			n += snprintf(ops + n, sizeof(ops) - n,
				      "%s{\"opcode\": %u, \"name\": \"%s\", "
				      "\"calls\": %" PRIu64 ", \"ops\": %" PRIu64 "}",
				      k++ ? ", " : "", op, name ? name : "",
				      get_uint(st[MIGACCEL_A_OP_STAT_CALLS]),
				      get_uint(st[MIGACCEL_A_OP_STAT_OPS]));
		else
			n += snprintf(ops + n, sizeof(ops) - n,
				      "%s%s=%" PRIu64 "/%" PRIu64, k++ ? "," : "",
				      name ? name : "op", 
				      get_uint(st[MIGACCEL_A_OP_STAT_OPS]),
				      get_uint(st[MIGACCEL_A_OP_STAT_CALLS]));
	}
	if (json) {
		json_next();
		printf("{\"pid\": %u, \"channels\": %u, \"regions\": %u, "
		       "\"pinned_bytes\": %" PRIu64 ", \"group_kind\": \"%s\", "
		       "\"group_id\": %" PRIu64 ", \"ops\": [%s]}",
		       get_u32(tb[MIGACCEL_A_CLIENT_PID]),
		       get_u32(tb[MIGACCEL_A_CLIENT_CHANNELS]),
		       get_u32(tb[MIGACCEL_A_CLIENT_REGIONS]),
		       get_uint(tb[MIGACCEL_A_CLIENT_PINNED_BYTES]),
		       group_kind_name(get_u32(tb[MIGACCEL_A_CLIENT_GROUP_KIND])),
		       get_uint(tb[MIGACCEL_A_CLIENT_GROUP_ID]), ops);
		return NL_OK;
	}
	if (!nr_printed++)
		printf("%8s %8s %7s %14s %-8s %10s  %s\n", "PID", "CHANNELS",
		       "REGIONS", "PINNED_BYTES", "GROUP", "GROUP_ID",
		       "OPS(ops/calls)");
	printf("%8u %8u %7u %14" PRIu64 " %-8s %10" PRIu64 "  %s\n",
	       get_u32(tb[MIGACCEL_A_CLIENT_PID]),
	       get_u32(tb[MIGACCEL_A_CLIENT_CHANNELS]),
	       get_u32(tb[MIGACCEL_A_CLIENT_REGIONS]),
	       get_uint(tb[MIGACCEL_A_CLIENT_PINNED_BYTES]),
	       group_kind_name(get_u32(tb[MIGACCEL_A_CLIENT_GROUP_KIND])),
	       get_uint(tb[MIGACCEL_A_CLIENT_GROUP_ID]), ops[0] ? ops : "-");
	return NL_OK;
}

static void print_group(struct nlattr **tb, const char *event)
{
	const char *kind = group_kind_name(get_u32(tb[MIGACCEL_A_GROUP_KIND]));
	uint8_t fallback = tb[MIGACCEL_A_GROUP_CPU_FALLBACK] ?
			   nla_get_u8(tb[MIGACCEL_A_GROUP_CPU_FALLBACK]) : 0;

	if (json) {
		if (!event)
			json_next();
		printf("{%s%s%s\"kind\": \"%s\", \"id\": %" PRIu64
		       ", \"quota\": %" PRIu64 ", \"period_us\": %u, \"slice\": %u"
		       ", \"cpu_fallback\": %u, \"channels\": %u"
		       ", \"usage\": %" PRIu64 ", \"nr_periods\": %" PRIu64
		       ", \"nr_throttled\": %" PRIu64 ", \"throttled_time\": %" PRIu64
		       ", \"outstanding\": %" PRIu64 "}%s",
		       event ? "\"event\": \"" : "", event ? event : "",
		       event ? "\", " : "", kind,
		       get_uint(tb[MIGACCEL_A_GROUP_ID]),
		       get_uint(tb[MIGACCEL_A_GROUP_QUOTA]),
		       get_u32(tb[MIGACCEL_A_GROUP_PERIOD_US]),
		       get_u32(tb[MIGACCEL_A_GROUP_SLICE]), fallback,
		       get_u32(tb[MIGACCEL_A_GROUP_CHANNELS]),
		       get_uint(tb[MIGACCEL_A_GROUP_USAGE]),
		       get_uint(tb[MIGACCEL_A_GROUP_NR_PERIODS]),
		       get_uint(tb[MIGACCEL_A_GROUP_NR_THROTTLED]),
		       get_uint(tb[MIGACCEL_A_GROUP_THROTTLED_TIME]),
		       get_uint(tb[MIGACCEL_A_GROUP_OUTSTANDING]),
		       event ? "\n" : "");
		return;
	}
	if (event) {
		printf("%s %s %" PRIu64 " quota %" PRIu64 " nr_throttled %" PRIu64
		       "\n", event, kind, get_uint(tb[MIGACCEL_A_GROUP_ID]),
		       get_uint(tb[MIGACCEL_A_GROUP_QUOTA]),
		       get_uint(tb[MIGACCEL_A_GROUP_NR_THROTTLED]));
		return;
	}
	if (!nr_printed++)
		printf("%-8s %10s %12s %9s %9s %3s %4s %14s %10s %12s %14s %10s\n",
		       "GROUP", "ID", "QUOTA", "PERIOD_US", "SLICE", "CPU",
		       "CHAN", "USAGE", "NR_PERIODS", "NR_THROTTLED",
		       "THROTTLED_NS", "OUTSTAND");
	printf("%-8s %10" PRIu64 " %12" PRIu64 " %9u %9u %3u %4u %14" PRIu64
	       " %10" PRIu64 " %12" PRIu64 " %14" PRIu64 " %10" PRIu64 "\n",
	       kind, get_uint(tb[MIGACCEL_A_GROUP_ID]),
	       get_uint(tb[MIGACCEL_A_GROUP_QUOTA]),
	       get_u32(tb[MIGACCEL_A_GROUP_PERIOD_US]),
	       get_u32(tb[MIGACCEL_A_GROUP_SLICE]), fallback,
	       get_u32(tb[MIGACCEL_A_GROUP_CHANNELS]),
	       get_uint(tb[MIGACCEL_A_GROUP_USAGE]),
	       get_uint(tb[MIGACCEL_A_GROUP_NR_PERIODS]),
	       get_uint(tb[MIGACCEL_A_GROUP_NR_THROTTLED]),
	       get_uint(tb[MIGACCEL_A_GROUP_THROTTLED_TIME]),
	       get_uint(tb[MIGACCEL_A_GROUP_OUTSTANDING]));
}

static int group_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[MIGACCEL_A_GROUP_MAX + 1];

	(void)arg;
	parse_attrs(msg, tb, MIGACCEL_A_GROUP_MAX);
	print_group(tb, NULL);
	return NL_OK;
}

static int monitor_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *g = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[MIGACCEL_A_GROUP_MAX + MIGACCEL_A_ENGINE_MAX + 1];
	int *left = arg;

	switch (g->cmd) {
	case MIGACCEL_CMD_ENGINE_ADD_NTF:
	case MIGACCEL_CMD_ENGINE_DEL_NTF:
		parse_attrs(msg, tb, MIGACCEL_A_ENGINE_MAX);
		print_engine(tb, g->cmd == MIGACCEL_CMD_ENGINE_ADD_NTF ?
				 "engine-add" : "engine-del");
		break;
	case MIGACCEL_CMD_GROUP_THROTTLED_NTF:
		parse_attrs(msg, tb, MIGACCEL_A_GROUP_MAX);
		print_group(tb, "group-throttled");
		break;
	default:
		return NL_OK;
	}
	fflush(stdout);
	if (*left > 0 && !--*left) {
		monitor_done = true;
		return NL_STOP;
	}
	return NL_OK;
}

static int do_dump(struct ctl *ctl, uint8_t cmd, nl_recvmsg_msg_cb_t cb)
{
	int ret;

	ret = ctl_run(ctl, ctl_msg(ctl, cmd, NLM_F_DUMP), cb);
	if (json && !ret)
		printf("%s]\n", nr_printed ? "\n" : "[");
	return ret;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--json] engines\n"
		"       %s [--json] clients\n"
		"       %s [--json] stats\n"
		"       %s [--json] limit get {--pid PID | --cgroup ID|PATH}\n"
		"       %s limit set {--pid PID | --cgroup ID|PATH} [--quota BYTES]\n"
		"                    [--period-us US] [--slice BYTES] [--cpu-fallback 0|1]\n"
		"       %s [--json] monitor [--count N]\n"
		"exit status: 0 ok, 1 refused or failed, 2 usage, 3 migaccel not loaded\n",
		prog, prog, prog, prog, prog, prog);
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	/* K, M, G suffixes, powers of 1024, for byte counts. */
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M')
		v <<= 20, end++;
	else if (*end == 'G')
		v <<= 30, end++;
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * --cgroup PATH: a cgroup v2 group's id is the inode number of the cgroup's
 * directory.  PATH is absolute (/sys/fs/cgroup/machine.slice/...) or
 * relative to /sys/fs/cgroup.  Prints why and returns -2 when PATH is not a
 * cgroup v2 directory.
 */
static int cgroup_path_id(const char *arg, uint64_t *id)
{
	char path[PATH_MAX];
	struct statfs sfs;
	struct stat st;
	int n;

	n = snprintf(path, sizeof(path), "%s%s",
		     arg[0] == '/' ? "" : "/sys/fs/cgroup/", arg);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		fprintf(stderr, "%s: --cgroup: path too long\n", prog);
		return -2;
	}
	if (stat(path, &st)) {
		fprintf(stderr, "%s: --cgroup %s: %s\n", prog, path,
			strerror(errno));
		return -2;
	}
	if (!S_ISDIR(st.st_mode) || statfs(path, &sfs) ||
	    sfs.f_type != CGROUP2_SUPER_MAGIC) {
		fprintf(stderr, "%s: --cgroup %s: not a cgroup v2 directory\n",
			prog, path);
		return -2;
	}
	*id = st.st_ino;
	return 0;
}

struct limit_args {
	uint32_t kind;
	uint64_t id;
	bool has_quota, has_period, has_slice, has_fallback;
	uint64_t quota, period, slice, fallback;
	int count;
};

static int parse_limit_args(int argc, char **argv, struct limit_args *la)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "quota", required_argument, NULL, 'q' },
		{ "period-us", required_argument, NULL, 'P' },
		{ "slice", required_argument, NULL, 's' },
		{ "cpu-fallback", required_argument, NULL, 'c' },
		{ "count", required_argument, NULL, 'n' },
		{ }
	};
	uint64_t v;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (la->kind || !parse_u64(optarg, UINT64_MAX, &la->id))
				return -1;
			la->kind = MIGACCEL_GROUP_KIND_PROCESS;
			break;
		case 'g':
			/* An id (a number), or else a cgroup's path. */
			if (la->kind || !*optarg)
				return -1;
			if (!parse_u64(optarg, UINT64_MAX, &la->id) &&
			    cgroup_path_id(optarg, &la->id))
				return -2;
			la->kind = MIGACCEL_GROUP_KIND_CGROUP;
			break;
		case 'q':
			la->has_quota = parse_u64(optarg, UINT64_MAX, &la->quota);
			if (!la->has_quota)
				return -1;
			break;
		case 'P':
			la->has_period = parse_u64(optarg, UINT32_MAX, &la->period);
			if (!la->has_period)
				return -1;
			break;
		case 's':
			la->has_slice = parse_u64(optarg, UINT32_MAX, &la->slice);
			if (!la->has_slice)
				return -1;
			break;
		case 'c':
			la->has_fallback = parse_u64(optarg, 1, &la->fallback);
			if (!la->has_fallback)
				return -1;
			break;
		case 'n':
			if (!parse_u64(optarg, INT_MAX, &v))
				return -1;
			la->count = (int)v;
			break;
		default:
			return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

static int cmd_limit(struct ctl *ctl, int argc, char **argv)
{
	struct limit_args la = {};
	struct nl_msg *msg;
	bool set;
	int ret;

	if (argc < 2 || (strcmp(argv[1], "get") && strcmp(argv[1], "set"))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	set = !strcmp(argv[1], "set");
	ret = parse_limit_args(argc - 1, argv + 1, &la);
	if (ret == -2)
		return EXIT_USAGE;
	if (ret || !la.kind ||
	    (!set && (la.has_quota || la.has_period || la.has_slice ||
		      la.has_fallback)) ||
	    (set && !(la.has_quota || la.has_period || la.has_slice ||
		      la.has_fallback))) {
		usage(stderr);
		return EXIT_USAGE;
	}
	msg = ctl_msg(ctl, set ? MIGACCEL_CMD_GROUP_SET : MIGACCEL_CMD_GROUP_GET,
		      0);
	nla_put_u32(msg, MIGACCEL_A_GROUP_KIND, la.kind);
	nla_put_u64(msg, MIGACCEL_A_GROUP_ID, la.id);
	if (la.has_quota)
		nla_put_u64(msg, MIGACCEL_A_GROUP_QUOTA, la.quota);
	if (la.has_period)
		nla_put_u32(msg, MIGACCEL_A_GROUP_PERIOD_US, (uint32_t)la.period);
	if (la.has_slice)
		nla_put_u32(msg, MIGACCEL_A_GROUP_SLICE, (uint32_t)la.slice);
	if (la.has_fallback)
		nla_put_u8(msg, MIGACCEL_A_GROUP_CPU_FALLBACK, (uint8_t)la.fallback);
	json_single = true;
	ret = ctl_run(ctl, msg, group_cb);
	if (!ret && !set && json)
		printf("\n");
	return ret;
}

static int cmd_monitor(struct ctl *ctl, int argc, char **argv)
{
	struct limit_args la = {};
	int grp, ret;

	if (parse_limit_args(argc, argv, &la) || la.kind) {
		usage(stderr);
		return EXIT_USAGE;
	}
	grp = genl_ctrl_resolve_grp(ctl->sk, MIGACCEL_FAMILY_NAME,
				    MIGACCEL_MCGRP_MONITOR);
	if (grp < 0 || nl_socket_add_membership(ctl->sk, grp)) {
		fprintf(stderr, "%s: cannot join multicast group %s\n", prog,
			MIGACCEL_MCGRP_MONITOR);
		return EXIT_KERNEL;
	}
	nl_socket_disable_seq_check(ctl->sk);
	nl_socket_modify_cb(ctl->sk, NL_CB_VALID, NL_CB_CUSTOM, monitor_cb,
			    &la.count);
	/* The tests start work once they see this line. */
	if (!json)
		printf("monitoring %s/%s\n", MIGACCEL_FAMILY_NAME,
		       MIGACCEL_MCGRP_MONITOR);
	fflush(stdout);
	/* --count N: stop after N events; without it, run until killed. */
	while (!monitor_done) {
		ret = nl_recvmsgs_default(ctl->sk);
		if (ret < 0) {
			fprintf(stderr, "%s: receive: %s\n", prog,
				nl_geterror(ret));
			return EXIT_KERNEL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ctl ctl;
	const char *cmd;
	int ret;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "--json") || !strcmp(argv[1], "-j")) {
			json = true;
		} else if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
		argv++, argc--;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "engines") && strcmp(cmd, "clients") &&
	    strcmp(cmd, "stats") && strcmp(cmd, "limit") &&
	    strcmp(cmd, "monitor")) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((!strcmp(cmd, "engines") || !strcmp(cmd, "clients") ||
	     !strcmp(cmd, "stats")) && argc != 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	ret = ctl_open(&ctl);
	if (ret)
		return ret;
	if (!strcmp(cmd, "engines"))
		ret = do_dump(&ctl, MIGACCEL_CMD_ENGINE_GET, engine_cb);
	else if (!strcmp(cmd, "clients"))
		ret = do_dump(&ctl, MIGACCEL_CMD_CLIENT_GET, client_cb);
	else if (!strcmp(cmd, "stats"))
		ret = do_dump(&ctl, MIGACCEL_CMD_GROUP_GET, group_cb);
	else if (!strcmp(cmd, "limit"))
		ret = cmd_limit(&ctl, argc - 1, argv + 1);
	else
		ret = cmd_monitor(&ctl, argc - 1, argv + 1);
	nl_socket_free(ctl.sk);
	return ret;
}
