/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A bare connection block on an engine of its own, for the unit tests of
 * the sender's arithmetic (congestion control, RACK, undo, PRR): no frames
 * in, the engine's internals (tcp/conn.h) poked directly.
 */
#ifndef XTCP_TEST_BARE_H
#define XTCP_TEST_BARE_H

#include "tcp/conn.h"

#define BARE_MSS 1000u

/* The engine of the last bare_conn (freed by the next one). */
extern struct tcp_engine *bare_engine;

/*
 * A fresh engine of one connection (congestion control cc, or the
 * default; frames go to io, or nowhere; the clock at now_ns), and that
 * connection: MSS 1000, ISS 1000, SND.UNA = SND.NXT = SND.MAX = SND.END =
 * 1001, a 1 MiB send window. Congestion control is not started: the caller
 * sets what it needs first (SACK, state), then calls conn_cc_start.
 */
struct tcp_conn *bare_conn(const struct tcp_cc *cc, const struct tcp_io *io,
			   uint64_t now_ns);

#endif /* XTCP_TEST_BARE_H */
