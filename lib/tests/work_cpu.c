// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Work objects, asynchronous completion and regions on the CPU path: a
 * work object holds what its capacity allows and is reused after a
 * reset; every operation gives what the per-operation functions give;
 * submitted objects are reaped in submission order, the channel fd is
 * readable exactly while one waits, and an eventfd counts them; regions
 * are checked and busy while an unreaped object reaches into them; every
 * malformed call fails with its errno and changes nothing.
 *
 *   work_cpu [seed]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "work_common.h"

static struct migaccel_channel *ch, *ref;
static struct op_set set;
static unsigned char *pg;	/* 4 pages of scratch */

static bool readable(int fd)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static enum tap_result work_fills_to_capacity(const void *arg)
{
	struct migaccel_work *w;
	unsigned int i;

	(void)arg;
	TAP_CHECK(!migaccel_work_new(ch, 5, &w), "new");
	for (i = 0; i < 5; i++)
		TAP_CHECK(migaccel_work_add_zero_scan(w, pg) == (int)i,
			  "add %u", i);
	TAP_CHECK(migaccel_work_add_zero_scan(w, pg) == -ENOSPC, "full");
	TAP_CHECK(migaccel_work_add_crc64(w, pg) == -ENOSPC, "full");
	TAP_CHECK(!migaccel_work_run(w), "run");
	TAP_CHECK(!migaccel_work_reset(w), "reset");
	TAP_CHECK(migaccel_work_add_crc64(w, pg) == 0, "reused from 0");
	migaccel_work_free(w);
	return TAP_PASS;
}

static enum tap_result work_every_op_matches_array_functions(const void *arg)
{
	struct migaccel_work *w;
	enum tap_result r;
	unsigned int round;

	(void)arg;
	TAP_CHECK(!migaccel_work_new(ch, 8 * SET, &w), "new");
	for (round = 0; round < 3; round++) {
		TAP_CHECK(op_set_fill(&set, ref), "fill");
		TAP_CHECK(!migaccel_work_reset(w), "reset");
		TAP_CHECK(!op_set_add(&set, w), "add");
		TAP_CHECK(!migaccel_work_run(w), "run");
		r = op_set_check(&set, w, ref);
		if (r != TAP_PASS)
			return r;
	}
	migaccel_work_free(w);
	return TAP_PASS;
}

static enum tap_result work_reports_each_failure(const void *arg)
{
	struct migaccel_work *w;
	unsigned char bad[MIGACCEL_DELTA_ENTRY_SIZE] = { 0xff, 0xff };
	int status;

	(void)arg;
	memset(pg, 0, 4 * PAGE);
	TAP_CHECK(!migaccel_work_new(ch, 4, &w), "new");
	TAP_CHECK(migaccel_work_add_zero_scan(w, pg) == 0, "add");
	TAP_CHECK(migaccel_work_add_delta_apply(w, pg + PAGE, bad,
						sizeof(bad)) == 1, "add");
	TAP_CHECK(migaccel_work_add_decompress(w, pg, 7, pg + 2 * PAGE) == 2,
		  "add");
	TAP_CHECK(migaccel_work_run(w) == -EINVAL, "first failure");
	TAP_CHECK(!migaccel_work_result(w, 0, &status, NULL, NULL) && !status,
		  "zero scan ran");
	TAP_CHECK(!migaccel_work_result(w, 1, &status, NULL, NULL) &&
		  status == -EINVAL, "bad record: %d", status);
	TAP_CHECK(!migaccel_work_result(w, 2, &status, NULL, NULL) &&
		  status == -EBADMSG, "bad stream: %d", status);
	migaccel_work_free(w);
	return TAP_PASS;
}

#define NR_ASYNC 5

static enum tap_result async_reaped_in_order_fd_readable(const void *arg)
{
	struct migaccel_work *w[NR_ASYNC];
	struct migaccel_done done[8];
	uint64_t value;
	int fd, i, n;

