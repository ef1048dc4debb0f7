// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Loss recovery on the sending side: the SACK scoreboard (RFC 2018, D-SACK
 * per RFC 2883), duplicate ACKs and fast retransmit (RFC 5681 3.2),
 * limited transmit (RFC 3042, in output.c's budget), NewReno partial ACKs
 * (RFC 6582) for peers without SACK, and SACK-based recovery (RFC 6675)
 * for peers with it. Congestion control only sees cc->ack and cc->loss;
 * a model-based one (cc->cong_control) sees every ACK's rate sample
 * (rate.c) instead of cc->ack, owns cwnd, and is told of recovery and
 * timeouts through cc->event; the window changes of RFC 6582, 6675 and
 * PRR are then not made.
 */
#include <string.h>

#include "conn.h"

/* RFC 6928: min(10*MSS, max(2*MSS, 14600)); RFC 5681 3.1: one segment
 * when the SYN or SYN-ACK had to be sent again. */
static uint32_t initial_window(const struct tcp_conn *c)
{
	uint32_t w = 14600 > 2u * c->mss ? 14600 : 2u * c->mss;

	if (c->retransmits)
		return c->mss;
	return w < 10u * c->mss ? w : 10u * c->mss;
}

/* The connection is synchronized: the sender's state starts here. */
void conn_cc_start(struct tcp_conn *c)
{
	c->cc = c->e->cfg.cc ? c->e->cfg.cc : &tcp_cc_cubic;
	c->cwnd = initial_window(c);
	c->ssthresh = UINT32_MAX;	/* RFC 5681 3.1: arbitrarily high */
	c->recover = c->snd_una;
	c->high_rxt = c->snd_una;
	c->snd_sml = c->snd_una;
	c->max_sndwnd = c->snd_wnd;
	c->ts_recent_ns = c->e->now;
	c->last_rcv_ns = c->e->now;
	/* RFC 6298 5.7: a timed-out SYN leaves the RTO at 3 s at least */
	if (c->retransmits && !c->srtt_us && c->rto_ms < 3000)
		c->rto_ms = 3000;
	c->cc->init(c);
	if (!c->cc->cong_control)
		pacing_default(c);	/* an RTT from the handshake paces the IW */
	keepalive_arm(c);
}

/* Put [s, e) on the scoreboard; when it is full the highest range is
 * forgotten: that only costs a needless retransmission. */
static void sb_add(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	while (!range_add(c->sb, &c->nsb, TCP_SB_MAX, s, e)) {
		if (seq_ge(s, c->sb[c->nsb - 1][0]))
			return;
		c->nsb--;
	}
}

/* Drop what the cumulative ACK now covers. */
void sb_trim(struct tcp_conn *c)
{
	int k = 0;

	while (k < c->nsb && seq_le(c->sb[k][1], c->snd_una))
		k++;
	if (k) {
		memmove(&c->sb[0], &c->sb[k], (size_t)(c->nsb - k) * sizeof(c->sb[0]));
		c->nsb -= (uint8_t)k;
	}
	if (c->nsb && seq_lt(c->sb[0][0], c->snd_una))
		c->sb[0][0] = c->snd_una;
}

bool sb_covers(const struct tcp_conn *c, uint32_t seq, uint32_t *end)
{
	for (int i = 0; i < c->nsb && seq_le(c->sb[i][0], seq); i++)
		if (seq_lt(seq, c->sb[i][1])) {
			*end = c->sb[i][1];
			return true;
		}
	return false;
}

/*
 * The SACK blocks of an ACK (after SND.UNA moved). A first block below the
 * cumulative ACK, or inside the second, reports a duplicate (RFC 2883 4):
 * counted, never put on the scoreboard. *news: bytes were newly SACKed;
 * *dsack: the ACK reports a duplicate (so it is no sign of loss).
 */
void sack_input(struct tcp_conn *c, const struct tcp_seg *s, bool *news,
		bool *dsack)
{
	uint32_t before;

	*news = *dsack = false;
	if (!c->sack_ok || !s->nsack)
		return;
	before = range_bytes(c->sb, c->nsb);
	for (int i = 0; i < s->nsack; i++) {
		uint32_t l = s->sack[i][0], r = s->sack[i][1];

		if (i == 0 && (seq_le(r, s->ack) ||
			       (s->nsack > 1 && seq_ge(l, s->sack[1][0]) &&
				seq_le(r, s->sack[1][1])))) {
			c->dsacks_in++;
			ST(c->e, dsacks_in)++;
			*dsack = true;
			undo_dsack(c, l, r);
			continue;
		}
		/* only what we sent and is not acknowledged yet */
		if (!seq_lt(l, r) || seq_gt(r, c->snd_max) || seq_le(r, c->snd_una))
			continue;
		if (seq_lt(l, c->snd_una))
			l = c->snd_una;
		sb_add(c, l, r);
	}
	*news = range_bytes(c->sb, c->nsb) != before;
}

/* RFC 6675 IsLost, for the hole below scoreboard range i, given the
 * SACKed bytes from range i up (every byte of a hole has the same SACKed
 * data above it, so one answer holds for the whole hole). */
static bool hole_lost(const struct tcp_conn *c, int i, uint32_t above)
{
	return c->nsb - i >= TCP_DUPTHRESH ||
	       above > (TCP_DUPTHRESH - 1) * (uint32_t)c->mss;
}

static uint32_t overlap(uint32_t a, uint32_t b, uint32_t lo, uint32_t hi)
{
	uint32_t s = seq_gt(a, lo) ? a : lo, e = seq_lt(b, hi) ? b : hi;

	return seq_lt(s, e) ? e - s : 0;
}

/* RFC 6675 SetPipe: the bytes still in the network. */
uint32_t recovery_pipe(const struct tcp_conn *c)
{
	uint32_t pipe = 0, pos = c->snd_una, above = range_bytes(c->sb, c->nsb);

	if (rack_on(c))
		return rack_pipe(c);
	for (int i = 0; i <= c->nsb; i++) {
		uint32_t end = i < c->nsb ? c->sb[i][0] : c->snd_max;

		if (seq_lt(pos, end)) {
			if (i == c->nsb || !hole_lost(c, i, above))
				pipe += end - pos;
			pipe += overlap(pos, end, c->snd_una, c->high_rxt);
		}
		if (i < c->nsb) {
			pos = c->sb[i][1];
			above -= c->sb[i][1] - c->sb[i][0];
		}
	}
	return pipe;
}

/*
 * RFC 6675 NextSeg, rules 1 and 3 (rule 2, new data, is output's): the
 * first byte above HighRxt in a hole that is lost; with any, in a hole
 * that has SACKed data above it at all.
 */
bool recovery_next(const struct tcp_conn *c, bool any, uint32_t *seq, uint32_t *len)
{
	uint32_t pos = c->snd_una, above = range_bytes(c->sb, c->nsb);

	/* RACK (RFC 8985): lost pieces only, lost retransmissions included;
	 * no rule 3, the tail loss probe covers what it was for */
	if (rack_on(c))
		return any ? false : rack_next(c, seq, len);
	for (int i = 0; i < c->nsb; i++) {
		uint32_t s = seq_gt(c->high_rxt, pos) ? c->high_rxt : pos;
		uint32_t e = c->sb[i][0];

		if (seq_lt(s, e) && (any || hole_lost(c, i, above))) {
			*seq = s;
			*len = e - s;
			return true;
		}
		pos = c->sb[i][1];
		above -= c->sb[i][1] - c->sb[i][0];
	}
	return false;
}

void recovery_enter(struct tcp_conn *c)
{
	undo_begin(c);
	c->ssthresh = c->cc->loss(c);
	c->recover = c->snd_max;
	c->high_rxt = c->snd_una;
	c->in_recovery = 1;
	prr_start(c);
	c->rexmit_una = 1;	/* RFC 5681 3.2 step 4: whatever pipe says */
	/* RFC 6675 5 step 4.2; RFC 6582 3.2 step 2: inflate by the three
	 * segments that left the network */
	if (!c->cc->cong_control)
		c->cwnd = c->sack_ok ? c->ssthresh : c->ssthresh + TCP_DUPTHRESH * c->mss;
	c->fast_rexmits++;
	ST(c->e, fast_retransmits)++;
	cc_event(c, CC_EV_RECOVERY);
}

/* A duplicate ACK: RFC 5681's definition, or, with SACK, an ACK that did
 * not move SND.UNA but SACKed new data (RFC 6675 2). */
void recovery_dupack(struct tcp_conn *c)
{
	bool lost_una;

	if (c->in_recovery) {
		if (!c->sack_ok && !c->cc->cong_control)
			c->cwnd += c->mss;	/* RFC 6582 3.2 step 4 */
		return;
	}
	if (c->dupacks < 255)
		c->dupacks++;
	if (rack_on(c))
		return;		/* RACK decides (rack_detect) */
	lost_una = c->sack_ok && c->nsb && seq_gt(c->sb[0][0], c->snd_una) &&
		   hole_lost(c, 0, range_bytes(c->sb, c->nsb));
	/* RFC 6582 3.2 step 2: not again for data sent before the last
	 * recovery or timeout (recover) */
	if ((c->dupacks >= TCP_DUPTHRESH || lost_una) &&
	    seq_ge(c->snd_una, c->recover))
		recovery_enter(c);
}

/* SND.UNA moved by acked bytes (the scoreboard already trimmed). */
void recovery_ack(struct tcp_conn *c, uint32_t acked)
{
	bool model = c->cc->cong_control != NULL;	/* rate_ack_end calls it */

	c->dupacks = 0;
	if (!c->in_recovery) {
		if (!model)
			c->cc->ack(c, acked);
		return;
	}
	if (seq_ge(c->snd_una, c->recover)) {
		/* full ACK: RFC 6582 3.2 step 3 (1), no burst on exit:
		 * min(ssthresh, max(FlightSize, SMSS) + SMSS) */
		uint32_t flight = c->snd_max - c->snd_una;

		flight = (flight > c->mss ? flight : c->mss) + c->mss;

		if (!model)
			c->cwnd = c->ssthresh < flight ? c->ssthresh : flight;
		c->in_recovery = 0;
		c->rexmit_una = 0;
		cc_event(c, CC_EV_RECOVERED);
		return;
	}
	if (seq_lt(c->high_rxt, c->snd_una))
		c->high_rxt = c->snd_una;
	if (c->sack_ok)
		return;		/* the scoreboard says what is next */
	/* RFC 6582 3.2 step 5: partial ACK, the next hole goes now; deflate
	 * by what left, add back one segment */
	c->rexmit_una = 1;
	if (model)
		return;
	c->cwnd = c->cwnd > acked + c->mss ? c->cwnd - acked : c->mss;
	if (acked >= c->mss)
		c->cwnd += c->mss;
}

/* A retransmission timeout for data (RFC 6298 5.4-5.6, RFC 5681 3.1). */
void recovery_rto(struct tcp_conn *c)
{
	if (c->retries == 1) {	/* eq. (4): the first timeout of this data */
		if (!c->in_recovery)
			undo_begin(c);	/* else the recovery's saved state holds */
		c->ssthresh = c->cc->loss(c);
		/* everything in flight is deemed lost (rate.c) */
		rate_lost(c, c->snd_max - c->snd_una - range_bytes(c->sb, c->nsb));
	}
	c->undo.rto = 1;
	c->cwnd = c->mss;	/* the loss window */
	c->ca_bytes = 0;
	c->in_recovery = 0;
	c->rexmit_una = 0;
	c->dupacks = 0;
	c->recover = c->snd_max;
	c->high_rxt = c->snd_una;
	/* a peer that keeps not acknowledging SACKed data may have reneged
	 * (RFC 2018 8): resend everything */
	if (c->retries > 1)
		c->nsb = 0;
	c->snd_nxt = c->snd_una;	/* go back: resend from the hole */
	c->rto_count++;
	rack_rto(c);
	/* after the loss window is set: a model-based algorithm may set its
	 * own (as Linux's BBR does from its saved state) */
	cc_event(c, CC_EV_RTO);
}
