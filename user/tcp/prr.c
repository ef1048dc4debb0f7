// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Proportional Rate Reduction (RFC 6937) for SACK recovery under RACK:
 * the window falls to ssthresh in step with what the ACKs say left the
 * network, instead of at once (a silence, then a burst): while pipe is
 * above ssthresh, ssthresh/RecoverFS of the delivered data may be sent;
 * below it, slow start up to ssthresh, bounded by PRR-SSRB (3, 4).
 */
#include "conn.h"

/* RFC 6937 3: at the start of recovery. */
void prr_start(struct tcp_conn *c)
{
	c->prr.delivered = 0;
	c->prr.out = 0;
	c->prr.recover_fs = c->snd_max - c->snd_una;
}

/* Data sent during recovery: prr_out. */
void prr_sent(struct tcp_conn *c, uint32_t n)
{
	if (c->in_recovery)
		c->prr.out += n;
}

/* RFC 6937 3, "on every ACK during recovery": what may go now, given the
 * data this ACK delivered (DeliveredData) and pipe after it. */
uint32_t prr_sndcnt(struct tcp_conn *c, uint32_t delivered, uint32_t pipe)
{
	struct prr_state *p = &c->prr;
	int64_t snd;

	p->delivered += delivered;
	if (pipe > c->ssthresh) {
		/* proportional: CEIL(prr_delivered * ssthresh / RecoverFS) */
		uint64_t fs = p->recover_fs ? p->recover_fs : 1;

		snd = (int64_t)(((uint64_t)p->delivered * c->ssthresh + fs - 1) / fs) - p->out;
	} else {
		/* PRR-SSRB: at most one segment more than delivered */
		int64_t limit = (int64_t)p->delivered - p->out;

		if (limit < (int64_t)delivered)
			limit = delivered;
		limit += c->mss;
		snd = (int64_t)c->ssthresh - pipe;
		if (snd > limit)
			snd = limit;
	}
	if (snd < 0)
		snd = 0;
	/* whole segments, as the RFC's example counts (and Linux) */
	snd = (snd + c->mss - 1) / c->mss * c->mss;
	/* the fast retransmit itself always goes (as Linux does) */
	if (!p->out && snd < c->mss)
		snd = c->mss;
	return (uint32_t)snd;
}

/* The window for the next sends: pipe + sndcnt. */
void prr_ack(struct tcp_conn *c, uint32_t delivered)
{
	uint32_t pipe;

	if (!c->in_recovery || c->cc->cong_control)
		return;		/* a model-based algorithm sets its own */
	pipe = recovery_pipe(c);
	c->cwnd = pipe + prr_sndcnt(c, delivered, pipe);
}
