// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Segments out: data segmented by the MSS and the peer's window, paced
 * when the connection has a pacing rate, FIN after the last byte, ACKs,
 * SYNs, and the stateless RST/ACK answers.
 */
#include "conn.h"

uint32_t ts_now(const struct tcp_engine *e)
{
	return (uint32_t)((int64_t)(e->now + e->cfg.tai_offset_ns) / 1000000);
}

static uint32_t sws_threshold(const struct tcp_conn *c)
{
	return c->rcv.cap / 2 < c->mss ? c->rcv.cap / 2 : c->mss;
}

/*
 * The window to advertise. Receiver-side SWS avoidance (RFC 9293
 * 3.8.6.2.2): the right edge moves only by at least min(buffer/2, MSS);
 * it never moves left (the buffer only frees what rcv_nxt consumed).
 */
uint32_t rcv_window(const struct tcp_conn *c)
{
	uint32_t avail = ring_free(&c->rcv);
	uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;

	if (avail > cur && avail - cur < sws_threshold(c))
		return cur;
	return avail;
}

static uint16_t wnd_field(struct tcp_conn *c, uint8_t flags)
{
	uint32_t w = rcv_window(c);

	if (flags & TCPHDR_SYN)	/* RFC 7323 2.2: a SYN's window is never scaled */
		w = w > 65535 ? 65535 : w;
	else
		w = (w >> c->rcv_wscale) > 65535 ? 65535 : w >> c->rcv_wscale;
	return (uint16_t)w;
}

/* The one way a frame leaves the engine: get a TX buffer, build, send,
 * count; false when no buffer was free. */
bool emit(struct tcp_engine *e, const struct tcp_tuple *t,
		 const struct wire_out *o)
{
	uint32_t cap = 0;
	uint8_t *buf = e->cfg.io.tx_buf(e->cfg.io.ctx, &cap);
	size_t len;

	if (!buf) {
		ST(e, drop_no_tx_frame)++;
		return false;
	}
	len = wire_build(buf, cap, t, o);
	if (!len) {
		ST(e, drop_no_tx_frame)++;
		return false;
	}
	e->cfg.io.tx_send(e->cfg.io.ctx, buf, (uint32_t)len);
	ST(e, segs_out)++;
	return true;
}

/* The SACK blocks our next ACK carries (RFC 2018 4): a D-SACK first
 * (RFC 2883), then the block with the newest segment, then the others. */
static int sack_blocks(const struct tcp_conn *c, uint32_t (*b)[2])
{
	int n = 0, max = c->ts_ok ? 3 : 4, k;

	if (!c->sack_ok)
		return 0;
	if (c->dsack_pending) {
		b[n][0] = c->dsack[0];
		b[n++][1] = c->dsack[1];
	}
	for (k = 0; k < c->nooo; k++)
		if (seq_in(c->ooo_recent, c->ooo[k][0], c->ooo[k][1]))
			break;
	if (k < c->nooo && n < max) {
		b[n][0] = c->ooo[k][0];
		b[n++][1] = c->ooo[k][1];
	}
	for (int i = 0; i < c->nooo && n < max; i++)
		if (i != k) {
			b[n][0] = c->ooo[i][0];
			b[n++][1] = c->ooo[i][1];
		}
	return n;
}

/* Payload per segment now: the MSS less the SACK blocks riding along
 * (what sack_blocks would put in, counted without building them). */
uint16_t snd_mss(const struct tcp_conn *c)
{
	uint32_t n = c->sack_ok ? c->nooo + c->dsack_pending : 0;
	uint32_t max = c->ts_ok ? 3 : 4;

	n = n < max ? n : max;
	return (uint16_t)(c->mss - (n ? 4 + 8 * n : 0));
}

