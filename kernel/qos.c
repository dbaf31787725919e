// SPDX-License-Identifier: GPL-2.0
/*
 * Bandwidth control between client groups, after CFS bandwidth control.
 *
 * A group has a quota of engine work (bytes) per period.  Its channels take
 * the quota from the group's pool in slices and charge their batches
 * against their own slice.  A slice a channel did not use stays with it
 * across period boundaries: expiring it would throttle a group of many
 * channels that each submit a little, while the group as a whole uses far
 * less than its quota (the 2019 CFS fix "remove expiration of cpu-local
 * slices").  The price is the burst bound: in any window, a group can run
 * at most its quota for each period the window touches plus the slices its
 * channels held when the window began.
 *
 * Periods are not driven by a timer.  They are numbered from boot
 * (ktime_get_ns() / period) and a group's pool is refilled lazily by the
 * first charge in a new period; a throttled channel sleeps until the next
 * boundary and tries again.
 *
 * A quota is a cap.  When the groups' limits add up to more than the
 * engines can do, who gets the engines is decided by admission: a job
 * takes its chunks from a window as large as the chunks the published
 * engines work on at once (their depths), and waits when the window is
 * full.  Waiting jobs are admitted in the order of their group's virtual
 * time (start-time fair queueing): a group's clock advances by the bytes
 * it was admitted divided by its weight, its limit in bytes per second,
 * so that busy groups share the engines in proportion to their limits.
 * A group that was idle starts at the current virtual time: what it did
 * not use is not saved up.  While the window has room nobody waits.
 */
#include <linux/cgroup.h>
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <kunit/visibility.h>

#include <linux/migaccel_nl.h>
#include "migaccel.h"

#define QOS_DEFAULT_PERIOD_US	100000u
/* Default slice: this fraction of the quota, at least one page. */
#define QOS_SLICE_SHIFT		4
/* The weight of a group without a limit, as if limited to 4 GiB/s. */
#define QOS_UNLIMITED_KIBPS	(4u << 20)

static bool qos_fair = true;
module_param_named(fair, qos_fair, bool, 0644);
MODULE_PARM_DESC(fair,
		 "admit jobs to full engines in client group order, weighted by their limits (N: first come, first served)");

/**
 * struct migaccel_qos_group - a client group and its bandwidth limit
 * @ref: held by each member channel, each client that defaults to the
 *	group, and for a cgroup group by migaccel_groups
 * @node: in migaccel_groups, under migaccel_groups_lock
 * @kind: MIGACCEL_GROUP_KIND_PROCESS or _CGROUP
 * @pid: the process of a process group
 * @cgroup_id: the cgroup of a cgroup group
 * @lock: protects everything below, and the slices of member channels
 * @quota: bytes per period; 0 is unlimited
 * @period_ns: length of a period
 * @slice: bytes a channel takes at a time; 0 for quota >> QOS_SLICE_SHIFT
 * @cpu_fallback: throttled channels run on the CPU instead of waiting
 * @runtime: bytes left in the pool for period @period_idx
 * @period_idx: the period @runtime belongs to
 * @throttled_in_period: a channel was throttled in period @period_idx
 * @channels: member channels
 * @usage: bytes charged
 * @outstanding: bytes held by member channels as slices
 * @nr_periods: periods in which the group charged work
 * @nr_throttled: periods in which a channel was throttled
 * @throttled_time: ns member channels spent waiting, summed
 * @vtime: virtual time of the group's next admission; under
 *	qos_admission.lock
 * @weight: bytes per second (in KiB) the group's limit allows, or
 *	QOS_UNLIMITED_KIBPS; written under @lock, read under qos_admission.lock
 * @waiting: its jobs waiting for admission, in arrival order; under
 *	qos_admission.lock
 * @active: in qos_admission.groups while @waiting is not empty
 */
struct migaccel_qos_group {
	struct kref ref;
	struct list_head node;
	u32 kind;
	struct pid *pid;
	u64 cgroup_id;

	spinlock_t lock;	/* quota, stats, member channels' slices */
	u64 quota;
	u64 period_ns;
	u32 slice;
	bool cpu_fallback;
	u64 runtime;
	u64 period_idx;
	bool throttled_in_period;
	u32 channels;
	u64 usage;
	u64 outstanding;
	u64 nr_periods;
	u64 nr_throttled;
	u64 throttled_time;
	u64 vtime;
	u32 weight;
	struct list_head waiting;
	struct list_head active;
};

