// SPDX-License-Identifier: GPL-2.0
/*
 * migaccel: offload of live-migration page work to Intel DSA and IAA.
 *
 * This file holds the character device /dev/migaccel and its ioctl table.
 * One open file is one migration channel; it belongs to the process that
 * opened it.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/eventfd.h>
#include <linux/poll.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "migaccel.h"

static unsigned int group;
module_param(group, uint, 0444);
MODULE_PARM_DESC(group, "group id owning /dev/migaccel (mode 0660), default 0");

unsigned int migaccel_timeout_ms = 10000;
module_param_named(timeout_ms, migaccel_timeout_ms, uint, 0644);
MODULE_PARM_DESC(timeout_ms, "how long a batch waits for its engine, in ms");

unsigned int migaccel_busy_retries = 16;
module_param_named(busy_retries, migaccel_busy_retries, uint, 0644);
MODULE_PARM_DESC(busy_retries,
		 "times a busy work queue is retried before another engine or the CPU takes the work");

unsigned int migaccel_poll_us = 20;
module_param_named(poll_us, migaccel_poll_us, uint, 0644);
MODULE_PARM_DESC(poll_us,
		 "how long a synchronous batch polls for completion before sleeping, in us");

unsigned int migaccel_max_async = 64;
module_param_named(max_async, migaccel_max_async, uint, 0644);
MODULE_PARM_DESC(max_async,
		 "most asynchronous batches a channel may have submitted and not reaped (-EBUSY beyond)");

static DEFINE_IDA(migaccel_channel_ida);

struct migaccel_ucmd {
	struct migaccel_channel *ch;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

static int migaccel_info_ioctl(struct migaccel_ucmd *ucmd)
{
	struct migaccel_info *cmd = ucmd->cmd;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved)
		return -EINVAL;
	cmd->out_api_version = MIGACCEL_API_VERSION;
	cmd->out_engines = migaccel_engine_kinds();
	cmd->out_ops = GENMASK_ULL(MIGACCEL_OP_MAX - 1, MIGACCEL_OP_ZERO_SCAN);
	cmd->out_max_batch_ops = MIGACCEL_MAX_BATCH_OPS;
	cmd->out_page_size = MIGACCEL_PAGE_SIZE;
	cmd->out_channel_id = ucmd->ch->id;
	return 0;
}

static int migaccel_batch_ioctl(struct migaccel_ucmd *ucmd)
{
	return migaccel_batch_run(ucmd->ch, ucmd->cmd);
}

static int migaccel_zero_scan_ioctl(struct migaccel_ucmd *ucmd)
{
	return migaccel_zero_scan_run(ucmd->ch, ucmd->cmd);
}

static int migaccel_region_register_ioctl(struct migaccel_ucmd *ucmd)
{
	return migaccel_region_register(ucmd->ch, ucmd->cmd);
}

/* The id could not be written back: the caller never had the region. */
static void migaccel_region_register_undo(struct migaccel_ucmd *ucmd)
{
	struct migaccel_region_register *cmd = ucmd->cmd;

	migaccel_region_forget(ucmd->ch, cmd->out_region_id);
}

static int migaccel_region_unregister_ioctl(struct migaccel_ucmd *ucmd)
{
	return migaccel_region_unregister(ucmd->ch, ucmd->cmd);
}

static int migaccel_reap_ioctl(struct migaccel_ucmd *ucmd)
{
	return migaccel_reap(ucmd->ch, ucmd->cmd);
}

static int migaccel_set_eventfd_ioctl(struct migaccel_ucmd *ucmd)
{
	struct migaccel_set_eventfd *cmd = ucmd->cmd;
	struct migaccel_channel *ch = ucmd->ch;
	struct eventfd_ctx *ctx = NULL, *old;

	if (cmd->flags)
		return -EOPNOTSUPP;
	if (cmd->__reserved || cmd->fd < -1)
		return -EINVAL;
	if (cmd->fd >= 0) {
		ctx = eventfd_ctx_fdget(cmd->fd);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
	}
	spin_lock_irq(&ch->lock);
	old = ch->eventfd;
	ch->eventfd = ctx;
	spin_unlock_irq(&ch->lock);
	if (old)
		eventfd_ctx_put(old);
	return 0;
}

