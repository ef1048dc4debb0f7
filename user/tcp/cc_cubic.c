// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * CUBIC, RFC 9438: after a loss the window follows
 * W_cubic(t) = C*(t - K)^3 + W_max (4.2), never below what Reno would
 * reach in the same time (the Reno-friendly region, 4.3). Windows are in
 * segments, t in seconds, as in the RFC.
 */
#include <math.h>

#include "conn.h"

#define CUBIC_C 0.4
#define CUBIC_BETA 0.7
/* RFC 9438 4.3: 3 * (1 - beta) / (1 + beta) */
#define CUBIC_ALPHA (3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA))

static void cubic_init(struct tcp_conn *c)
{
	struct cubic_state *s = &c->ccs.cubic;

	s->w_max = 0;
	s->k = 0;
	s->epoch_ns = 0;
}

static double w_cubic(const struct cubic_state *s, double t)
{
	return CUBIC_C * (t - s->k) * (t - s->k) * (t - s->k) + s->w_max;
}

static void cubic_ack(struct tcp_conn *c, uint32_t acked)
{
	struct cubic_state *s = &c->ccs.cubic;
	double cwnd, segs, t, target, rtt;

	acked = cc_slow_start(c, acked);
	if (!acked)
		return;
	cwnd = (double)c->cwnd / c->mss;
	if (!s->epoch_ns) {
		/* 4.2: a new epoch starts at the first ACK of congestion
		 * avoidance; K from the window it starts with (eq. 2) */
		s->epoch_ns = c->e->now;
		s->k = s->w_max > cwnd ? cbrt((s->w_max - cwnd) / CUBIC_C) : 0;
		if (s->w_max < cwnd)
			s->w_max = cwnd;
		s->w_est = cwnd;
		s->cwnd = cwnd;
	} else if ((uint32_t)(s->cwnd * c->mss) != c->cwnd) {
		s->cwnd = cwnd;		/* recovery moved it: start from there */
	}
	segs = (double)acked / c->mss;
	t = (double)(c->e->now - s->epoch_ns) / 1e9;
	rtt = c->srtt_us ? c->srtt_us / 1e6 : 0.1;
	/* 4.3: W_est grows by alpha per window acknowledged, 1 past W_max */
	s->w_est += (s->w_est < s->w_max ? CUBIC_ALPHA : 1.0) * segs / s->cwnd;
	if (w_cubic(s, t) < s->w_est) {
		s->cwnd = s->w_est;
	} else {
		/* 4.4, 4.5: toward W_cubic(t + RTT), at most 1.5x per RTT */
		target = w_cubic(s, t + rtt);
		if (target < s->cwnd)
			target = s->cwnd;
		if (target > 1.5 * s->cwnd)
			target = 1.5 * s->cwnd;
		s->cwnd += (target - s->cwnd) * segs / s->cwnd;
	}
	/* bounded: a window never needs more than the 32-bit sequence space
	 * can hold in flight */
	if (s->cwnd * c->mss > (double)(1u << 30))
		s->cwnd = (double)(1u << 30) / c->mss;
	c->cwnd = (uint32_t)(s->cwnd * c->mss);
}

/* 4.6 (with fast convergence, 4.7) and 4.8: the same reduction for a
 * fast retransmit and a timeout; the epoch ends. */
static uint32_t cubic_loss(struct tcp_conn *c)
{
	struct cubic_state *s = &c->ccs.cubic;
	double cwnd = (double)c->cwnd / c->mss;
	double th;

	s->w_max = cwnd < s->w_max ? cwnd * (1.0 + CUBIC_BETA) / 2.0 : cwnd;
	s->epoch_ns = 0;
	th = cwnd * CUBIC_BETA * c->mss;
	return th > 2.0 * c->mss ? (uint32_t)th : 2u * c->mss;
}

const struct tcp_cc tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.ack = cubic_ack,
	.loss = cubic_loss,
};
