/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Congestion control behind one small interface. The engine owns loss
 * detection and recovery (recovery.c); an algorithm only says how the
 * window grows on new ACKs and where ssthresh goes on a loss. cwnd and
 * ssthresh are in bytes, in the connection.
 */
#ifndef XTCP_TCP_CC_H
#define XTCP_TCP_CC_H

#include <stdint.h>

struct tcp_conn;

struct tcp_cc {
	const char *name;
	/* the connection was synchronized: cwnd is the initial window */
	void (*init)(struct tcp_conn *c);
	/* acked bytes newly acknowledged, outside recovery: grow cwnd */
	void (*ack)(struct tcp_conn *c, uint32_t acked);
	/* a loss (fast retransmit or RTO): the new ssthresh */
	uint32_t (*loss)(struct tcp_conn *c);
};

extern const struct tcp_cc tcp_cc_newreno, tcp_cc_cubic;

/* By name ("newreno", "cubic"); NULL when unknown. */
const struct tcp_cc *tcp_cc_find(const char *name);
/* "newreno, cubic", for messages */
const char *tcp_cc_names(void);

/* RFC 5681 3.1 slow start with RFC 3465 byte counting (L = 2*SMSS);
 * returns the bytes left over for congestion avoidance. */
uint32_t cc_slow_start(struct tcp_conn *c, uint32_t acked);
/* RFC 5681 eq. (4): half the flight, at least two segments */
uint32_t cc_half_flight(const struct tcp_conn *c);

#endif /* XTCP_TCP_CC_H */
