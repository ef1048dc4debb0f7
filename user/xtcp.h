/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * libxtcp: serve an interface with your own application. One call with a
 * config struct does what `xtcp serve` does (attach the XDP program, one
 * AF_XDP socket, engine and thread per RX queue, the control socket for
 * `xtcp stats`) and returns when serving stops. The application is a
 * struct tcp_app (tcp/app.h: events in, calls out); descriptors of its
 * own go into its queue's loop (apps/apploop.h). Installed as
 * <xtcp/xtcp.h>; `pkg-config --cflags --libs xtcp`.
 */
#ifndef XTCP_XTCP_H
#define XTCP_XTCP_H

#include <stdint.h>

#include "tcp/app.h"
#include "apps/apploop.h"

struct xtcp_serve_cfg {
	const char *ifname;
	const uint16_t *ports;		/* host order */
	int nports;
	const struct tcp_app *app;	/* its name must not be a built-in's */
	unsigned int queues;		/* 0: every RX queue */
	unsigned int max_conns;		/* per queue; 0: the default */
	unsigned int sndbuf, rcvbuf;	/* per connection; 0: the defaults */
	int generic_xdp;		/* XDP in generic (skb) mode */
	/* further `xtcp serve` options ("--time-wait", "1", ...), NULL-ended */
	const char *const *extra_args;
};

/*
 * Serve until xtcp_serve_stop(), SIGINT or SIGTERM; logs to stderr.
 * Returns 0 when it stopped cleanly, a negative errno when it could not
 * start (-EINVAL: the config; -EIO: see the log).
 */
int xtcp_serve(const struct xtcp_serve_cfg *cfg);

/* From any thread or a signal handler: xtcp_serve returns soon after. */
void xtcp_serve_stop(void);

#endif /* XTCP_XTCP_H */
