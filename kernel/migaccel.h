/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migaccel private header: prototypes grouped by the file that defines them.
 *
 * Lock order (outer first):
 *   wq->wq_lock (idxd)                - held by idxd.c probe/remove
 *     migaccel_engines_lock (engine.c) - the list of engines
 *   migaccel_clients_lock (client.c)   - the list of clients
 *     migaccel_groups_lock (qos.c)     - the list of client groups
 *       group->lock (qos.c)            - a group's quota, stats and the
 *                                        slices of its channels
 * The netlink dumps hold one list lock while they fill a message and take
 * group->lock inside it.  Nothing sleeps under group->lock (a spinlock);
 * notifications are sent after it is dropped.
 * Jobs take no lock: their lifetime is a kref, their progress an atomic.
 */
#ifndef _MIGACCEL_H
#define _MIGACCEL_H

#include <linux/types.h>
#include <linux/kref.h>
#include <linux/completion.h>
#include <linux/workqueue.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <uapi/linux/idxd.h>
#include <linux/migaccel.h>

#define MIGACCEL_PAGE_SIZE	4096u
#define MIGACCEL_MAX_BATCH_OPS	1024u
/* Descriptors per hardware batch; DSA's max_batch_size can be larger. */
#define MIGACCEL_CHUNK_DESCS	128u
/* Largest op stride accepted, to bound the kernel copy of the op array. */
#define MIGACCEL_MAX_OP_SIZE	256u

struct migaccel_engine;
struct migaccel_job;
struct migaccel_client;
struct pid;
struct pid_namespace;
struct migaccel_qos_group;

/**
 * struct migaccel_chunk - one submission to an engine
 * @descs: member descriptors; the DSA batch list, 64-byte aligned
 * @comps: one completion record per member, 32-byte aligned
 * @batch: the BATCH descriptor naming @descs when @nr > 1
 * @batch_comp: completion record of @batch
 * @hw: what is submitted: @batch, or @descs[0] when @nr == 1
 * @hw_comp: completion record the engine writes last for @hw
 * @job: the job this chunk belongs to
 * @first: index in the job of @descs[0]
 * @nr: number of member descriptors
 * @work: soft engine execution
 *
 * Lives in one slab object, so the descriptor list and completion records
 * are physically contiguous, as a device needs them.
 */
struct migaccel_chunk {
	struct dsa_hw_desc descs[MIGACCEL_CHUNK_DESCS];
	struct dsa_completion_record comps[MIGACCEL_CHUNK_DESCS];
	struct dsa_hw_desc batch;
	struct dsa_completion_record batch_comp __aligned(32);
	struct dsa_hw_desc *hw;
	struct dsa_completion_record *hw_comp;
	struct migaccel_job *job;
	unsigned int first;
	unsigned int nr;
	struct work_struct work;
};

/**
 * struct migaccel_job - the engine work of one batch call
 * @ref: held by the submitter and by each chunk in flight
 * @pending: chunks not yet completed by the engine
 * @done: completed when @pending reaches zero
 * @engine: where the chunks run
 * @nr: number of operations
 * @pages: the pinned source page of each operation, unpinned on release
 * @nr_pinned: entries of @pages holding a pin
 * @nr_chunks: entries of @chunks
 * @chunks: submissions, MIGACCEL_CHUNK_DESCS operations each
 */
struct migaccel_job {
	struct kref ref;
	atomic_t pending;
	struct completion done;
	struct migaccel_engine *engine;
	unsigned int nr;
	struct page **pages;
	unsigned int nr_pinned;
	unsigned int nr_chunks;
	struct migaccel_chunk *chunks[] __counted_by(nr_chunks);
};

/**
 * struct migaccel_engine_ops - what an engine does with a chunk
 * @page_addr: address the engine uses to reach @page
 * @kernel_addr: address the engine uses to reach kernel memory at @ptr
 * @submit: start @chunk; the engine calls migaccel_chunk_complete() once
 *	@chunk->hw_comp is written, from any context that may sleep or not
 */
