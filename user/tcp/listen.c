// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Passive open. A connection is born from a third ACK the XDP program
 * validated (its struct xtcp_meta says what the SYN negotiated); for a
 * driver without XDP in front, and for a SYN that reuses a 4-tuple in
 * TIME-WAIT, the engine answers SYNs and checks cookies itself with the
 * same include/xtcp/cookie.h, so both paths build identical connections.
 */
#include <arpa/inet.h>

#include "xtcp/cookie.h"
#include "conn.h"

void conn_accept(struct tcp_engine *e, struct tcp_seg *s,
		 const struct xtcp_meta *m)
{
	struct tcp_conn *c = conn_alloc(e, &s->t, e->cfg.app);

	if (!c) {
		/* bounded memory: refuse the newcomer, keep everyone else */
		ST(e, refused_max_conns)++;
		send_rst_for(e, s);
		conn_guard(e, &s->t.key, m->irs, m->iss, e->now);
		if (e->cfg.io.flow_gone)
			e->cfg.io.flow_gone(e->cfg.io.ctx, &s->t.key);
		return;
	}
	c->iss = m->iss;
	c->irs = m->irs;
	c->born_ns = e->now ? e->now : 1;
	c->snd_una = c->snd_nxt = c->snd_max = c->snd_end = m->iss + 1;
	c->rcv_nxt = c->last_ack_sent = m->irs + 1;
	c->rcv_adv = c->rcv_nxt + e->cfg.syn_window;	/* what the SYN-ACK offered */
	if (m->snd_wscale != XTCP_WSCALE_NONE && m->rcv_wscale != XTCP_WSCALE_NONE) {
		c->ws_ok = 1;
		c->snd_wscale = m->snd_wscale > XTCP_WSCALE_MAX ? XTCP_WSCALE_MAX : m->snd_wscale;
		c->rcv_wscale = m->rcv_wscale > XTCP_WSCALE_MAX ? XTCP_WSCALE_MAX : m->rcv_wscale;
	}
	c->ts_ok = !!(m->flags & XTCP_META_TS);
	c->ts_recent = m->ts_val;
	c->sack_ok = !!(m->flags & XTCP_META_SACK);
	c->ecn_ok = !!(m->flags & XTCP_META_ECN);
	c->mss = conn_mss(c, m->mss);
	c->snd_wnd = (uint32_t)s->wnd << c->snd_wscale;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	conn_cc_start(c);
	conn_set_state(c, TCPS_ESTABLISHED);
	ST(e, accepted)++;
	conn_event(c, TCP_EV_ACCEPTED);
	if (c->state == TCPS_CLOSED) {
		conn_mark(c);
		return;
	}
	/* the third ACK may carry data and a FIN */
	conn_input(c, s);
}

/* K[now] and K[now - 1], derived once per period. */
static const struct xtcp_keycache *period_keys(struct tcp_engine *e,
					       uint32_t period)
{
	xtcp_keycache_refresh(&e->keys, e->cfg.secret, 1, period);
	return &e->keys;
}

static uint64_t tai_ns(const struct tcp_engine *e)
{
	return (uint64_t)((int64_t)e->now + e->cfg.tai_offset_ns);
}

/*
 * A handshake born from cookie iss has ended (the connection closed or was
 * refused): tell the driver to refuse copies of its third ACK until the
 * cookie expires, judged from when it validated. One that lived past that
 * needs nothing.
 */
void conn_guard(struct tcp_engine *e, const struct xtcp_flow_key *key,
		uint32_t irs, uint32_t iss, uint64_t born_ns)
{
	uint64_t born = (uint64_t)((int64_t)born_ns + e->cfg.tai_offset_ns);
	uint64_t expires = xtcp_cookie_expiry_ns(iss, born);

	if (!e->cfg.io.handshake_ended || expires <= tai_ns(e))
		return;
	if (e->cfg.io.handshake_ended(e->cfg.io.ctx, key, irs, expires))
		ST(e, replay_guard_fail)++;
	else
		ST(e, replay_guarded)++;
}