/* One segment of a connection: seq, flags, and n bytes of the send buffer. */
static bool conn_emit(struct tcp_conn *c, uint32_t seq, uint8_t flags,
		      uint32_t n)
{
	struct wire_opts opts = { .len = 0 };
	struct wire_out o = {
		.seq = seq,
		.ack = c->rcv_nxt,
		.flags = flags,
		.opts = &opts,
	};
	uint32_t blocks[4][2];
	uint16_t wnd;
	int nb;

	if (flags & TCPHDR_SYN) {
		wire_opt_mss(&opts, our_mss(c->e, c->t.v6));
		if (c->state == TCPS_SYN_SENT ? c->e->cfg.sack : c->sack_ok)
			wire_opt_sack_ok(&opts);
	}
	if (c->ts_ok || (c->state == TCPS_SYN_SENT && (flags & TCPHDR_SYN) &&
			 c->e->cfg.timestamps))
		wire_opt_ts(&opts, ts_now(c->e), c->ts_recent);
	if ((flags & TCPHDR_SYN) &&
	    (c->state == TCPS_SYN_SENT || c->ws_ok))
		wire_opt_wscale(&opts, c->rcv_wscale);
	if (!(flags & TCPHDR_SYN) && (nb = sack_blocks(c, blocks)) > 0) {
		wire_opt_sack(&opts, (const uint32_t (*)[2])blocks, nb);
		if (c->dsack_pending)
			ST(c->e, dsacks_out)++;
	}
	if (c->state != TCPS_SYN_SENT || !(flags & TCPHDR_SYN))
		o.flags |= TCPHDR_ACK;
	if (c->ece_pending && !(flags & TCPHDR_SYN))
		o.flags |= TCPHDR_ECE;	/* RFC 3168 6.1.3: until CWR */
	wnd = wnd_field(c, flags);
	o.wnd = wnd;
	if (n) {
		struct ring_span sp;

		ring_span(&c->snd, seq - c->snd_una, n, &sp);
		o.data[0] = sp.p[0];
		o.data[1] = sp.p[1];
		o.data_len[0] = sp.len[0];
		o.data_len[1] = sp.len[1];
	}
	if (!(n > snd_mss(c) ? emit_gso(c->e, &c->t, &o, snd_mss(c))
			     : emit(c->e, &c->t, &o)))
		return false;
	ST(c->e, bytes_out) += n;
	if (o.flags & TCPHDR_ACK) {
		uint32_t edge = c->rcv_nxt + ((uint32_t)wnd << ((flags & TCPHDR_SYN) ? 0 : c->rcv_wscale));

		if (seq_gt(edge, c->rcv_adv))
			c->rcv_adv = edge;
		c->last_ack_sent = c->rcv_nxt;
		c->ack_now = 0;
		c->dsack_pending = 0;
		timer_clear(c, TIMER_DELACK);
	}
	return true;
}

static void count_retransmit(struct tcp_conn *c)
{
	c->retransmits++;
	ST(c->e, retransmits)++;
	undo_retransmit(c);
}

void send_syn(struct tcp_conn *c)
{
	if (seq_lt(c->iss, c->snd_max))
		count_retransmit(c);
	if (conn_emit(c, c->iss, TCPHDR_SYN, 0))
		c->snd_nxt = c->snd_max = c->iss + 1;
	timer_set(c, TIMER_RTO, c->e->now + rto_ns(c));
}

/* RFC 9293 3.8.4: a keepalive is an ACK one byte below SND.UNA, which
 * the peer must answer with its own ACK. */
void send_keepalive(struct tcp_conn *c)
{
	if (conn_emit(c, c->snd_una - 1, 0, 0))
		ST(c->e, keepalive_probes)++;
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a < b ? a : b;

	return m < c ? m : c;
}

/* The segment [seq, seq + n), with FIN when it ends the stream; *end is
 * the sequence after it. Bookkeeping for retransmissions and Karn's RTT
 * timing. false: no TX frame. */
static bool send_range(struct tcp_conn *c, uint32_t seq, uint32_t n, uint32_t *end)
{
	uint8_t flags = 0;

	if (c->fin_queued && seq + n == c->snd_end)
		flags |= TCPHDR_FIN;
	if (n && seq + n == c->snd_end)
		flags |= TCPHDR_PSH;
	if (!conn_emit(c, seq, flags, n))
		return false;
	*end = seq + n + ((flags & TCPHDR_FIN) ? 1 : 0);
	rack_sent(c, seq, *end);
	rate_sent(c, seq, *end);
	if (seq_lt(seq, c->snd_max)) {
		rate_resent(c, (seq_lt(*end, c->snd_max) ? *end : c->snd_max) - seq);
		count_retransmit(c);
		if (c->rtt_start_ns && seq_lt(seq, c->rtt_seq))
			c->rtt_start_ns = 0;	/* Karn: that sample is void */
	} else if (!c->ts_ok && !c->rtt_start_ns) {
		c->rtt_seq = *end;	/* Karn: time only segments sent once */
		c->rtt_start_ns = c->e->now;
	}
	c->snd_max = seq_max(c->snd_max, *end);
	return true;
}