struct migaccel_engine_ops {
	u64 (*page_addr)(struct migaccel_engine *engine, struct page *page);
	u64 (*kernel_addr)(struct migaccel_engine *engine, void *ptr);
	int (*submit)(struct migaccel_engine *engine,
		      struct migaccel_chunk *chunk);
};

/**
 * struct migaccel_engine - an executor of DSA/IAA descriptors
 * @name: for logs
 * @kind: MIGACCEL_ENGINE_SOFT, _DSA or _IAA
 * @ops: how to reach memory and submit
 * @node: in migaccel_engines, under migaccel_engines_lock
 * @wq_id: work queue id on its device; -1 for the soft engine
 * @numa_node: NUMA node of the device, or NUMA_NO_NODE
 * @ops_mask: bit (1 << opcode) for each &enum migaccel_opcode it executes
 * @submitted: chunks submitted
 * @completed: chunks completed
 * @errors: chunks that ended with an engine error (status not success)
 * @cpu_completions: operations of this engine the CPU finished
 *
 * The counters are read without a lock by the netlink engine dump.
 */
struct migaccel_engine {
	const char *name;
	u32 kind;
	const struct migaccel_engine_ops *ops;
	struct list_head node;
	int wq_id;
	int numa_node;
	u64 ops_mask;
	atomic64_t submitted;
	atomic64_t completed;
	atomic64_t errors;
	atomic64_t cpu_completions;
};

/**
 * struct migaccel_channel_qos - a channel's share of its group's quota
 * @group: the client group the channel belongs to; holds a reference
 * @slice_left: bytes of the group's quota this channel took and has not
 *	used yet; kept across period boundaries.  Under @group->lock.
 */
struct migaccel_channel_qos {
	struct migaccel_qos_group *group;
	u64 slice_left;
};

/* Opcodes a client keeps counters for; later ones are not counted. */
#define MIGACCEL_CLIENT_OPS	16

/**
 * struct migaccel_client - a process with /dev/migaccel open
 * @ref: one per open channel
 * @node: in migaccel_clients, under migaccel_clients_lock
 * @tgid: the process
 * @group: the client group its channels join; holds a reference
 * @regions: registered memory regions
 * @pinned_bytes: bytes of memory pinned for it
 * @calls: per opcode, batches that carried the operation
 * @ops: per opcode, operations run
 */
struct migaccel_client {
	struct kref ref;
	struct list_head node;
	struct pid *tgid;
	struct migaccel_qos_group *group;
	atomic_t regions;
	atomic64_t pinned_bytes;
	atomic64_t calls[MIGACCEL_CLIENT_OPS];
	atomic64_t ops[MIGACCEL_CLIENT_OPS];
};

/* migaccel_qos_charge(): run the work on the CPU instead of the engine. */
#define MIGACCEL_QOS_RUN_ON_CPU	1

/* main.c */
extern unsigned int migaccel_timeout_ms;

/* engine.c */
void migaccel_engine_add(struct migaccel_engine *engine);
void migaccel_engine_del(struct migaccel_engine *engine);
u32 migaccel_engine_kinds(void);
int migaccel_engine_for_each(unsigned long *pos,
			     int (*fn)(struct migaccel_engine *engine,
				       void *arg),
			     void *arg);
struct migaccel_job *migaccel_job_alloc(struct migaccel_engine *engine,
					unsigned int nr);
void migaccel_job_put(struct migaccel_job *job);
int migaccel_job_submit(struct migaccel_job *job);
void migaccel_chunk_complete(struct migaccel_chunk *chunk);
int migaccel_engine_init(void);
void migaccel_engine_exit(void);

/* desc.c */
void migaccel_desc_compval(struct dsa_hw_desc *desc, u64 src, u32 len,
			   u64 pattern, u64 completion);
void migaccel_desc_batch(struct dsa_hw_desc *desc, u64 list, u32 count,
			 u64 completion);
bool migaccel_comp_zero_page(const struct dsa_completion_record *comp,
			     u32 len, u32 *resume);

