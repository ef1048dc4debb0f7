// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * RACK-TLP (RFC 8985) for connections with SACK: a hole is lost when data
 * sent after it was delivered and a reordering window has passed since
 * that happened in the network's time (RFC 8985 6.2), not after three
 * duplicate ACKs; a lost retransmission is found the same way; a tail loss
 * is probed after two round trips (7) instead of waiting for the RTO. The
 * send times come from a step map of first transmissions and a short list
 * of retransmitted ranges (conn.h, struct rack_state).
 */
#include <string.h>

#include "conn.h"

#define WCDELACK_NS (200ull * 1000000)	/* RFC 8985 7.2: WCDelAckT */

/* The map's time quantum: srtt/32, at least 50 us; finer than any
 * reordering window it is compared with. */
static uint64_t quantum_ns(const struct tcp_conn *c)
{
	uint64_t q = (uint64_t)c->srtt_us * 1000 / 32;

	return q > 50000 ? q : 50000;
}

static void txm_add(struct rack_state *r, uint32_t seq, uint64_t now, uint64_t q)
{
	if (r->ntxm && now - r->txm_ns[r->ntxm - 1] < q)
		return;		/* the same step */
	if (r->ntxm == RACK_TXM) {
		/* full: the two oldest steps become one, at the later time
		 * (loss of that data is then found later, never sooner) */
		r->txm_seq[1] = r->txm_seq[0];
		memmove(&r->txm_seq[0], &r->txm_seq[1], (RACK_TXM - 1) * sizeof(r->txm_seq[0]));
		memmove(&r->txm_ns[0], &r->txm_ns[1], (RACK_TXM - 1) * sizeof(r->txm_ns[0]));
		r->ntxm--;
	}
	r->txm_seq[r->ntxm] = seq;
	r->txm_ns[r->ntxm++] = now;
}

static void rxr_del(struct rack_state *r, int i)
{
	memmove(&r->rxr[i], &r->rxr[i + 1], (size_t)(r->nrxr - i - 1) * sizeof(r->rxr[0]));
	memmove(&r->rxr_ns[i], &r->rxr_ns[i + 1], (size_t)(r->nrxr - i - 1) * sizeof(r->rxr_ns[0]));
	r->nrxr--;
}

static void rxr_ins(struct rack_state *r, int i, uint32_t s, uint32_t e, uint64_t ns)
{
	memmove(&r->rxr[i + 1], &r->rxr[i], (size_t)(r->nrxr - i) * sizeof(r->rxr[0]));
	memmove(&r->rxr_ns[i + 1], &r->rxr_ns[i], (size_t)(r->nrxr - i) * sizeof(r->rxr_ns[0]));
	r->rxr[i][0] = s;
	r->rxr[i][1] = e;
	r->rxr_ns[i] = ns;
	r->nrxr++;
}

/* [s, e) was sent again now: it replaces what the list said of it. */
static void rxr_add(struct rack_state *r, uint32_t s, uint32_t e, uint64_t now)
{
	int i;

	for (i = 0; i < r->nrxr; i++) {
		uint32_t a = r->rxr[i][0], b = r->rxr[i][1];

		if (seq_le(b, s) || seq_ge(a, e))
			continue;
		if (seq_lt(a, s) && seq_gt(b, e)) {	/* split around */
			r->rxr[i][1] = s;
			if (r->nrxr < RACK_RXR)
				rxr_ins(r, i + 1, e, b, r->rxr_ns[i]);
			break;
		}
		if (seq_lt(a, s)) {
			r->rxr[i][1] = s;
		} else if (seq_gt(b, e)) {
			r->rxr[i][0] = e;
		} else {
			rxr_del(r, i);
			i--;
		}
	}
	if (r->nrxr == RACK_RXR) {
		/* full: the two closest ranges become one, at the later time
		 * (what lies between looks newer: its loss is found later,
		 * never sooner, and a resent range never looks lost again) */
		int m = 0;

		for (i = 1; i + 1 < r->nrxr; i++)
			if (r->rxr[i + 1][0] - r->rxr[i][1] < r->rxr[m + 1][0] - r->rxr[m][1])
				m = i;
		r->rxr[m][1] = r->rxr[m + 1][1];
		if (r->rxr_ns[m + 1] > r->rxr_ns[m])
			r->rxr_ns[m] = r->rxr_ns[m + 1];
		rxr_del(r, m + 1);
		if (seq_lt(r->rxr[m][0], e) && seq_lt(s, r->rxr[m][1])) {
			r->rxr_ns[m] = now;	/* [s, e) fell inside */
			return;
		}
	}
	for (i = 0; i < r->nrxr && seq_lt(r->rxr[i][0], s); i++)
		;
	if (i && r->rxr[i - 1][1] == s && r->rxr_ns[i - 1] == now) {
		r->rxr[i - 1][1] = e;	/* the same burst, contiguous */
		return;
	}
	rxr_ins(r, i, s, e, now);
}

