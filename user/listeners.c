// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel listeners, read the way ss and netstat read them without
 * netlink: /proc/net/tcp and tcp6 (the calling thread's namespace: /proc/net
 * follows it) give the socket's inode; the process is the one with
 * "socket:[inode]" among its descriptors.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "listeners.h"

#define TCP_LISTEN_STATE 0x0a	/* include/net/tcp_states.h TCP_LISTEN */

/* The inode of a socket listening on port in one /proc/net table, or 0. */
static unsigned long table_listener(const char *path, uint16_t port)
{
	char line[512];
	unsigned long inode = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	while (!inode && fgets(line, sizeof(line), f)) {
		unsigned int lport, state;
		unsigned long ino;

		/* sl local_address:port rem_address:port st tx:rx tr:tm retr uid timeout inode */
		if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
			   &lport, &state, &ino) == 3 &&
		    lport == port && state == TCP_LISTEN_STATE && ino)
			inode = ino;
	}
	fclose(f);
	return inode;
}

/* "comm (pid N)" of the process holding socket inode, if any is visible. */
static int socket_owner(unsigned long inode, char *owner, size_t len)
{
	char want[64], path[PATH_MAX], link[64];
	struct dirent *p, *fd;
	DIR *proc = opendir("/proc"), *fds;
	int found = 0;

	if (!proc)
		return 0;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	while (!found && (p = readdir(proc))) {
		if (!isdigit((unsigned char)p->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", p->d_name);
		fds = opendir(path);
		if (!fds)
			continue;
		while (!found && (fd = readdir(fds))) {
			ssize_t n;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", p->d_name, fd->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			found = !strcmp(link, want);
		}
		closedir(fds);
		if (found) {
			char comm[64] = "?";
			FILE *f;

			snprintf(path, sizeof(path), "/proc/%s/comm", p->d_name);
			f = fopen(path, "r");
			if (f) {
				if (fgets(comm, sizeof(comm), f))
					comm[strcspn(comm, "\n")] = 0;
				fclose(f);
			}
			snprintf(owner, len, "%s (pid %s)", comm, p->d_name);
		}
	}
	closedir(proc);
	return found;
}

int listener_on_port(uint16_t port, char *owner, size_t len)
{
	unsigned long inode = table_listener("/proc/net/tcp", port);

	if (!inode)
		inode = table_listener("/proc/net/tcp6", port);
	if (!inode)
		return access("/proc/net/tcp", R_OK) ? -errno : 0;
	if (!socket_owner(inode, owner, len))
		snprintf(owner, len, "a socket (inode %lu)", inode);
	return 1;
}
