// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The only file of libmigaccel that calls into the kernel.  Each wrapper
 * returns the result or a negative errno, and leaves the caller's errno as
 * it found it: the library never reports through errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"

int migaccel__sys_open(const char *path, int flags)
{
	int saved = errno;
	int ret;

	ret = open(path, flags | O_CLOEXEC);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

int migaccel__sys_ioctl(int fd, unsigned long req, void *arg)
{
	int saved = errno;
	int ret;

	ret = ioctl(fd, req, arg);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

int migaccel__sys_close(int fd)
{
	int saved = errno;
	int ret;

	/* Linux releases the descriptor even when close() fails: no retry. */
	ret = close(fd);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

int migaccel__sys_eventfd(unsigned int count)
{
	int saved = errno;
	int ret;

	ret = eventfd(count, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ret < 0)
		ret = -errno;
	errno = saved;
	return ret;
}

/* Add one to the counter of eventfd @fd: it becomes readable. */
int migaccel__sys_eventfd_signal(int fd)
{
	uint64_t one = 1;
	int saved = errno;
	int ret = 0;

	/* Only a counter at its maximum refuses, and it is readable then. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		ret = -errno;
	errno = saved;
	return ret;
}

/* Reset the counter of the non-blocking eventfd @fd to 0. */
int migaccel__sys_eventfd_drain(int fd)
{
	uint64_t count;
	int saved = errno;
	int ret = 0;

	if (read(fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		ret = -errno;
	errno = saved;
	return ret;
}
