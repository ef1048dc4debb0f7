// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Undo of a congestion response the network did not call for. A recovery
 * or a first timeout saves the window, ssthresh and the algorithm's state;
 * the response is undone when every retransmission of the episode comes
 * back reported twice by D-SACK (RFC 3708 3, the Linux undo_retrans
 * count), or when the ACK that ends it echoes a timestamp older than the
 * episode's first retransmission: an original was acknowledged (Eifel
 * detection, RFC 3522 2). The response then is RFC 4015's in spirit:
 * the window and ssthresh come back; the retransmissions already sent are
 * not taken back.
 */
#include "conn.h"

/* An episode begins: before cc->loss changes anything. */
void undo_begin(struct tcp_conn *c)
{
	struct undo_state *u = &c->undo;

	u->cwnd = c->cwnd;
	u->ssthresh = c->ssthresh;
	u->ccs = c->ccs;
	u->marker = c->snd_una;
	u->retrans = 0;
	u->retrans_ts = 0;
	u->on = 1;
	u->rto = 0;
}

/* A retransmission of the episode left. */
void undo_retransmit(struct tcp_conn *c)
{
	struct undo_state *u = &c->undo;

	if (!u->on)
		return;
	if (!u->retrans++)
		u->retrans_ts = ts_now(c->e);
}

static void undo(struct tcp_conn *c)
{
	struct undo_state *u = &c->undo;

	if (u->cwnd > c->cwnd)
		c->cwnd = u->cwnd;
	if (u->ssthresh > c->ssthresh || c->ssthresh == UINT32_MAX)
		c->ssthresh = u->ssthresh;
	c->ccs = u->ccs;
	u->on = 0;
	c->undos++;
	ST(c->e, undos)++;
	cc_event(c, CC_EV_UNDO);
}

/* RFC 3708 3: a D-SACK for [lo, hi), data of this episode sent twice. */
void undo_dsack(struct tcp_conn *c, uint32_t lo, uint32_t hi)
{
	struct undo_state *u = &c->undo;
	uint32_t n;

	if (!u->on || !u->retrans || seq_lt(lo, u->marker) || !seq_lt(lo, hi))
		return;
	n = (hi - lo + c->mss - 1) / c->mss;
	u->retrans = u->retrans > n ? u->retrans - n : 0;
	if (!u->retrans)
		undo(c);
}

/* RFC 3522 2: the ACK that moves SND.UNA past the episode's start (the
 * first timeout's, or a recovery's end) echoes a timestamp from before the
 * first retransmission. */
void undo_ack(struct tcp_conn *c, const struct tcp_seg *s, bool recovery_over)
{
	struct undo_state *u = &c->undo;

	if (!u->on || !c->ts_ok || !s->ts || !u->retrans_ts ||
	    !seq_gt(s->ack, u->marker))
		return;
	if (c->in_recovery && !recovery_over)
		return;
	if ((int32_t)(s->tsecr - u->retrans_ts) < 0) {
		/* RFC 4015 4: after a spurious timeout, new data, not the
		 * go-back-N of what the network still holds */
		if (u->rto && seq_lt(c->snd_nxt, c->snd_max))
			c->snd_nxt = c->snd_max;
		undo(c);
	} else
		u->on = 0;	/* the retransmission was needed */
}
