// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * The only file of libmigaccel that calls into the kernel.  Each wrapper
 * returns the result or a negative errno, and leaves the caller's errno as
 * it found it: the library never reports through errno.
 */
#include <errno.h>
#include <fcntl.h>
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
