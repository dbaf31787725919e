/* SPDX-License-Identifier: GPL-2.0 */
/*
 * migaccel private header: prototypes grouped by the file that defines them.
 *
 * Lock order (outer first):
 *   wq->wq_lock (idxd)                  - held by idxd.c probe/remove
 *   migaccel_regions_lock (region.c)    - every region, for (un)mapping
 *     migaccel_engines_lock (engine.c)  - the list of engines
 *   ch->lock (main.c)                   - a channel's async batches and
 *                                         eventfd; leaf
 *   migaccel_clients_lock (client.c)    - the list of clients
 *     migaccel_groups_lock (qos.c)      - the list of client groups
 *       group->lock (qos.c)             - a group's quota, stats and the
 *                                         slices of its channels
 * The netlink dumps hold one list lock while they fill a message and take
 * group->lock inside it.  Nothing sleeps under group->lock (a spinlock);
 * notifications are sent after it is dropped.
 *   migaccel_wq.lock (idxd.c)           - a work queue's outstanding
 *                                         descriptors; leaf (idxd's own
 *                                         list lock is never held with it)
 *   migaccel_inject.lock (inject.c)     - a fault-injection setting; leaf
 *   soft_lost_lock (soft.c)             - chunks the soft engine "lost"; leaf
 *   migaccel_zlib_pool slot mutex       - one zlib workspace; leaf
 *   qos_admission.lock (qos.c)          - the engines' admission window and
 *                                         its queue; leaf, interrupts off
 * Jobs take no lock but the admission lock, for their place in its queue:
 * their lifetime is a kref, their progress atomics.
 */
#ifndef _MIGACCEL_H
#define _MIGACCEL_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/kref.h>
#include <linux/completion.h>
#include <linux/workqueue.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/wait.h>
#include <linux/unaligned.h>
#include <linux/xarray.h>
#include <uapi/linux/idxd.h>
#include <linux/migaccel.h>

#define MIGACCEL_PAGE_SIZE	4096u
#define MIGACCEL_MAX_BATCH_OPS	1024u
/* Descriptors per chunk: one DSA BATCH, or as many IAA descriptors. */
#define MIGACCEL_CHUNK_DESCS	128u

/* &migaccel_engine_ops.submit: the submitter runs the chunk when it waits. */
#define MIGACCEL_SUBMIT_DEFERRED	1
/* Largest op stride accepted, to bound the kernel copy of the op array. */
#define MIGACCEL_MAX_OP_SIZE	256u
/* Largest delta record of one page: an entry per 8-byte word. */
#define MIGACCEL_DELTA_MAX	(MIGACCEL_PAGE_SIZE / 8 * MIGACCEL_DELTA_ENTRY_SIZE)
/* Kernel buffer of an op: room for a record, or a stream and a page. */
#define MIGACCEL_BOUNCE_SIZE	(2 * MIGACCEL_PAGE_SIZE)
/* The CRC-64/WE polynomial, as IAA takes it (top bit implied). */
#define MIGACCEL_CRC64_POLY	0x42f0e1eba9ea3693ull
/*
 * IAA CRC64 flags (QPL's ADC64F_*): INV inverts the initial and final CRC;
 * BE selects the bit-reflected algorithm (bit 0 of each byte most
 * significant).  CRC-64/WE is INV alone; BE | INV would be CRC-64/XZ.
 */
#define MIGACCEL_IAA_CRC64_INV	BIT(14)
#define MIGACCEL_IAA_CRC64_BE	BIT(15)
/* IAA compress/decompress flags, as iaa_crypto and QPL define them. */
#define MIGACCEL_IAA_COMP_FLUSH		BIT(1)
#define MIGACCEL_IAA_COMP_APPEND_EOB	BIT(2)
#define MIGACCEL_IAA_DECOMP_ENABLE	BIT(0)
#define MIGACCEL_IAA_DECOMP_FLUSH	BIT(1)
/*
 * Bits 2 and 3 are "check for EOB" and "stop on EOB" (iaa_crypto and QPL
 * name them in opposite order; both set them together).  Bit 4 (QPL's
 * ADDF_SEL_BFINAL_EOB) makes the EOB they act on the one of the final
 * block: without it the engine stops after the first block.
 */
#define MIGACCEL_IAA_DECOMP_CHECK_EOB	BIT(2)
#define MIGACCEL_IAA_DECOMP_STOP_EOB	BIT(3)
#define MIGACCEL_IAA_DECOMP_BFINAL_EOB	BIT(4)
/* IAA analytics error codes (status IAX_COMP_ANALYTICS_ERROR). */
#define MIGACCEL_IAA_ERR_COMP_OVERFLOW	0x19
/*
 * Smallest and granule of the maximum delta record size a DSA create
 * delta descriptor accepts (DML's validation; status DSA_COMP_DR_ERANGE).
 */
#define MIGACCEL_DSA_DELTA_MIN		80u
/* Result of a create-delta descriptor whose record would overflow. */
#define MIGACCEL_DELTA_RES_OVERFLOW	2