/* send_range sent [seq, end) (FIN included), before SND.MAX moved. */
void rack_sent(struct tcp_conn *c, uint32_t seq, uint32_t end)
{
	struct rack_state *r = &c->rack;
	uint64_t now = c->e->now;

	prr_sent(c, end - seq);
	if (seq_lt(seq, c->snd_max)) {
		rxr_add(r, seq, seq_lt(end, c->snd_max) ? end : c->snd_max, now);
		if (seq_le(end, c->snd_max))
			return;
		seq = c->snd_max;
	}
	txm_add(r, seq, now, quantum_ns(c));
}

/*
 * The piece of [seq, hi) that went out at one time: its end; *ns its send
 * time, *rx whether it was retransmitted.
 */
static uint32_t piece(const struct tcp_conn *c, uint32_t seq, uint32_t hi,
		      uint64_t *ns, bool *rx)
{
	const struct rack_state *r = &c->rack;
	uint32_t end = hi;
	int i;

	*rx = false;
	for (i = 0; i < r->nrxr; i++) {
		if (seq_in(seq, r->rxr[i][0], r->rxr[i][1])) {
			*ns = r->rxr_ns[i];
			*rx = true;
			return seq_lt(r->rxr[i][1], hi) ? r->rxr[i][1] : hi;
		}
		if (seq_gt(r->rxr[i][0], seq)) {
			if (seq_lt(r->rxr[i][0], end))
				end = r->rxr[i][0];
			break;
		}
	}
	*ns = r->ntxm ? r->txm_ns[0] : 0;
	for (i = 0; i < r->ntxm && seq_le(r->txm_seq[i], seq); i++)
		*ns = r->txm_ns[i];
	if (i < r->ntxm && seq_gt(r->txm_seq[i], seq) && seq_lt(r->txm_seq[i], end))
		end = r->txm_seq[i];
	return end;
}

/* RFC 8985 6.2 step 4: the reordering window. */
static uint32_t reo_wnd_us(const struct tcp_conn *c)
{
	const struct rack_state *r = &c->rack;
	uint32_t w;

	if (!r->reo_seen &&
	    (c->in_recovery || range_bytes(c->sb, c->nsb) >= TCP_DUPTHRESH * (uint32_t)c->mss))
		return 0;
	w = (r->reo_mult + 1u) * (r->min_rtt_us / 4);
	return c->srtt_us && c->srtt_us < w ? c->srtt_us : w;
}

/* RFC 8985 6.2 step 5 for one piece: lost now, or when it will be
 * (*at, 0 when it is not sent before the newest delivered segment). */
static bool piece_lost(const struct tcp_conn *c, uint32_t seq, uint64_t ns,
		       uint64_t *at)
{
	const struct rack_state *r = &c->rack;
	uint64_t dl;

	*at = 0;
	if (!r->xmit_ns || ns > r->xmit_ns ||
	    (ns == r->xmit_ns && !seq_lt(seq, r->end_seq)))
		return false;
	dl = ns + ((uint64_t)r->rtt_us + r->reo_wnd_us) * 1000;
	if (c->e->now >= dl)
		return true;
	*at = dl;
	return false;
}

struct scan {
	uint32_t pipe;		/* bytes in flight (RFC 6675 pipe, RACK's way) */
	uint32_t lost_seq, lost_len;	/* the first lost piece */
	uint32_t lost_bytes;	/* every lost piece */
	bool lost;
	uint64_t next_at;	/* the earliest pending reordering deadline */
};

/* Every byte neither acknowledged nor SACKed, piece by piece. */
static void scan(const struct tcp_conn *c, struct scan *o)
{
	uint32_t pos = c->snd_una;

	memset(o, 0, sizeof(*o));
	for (int i = 0; i <= c->nsb; i++) {
		uint32_t end = i < c->nsb ? c->sb[i][0] : c->snd_max;

		while (seq_lt(pos, end)) {
			uint64_t ns, at;
			bool rx;
			uint32_t pe = piece(c, pos, end, &ns, &rx);

			if (piece_lost(c, pos, ns, &at)) {
				if (!o->lost) {
					o->lost = true;
					o->lost_seq = pos;
					o->lost_len = pe - pos;
				}
				o->lost_bytes += pe - pos;
			} else {
				o->pipe += pe - pos;
				if (at && (!o->next_at || at < o->next_at))
					o->next_at = at;
			}
			pos = pe;
		}
		if (i < c->nsb)
			pos = c->sb[i][1];
	}
}

