// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Segment arrival for a connection, RFC 9293 3.10.7.3 (SYN-SENT) and
 * 3.10.7.4 (every other state), with RFC 5961's challenge ACKs.
 */
#include <string.h>

#include "conn.h"
#include "rng.h"

/* RFC 7323 5.5: TS.Recent older than 24 days is not trusted */
#define PAWS_IDLE_NS (24ULL * 24 * 3600 * 1000000000)

/* Events gathered while a segment is processed, delivered at its end. */
enum {
	EVB_CONNECTED = 1 << 0,
	EVB_READABLE = 1 << 1,
	EVB_WRITABLE = 1 << 2,
	EVB_PEER_CLOSED = 1 << 3,
	EVB_DONE = 1 << 4,	/* closed cleanly: CLOSED, then free */
};

void conn_event(struct tcp_conn *c, enum tcp_event ev)
{
	if (c->app_gone || !c->app || !c->app->event)
		return;
	if (ev == TCP_EV_RESET || ev == TCP_EV_CLOSED)
		c->app_gone = 1;	/* final: the app lets go inside the call */
	c->app->event(c, ev, c->ctx);
}

/* Abort: optionally send RST, tell the app, close. */
void conn_reset(struct tcp_conn *c, bool send_rst)
{
	if (c->state == TCPS_CLOSED)
		return;
	/* the peer takes a RST only at its RCV.NXT (RFC 5961 3.2). After an
	 * RTO rewound SND.NXT (go-back-N) the peer most likely has SND.UNA:
	 * what was sent past it went unacknowledged; else it is SND.NXT */
	if (send_rst)
		send_ctl(c->e, &c->t, c->snd_nxt != c->snd_max ? c->snd_una : c->snd_nxt,
			 c->rcv_nxt, TCPHDR_RST | TCPHDR_ACK);
	ST(c->e, aborted)++;
	conn_event(c, TCP_EV_RESET);
	conn_close(c);
}

/*
 * Answers to segments we refuse are rate-limited per connection, as Linux
 * does (tcp_invalid_ratelimit, 500 ms): else each forged or stray segment
 * draws an ACK to the real peer, and two such ends can ACK each other in
 * a loop. Data and FINs are always answered (a lost ACK, a D-SACK, a
 * FIN retransmitted to TIME-WAIT), as in Linux.
 */
#define OOW_GAP_NS (500 * 1000000ULL)

static bool oow_limited(struct tcp_conn *c)
{
	if (c->e->now < c->oow_until)
		return true;
	c->oow_until = c->e->now + OOW_GAP_NS;
	return false;
}

/* The ACK for an unacceptable segment (RFC 9293 3.10.7.4). */
static void oow_ack(struct tcp_conn *c, const struct tcp_seg *s)
{
	if (!s->len && !(s->flags & TCPHDR_FIN) && oow_limited(c)) {
		ST(c->e, oow_acks_limited)++;
		return;
	}
	c->ack_now = 1;
}

/*
 * RFC 5961 3.2, 4.2, 5.2: answer a suspicious segment with a plain ACK.
 * RFC 5961 7 bounds them; one engine-wide count per second is the side
 * channel of CVE-2016-5696 (an off-path prober drains it through its own
 * connection and sees whether a guessed 4-tuple spent one), so, as Linux
 * since: at most one per OOW_GAP_NS per connection, and the engine-wide
 * budget drawn at random each second from [limit/2, limit*3/2).
 */
static void challenge_ack(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;
	uint64_t second = e->now / 1000000000;
	uint32_t limit = e->cfg.challenge_ack_limit;

	if (oow_limited(c)) {
		ST(e, challenge_acks_limited)++;
		return;
	}
	if (limit) {
		if (second != e->ca_second || !e->ca_rng) {
			if (!e->ca_rng)
				e->ca_rng = e->hkey[0] ^ e->iss_key[1] ^ 1;
			e->ca_second = second;
			e->ca_left = (limit + 1) / 2 +
				     (uint32_t)(splitmix64(&e->ca_rng) % limit);
		}
		if (!e->ca_left) {
			ST(e, challenge_acks_limited)++;
			return;
		}
		e->ca_left--;
	}
	ST(e, challenge_acks)++;
	c->ack_now = 1;
	conn_mark(c);
}

/* RFC 2883: the next ACK reports [s, e) as received twice. */
static void dsack_note(struct tcp_conn *c, uint32_t s, uint32_t e)
{
	if (!c->sack_ok || !seq_lt(s, e))
		return;
	c->dsack[0] = s;
	c->dsack[1] = e;
	c->dsack_pending = 1;
}

