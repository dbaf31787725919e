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
#include <linux/fs.h>
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

/**
 * struct migaccel_channel - one open /dev/migaccel
 * @mm: address space of the opener; only it may submit work
 * @client: the opener's process, as the control plane sees it
 * @qos: this channel's share of its client group's bandwidth
 */
struct migaccel_channel {
	struct mm_struct *mm;
	struct migaccel_client *client;
	struct migaccel_channel_qos qos;
};

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
	cmd->out_ops = 1ull << MIGACCEL_OP_ZERO_SCAN;
	cmd->out_max_batch_ops = MIGACCEL_MAX_BATCH_OPS;
	cmd->out_page_size = MIGACCEL_PAGE_SIZE;
	return 0;
}

static int migaccel_batch_ioctl(struct migaccel_ucmd *ucmd)
{
	struct migaccel_batch *cmd = ucmd->cmd;
	int ret;

	/* The fd may have reached another process: it must not reach our pages. */
	if (ucmd->ch->mm != current->mm)
		return -EPERM;
	ret = migaccel_batch_run(cmd, &ucmd->ch->qos);
	if (!ret)
		migaccel_client_account(ucmd->ch->client, MIGACCEL_OP_ZERO_SCAN,
					cmd->nr_ops);
	return ret;
}

union migaccel_ucmd_buffer {
	struct migaccel_info info;
	struct migaccel_batch batch;
};

struct migaccel_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	int (*execute)(struct migaccel_ucmd *ucmd);
};

#define IOCTL_OP(_ioctl, _fn, _struct, _last)                                 \
	{                                                                      \
		.size = sizeof(_struct),                                       \
		.min_size = offsetofend(_struct, _last),                       \
		.ioctl_num = _ioctl,                                           \
		.execute = _fn,                                                \
	}

static const struct migaccel_ioctl_op migaccel_ioctl_ops[] = {
	[MIGACCEL_CMD_INFO - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_INFO, migaccel_info_ioctl,
			 struct migaccel_info, __reserved),
	[MIGACCEL_CMD_BATCH - MIGACCEL_CMD_BASE] =
		IOCTL_OP(MIGACCEL_BATCH, migaccel_batch_ioctl,
			 struct migaccel_batch, __reserved),
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
	int ret;

	if (_IOC_TYPE(cmd) != MIGACCEL_TYPE || nr < MIGACCEL_CMD_BASE ||
	    nr - MIGACCEL_CMD_BASE >= ARRAY_SIZE(migaccel_ioctl_ops))
		return -ENOTTY;
	op = &migaccel_ioctl_ops[nr - MIGACCEL_CMD_BASE];
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	ret = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (ret)
		return ret;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ret = copy_struct_from_user(ucmd.cmd, op->size, ucmd.ubuffer,
				    ucmd.user_size);
	if (ret)
		return ret;
	ret = op->execute(&ucmd);
	if (ret)
		return ret;
	if (copy_to_user(ucmd.ubuffer, ucmd.cmd,
			 min_t(u32, ucmd.user_size, op->size)))
		return -EFAULT;
	return 0;
}

static int migaccel_open(struct inode *inode, struct file *filp)
{
	struct migaccel_channel *ch;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return -ENOMEM;
	ch->client = migaccel_client_get(&ch->qos);
	if (IS_ERR(ch->client)) {
		int ret = PTR_ERR(ch->client);

		kfree(ch);
		return ret;
	}
	ch->mm = current->mm;
	mmgrab(ch->mm);
	filp->private_data = ch;
	return 0;
}

static int migaccel_release(struct inode *inode, struct file *filp)
{
	struct migaccel_channel *ch = filp->private_data;

	migaccel_client_put(ch->client, &ch->qos);
	mmdrop(ch->mm);
	kfree(ch);
	return 0;
}

static const struct file_operations migaccel_fops = {
	.owner = THIS_MODULE,
	.open = migaccel_open,
	.release = migaccel_release,
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
	/* Before the first engine, so that its appearance is announced. */
	ret = migaccel_nl_init();
	if (ret)
		goto engine_exit;
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
	migaccel_engine_exit();
}

module_init(migaccel_init);
module_exit(migaccel_exit);

MODULE_DESCRIPTION("Offload of live-migration page work to Intel DSA and IAA");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IDXD);
