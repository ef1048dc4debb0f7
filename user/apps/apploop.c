// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The thread's app loop (apploop.h): a pointer per thread, set by the
 * driver that runs the engine on it. */
#include <errno.h>
#include <stddef.h>

#include "apploop.h"

static __thread const struct app_loop_ops *loop_ops;
static __thread void *loop_ctx;

void app_loop_bind(const struct app_loop_ops *ops, void *loop)
{
	loop_ops = ops;
	loop_ctx = loop;
}

int app_fd_add(int fd, uint32_t events, app_fd_fn fn, void *arg)
{
	return loop_ops ? loop_ops->add(loop_ctx, fd, events, fn, arg) : -ENOSYS;
}

int app_fd_del(int fd)
{
	return loop_ops ? loop_ops->del(loop_ctx, fd) : -ENOSYS;
}