	(void)arg;
	fd = migaccel_channel_fd(ch);
	TAP_CHECK(fd >= 0, "fd %d", fd);
	TAP_CHECK(!readable(fd), "readable with nothing submitted");
	TAP_CHECK(migaccel_reap(ch, done, 8, 0, 0) == 0, "nothing to reap");
	for (i = 0; i < NR_ASYNC; i++) {
		TAP_CHECK(!migaccel_work_new(ch, 2, &w[i]), "new");
		memset(pg, i, PAGE);
		TAP_CHECK(migaccel_work_add_crc64(w[i], pg) == 0, "add");
		TAP_CHECK(!migaccel_work_submit(w[i], 100 + i), "submit %d", i);
		TAP_CHECK(readable(fd), "not readable after submit %d", i);
	}
	n = migaccel_reap(ch, done, 2, 0, 0);
	TAP_CHECK(n == 2, "reaped %d of 2", n);
	TAP_CHECK(readable(fd), "not readable with 3 left");
	n += migaccel_reap(ch, done + 2, 6, 6, 100);
	TAP_CHECK(n == NR_ASYNC, "reaped %d", n);
	TAP_CHECK(!readable(fd), "readable after everything was reaped");
	for (i = 0; i < NR_ASYNC; i++) {
		unsigned char p[PAGE];

		TAP_CHECK(done[i].work == w[i] &&
			  done[i].user_data == (uint64_t)(100 + i) &&
			  !done[i].result && !done[i].nr_failed,
			  "completion %d: user_data %llu", i,
			  (unsigned long long)done[i].user_data);
		memset(p, i, PAGE);
		TAP_CHECK(!migaccel_work_result(w[i], 0, NULL, NULL, &value) &&
			  value == ref_crc64(p, PAGE), "crc of %d", i);
		migaccel_work_free(w[i]);
	}
	return TAP_PASS;
}

static enum tap_result async_busy_until_reaped(const void *arg)
{
	struct migaccel_work *w;
	struct migaccel_done d;

	(void)arg;
	TAP_CHECK(!migaccel_work_new(ch, 4, &w), "new");
	TAP_CHECK(migaccel_work_add_zero_scan(w, pg) == 0, "add");
	TAP_CHECK(migaccel_work_submit(w, 1) == 0, "submit");
	TAP_CHECK(migaccel_work_submit(w, 1) == -EBUSY, "submit again");
	TAP_CHECK(migaccel_work_run(w) == -EBUSY, "run");
	TAP_CHECK(migaccel_work_reset(w) == -EBUSY, "reset");
	TAP_CHECK(migaccel_work_add_zero_scan(w, pg) == -EBUSY, "add");
	TAP_CHECK(migaccel_work_result(w, 0, NULL, NULL, NULL) == -EBUSY,
		  "result");
	TAP_CHECK(migaccel_reap(ch, &d, 1, 1, -1) == 1 && d.work == w, "reap");
	TAP_CHECK(!migaccel_work_result(w, 0, NULL, NULL, NULL), "result");
	TAP_CHECK(migaccel_work_add_zero_scan(w, pg) == 1, "add");
	migaccel_work_free(w);
	return TAP_PASS;
}

static enum tap_result async_freed_object_not_returned(const void *arg)
{
	struct migaccel_work *a, *b;
	struct migaccel_done d[2];

	(void)arg;
	TAP_CHECK(!migaccel_work_new(ch, 1, &a) && !migaccel_work_new(ch, 1, &b),
		  "new");
	TAP_CHECK(!migaccel_work_add_zero_scan(a, pg) &&
		  !migaccel_work_add_zero_scan(b, pg), "add");
	TAP_CHECK(!migaccel_work_submit(a, 1) && !migaccel_work_submit(b, 2),
		  "submit");
	migaccel_work_free(a);
	TAP_CHECK(migaccel_reap(ch, d, 2, 0, 0) == 1 && d[0].work == b,
		  "only the live object");
	TAP_CHECK(!readable(migaccel_channel_fd(ch)), "readable");
	migaccel_work_free(b);
	return TAP_PASS;
}

static enum tap_result async_signals_eventfd(const void *arg)
{
	struct migaccel_work *w;
	struct migaccel_done d;
	uint64_t count = 0;
	int efd = eventfd(0, EFD_NONBLOCK), i;

	(void)arg;
	TAP_CHECK(efd >= 0, "eventfd");
	TAP_CHECK(!migaccel_channel_set_eventfd(ch, efd), "set");
	TAP_CHECK(!migaccel_work_new(ch, 1, &w), "new");
	TAP_CHECK(!migaccel_work_add_zero_scan(w, pg), "add");
	for (i = 0; i < 3; i++) {
		TAP_CHECK(!migaccel_work_submit(w, i), "submit");
		TAP_CHECK(migaccel_reap(ch, &d, 1, 1, -1) == 1, "reap");
	}
	TAP_CHECK(read(efd, &count, 8) == 8 && count == 3, "count %llu",
		  (unsigned long long)count);
	TAP_CHECK(!migaccel_channel_set_eventfd(ch, -1), "unset");
	TAP_CHECK(!migaccel_work_submit(w, 9), "submit");
	TAP_CHECK(migaccel_reap(ch, &d, 1, 1, -1) == 1, "reap");
	TAP_CHECK(read(efd, &count, 8) < 0, "signalled after unset");
	migaccel_work_free(w);
	close(efd);
	return TAP_PASS;
}