/* soft.c */
extern struct migaccel_engine migaccel_soft_engine;
void migaccel_soft_exec(const struct dsa_hw_desc *desc);
int migaccel_soft_init(void);
void migaccel_soft_exit(void);

/* batch.c */
int migaccel_batch_run(struct migaccel_batch *cmd,
		       struct migaccel_channel_qos *qos);
bool migaccel_cpu_zero_page(struct page *page, u32 from);
void migaccel_job_build_zero_scan(struct migaccel_job *job);
unsigned int migaccel_job_zero_results(struct migaccel_job *job,
				       unsigned long *bitmap);

/* client.c */
struct migaccel_client *migaccel_client_get(struct migaccel_channel_qos *qos);
void migaccel_client_put(struct migaccel_client *client,
			 struct migaccel_channel_qos *qos);
void migaccel_client_account(struct migaccel_client *client, u32 opcode,
			     u32 nr_ops);
void migaccel_client_pinned(struct migaccel_client *client, int regions,
			    s64 bytes);
int migaccel_client_for_each(unsigned long *pos,
			     int (*fn)(struct migaccel_client *client,
				       void *arg),
			     void *arg);

/* qos.c */

/**
 * struct migaccel_qos_info - a client group's limit and statistics
 * @kind: MIGACCEL_GROUP_KIND_PROCESS or _CGROUP
 * @id: process id in the reader's pid namespace, or cgroup id
 * @quota: bytes of engine work per period, 0 for unlimited
 * @period_us: length of a period
 * @slice: bytes a channel takes from the quota at a time, 0 for default
 * @cpu_fallback: a throttled channel runs its work on the CPU
 * @channels: channels in the group
 * @usage: bytes charged since the group was created
 * @nr_periods: periods in which the group charged work
 * @nr_throttled: periods in which a channel was throttled
 * @throttled_time: ns channels spent waiting for quota, summed
 * @outstanding: bytes held by channels as unused slices
 */
struct migaccel_qos_info {
	u32 kind;
	u64 id;
	u64 quota;
	u32 period_us;
	u32 slice;
	bool cpu_fallback;
	u32 channels;
	u64 usage;
	u64 nr_periods;
	u64 nr_throttled;
	u64 throttled_time;
	u64 outstanding;
};

/* Which fields of a migaccel_qos_info migaccel_qos_group_set() applies. */
#define MIGACCEL_QOS_SET_QUOTA		BIT(0)
#define MIGACCEL_QOS_SET_PERIOD		BIT(1)
#define MIGACCEL_QOS_SET_SLICE		BIT(2)
#define MIGACCEL_QOS_SET_CPU_FALLBACK	BIT(3)

int migaccel_qos_charge(struct migaccel_channel_qos *q, u64 bytes);
struct migaccel_qos_group *migaccel_qos_group_for_current(struct pid *tgid);
struct migaccel_qos_group *migaccel_qos_group_lookup(u32 kind, u64 id,
						     bool create);
void migaccel_qos_group_put(struct migaccel_qos_group *group);
void migaccel_qos_group_read(struct migaccel_qos_group *group,
			     struct pid_namespace *ns,
			     struct migaccel_qos_info *info);
void migaccel_qos_group_set(struct migaccel_qos_group *group,
			    const struct migaccel_qos_info *info,
			    unsigned int mask);
int migaccel_qos_group_for_each(unsigned long *pos,
				int (*fn)(struct migaccel_qos_group *group,
					  void *arg),
				void *arg);
void migaccel_qos_channel_init(struct migaccel_channel_qos *q,
			       struct migaccel_qos_group *group);
void migaccel_qos_channel_exit(struct migaccel_channel_qos *q);
void migaccel_qos_exit(void);

/* netlink.c */
void migaccel_nl_notify_engine(struct migaccel_engine *engine, bool added);
void migaccel_nl_notify_throttled(struct migaccel_qos_group *group);
int migaccel_nl_init(void);
void migaccel_nl_exit(void);

/* idxd.c */
int migaccel_idxd_init(void);
void migaccel_idxd_exit(void);

#endif /* _MIGACCEL_H */
