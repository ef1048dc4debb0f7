/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Congestion control behind one small interface. The engine owns loss
 * detection and recovery (recovery.c); an algorithm only says how the
 * window grows on new ACKs and where ssthresh goes on a loss. cwnd and
 * ssthresh are in bytes, in the connection.
 */
#ifndef XTCP_TCP_CC_H
#define XTCP_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_conn;

/*
 * One ACK's delivery-rate sample (draft-cheng-iccrg-delivery-rate-
 * estimation-02 3.3), filled by the engine (rate.c) for every ACK that
 * delivered data, SACKed bytes included.
 */
struct tcp_rate_sample {
	uint64_t prior_delivered;	/* C.delivered when the newest
					 * delivered segment was sent */
	uint64_t delivered;		/* bytes delivered over interval_us */
	uint64_t interval_us;		/* max(send, ACK) elapsed; 0: no sample */
	uint32_t rtt_us;		/* RTT of that segment; 0: none */
	uint32_t newly_acked;		/* bytes newly delivered by this ACK */
	uint32_t newly_lost;		/* bytes newly marked lost by it */
	uint32_t prior_in_flight;	/* bytes in flight before the ACK */
	bool is_app_limited;		/* that segment was sent app-limited */
};

/* What the engine tells a model-based algorithm besides ACKs. */
enum tcp_cc_event {
	CC_EV_RECOVERY,		/* fast recovery began (after loss()) */
	CC_EV_RECOVERED,	/* it ended: a full ACK */
	CC_EV_RTO,		/* a retransmission timeout (after loss()) */
	CC_EV_UNDO,		/* the last response was undone (undo.c) */
	CC_EV_TX_START,		/* sending resumes after an idle period */
};

struct tcp_cc {
	const char *name;
	/* the connection was synchronized: cwnd is the initial window */
	void (*init)(struct tcp_conn *c);
	/* acked bytes newly acknowledged, outside recovery: grow cwnd */
	void (*ack)(struct tcp_conn *c, uint32_t acked);
	/* a loss (fast retransmit or RTO): the new ssthresh */
	uint32_t (*loss)(struct tcp_conn *c);
	/*
	 * Optional, for a model-based algorithm (BBR): called on every ACK
	 * that delivered data, in recovery too, instead of ack(); it owns
	 * c->cwnd and c->pacing_rate, and the engine applies no PRR or
	 * RFC 6582 window changes of its own for it.
	 */
	void (*cong_control)(struct tcp_conn *c,
			     const struct tcp_rate_sample *rs);
	/* optional: an event of enum tcp_cc_event */
	void (*event)(struct tcp_conn *c, enum tcp_cc_event ev);
};

extern const struct tcp_cc tcp_cc_newreno, tcp_cc_cubic, tcp_cc_bbr;

/* By name ("newreno", "cubic", "bbr"); NULL when unknown. */
const struct tcp_cc *tcp_cc_find(const char *name);
/* "newreno, cubic, bbr", for messages */
const char *tcp_cc_names(void);

/* RFC 5681 3.1 slow start with RFC 3465 byte counting (L = 2*SMSS);
 * returns the bytes left over for congestion avoidance. */
uint32_t cc_slow_start(struct tcp_conn *c, uint32_t acked);
/* RFC 5681 eq. (4): half the flight, at least two segments */
uint32_t cc_half_flight(const struct tcp_conn *c);

#endif /* XTCP_TCP_CC_H */
