// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * Built by tools/pkg-test.sh inside a root where libmigaccel-dev is
 * installed from its package (pkg-config libmigaccel, the shared library),
 * and run in the VM against the DKMS-built module: the installed header,
 * .pc file and libmigaccel.so.0 work, and the kernel path is taken.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmigaccel.h>

static int n, failed;

static void ok(int cond, const char *what)
{
	printf("%sok %d %s\n", cond ? "" : "not ", ++n, what);
	failed += !cond;
}

int main(void)
{
	struct migaccel_channel *ch = NULL;
	uint64_t bitmap = ~0ull;
	void *pages[4];
	char *buf;
	int rc;

	printf("TAP version 13\n1..4\n");
	buf = aligned_alloc(4096, 4 * 4096);
	if (!buf)
		return 1;
	memset(buf, 0, 4 * 4096);
	buf[4096 + 17] = 1;
	buf[3 * 4096 + 4095] = 1;
	for (int i = 0; i < 4; i++)
		pages[i] = buf + i * 4096;

	rc = migaccel_channel_open(MIGACCEL_OPEN_KERNEL, &ch);
	ok(rc == 0, "installed libmigaccel opens /dev/migaccel");
	if (rc) {
		printf("# migaccel_channel_open: %d\n", rc);
		printf("not ok 2 # no channel\nnot ok 3 # no channel\nnot ok 4 # no channel\n");
		return 1;
	}
	ok(migaccel_channel_path(ch) == MIGACCEL_PATH_KERNEL, "the channel takes the kernel path");
	rc = migaccel_zero_scan(ch, pages, 4, &bitmap);
	ok(rc == 0, "zero scan of 4 pages through the module");
	ok(bitmap == 0x5, "pages 0 and 2 are zero, 1 and 3 are not");
	if (bitmap != 0x5)
		printf("# bitmap %#llx\n", (unsigned long long)bitmap);
	migaccel_channel_close(ch);
	free(buf);
	return failed ? 1 : 0;
}