/*
 * The admission window of all engines.  @lock is taken with interrupts
 * off (jobs end in any context) and is innermost: nothing is taken under
 * it but the scheduler's (queue_work()).  @inflight: chunks admitted jobs
 * hold; @vclock: the start time of the last admitted job; @groups: the
 * groups with jobs waiting for room, each group's in its @waiting; @seq:
 * the arrival number of the last job queued; @ready: jobs admitted from
 * the groups, which qos_admit_work starts.  Choosing the next job looks
 * at each waiting group's first job only.
 */
static struct {
	spinlock_t lock;	/* everything here, the groups' vtime, jobs' admit_* */
	unsigned int inflight;
	u64 vclock;
	struct list_head groups;
	u64 seq;
	struct list_head ready;
} qos_admission = {
	.lock = __SPIN_LOCK_UNLOCKED(qos_admission.lock),
	.groups = LIST_HEAD_INIT(qos_admission.groups),
	.ready = LIST_HEAD_INIT(qos_admission.ready),
};

static void qos_admit_work_fn(struct work_struct *work);
static DECLARE_WORK(qos_admit_work, qos_admit_work_fn);

/* Protects migaccel_groups; inside migaccel_clients_lock. */
static DEFINE_MUTEX(migaccel_groups_lock);
static LIST_HEAD(migaccel_groups);

static struct migaccel_qos_group *qos_group_alloc(u32 kind)
{
	struct migaccel_qos_group *g;

	g = kzalloc(sizeof(*g), GFP_KERNEL);
	if (!g)
		return NULL;
	kref_init(&g->ref);
	spin_lock_init(&g->lock);
	g->kind = kind;
	g->period_ns = (u64)QOS_DEFAULT_PERIOD_US * NSEC_PER_USEC;
	g->weight = QOS_UNLIMITED_KIBPS;
	INIT_LIST_HEAD(&g->waiting);
	INIT_LIST_HEAD(&g->active);
	return g;
}

/* Called by kref_put_mutex() with migaccel_groups_lock held; drops it. */
static void qos_group_release(struct kref *ref)
{
	struct migaccel_qos_group *g =
		container_of(ref, struct migaccel_qos_group, ref);

	list_del(&g->node);
	mutex_unlock(&migaccel_groups_lock);
	put_pid(g->pid);
	kfree(g);
}

/**
 * migaccel_qos_group_put() - drop a reference to a group
 * @group: the group
 *
 * Context: process context; may take migaccel_groups_lock.
 */
void migaccel_qos_group_put(struct migaccel_qos_group *group)
{
	kref_put_mutex(&group->ref, qos_group_release, &migaccel_groups_lock);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_qos_group_put);

static u64 current_cgroup_id(void)
{
	u64 id = 0;

#ifdef CONFIG_CGROUPS
	rcu_read_lock();
	id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
#endif
	return id;
}

static struct migaccel_qos_group *qos_group_find(u32 kind, u64 id)
{
	struct migaccel_qos_group *g;

	lockdep_assert_held(&migaccel_groups_lock);
	list_for_each_entry(g, &migaccel_groups, node) {
		if (g->kind != kind)
			continue;
		if (kind == MIGACCEL_GROUP_KIND_CGROUP ? g->cgroup_id == id :
		    pid_vnr(g->pid) == id)
			return g;
	}
	return NULL;
}

/**
 * migaccel_qos_group_for_current() - the group a new client joins
 * @tgid: the client's process
 *
 * A cgroup group set up for the cgroup of the current task, else a new
 * process group of its own.
 *
 * Context: process context; takes migaccel_groups_lock.  The caller holds
 * migaccel_clients_lock, so a process gets one process group.
 * Return: the group with a reference for the caller, or NULL.
 */
struct migaccel_qos_group *migaccel_qos_group_for_current(struct pid *tgid)
{
	u64 cgid = current_cgroup_id();
	struct migaccel_qos_group *g;

	mutex_lock(&migaccel_groups_lock);
	g = cgid ? qos_group_find(MIGACCEL_GROUP_KIND_CGROUP, cgid) : NULL;
	if (g) {
		kref_get(&g->ref);
	} else {
		g = qos_group_alloc(MIGACCEL_GROUP_KIND_PROCESS);
		if (g) {
			g->pid = get_pid(tgid);
			list_add_tail(&g->node, &migaccel_groups);
		}
	}
	mutex_unlock(&migaccel_groups_lock);
	return g;
}