struct migaccel_engine;
struct migaccel_job;
struct migaccel_channel;
struct migaccel_region;
struct migaccel_client;
struct device;
struct pid;
struct pid_namespace;
struct migaccel_qos_group;

/* Engine ids are bits of a u32 mask. */
#define MIGACCEL_MAX_ENGINES	32

/* Every DSA and IAA descriptor is 64 bytes; so is an IAA record. */
union migaccel_hw_desc {
	struct dsa_hw_desc dsa;
	struct iax_hw_desc iax;
};

union migaccel_hw_comp {
	struct dsa_completion_record dsa;
	struct iax_completion_record iax;
} __aligned(64);

/* Which device kind runs an operation. */
enum migaccel_class {
	MIGACCEL_CLASS_DSA,
	MIGACCEL_CLASS_IAA,
	MIGACCEL_NR_CLASSES
};

/**
 * enum migaccel_inject_kind - faults the soft engine can be told to show
 * @MIGACCEL_INJECT_NONE: none
 * @MIGACCEL_INJECT_PAGEFAULT: op @desc stops at byte @byte with a page fault
 * @MIGACCEL_INJECT_ERROR: op @desc ends with a hardware error
 * @MIGACCEL_INJECT_BATCHFAIL: the DSA batch holding op @desc cannot read
 *	its descriptor list: no member runs
 * @MIGACCEL_INJECT_BUSY: each submission of the chunk holding op @desc is
 *	refused as busy @times times
 * @MIGACCEL_INJECT_LOST: the chunk holding op @desc never completes
 * @MIGACCEL_INJECT_WQREMOVE: the work queue goes away with the chunk
 *	holding op @desc queued and not run
 * @MIGACCEL_INJECT_SLOW: nothing but the delay: the chunk holding op
 *	@desc runs @delay_ms late, and cannot be taken back meanwhile (a
 *	slow device)
 * @MIGACCEL_INJECT_LATE: the engine completes the chunk holding op @desc
 *	but keeps its reference to the job @delay_ms longer (a completion
 *	thread descheduled between waking the waiter and letting go)
 */
enum migaccel_inject_kind {
	MIGACCEL_INJECT_NONE,
	MIGACCEL_INJECT_PAGEFAULT,
	MIGACCEL_INJECT_ERROR,
	MIGACCEL_INJECT_BATCHFAIL,
	MIGACCEL_INJECT_BUSY,
	MIGACCEL_INJECT_LOST,
	MIGACCEL_INJECT_WQREMOVE,
	MIGACCEL_INJECT_SLOW,
	MIGACCEL_INJECT_LATE,
};

/**
 * struct migaccel_fault - one injected fault, as a job sees it
 * @kind: &enum migaccel_inject_kind
 * @desc: index in the batch of the operation it hits
 * @byte: PAGEFAULT: offset of the faulting byte
 * @times: BUSY: refusals per submission
 * @delay_ms: any kind but LATE: the soft engine holds the chunk of op
 *	@desc this long before it runs (or loses) it; LATE: this long after
 */
struct migaccel_fault {
	u32 kind;
	u32 desc;
	u32 byte;
	u32 times;
	u32 delay_ms;
};

/**
 * struct migaccel_inject - a fault-injection setting (global or a channel's)
 * @lock: protects the rest
 * @fault: what to inject
 * @count: batches still to be hit; 0 disarms
 */
struct migaccel_inject {
	spinlock_t lock; /* protects fault and count */
	struct migaccel_fault fault;
	u32 count;
};

/**
 * enum migaccel_stat - counters of a channel and of the module
 * @MIGACCEL_STAT_BATCHES: MIGACCEL_BATCH calls that ran
 * @MIGACCEL_STAT_OPS: operations run
 * @MIGACCEL_STAT_CPU_OPS: operations finished on the CPU (MIGACCEL_OUT_CPU)
 * @MIGACCEL_STAT_BUSY_RETRIES: submissions refused as busy and retried
 * @MIGACCEL_STAT_TIMEOUTS: chunks whose completion did not arrive in time
 * @MIGACCEL_STAT_FAILOVERS: chunks moved off an engine that went away
 * @MIGACCEL_NR_STATS: number of counters
 */
enum migaccel_stat {
	MIGACCEL_STAT_BATCHES,
	MIGACCEL_STAT_OPS,
	MIGACCEL_STAT_CPU_OPS,
	MIGACCEL_STAT_BUSY_RETRIES,
	MIGACCEL_STAT_TIMEOUTS,
	MIGACCEL_STAT_FAILOVERS,
	MIGACCEL_NR_STATS
};

/**
 * struct migaccel_stats - a set of counters
 * @v: one per &enum migaccel_stat
 */
struct migaccel_stats {
	atomic64_t v[MIGACCEL_NR_STATS];
};

