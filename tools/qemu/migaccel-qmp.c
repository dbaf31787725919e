// SPDX-License-Identifier: GPL-2.0
/*
 * migaccel-qmp SOCKET COMMAND...: send QMP commands to the QEMU listening
 * on the unix socket SOCKET and print each reply on one line.  Each
 * COMMAND is one JSON object, e.g. '{"execute":"query-migrate"}'.
 * Events are skipped.  Exit status 0 when every command returned, 1 when
 * one answered with an error (the rest are not sent), 2 on a connection
 * problem.  The demo uses it where no Python is at hand (inside the VM).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static char buf[1 << 20];
static size_t used;

/* One line of the reply stream, without its newline; NULL at EOF. */
static char *read_line(int fd)
{
	static size_t skip;
	char *nl;

	memmove(buf, buf + skip, used - skip);
	used -= skip;
	skip = 0;
	while (!(nl = memchr(buf, '\n', used))) {
		ssize_t n;

		if (used == sizeof(buf) - 1)
			return NULL;
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			return NULL;
		used += (size_t)n;
	}
	*nl = '\0';
	skip = (size_t)(nl - buf) + 1;
	return buf;
}

/* Send one command and print its reply; events before it are skipped. */
static int command(int fd, const char *cmd, int quiet)
{
	size_t len = strlen(cmd);
	char *line;

	if (write(fd, cmd, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		perror("migaccel-qmp: write");
		return 2;
	}
	while ((line = read_line(fd))) {
		if (strstr(line, "\"event\""))
			continue;
		if (!quiet || strstr(line, "\"error\""))
			printf("%s\n", line);
		return strstr(line, "\"error\"") ? 1 : 0;
	}
	fprintf(stderr, "migaccel-qmp: connection closed\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, i, ret;

	if (argc < 3) {
		fprintf(stderr, "usage: %s SOCKET COMMAND...\n", argv[0]);
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "migaccel-qmp: socket path too long\n");
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		perror("migaccel-qmp: connect");
		return 2;
	}
	if (!read_line(fd)) {
		fprintf(stderr, "migaccel-qmp: no greeting\n");
		return 2;
	}
	ret = command(fd, "{\"execute\":\"qmp_capabilities\"}", 1);
	for (i = 2; !ret && i < argc; i++)
		ret = command(fd, argv[i], 0);
	close(fd);
	return ret;
}