/* A retransmission that recovery chose: at most a segment, HighRxt moves. */
static bool send_rexmit(struct tcp_conn *c, uint32_t seq, uint32_t n)
{
	uint32_t end;

	if (!send_range(c, seq, n < snd_mss(c) ? n : snd_mss(c), &end))
		return false;
	c->high_rxt = seq_max(c->high_rxt, end);
	return true;
}

/* What congestion control lets out beyond SND.NXT now. */
static uint32_t cwnd_room(const struct tcp_conn *c)
{
	uint32_t flight, allowed = c->cwnd;

	if (c->in_recovery && c->sack_ok)
		flight = recovery_pipe(c);		/* RFC 6675 */
	else
		flight = c->snd_nxt - c->snd_una;	/* go-back-N after RTO too */
	if (!c->in_recovery)	/* RFC 3042: a segment per early dupack */
		allowed += (c->dupacks < 2 ? c->dupacks : 2) * (uint32_t)c->mss;
	return allowed > flight ? allowed - flight : 0;
}

/*
 * Sender-side SWS avoidance and Nagle (RFC 9293 3.8.6.2.1, 3.7.4): a
 * segment shorter than the MSS goes only if it empties the queue and no
 * earlier short segment is unacknowledged (Minshall's form of Nagle, as
 * Linux: the tail of a large response is not held), or Nagle is off, or
 * it is half the largest window the peer offered; otherwise it waits for
 * an ACK, or for the persist timer (the override timeout) when nothing is
 * in flight.
 */
static bool small_segment_ok(const struct tcp_conn *c, uint32_t n,
			     uint32_t avail)
{
	if (n == avail && (c->nodelay || !seq_gt(c->snd_sml, c->snd_una)))
		return true;
	if (n == avail && c->fin_queued)
		return true;		/* the last bytes go with the FIN */
	return c->max_sndwnd && n >= c->max_sndwnd / 2;
}

/*
 * Pacing: a data segment leaves no earlier than pace_at, the rate clock,
 * which each segment advances by its length over pacing_rate (from now
 * when the clock fell behind: no credit is saved up while idle). A wake-up
 * may run ahead of the clock by one quantum (pacing_quantum_ns, rate.c),
 * so a fast connection is woken per burst, not per segment. As Linux, the
 * first PACE_FREE_SEGS segments of a connection (its initial window) go
 * unpaced. burst: this output() call already sent a paced segment. True:
 * hold, the release timer armed at pace_at.
 */
#define PACE_FREE_SEGS 10

static bool pace_hold(struct tcp_conn *c, bool burst)
{
	uint64_t now = c->e->now, q;

	if (!c->pacing_rate || c->rate.free_segs < PACE_FREE_SEGS)
		return false;
	q = pacing_quantum_ns(c);
	/* a burst leaves the clock at most two quanta ahead (the quantum,
	 * then one run); further than four at the current rate, it was run
	 * ahead while the rate was far lower, and must not hold a connection
	 * whose rate has since grown (a stale hold of seconds) */
	if (c->pace_at > now + 4 * q)
		c->pace_at = now + 4 * q;
	if (burst ? c->pace_at < now + q : now >= c->pace_at)
		return false;
	if (c->pace_wake_at != c->pace_at) {
		timer_set(c, TIMER_PACE, c->pace_at);
		ST(c->e, pacing_holds)++;
	}
	return true;
}

/*
 * n bytes went: the rate clock moves on. A wake-up that came late (the
 * clock behind now by less than a quantum: later than that the connection
 * was idle, not delayed) takes back up to half of this segment's time, as
 * Linux's tcp_update_skb_after_send does for OS jitter: a driver woken
 * late loses less of the rate.
 */