/**
 * struct migaccel_jop - one validated operation of a job
 * @op: the caller's operation; out_ fields are filled here
 * @class: the device kind that runs it
 * @src: pinned source page
 * @src2: pinned second source page (DELTA_CREATE)
 * @dst: pinned destination page (COPY, DELTA_APPLY)
 * @ubuf: pinned pages under a destination buffer (COMPRESS, DELTA_CREATE,
 *	DELTA_CREATE), at most three
 * @nr_ubuf: entries of @ubuf
 * @bounce: kernel buffer of MIGACCEL_BOUNCE_SIZE bytes, or NULL; kept with
 *	the job for later batches, freed with it
 * @chunk: chunk holding its descriptor, or NULL when it needs none
 * @slot: index of its descriptor in @chunk
 * @pinned: MIGACCEL_PIN_* bits: which of @src, @src2, @dst, @ubuf the job
 *	pinned (the others belong to a region)
 * @region: region of its pages, or NULL; the job holds it
 *	(&migaccel_job.regions)
 * @buf_region: region of its buffers, or NULL; the job holds it
 * @src_idx: index of @src in @region
 * @src2_idx: index of @src2 in @region
 * @dst_idx: index of @dst in @region
 */
struct migaccel_jop {
	struct migaccel_op op;
	enum migaccel_class class;
	struct page *src;
	struct page *src2;
	struct page *dst;
	struct page *ubuf[3];
	unsigned int nr_ubuf;
	void *bounce;
	struct migaccel_chunk *chunk;
	unsigned int slot;
	u8 pinned;
	struct migaccel_region *region;
	struct migaccel_region *buf_region;
	unsigned long src_idx;
	unsigned long src2_idx;
	unsigned long dst_idx;
};

#define MIGACCEL_PIN_SRC	BIT(0)
#define MIGACCEL_PIN_SRC2	BIT(1)
#define MIGACCEL_PIN_DST	BIT(2)
#define MIGACCEL_PIN_UBUF	BIT(3)

/**
 * struct migaccel_region - guest RAM pinned once (region.c)
 * @ref: held by the channel while the region is registered, and by each
 *	job that names it, until the job is released (its submitter and
 *	every engine let go); the last put unmaps, unpins, uncharges and
 *	frees
 * @id: its id in the channel, never 0
 * @addr: user address of its first byte
 * @length: bytes
 * @nr_pages: pages
 * @pages: the pinned pages
 * @users: jobs that name it; unregistering waits for 0
 * @mm: address space it is charged to
 * @node: in the list of every region, under migaccel_regions_lock
 * @dma: per engine id, the region's mapping for the engine's device, or
 *	NULL; engines of one device share it.  Set under
 *	migaccel_regions_lock, read by chunks without a lock
 *
 * A caller can give up on a job (signal, timeout, close) while an engine
 * still works on the region's pages: the job's references keep them
 * pinned, mapped and charged until the engine lets go, however long.
 */
struct migaccel_region {
	struct kref ref;
	u32 id;
	u64 addr;
	u64 length;
	unsigned long nr_pages;
	struct page **pages;
	atomic_t users;
	struct mm_struct *mm;
	struct list_head node;
	struct migaccel_region_dma *dma[MIGACCEL_MAX_ENGINES];
};

/**
 * struct migaccel_region_dma - a region mapped for one DMA device (region.c)
 * @dev: the device; every work queue of an idxd device DMAs through it
 * @users: engines whose &migaccel_region.dma points here; under
 *	migaccel_regions_lock
 * @nr_maps: entries of @addr: mappings made
 * @run_start: index of the first page of each run of physically
 *	contiguous pages that @addr maps at once, ascending, and the
 *	region's page count after the last; NULL when @addr maps each page
 *	(fragmented memory, where runs would cost more than pages)
 * @addr: bus address of each run, or of each page
 *
 * Its size grows with the runs of the region, not with its pages, and a
 * device is mapped once whatever the number of its work queues.
 */
struct migaccel_region_dma {
	struct device *dev;
	unsigned int users;
	u32 nr_maps;
	u32 *run_start;
	dma_addr_t *addr;
};

/**
 * enum migaccel_chunk_state - where a chunk is
 * @MIGACCEL_CHUNK_IDLE: built, not submitted
 * @MIGACCEL_CHUNK_INFLIGHT: owned by an engine
 * @MIGACCEL_CHUNK_DONE: the engine wrote the records it was going to
 * @MIGACCEL_CHUNK_REQUEUE: the engine gave it back unrun (work queue gone)
 */
enum migaccel_chunk_state {
	MIGACCEL_CHUNK_IDLE,
	MIGACCEL_CHUNK_INFLIGHT,
	MIGACCEL_CHUNK_DONE,
	MIGACCEL_CHUNK_REQUEUE,
};

