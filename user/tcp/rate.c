// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation-02)
 * without a per-segment list: every transmission records the connection's
 * delivery snapshot (C.delivered, C.delivered_time, C.first_sent_time,
 * app-limited) per run of sequence sent between two ACKs (struct
 * rate_state, bounded: see conn.h); every ACK that delivers data,
 * cumulatively or by SACK, makes a sample from the newest transmission it
 * delivered (3.3) and hands it to a model-based congestion control
 * (cc.h, cong_control). For the others the engine sets its own pacing
 * rate from cwnd and SRTT, as Linux's tcp_update_pacing_rate.
 */
#include <string.h>

#include "conn.h"

void cc_event(struct tcp_conn *c, enum tcp_cc_event ev)
{
	if (c->cc && c->cc->event)
		c->cc->event(c, ev);
}

static uint32_t sacked(const struct tcp_conn *c)
{
	return range_bytes(c->sb, c->nsb);
}

static void rec_del(struct rate_state *r, int i)
{
	memmove(&r->rec[i], &r->rec[i + 1], (size_t)(r->nrec - i - 1) * sizeof(r->rec[0]));
	r->nrec--;
}

/* 3.2, upon transmitting: [seq, end) goes now (before SND.MAX moves). */
void rate_sent(struct tcp_conn *c, uint32_t seq, uint32_t end)
{
	struct rate_state *r = &c->rate;
	struct rate_rec *t = r->nrec ? &r->rec[r->nrec - 1] : NULL;
	uint64_t now = c->e->now;
	uint8_t rexmit = seq_lt(seq, c->snd_max), app = !!r->app_limited;

	if (!seq_lt(seq, end))
		return;
	/* nothing in flight: the send and ACK intervals start afresh */
	if (c->snd_una == c->snd_max) {
		r->first_sent_ns = now;
		c->delivered_ns = now;
	}
	if (t && t->end == seq && t->rexmit == rexmit &&
	    ((t->delivered == c->delivered && t->delivered_ns == c->delivered_ns &&
	      t->first_sent_ns == r->first_sent_ns && t->app_limited == app) ||
	     r->nrec == RATE_REC)) {
		/* the same snapshot, or the list is full: the newest record
		 * grows (full: this data keeps an older snapshot, so its
		 * sample spans a longer interval, never a shorter one) */
		uint64_t span = t->span_ns + (now - t->sent_ns);

		if (t->delivered != c->delivered)
			ST(c->e, rate_rec_full)++;
		t->span_ns = span > UINT32_MAX ? UINT32_MAX : (uint32_t)span;
		t->sent_ns = now;
		t->end = end;
		return;
	}
	if (r->nrec == RATE_REC) {
		/* full, and not contiguous: the oldest is forgotten; an ACK
		 * of its data then gives no sample */
		rec_del(r, 0);
		ST(c->e, rate_rec_full)++;
	}
	r->rec[r->nrec++] = (struct rate_rec){
		.seq = seq, .end = end, .sent_ns = now,
		.delivered = c->delivered, .delivered_ns = c->delivered_ns,
		.first_sent_ns = r->first_sent_ns,
		.app_limited = app, .rexmit = rexmit,
	};
}

/* Bytes in flight now: RFC 6675 pipe in recovery or after a timeout,
 * else what is neither acknowledged nor SACKed. */
static uint32_t in_flight(const struct tcp_conn *c)
{
	if (c->in_recovery || c->snd_nxt != c->snd_max)
		return recovery_pipe(c);
	return c->snd_max - c->snd_una - sacked(c);
}

/*
 * An acceptable ACK, before SND.UNA and the scoreboard move: what was
 * delivered so far, and the newest transmission this ACK delivers (3.2,
 * UpdateRateSample: the delivered packet sent last). A byte SACKed by an
 * earlier ACK is no longer a candidate (the draft's P.delivered_time = 0).
 */
