// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* source (RFC 864's chargen, as a stream): bytes of app_source_byte() as
 * fast as the window allows, until the peer closes; input is dropped. */
#include "apps.h"

struct source {
	unsigned long long sent;
};

static void fill(struct tcp_conn *c, struct source *st)
{
	unsigned char buf[16384];
	size_t n, i;
	ssize_t r;

	while ((n = tcp_send_space(c))) {
		if (n > sizeof(buf))
			n = sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = app_source_byte(st->sent + i);
		r = tcp_send(c, buf, n);
		if (r <= 0)
			break;
		st->sent += (size_t)r;
	}
}

static void source_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	switch (ev) {
	case TCP_EV_ACCEPTED:
	case TCP_EV_CONNECTED:
	case TCP_EV_WRITABLE:
		fill(c, ctx);
		break;
	case TCP_EV_READABLE:
	case TCP_EV_PEER_CLOSED:
		app_discard.event(c, ev, NULL);	/* input goes where discard's goes */
		break;
	default:
		break;
	}
}

const struct tcp_app app_source = {
	.name = "source",
	.ctx_size = sizeof(struct source),
	.event = source_event,
};
