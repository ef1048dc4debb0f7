/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The engine's frames, kept: the transmit side of struct tcp_io for the
 * scripted unit tests, which read back every frame the engine sent.
 */
#ifndef XTCP_TEST_CAPTURE_H
#define XTCP_TEST_CAPTURE_H

#include <stdbool.h>
#include <linux/types.h>

#include "tcp/tcp.h"

#define CAPTURE_MAX 512		/* frames kept; later ones are not */

struct capture {
	__u8 out[CAPTURE_MAX][2048];
	__u32 outlen[CAPTURE_MAX];
	int nout, rd;		/* frames kept; the next one a test reads */
	__u8 txbuf[2048];
	bool starved;		/* no TX buffer to give: the engine's counted loss */
};

/* io's ctx, tx_buf and tx_send, into cap; the rest of io is the caller's. */
void capture_io(struct capture *cap, struct tcp_io *io);

#endif /* XTCP_TEST_CAPTURE_H */