/**
 * migaccel_qos_group_lookup() - find a group by what identifies it
 * @kind: MIGACCEL_GROUP_KIND_PROCESS or _CGROUP
 * @id: process id in the caller's pid namespace, or cgroup id
 * @create: create a cgroup group that does not exist yet; it then lives
 *	until the module is unloaded
 *
 * Context: process context; takes migaccel_groups_lock.
 * Return: the group with a reference, ERR_PTR(-ENOENT) or ERR_PTR(-ENOMEM).
 */
struct migaccel_qos_group *migaccel_qos_group_lookup(u32 kind, u64 id,
						     bool create)
{
	struct migaccel_qos_group *g;

	mutex_lock(&migaccel_groups_lock);
	g = qos_group_find(kind, id);
	if (g) {
		kref_get(&g->ref);
	} else if (create && kind == MIGACCEL_GROUP_KIND_CGROUP) {
		g = qos_group_alloc(kind);
		if (g) {
			g->cgroup_id = id;
			/* One reference for the list, one for the caller. */
			kref_get(&g->ref);
			list_add_tail(&g->node, &migaccel_groups);
		} else {
			g = ERR_PTR(-ENOMEM);
		}
	} else {
		g = ERR_PTR(-ENOENT);
	}
	mutex_unlock(&migaccel_groups_lock);
	return g;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_qos_group_lookup);

/**
 * migaccel_qos_group_for_each() - call @fn for the groups from *@pos on
 * @pos: index of the first group; advanced past each group @fn accepted
 * @fn: returns 0 to go on, anything else to stop
 * @arg: passed to @fn
 *
 * Context: process context; @fn runs under migaccel_groups_lock.
 * Return: what @fn returned when it stopped, else 0.
 */
int migaccel_qos_group_for_each(unsigned long *pos,
				int (*fn)(struct migaccel_qos_group *group,
					  void *arg),
				void *arg)
{
	struct migaccel_qos_group *g;
	unsigned long i = 0;
	int ret = 0;

	mutex_lock(&migaccel_groups_lock);
	list_for_each_entry(g, &migaccel_groups, node) {
		if (i++ < *pos)
			continue;
		ret = fn(g, arg);
		if (ret)
			break;
		(*pos)++;
	}
	mutex_unlock(&migaccel_groups_lock);
	return ret;
}

/**
 * migaccel_qos_group_read() - a consistent snapshot of a group
 * @group: the group
 * @ns: pid namespace to express the process id of a process group in
 * @info: filled in
 *
 * Context: any context that can take a spinlock; takes @group->lock.
 */
void migaccel_qos_group_read(struct migaccel_qos_group *group,
			     struct pid_namespace *ns,
			     struct migaccel_qos_info *info)
{
	memset(info, 0, sizeof(*info));
	info->kind = group->kind;
	info->id = group->kind == MIGACCEL_GROUP_KIND_CGROUP ?
		   group->cgroup_id : pid_nr_ns(group->pid, ns);
	spin_lock(&group->lock);
	info->quota = group->quota;
	info->period_us = div_u64(group->period_ns, NSEC_PER_USEC);
	info->slice = group->slice;
	info->cpu_fallback = group->cpu_fallback;
	info->channels = group->channels;
	info->usage = group->usage;
	info->nr_periods = group->nr_periods;
	info->nr_throttled = group->nr_throttled;
	info->throttled_time = group->throttled_time;
	info->outstanding = group->outstanding;
	spin_unlock(&group->lock);
}

/**
 * migaccel_qos_group_set() - change a group's limit
 * @group: the group
 * @info: the new values
 * @mask: MIGACCEL_QOS_SET_* bits naming the fields of @info to apply
 *
 * The pool starts over with a full quota in the current period.  Slices
 * that channels hold stay theirs.
 *
 * Context: any context that can take a spinlock; takes @group->lock.
 */
void migaccel_qos_group_set(struct migaccel_qos_group *group,
			    const struct migaccel_qos_info *info,
			    unsigned int mask)
{
	spin_lock(&group->lock);
	if (mask & MIGACCEL_QOS_SET_QUOTA)
		group->quota = info->quota;
	if (mask & MIGACCEL_QOS_SET_PERIOD)
		group->period_ns = (u64)info->period_us * NSEC_PER_USEC;
	if (mask & MIGACCEL_QOS_SET_SLICE)
		group->slice = info->slice;
	if (mask & MIGACCEL_QOS_SET_CPU_FALLBACK)
		group->cpu_fallback = info->cpu_fallback;
	if (group->quota) {
		u64 kibps = div64_u64(group->quota * (NSEC_PER_SEC >> 10),
				      group->period_ns);

		WRITE_ONCE(group->weight, clamp_t(u64, kibps, 1, U32_MAX));
	} else {
		WRITE_ONCE(group->weight, QOS_UNLIMITED_KIBPS);
	}
	group->runtime = group->quota;
	group->period_idx = div64_u64(ktime_get_ns(), group->period_ns);
	group->throttled_in_period = false;
	spin_unlock(&group->lock);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_qos_group_set);