/**
 * struct migaccel_chunk - one submission to an engine
 * @descs: member descriptors; for DSA the batch list, 64-byte aligned
 * @comps: one completion record per member, 64-byte aligned
 * @batch: DSA: the BATCH descriptor naming @descs when @nr > 1
 * @batch_comp: completion record of @batch
 * @job: the job this chunk belongs to
 * @lock: protects @engine against an abort racing the completion; leaf
 * @engine: where it runs; holds one of the engine's in-flight counts.
 *	Cleared under @lock by whoever ends the engine's hold (the
 *	completion, or an abort the engine accepted), so an abort that
 *	finds it set under @lock may use the engine
 * @class: DSA or IAA descriptors
 * @nr: number of member descriptors
 * @op: index in the job of the operation of each member
 * @ops: bit (1 << opcode) for each of its operations, as an engine's
 *	ops_mask
 * @state: &enum migaccel_chunk_state, changed with cmpxchg
 * @pending: IAA: members still in flight
 * @tried: engines this chunk already failed on, to fail over elsewhere
 * @refused: soft engine: busy refusals injected so far
 * @priv: the engine's per-chunk state (idxd: DMA mappings)
 * @comps_addr: engine address of @comps, once built for an engine
 * @node: soft engine: on its list of lost chunks
 * @work: soft engine execution
 *
 * Lives in one slab object, so the descriptor list and completion records
 * are physically contiguous, as a device needs them.
 */
struct migaccel_chunk {
	union migaccel_hw_desc descs[MIGACCEL_CHUNK_DESCS];
	union migaccel_hw_comp comps[MIGACCEL_CHUNK_DESCS];
	struct dsa_hw_desc batch;
	struct dsa_completion_record batch_comp __aligned(32);
	struct migaccel_job *job;
	spinlock_t lock; /* protects engine against abort vs. completion */
	struct migaccel_engine *engine;
	enum migaccel_class class;
	unsigned int nr;
	u16 op[MIGACCEL_CHUNK_DESCS];
	u64 ops;
	atomic_t state;
	atomic_t pending;
	u32 tried;
	u32 refused;
	void *priv;
	u64 comps_addr;
	struct list_head node;
	struct work_struct work;
};

/**
 * struct migaccel_job - the engine work of one batch call
 * @ref: held by the submitter and by each chunk in flight; once the last
 *	is dropped, a job of a channel is cleaned (pins, regions, charge) and
 *	kept as the channel's spare, its operations, chunks and bounce
 *	buffers allocated for the next batch (migaccel_job_get())
 * @pending: chunks in flight
 * @done: completed each time @pending reaches zero
 * @notify: called (any context) when @done completes, or NULL
 * @listed: an async batch: on its channel's list (under ch->lock)
 * @done_unlisted: @notify ran before @listed was set (under ch->lock)
 * @ch: the channel, for @notify and regions; holds a channel reference
 * @fault: the fault injected into this batch, if any
 * @stats: the channel's counters
 * @nr: number of operations
 * @ops: the operations
 * @dsa_chunk: most operations in one DSA chunk (the WQs' batch limit)
 * @iaa_chunk: most operations in one IAA chunk (the WQs' descriptor pools)
 * @cap: room in @ops
 * @max_chunks: room in @chunks
 * @nr_chunks: chunks of this batch, @chunks[0] to @chunks[@nr_chunks - 1]
 * @nr_alloc: chunks allocated, kept for the channel's next batch; from
 *	@nr_chunks on they are unused
 * @locked: user pages its operations pinned, charged to the RLIMIT_MEMLOCK
 *	of @ch's address space until the job is released
 * @admitted: chunks of the admission window (qos.c) it holds; given back
 *	once, when it is done or released
 * @admit_node: in its group's admission queue or the list of jobs to start
 * @admit_state: MIGACCEL_ADMIT_*; under the admission lock (qos.c)
 * @admit_seq: its arrival number in the admission queue
 * @admit_group: the group it is admitted for, its channel's
 * @nr_regions: entries of @regions
 * @max_regions: room in @regions
 * @regions: the regions its operations name, each looked up once per
 *	batch and held (a use count and a reference) until the job is
 *	released; @regions_inline, or an array allocated when more are named
 * @regions_inline: room for the first few regions
 * @runner: the task that waits for the job in migaccel_job_wait(), or
 *	NULL (an asynchronous batch): an engine may leave a chunk this task
 *	submits for it to run itself (&migaccel_engine_ops.submit)
 * @deferred: chunks left to @runner, run when it waits
 * @chunks: submissions, MIGACCEL_CHUNK_DESCS operations each at most
 */
struct migaccel_job {
	struct kref ref;
	atomic_t pending;
	struct completion done;
	void (*notify)(struct migaccel_job *job);
	bool listed;
	bool done_unlisted;
	struct migaccel_channel *ch;
	struct migaccel_fault fault;
	struct migaccel_stats *stats;
	unsigned int nr;
	struct migaccel_jop *ops;
	unsigned int dsa_chunk;
	unsigned int iaa_chunk;
	unsigned int cap;
	unsigned int max_chunks;
	unsigned int nr_chunks;
	unsigned int nr_alloc;
	unsigned long locked;
	unsigned int admitted;
	struct list_head admit_node;
	u8 admit_state;
	u64 admit_seq;
	struct migaccel_qos_group *admit_group;
	unsigned int nr_regions;
	unsigned int max_regions;
	struct migaccel_region **regions;
	struct migaccel_region *regions_inline[4];
	struct task_struct *runner;
	struct list_head deferred;
	struct migaccel_chunk *chunks[] __counted_by(max_chunks);
};

