// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Segments out: data segmented by the MSS and the peer's window, FIN after
 * the last byte, ACKs, SYNs, and the stateless RST/ACK answers.
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

	if (flags & TCP_SYN)	/* RFC 7323 2.2: a SYN's window is never scaled */
		w = w > 65535 ? 65535 : w;
	else
		w = (w >> c->rcv_wscale) > 65535 ? 65535 : w >> c->rcv_wscale;
	return (uint16_t)w;
}

/* Get a TX buffer, build, send; false when no buffer was free. */
static bool emit(struct tcp_engine *e, const struct tcp_tuple *t,
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
	uint16_t wnd;

	if (flags & TCP_SYN) {
		wire_opt_mss(&opts, our_mss(c->e, c->t.v6));
		if (c->state == TCP_SYN_SENT || c->sack_ok)
			wire_opt_sack_ok(&opts);
	}
	if (c->ts_ok || (c->state == TCP_SYN_SENT && (flags & TCP_SYN)))
		wire_opt_ts(&opts, ts_now(c->e), c->ts_recent);
	if ((flags & TCP_SYN) &&
	    (c->state == TCP_SYN_SENT || c->ws_ok))
		wire_opt_wscale(&opts, c->rcv_wscale);
	if (c->state != TCP_SYN_SENT || !(flags & TCP_SYN))
		o.flags |= TCP_ACK;
	if (c->ece_pending && !(flags & TCP_SYN))
		o.flags |= TCP_ECE;	/* RFC 3168 6.1.3: until CWR */
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
	if (!emit(c->e, &c->t, &o))
		return false;
	ST(c->e, bytes_out) += n;
	if (o.flags & TCP_ACK) {
		uint32_t edge = c->rcv_nxt + ((uint32_t)wnd << ((flags & TCP_SYN) ? 0 : c->rcv_wscale));

		if (seq_gt(edge, c->rcv_adv))
			c->rcv_adv = edge;
		c->last_ack_sent = c->rcv_nxt;
		c->ack_now = 0;
	}
	return true;
}

static void count_retransmit(struct tcp_conn *c)
{
	c->retransmits++;
	ST(c->e, retransmits)++;
}

void send_syn(struct tcp_conn *c)
{
	if (seq_lt(c->iss, c->snd_max))
		count_retransmit(c);
	if (conn_emit(c, c->iss, TCP_SYN, 0))
		c->snd_nxt = c->snd_max = c->iss + 1;
	timer_set(c, TIMER_RTO, c->e->now + (uint64_t)c->rto_ms * 1000000);
}

static uint32_t min3(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t m = a < b ? a : b;

	return m < c ? m : c;
}

/*
 * Send what the window allows from SND.NXT, then FIN if the application
 * shut down and every byte went; else an ACK if one is owed. probe forces
 * one byte past a zero window (RFC 9293 3.8.6.1).
 */
static void output(struct tcp_conn *c, bool probe)
{
	bool sent = false, starved = false;

	if (c->state == TCP_CLOSED)
		return;
	if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
		if (c->ack_now && c->state == TCP_SYN_RECEIVED)
			send_syn(c);
		return;
	}
	for (;;) {
		uint32_t avail = seq_lt(c->snd_nxt, c->snd_end) ? c->snd_end - c->snd_nxt : 0;
		uint32_t wnd_end = c->snd_una + c->snd_wnd;
		uint32_t room = seq_lt(c->snd_nxt, wnd_end) ? wnd_end - c->snd_nxt : 0;
		uint32_t n;
		uint8_t flags = 0;

		if (probe && !room && avail) {
			room = 1;
			probe = false;
		}
		n = min3(avail, c->mss, room);
		if (!n && avail)
			break;	/* the peer's window is closed */
		if (c->fin_queued && c->snd_nxt + n == c->snd_end &&
		    seq_le(c->snd_nxt, c->snd_end))
			flags |= TCP_FIN;
		if (!n && !flags)
			break;
		if (n && n == avail)
			flags |= TCP_PSH;
		if (!conn_emit(c, c->snd_nxt, flags, n)) {
			starved = true;
			break;
		}
		if (seq_lt(c->snd_nxt, c->snd_max))
			count_retransmit(c);
		else if (!c->ts_ok && !c->rtt_start_ns) {
			/* Karn: time only segments sent once */
			c->rtt_seq = c->snd_nxt + n;
			c->rtt_start_ns = c->e->now;
		}
		c->snd_nxt += n + ((flags & TCP_FIN) ? 1 : 0);
		c->snd_max = seq_max(c->snd_max, c->snd_nxt);
		sent = true;
	}
	if (!sent && c->ack_now)
		conn_emit(c, c->snd_nxt, 0, 0);

	if (c->timer_kind == TIMER_CLOSE)
		return;
	if (c->snd_max != c->snd_una || starved) {
		/* no TX frame was free: the retransmission timer retries */
		if (c->timer_kind != TIMER_RTO)
			timer_set(c, TIMER_RTO, c->e->now + (uint64_t)c->rto_ms * 1000000);
	} else if (seq_lt(c->snd_nxt, c->snd_end) && !c->snd_wnd) {
		if (c->timer_kind != TIMER_PERSIST)
			timer_set(c, TIMER_PERSIST,
				  c->e->now + (uint64_t)c->rto_ms * 1000000);
	} else if (c->timer_kind != TIMER_NONE) {
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

void send_ctl(struct tcp_engine *e, const struct tcp_tuple *t, uint32_t seq,
	      uint32_t ack, uint8_t flags)
{
	struct wire_out o = { .seq = seq, .ack = ack, .flags = flags };

	if (emit(e, t, &o) && (flags & TCP_RST))
		ST(e, rst_out)++;
}

/* RFC 9293 3.10.7.1: the reset that answers a segment; never for a RST. */
void send_rst_for(struct tcp_engine *e, const struct tcp_seg *s)
{
	uint32_t seg_len = s->len + !!(s->flags & TCP_SYN) + !!(s->flags & TCP_FIN);

	if (s->flags & TCP_RST)
		return;
	if (s->flags & TCP_ACK)
		send_ctl(e, &s->t, s->ack, 0, TCP_RST);
	else
		send_ctl(e, &s->t, 0, s->seq + seg_len, TCP_RST | TCP_ACK);
}