static enum tap_result async_close_detaches_objects(const void *arg)
{
	struct migaccel_channel *c;
	struct migaccel_work *w;

	(void)arg;
	TAP_CHECK(!migaccel_channel_open(MIGACCEL_OPEN_CPU, &c), "open");
	TAP_CHECK(!migaccel_work_new(c, 1, &w), "new");
	TAP_CHECK(!migaccel_work_add_zero_scan(w, pg), "add");
	TAP_CHECK(!migaccel_work_submit(w, 1), "submit");
	migaccel_channel_close(c);
	TAP_CHECK(migaccel_work_run(w) == -ENODEV, "run after close");
	TAP_CHECK(migaccel_work_add_zero_scan(w, pg) == -ENODEV, "add");
	migaccel_work_free(w);
	return TAP_PASS;
}

/* ---- regions ---- */

static enum tap_result region_register_checks(const void *arg)
{
	uint32_t id = 77, a, b;

	(void)arg;
	TAP_CHECK(migaccel_region_register(NULL, pg, PAGE, &id) == -EINVAL,
		  "NULL channel");
	TAP_CHECK(migaccel_region_register(ch, pg, PAGE, NULL) == -EFAULT,
		  "NULL id");
	TAP_CHECK(migaccel_region_register(ch, NULL, PAGE, &id) == -EINVAL,
		  "NULL addr");
	TAP_CHECK(migaccel_region_register(ch, pg + 8, PAGE, &id) == -EINVAL,
		  "unaligned");
	TAP_CHECK(migaccel_region_register(ch, pg, 0, &id) == -EINVAL,
		  "empty");
	TAP_CHECK(migaccel_region_register(ch, pg, PAGE + 1, &id) == -EINVAL,
		  "partial page");
	TAP_CHECK(migaccel_region_register(ch, pg, SIZE_MAX - PAGE + 1,
					   &id) == -EINVAL, "wraps");
	TAP_CHECK(id == 77, "id written by a failed call");
	TAP_CHECK(!migaccel_region_register(ch, pg, 2 * PAGE, &a) && a, "a");
	TAP_CHECK(migaccel_region_register(ch, pg + PAGE, 2 * PAGE, &id) ==
		  -EEXIST, "overlap");
	TAP_CHECK(!migaccel_region_register(ch, pg + 2 * PAGE, PAGE, &b) &&
		  b && b != a, "adjacent");
	TAP_CHECK(migaccel_region_unregister(ch, a, 2) == -EINVAL, "flags");
	TAP_CHECK(migaccel_region_unregister(ch, 0, 0) == -ENOENT, "id 0");
	TAP_CHECK(migaccel_region_unregister(ch, a + b + 1000, 0) == -ENOENT,
		  "unknown id");
	TAP_CHECK(!migaccel_region_unregister(ch, a, 0), "unregister a");
	TAP_CHECK(migaccel_region_unregister(ch, a, 0) == -ENOENT, "twice");
	TAP_CHECK(!migaccel_region_unregister(ch, b, 0), "unregister b");
	return TAP_PASS;
}

static enum tap_result region_busy_until_reaped(const void *arg)
{
	struct migaccel_work *w;
	struct migaccel_done d;
	uint32_t id, other;

