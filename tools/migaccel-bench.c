// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * migaccel-bench: a multifd live-migration simulator.
 *
 * Guest RAM of a given size is filled with a deterministic mix of zero,
 * text-like and random pages.  N sender threads each take a contiguous
 * share of it and, packet by packet, find the zero pages, compress the
 * others one page at a time (raw deflate; a page that does not shrink is
 * sent raw) and send a packet header, one descriptor per page and the
 * payload over their own socket.  N receiver threads rebuild the RAM on
 * the destination.  At the end the destination must equal the source
 * byte for byte.
 *
 * Modes: cpu-baseline (a per-page zero check and zlib level 1 per page,
 * what QEMU does without an accelerator), lib-cpu (libmigaccel on its CPU
 * path), kernel (libmigaccel through /dev/migaccel), all (the three side
 * by side, with ratios against cpu-baseline).
 *
 * Exit status: 0 every run verified, 1 a mismatch or a failure, 2 usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "libmigaccel.h"
#include "bench/pages.h"
#include "bench/util.h"

#define PAGE BENCH_PAGE
#define PKT_MAGIC 0x4d494750u	/* "MIGP" */
#define MAX_CHANNELS 256
#define MAX_PACKET 1024
#define STATS_PATH "/sys/kernel/debug/migaccel/stats"

enum mode { MODE_CPU_BASELINE, MODE_LIB_CPU, MODE_KERNEL, NR_MODES };

static const char *const mode_names[NR_MODES] = {
	[MODE_CPU_BASELINE] = "cpu-baseline",
	[MODE_LIB_CPU] = "lib-cpu",
	[MODE_KERNEL] = "kernel",
};

/* Kinds of page on the wire. */
enum wire_kind { WIRE_ZERO = 0, WIRE_DEFLATE = 1, WIRE_RAW = 2 };

struct pkt_hdr {
	uint32_t magic;
	uint32_t nr_pages;	/* 0: end of the channel's stream */
	uint32_t payload;	/* bytes after the descriptors */
	uint32_t seq;
};

struct page_desc {
	uint64_t index;		/* page number in guest RAM */
	uint32_t kind;		/* enum wire_kind */
	uint32_t len;		/* payload bytes: 0, deflate size or PAGE */
};

struct config {
	size_t nr_pages;
	unsigned int channels;
	unsigned int packet;
	unsigned int zero, text, random;
	uint64_t seed;
	bool tcp;
	bool json;
	bool zlib_inflate;	/* receivers inflate with zlib in every mode */
	bool inject_mismatch;	/* testing: flip one destination byte */
	bool no_regions;	/* lib modes: do not register RAM and buffers */
};

/* What one thread did; senders and receivers fill their own. */
struct thread_stats {
	double cpu_s;
	uint64_t zero, normal, compressed, raw;
	uint64_t payload, wire;
	int regions;		/* registered: 1, the module has none: 0 */
	char err[160];
};

struct run {
	enum mode mode;
	bool ran, skipped, verified;
	bool started;		/* the threads ran: the figures mean something */
	char skip_reason[128];
	double wall_s;
	double system_cpu_s;	/* busy time of all CPUs (/proc/stat), -1 */
	int64_t cpu_completions;	/* -1: not known */
	struct thread_stats send[MAX_CHANNELS], recv[MAX_CHANNELS];
	struct thread_stats send_tot, recv_tot;
};

struct worker {
	const struct config *cfg;
	enum mode mode;
	unsigned int id;
	int fd;
	unsigned char *src, *dst;
	struct migaccel_channel *ch;
	pthread_barrier_t *start;
	struct thread_stats *st;
};

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [options]\n"
		"  -m, --mode MODE     cpu-baseline, lib-cpu, kernel or all (default all)\n"
		"  -r, --ram SIZE      guest RAM, bytes with K, M or G suffix (default 256M)\n"
		"  -c, --channels N    sender/receiver pairs (default 4)\n"
		"  -p, --packet N      pages per packet, 1..%u (default 128)\n"
		"      --zero P        percent of zero pages (default 50)\n"
		"      --text P        percent of text-like pages (default 30)\n"
		"      --random P      percent of random pages (default: the rest)\n"
		"  -s, --seed N        page contents seed (default 1)\n"
		"      --tcp           loopback TCP instead of socketpairs\n"
		"      --zlib-inflate  receivers inflate with zlib in every mode\n"
		"      --no-regions    lib modes: do not register RAM and buffers\n"
		"  -j, --json          JSON instead of a table\n"
		"      --inject-mismatch  testing: corrupt one destination byte\n"
		"exit status: 0 verified, 1 mismatch or failure, 2 usage\n",
		prog, MAX_PACKET);
	exit(2);
}