static int migaccel_sva_bind_ioctl(struct migaccel_ucmd *ucmd)
{
	return migaccel_idxd_sva_bind(ucmd->ch, ucmd->cmd);
}

union migaccel_ucmd_buffer {
	struct migaccel_info info;
	struct migaccel_batch batch;
	struct migaccel_region_register region_register;
	struct migaccel_region_unregister region_unregister;
	struct migaccel_reap reap;
	struct migaccel_set_eventfd set_eventfd;
	struct migaccel_sva_bind sva_bind;
	struct migaccel_zero_scan zero_scan;
};

/**
 * struct migaccel_ioctl_op - an ioctl of the table
 * @size: its struct as this module knows it
 * @min_size: the shortest struct accepted
 * @ioctl_num: the ioctl number
 * @owner_only: the call reaches the opener's memory: only the opener may
 * @out: the struct has out_ fields, written back after the call; it is
 *	made sure to be writable before the call acts
 * @execute: the call
 * @undo: when the struct could not be written back after all (the memory
 *	went away meanwhile), undo what @execute did, or NULL
 */
struct migaccel_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	bool owner_only;
	bool out;
	int (*execute)(struct migaccel_ucmd *ucmd);
	void (*undo)(struct migaccel_ucmd *ucmd);
};

#define IOCTL_OP(_ioctl, _fn, _struct, _last, _owner, _out, _undo)            \
	{                                                                      \
		.size = sizeof(_struct),                                       \
		.min_size = offsetofend(_struct, _last),                       \
		.ioctl_num = _ioctl,                                           \
		.owner_only = _owner,                                          \
		.out = _out,                                                   \
		.execute = _fn,                                                \
		.undo = _undo,                                                 \
	}

static const struct migaccel_ioctl_op migaccel_ioctl_ops[] = {
	[MIGACCEL_CMD_INFO - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_INFO, migaccel_info_ioctl,
			 struct migaccel_info, __reserved, false, true, NULL),
	[MIGACCEL_CMD_BATCH - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_BATCH, migaccel_batch_ioctl,
			 struct migaccel_batch, out_nr_cpu, true, true, NULL),
	[MIGACCEL_CMD_REGION_REGISTER - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_REGION_REGISTER, migaccel_region_register_ioctl,
			 struct migaccel_region_register, __reserved, true, true,
			 migaccel_region_register_undo),
	[MIGACCEL_CMD_REGION_UNREGISTER - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_REGION_UNREGISTER,
			 migaccel_region_unregister_ioctl,
			 struct migaccel_region_unregister, __reserved, true,
			 false, NULL),
	[MIGACCEL_CMD_REAP - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_REAP, migaccel_reap_ioctl,
			 struct migaccel_reap, out_nr, true, true, NULL),
	[MIGACCEL_CMD_SET_EVENTFD - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_SET_EVENTFD, migaccel_set_eventfd_ioctl,
			 struct migaccel_set_eventfd, __reserved, true, false,
			 NULL),
	[MIGACCEL_CMD_SVA_BIND - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_SVA_BIND, migaccel_sva_bind_ioctl,
			 struct migaccel_sva_bind, out_engines, true, true, NULL),
	[MIGACCEL_CMD_ZERO_SCAN - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_ZERO_SCAN, migaccel_zero_scan_ioctl,
			 struct migaccel_zero_scan, __reserved, true, true, NULL),
};