/**
 * struct migaccel_engine_ops - what an engine does with a chunk
 * @prepare: make every address the chunk's descriptors will name
 *	reachable by the engine (DMA mapping); may fail with -ENOMEM
 * @page_addr: address the engine uses for @page, after @prepare
 * @kernel_addr: address the engine uses for kernel memory at @ptr, which
 *	lies in the chunk or in an op's bounce buffer, after @prepare; over
 *	the chunk, linear (the record of slot i lies i records after the
 *	first one)
 * @submit: start @chunk; the engine later calls migaccel_chunk_complete()
 *	once, from any context.  -EBUSY: try again; other errors: the
 *	engine cannot take it.  MIGACCEL_SUBMIT_DEFERRED, allowed only when
 *	migaccel_chunk_may_defer() says so: taken, to be run by @run in the
 *	submitter's context when it waits for the job
 * @run: run a chunk @submit deferred (NULL: it never defers); the chunk
 *	is completed by the time it returns
 * @abort: the submitter gave up waiting: take @chunk back if the engine
 *	can guarantee it will never touch it again; true if it did (the
 *	engine then never calls migaccel_chunk_complete() for it).  Called
 *	under the chunk's lock, with interrupts off: must not sleep
 * @release: undo @prepare, once the engine is done with the chunk
 * @region_addr: address the engine uses for page @idx of @region, after
 *	@prepare
 * @map_region: map a region for the engine's device (NULL: none needed)
 * @unmap_region: undo @map_region
 */
struct migaccel_engine_ops {
	int (*prepare)(struct migaccel_engine *engine,
		       struct migaccel_chunk *chunk);
	u64 (*page_addr)(struct migaccel_engine *engine,
			 struct migaccel_chunk *chunk, struct page *page);
	u64 (*kernel_addr)(struct migaccel_engine *engine,
			   struct migaccel_chunk *chunk, void *ptr);
	int (*submit)(struct migaccel_engine *engine,
		      struct migaccel_chunk *chunk);
	void (*run)(struct migaccel_engine *engine,
		    struct migaccel_chunk *chunk);
	bool (*abort)(struct migaccel_engine *engine,
		      struct migaccel_chunk *chunk);
	void (*release)(struct migaccel_engine *engine,
			struct migaccel_chunk *chunk);
	u64 (*region_addr)(struct migaccel_engine *engine,
			   struct migaccel_chunk *chunk,
			   struct migaccel_region *region, unsigned long idx);
	int (*map_region)(struct migaccel_engine *engine,
			  struct migaccel_region *region);
	void (*unmap_region)(struct migaccel_engine *engine,
			     struct migaccel_region *region);
};

/**
 * struct migaccel_engine - an executor of DSA/IAA descriptors
 * @name: for logs
 * @kind: MIGACCEL_ENGINE_SOFT, _DSA or _IAA
 * @id: small number naming it, unique while it exists
 * @wq_id: work queue id on its device; -1 for the soft engine
 * @numa_node: node of the device, NUMA_NO_NODE for the soft engine
 * @ops_mask: bit (1 << opcode) for each &enum migaccel_opcode it executes
 * @depth: chunks it works on at once; what it adds to the admission
 *	window (qos.c) while published
 * @max_batch: DSA: most descriptors in one batch; IAA: descriptors its
 *	work queue can hold at once
 * @ops: how to reach memory and submit
 * @phys: @ops->page_addr is page_to_phys() and @ops->kernel_addr
 *	virt_to_phys() (the soft engine): descriptors are built without
 *	calling them
 * @node: in migaccel_engines (or, once unpublished and until its id is
 *	freed, the dying engines), under migaccel_engines_lock
 * @dead: set once it is going away: pick it no more
 * @inflight: chunks that picked it and are not released yet
 * @drained: woken when @inflight drops to zero
 * @submitted: chunks submitted
 * @completed: chunks completed
 * @errors: descriptors that ended in an error status
 * @cpu_completions: operations it left for the CPU to finish (errors,
 *	faults, aborts after a timeout)
 *
 * The counters are read without a lock by the netlink engine dump.
 */
