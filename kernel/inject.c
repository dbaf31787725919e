// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection and counters in debugfs, for tests and for admins who
 * want to see the CPU fallback work:
 *
 *   /sys/kernel/debug/migaccel/inject             every channel's batches
 *   /sys/kernel/debug/migaccel/stats              module-wide counters
 *   /sys/kernel/debug/migaccel/channel-<id>/inject one channel's batches
 *   /sys/kernel/debug/migaccel/channel-<id>/stats  its counters
 *   /sys/kernel/debug/migaccel/soft_null          1: the soft engine
 *                                                 completes descriptors
 *                                                 without doing them
 *
 * An inject file takes one line, "<kind> [desc=K] [byte=N] [times=T]
 * [delay=MS] [count=C]", kind one of pagefault, error, batchfail, busy,
 * lost, wqremove, slow, late, or "off".  The fault hits operation K (default 0)
 * of each of the next C (default 1) batches; a channel's own setting
 * comes before the global one.  With delay=MS the soft engine holds the
 * chunk of operation K that long before it runs (or loses) it, as a slow
 * device would; "slow" is the delay alone; "late" completes the chunk
 * and holds its job that long after.  Reading shows the setting and
 * how many batches remain.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "migaccel.h"

struct migaccel_stats migaccel_stats;
bool migaccel_soft_null;
static struct migaccel_inject migaccel_inject_global;
static struct dentry *migaccel_debugfs_root;

static const char *const inject_names[] = {
	[MIGACCEL_INJECT_NONE] = "off",
	[MIGACCEL_INJECT_PAGEFAULT] = "pagefault",
	[MIGACCEL_INJECT_ERROR] = "error",
	[MIGACCEL_INJECT_BATCHFAIL] = "batchfail",
	[MIGACCEL_INJECT_BUSY] = "busy",
	[MIGACCEL_INJECT_LOST] = "lost",
	[MIGACCEL_INJECT_WQREMOVE] = "wqremove",
	[MIGACCEL_INJECT_SLOW] = "slow",
	[MIGACCEL_INJECT_LATE] = "late",
};

/**
 * migaccel_inject_init_one() - an injection setting with nothing armed
 * @inj: the setting
 *
 * Context: any.
 */
void migaccel_inject_init_one(struct migaccel_inject *inj)
{
	spin_lock_init(&inj->lock);
	memset(&inj->fault, 0, sizeof(inj->fault));
	inj->count = 0;
}

static bool inject_take_one(struct migaccel_inject *inj,
			    struct migaccel_fault *fault)
{
	bool taken = false;

	spin_lock(&inj->lock);
	if (inj->count) {
		*fault = inj->fault;
		inj->count--;
		taken = true;
	}
	spin_unlock(&inj->lock);
	return taken;
}

/**
 * migaccel_inject_take() - the fault for the batch about to run
 * @inj: the channel's setting
 * @fault: set to the channel's armed fault, else the global one, else none
 *
 * Context: any; takes the settings' locks.
 */
void migaccel_inject_take(struct migaccel_inject *inj,
			  struct migaccel_fault *fault)
{
	memset(fault, 0, sizeof(*fault));
	if (!inject_take_one(inj, fault))
		inject_take_one(&migaccel_inject_global, fault);
}

static int inject_parse(char *buf, struct migaccel_fault *fault, u32 *count)
{
	char *tok, *val;
	unsigned int i;
	u32 *field;
	int ret;

	memset(fault, 0, sizeof(*fault));
	fault->times = 1;
	*count = 1;
	tok = strsep(&buf, " \t\n");
	for (i = 0; i < ARRAY_SIZE(inject_names); i++)
		if (!strcmp(tok, inject_names[i]))
			break;
	if (i == ARRAY_SIZE(inject_names))
		return -EINVAL;
	fault->kind = i;
	if (fault->kind == MIGACCEL_INJECT_NONE)
		*count = 0;

	while ((tok = strsep(&buf, " \t\n"))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(tok, "desc"))
			field = &fault->desc;
		else if (!strcmp(tok, "byte"))
			field = &fault->byte;
		else if (!strcmp(tok, "times"))
			field = &fault->times;
		else if (!strcmp(tok, "delay"))
			field = &fault->delay_ms;
		else if (!strcmp(tok, "count"))
			field = count;
		else
			return -EINVAL;
		ret = kstrtou32(val, 0, field);
		if (ret)
			return ret;
	}
	return 0;
}