static long migaccel_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	const struct migaccel_ioctl_op *op;
	union migaccel_ucmd_buffer buf;
	struct migaccel_ucmd ucmd = {
		.ch = filp->private_data,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	unsigned int nr = _IOC_NR(cmd);
	u32 out_size;
	int ret;

	if (_IOC_TYPE(cmd) != MIGACCEL_TYPE || nr < MIGACCEL_CMD_BASE ||
	    nr - MIGACCEL_CMD_BASE >= ARRAY_SIZE(migaccel_ioctl_ops))
		return -ENOTTY;
	op = &migaccel_ioctl_ops[nr - MIGACCEL_CMD_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;
	/* The fd may have reached another process: it must not reach our pages. */
	if (op->owner_only && ucmd.ch->mm != current->mm)
		return -EPERM;

	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	/*
	 * A call either fails and does nothing, or acts and succeeds: the
	 * struct is made sure writable (its own bytes written back) before
	 * the call acts, and a struct without out_ fields is not written.
	 */
	out_size = min_t(u32, ucmd.user_size, op->size);
	if (op->out && copy_to_user(ucmd.ubuffer, ucmd.cmd, out_size))
		return -EFAULT;
	ret = op->execute(&ucmd);
	if (ret || !op->out)
		return ret;
	if (copy_to_user(ucmd.ubuffer, ucmd.cmd, out_size)) {
		/* Unmapped meanwhile by another thread of the caller. */
		if (op->undo)
			op->undo(&ucmd);
		return -EFAULT;
	}
	return 0;
}

/* An async batch reached its deadline: poll and reap must look again. */
static void migaccel_channel_deadline(struct timer_list *t)
{
	struct migaccel_channel *ch = from_timer(ch, t, deadline);

	migaccel_async_deadline(ch);
}

static int migaccel_open(struct inode *inode, struct file *filp)
{
	struct migaccel_channel *ch;
	int id;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL_ACCOUNT);
	if (!ch)
		return -ENOMEM;
	/* Also makes the channel a member of its client group. */
	ch->client = migaccel_client_get(&ch->qos);
	if (IS_ERR(ch->client)) {
		id = PTR_ERR(ch->client);
		kfree(ch);
		return id;
	}
	id = ida_alloc(&migaccel_channel_ida, GFP_KERNEL);
	if (id < 0) {
		migaccel_client_put(ch->client, &ch->qos);
		kfree(ch);
		return id;
	}
	ch->id = id;
	kref_init(&ch->ref);
	xa_init_flags(&ch->regions, XA_FLAGS_ALLOC1);
	init_waitqueue_head(&ch->wait);
	spin_lock_init(&ch->lock);
	INIT_LIST_HEAD(&ch->async);
	timer_setup(&ch->deadline, migaccel_channel_deadline, 0);
	migaccel_inject_init_one(&ch->inject);
	migaccel_debugfs_channel_add(ch);
	ch->mm = current->mm;
	mmgrab(ch->mm);
	filp->private_data = ch;
	return 0;
}

static void migaccel_channel_free(struct kref *ref)
{
	struct migaccel_channel *ch =
		container_of(ref, struct migaccel_channel, ref);

	migaccel_job_free_spare(ch);
	mmdrop(ch->mm);
	kfree(ch);
}

/**
 * migaccel_channel_put() - drop a reference to a channel
 * @ch: the channel; the last reference frees it
 *
 * Context: any in which mmdrop() may run.
 */
void migaccel_channel_put(struct migaccel_channel *ch)
{
	kref_put(&ch->ref, migaccel_channel_free);
}

static int migaccel_release(struct inode *inode, struct file *filp)
{
	struct migaccel_channel *ch = filp->private_data;
	struct eventfd_ctx *old;

	/* No deadline fires for a channel going away. */
	timer_shutdown_sync(&ch->deadline);
	/*
	 * Batches, then regions: a job an engine still holds keeps its own
	 * references to the regions it names, and the channel itself.
	 */
	migaccel_async_release(ch);
	migaccel_regions_release(ch);
	migaccel_idxd_sva_unbind(ch);
	/* A job an engine still holds may signal it: swap under the lock. */
	spin_lock_irq(&ch->lock);
	old = ch->eventfd;
	ch->eventfd = NULL;
	spin_unlock_irq(&ch->lock);
	if (old)
		eventfd_ctx_put(old);
	migaccel_debugfs_channel_del(ch);
	ida_free(&migaccel_channel_ida, ch->id);
	migaccel_client_put(ch->client, &ch->qos);
	migaccel_channel_put(ch);
	return 0;
}

