// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Every frame the engine sends, copied in order: see capture.h. */
#include <string.h>

#include "capture.h"

static __u8 *capture_tx_buf(void *ctx, __u32 *cap)
{
	struct capture *c = ctx;

	*cap = sizeof(c->txbuf);
	return c->starved ? NULL : c->txbuf;
}

static void capture_tx_send(void *ctx, __u8 *buf, __u32 len)
{
	struct capture *c = ctx;

	if (c->nout < CAPTURE_MAX) {
		memcpy(c->out[c->nout], buf, len);
		c->outlen[c->nout++] = len;
	}
}

void capture_io(struct capture *cap, struct tcp_io *io)
{
	io->ctx = cap;
	io->tx_buf = capture_tx_buf;
	io->tx_send = capture_tx_send;
}