static void fail(struct thread_stats *st, const char *fmt, ...)
{
	va_list ap;

	if (st->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(st->err, sizeof(st->err), fmt, ap);
	va_end(ap);
}

static int write_full(int fd, struct iovec *iov, int cnt)
{
	while (cnt) {
		ssize_t n = writev(fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

/* 0, -errno, or 1 on end of stream before @len bytes. */
static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 1;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * The zero check QEMU's multifd does without an accelerator, with libc's
 * vectorised memcmp: the page equals itself shifted by one byte and its
 * first byte is 0.
 */
static bool baseline_is_zero(const unsigned char *p)
{
	return p[0] == 0 && memcmp(p, p + 1, PAGE - 1) == 0;
}

/* Raw deflate level 1 of one page into @out; its size or MIGACCEL_SIZE_RAW. */
static uint32_t zlib_compress_page(z_stream *zs, const void *page, void *out)
{
	int ret;

	if (deflateReset(zs) != Z_OK)
		return MIGACCEL_SIZE_RAW;
	zs->next_in = (Bytef *)page;
	zs->avail_in = PAGE;
	zs->next_out = out;
	zs->avail_out = PAGE - 1;	/* not smaller: send it raw */
	ret = deflate(zs, Z_FINISH);
	return ret == Z_STREAM_END ? (uint32_t)zs->total_out : MIGACCEL_SIZE_RAW;
}

static int zlib_inflate_page(z_stream *zs, const void *in, uint32_t len,
			     void *page)
{
	if (inflateReset(zs) != Z_OK)
		return -EINVAL;
	zs->next_in = (Bytef *)in;
	zs->avail_in = len;
	zs->next_out = page;
	zs->avail_out = PAGE;
	if (inflate(zs, Z_FINISH) != Z_STREAM_END || zs->total_out != PAGE ||
	    zs->avail_in)
		return -EBADMSG;
	return 0;
}

/*
 * Register [addr, addr + len) with the channel, as a VMM registers guest
 * RAM once.  0 when done or when the module has no regions (*@done says
 * which), else a negative errno.
 */
static int register_range(struct worker *w, void *addr, size_t len,
			  int *done)
{
	uint32_t id;
	int ret;

	if (w->mode == MODE_CPU_BASELINE || w->cfg->no_regions || !len) {
		*done = 0;
		return 0;
	}
	ret = migaccel_region_register(w->ch, addr, len, &id);
	if (ret == -ENOTTY || ret == -EOPNOTSUPP) {
		*done = 0;
		return 0;
	}
	*done = !ret;
	return ret;
}

static size_t page_round(size_t n)
{
	return (n + PAGE - 1) / PAGE * PAGE;
}

static void *sender(void *arg)
{
	struct worker *w = arg;
	const struct config *cfg = w->cfg;
	struct thread_stats *st = w->st;
	size_t first = cfg->nr_pages * w->id / cfg->channels;
	size_t end = cfg->nr_pages * (w->id + 1) / cfg->channels;
	unsigned int np = cfg->packet;
	struct page_desc *descs = calloc(np, sizeof(*descs));
	struct iovec *iov = calloc(np + 2, sizeof(*iov));
	size_t out_len = page_round(MIGACCEL_PACKET_OUT_SIZE(np));
	unsigned char *slots = aligned_alloc(PAGE, (size_t)np * PAGE);
	/*
	 * The streams start one page into the registered buffer: the module
	 * (22cd8aa, batch_check_op) refuses a COMPRESS whose dst is 0, and
	 * that is also offset 0 of a buffer region.
	 */
	unsigned char *out_mem = aligned_alloc(PAGE, out_len + PAGE);
	unsigned char *out = out_mem ? out_mem + PAGE : NULL;
	struct migaccel_page_out *res = calloc(np, sizeof(*res));
	const void **pages = calloc(np, sizeof(*pages));
	const void **nz = calloc(np, sizeof(*nz));
	void **outs = calloc(np, sizeof(*outs));
	uint32_t *sizes = calloc(np, sizeof(*sizes));
	unsigned int *nz_idx = calloc(np, sizeof(*nz_idx));
	struct pkt_hdr hdr = { .magic = PKT_MAGIC };
	z_stream zs = { 0 };
	bool have_zs = false;
	double c0;
	size_t p;
	unsigned int i;
	int ret;

	int reg1, reg2;

	if (!descs || !iov || !slots || !out || !res || !pages || !nz ||
	    !outs || !sizes || !nz_idx) {
		fail(st, "sender %u: out of memory", w->id);
		goto out_barrier;
	}
	ret = register_range(w, w->src + first * PAGE, (end - first) * PAGE,
			     &reg1);
	if (!ret)
		ret = register_range(w, out_mem, out_len + PAGE, &reg2);
	if (ret) {
		fail(st, "sender %u: migaccel_region_register: %s", w->id,
		     strerror(-ret));
		goto out_barrier;
	}
	st->regions = reg1 && reg2;
	if (w->mode == MODE_CPU_BASELINE) {
		if (deflateInit2(&zs, 1, Z_DEFLATED, -15, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
			fail(st, "sender %u: deflateInit2 failed", w->id);
			goto out_barrier;
		}
		have_zs = true;
	}
	for (i = 0; i < np; i++)
		outs[i] = slots + (size_t)i * PAGE;

out_barrier:
	pthread_barrier_wait(w->start);
	if (st->err[0])
		goto out;
	c0 = bench_now(CLOCK_THREAD_CPUTIME_ID);

	for (p = first; p < end; p += np) {
		unsigned int n = end - p < np ? end - p : np;
		unsigned int m = 0, niov = 2;
		uint32_t payload = 0;

		for (i = 0; i < n; i++)
			pages[i] = w->src + (p + i) * PAGE;

		if (w->mode != MODE_CPU_BASELINE) {
			/* The library's packet call: zero scan, compress, pack. */
			ret = migaccel_packet_compress(w->ch,
						       (void *const *)pages, n,
						       out, out_len, res);
			/* It returns the bytes of @out it used. */
			if (ret < 0) {
				fail(st, "sender %u: migaccel_packet_compress: %s",
				     w->id, strerror(-ret));
				break;
			}
			for (i = 0; i < n; i++) {
				struct page_desc *d = &descs[i];

				d->index = p + i;
				switch (res[i].kind) {
				case MIGACCEL_PAGE_ZERO:
					d->kind = WIRE_ZERO;
					d->len = 0;
					st->zero++;
					continue;
				case MIGACCEL_PAGE_COMPRESSED:
					if (!res[i].length ||
					    res[i].length >= PAGE ||
					    res[i].offset + res[i].length >
					    out_len)
						goto bad_res;
					d->kind = WIRE_DEFLATE;
					d->len = res[i].length;
					iov[niov].iov_base = out + res[i].offset;
					st->compressed++;
					break;
				case MIGACCEL_PAGE_RAW:
					d->kind = WIRE_RAW;
					d->len = PAGE;
					iov[niov].iov_base = (void *)pages[i];
					st->raw++;
					break;
				default:
bad_res:
					fail(st, "sender %u: bad result of migaccel_packet_compress",
					     w->id);
					goto out_cpu;
				}
				st->normal++;
				iov[niov++].iov_len = d->len;
				payload += d->len;
			}
			goto send;
		}

		/*
		 * cpu-baseline: each page checked for zero, the others
		 * compressed one by one; zero pages are never compressed.
		 */
		for (i = 0; i < n; i++) {
			descs[i].index = p + i;
			if (baseline_is_zero(pages[i])) {
				descs[i].kind = WIRE_ZERO;
				descs[i].len = 0;
				st->zero++;
			} else {
				nz_idx[m] = i;
				nz[m++] = pages[i];
				st->normal++;
			}
		}

		for (i = 0; i < m; i++)
			sizes[i] = zlib_compress_page(&zs, nz[i], outs[i]);

		for (i = 0; i < m; i++) {
			struct page_desc *d = &descs[nz_idx[i]];

			if (sizes[i] == MIGACCEL_SIZE_RAW) {
				d->kind = WIRE_RAW;
				d->len = PAGE;
				iov[niov].iov_base = (void *)nz[i];
				st->raw++;
			} else {
				d->kind = WIRE_DEFLATE;
				d->len = sizes[i];
				iov[niov].iov_base = outs[i];
				st->compressed++;
			}
			iov[niov++].iov_len = d->len;
			payload += d->len;
		}

send:
		hdr.nr_pages = n;
		hdr.payload = payload;
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		iov[1].iov_base = descs;
		iov[1].iov_len = n * sizeof(*descs);
		ret = write_full(w->fd, iov, niov);
		if (ret) {
			fail(st, "sender %u: send: %s", w->id, strerror(-ret));
			break;
		}
		st->payload += payload;
		st->wire += sizeof(hdr) + n * sizeof(*descs) + payload;
		hdr.seq++;
	}
	if (!st->err[0]) {
		struct iovec end_iov = { &hdr, sizeof(hdr) };

		hdr.nr_pages = 0;
		hdr.payload = 0;
		ret = write_full(w->fd, &end_iov, 1);
		if (ret)
			fail(st, "sender %u: send: %s", w->id, strerror(-ret));
		st->wire += sizeof(hdr);
	}
out_cpu:
	st->cpu_s = bench_now(CLOCK_THREAD_CPUTIME_ID) - c0;
out:
	/* A receiver waiting on a failed sender sees the end of its stream. */
	shutdown(w->fd, SHUT_WR);
	if (have_zs)
		deflateEnd(&zs);
	free(descs);
	free(iov);
	free(slots);
	free(out_mem);
	free(res);
	free(pages);
	free(nz);
	free(outs);
	free(sizes);
	free(nz_idx);
	return NULL;
}

static void *receiver(void *arg)
{
	struct worker *w = arg;
	const struct config *cfg = w->cfg;
	struct thread_stats *st = w->st;
	unsigned int np = cfg->packet;
	struct page_desc *descs = calloc(np, sizeof(*descs));
	size_t first = cfg->nr_pages * w->id / cfg->channels;
	size_t end = cfg->nr_pages * (w->id + 1) / cfg->channels;
	unsigned char *payload = aligned_alloc(PAGE, (size_t)np * PAGE);
	const void **in = calloc(np, sizeof(*in));
	uint32_t *in_sizes = calloc(np, sizeof(*in_sizes));
	void **dsts = calloc(np, sizeof(*dsts));
	bool use_zlib = w->mode == MODE_CPU_BASELINE || cfg->zlib_inflate;
	z_stream zs = { 0 };
	bool have_zs = false;
	struct pkt_hdr hdr;
	uint32_t seq = 0;
	double c0;
	int ret;

	int reg1, reg2;

	if (!descs || !payload || !in || !in_sizes || !dsts) {
		fail(st, "receiver %u: out of memory", w->id);
		goto out_barrier;
	}
	/* The pages this channel's sender sends, and the packet buffer. */
	ret = register_range(w, w->dst + first * PAGE, (end - first) * PAGE,
			     &reg1);
	if (!ret)
		ret = register_range(w, payload, (size_t)np * PAGE, &reg2);
	if (ret) {
		fail(st, "receiver %u: migaccel_region_register: %s", w->id,
		     strerror(-ret));
		goto out_barrier;
	}
	st->regions = reg1 && reg2;
	if (use_zlib) {
		if (inflateInit2(&zs, -15) != Z_OK) {
			fail(st, "receiver %u: inflateInit2 failed", w->id);
			goto out_barrier;
		}
		have_zs = true;
	}

out_barrier:
	pthread_barrier_wait(w->start);
	if (st->err[0])
		goto out;
	c0 = bench_now(CLOCK_THREAD_CPUTIME_ID);

	for (;;) {
		uint32_t off = 0, i, m = 0;

		ret = read_full(w->fd, &hdr, sizeof(hdr));
		if (ret) {
			fail(st, "receiver %u: %s", w->id, ret > 0 ?
			     "stream ended without its end packet" :
			     strerror(-ret));
			break;
		}
		if (hdr.magic != PKT_MAGIC || hdr.nr_pages > np ||
		    hdr.payload > (size_t)np * PAGE || hdr.seq != seq++) {
			fail(st, "receiver %u: bad packet header", w->id);
			break;
		}
		st->wire += sizeof(hdr);
		if (!hdr.nr_pages)
			break;
		ret = read_full(w->fd, descs, hdr.nr_pages * sizeof(*descs));
		if (!ret)
			ret = read_full(w->fd, payload, hdr.payload);
		if (ret) {
			fail(st, "receiver %u: %s", w->id, ret > 0 ?
			     "stream ended inside a packet" : strerror(-ret));
			break;
		}
		st->wire += hdr.nr_pages * sizeof(*descs) + hdr.payload;
		st->payload += hdr.payload;

		for (i = 0; i < hdr.nr_pages; i++) {
			const struct page_desc *d = &descs[i];
			unsigned char *dst;

			if (d->index >= cfg->nr_pages || d->len > PAGE ||
			    d->len > hdr.payload - off) {
				fail(st, "receiver %u: bad page descriptor",
				     w->id);
				goto out_cpu;
			}
			dst = w->dst + d->index * PAGE;
			switch (d->kind) {
			case WIRE_ZERO:
				/*
				 * The destination is a fresh anonymous
				 * mapping: it reads as zero already and is
				 * left untouched (unallocated).
				 */
				if (d->len)
					goto bad_kind;
				st->zero++;
				break;
			case WIRE_RAW:
				if (d->len != PAGE)
					goto bad_kind;
				memcpy(dst, payload + off, PAGE);
				st->normal++;
				st->raw++;
				break;
			case WIRE_DEFLATE:
				if (!d->len || d->len == PAGE)
					goto bad_kind;
				st->normal++;
				st->compressed++;
				if (use_zlib) {
					ret = zlib_inflate_page(&zs,
								payload + off,
								d->len, dst);
					if (ret) {
						fail(st, "receiver %u: page %" PRIu64 ": inflate failed",
						     w->id, d->index);
						goto out_cpu;
					}
				} else {
					in[m] = payload + off;
					in_sizes[m] = d->len;
					dsts[m++] = dst;
				}
				break;
			default:
bad_kind:
				fail(st, "receiver %u: bad page kind", w->id);
				goto out_cpu;
			}
			off += d->len;
		}
		if (off != hdr.payload) {
			fail(st, "receiver %u: payload size mismatch", w->id);
			break;
		}
		if (m) {
			ret = migaccel_decompress(w->ch, in, in_sizes, m, dsts);
			if (ret) {
				fail(st, "receiver %u: migaccel_decompress: %s",
				     w->id, strerror(-ret));
				break;
			}
		}
	}
out_cpu:
	st->cpu_s = bench_now(CLOCK_THREAD_CPUTIME_ID) - c0;
out:
	/* A sender blocked on a failed receiver gets EPIPE. */
	shutdown(w->fd, SHUT_RDWR);
	if (have_zs)
		inflateEnd(&zs);
	free(descs);
	free(payload);
	free(in);
	free(in_sizes);
	free(dsts);
	return NULL;
}

/* @n connected pairs: fds[i][0] for the sender, fds[i][1] the receiver. */
static int make_sockets(bool tcp, unsigned int n, int (*fds)[2])
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t alen = sizeof(addr);
	unsigned int i;
	int ls, one = 1;

	if (!tcp) {
		for (i = 0; i < n; i++)
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds[i]))
				return -errno;
		return 0;
	}
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0)
		return -errno;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&addr, sizeof(addr)) ||
	    getsockname(ls, (struct sockaddr *)&addr, &alen) ||
	    listen(ls, n))
		goto err;
	for (i = 0; i < n; i++) {
		fds[i][0] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i][0] < 0 ||
		    connect(fds[i][0], (struct sockaddr *)&addr, sizeof(addr)))
			goto err;
		fds[i][1] = accept(ls, NULL, NULL);
		if (fds[i][1] < 0)
			goto err;
		setsockopt(fds[i][0], IPPROTO_TCP, TCP_NODELAY, &one,
			   sizeof(one));
	}
	close(ls);
	return 0;
