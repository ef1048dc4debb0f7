// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* discard (RFC 863 over TCP): read everything, answer nothing. */
#include "apps.h"

static void discard_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	unsigned char buf[16384];

	(void)ctx;
	if (ev != TCP_EV_READABLE && ev != TCP_EV_PEER_CLOSED)
		return;
	while (tcp_recv(c, buf, sizeof(buf)))
		;
	if (ev == TCP_EV_PEER_CLOSED)
		tcp_close(c);
}

const struct tcp_app app_discard = {
	.name = "discard",
	.event = discard_event,
};
