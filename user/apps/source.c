// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* source (RFC 864's chargen, as a stream): bytes of app_source_byte() as
 * fast as the window allows, until the peer closes; input is dropped. */
#include "apps.h"

struct source {
	unsigned long long sent;
};

#define CHUNK 16384

/* The pattern from every phase: byte i of it is app_source_byte(i), so
 * the stream from offset `sent` is pattern + sent % 251. */
static unsigned char pattern[CHUNK + 251];

__attribute__((constructor)) static void pattern_init(void)
{
	size_t i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = app_source_byte(i);
}

static void fill(struct tcp_conn *c, struct source *st)
{
	size_t n;
	ssize_t r;

	while ((n = tcp_send_space(c))) {
		if (n > CHUNK)
			n = CHUNK;
		r = tcp_send(c, pattern + st->sent % 251, n);
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
