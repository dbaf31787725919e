// SPDX-License-Identifier: GPL-2.0
/*
 * The idxd engine: migaccel as a work-queue driver on the idxd "dsa" bus.
 *
 * An admin binds a DSA or IAA work queue to migaccel by configuring it as a
 * kernel work queue with driver_name "migaccel" (accel-config config-wq
 * --type=kernel --driver-name=migaccel) and enabling it.  probe() then
 * claims it and publishes it as an engine; remove() unpublishes it and
 * disables it.  With no device present only the driver is registered.
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>
#include "idxd.h"

#include "migaccel.h"

/**
 * struct migaccel_wq - a work queue claimed by migaccel
 * @engine: the engine this WQ provides; published while the WQ is enabled
 * @wq: the idxd work queue
 */
struct migaccel_wq {
	struct migaccel_engine engine;
	struct idxd_wq *wq;
};

static int migaccel_idxd_probe(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct idxd_device *idxd = wq->idxd;
	struct device *dev = &idxd_dev->conf_dev;
	struct migaccel_wq *mwq;
	int ret;

	if (idxd->state != IDXD_DEV_ENABLED)
		return -ENXIO;

	mwq = kzalloc(sizeof(*mwq), GFP_KERNEL);
	if (!mwq)
		return -ENOMEM;
	mwq->wq = wq;
	mwq->engine.name = dev_name(dev);
	mwq->engine.kind = idxd->data->type == IDXD_TYPE_IAX ?
			   MIGACCEL_ENGINE_IAA : MIGACCEL_ENGINE_DSA;
	mwq->engine.wq_id = wq->id;
	mwq->engine.numa_node = dev_to_node(&idxd->pdev->dev);

	mutex_lock(&wq->wq_lock);
	if (idxd_wq_get_private(wq)) {
		ret = -EBUSY;
		goto unlock;
	}
	if (!idxd_wq_driver_name_match(wq, dev)) {
		idxd->cmd_status = IDXD_SCMD_WQ_NO_DRV_NAME;
		ret = -ENODEV;
		goto unlock;
	}
	wq->type = IDXD_WQT_KERNEL;
	ret = idxd_drv_enable_wq(wq);
	if (ret < 0) {
		dev_dbg(dev, "enabling %s failed: %d\n", dev_name(dev), ret);
		wq->type = IDXD_WQT_NONE;
		ret = -ENXIO;
		goto unlock;
	}
	idxd_wq_set_private(wq, mwq);
	migaccel_engine_add(&mwq->engine);
	mutex_unlock(&wq->wq_lock);
	dev_info(dev, "migaccel claimed %s work queue %s\n",
		 mwq->engine.kind == MIGACCEL_ENGINE_IAA ? "IAA" : "DSA",
		 dev_name(dev));
	return 0;

unlock:
	mutex_unlock(&wq->wq_lock);
	kfree(mwq);
	return ret;
}

static void migaccel_idxd_remove(struct idxd_dev *idxd_dev)
{
	struct idxd_wq *wq = idxd_dev_to_wq(idxd_dev);
	struct migaccel_wq *mwq;

	mutex_lock(&wq->wq_lock);
	mwq = idxd_wq_get_private(wq);
	if (mwq) {
		/* Unpublish first, so nothing new is routed to the WQ. */
		migaccel_engine_del(&mwq->engine);
		idxd_wq_set_private(wq, NULL);
	}
	idxd_drv_disable_wq(wq);
	wq->type = IDXD_WQT_NONE;
	mutex_unlock(&wq->wq_lock);
	kfree(mwq);
}

static enum idxd_dev_type migaccel_idxd_dev_types[] = {
	IDXD_DEV_WQ,
	IDXD_DEV_NONE,
};

static struct idxd_device_driver migaccel_idxd_driver = {
	.name = "migaccel",
	.probe = migaccel_idxd_probe,
	.remove = migaccel_idxd_remove,
	.type = migaccel_idxd_dev_types,
};

/**
 * migaccel_idxd_init() - register migaccel as an idxd work-queue driver
 *
 * Context: module init.
 * Return: 0 or the driver core's error.
 */
int migaccel_idxd_init(void)
{
	return idxd_driver_register(&migaccel_idxd_driver);
}

/**
 * migaccel_idxd_exit() - unregister; remove() runs for every claimed WQ
 *
 * Context: module exit.
 */
void migaccel_idxd_exit(void)
{
	idxd_driver_unregister(&migaccel_idxd_driver);
}