void rate_ack_begin(struct tcp_conn *c, const struct tcp_seg *s)
{
	struct rate_state *r = &c->rate;
	uint32_t lo[1 + WIRE_MAX_SACK], hi[1 + WIRE_MAX_SACK];
	int n = 0;

	r->in_ack = 1;
	r->have_p = 0;
	r->pre_acked = c->snd_una + sacked(c);
	/* pipe in recovery costs a scoreboard walk: only a model-based
	 * algorithm reads it */
	r->prior_in_flight = c->cc && c->cc->cong_control ? in_flight(c)
			     : c->snd_max - c->snd_una - sacked(c);
	if (seq_gt(s->ack, c->snd_una) && !seq_gt(s->ack, c->snd_max)) {
		lo[n] = c->snd_una;
		hi[n++] = s->ack;
	}
	for (int i = 0; i < s->nsack && c->sack_ok; i++) {
		uint32_t l = s->sack[i][0], h = s->sack[i][1];

		if (i == 0 && (seq_le(h, s->ack) ||	/* D-SACK (RFC 2883 4) */
			       (s->nsack > 1 && seq_ge(l, s->sack[1][0]) &&
				seq_le(h, s->sack[1][1]))))
			continue;
		if (seq_lt(l, c->snd_una))
			l = c->snd_una;
		if (seq_gt(h, c->snd_max))
			h = c->snd_max;
		if (seq_lt(l, h)) {
			lo[n] = l;
			hi[n++] = h;
		}
	}
	/* records are in send order: the first from the newest that holds
	 * a delivered byte is the newest transmission delivered */
	for (int k = r->nrec - 1; k >= 0 && !r->have_p; k--) {
		const struct rate_rec *p = &r->rec[k];
		uint32_t top = 0;

		for (int j = 0; j < n; j++) {
			uint32_t a = seq_gt(p->seq, lo[j]) ? p->seq : lo[j];
			uint32_t b = seq_lt(p->end, hi[j]) ? p->end : hi[j], e;

			if (!seq_lt(a, b) || (sb_covers(c, a, &e) && seq_ge(e, b)))
				continue;
			if (!r->have_p || seq_gt(b, top))
				top = b;
			r->have_p = 1;
		}
		if (r->have_p) {
			/* the byte's own send time, between the record's first
			 * and last (its sends are spread evenly when paced) */
			uint64_t len = p->end - p->seq, at = top - p->seq;

			r->p = *p;
			r->p_sent_ns = p->sent_ns - p->span_ns +
				       (len ? (uint64_t)p->span_ns * at / len : 0);
		}
	}
}

/* Forget what is acknowledged, or SACKed whole. */
static void rec_trim(struct tcp_conn *c)
{
	struct rate_state *r = &c->rate;
	uint32_t e;

	for (int i = 0; i < r->nrec;) {
		const struct rate_rec *p = &r->rec[i];

		if (seq_le(p->end, c->snd_una) ||
		    (sb_covers(c, p->seq, &e) && seq_ge(e, p->end)))
			rec_del(r, i);
		else
			i++;
	}
}

/*
 * After the ACK was taken in (window, recovery, RACK): the bytes it
 * delivered, and if any, the sample (3.3, GenerateRateSample), to
 * cong_control, or the engine's own pacing rate.
 */
void rate_ack_end(struct tcp_conn *c)
{
	struct rate_state *r = &c->rate;
	struct tcp_rate_sample rs = { .interval_us = 0 };
	uint32_t acked = c->snd_una + sacked(c), newly;
	uint64_t now = c->e->now;

	if (!r->in_ack || !c->cc)
		return;
	r->in_ack = 0;
	newly = (int32_t)(acked - r->pre_acked) > 0 ? acked - r->pre_acked : 0;
	rec_trim(c);
	if (!newly)
		return;
	c->delivered += newly;
	c->delivered_ns = now;
	rs.newly_acked = newly;
	rs.prior_in_flight = r->prior_in_flight;
	rs.newly_lost = (uint32_t)(r->lost - r->lost_sampled);
	r->lost_sampled = r->lost;
	/* 3.3: the app-limited phase ends once its data is delivered */
	if (r->app_limited && c->delivered > r->app_limited)
		r->app_limited = 0;
	if (r->have_p) {
		const struct rate_rec *p = &r->p;
		uint64_t send_el = r->p_sent_ns > p->first_sent_ns ?
				   r->p_sent_ns - p->first_sent_ns : 0;
		uint64_t ack_el = now - p->delivered_ns;
		uint64_t iv = (send_el > ack_el ? send_el : ack_el) / 1000;

		rs.prior_delivered = p->delivered;
		rs.delivered = c->delivered - p->delivered;
		rs.is_app_limited = p->app_limited;
		r->first_sent_ns = r->p_sent_ns;	/* C.first_sent_time */
		if (!p->rexmit) {	/* Karn: a retransmission times nothing */
			uint64_t rtt = (now - r->p_sent_ns) / 1000;

			rs.rtt_us = rtt ? (rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt) : 1;
			if (!r->min_rtt_us || rs.rtt_us < r->min_rtt_us)
				r->min_rtt_us = rs.rtt_us;
			/* RFC 6298's gain of 1/8, on the microsecond clock */
			r->srtt_us = r->srtt_us ? (7 * (uint64_t)r->srtt_us + rs.rtt_us) / 8
					       : rs.rtt_us;
		}
		/* 3.3: an interval under the minimum RTT is ACK compression
		 * (or a retransmission taken for its original): no sample */
		if (iv && iv >= r->min_rtt_us) {
			rs.interval_us = iv;
			r->last = rs;
			ST(c->e, rate_samples)++;
			if (rs.is_app_limited)
				ST(c->e, rate_samples_app_limited)++;
		}
	}
	if (c->cc->cong_control)
		c->cc->cong_control(c, &rs);
	else
		pacing_default(c);
}