/* RFC 9293 3.10.7.4, first: is any of the segment in the window? */
static bool acceptable(const struct tcp_conn *c, uint32_t seq,
		       uint32_t seg_len, uint32_t wnd)
{
	uint32_t lo = c->rcv_nxt, hi = c->rcv_nxt + wnd;

	if (!seg_len)
		return wnd ? seq_in(seq, lo, hi) : seq == lo;
	if (!wnd)
		return false;
	return seq_in(seq, lo, hi) || seq_in(seq + seg_len - 1, lo, hi);
}

/* Data at or after rcv_nxt, already trimmed to the window. */
static bool rcv_data(struct tcp_conn *c, const struct tcp_seg *s)
{
	uint32_t before = c->rcv_nxt;

	if (s->seq != c->rcv_nxt) {
		for (int i = 0; i < c->nooo; i++)
			if (seq_ge(s->seq, c->ooo[i][0]) &&
			    seq_le(s->seq + s->len, c->ooo[i][1]))
				dsack_note(c, s->seq, s->seq + s->len);
		c->ooo_recent = s->seq;
		/* the ring has room for the whole window: write it in place */
		if (range_add(c->ooo, &c->nooo, TCP_OOO_MAX, s->seq, s->seq + s->len)) {
			ring_put_at(&c->rcv, s->seq - c->rcv_nxt, s->data, s->len);
			ST(c->e, ooo_segs)++;
		}
		return false;
	}
	ring_put_at(&c->rcv, 0, s->data, s->len);
	ring_produce(&c->rcv, s->len);
	c->rcv_nxt += s->len;
	while (c->nooo && seq_le(c->ooo[0][0], c->rcv_nxt)) {
		if (seq_gt(c->ooo[0][1], c->rcv_nxt)) {
			ring_produce(&c->rcv, c->ooo[0][1] - c->rcv_nxt);
			c->rcv_nxt = c->ooo[0][1];
		}
		memmove(&c->ooo[0], &c->ooo[1], (size_t)(c->nooo - 1) * sizeof(c->ooo[0]));
		c->nooo--;
	}
	ST(c->e, bytes_in) += c->rcv_nxt - before;
	return true;
}

/* The peer's FIN, now in order (RFC 9293 3.10.7.4, eighth). */
static unsigned rcv_fin(struct tcp_conn *c)
{
	c->rcv_nxt++;
	c->ooo_fin = 0;
	c->ack_now = 1;
	switch (c->state) {
	case TCPS_ESTABLISHED:
		conn_set_state(c, TCPS_CLOSE_WAIT);
		break;
	case TCPS_FIN_WAIT_1:
		/* our FIN is not acknowledged yet: simultaneous close */
		conn_set_state(c, TCPS_CLOSING);
		break;
	case TCPS_FIN_WAIT_2:
		conn_time_wait(c);
		break;
	default:
		return 0;
	}
	return EVB_PEER_CLOSED;
}

static unsigned syn_sent_input(struct tcp_conn *c, struct tcp_seg *s)
{
	struct tcp_engine *e = c->e;

	if ((s->flags & TCPHDR_ACK) &&
	    (seq_le(s->ack, c->iss) || seq_gt(s->ack, c->snd_max))) {
		send_rst_for(e, s);
		return 0;
	}
	if (s->flags & TCPHDR_RST) {
		if (s->flags & TCPHDR_ACK) {	/* connection refused */
			ST(e, rst_in)++;
			conn_reset(c, false);
		}
		return 0;
	}
	if (!(s->flags & TCPHDR_SYN))
		return 0;
	c->irs = s->seq;
	c->rcv_nxt = c->last_ack_sent = s->seq + 1;
	c->ts_ok = s->ts && e->cfg.timestamps;
	c->ts_recent = s->tsval;
	c->sack_ok = s->sack_ok && e->cfg.sack;
	if (s->wscale != WIRE_NO_WSCALE) {
		c->ws_ok = 1;
		c->snd_wscale = s->wscale > XTCP_WSCALE_MAX ? XTCP_WSCALE_MAX : s->wscale;
	} else {
		c->rcv_wscale = 0;
	}
	/* without the option the peer takes 536 (1220 on IPv6): RFC 9293 3.7.1 */
	c->mss = conn_mss(c, s->mss ? s->mss : (c->t.v6 ? 1220 : 536));
	c->snd_wnd = s->wnd;	/* never scaled in a SYN */
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->ack_now = 1;
	if (!(s->flags & TCPHDR_ACK)) {	/* simultaneous open */
		conn_set_state(c, TCPS_SYN_RECEIVED);
		return 0;
	}
	c->snd_una = s->ack;
	timer_stop(c);
	conn_cc_start(c);
	conn_set_state(c, TCPS_ESTABLISHED);
	ST(e, connected)++;
	return EVB_CONNECTED;
}