err:
	i = errno;
	close(ls);
	return -(int)i;
}

static void sum_stats(struct thread_stats *tot, const struct thread_stats *t,
		      unsigned int n)
{
	unsigned int i;

	memset(tot, 0, sizeof(*tot));
	for (i = 0; i < n; i++) {
		tot->cpu_s += t[i].cpu_s;
		tot->zero += t[i].zero;
		tot->normal += t[i].normal;
		tot->compressed += t[i].compressed;
		tot->raw += t[i].raw;
		tot->payload += t[i].payload;
		tot->wire += t[i].wire;
		tot->regions += t[i].regions;
		if (!tot->err[0] && t[i].err[0])
			memcpy(tot->err, t[i].err, sizeof(tot->err));
	}
}

/* One migration in @r->mode; false on any failure (message printed). */
static bool run_mode(const struct config *cfg, unsigned char *src,
		     struct run *r)
{
	unsigned int n = cfg->channels, i;
	size_t ram = cfg->nr_pages * PAGE;
	unsigned int flags = r->mode == MODE_KERNEL ? MIGACCEL_OPEN_KERNEL :
			     MIGACCEL_OPEN_CPU;
	struct migaccel_channel *chs[2 * MAX_CHANNELS] = { 0 };
	struct worker ws[2 * MAX_CHANNELS];
	pthread_t tids[2 * MAX_CHANNELS];
	pthread_barrier_t start;
	int fds[MAX_CHANNELS][2];
	int64_t ops0 = -1, ops1;
	unsigned char *dst;
	bool ok = false;
	double t0, busy0, busy1;
	int ret;

