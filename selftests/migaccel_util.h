/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the migaccel kselftests. */
#ifndef MIGACCEL_SELFTEST_UTIL_H
#define MIGACCEL_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <linux/migaccel.h>

static inline int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * Pins taken minus pins released, from /proc/vmstat.  The counters are
 * per-CPU and folded lazily: stat_refresh folds them so the difference is
 * exact.  Returns -1 when it cannot be read.
 */
static inline long pins_held(void)
{
	long acquired = -1, released = -1, v;
	char name[64];
	FILE *f;

	if (write_file("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acquired = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			released = v;
	}
	fclose(f);
	return acquired < 0 || released < 0 ? -1 : acquired - released;
}

/* Register [addr, addr + len) as a region: 0 and its id, or -errno. */
static inline int _region_register(int fd, void *addr, uint64_t len,
				   uint32_t *id)
{
	struct migaccel_region_register r = {
		.size = sizeof(r),
		.addr = (uintptr_t)addr,
		.length = len,
	};

	*id = 0;
	if (ioctl(fd, MIGACCEL_REGION_REGISTER, &r))
		return -errno;
	*id = r.out_region_id;
	return 0;
}

static inline int _region_unregister(int fd, uint32_t id, uint32_t flags)
{
	struct migaccel_region_unregister u = {
		.size = sizeof(u), .flags = flags, .region_id = id,
	};

	return ioctl(fd, MIGACCEL_REGION_UNREGISTER, &u) ? -errno : 0;
}

/* Set the fault injection of the channel open on @fd: 0, or -errno. */
static inline int channel_inject(int fd, const char *spec)
{
	struct migaccel_info info = { .size = sizeof(info) };
	char path[128];

	if (ioctl(fd, MIGACCEL_INFO, &info))
		return -errno;
	snprintf(path, sizeof(path),
		 "/sys/kernel/debug/migaccel/channel-%u/inject",
		 info.out_channel_id);
	return write_file(path, spec);
}

/* VmLck of this process in KiB, or -1. */
static inline long vm_locked_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		sscanf(line, "VmLck: %ld kB", &kb);
	if (f)
		fclose(f);
	return kb;
}

/*
 * Drop CAP_IPC_LOCK, so that RLIMIT_MEMLOCK applies, and set that limit
 * to what the process has locked now plus @bytes.  0, or -1.
 */
static inline int memlock_allow(unsigned long bytes)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {};
	struct rlimit rl;
	long locked;

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	if (syscall(SYS_capset, &h, d))
		return -1;
	locked = vm_locked_kb();
	if (locked < 0)
		return -1;
	rl.rlim_cur = locked * 1024 + bytes;
	rl.rlim_max = rl.rlim_cur;
	return setrlimit(RLIMIT_MEMLOCK, &rl);
}

#endif /* MIGACCEL_SELFTEST_UTIL_H */