uint32_t rack_pipe(const struct tcp_conn *c)
{
	struct scan o;

	scan(c, &o);
	return o.pipe;
}

/* RFC 8985 6.3 with RFC 6675 NextSeg: the first lost piece; a piece sent
 * again is lost only once its retransmission is. */
bool rack_next(const struct tcp_conn *c, uint32_t *seq, uint32_t *len)
{
	struct scan o;

	scan(c, &o);
	if (!o.lost)
		return false;
	*seq = o.lost_seq;
	*len = o.lost_len;
	/* the FIN's sequence is no byte of the buffer: send_range adds it */
	if (seq_gt(*seq + *len, c->snd_end))
		*len = seq_lt(*seq, c->snd_end) ? c->snd_end - *seq : 0;
	return true;
}

/* A delivered piece sent at ns (RFC 8985 6.2 steps 1-3). */
static void delivered(struct tcp_conn *c, uint32_t end,
		      uint64_t ns, bool rx)
{
	struct rack_state *r = &c->rack;
	uint64_t now = c->e->now;
	uint32_t rtt = (uint32_t)((now - ns) / 1000);

	/* step 2: a retransmission acknowledged sooner than the path's
	 * minimum round trip is the original's ACK: no sample */
	if (rx && r->min_rtt_us && rtt < r->min_rtt_us)
		return;
	if (!rx && (!r->min_rtt_us || rtt < r->min_rtt_us))
		r->min_rtt_us = rtt ? rtt : 1;
	if (ns > r->xmit_ns || (ns == r->xmit_ns && seq_gt(end, r->end_seq))) {
		r->xmit_ns = ns;
		r->end_seq = end;
		r->rtt_us = rtt;
	}
	/* step 3: delivered below the highest delivered, never resent */
	if (!rx && seq_lt(end, r->fack))
		r->reo_seen = 1;
	if (seq_gt(end, r->fack))
		r->fack = end;
}

/* [lo, hi) was acknowledged or SACKed by this ACK: what of it was not
 * SACKed already is newly delivered. */
static void deliver_range(struct tcp_conn *c, uint32_t lo, uint32_t hi)
{
	uint32_t pos = lo, end;

	if (seq_lt(pos, c->snd_una))
		pos = c->snd_una;
	if (seq_gt(hi, c->snd_max))
		hi = c->snd_max;
	while (seq_lt(pos, hi)) {
		uint64_t ns;
		bool rx;
		uint32_t pe;

		if (sb_covers(c, pos, &end)) {
			pos = end;
			continue;
		}
		pe = piece(c, pos, hi, &ns, &rx);
		/* the piece stops at the next SACKed range too */
		for (int i = 0; i < c->nsb; i++)
			if (seq_gt(c->sb[i][0], pos) && seq_lt(c->sb[i][0], pe)) {
				pe = c->sb[i][0];
				break;
			}
		delivered(c, pe, ns, rx);
		pos = pe;
	}
}

static void trim(struct tcp_conn *c, uint32_t una)
{
	struct rack_state *r = &c->rack;
	int k = 0;

	while (k + 1 < r->ntxm && seq_le(r->txm_seq[k + 1], una))
		k++;
	if (k) {
		memmove(&r->txm_seq[0], &r->txm_seq[k], (size_t)(r->ntxm - k) * sizeof(r->txm_seq[0]));
		memmove(&r->txm_ns[0], &r->txm_ns[k], (size_t)(r->ntxm - k) * sizeof(r->txm_ns[0]));
		r->ntxm -= (uint8_t)k;
	}
	while (r->nrxr && seq_le(r->rxr[0][1], una))
		rxr_del(r, 0);
}

/* RFC 8985 7.4: the ACK that covers a probe's episode. A probe that was a
 * retransmission and is not reported twice (D-SACK) repaired a loss: the
 * congestion response is owed. */
static void tlp_ack(struct tcp_conn *c, const struct tcp_seg *s)
{
	struct rack_state *r = &c->rack;

	if (!r->tlp_active || seq_lt(s->ack, r->tlp_high))
		return;
	r->tlp_active = 0;
	if (!r->tlp_rexmit || r->tlp_dsack || c->in_recovery)
		return;
	c->ssthresh = c->cc->loss(c);
	if (!c->cc->cong_control)
		c->cwnd = c->ssthresh;
	ST(c->e, tlp_recoveries)++;
}

/*
 * An acceptable ACK, before the engine takes it in (so SND.UNA and the
 * scoreboard still say what was delivered before it): RACK's newest
 * delivered segment, RTT, reordering, D-SACK rounds, TLP episodes.
 */
