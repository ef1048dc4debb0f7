/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Writing a whole buffer to a socket, for the control and metrics sockets. */
#ifndef XTCP_FDIO_H
#define XTCP_FDIO_H

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

/* All of p, or until the peer goes away (no SIGPIPE: MSG_NOSIGNAL). */
static inline void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0) {
			if (w < 0 && errno == EINTR)
				continue;
			return;
		}
		c += w;
		n -= (size_t)w;
	}
}

#endif /* XTCP_FDIO_H */