/**
 * migaccel_qos_channel_init() - make a new channel a member of a group
 * @q: the channel's QoS state
 * @group: the group; the channel takes its own reference
 *
 * Context: any context that can take a spinlock.
 */
void migaccel_qos_channel_init(struct migaccel_channel_qos *q,
			       struct migaccel_qos_group *group)
{
	kref_get(&group->ref);
	q->group = group;
	q->slice_left = 0;
	spin_lock(&group->lock);
	group->channels++;
	spin_unlock(&group->lock);
}

/**
 * migaccel_qos_channel_exit() - a channel leaves its group
 * @q: the channel's QoS state
 *
 * What is left of its slice goes back to the group's pool.
 *
 * Context: process context; may take migaccel_groups_lock.
 */
void migaccel_qos_channel_exit(struct migaccel_channel_qos *q)
{
	struct migaccel_qos_group *g = q->group;

	spin_lock(&g->lock);
	g->channels--;
	g->outstanding -= q->slice_left;
	if (g->quota)
		g->runtime += q->slice_left;
	q->slice_left = 0;
	spin_unlock(&g->lock);
	q->group = NULL;
	migaccel_qos_group_put(g);
}

/* Start a new period if the clock has moved into one. */
static void qos_refresh(struct migaccel_qos_group *g, u64 now)
{
	u64 idx = div64_u64(now, g->period_ns);

	lockdep_assert_held(&g->lock);
	if (idx == g->period_idx)
		return;
	g->period_idx = idx;
	g->runtime = g->quota;
	g->throttled_in_period = false;
	g->nr_periods++;
}

/* Move quota from the pool to the channel, a slice or what it needs. */
static void qos_take_slice(struct migaccel_channel_qos *q,
			   struct migaccel_qos_group *g, u64 bytes)
{
	u64 slice = g->slice ?: max_t(u64, g->quota >> QOS_SLICE_SHIFT,
				      MIGACCEL_PAGE_SIZE);
	u64 got;

	lockdep_assert_held(&g->lock);
	got = min(max(bytes - q->slice_left, slice), g->runtime);
	g->runtime -= got;
	g->outstanding += got;
	q->slice_left += got;
}

/* Sleep until @wake_ns on the monotonic clock; only a fatal signal wakes. */
static int qos_sleep_until(u64 wake_ns)
{
	ktime_t wake = ns_to_ktime(wake_ns);

	set_current_state(TASK_KILLABLE);
	schedule_hrtimeout(&wake, HRTIMER_MODE_ABS);
	return fatal_signal_pending(current) ? -EINTR : 0;
}

/**
 * migaccel_qos_charge() - account engine work before it is submitted
 * @q: the submitting channel's QoS state
 * @bytes: bytes of work the engine will do
 *
 * Takes @bytes from the channel's slice, refilling the slice from the
 * group's pool.  When the pool of the current period is empty, the channel
 * is throttled: it sleeps until the next period and tries again, or, if
 * the group has cpu_fallback set, is told to run the work on the CPU
 * (which uses no quota).  Work larger than the quota is let through once
 * the channel has saved up enough over several periods.
 *
 * Context: process context; may sleep, killable.
 * Return: 0 to submit the work to the engine, MIGACCEL_QOS_RUN_ON_CPU to
 * run it on the CPU, -EINTR if a fatal signal arrived while throttled.
 */
int migaccel_qos_charge(struct migaccel_channel_qos *q, u64 bytes)
{
	struct migaccel_qos_group *g = q->group;
	u64 now = ktime_get_ns(), wake, slept;
	bool notify, fallback;
	int ret;

	for (;;) {
		spin_lock(&g->lock);
		qos_refresh(g, now);
		if (g->quota && q->slice_left < bytes)
			qos_take_slice(q, g, bytes);
		if (!g->quota || q->slice_left >= bytes) {
			if (g->quota) {
				q->slice_left -= bytes;
				g->outstanding -= bytes;
			}
			g->usage += bytes;
			spin_unlock(&g->lock);
			return 0;
		}
		notify = !g->throttled_in_period;
		if (notify) {
			g->throttled_in_period = true;
			g->nr_throttled++;
		}
		fallback = g->cpu_fallback;
		wake = (g->period_idx + 1) * g->period_ns;
		spin_unlock(&g->lock);

		if (notify)
			migaccel_nl_notify_throttled(g);
		if (fallback)
			return MIGACCEL_QOS_RUN_ON_CPU;

		ret = qos_sleep_until(wake);
		slept = ktime_get_ns() - now;
		now += slept;
		spin_lock(&g->lock);
		g->throttled_time += slept;
		spin_unlock(&g->lock);
		if (ret)
			return ret;
	}
}