void rack_input(struct tcp_conn *c, const struct tcp_seg *s)
{
	struct rack_state *r = &c->rack;

	if (!rack_on(c) || !(s->flags & TCPHDR_ACK) || seq_gt(s->ack, c->snd_max))
		return;
	r->pre_acked = c->snd_una + range_bytes(c->sb, c->nsb);
	r->pre_valid = 1;
	for (int i = 0; i < s->nsack; i++) {
		uint32_t lo = s->sack[i][0], hi = s->sack[i][1];

		if (i == 0 && (seq_le(hi, s->ack) ||
			       (s->nsack > 1 && seq_ge(lo, s->sack[1][0]) &&
				seq_le(hi, s->sack[1][1])))) {
			/* RFC 8985 6.2 step 4: one step up per round trip */
			if (!r->dsack_on || seq_ge(c->snd_una, r->dsack_round)) {
				if (r->reo_mult < 254)
					r->reo_mult++;
				r->dsack_on = 1;
				r->dsack_round = c->snd_max;
				r->reo_persist = 16;
			}
			if (r->tlp_active && hi == r->tlp_high)
				r->tlp_dsack = 1;
			continue;
		}
		if (seq_lt(lo, hi))
			deliver_range(c, lo, hi);
	}
	if (seq_gt(s->ack, c->snd_una))
		deliver_range(c, c->snd_una, s->ack);
	tlp_ack(c, s);
	if (seq_gt(s->ack, c->snd_una))
		trim(c, s->ack);
}

/* After the ACK was taken in: mark losses, start recovery on them
 * (RFC 8985 6.2 step 5, in place of RFC 6675's DupThresh). */
void rack_detect(struct tcp_conn *c)
{
	struct rack_state *r = &c->rack;
	uint32_t delivered = 0;
	struct scan o;

	if (r->pre_valid) {	/* RFC 6937 DeliveredData of this ACK */
		delivered = c->snd_una + range_bytes(c->sb, c->nsb) - r->pre_acked;
		r->pre_valid = 0;
	}
	if (!rack_on(c) || c->snd_una == c->snd_max) {
		r->reo_at = 0;
		if (rack_on(c))
			rate_rack_lost(c, 0);
		return;
	}
	r->reo_wnd_us = reo_wnd_us(c);
	scan(c, &o);
	rate_rack_lost(c, o.lost_bytes);
	r->reo_at = o.next_at;
	if (o.lost && !c->in_recovery && seq_ge(c->snd_una, c->recover)) {
		recovery_enter(c);
		c->rexmit_una = 0;	/* RACK says what goes, not SND.UNA */
		c->rack_losses++;
		if (r->reo_persist && !--r->reo_persist)
			r->reo_mult = 0;	/* RFC 8985 6.2 step 4 */
	}
	prr_ack(c, delivered);
}

/* The reordering window of a pending hole ended (RFC 8985 6.3). */
void rack_reo_fire(struct tcp_conn *c)
{
	ST(c->e, rack_reo_timeouts)++;
	rack_detect(c);
	conn_mark(c);
}

/* A retransmission timeout ends any probe episode. */
void rack_rto(struct tcp_conn *c)
{
	c->rack.tlp_active = 0;
	c->rack.reo_at = 0;
}

/*
 * output's timer choice while data is outstanding: the reordering timer
 * when a hole waits out its window, else a tail loss probe (RFC 8985 7.2)
 * when the last data went out or SND.UNA moved since it was armed; false:
 * the RTO as before.
 */
bool rack_arm(struct tcp_conn *c)
{
	struct rack_state *r = &c->rack;
	uint64_t now = c->e->now, pto;
	uint32_t flight = c->snd_max - c->snd_una;

	if (!rack_on(c) || c->retries)
		return false;
	if (r->reo_at) {
		if (c->timer_kind != TIMER_RACK || c->main_at != r->reo_at)
			timer_set(c, TIMER_RACK, r->reo_at > now ? r->reo_at : now);
		return true;
	}
	if (c->in_recovery || r->tlp_active || !c->snd_wnd || !c->srtt_us ||
	    (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT &&
	     c->state != TCPS_FIN_WAIT_1 && c->state != TCPS_CLOSING &&
	     c->state != TCPS_LAST_ACK))
		return false;
	if (c->timer_kind == TIMER_TLP && r->tlp_una == c->snd_una &&
	    r->tlp_max == c->snd_max)
		return true;
	pto = 2ull * c->srtt_us * 1000;
	if (flight <= c->mss)
		pto += WCDELACK_NS;
	if (pto >= rto_ns(c))
		return false;
	r->tlp_una = c->snd_una;
	r->tlp_max = c->snd_max;
	timer_set(c, TIMER_TLP, now + pto);
	return true;
}