struct migaccel_engine {
	const char *name;
	u32 kind;
	u32 id;
	int wq_id;
	int numa_node;
	u64 ops_mask;
	u32 depth;
	u32 max_batch;
	const struct migaccel_engine_ops *ops;
	bool phys;
	struct list_head node;
	bool dead;
	atomic_t inflight;
	wait_queue_head_t drained;
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
/* migaccel_qos_admit(): the job waits for room; it is started for you. */
#define MIGACCEL_QOS_QUEUED	1

/* Where a job is in admission (qos.c). */
enum {
	MIGACCEL_ADMIT_NONE,	/* not queued: started, or never queued */
	MIGACCEL_ADMIT_QUEUED,	/* waiting for room */
	MIGACCEL_ADMIT_STARTING,	/* admitted, being started */
};

/* main.c */
extern unsigned int migaccel_timeout_ms;
extern unsigned int migaccel_busy_retries;
extern unsigned int migaccel_poll_us;
extern unsigned int migaccel_max_async;
extern bool migaccel_soft_null;

/* engine.c */
void migaccel_engine_add(struct migaccel_engine *engine);
void migaccel_engine_del(struct migaccel_engine *engine);
void migaccel_engine_free_id(struct migaccel_engine *engine);
void migaccel_engine_drain(struct migaccel_engine *engine,
			   unsigned int timeout_ms);
u32 migaccel_engine_kinds(void);
unsigned int migaccel_engine_window(void);
unsigned int migaccel_engine_chunk_size(enum migaccel_class class);
int migaccel_engine_for_each(unsigned long *pos,
			     int (*fn)(struct migaccel_engine *engine,
				       void *arg),
			     void *arg);
struct migaccel_engine *migaccel_engine_pick(enum migaccel_class class,
					     u32 exclude);
void migaccel_engine_put(struct migaccel_engine *engine);
struct migaccel_job *migaccel_job_alloc(unsigned int nr);
struct migaccel_job *migaccel_job_get(struct migaccel_channel *ch,
				      unsigned int nr);
void migaccel_job_put(struct migaccel_job *job);
void migaccel_job_free_spare(struct migaccel_channel *ch);
struct migaccel_chunk *migaccel_job_new_chunk(struct migaccel_job *job,
					      enum migaccel_class class);
int migaccel_job_add_chunk(struct migaccel_job *job, enum migaccel_class class,
			   const unsigned int *ops, unsigned int nr);
int migaccel_job_add_run(struct migaccel_job *job, enum migaccel_class class,
			 unsigned int first, unsigned int nr);
int migaccel_job_run(struct migaccel_job *job);
void migaccel_job_start(struct migaccel_job *job);
void migaccel_job_start_on_cpu(struct migaccel_job *job);
int migaccel_job_wait(struct migaccel_job *job, unsigned long timeout);
void migaccel_job_let_go(struct migaccel_job *job);
bool migaccel_job_abort(struct migaccel_job *job);
bool migaccel_job_requeue(struct migaccel_job *job);
int migaccel_engines_map_region(struct migaccel_region *region);
unsigned int migaccel_engines_collect(u32 kinds, struct migaccel_engine **out,
				      unsigned int max);
void migaccel_engines_unmap_region(struct migaccel_region *region);
void migaccel_chunk_complete(struct migaccel_chunk *chunk, bool requeue);
bool migaccel_chunk_may_defer(const struct migaccel_chunk *chunk);
int migaccel_engine_init(void);
void migaccel_engine_exit(void);

/* desc.h: the descriptor builders; desc.c */
#include "desc.h"
u64 migaccel_comp_crc64(const struct iax_completion_record *comp);
void migaccel_comp_set_crc64(struct iax_completion_record *comp, u64 crc);
bool migaccel_comp_zero_page(const struct dsa_completion_record *comp,
			     u32 len, u32 *resume);
u32 migaccel_dsa_batch_max(u32 max_batch_size);
u32 migaccel_delta_max_size(u32 dst_len);
u64 migaccel_wq_ops_mask(bool iaa, const unsigned long *opcap, u64 max_xfer);

/* soft.c */
extern struct migaccel_engine migaccel_soft_engine;
void migaccel_soft_exec_dsa(const struct dsa_hw_desc *desc,
			    const u32 *fault_at);
void migaccel_soft_exec_iax(const struct iax_hw_desc *desc,
			    const u32 *fault_at);
int migaccel_soft_init(void);
bool migaccel_soft_running(void);
void migaccel_soft_exit(void);

/* crc64.c */
u64 migaccel_crc64_xpow(unsigned int n);
u64 migaccel_crc64_mu(void);
u64 migaccel_crc64_be(u64 crc, const void *p, size_t len);
bool migaccel_crc64_pclmul_enabled(void);
void migaccel_crc64_init(void);

/* cpu.c */
/*
 * Most bytes the SIMD helpers (zero prefix, CRC64) handle per
 * kernel_fpu_begin(), which disables preemption: a page, as the kernel's
 * own SIMD code does.
 */
#define MIGACCEL_FPU_CHUNK	4096

/* The OR of the 64 bytes at @p, as words. */
static __always_inline u64 migaccel_or64(const u8 *p)
{
	return get_unaligned((const u64 *)p) |
	       get_unaligned((const u64 *)(p + 8)) |
	       get_unaligned((const u64 *)(p + 16)) |
	       get_unaligned((const u64 *)(p + 24)) |
	       get_unaligned((const u64 *)(p + 32)) |
	       get_unaligned((const u64 *)(p + 40)) |
	       get_unaligned((const u64 *)(p + 48)) |
	       get_unaligned((const u64 *)(p + 56));
}

size_t migaccel_zero_prefix_words(const void *p, size_t len);
size_t migaccel_zero_prefix(const void *p, size_t len);
bool migaccel_zero_prefix_simd(void);
bool migaccel_cpu_zero(const void *page, u32 from);
u32 migaccel_cpu_crc32c(u32 seed, const void *p, u32 len);
u64 migaccel_cpu_crc64(const void *p, u32 len);
int migaccel_cpu_delta_create(const void *old, const void *new, u32 from,
			      u8 *rec, u32 rec_size, u32 max);
int migaccel_cpu_delta_check(const u8 *rec, u32 size, u32 len);
void migaccel_cpu_delta_apply(void *page, const u8 *rec, u32 size);
int migaccel_cpu_compress(const void *page, void *out, u32 max);
int migaccel_cpu_inflate(const void *in, u32 len, void *out, u32 max,
			 bool first_eob, u32 *out_size);
int migaccel_cpu_decompress(const void *in, u32 len, void *page);
int migaccel_cpu_init(void);
void migaccel_cpu_exit(void);

/* ops.c */
int migaccel_chunk_slot_of(const struct migaccel_chunk *chunk, u32 op);
void migaccel_op_build(struct migaccel_jop *jop, struct migaccel_chunk *chunk,
		       unsigned int slot);
void migaccel_chunk_build(struct migaccel_chunk *chunk);
bool migaccel_op_finish(struct migaccel_jop *jop);
void migaccel_job_finish(struct migaccel_job *job, unsigned long *bitmap,
			 u32 *count);
bool migaccel_comp_compress_overflow(const struct iax_completion_record *comp);

/**
 * migaccel_op_class() - the device kind that runs an operation
 * @opcode: a valid &enum migaccel_opcode
 *
 * Context: any.
 * Return: MIGACCEL_CLASS_IAA for (de)compression and CRC64, else DSA.
 */
static inline enum migaccel_class migaccel_op_class(u32 opcode)
{
	switch (opcode) {
	case MIGACCEL_OP_COMPRESS:
	case MIGACCEL_OP_DECOMPRESS:
	case MIGACCEL_OP_CRC64:
		return MIGACCEL_CLASS_IAA;
	default:
		return MIGACCEL_CLASS_DSA;
	}
}

/* batch.c */
int migaccel_batch_run(struct migaccel_channel *ch, struct migaccel_batch *cmd);
int migaccel_zero_scan_run(struct migaccel_channel *ch,
			   struct migaccel_zero_scan *cmd);
int migaccel_reap(struct migaccel_channel *ch, struct migaccel_reap *cmd);
bool migaccel_async_ready(struct migaccel_channel *ch);
void migaccel_async_deadline(struct migaccel_channel *ch);
void migaccel_async_release(struct migaccel_channel *ch);

/* region.c */
extern struct mutex migaccel_regions_lock;
int migaccel_region_register(struct migaccel_channel *ch,
			     struct migaccel_region_register *cmd);
int migaccel_region_unregister(struct migaccel_channel *ch,
			       struct migaccel_region_unregister *cmd);
void migaccel_region_forget(struct migaccel_channel *ch, u32 id);
void migaccel_memlock_uncharge(struct mm_struct *mm, unsigned long pages);
struct migaccel_region *migaccel_region_get(struct migaccel_channel *ch,
					    u32 id);
void migaccel_region_put(struct migaccel_region *r, wait_queue_head_t *wait);
void migaccel_regions_release(struct migaccel_channel *ch);
int migaccel_job_region(struct migaccel_job *job, u32 id,
			struct migaccel_region **out);
void migaccel_regions_engine_add(struct migaccel_engine *engine);
void migaccel_regions_engine_del(struct migaccel_engine *engine);
int migaccel_region_dma_get(struct migaccel_region *r, unsigned int id,
			    struct device *dev);
void migaccel_region_dma_put(struct migaccel_region *r, unsigned int id);
void migaccel_region_meta(struct migaccel_region *r, u64 *bytes,
			  u32 *devices);
u32 migaccel_region_runs(struct page * const *pages, u32 nr,
			 unsigned long max_pages, u32 *run_start);
bool migaccel_region_dma_by_runs(u32 nr_runs, u32 nr_pages);
size_t migaccel_region_dma_bytes(const struct migaccel_region_dma *m,
				 u32 nr_pages);
u32 migaccel_region_dma_run(const struct migaccel_region_dma *m,
			    unsigned long idx);

/**
 * migaccel_region_dma_addr() - bus address of a page of a mapped region
 * @m: the region's mapping for a device
 * @idx: index of the page in the region
 * @hint: the run found last for the same caller (a chunk), updated; any
 *	value is safe
 *
 * Operations of a chunk name pages mostly in order: the run of the
 * previous page, then the next run, are tried before a binary search.
 *
 * Context: any; takes no lock (@m outlives the chunks of its engines).
 * Return: the bus address of the page's first byte.
 */
static __always_inline dma_addr_t
migaccel_region_dma_addr(const struct migaccel_region_dma *m,
			 unsigned long idx, u32 *hint)
{
	u32 i = *hint;

	if (!m->run_start)
		return m->addr[idx];
	if (i >= m->nr_maps || idx < m->run_start[i] ||
	    idx >= m->run_start[i + 1]) {
		i++;
		if (i >= m->nr_maps || idx < m->run_start[i] ||
		    idx >= m->run_start[i + 1])
			i = migaccel_region_dma_run(m, idx);
		*hint = i;
	}
	return m->addr[i] + ((dma_addr_t)(idx - m->run_start[i]) << PAGE_SHIFT);
}

/**
 * migaccel_region_page() - the page at an offset of a region
 * @r: the region
 * @offset: offset of the page, page aligned
 * @len: bytes from @offset the caller will use
 * @index: set to the page's index in the region
 *
 * Context: any.
 * Return: the page, or NULL when the range is outside the region.
 */
static inline struct page *migaccel_region_page(struct migaccel_region *r,
						u64 offset, u64 len,
						unsigned long *index)
{
	if (offset >= r->length || len > r->length - offset)
		return NULL;
	*index = offset >> PAGE_SHIFT;
	return r->pages[*index];
}

/* inject.c */
extern struct migaccel_stats migaccel_stats;
void migaccel_inject_init_one(struct migaccel_inject *inj);
void migaccel_inject_take(struct migaccel_inject *inj,
			  struct migaccel_fault *fault);
void migaccel_count(struct migaccel_stats *stats, enum migaccel_stat which,
		    s64 n);
int migaccel_debugfs_channel_add(struct migaccel_channel *ch);
void migaccel_debugfs_channel_del(struct migaccel_channel *ch);
int migaccel_debugfs_init(void);
void migaccel_debugfs_exit(void);

/* main.c */
/**
 * struct migaccel_channel - one open /dev/migaccel
 * @ref: held by the open file and by each job of the channel
 * @mm: address space of the opener; only it may submit work
 * @id: number naming it in debugfs and MIGACCEL_INFO
 * @inject: faults to inject into its batches
 * @stats: its counters
 * @debugfs: its debugfs directory
 * @regions: registered regions by id
 * @wait: woken when an async batch completes or a region is let go
 * @lock: protects @async and @eventfd; taken in the deadline timer and
 *	by completions, so with interrupts off
 * @async: asynchronous batches not reaped yet, in submission order
 * @nr_async: entries of @async, and places taken by batches being
 *	submitted; at most migaccel_max_async
 * @eventfd: signalled once per completed async batch, or NULL
 * @deadline: fires at each deadline of an async batch (armed at the
 *	earliest, then again at the next), so that poll and a waiting reap
 *	see it give up on a device
 * @sva: SVA bindings, per engine id
 * @sva_dev: the device each of @sva binds
 * @client: the opener's process, as the control plane sees it
 * @qos: this channel's share of its client group's bandwidth
 * @spare: a released job kept for the next batch, or NULL; taken and
 *	put back with xchg()/cmpxchg(), freed with the channel
 */
struct migaccel_channel {
	struct kref ref;
	struct mm_struct *mm;
	u32 id;
	struct migaccel_inject inject;
	struct migaccel_stats stats;
	struct dentry *debugfs;
	struct xarray regions;
	wait_queue_head_t wait;
	spinlock_t lock; /* protects async, nr_async and eventfd */
	struct list_head async;
	unsigned int nr_async;
	struct eventfd_ctx *eventfd;
	struct timer_list deadline;
	struct iommu_sva *sva[MIGACCEL_MAX_ENGINES];
	struct device *sva_dev[MIGACCEL_MAX_ENGINES];
	struct migaccel_client *client;
	struct migaccel_channel_qos qos;
	struct migaccel_job *spare;
};

void migaccel_channel_put(struct migaccel_channel *ch);

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
int migaccel_qos_admit(struct migaccel_channel_qos *q, struct migaccel_job *job);
bool migaccel_qos_admit_cancel(struct migaccel_job *job);
void migaccel_qos_admit_run(void);
void migaccel_qos_admit_end(struct migaccel_job *job);
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
size_t migaccel_aecs_init_fixed(void *buf);
int migaccel_idxd_init(void);
void migaccel_idxd_exit(void);
int migaccel_idxd_sva_bind(struct migaccel_channel *ch,
			   struct migaccel_sva_bind *cmd);
void migaccel_idxd_sva_unbind(struct migaccel_channel *ch);

#endif /* _MIGACCEL_H */
