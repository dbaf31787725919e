// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * A stand-in for the migaccel module, for exercising the library's kernel
 * path on a host without it.  Preloaded, it answers opening the path in
 * MIGACCEL_DEVICE (which need not exist) with an eventfd, and the ioctls
 * of <linux/migaccel.h> on that descriptor, running each operation with
 * the tests' references (ops_common.h) and zlib, as the uapi header
 * states.  It is a test double of the uapi, not of the module: it knows
 * nothing of engines, and finishes nothing "on the CPU".
 *
 *   MIGACCEL_DEVICE=/dev/migaccel-fake LD_PRELOAD=tests/fake_module.so \
 *	tests/ops_paths
 *
 * FAKE_MAX_BATCH sets out_max_batch_ops (default 100: not a multiple of
 * 64, so that the library's chunking is exercised); FAKE_ENGINES sets
 * out_engines (default MIGACCEL_ENGINE_SOFT), read at every MIGACCEL_INFO.
 *
 * What it models: regions (bookkeeping, (region, offset) translation,
 * bounds, -EBUSY while an unreaped batch names one, RLIMIT_MEMLOCK as a
 * per-process sum of registered bytes); asynchronous batches, which run at
 * submission and are queued, their out_ fields and zero bitmap written
 * back only when MIGACCEL_REAP returns them, in submission order; the
 * eventfd of MIGACCEL_SET_EVENTFD, signalled once a batch; poll readiness,
 * as the device descriptor is itself an eventfd whose count is the number
 * of unreaped batches.
 *
 * What it cannot model: pinning and DMA mapping (nothing is pinned,
 * nothing is charged to locked_vm, CAP_IPC_LOCK is ignored, and memory
 * unmapped after registration is not noticed); a batch still running when
 * it is reaped or unregistered (every batch is complete at submission, so
 * MIGACCEL_REAP_WAIT never sleeps and MIGACCEL_UNREGISTER_WAIT never
 * waits); outputs in memory, which are written at submission rather than
 * by a device later; timeouts, signals, and SVA (MIGACCEL_SVA_BIND answers
 * -ENODEV, as with no work queue).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/migaccel.h>

#include "ops_common.h"

/* Can this process read @len bytes at @p?  No signal if not. */
static bool readable(uint64_t p, size_t len)
{
	static unsigned char sink[2 * PAGE];
	struct iovec local = { sink, len }, remote = { (void *)(uintptr_t)p,
						       len };

	if (!p || len > sizeof(sink))
		return false;
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) ==
	       (ssize_t)len;
}

static bool page_ok(uint64_t p)
{
	return p && !(p % PAGE) && readable(p, PAGE);
}

/*
 * Is an operand of @op (resolved) out of reach?  The module refuses the
 * whole batch with EFAULT then, before it runs anything.
 */
static bool op_faults(const struct migaccel_op *op)
{
	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
	case MIGACCEL_OP_CRC32C:
	case MIGACCEL_OP_CRC64:
		return !page_ok(op->src);
	case MIGACCEL_OP_COPY:
		return !page_ok(op->src) || !page_ok(op->dst);
	case MIGACCEL_OP_DELTA_CREATE:
		return !page_ok(op->src) || !page_ok(op->src2);
	case MIGACCEL_OP_COMPRESS:
		return !page_ok(op->src) || !op->dst;
	case MIGACCEL_OP_DELTA_APPLY:
	case MIGACCEL_OP_DECOMPRESS:
		return !page_ok(op->dst) || !readable(op->src, op->src_len);
	default:
		return false;
	}
}