/* The virtual time @g's next job starts at. */
static u64 qos_vstart(const struct migaccel_qos_group *g)
{
	return max(g->vtime, qos_admission.vclock);
}

static void qos_admit_locked(struct migaccel_job *job, unsigned int cost)
{
	struct migaccel_qos_group *g = job->admit_group;
	u64 start = qos_vstart(g), bytes = (u64)job->nr * MIGACCEL_PAGE_SIZE;

	lockdep_assert_held(&qos_admission.lock);
	qos_admission.inflight += cost;
	qos_admission.vclock = start;
	/* Bytes over KiB/s, in units of 2^-32 s (a job is below 2^40 B). */
	g->vtime = start + div_u64(bytes << 22, READ_ONCE(g->weight));
	job->admitted = cost;
}

static unsigned int qos_cost(const struct migaccel_job *job)
{
	return max(job->nr_chunks, 1u);
}

static void qos_enqueue(struct migaccel_job *job)
{
	struct migaccel_qos_group *g = job->admit_group;

	lockdep_assert_held(&qos_admission.lock);
	if (list_empty(&g->waiting))
		list_add_tail(&g->active, &qos_admission.groups);
	list_add_tail(&job->admit_node, &g->waiting);
	job->admit_seq = ++qos_admission.seq;
	job->admit_state = MIGACCEL_ADMIT_QUEUED;
}

static void qos_dequeue(struct migaccel_job *job)
{
	struct migaccel_qos_group *g = job->admit_group;

	lockdep_assert_held(&qos_admission.lock);
	list_del_init(&job->admit_node);
	if (list_empty(&g->waiting))
		list_del_init(&g->active);
}

/*
 * The waiting job to admit next: the first of the group with the earliest
 * virtual start, the earlier arrival between groups that tie.
 */
static struct migaccel_job *qos_next(void)
{
	struct migaccel_job *job, *best = NULL;
	struct migaccel_qos_group *g;
	u64 vstart, best_vstart = 0;

	list_for_each_entry(g, &qos_admission.groups, active) {
		job = list_first_entry(&g->waiting, struct migaccel_job,
				       admit_node);
		vstart = qos_vstart(g);
		if (!best || vstart < best_vstart ||
		    (vstart == best_vstart && job->admit_seq < best->admit_seq)) {
			best = job;
			best_vstart = vstart;
		}
	}
	return best;
}

/*
 * Admit waiting jobs, earliest virtual start first, while the window has
 * room (all of them once no engine is left: window 0), and have
 * qos_admit_work start them.
 */
static void qos_dispatch(unsigned int window)
{
	struct migaccel_job *best;

	lockdep_assert_held(&qos_admission.lock);
	while ((!window || qos_admission.inflight < window) &&
	       !list_empty(&qos_admission.groups)) {
		best = qos_next();
		qos_dequeue(best);
		qos_admit_locked(best, qos_cost(best));
		best->admit_state = MIGACCEL_ADMIT_STARTING;
		/* The starter's own: the submitter may be done with it first. */
		kref_get(&best->ref);
		list_add_tail(&best->admit_node, &qos_admission.ready);
		if (!migaccel_soft_running())
			queue_work(system_highpri_wq, &qos_admit_work);
	}
}

/**
 * migaccel_qos_admit_run() - start the jobs admitted from the queue
 *
 * Run by qos_admit_work, or by a soft engine worker when it completed a
 * chunk, not where room frees (an engine's completion may be a job's own
 * start, or hold the locks of a work queue going away).  A worker started
 * for it gets a CPU sooner than the submitters it would otherwise wake;
 * the soft engine's worker needs no other to be woken at all.
 *
 * Context: process context, no lock held; may sleep.
 */
