// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* echo (RFC 862 over TCP): every byte goes back; the peer's FIN is echoed
 * too, once every byte before it went back. */
#include "apps.h"

struct echo {
	unsigned char peer_closed;
};

static void pump(struct tcp_conn *c, struct echo *st)
{
	unsigned char buf[16384];
	size_t n;

	for (;;) {
		n = tcp_recv_avail(c);
		if (n > tcp_send_space(c))
			n = tcp_send_space(c);
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (!n)
			break;
		n = tcp_recv(c, buf, n);
		tcp_send(c, buf, n);
	}
	if (st->peer_closed && !tcp_recv_avail(c))
		tcp_close(c);
}

static void echo_event(struct tcp_conn *c, enum tcp_event ev, void *ctx)
{
	struct echo *st = ctx;

	switch (ev) {
	case TCP_EV_ACCEPTED:
		tcp_set_nodelay(c, true);	/* interactive: echo at once */
		break;
	case TCP_EV_PEER_CLOSED:
		st->peer_closed = 1;
		/* fall through */
	case TCP_EV_READABLE:
	case TCP_EV_WRITABLE:
		pump(c, st);
		break;
	default:
		break;
	}
}

const struct tcp_app app_echo = {
	.name = "echo",
	.ctx_size = sizeof(struct echo),
	.event = echo_event,
};