static int run_op(struct migaccel_op *op)
{
	unsigned char *src = (unsigned char *)(uintptr_t)op->src;
	unsigned char *dst = (unsigned char *)(uintptr_t)op->dst;
	unsigned char tmp[2 * PAGE];
	uint32_t size, i, prev;

	op->out_flags = 0;
	op->out_result = 0;
	if (op_faults(op))
		return -EFAULT;
	switch (op->opcode) {
	case MIGACCEL_OP_ZERO_SCAN:
		op->out_result = ref_page_is_zero(src);
		return 0;
	case MIGACCEL_OP_COPY:
		if (op->src == op->dst)
			return -EINVAL;
		memcpy(dst, src, PAGE);
		return 0;
	case MIGACCEL_OP_CRC32C:
		if (op->seed > UINT32_MAX)
			return -EINVAL;
		op->out_result = ref_crc32c((uint32_t)op->seed, src, PAGE);
		return 0;
	case MIGACCEL_OP_CRC64:
		op->out_result = ref_crc64(src, PAGE);
		return 0;
	case MIGACCEL_OP_DELTA_CREATE:
		if (op->dst_len < MIGACCEL_DELTA_ENTRY_SIZE)
			return -EINVAL;
		size = ref_delta_create(src, (void *)(uintptr_t)op->src2, tmp);
		if (size > op->dst_len) {
			op->out_flags = MIGACCEL_OUT_RAW;
			return 0;
		}
		memcpy(dst, tmp, size);
		op->out_result = size;
		return 0;
	case MIGACCEL_OP_DELTA_APPLY:
		if (op->src_len % 10 || op->src_len > MIGACCEL_DELTA_MAX_SIZE)
			return -EINVAL;
		for (i = 0, prev = 0; i < op->src_len; i += 10) {
			uint32_t off = src[i] | (uint32_t)src[i + 1] << 8;

			if (off >= PAGE / 8 || (i && off <= prev))
				return -EINVAL;
			prev = off;
		}
		ref_delta_apply(dst, src, op->src_len);
		return 0;
	case MIGACCEL_OP_COMPRESS:
		if (!op->dst_len)
			return -EINVAL;
		size = zlib_deflate_raw(src, PAGE, tmp, sizeof(tmp), 1, 1);
		if (size >= PAGE || size > op->dst_len) {
			op->out_flags = MIGACCEL_OUT_RAW;
			return 0;
		}
		memcpy(dst, tmp, size);
		op->out_result = size;
		return 0;
	case MIGACCEL_OP_DECOMPRESS:
		if (!op->src_len || op->src_len > PAGE)
			return -EINVAL;
		if (zlib_inflate_page(src, op->src_len, tmp))
			return -EBADMSG;
		memcpy(dst, tmp, PAGE);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static unsigned int max_batch(void)
{
	const char *env = getenv("FAKE_MAX_BATCH");

	return env && *env ? (unsigned int)strtoul(env, NULL, 0) : 100;
}

static unsigned int fake_engines(void)
{
	const char *env = getenv("FAKE_ENGINES");

	return env && *env ? (unsigned int)strtoul(env, NULL, 0) :
	       MIGACCEL_ENGINE_SOFT;
}

/* ---- channels: one per open of the fake device ---- */

#define MAX_FD 4096
#define MAX_REGIONS 256

struct fake_region {
	uint32_t id;
	uint64_t addr, len;
};

/* An asynchronous batch: run, and waiting to be reaped. */
struct fake_pending {
	struct fake_pending *next;
	struct migaccel_completion comp;
	unsigned char *user_ops;	/* where out_ fields go at reap */
	uint64_t user_bitmap;
	uint32_t nr_ops, op_size;
	unsigned char *ops;		/* the ops as run, with results */
	uint64_t *bitmap;
};

struct fake_chan {
	struct fake_region regions[MAX_REGIONS];
	unsigned int nr_regions;
	uint32_t next_id;
	struct fake_pending *head, *tail;
	int user_evfd;
};

/* One lock for everything: the fake is a test double, not a fast one. */
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fake_chan *chans[MAX_FD];
static uint64_t locked_bytes;	/* registered in this process */

static struct fake_region *region_get(struct fake_chan *c, uint32_t id)
{
	unsigned int i;

	for (i = 0; i < c->nr_regions; i++)
		if (c->regions[i].id == id)
			return &c->regions[i];
	return NULL;
}

/* Turn @off (in region @r) of @len bytes into an address: false if out. */
static bool region_addr(const struct fake_region *r, uint64_t *off,
			uint64_t len)
{
	if (!r || *off >= r->len || len > r->len - *off)
		return false;
	*off += r->addr;
	return true;
}

/*
 * Resolve the (region, offset) operands of @op in place, as the uapi
 * states them: every page operand in @op->region, the buffer operand in
 * @op->buf_region.  -EINVAL for an unknown region or an offset past it.
 */
static int op_resolve(struct fake_chan *c, struct migaccel_op *op)
{
	uint64_t *pages[3], *buf = NULL, buf_len = 0;
	unsigned int n = 0, i;

	switch (op->opcode) {
	case MIGACCEL_OP_COPY:
		pages[n++] = (uint64_t *)&op->src;
		pages[n++] = (uint64_t *)&op->dst;
		break;
	case MIGACCEL_OP_DELTA_CREATE:
		pages[n++] = (uint64_t *)&op->src;
		pages[n++] = (uint64_t *)&op->src2;
		buf = (uint64_t *)&op->dst;
		buf_len = op->dst_len;
		break;
	case MIGACCEL_OP_COMPRESS:
		pages[n++] = (uint64_t *)&op->src;
		buf = (uint64_t *)&op->dst;
		buf_len = op->dst_len;
		break;
	case MIGACCEL_OP_DELTA_APPLY:
	case MIGACCEL_OP_DECOMPRESS:
		pages[n++] = (uint64_t *)&op->dst;
		buf = (uint64_t *)&op->src;
		buf_len = op->src_len;
		break;
	default:
		pages[n++] = (uint64_t *)&op->src;
		break;
	}
	if (op->region) {
		struct fake_region *r = region_get(c, op->region);

		for (i = 0; i < n; i++)
			if (!region_addr(r, pages[i], PAGE))
				return -EINVAL;
	}
	if (op->buf_region) {
		if (!buf || !region_addr(region_get(c, op->buf_region), buf,
					 buf_len ? buf_len : 1))
			return -EINVAL;
	}
	return 0;
}

/*
 * Op @i of @ops as the module reads it: the caller's op_size bytes, the
 * fields past them (region, buf_region with op_size 64) zero, never the
 * next op's bytes; its operands resolved.  0, or the op's own error.
 */
static int op_read(struct fake_chan *c, unsigned char *ops, uint32_t i,
		   uint32_t stride, struct migaccel_op *t)
{
	memset(t, 0, sizeof(*t));
	memcpy(t, ops + (size_t)i * stride,
	       stride < sizeof(*t) ? stride : sizeof(*t));
	return t->flags ? -EINVAL : op_resolve(c, t);
}

/*
 * Run the @n ops at @ops (@stride apart) with their results in place:
 * the number that failed, or -EFAULT, with nothing run, when an operand
 * of any is out of reach.
 */
static int ops_run(struct fake_chan *c, unsigned char *ops, uint32_t n,
		   uint32_t stride, uint64_t *bm)
{
	uint32_t i, failed = 0;
	struct migaccel_op t;

	for (i = 0; i < n; i++)
		if (!op_read(c, ops, i, stride, &t) && op_faults(&t))
			return -EFAULT;
	ref_tables_init();
	memset(bm, 0, WORDS(n) * 8);
	for (i = 0; i < n; i++) {
		struct migaccel_op *op = (void *)(ops + (size_t)i * stride);
		int ret;

		ret = op_read(c, ops, i, stride, &t);

		if (!ret)
			ret = run_op(&t);
		op->out_status = ret;
		op->out_flags = ret ? 0 : t.out_flags;
		op->out_result = ret ? 0 : t.out_result;
		if (ret)
			failed++;
		else if (op->opcode == MIGACCEL_OP_ZERO_SCAN && op->out_result)
			bm[i / 64] |= 1ULL << (i % 64);
	}
	return failed;
}

static void evfd_add(int fd, uint64_t n)
{
	if (fd >= 0 && write(fd, &n, sizeof(n)) < 0)
		abort();
}

static void evfd_drain(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		abort();
}

static int fake_batch(int fd, struct fake_chan *c, struct migaccel_batch *b)
{
	struct fake_pending *p;
	uint64_t *bm;
	size_t bytes;
	int ret;

	if (b->size < sizeof(*b) || b->op_size < 64 || b->op_size % 8 ||
	    b->op_size > 256 || !b->nr_ops || b->nr_ops > max_batch())
		return -EINVAL;
	if (b->flags & ~MIGACCEL_BATCH_ASYNC)
		return -EOPNOTSUPP;

	if (!(b->flags & MIGACCEL_BATCH_ASYNC)) {
		uint64_t words[WORDS(4096)];

		if (b->nr_ops > 4096)
			return -EINVAL;
		ret = ops_run(c, (void *)(uintptr_t)b->ops, b->nr_ops,
			      b->op_size, words);
		if (ret < 0)
			return ret;
		b->out_nr_failed = ret;
		b->out_nr_cpu = 0;
		if (b->out_zero_bitmap)
			memcpy((void *)(uintptr_t)b->out_zero_bitmap, words,
			       WORDS(b->nr_ops) * 8);
		return 0;
	}

	/* Run now on a copy; what the caller reads comes at reap. */
	bytes = (size_t)b->nr_ops * b->op_size;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->ops = malloc(bytes);
	p->bitmap = calloc(WORDS(b->nr_ops), 8);
	if (!p->ops || !p->bitmap) {
		free(p->ops);
		free(p->bitmap);
		free(p);
		return -ENOMEM;
	}
	memcpy(p->ops, (void *)(uintptr_t)b->ops, bytes);
	bm = p->bitmap;
	p->comp.user_data = b->user_data;
	ret = ops_run(c, p->ops, b->nr_ops, b->op_size, bm);
	if (ret < 0) {
		free(p->ops);
		free(p->bitmap);
		free(p);
		return ret;
	}
	p->comp.nr_failed = ret;
	p->user_ops = (void *)(uintptr_t)b->ops;
	p->user_bitmap = b->out_zero_bitmap;
	p->nr_ops = b->nr_ops;
	p->op_size = b->op_size;
	if (c->tail)
		c->tail->next = p;
	else
		c->head = p;
	c->tail = p;
	evfd_add(fd, 1);		/* readable while anything is unreaped */
	evfd_add(c->user_evfd, 1);
	return 0;
}

static int fake_reap(int fd, struct fake_chan *c, struct migaccel_reap *r)
{
	struct migaccel_completion *e = (void *)(uintptr_t)r->entries;
	uint32_t n = 0, i;

	if (r->size < sizeof(*r))
		return -EINVAL;
	if (r->flags & ~MIGACCEL_REAP_WAIT)
		return -EOPNOTSUPP;
	if (!r->nr || !r->entries ||
	    (!(r->flags & MIGACCEL_REAP_WAIT) && r->min_complete))
		return -EINVAL;

	/* Everything is complete already: no wait is ever needed. */
	while (n < r->nr && c->head) {
		struct fake_pending *p = c->head;

		for (i = 0; i < p->nr_ops; i++) {
			struct migaccel_op *u = (void *)(p->user_ops +
							 (size_t)i * p->op_size);
			struct migaccel_op *k = (void *)(p->ops +
							 (size_t)i * p->op_size);

			u->out_status = k->out_status;
			u->out_flags = k->out_flags;
			u->out_result = k->out_result;
		}
		if (p->user_bitmap)
			memcpy((void *)(uintptr_t)p->user_bitmap, p->bitmap,
			       WORDS(p->nr_ops) * 8);
		e[n++] = p->comp;
		c->head = p->next;
		if (!c->head)
			c->tail = NULL;
		free(p->ops);
		free(p->bitmap);
		free(p);
	}
	r->out_nr = n;
	if (n) {
		struct fake_pending *p;
		uint64_t left = 0;

		for (p = c->head; p; p = p->next)
			left++;
		evfd_drain(fd);
		if (left)
			evfd_add(fd, left);
	}
	return 0;
}

/* Does an unreaped batch name region @id? */
static bool region_busy(const struct fake_chan *c, uint32_t id)
{
	const struct fake_pending *p;
	uint32_t i;

	for (p = c->head; p; p = p->next)
		for (i = 0; i < p->nr_ops; i++) {
			const struct migaccel_op *k =
				(void *)(p->ops + (size_t)i * p->op_size);

			if (k->region == id || k->buf_region == id)
				return true;
		}
	return false;
}

static int fake_register(struct fake_chan *c, struct migaccel_region_register *a)
{
	struct rlimit rl;
	struct fake_region *r;

	if (a->size < sizeof(*a))
		return -EINVAL;
	if (a->flags)
		return -EOPNOTSUPP;
	if (a->__reserved || a->addr % PAGE || !a->length ||
	    a->length % PAGE || a->addr + a->length < a->addr)
		return -EINVAL;
	if (!readable(a->addr, PAGE) ||
	    !readable(a->addr + a->length - PAGE, PAGE))
		return -EFAULT;
	if (getrlimit(RLIMIT_MEMLOCK, &rl))
		return -EINVAL;
	if (rl.rlim_cur != RLIM_INFINITY &&
	    locked_bytes + a->length > rl.rlim_cur)
		return -ENOMEM;
	if (c->nr_regions == MAX_REGIONS)
		return -ENOSPC;
	r = &c->regions[c->nr_regions++];
	r->id = ++c->next_id;
	r->addr = a->addr;
	r->len = a->length;
	locked_bytes += a->length;
	a->out_region_id = r->id;
	return 0;
}

static int fake_unregister(struct fake_chan *c,
			   struct migaccel_region_unregister *a)
{
	struct fake_region *r;

	if (a->size < sizeof(*a))
		return -EINVAL;
	if (a->flags & ~MIGACCEL_UNREGISTER_WAIT)
		return -EOPNOTSUPP;
	if (a->__reserved)
		return -EINVAL;
	r = region_get(c, a->region_id);
	if (!r)
		return -ENOENT;
	/* Every batch is complete: waiting for it is immediate. */
	if (!(a->flags & MIGACCEL_UNREGISTER_WAIT) &&
	    region_busy(c, a->region_id))
		return -EBUSY;
	locked_bytes -= r->len;
	*r = c->regions[--c->nr_regions];
	return 0;
}

static void chan_free(struct fake_chan *c)
{
	while (c->head) {
		struct fake_pending *p = c->head;

		c->head = p->next;
		free(p->ops);
		free(p->bitmap);
		free(p);
	}
	while (c->nr_regions)
		locked_bytes -= c->regions[--c->nr_regions].len;
	free(c);
}

/*
 * MIGACCEL_ZERO_SCAN as the header states it; FAKE_NO_ZERO_SCAN=1 plays
 * a module that predates it (ENOTTY).
 */
static int fake_zero_scan(struct fake_chan *c, struct migaccel_zero_scan *a)
{
	const char *no = getenv("FAKE_NO_ZERO_SCAN");
	const struct fake_region *r;
	const uint64_t *offs;
	uint64_t *bits;
	uint32_t i;

	if (no && *no == '1')
		return -ENOTTY;
	if (a->size < sizeof(*a))
		return -EINVAL;
	if (a->flags)
		return -EOPNOTSUPP;
	if (a->__reserved || !a->nr_pages || a->nr_pages > max_batch() ||
	    !a->region)
		return -EINVAL;
	r = region_get(c, a->region);
	if (!r)
		return -ENOENT;
	offs = (const uint64_t *)(uintptr_t)a->pages;
	bits = (uint64_t *)(uintptr_t)a->out_zero_bitmap;
	if (!offs || !bits)
		return -EFAULT;
	for (i = 0; i < a->nr_pages; i++) {
		uint64_t off = offs[i];

		if (off % PAGE || !region_addr(r, &off, PAGE))
			return -EINVAL;
	}
	memset(bits, 0, (a->nr_pages + 63) / 64 * 8);
	for (i = 0; i < a->nr_pages; i++) {
		uint64_t off = offs[i];

		region_addr(r, &off, PAGE);
		if (ref_page_is_zero((const void *)(uintptr_t)off))
			bits[i / 64] |= 1ULL << (i % 64);
	}
	a->out_nr_cpu = 0;
	return 0;
}

static int fake_ioctl(int fd, struct fake_chan *c, unsigned long req,
		      void *arg)
{
	if (req == MIGACCEL_INFO) {
		struct migaccel_info *info = arg;
		int op;

		memset(info, 0, sizeof(*info));
		info->size = sizeof(*info);
		info->out_api_version = MIGACCEL_API_VERSION;
		info->out_engines = fake_engines();
		for (op = MIGACCEL_OP_ZERO_SCAN; op < MIGACCEL_OP_MAX; op++)
			info->out_ops |= 1ULL << op;
		info->out_max_batch_ops = max_batch();
		info->out_page_size = PAGE;
		return 0;
	}
	if (req == MIGACCEL_BATCH)
		return fake_batch(fd, c, arg);
	if (req == MIGACCEL_ZERO_SCAN)
		return fake_zero_scan(c, arg);
	if (req == MIGACCEL_REAP)
		return fake_reap(fd, c, arg);
	if (req == MIGACCEL_REGION_REGISTER)
		return fake_register(c, arg);
	if (req == MIGACCEL_REGION_UNREGISTER)
		return fake_unregister(c, arg);
	if (req == MIGACCEL_SET_EVENTFD) {
		struct migaccel_set_eventfd *a = arg;

		if (a->size < sizeof(*a) || a->fd < -1 || a->__reserved)
			return -EINVAL;
		if (a->flags)
			return -EOPNOTSUPP;
		c->user_evfd = a->fd;
		return 0;
	}
	if (req == MIGACCEL_SVA_BIND)
		return -ENODEV;
	return -ENOTTY;
}

/* ---- the calls the fake takes over ---- */

static bool is_fake_path(const char *path)
{
	const char *dev = getenv("MIGACCEL_DEVICE");

	return path && dev && *dev && !strcmp(path, dev);
}

static int fake_open(void)
{
	struct fake_chan *c = calloc(1, sizeof(*c));
	int fd;

	if (!c) {
		errno = ENOMEM;
		return -1;
	}
	c->user_evfd = -1;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0 || fd >= MAX_FD) {
		if (fd >= 0)
			close(fd);
		free(c);
		errno = EMFILE;
		return -1;
	}
	pthread_mutex_lock(&fake_lock);
	chans[fd] = c;
	pthread_mutex_unlock(&fake_lock);
	return fd;
}

int open(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (is_fake_path(path))
		return fake_open();
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if (!real)
		real = dlsym(RTLD_NEXT, "open");
	return real(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	static int (*real)(const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if (is_fake_path(path))
		return fake_open();
	va_start(ap, flags);
	if (flags & (O_CREAT | O_TMPFILE))
		mode = va_arg(ap, mode_t);
	va_end(ap);
	if (!real)
		real = dlsym(RTLD_NEXT, "open64");
	return real(path, flags, mode);
}

int close(int fd)
{
	static int (*real)(int);

	if (fd >= 0 && fd < MAX_FD) {
		pthread_mutex_lock(&fake_lock);
		if (chans[fd]) {
			chan_free(chans[fd]);
			chans[fd] = NULL;
		}
		pthread_mutex_unlock(&fake_lock);
	}
	if (!real)
		real = dlsym(RTLD_NEXT, "close");
	return real(fd);
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;
	int ret;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);

	if (fd >= 0 && fd < MAX_FD) {
		pthread_mutex_lock(&fake_lock);
		if (chans[fd]) {
			ret = fake_ioctl(fd, chans[fd], req, arg);
			pthread_mutex_unlock(&fake_lock);
			if (ret) {
				errno = -ret;
				return -1;
			}
			return 0;
		}
		pthread_mutex_unlock(&fake_lock);
	}
	if (!real)
		real = dlsym(RTLD_NEXT, "ioctl");
	return real(fd, req, arg);
}
