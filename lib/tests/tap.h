/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * Minimal TAP for the libmigaccel tests: a table of named cases, the plan
 * printed first by tap_plan() ("1..N"), one "ok i - name" / "not ok i - name" line per
 * case, diagnostics as "# ..." lines, exit status 1 if any case failed.
 */
#ifndef MIGACCEL_TAP_H
#define MIGACCEL_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

enum tap_result { TAP_PASS, TAP_FAIL, TAP_SKIP };

struct tap_case {
	const char *name;
	enum tap_result (*fn)(const void *arg);
	const void *arg;
};

static inline void tap_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* Check @cond; on failure say where and what, and fail the case. */
#define TAP_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			tap_diag("%s:%d: check failed: %s", __FILE__,	\
				 __LINE__, #cond);			\
			tap_diag(__VA_ARGS__);				\
			return TAP_FAIL;				\
		}							\
	} while (0)

static inline void tap_plan(unsigned int nr)
{
	printf("1..%u\n", nr);
	fflush(stdout);
}

/* Run @nr cases after tap_plan(@nr); returns the process exit status. */
static inline int tap_run(const struct tap_case *cases, unsigned int nr)
{
	unsigned int i, failed = 0;

	for (i = 0; i < nr; i++) {
		enum tap_result r = cases[i].fn(cases[i].arg);

		if (r == TAP_FAIL)
			failed++;
		printf("%s %u - %s%s\n", r == TAP_FAIL ? "not ok" : "ok",
		       i + 1, cases[i].name, r == TAP_SKIP ? " # SKIP" : "");
		fflush(stdout);
	}
	if (failed)
		tap_diag("%u of %u failed", failed, nr);
	return failed ? 1 : 0;
}

#endif /* MIGACCEL_TAP_H */