static __poll_t migaccel_poll(struct file *filp, poll_table *wait)
{
	struct migaccel_channel *ch = filp->private_data;

	poll_wait(filp, &ch->wait, wait);
	return migaccel_async_ready(ch) ? EPOLLIN | EPOLLRDNORM : 0;
}

static const struct file_operations migaccel_fops = {
	.owner = THIS_MODULE,
	.open = migaccel_open,
	.release = migaccel_release,
	.poll = migaccel_poll,
	.unlocked_ioctl = migaccel_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static dev_t migaccel_devt;
static struct cdev migaccel_cdev;
static struct device migaccel_device;

static char *migaccel_devnode(const struct device *dev, umode_t *mode,
			      kuid_t *uid, kgid_t *gid)
{
	/* devtmpfs asks with NULL pointers when it removes the node. */
	if (mode)
		*mode = 0660;
	if (gid)
		*gid = make_kgid(&init_user_ns, group);
	return NULL;
}

static const struct device_type migaccel_device_type = {
	.name = "migaccel",
	.devnode = migaccel_devnode,
};

static const struct class migaccel_class = {
	.name = "migaccel",
};

static void migaccel_device_release(struct device *dev)
{
}

static int migaccel_chrdev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&migaccel_devt, 0, 1, "migaccel");
	if (ret)
		return ret;
	ret = class_register(&migaccel_class);
	if (ret)
		goto unregister_region;

	device_initialize(&migaccel_device);
	migaccel_device.devt = migaccel_devt;
	migaccel_device.class = &migaccel_class;
	migaccel_device.type = &migaccel_device_type;
	migaccel_device.release = migaccel_device_release;
	ret = dev_set_name(&migaccel_device, "migaccel");
	if (ret)
		goto put_device;

	cdev_init(&migaccel_cdev, &migaccel_fops);
	migaccel_cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&migaccel_cdev, &migaccel_device);
	if (ret)
		goto put_device;
	return 0;

put_device:
	put_device(&migaccel_device);
	class_unregister(&migaccel_class);
unregister_region:
	unregister_chrdev_region(migaccel_devt, 1);
	return ret;
}

static void migaccel_chrdev_exit(void)
{
	cdev_device_del(&migaccel_cdev, &migaccel_device);
	put_device(&migaccel_device);
	class_unregister(&migaccel_class);
	unregister_chrdev_region(migaccel_devt, 1);
}

static int __init migaccel_init(void)
{
	int ret;

	ret = migaccel_engine_init();
	if (ret)
		return ret;
	ret = migaccel_cpu_init();
	if (ret)
		goto engine_exit;
	migaccel_debugfs_init();
	/* Before the first engine, so that its appearance is announced. */
	ret = migaccel_nl_init();
	if (ret)
		goto debugfs_exit;
	ret = migaccel_soft_init();
	if (ret)
		goto nl_exit;
	ret = migaccel_idxd_init();
	if (ret)
		goto soft_exit;
	/* Last: the device is published only once everything behind it is. */
	ret = migaccel_chrdev_init();
	if (ret)
		goto idxd_exit;
	return 0;

idxd_exit:
	migaccel_idxd_exit();
soft_exit:
	migaccel_soft_exit();
nl_exit:
	migaccel_nl_exit();
debugfs_exit:
	migaccel_debugfs_exit();
	migaccel_cpu_exit();
engine_exit:
	migaccel_engine_exit();
	return ret;
}

static void __exit migaccel_exit(void)
{
	migaccel_chrdev_exit();
	migaccel_idxd_exit();
	migaccel_soft_exit();
	migaccel_nl_exit();
	migaccel_debugfs_exit();
	migaccel_cpu_exit();
	migaccel_engine_exit();
}

module_init(migaccel_init);
module_exit(migaccel_exit);

MODULE_DESCRIPTION("Offload of live-migration page work to Intel DSA and IAA");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IDXD);