	(void)arg;
	TAP_CHECK(!migaccel_region_register(ch, pg, 2 * PAGE, &id), "register");
	TAP_CHECK(!migaccel_region_register(ch, pg + 2 * PAGE, PAGE, &other),
		  "register");
	TAP_CHECK(!migaccel_work_new(ch, 1, &w), "new");
	TAP_CHECK(!migaccel_work_add_crc64(w, pg + PAGE), "add");
	/* Run, not submitted: nothing waits, the region is free. */
	TAP_CHECK(!migaccel_work_run(w), "run");
	TAP_CHECK(!migaccel_work_submit(w, 0), "submit");
	TAP_CHECK(migaccel_region_unregister(ch, id, 0) == -EBUSY, "busy");
	TAP_CHECK(!migaccel_region_unregister(ch, other, 0), "other region");
	TAP_CHECK(!migaccel_region_unregister(ch, id, MIGACCEL_UNREGISTER_WAIT),
		  "wait");
	TAP_CHECK(migaccel_reap(ch, &d, 1, 1, -1) == 1 && !d.result, "reap");
	TAP_CHECK(!migaccel_region_register(ch, pg, 2 * PAGE, &id), "again");
	TAP_CHECK(!migaccel_region_unregister(ch, id, 0), "not busy");
	migaccel_work_free(w);
	return TAP_PASS;
}

/* ---- malformed calls: their errno, and nothing changes ---- */

static enum tap_result work_rejects_malformed_calls(const void *arg)
{
	struct migaccel_work *w = (void *)&w, *v;
	struct migaccel_done d = { NULL, 5, 5, 5 };
	unsigned char *u = pg + 8;
	unsigned int flags = 9;
	uint64_t value = 9;
	int status = 9;

	(void)arg;
	TAP_CHECK(migaccel_work_new(NULL, 1, &v) == -EINVAL, "NULL channel");
	TAP_CHECK(migaccel_work_new(ch, 0, &v) == -EINVAL, "capacity 0");
	TAP_CHECK(migaccel_work_new(ch, MIGACCEL_WORK_MAX_OPS + 1, &v) ==
		  -EINVAL, "capacity too large");
	TAP_CHECK(migaccel_work_new(ch, 1, NULL) == -EFAULT, "NULL out");
	TAP_CHECK(w == (void *)&w, "out written");
	TAP_CHECK(!migaccel_work_new(ch, 8, &w), "new");

	TAP_CHECK(migaccel_work_add_zero_scan(NULL, pg) == -EINVAL, "NULL w");
	TAP_CHECK(migaccel_work_add_zero_scan(w, NULL) == -EFAULT, "NULL");
	TAP_CHECK(migaccel_work_add_zero_scan(w, u) == -EINVAL, "unaligned");
	TAP_CHECK(migaccel_work_add_crc64(w, NULL) == -EFAULT, "NULL");
	TAP_CHECK(migaccel_work_add_crc64(w, u) == -EINVAL, "unaligned");
	TAP_CHECK(migaccel_work_add_crc32c(w, NULL, 0) == -EFAULT, "NULL");
	TAP_CHECK(migaccel_work_add_crc32c(w, u, 0) == -EINVAL, "unaligned");
	TAP_CHECK(migaccel_work_add_copy(w, pg, pg) == -EINVAL, "same page");
	TAP_CHECK(migaccel_work_add_copy(w, NULL, pg) == -EFAULT, "NULL dst");
	TAP_CHECK(migaccel_work_add_copy(w, pg, u) == -EINVAL, "unaligned");
	TAP_CHECK(migaccel_work_add_delta_create(w, pg, pg + PAGE, NULL, 10) ==
		  -EFAULT, "NULL record");
	TAP_CHECK(migaccel_work_add_delta_create(w, pg, pg + PAGE, u, 9) ==
		  -EINVAL, "capacity below one entry");
	TAP_CHECK(migaccel_work_add_delta_create(w, u, pg + PAGE, u, 10) ==
		  -EINVAL, "unaligned old");
	TAP_CHECK(migaccel_work_add_delta_apply(w, pg, NULL, 10) == -EFAULT,
		  "NULL record");
	TAP_CHECK(migaccel_work_add_delta_apply(w, pg, u, 11) == -EINVAL,
		  "size not a multiple of 10");
	TAP_CHECK(migaccel_work_add_delta_apply(w, pg, u,
						MIGACCEL_DELTA_MAX_SIZE + 10) ==
		  -EINVAL, "size too large");
	TAP_CHECK(migaccel_work_add_compress(w, pg, NULL, 10) == -EFAULT,
		  "NULL out");
	TAP_CHECK(migaccel_work_add_compress(w, pg, u, 0) == -EINVAL,
		  "capacity 0");
	TAP_CHECK(migaccel_work_add_decompress(w, NULL, 10, pg) == -EFAULT,
		  "NULL in");
	TAP_CHECK(migaccel_work_add_decompress(w, u, 0, pg) == -EINVAL,
		  "size 0");
	TAP_CHECK(migaccel_work_add_decompress(w, u, PAGE + 1, pg) == -EINVAL,
		  "size above a page");
	TAP_CHECK(migaccel_work_add_decompress(w, u, 10, u) == -EINVAL,
		  "unaligned page");
	/* None of them took a slot. */
	TAP_CHECK(migaccel_work_add_zero_scan(w, pg) == 0, "first slot");