/*
 * 3.4, CheckIfApplicationLimited, at the end of a send attempt: less than
 * a segment left to send, nothing owed to recovery, nothing held by
 * pacing, and the window not full: the app is what limits the rate. The
 * mark is where delivery must reach before samples are not app-limited.
 */
void rate_app_check(struct tcp_conn *c)
{
	uint32_t unsent = seq_lt(c->snd_nxt, c->snd_end) ? c->snd_end - c->snd_nxt : 0;
	uint32_t flight;

	if (unsent >= c->mss || c->pace_wake_at || c->in_recovery || c->rexmit_una ||
	    c->snd_nxt != c->snd_max)
		return;
	flight = c->snd_max - c->snd_una - sacked(c);
	if (flight >= c->cwnd)
		return;
	c->rate.app_limited = c->delivered + flight ? c->delivered + flight : 1;
}

/* Bytes deemed lost outside RACK's scan (a timeout: all in flight). */
void rate_lost(struct tcp_conn *c, uint32_t bytes)
{
	struct rate_state *r = &c->rate;

	if (bytes > r->lost_left) {
		r->lost += bytes - r->lost_left;
		r->lost_left = bytes;
	}
}

/* RACK's scan deemed lost_now bytes lost and not yet sent again: what
 * is more than last time was newly marked. */
void rate_rack_lost(struct tcp_conn *c, uint32_t lost_now)
{
	struct rate_state *r = &c->rate;

	if (lost_now > r->lost_left)
		r->lost += lost_now - r->lost_left;
	r->lost_left = lost_now;
}

/* A retransmission of bytes: without RACK, a retransmission is the loss
 * the engine deemed, counted here unless a timeout counted it. */
void rate_resent(struct tcp_conn *c, uint32_t bytes)
{
	struct rate_state *r = &c->rate;

	if (bytes <= r->lost_left) {
		r->lost_left -= bytes;
		return;
	}
	if (!rack_on(c))
		r->lost += bytes - r->lost_left;
	r->lost_left = 0;
}

/*
 * The engine's pacing rate for an algorithm that sets none (Linux's
 * tcp_update_pacing_rate): the window over SRTT, twice that in slow start
 * (cwnd below half ssthresh: the window doubles each round trip), 1.2
 * times in congestion avoidance; unpaced until an RTT is known. SRTT from
 * the estimator's own samples when there are any: timestamps count in
 * milliseconds, and a LAN's 50 us would read as 500 (Linux's SRTT is in
 * microseconds).
 */
void pacing_default(struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;
	uint64_t w = c->cwnd > flight ? c->cwnd : flight, rate;
	uint32_t srtt = c->rate.srtt_us ? c->rate.srtt_us : c->srtt_us;

	if (c->e->cfg.no_pacing || !srtt) {
		c->pacing_rate = 0;
		return;
	}
	rate = w * 1000000 / srtt;
	rate = c->cwnd < c->ssthresh / 2 ? rate * 2 : rate * 12 / 10;
	c->pacing_rate = rate ? rate : 1;
}

/*
 * How far ahead of the rate clock one wake-up may send: max(2 segments,
 * 1 ms of the rate), at most 64 KiB, as Linux's TSO autosizing does with
 * sk_pacing_shift 10. At 10 Gbit/s that is a wake-up every 52 us, at
 * 20 Mbit/s one every two segments; the average rate is exact either way.
 */
uint64_t pacing_quantum_ns(const struct tcp_conn *c)
{
	uint64_t q = c->pacing_rate >> 10;

	if (q < 2u * c->mss)
		q = 2u * c->mss;
	if (q > 65536)
		q = 65536;
	return q * 1000000000 / c->pacing_rate;
}