static ssize_t inject_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	struct migaccel_inject *inj = file_inode(file)->i_private;
	struct migaccel_fault fault;
	char buf[128];
	u32 count;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	ret = inject_parse(buf, &fault, &count);
	if (ret)
		return ret;
	spin_lock(&inj->lock);
	inj->fault = fault;
	inj->count = count;
	spin_unlock(&inj->lock);
	return len;
}

static int inject_show(struct seq_file *m, void *unused)
{
	struct migaccel_inject *inj = m->private;
	struct migaccel_fault fault;
	u32 count;

	spin_lock(&inj->lock);
	fault = inj->fault;
	count = inj->count;
	spin_unlock(&inj->lock);
	if (!count) {
		seq_puts(m, "off\n");
		return 0;
	}
	seq_printf(m, "%s desc=%u byte=%u times=%u delay=%u count=%u\n",
		   inject_names[fault.kind], fault.desc, fault.byte,
		   fault.times, fault.delay_ms, count);
	return 0;
}

static int inject_open(struct inode *inode, struct file *file)
{
	return single_open(file, inject_show, inode->i_private);
}

static const struct file_operations inject_fops = {
	.owner = THIS_MODULE,
	.open = inject_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.write = inject_write,
};

static const char *const stat_names[MIGACCEL_NR_STATS] = {
	[MIGACCEL_STAT_BATCHES] = "batches",
	[MIGACCEL_STAT_OPS] = "ops",
	[MIGACCEL_STAT_CPU_OPS] = "cpu_ops",
	[MIGACCEL_STAT_BUSY_RETRIES] = "busy_retries",
	[MIGACCEL_STAT_TIMEOUTS] = "timeouts",
	[MIGACCEL_STAT_FAILOVERS] = "failovers",
};

/**
 * migaccel_count() - add to a counter of a channel and of the module
 * @stats: the channel's counters
 * @which: the counter
 * @n: how much
 *
 * Context: any.
 */
void migaccel_count(struct migaccel_stats *stats, enum migaccel_stat which,
		    s64 n)
{
	atomic64_add(n, &stats->v[which]);
	atomic64_add(n, &migaccel_stats.v[which]);
}

static int stats_show(struct seq_file *m, void *unused)
{
	struct migaccel_stats *s = m->private;
	int i;

	for (i = 0; i < MIGACCEL_NR_STATS; i++)
		seq_printf(m, "%s %lld\n", stat_names[i],
			   atomic64_read(&s->v[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(stats);

static void debugfs_files(struct dentry *dir, struct migaccel_inject *inj,
			  struct migaccel_stats *stats)
{
	debugfs_create_file("inject", 0600, dir, inj, &inject_fops);
	debugfs_create_file("stats", 0400, dir, stats, &stats_fops);
}

/**
 * migaccel_debugfs_channel_add() - a channel's debugfs directory
 * @ch: the channel, its id set
 *
 * debugfs failures are not errors: the channel works without it.
 *
 * Context: process context.
 * Return: 0.
 */
int migaccel_debugfs_channel_add(struct migaccel_channel *ch)
{
	char name[32];

	snprintf(name, sizeof(name), "channel-%u", ch->id);
	ch->debugfs = debugfs_create_dir(name, migaccel_debugfs_root);
	debugfs_files(ch->debugfs, &ch->inject, &ch->stats);
	return 0;
}

/**
 * migaccel_debugfs_channel_del() - remove a channel's debugfs directory
 * @ch: the channel
 *
 * Context: process context; waits for readers and writers of its files.
 */
void migaccel_debugfs_channel_del(struct migaccel_channel *ch)
{
	debugfs_remove(ch->debugfs);
}

/**
 * migaccel_debugfs_init() - the module's debugfs directory
 *
 * Context: module init.
 * Return: 0.
 */
int migaccel_debugfs_init(void)
{
	migaccel_inject_init_one(&migaccel_inject_global);
	migaccel_debugfs_root = debugfs_create_dir("migaccel", NULL);
	debugfs_files(migaccel_debugfs_root, &migaccel_inject_global,
		      &migaccel_stats);
	/* Benchmarks only: the soft engine completes without working. */
	debugfs_create_bool("soft_null", 0600, migaccel_debugfs_root,
			    &migaccel_soft_null);
	return 0;
}

/**
 * migaccel_debugfs_exit() - remove the module's debugfs directory
 *
 * Context: module exit.
 */
void migaccel_debugfs_exit(void)
{
	debugfs_remove(migaccel_debugfs_root);
}