void migaccel_qos_admit_run(void)
{
	struct migaccel_job *job, *started = NULL;

	spin_lock_irq(&qos_admission.lock);
	for (;;) {
		if (started)
			started->admit_state = MIGACCEL_ADMIT_NONE;
		job = list_first_entry_or_null(&qos_admission.ready,
					       struct migaccel_job, admit_node);
		if (job)
			list_del_init(&job->admit_node);
		spin_unlock_irq(&qos_admission.lock);
		/* Not under the lock: the last reference frees the job. */
		if (started)
			migaccel_job_put(started);
		if (!job)
			return;
		migaccel_job_start(job);
		started = job;
		spin_lock_irq(&qos_admission.lock);
	}
}

static void qos_admit_work_fn(struct work_struct *work)
{
	migaccel_qos_admit_run();
}

/**
 * migaccel_qos_admit() - take room on the engines, in group order
 * @q: the submitting channel's QoS state
 * @job: the job about to start, its notify set; it holds what it was
 *	admitted until migaccel_qos_admit_end()
 *
 * While the window has room (or there is no engine, or fair admission is
 * off) the job is admitted at once and the caller starts it.  Else it is
 * queued, its completion not done, and started by a worker once admitted;
 * the caller waits for it as for a started job (migaccel_job_wait(), or
 * the async reap), and a wait that gives up takes it out of the queue
 * (migaccel_job_abort()).  A job larger than the window is admitted once
 * the window has any room.
 *
 * Context: process context; does not sleep.
 * Return: 0: start @job; MIGACCEL_QOS_QUEUED: it will be started.
 */
int migaccel_qos_admit(struct migaccel_channel_qos *q, struct migaccel_job *job)
{
	unsigned int window = migaccel_engine_window();
	int ret = 0;

	if (!window || !READ_ONCE(qos_fair))
		return 0;
	job->admit_group = q->group;
	spin_lock_irq(&qos_admission.lock);
	if (qos_admission.inflight < window &&
	    list_empty(&qos_admission.groups)) {
		qos_admit_locked(job, qos_cost(job));
	} else {
		reinit_completion(&job->done);
		qos_enqueue(job);
		ret = MIGACCEL_QOS_QUEUED;
	}
	spin_unlock_irq(&qos_admission.lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_qos_admit);

/**
 * migaccel_qos_admit_cancel() - take a job out of the admission queue
 * @job: a job whose wait gave up
 *
 * A job being started is waited for: it then is an ordinary started job.
 *
 * Context: process context.
 * Return: true when @job was still queued: it was never started, and its
 * chunks are idle; false when it was not queued (any more).
 */
bool migaccel_qos_admit_cancel(struct migaccel_job *job)
{
	bool queued;

	spin_lock_irq(&qos_admission.lock);
	while (job->admit_state == MIGACCEL_ADMIT_STARTING) {
		spin_unlock_irq(&qos_admission.lock);
		cond_resched();
		spin_lock_irq(&qos_admission.lock);
	}
	queued = job->admit_state == MIGACCEL_ADMIT_QUEUED;
	if (queued) {
		qos_dequeue(job);
		job->admit_state = MIGACCEL_ADMIT_NONE;
	}
	spin_unlock_irq(&qos_admission.lock);
	return queued;
}

/**
 * migaccel_qos_admit_end() - give back what a job was admitted
 * @job: the job; nothing happens if it holds nothing
 *
 * Context: any; takes the admission lock with interrupts off.
 */
void migaccel_qos_admit_end(struct migaccel_job *job)
{
	unsigned int cost = xchg(&job->admitted, 0);
	unsigned long flags;

	if (!cost)
		return;
	spin_lock_irqsave(&qos_admission.lock, flags);
	qos_admission.inflight -= cost;
	qos_dispatch(migaccel_engine_window());
	spin_unlock_irqrestore(&qos_admission.lock, flags);
}
EXPORT_SYMBOL_IF_KUNIT(migaccel_qos_admit_end);

/**
 * migaccel_qos_exit() - free the cgroup groups
 *
 * Context: module exit, after the last channel closed and the netlink
 * family is gone; process groups are already freed with their clients.
 */
void migaccel_qos_exit(void)
{
	struct migaccel_qos_group *g, *tmp;

	/* Every channel is closed: nothing is queued, the last start ran. */
	flush_work(&qos_admit_work);

	mutex_lock(&migaccel_groups_lock);
	list_for_each_entry_safe(g, tmp, &migaccel_groups, node) {
		WARN_ON(kref_read(&g->ref) != 1);
		list_del(&g->node);
		put_pid(g->pid);
		kfree(g);
	}
	mutex_unlock(&migaccel_groups_lock);
}
