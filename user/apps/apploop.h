/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * File descriptors of applications in their queue's loop. An app that
 * talks to something besides its TCP connections (the proxy's backend
 * sockets) registers the descriptor here, from a callback, and is called
 * back on the same queue thread when it may be ready. The engine core
 * knows nothing of it: the driver (user/queue.c: epoll, the AF_XDP socket
 * in the same set; a unit test: its own poll) binds its loop to the thread
 * with app_loop_bind, refreshes the engine's clock before calling back
 * (tcp_timers) and flushes the engine after (tcp_flush), so an fd callback
 * may use every call of tcp/app.h.
 *
 * Callbacks are edge-triggered: fn says "something may have changed";
 * the app does its I/O until EAGAIN or until it chooses to stop, and must
 * try again by itself when it stopped for a reason of its own (a full
 * send buffer: on TCP_EV_WRITABLE). A level-triggered driver is correct
 * too, only busier.
 */
#ifndef XTCP_APPLOOP_H
#define XTCP_APPLOOP_H

#include <stdint.h>

/* events: EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLERR, EPOLLHUP (sys/epoll.h) */
typedef void (*app_fd_fn)(int fd, uint32_t events, void *arg);

struct app_loop_ops {
	int (*add)(void *loop, int fd, uint32_t events, app_fd_fn fn, void *arg);
	int (*del)(void *loop, int fd);	/* no callback for fd after this */
};

/* The calling thread's loop from now on (NULL ops: none). */
void app_loop_bind(const struct app_loop_ops *ops, void *loop);

/* In the calling thread's loop; -ENOSYS when it has none. */
int app_fd_add(int fd, uint32_t events, app_fd_fn fn, void *arg);
int app_fd_del(int fd);

#endif /* XTCP_APPLOOP_H */