/* What the XDP program's stage_syn does, with the same cookie. */
static void syn_ack(struct tcp_engine *e, const struct tcp_seg *s)
{
	uint32_t period = xtcp_cookie_period(tai_ns(e)), cookie, tsval;
	int v6 = s->t.v6, ws, ecn;
	struct wire_opts opts = { .len = 0 };
	struct wire_out o = { .ack = s->seq + 1, .flags = TCPHDR_SYN | TCPHDR_ACK,
			      .wnd = e->cfg.syn_window, .opts = &opts };

	cookie = xtcp_cookie_make(period_keys(e, period)->cur, period, &s->t.key, v6, s->seq,
				  xtcp_mss_index(v6, s->mss));
	ws = s->ts && s->wscale != WIRE_NO_WSCALE;
	ecn = s->ts && e->cfg.ecn &&
	      (s->flags & (TCPHDR_ECE | TCPHDR_CWR)) == (TCPHDR_ECE | TCPHDR_CWR);
	o.seq = cookie;
	if (ecn)
		o.flags |= TCPHDR_ECE;
	wire_opt_mss(&opts, our_mss(e, v6));
	if (s->ts) {
		if (s->sack_ok)
			wire_opt_sack_ok(&opts);
		tsval = xtcp_ts_encode((uint32_t)(tai_ns(e) / 1000000),
				       ws ? s->wscale : XTCP_WSCALE_NONE,
				       s->sack_ok, ecn);
		wire_opt_ts(&opts, tsval, s->tsval);
		if (ws)
			wire_opt_wscale(&opts, e->cfg.wscale);
	}
	if (emit(e, &s->t, &o))
		ST(e, syn_ack_sw)++;
}

/* What the XDP program's stage_ack does: a valid cookie becomes meta. */
static int cookie_meta(struct tcp_engine *e, const struct tcp_seg *s,
		       struct xtcp_meta *m)
{
	uint32_t period = xtcp_cookie_period(tai_ns(e)), idx = 0;
	const struct xtcp_keycache *kc = period_keys(e, period);

	if (xtcp_cookie_check(kc->cur, kc->prev, period, &s->t.key, s->t.v6,
			      s->seq - 1, s->ack - 1, &idx) != XTCP_COOKIE_OK)
		return -1;
	xtcp_meta_from_cookie(m, s->t.v6, s->seq, s->ack, idx, s->ts, s->tsval,
			      s->tsecr, e->cfg.wscale);
	return 0;
}

/*
 * A segment of a flow XDP knows and the engine does not, without the NEW
 * mark: the frame that completed the handshake was lost after XDP took it
 * (a full AF_XDP RX ring drops it), and this is the client's next segment,
 * a retransmitted third ACK or its first data (or FIN), still carrying
 * SEQ = ISN + 1 and ACK = cookie + 1. Born from that cookie as the third
 * ACK would have been; false when the cookie does not prove it.
 */
bool listen_reborn(struct tcp_engine *e, struct tcp_seg *s)
{
	struct xtcp_meta m;

	if ((s->flags & (TCPHDR_SYN | TCPHDR_RST | TCPHDR_ACK)) != TCPHDR_ACK ||
	    cookie_meta(e, s, &m))
		return false;
	conn_accept(e, s, &m);
	if (conn_lookup(e, &s->t.key))
		ST(e, accepted_late)++;
	return true;
}

/* A segment for no connection and without metadata (RFC 9293 3.10.7.2). */
void listen_input(struct tcp_engine *e, struct tcp_seg *s)
{
	uint16_t port = ntohs(s->t.key.server_port);
	struct xtcp_meta m;

	if (!(e->listen[port / 8] & (1U << (port % 8)))) {
		ST(e, drop_no_conn)++;
		send_rst_for(e, s);		/* RFC 9293 3.10.7.1 */
		return;
	}
	if (s->flags & TCPHDR_RST) {
		ST(e, drop_no_conn)++;
		return;
	}
	if ((s->flags & (TCPHDR_SYN | TCPHDR_ACK | TCPHDR_FIN)) == TCPHDR_SYN) {
		syn_ack(e, s);
		return;
	}
	if ((s->flags & (TCPHDR_SYN | TCPHDR_ACK)) == TCPHDR_ACK) {
		if (cookie_meta(e, s, &m)) {
			ST(e, drop_bad_cookie)++;
			return;
		}
		conn_accept(e, s, &m);
		return;
	}
	ST(e, drop_no_conn)++;
}