	r->ran = true;
	for (i = 0; i < n; i++)
		fds[i][0] = fds[i][1] = -1;

	if (r->mode != MODE_CPU_BASELINE) {
		for (i = 0; i < 2 * n; i++) {
			ret = migaccel_channel_open(flags, &chs[i]);
			if (ret) {
				fprintf(stderr, "%s: migaccel_channel_open: %s%s\n",
					mode_names[r->mode], strerror(-ret),
					r->mode == MODE_KERNEL ?
					" (is the migaccel module loaded?)" : "");
				goto out_channels;
			}
		}
	}

	dst = mmap(NULL, ram, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (dst == MAP_FAILED) {
		fprintf(stderr, "%s: cannot map %zu bytes of destination RAM\n",
			mode_names[r->mode], ram);
		goto out_channels;
	}
	ret = make_sockets(cfg->tcp, n, fds);
	if (ret) {
		fprintf(stderr, "%s: sockets: %s\n", mode_names[r->mode],
			strerror(-ret));
		goto out_dst;
	}

	memset(r->send, 0, sizeof(r->send));
	memset(r->recv, 0, sizeof(r->recv));
	pthread_barrier_init(&start, NULL, 2 * n + 1);
	for (i = 0; i < 2 * n; i++) {
		bool tx = i < n;
		unsigned int id = tx ? i : i - n;

		ws[i] = (struct worker) {
			.cfg = cfg, .mode = r->mode, .id = id,
			.fd = fds[id][tx ? 0 : 1], .src = src, .dst = dst,
			.ch = chs[i], .start = &start,
			.st = tx ? &r->send[id] : &r->recv[id],
		};
		ret = pthread_create(&tids[i], NULL, tx ? sender : receiver,
				     &ws[i]);
		if (ret) {
			fprintf(stderr, "pthread_create: %s\n", strerror(ret));
			exit(1);	/* the barrier can never be reached */
		}
	}
	ops0 = bench_counter(STATS_PATH, "cpu_ops");
	pthread_barrier_wait(&start);
	t0 = bench_now(CLOCK_MONOTONIC);
	busy0 = bench_system_busy();
	for (i = 0; i < 2 * n; i++)
		pthread_join(tids[i], NULL);
	r->wall_s = bench_now(CLOCK_MONOTONIC) - t0;
	busy1 = bench_system_busy();
	r->system_cpu_s = busy0 >= 0 && busy1 >= 0 ? busy1 - busy0 : -1;
	r->started = true;
	if (cfg->inject_mismatch)
		dst[ram / 2] ^= 1;
	ops1 = bench_counter(STATS_PATH, "cpu_ops");
	r->cpu_completions = ops0 >= 0 && ops1 >= 0 ? ops1 - ops0 : -1;
	pthread_barrier_destroy(&start);

	sum_stats(&r->send_tot, r->send, n);
	sum_stats(&r->recv_tot, r->recv, n);
	if (r->send_tot.err[0] || r->recv_tot.err[0]) {
		fprintf(stderr, "%s: %s\n", mode_names[r->mode],
			r->send_tot.err[0] ? r->send_tot.err : r->recv_tot.err);
	} else if (r->recv_tot.zero + r->recv_tot.normal != cfg->nr_pages) {
		fprintf(stderr, "%s: %" PRIu64 " pages received of %zu\n",
			mode_names[r->mode],
			r->recv_tot.zero + r->recv_tot.normal, cfg->nr_pages);
	} else if (memcmp(src, dst, ram)) {
		size_t p = 0;

		while (!memcmp(src + p * PAGE, dst + p * PAGE, PAGE))
			p++;
		fprintf(stderr, "%s: destination differs from source, first at page %zu\n",
			mode_names[r->mode], p);
	} else {
		ok = true;
	}
	r->verified = ok;

	for (i = 0; i < n; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
out_dst:
	munmap(dst, ram);
out_channels:
	for (i = 0; i < 2 * n; i++)
		migaccel_channel_close(chs[i]);
	return ok;
}

static double gib(size_t bytes)
{
	return bytes / (1024.0 * 1024 * 1024);
}

static double ratio_d(double a, double b)
{
	return a >= 0 && b > 0 ? a / b : 0;
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / b : 0;
}

/* Bytes of non-zero pages per byte of their payload. */
static double compression_ratio(const struct run *r)
{
	return ratio(r->send_tot.normal * PAGE, r->send_tot.payload);
}

static double cpu_per_gib(const struct run *r, size_t ram, bool send_only)
{
	return (r->send_tot.cpu_s + (send_only ? 0 : r->recv_tot.cpu_s)) /
	       gib(ram);
}

static bool all_registered(const struct config *cfg, const struct run *r)
{
	return r->send_tot.regions + r->recv_tot.regions ==
	       2 * (int)cfg->channels;
}

static const char *regions_text(const struct config *cfg,
				const struct run *r)
{
	if (cfg->no_regions)
		return "not registered (--no-regions)";
	if (all_registered(cfg, r))
		return "registered (migaccel_region_register)";
	return "not registered: the module has no regions";
}

static void print_table(const struct config *cfg, const struct run *runs,
			const uint64_t *kinds)
{
	size_t ram = cfg->nr_pages * PAGE;
	const struct run *base = &runs[MODE_CPU_BASELINE];
	unsigned int i, m;

	printf("RAM %.2f GiB: %zu pages, %" PRIu64 " zero, %" PRIu64 " text, %" PRIu64 " random (seed %" PRIu64 ")\n",
	       gib(ram), cfg->nr_pages, kinds[BENCH_ZERO], kinds[BENCH_TEXT],
	       kinds[BENCH_RANDOM], cfg->seed);
	printf("%u channels, %u pages per packet, %s%s\n", cfg->channels,
	       cfg->packet, cfg->tcp ? "loopback TCP" : "socketpairs",
	       cfg->zlib_inflate ? ", receivers inflate with zlib" : "");
	printf("%-13s %7s %7s %8s %8s %8s %9s %8s %8s %8s %8s %6s %9s %s\n",
	       "mode", "wall s", "GiB/s", "send cpu", "recv cpu", "all cpu",
	       "cpu s/GiB", "zero", "normal", "compr", "raw", "ratio",
	       "cpu compl", "verified");
	for (m = 0; m < NR_MODES; m++) {
		const struct run *r = &runs[m];

		if (!r->ran)
			continue;
		if (r->skipped) {
			printf("%-13s skipped: %s\n", mode_names[m],
			       r->skip_reason);
			continue;
		}
		if (!r->started) {
			printf("%-13s failed before it started\n",
			       mode_names[m]);
			continue;
		}
		printf("%-13s %7.2f %7.3f %8.2f %8.2f %8.2f %9.2f %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %6.2f ",
		       mode_names[m], r->wall_s, gib(ram) / r->wall_s,
		       r->send_tot.cpu_s, r->recv_tot.cpu_s, r->system_cpu_s,
		       cpu_per_gib(r, ram, false), r->send_tot.zero,
		       r->send_tot.normal, r->send_tot.compressed,
		       r->send_tot.raw, compression_ratio(r));
		if (r->cpu_completions >= 0)
			printf("%9" PRId64, r->cpu_completions);
		else
			printf("%9s", "n/a");
		printf(" %s\n", r->verified ? "yes" : "NO");
	}
	for (m = 0; m < NR_MODES; m++) {
		const struct run *r = &runs[m];

		if (m == MODE_CPU_BASELINE || !r->ran || r->skipped ||
		    !r->started)
			continue;
		printf("%s: RAM and packet buffers %s\n", mode_names[m],
		       regions_text(cfg, r));
	}
	printf("per-thread CPU seconds (send | receive):\n");
	for (m = 0; m < NR_MODES; m++) {
		const struct run *r = &runs[m];

		if (!r->ran || r->skipped || !r->started)
			continue;
		printf("  %-13s", mode_names[m]);
		for (i = 0; i < cfg->channels; i++)
			printf(" %.2f", r->send[i].cpu_s);
		printf(" |");
		for (i = 0; i < cfg->channels; i++)
			printf(" %.2f", r->recv[i].cpu_s);
		printf("\n");
	}
	if (base->ran && base->verified) {
		bool header = false;

		for (m = 0; m < NR_MODES; m++) {
			const struct run *r = &runs[m];

			if (m == MODE_CPU_BASELINE || !r->ran || !r->verified)
				continue;
			if (!header)
				printf("against cpu-baseline: throughput, CPU s per GiB (sender+receiver threads), (sender threads), (all CPUs)\n");
			header = true;
			printf("  %-13s %6.2fx %6.2fx %6.2fx %6.2fx\n", mode_names[m],
			       base->wall_s / r->wall_s,
			       cpu_per_gib(r, ram, false) /
			       cpu_per_gib(base, ram, false),
			       cpu_per_gib(r, ram, true) /
			       cpu_per_gib(base, ram, true),
			       ratio_d(r->system_cpu_s, base->system_cpu_s));
		}
	}
	printf("send/recv cpu: the threads' own CPU time; all cpu: busy time of every CPU\n"
	       "during the run (/proc/stat), which includes the module's workers\n");
	printf("CPU completions: operations the module finished on the CPU (%s)\n",
	       STATS_PATH);
}

static void json_thread_list(const struct run *r, bool send, unsigned int n)
{
	const struct thread_stats *t = send ? r->send : r->recv;
	unsigned int i;

	printf("[");
	for (i = 0; i < n; i++)
		printf("%s%.6f", i ? ", " : "", t[i].cpu_s);
	printf("]");
}

static void print_json(const struct config *cfg, const struct run *runs,
		       const uint64_t *kinds, bool all_ok)
{
	size_t ram = cfg->nr_pages * PAGE;
	const struct run *base = &runs[MODE_CPU_BASELINE];
	bool first = true;
	unsigned int m;

	printf("{\n  \"ram_bytes\": %zu,\n  \"pages\": %zu,\n", ram,
	       cfg->nr_pages);
	printf("  \"source_pages\": {\"zero\": %" PRIu64 ", \"text\": %" PRIu64 ", \"random\": %" PRIu64 "},\n",
	       kinds[BENCH_ZERO], kinds[BENCH_TEXT], kinds[BENCH_RANDOM]);
	printf("  \"mix_percent\": {\"zero\": %u, \"text\": %u, \"random\": %u},\n",
	       cfg->zero, cfg->text, cfg->random);
	printf("  \"seed\": %" PRIu64 ",\n  \"channels\": %u,\n  \"packet_pages\": %u,\n",
	       cfg->seed, cfg->channels, cfg->packet);
	printf("  \"transport\": \"%s\",\n  \"zlib_inflate\": %s,\n",
	       cfg->tcp ? "tcp" : "socketpair",
	       cfg->zlib_inflate ? "true" : "false");
	printf("  \"runs\": [");
	for (m = 0; m < NR_MODES; m++) {
		const struct run *r = &runs[m];

		if (!r->ran)
			continue;
		printf("%s\n    {\"mode\": \"%s\", ", first ? "" : ",",
		       mode_names[m]);
		first = false;
		if (r->skipped) {
			printf("\"skipped\": true, \"reason\": \"%s\"}",
			       r->skip_reason);
			continue;
		}
		printf("\"skipped\": false, \"verified\": %s, ",
		       r->verified ? "true" : "false");
		if (!r->started) {
			printf("\"started\": false}");
			continue;
		}
		printf("\"wall_s\": %.6f, \"throughput_gib_s\": %.6f, ",
		       r->wall_s, gib(ram) / r->wall_s);
		printf("\"send_cpu_s\": %.6f, \"recv_cpu_s\": %.6f, \"system_cpu_s\": %.3f, ",
		       r->send_tot.cpu_s, r->recv_tot.cpu_s, r->system_cpu_s);
		printf("\"cpu_s_per_gib\": %.6f, \"send_cpu_s_per_gib\": %.6f, ",
		       cpu_per_gib(r, ram, false), cpu_per_gib(r, ram, true));
		printf("\"send_cpu_s_per_thread\": ");
		json_thread_list(r, true, cfg->channels);
		printf(", \"recv_cpu_s_per_thread\": ");
		json_thread_list(r, false, cfg->channels);
		printf(", \"pages\": {\"zero\": %" PRIu64 ", \"normal\": %" PRIu64 ", \"compressed\": %" PRIu64 ", \"raw\": %" PRIu64 "}, ",
		       r->send_tot.zero, r->send_tot.normal,
		       r->send_tot.compressed, r->send_tot.raw);
		printf("\"payload_bytes\": %" PRIu64 ", \"wire_bytes\": %" PRIu64 ", ",
		       r->send_tot.payload, r->send_tot.wire);
		if (m != MODE_CPU_BASELINE)
			printf("\"regions\": %s, ",
			       all_registered(cfg, r) ? "true" : "false");
		printf("\"compression_ratio\": %.4f, \"cpu_completions\": ",
		       compression_ratio(r));
		if (r->cpu_completions >= 0)
			printf("%" PRId64 "}", r->cpu_completions);
		else
			printf("null}");
	}
	printf("\n  ],\n  \"vs_cpu_baseline\": {");
	first = true;
	for (m = 0; m < NR_MODES; m++) {
		const struct run *r = &runs[m];

		if (m == MODE_CPU_BASELINE || !base->ran || !base->verified ||
		    !r->ran || !r->verified)
			continue;
		printf("%s\n    \"%s\": {\"throughput\": %.4f, \"cpu_per_gib\": %.4f, \"send_cpu_per_gib\": %.4f, \"system_cpu\": %.4f}",
		       first ? "" : ",", mode_names[m],
		       base->wall_s / r->wall_s,
		       cpu_per_gib(r, ram, false) /
		       cpu_per_gib(base, ram, false),
		       cpu_per_gib(r, ram, true) /
		       cpu_per_gib(base, ram, true),
		       ratio_d(r->system_cpu_s, base->system_cpu_s));
		first = false;
	}
	printf("%s},\n  \"verified\": %s\n}\n", first ? "" : "\n  ",
	       all_ok ? "true" : "false");
}

struct filler {
	const struct config *cfg;
	unsigned char *src;
	unsigned int id, n;
	uint64_t kinds[3];
};

static void *fill_thread(void *arg)
{
	struct filler *f = arg;
	size_t nr = f->cfg->nr_pages;
	size_t p, end = nr * (f->id + 1) / f->n;

	for (p = nr * f->id / f->n; p < end; p++) {
		enum bench_page_kind k = bench_page_kind(f->cfg->seed, p,
							 f->cfg->zero,
							 f->cfg->text);

		bench_fill_page(f->src + p * PAGE, f->cfg->seed, p, k);
		f->kinds[k]++;
	}
	return NULL;
}

static bool parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s == '-')
		return false;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > max)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	struct config cfg = {
		.channels = 4, .packet = 128, .zero = 50, .text = 30,
		.seed = 1,
	};
	static struct run runs[NR_MODES];
	struct filler fillers[MAX_CHANNELS];
	pthread_t ftids[MAX_CHANNELS];
	uint64_t kinds[3] = { 0 };
	const char *mode = "all";
	size_t ram = 256u << 20;
	bool text_set = false, random_set = false, all_ok = true;
	unsigned char *src;
	unsigned int i, m;
	int opt;
	char *end;

	static const struct option longopts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "ram", required_argument, NULL, 'r' },
		{ "channels", required_argument, NULL, 'c' },
		{ "packet", required_argument, NULL, 'p' },
		{ "zero", required_argument, NULL, 'Z' },
		{ "text", required_argument, NULL, 'T' },
		{ "random", required_argument, NULL, 'R' },
		{ "seed", required_argument, NULL, 's' },
		{ "tcp", no_argument, NULL, 't' },
		{ "zlib-inflate", no_argument, NULL, 'I' },
		{ "inject-mismatch", no_argument, NULL, 'X' },
		{ "no-regions", no_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};

	while ((opt = getopt_long(argc, argv, "m:r:c:p:s:jh", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'm': mode = optarg; break;
		case 'r':
			if (!bench_parse_size(optarg, &ram))
				usage(argv[0]);
			break;
		case 'c':
			if (!parse_uint(optarg, MAX_CHANNELS, &cfg.channels))
				usage(argv[0]);
			break;
		case 'p':
			if (!parse_uint(optarg, MAX_PACKET, &cfg.packet))
				usage(argv[0]);
			break;
		case 'Z':
			if (!parse_uint(optarg, 100, &cfg.zero))
				usage(argv[0]);
			break;
		case 'T':
			if (!parse_uint(optarg, 100, &cfg.text))
				usage(argv[0]);
			text_set = true;
			break;
		case 'R':
			if (!parse_uint(optarg, 100, &cfg.random))
				usage(argv[0]);
			random_set = true;
			break;
		case 's':
			errno = 0;
			cfg.seed = strtoull(optarg, &end, 0);
			if (errno || end == optarg || *end)
				usage(argv[0]);
			break;
		case 't': cfg.tcp = true; break;
		case 'I': cfg.zlib_inflate = true; break;
		case 'X': cfg.inject_mismatch = true; break;
		case 'N': cfg.no_regions = true; break;
		case 'j': cfg.json = true; break;
		default: usage(argv[0]);
		}
	}
	if (optind != argc || !cfg.channels || !cfg.packet)
		usage(argv[0]);
	/* Unset percentages share what the set ones leave, text first. */
	if (!text_set && cfg.zero + cfg.text > 100)
		cfg.text = 100 - cfg.zero;
	if (!random_set)
		cfg.random = cfg.zero + cfg.text <= 100 ?
			     100 - cfg.zero - cfg.text : 0;
	if (cfg.zero + cfg.text + cfg.random != 100) {
		fprintf(stderr, "--zero, --text and --random must add up to 100\n");
		usage(argv[0]);
	}
	if (ram % PAGE || ram / PAGE < cfg.channels) {
		fprintf(stderr, "--ram must be a multiple of %u bytes, at least one page per channel\n",
			PAGE);
		usage(argv[0]);
	}
	cfg.nr_pages = ram / PAGE;

	for (m = 0; m < NR_MODES; m++) {
		runs[m].mode = m;
		if (!strcmp(mode, "all") || !strcmp(mode, mode_names[m]))
			runs[m].ran = true;
	}
	if (!runs[0].ran && !runs[1].ran && !runs[2].ran) {
		fprintf(stderr, "unknown mode %s\n", mode);
		usage(argv[0]);
	}
	signal(SIGPIPE, SIG_IGN);

	src = mmap(NULL, ram, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED) {
		fprintf(stderr, "cannot map %zu bytes of source RAM\n", ram);
		return 1;
	}
	for (i = 0; i < cfg.channels; i++) {
		fillers[i] = (struct filler) { &cfg, src, i, cfg.channels,
					       { 0 } };
		if (pthread_create(&ftids[i], NULL, fill_thread, &fillers[i])) {
			fprintf(stderr, "pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < cfg.channels; i++) {
		pthread_join(ftids[i], NULL);
		for (m = 0; m < 3; m++)
			kinds[m] += fillers[i].kinds[m];
	}

	for (m = 0; m < NR_MODES; m++) {
		struct run *r = &runs[m];

		if (!r->ran)
			continue;
		if (m == MODE_KERNEL && !strcmp(mode, "all") &&
		    access("/dev/migaccel", F_OK)) {
			r->skipped = true;
			snprintf(r->skip_reason, sizeof(r->skip_reason),
				 "no /dev/migaccel (module not loaded)");
			continue;
		}
		if (!run_mode(&cfg, src, r))
			all_ok = false;
	}

	if (cfg.json)
		print_json(&cfg, runs, kinds, all_ok);
	else {
		print_table(&cfg, runs, kinds);
		printf("verified: %s\n", all_ok ?
		       "destination equals source" : "FAILED");
	}
	munmap(src, ram);
	return all_ok ? 0 : 1;
}
