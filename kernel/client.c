// SPDX-License-Identifier: GPL-2.0
/*
 * Clients: a client is one process (thread group) with /dev/migaccel open.
 * Each channel of the process holds a reference; the last close frees it.
 * A client belongs to a client group (qos.c) for bandwidth control, and
 * counts what its channels did for the netlink client dump.
 */
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "migaccel.h"

/* Protects migaccel_clients.  Outside migaccel_groups_lock. */
static DEFINE_MUTEX(migaccel_clients_lock);
static LIST_HEAD(migaccel_clients);

static struct migaccel_client *client_find(struct pid *tgid)
{
	struct migaccel_client *c;

	lockdep_assert_held(&migaccel_clients_lock);
	list_for_each_entry(c, &migaccel_clients, node)
		if (c->tgid == tgid)
			return c;
	return NULL;
}

static struct migaccel_client *client_create(struct pid *tgid)
{
	struct migaccel_client *c;

	lockdep_assert_held(&migaccel_clients_lock);
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	c->group = migaccel_qos_group_for_current(tgid);
	if (!c->group)
		goto free_client;
	kref_init(&c->ref);
	c->tgid = get_pid(tgid);
	/* Published last, once complete. */
	list_add_tail(&c->node, &migaccel_clients);
	return c;

free_client:
	kfree(c);
	return NULL;
}

/**
 * migaccel_client_get() - the client of the current process, for a channel
 * @qos: the new channel's QoS state, made a member of the client's group
 *
 * Creates the client at the first open of the process.
 *
 * Context: process context; takes migaccel_clients_lock.
 * Return: the client with a reference for the channel, or ERR_PTR(-ENOMEM).
 */
struct migaccel_client *migaccel_client_get(struct migaccel_channel_qos *qos)
{
	struct pid *tgid = task_tgid(current);
	struct migaccel_client *c;

	mutex_lock(&migaccel_clients_lock);
	c = client_find(tgid);
	if (c)
		kref_get(&c->ref);
	else
		c = client_create(tgid);
	if (c)
		migaccel_qos_channel_init(qos, c->group);
	mutex_unlock(&migaccel_clients_lock);
	return c ?: ERR_PTR(-ENOMEM);
}

/* Called by kref_put_mutex() with migaccel_clients_lock held; drops it. */
static void client_release(struct kref *ref)
{
	struct migaccel_client *c =
		container_of(ref, struct migaccel_client, ref);

	list_del(&c->node);
	mutex_unlock(&migaccel_clients_lock);
	migaccel_qos_group_put(c->group);
	put_pid(c->tgid);
	kfree(c);
}

/**
 * migaccel_client_put() - a channel of the client closes
 * @client: from migaccel_client_get()
 * @qos: the channel's QoS state, which leaves its group
 *
 * Context: process context; takes migaccel_clients_lock on the last put.
 */
void migaccel_client_put(struct migaccel_client *client,
			 struct migaccel_channel_qos *qos)
{
	migaccel_qos_channel_exit(qos);
	kref_put_mutex(&client->ref, client_release, &migaccel_clients_lock);
}

/**
 * migaccel_client_account() - count operations a client ran
 * @client: the client
 * @opcode: an &enum migaccel_opcode
 * @nr_ops: how many operations of @opcode one batch carried
 *
 * Context: any.
 */
void migaccel_client_account(struct migaccel_client *client, u32 opcode,
			     u32 nr_ops)
{
	if (opcode >= MIGACCEL_CLIENT_OPS)
		return;
	atomic64_inc(&client->calls[opcode]);
	atomic64_add(nr_ops, &client->ops[opcode]);
}

/**
 * migaccel_client_pinned() - count memory a client registered or released
 * @client: the client
 * @regions: regions added (negative: removed)
 * @bytes: bytes pinned (negative: unpinned)
 *
 * Context: any.
 */
void migaccel_client_pinned(struct migaccel_client *client, int regions,
			    s64 bytes)
{
	atomic_add(regions, &client->regions);
	atomic64_add(bytes, &client->pinned_bytes);
}

/**
 * migaccel_client_for_each() - call @fn for the clients from *@pos on
 * @pos: index of the first client; advanced past each client @fn accepted
 * @fn: returns 0 to go on, anything else to stop
 * @arg: passed to @fn
 *
 * Context: process context; @fn runs under migaccel_clients_lock.
 * Return: what @fn returned when it stopped, else 0.
 */
int migaccel_client_for_each(unsigned long *pos,
			     int (*fn)(struct migaccel_client *client,
				       void *arg),
			     void *arg)
{
	struct migaccel_client *c;
	unsigned long i = 0;
	int ret = 0;

	mutex_lock(&migaccel_clients_lock);
	list_for_each_entry(c, &migaccel_clients, node) {
		if (i++ < *pos)
			continue;
		ret = fn(c, arg);
		if (ret)
			break;
		(*pos)++;
	}
	mutex_unlock(&migaccel_clients_lock);
	return ret;
}