	TAP_CHECK(migaccel_work_result(NULL, 0, &status, &flags, &value) ==
		  -EINVAL, "NULL w");
	TAP_CHECK(migaccel_work_result(w, 1, &status, &flags, &value) ==
		  -EINVAL, "index past the last");
	TAP_CHECK(migaccel_work_result(w, 0, &status, &flags, &value) ==
		  -EAGAIN, "not run yet");
	TAP_CHECK(status == 9 && flags == 9 && value == 9, "written");
	TAP_CHECK(migaccel_work_run(NULL) == -EINVAL, "run NULL");
	TAP_CHECK(migaccel_work_submit(NULL, 0) == -EINVAL, "submit NULL");
	TAP_CHECK(migaccel_work_reset(NULL) == -EINVAL, "reset NULL");
	migaccel_work_free(NULL);

	TAP_CHECK(!migaccel_work_reset(w), "reset");
	TAP_CHECK(migaccel_work_submit(w, 0) == -EINVAL, "submit empty");
	TAP_CHECK(!migaccel_work_run(w), "run empty");

	TAP_CHECK(migaccel_reap(NULL, &d, 1, 0, 0) == -EINVAL, "NULL channel");
	TAP_CHECK(migaccel_reap(ch, NULL, 1, 0, 0) == -EFAULT, "NULL out");
	TAP_CHECK(migaccel_reap(ch, &d, 0, 0, 0) == -EINVAL, "nr 0");
	TAP_CHECK(migaccel_reap(ch, &d, 1, 2, 0) == -EINVAL, "min above nr");
	TAP_CHECK(migaccel_reap(ch, &d, 1, 0, -2) == -EINVAL, "timeout -2");
	TAP_CHECK(d.user_data == 5 && d.result == 5, "done written");
	TAP_CHECK(migaccel_channel_fd(NULL) == -EINVAL, "fd NULL");
	TAP_CHECK(migaccel_channel_set_eventfd(NULL, -1) == -EINVAL, "NULL");
	TAP_CHECK(migaccel_channel_set_eventfd(ch, -2) == -EINVAL, "fd -2");
	migaccel_work_free(w);
	return TAP_PASS;
}

static const struct tap_case cases[] = {
	{ "work object fills to its capacity and is reused after reset",
	  work_fills_to_capacity, NULL },
	{ "work object: every operation matches the array functions",
	  work_every_op_matches_array_functions, NULL },
	{ "work object reports each operation's failure",
	  work_reports_each_failure, NULL },
	{ "async: reaped in submission order, fd readable while one waits",
	  async_reaped_in_order_fd_readable, NULL },
	{ "async: a submitted object is busy until reaped",
	  async_busy_until_reaped, NULL },
	{ "async: an object freed while busy is not returned",
	  async_freed_object_not_returned, NULL },
	{ "async: the eventfd is signalled once per object",
	  async_signals_eventfd, NULL },
	{ "async: closing the channel detaches its objects",
	  async_close_detaches_objects, NULL },
	{ "region: register and unregister check their arguments",
	  region_register_checks, NULL },
	{ "region: busy while an unreaped object reaches into it",
	  region_busy_until_reaped, NULL },
	{ "every malformed call fails with its errno, writing nothing",
	  work_rejects_malformed_calls, NULL },
};

int main(int argc, char **argv)
{
	uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) :
				   (uint64_t)time(NULL);
	unsigned int n = sizeof(cases) / sizeof(cases[0]);
	int ret;

	rng_seed(seed);
	if (migaccel_channel_open(MIGACCEL_OPEN_CPU, &ch) ||
	    migaccel_channel_open(MIGACCEL_OPEN_CPU, &ref)) {
		printf("Bail out! no CPU channel\n");
		return 1;
	}
	ref_tables_init();
	pg = pages_alloc(4);
	op_set_init(&set);
	tap_plan(n);
	tap_diag("seed %" PRIu64, seed);
	ret = tap_run(cases, n);
	migaccel_channel_close(ch);
	migaccel_channel_close(ref);
	return ret;
}
