// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* discard (RFC 863 over TCP): read everything, answer nothing. */
#include "apps.h"

static void discard_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	unsigned char buf[16384];

	(void)ctx;
	switch (ev) {
	case TCP_EV_READABLE:
		while (tcp_recv(c, buf, sizeof(buf)))
			;
		break;
	case TCP_EV_PEER_CLOSED:
		while (tcp_recv(c, buf, sizeof(buf)))
			;
		tcp_close(c);
		break;
	default:
		break;
	}
}

const struct tcp_app app_discard = {
	.name = "discard",
	.event = discard_event,
};