static void pace_sent(struct tcp_conn *c, uint32_t n)
{
	uint64_t now = c->e->now, len_ns, late = 0;

	if (c->rate.free_segs < PACE_FREE_SEGS) {
		c->rate.free_segs++;	/* nor do they move the clock */
		return;
	}
	if (!c->pacing_rate)
		return;
	len_ns = (uint64_t)n * 1000000000 / c->pacing_rate;
	if (c->pace_at < now) {
		late = now - c->pace_at;
		if (late > pacing_quantum_ns(c))
			late = 0;
		c->pace_at = now;
	}
	c->pace_at += len_ns - (late < len_ns / 2 ? late : len_ns / 2);
	timer_clear(c, TIMER_PACE);
}

/*
 * Send what recovery owes first (the segment at SND.UNA, then the holes
 * RFC 6675 calls lost), then new data from SND.NXT as the peer's window,
 * cwnd, Nagle and SWS avoidance allow, then FIN; else an ACK if one is
 * owed. probe forces data past a closed or silly window (RFC 9293
 * 3.8.6.1). Timers are left as the result requires.
 */
static void output(struct tcp_conn *c, bool probe)
{
	bool sent = false, starved = false, held = false, burst = false;
	uint32_t seq, n;

	if (c->state == TCPS_CLOSED)
		return;
	if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED) {
		if (c->ack_now && c->state == TCPS_SYN_RECEIVED)
			send_syn(c);
		return;
	}
	if (c->rexmit_una && c->snd_una != c->snd_max &&
	    !(held = pace_hold(c, burst))) {
		/* nothing but the FIN may be left (n = 0) */
		n = seq_lt(c->snd_una, c->snd_end) ? c->snd_end - c->snd_una : 0;
		if (send_rexmit(c, c->snd_una, n)) {
			c->rexmit_una = 0;
			sent = burst = true;
			pace_sent(c, n < snd_mss(c) ? n : snd_mss(c));
		} else {
			starved = true;		/* still owed: the RTO retries */
		}
	}
	/* RFC 6675 NextSeg rule 1: the holes deemed lost, as pipe allows */
	while (!starved && !held && c->in_recovery && c->sack_ok &&
	       cwnd_room(c) >= c->mss && recovery_next(c, false, &seq, &n)) {
		if ((held = pace_hold(c, burst)))
			break;
		starved = !send_rexmit(c, seq, n);
		sent |= !starved;
		if (!starved) {
			burst = true;
			pace_sent(c, n < snd_mss(c) ? n : snd_mss(c));
		}
	}
	while (!starved && !held) {
		uint32_t avail, wnd_end, room, end, mss = snd_mss(c);

		/* after a timeout, go-back-N skips what the peer SACKed */
		while (seq_lt(c->snd_nxt, c->snd_max) && sb_covers(c, c->snd_nxt, &end))
			c->snd_nxt = end;
		avail = seq_lt(c->snd_nxt, c->snd_end) ? c->snd_end - c->snd_nxt : 0;
		wnd_end = c->snd_una + c->snd_wnd;
		room = seq_lt(c->snd_nxt, wnd_end) ? wnd_end - c->snd_nxt : 0;
		if (probe && avail) {
			if (!room) {
				room = 1;	/* one byte of new data */
				ST(c->e, persist_probes)++;
			}
			n = min3(avail, mss, room);
			probe = false;
		} else {
			uint32_t cw = cwnd_room(c);

			/* a run of whole segments when the driver cuts them */
			n = gso_len(c, mss, min3(avail, room, cw));
			if (n && n < mss && seq_ge(c->snd_nxt, c->snd_max) &&
			    !small_segment_ok(c, n, avail))
				break;
		}
		if (!n && avail)
			break;	/* the peer's window or cwnd is closed */
		/* FIN alone: once, or again after a timeout rewound SND.NXT */
		if (!n && !(c->fin_queued && c->snd_nxt == c->snd_end))
			break;
		if (!probe && (held = pace_hold(c, burst)))
			break;
		/* nothing in flight: sending resumes (after idle, or at the start) */
		if (c->snd_una == c->snd_max)
			cc_event(c, CC_EV_TX_START);
		if (!send_range(c, c->snd_nxt, n, &end)) {
			starved = true;
			break;
		}
		if (n < c->mss)
			c->snd_sml = c->snd_nxt + n;
		c->snd_nxt = end;
		sent = burst = true;
		pace_sent(c, n);
	}
	/* RFC 6675 NextSeg rule 3: with room left and nothing new to send,
	 * a hole with SACKed data above it goes before a timeout would */
	if (!starved && !held && !sent && c->in_recovery && c->sack_ok &&
	    cwnd_room(c) >= c->mss && recovery_next(c, true, &seq, &n) &&
	    !(held = pace_hold(c, burst)) && (sent = send_rexmit(c, seq, n)))
		pace_sent(c, n < snd_mss(c) ? n : snd_mss(c));
	if (!sent && c->ack_now)
		conn_emit(c, c->snd_max, 0, 0);
	if (!held)
		timer_clear(c, TIMER_PACE);
	rate_app_check(c);

	if (c->timer_kind == TIMER_CLOSE)
		return;
	if (c->snd_max != c->snd_una || starved) {
		/* no TX frame was free: the retransmission timer retries */
		if ((starved || !rack_arm(c)) && c->timer_kind != TIMER_RTO)
			timer_set(c, TIMER_RTO, c->e->now + rto_ns(c));
	} else if (seq_lt(c->snd_nxt, c->snd_end) && !held) {
		/* a closed window, or a silly one: probe when it stays so */
		if (c->timer_kind != TIMER_PERSIST)
			timer_set(c, TIMER_PERSIST, c->e->now + rto_ns(c));
	} else {
		timer_stop(c);
	}
}