/* RTT: timestamps (RFC 7323 4.1), else the one timed segment (Karn). */
static void rtt_from_ack(struct tcp_conn *c, const struct tcp_seg *s)
{
	struct tcp_engine *e = c->e;

	if (c->ts_ok && s->ts && s->tsecr) {
		uint32_t ms = ts_now(e) - s->tsecr;

		if (ms < 60000)
			rtt_sample(c, ms ? ms * 1000 : 500);
	} else if (c->rtt_start_ns && seq_ge(s->ack, c->rtt_seq)) {
		rtt_sample(c, (uint32_t)((e->now - c->rtt_start_ns) / 1000));
		c->rtt_start_ns = 0;
	}
}

/* The ACK field (RFC 9293 3.10.7.4, fifth); false: drop the segment. */
static bool rcv_ack(struct tcp_conn *c, const struct tcp_seg *s, unsigned *ev)
{
	struct tcp_engine *e = c->e;
	uint32_t wnd = (uint32_t)s->wnd << c->snd_wscale;
	uint32_t edge = c->snd_una + c->snd_wnd;	/* the window's right edge */
	bool born = c->state == TCPS_SYN_RECEIVED;
	bool fin_acked = false, news, dsack, dup, over;

	if (c->state == TCPS_SYN_RECEIVED) {
		if (!seq_gt(s->ack, c->snd_una) || seq_gt(s->ack, c->snd_max)) {
			send_rst_for(e, s);
			return false;
		}
		c->snd_una = c->iss + 1;	/* our SYN: no byte of the buffer */
		rto_rearm(c);
		c->snd_wnd = wnd;
		conn_cc_start(c);
		conn_set_state(c, TCPS_ESTABLISHED);
		ST(e, connected)++;
		*ev |= EVB_CONNECTED;	/* the window is taken below, as for any ACK */
	}
	/* RFC 5961 5.2: acceptable is SND.UNA - MAX.SND.WND <= SEG.ACK <=
	 * SND.NXT; outside, a challenge ACK and the segment goes. We test
	 * SND.MAX where the RFC says SND.NXT: after an RTO rewinds SND.NXT
	 * (go-back-N), an ACK for data sent before the rewind is still one
	 * the peer may rightly send */
	if (seq_gt(s->ack, c->snd_max) ||
	    seq_lt(s->ack, c->snd_una - c->max_sndwnd)) {
		challenge_ack(c);
		return false;
	}
	/* RFC 5681 2: a duplicate ACK carries nothing else new (and the
	 * answer to a zero-window probe is not one) */
	rack_input(c, s);	/* RFC 8985: before SND.UNA and the scoreboard move */
	rate_ack_begin(c, s);	/* the delivery-rate sample: likewise */
	dup = s->ack == c->snd_una && c->snd_max != c->snd_una && !s->len &&
	      !(s->flags & TCPHDR_FIN) && wnd == c->snd_wnd && wnd;
	if (seq_gt(s->ack, c->snd_una)) {
		uint32_t acked = s->ack - c->snd_una;

		if (c->fin_queued && seq_gt(s->ack, c->snd_end) &&
		    seq_le(c->snd_una, c->snd_end)) {
			fin_acked = true;
			acked--;
		}
		ring_consume(&c->snd, acked);
		c->snd_una = s->ack;
		if (seq_lt(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		sb_trim(c);
		rtt_from_ack(c, s);
		c->retries = 0;
		if (c->timer_kind == TIMER_RTO || c->timer_kind == TIMER_NONE)
			rto_rearm(c);	/* RFC 6298 5.2, 5.3 */
		over = c->in_recovery && seq_ge(s->ack, c->recover);
		recovery_ack(c, acked);
		undo_ack(c, s, over);	/* RFC 3522: after the window was set */
		if (acked && !c->app_gone)
			*ev |= EVB_WRITABLE;
	}
	sack_input(c, s, &news, &dsack);
	/* an ACK that reports a duplicate (RFC 2883) says nothing was lost:
	 * a duplicating network must not trigger fast retransmits */
	if (s->ack == c->snd_una && c->snd_max != c->snd_una &&
	    (news || (dup && !dsack)))
		recovery_dupack(c);
	rack_detect(c);
	rate_ack_end(c);	/* the sample, to cong_control or pacing */
	/* window update: not from an old ACK, only from a newer segment
	 * (SND.WL1/WL2) */
	if (seq_le(c->snd_una, s->ack) &&
	    (seq_lt(c->snd_wl1, s->seq) ||
	     (c->snd_wl1 == s->seq && seq_le(c->snd_wl2, s->ack)))) {
		c->snd_wnd = wnd;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		if (wnd > c->max_sndwnd)
			c->max_sndwnd = wnd;
		if (c->snd_wnd && c->timer_kind == TIMER_PERSIST)
			timer_stop(c);
	} else if (!born) {
		/* SND.UNA moved on an ACK too old to update the window (a
		 * reordered segment of the peer's): the peer's right edge has
		 * not moved, so SND.UNA + SND.WND must not either */
		c->snd_wnd = seq_gt(edge, c->snd_una) ? edge - c->snd_una : 0;
	}
	if (!c->snd_wnd)
		c->retries = 0;		/* a live peer with a closed window */

	if (!fin_acked)
		return true;
	switch (c->state) {
	case TCPS_FIN_WAIT_1:
		conn_set_state(c, TCPS_FIN_WAIT_2);
		conn_orphan_bound(c);
		break;
	case TCPS_CLOSING:
		conn_time_wait(c);
		break;
	case TCPS_LAST_ACK:
		*ev |= EVB_DONE;
		return false;
	default:
		break;
	}
	return true;
}

static void deliver(struct tcp_conn *c, unsigned ev)
{
	if (ev & EVB_CONNECTED)
		conn_event(c, TCP_EV_CONNECTED);
	if ((ev & EVB_READABLE) && ring_used(&c->rcv))
		conn_event(c, TCP_EV_READABLE);
	if (ev & EVB_WRITABLE)
		conn_event(c, TCP_EV_WRITABLE);
	if (ev & EVB_PEER_CLOSED)
		conn_event(c, TCP_EV_PEER_CLOSED);
	if ((ev & EVB_DONE) || c->state == TCPS_TIME_WAIT) {
		conn_event(c, TCP_EV_CLOSED);
		if (c->state == TCPS_TIME_WAIT) {
			/* nothing is sent or received again: give the memory back */
			ring_release(&c->snd);
			ring_release(&c->rcv);
		}
	}
	if (ev & EVB_DONE)
		conn_close(c);
}

/*
 * When to acknowledge data (RFC 9293 3.8.6.3, RFC 5681 4.2): at once for
 * anything out of order or filling a hole, and for every second full
 * segment; otherwise within delack_ms, unless something goes out sooner.
 */
static void ack_data(struct tcp_conn *c, uint8_t holes_before)
{
	const struct tcp_cfg *cfg = &c->e->cfg;

	if (holes_before || c->nooo || !cfg->delack_ms ||
	    c->rcv_nxt - c->last_ack_sent >= 2u * c->mss) {
		c->ack_now = 1;
		return;
	}
	if (!c->delack_at)
		timer_set(c, TIMER_DELACK, c->e->now + (uint64_t)cfg->delack_ms * 1000000);
}

static unsigned process(struct tcp_conn *c, struct tcp_seg *s)
{
	uint32_t wnd = ring_free(&c->rcv), seg_len;
	unsigned ev = 0;
	uint8_t holes;

	if (c->state == TCPS_SYN_SENT)
		return syn_sent_input(c, s);

	if (c->ecn_ok) {	/* RFC 3168 6.1.3 */
		if (s->flags & TCPHDR_CWR)
			c->ece_pending = 0;
		if ((s->tos & 3) == 3)
			c->ece_pending = 1;
	}
	/* RFC 5961 4.2: a SYN on a synchronized connection, whatever its
	 * sequence number, gets a challenge ACK */
	if ((s->flags & (TCPHDR_SYN | TCPHDR_RST)) == TCPHDR_SYN) {
		if (c->state != TCPS_SYN_RECEIVED)
			challenge_ack(c);
		return 0;
	}
	/* RFC 7323 5.3 R1, PAWS: an older timestamp than TS.Recent is an old
	 * duplicate, unless TS.Recent itself is over 24 days old */
	if (c->ts_ok && s->ts && !(s->flags & TCPHDR_RST) &&
	    seq_lt(s->tsval, c->ts_recent)) {
		if (c->e->now - c->ts_recent_ns <= PAWS_IDLE_NS) {
			ST(c->e, drop_paws)++;
			oow_ack(c, s);
			return 0;
		}
		c->ts_recent = s->tsval;
		c->ts_recent_ns = c->e->now;
	}
	seg_len = s->len + !!(s->flags & TCPHDR_FIN);
	if (!acceptable(c, s->seq, seg_len, wnd)) {
		if (!wnd && s->seq == c->rcv_nxt && !(s->flags & TCPHDR_RST)) {
			/* a zero-window probe: take its ACK, not its data */
			s->len = 0;
			s->flags &= (uint8_t)~TCPHDR_FIN;
			c->ack_now = 1;
		} else {
			ST(c->e, drop_unacceptable)++;
			if (!(s->flags & TCPHDR_RST)) {
				oow_ack(c, s);
				if (s->len && seq_le(s->seq + s->len, c->rcv_nxt))
					dsack_note(c, s->seq, s->seq + s->len);
				if (c->state == TCPS_TIME_WAIT && (s->flags & TCPHDR_FIN))
					conn_time_wait(c);
			}
			return 0;
		}
	}
	/* trim to the window */
	if (seq_lt(s->seq, c->rcv_nxt)) {
		uint32_t d = c->rcv_nxt - s->seq;

		dsack_note(c, s->seq, d < s->len ? c->rcv_nxt : s->seq + s->len);
		if (d > s->len) {	/* the FIN is old too */
			d = s->len;
			s->flags &= (uint8_t)~TCPHDR_FIN;
		}
		s->data += d;
		s->len -= d;
		s->seq += d;
		if (!s->len)
			s->seq = c->rcv_nxt;
	}
	if (s->len && seq_gt(s->seq + s->len, c->rcv_nxt + wnd)) {
		s->len = c->rcv_nxt + wnd - s->seq;
		s->flags &= (uint8_t)~TCPHDR_FIN;
	}

	/* RST: RFC 5961 3.2 — exactly RCV.NXT resets, elsewhere in the
	 * window earns a challenge ACK */
	if (s->flags & TCPHDR_RST) {
		if (s->seq != c->rcv_nxt) {
			challenge_ack(c);
			return 0;
		}
		ST(c->e, rst_in)++;
		if (c->state == TCPS_TIME_WAIT) {
			conn_close(c);
			return 0;
		}
		conn_reset(c, false);
		return 0;
	}
	if (!(s->flags & TCPHDR_ACK))
		return 0;
	/* RFC 7323 4.3: TS.Recent from the segment that covers Last.ACK.sent */
	if (c->ts_ok && s->ts && seq_le(s->seq, c->last_ack_sent) &&
	    seq_ge(s->tsval, c->ts_recent)) {
		c->ts_recent = s->tsval;
		c->ts_recent_ns = c->e->now;
	}
	if (!rcv_ack(c, s, &ev))
		return ev;

	if (s->len) {
		switch (c->state) {
		case TCPS_ESTABLISHED:
		case TCPS_FIN_WAIT_1:
		case TCPS_FIN_WAIT_2:
			if (c->app_gone) {
				/* no reader any more: RFC 9293 3.10.4, as Linux */
				conn_reset(c, true);
				return 0;
			}
			holes = c->nooo;
			if (rcv_data(c, s))
				ev |= EVB_READABLE;
			ack_data(c, holes);
			break;
		default:
			break;	/* after the peer's FIN: nothing more is data */
		}
	}
	if (s->flags & TCPHDR_FIN) {
		uint32_t fin_seq = s->seq + s->len;

		if (fin_seq == c->rcv_nxt) {
			ev |= rcv_fin(c);
		} else if (c->state == TCPS_TIME_WAIT) {
			c->ack_now = 1;
		} else if (seq_gt(fin_seq, c->rcv_nxt)) {
			c->ooo_fin = 1;
			c->ooo_fin_seq = fin_seq;
			c->ack_now = 1;
		}
	}
	if (c->ooo_fin && c->ooo_fin_seq == c->rcv_nxt)
		ev |= rcv_fin(c);
	if (c->state == TCPS_TIME_WAIT && (s->flags & TCPHDR_FIN)) {
		c->ack_now = 1;		/* re-ACK a retransmitted FIN, restart 2MSL */
		conn_time_wait(c);
	}
	return ev;
}

void conn_input(struct tcp_conn *c, struct tcp_seg *s)
{
	unsigned ev;

	c->last_rcv_ns = c->e->now;	/* the peer is alive: keepalive waits */
	ev = process(c, s);

	if (c->state != TCPS_CLOSED)
		deliver(c, ev);
	conn_mark(c);
}