void tcp_output(struct tcp_conn *c)
{
	output(c, false);
}

void tcp_output_probe(struct tcp_conn *c)
{
	output(c, true);
}

/*
 * RFC 8985 7.3: the probe timeout fired. One segment of new data if the
 * peer's window takes it, else the last segment again; the RTO follows.
 */
void tcp_output_tlp(struct tcp_conn *c)
{
	struct rack_state *r = &c->rack;
	uint32_t seq, n, end, wnd_end = c->snd_una + c->snd_wnd;
	uint32_t mss = snd_mss(c);

	if (c->snd_nxt == c->snd_max && seq_lt(c->snd_nxt, c->snd_end) &&
	    seq_lt(c->snd_nxt, wnd_end)) {
		seq = c->snd_nxt;
		n = min3(c->snd_end - seq, mss, wnd_end - seq);
		r->tlp_rexmit = 0;
	} else {
		uint32_t data_end = seq_lt(c->snd_max, c->snd_end) ? c->snd_max : c->snd_end;

		n = seq_gt(data_end, c->snd_una) ? data_end - c->snd_una : 0;
		n = n < mss ? n : mss;
		seq = data_end - n;
		r->tlp_rexmit = 1;
	}
	if (send_range(c, seq, n, &end)) {
		if (!r->tlp_rexmit)
			c->snd_nxt = end;
		r->tlp_active = 1;
		r->tlp_dsack = 0;
		r->tlp_high = c->snd_max;
		c->tlp_probes++;
		ST(c->e, tlp_probes)++;
	}
	timer_set(c, TIMER_RTO, c->e->now + rto_ns(c));
}

void send_ctl(struct tcp_engine *e, const struct tcp_tuple *t, uint32_t seq,
	      uint32_t ack, uint8_t flags)
{
	struct wire_out o = { .seq = seq, .ack = ack, .flags = flags };

	if (emit(e, t, &o) && (flags & TCPHDR_RST))
		ST(e, rst_out)++;
}

/* RFC 9293 3.10.7.1: the reset that answers a segment; never for a RST. */
void send_rst_for(struct tcp_engine *e, const struct tcp_seg *s)
{
	uint32_t seg_len = s->len + !!(s->flags & TCPHDR_SYN) + !!(s->flags & TCPHDR_FIN);

	if (s->flags & TCPHDR_RST)
		return;
	if (s->flags & TCPHDR_ACK)
		send_ctl(e, &s->t, s->ack, 0, TCPHDR_RST);
	else
		send_ctl(e, &s->t, 0, s->seq + seg_len, TCPHDR_RST | TCPHDR_ACK);
}
