// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The engine: lifecycle, the entry points a driver calls (input, flush,
 * timers, connect) and the calls applications make (app.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "xtcp/siphash.h"
#include "rng.h"
#include "conn.h"

void tcp_cfg_default(struct tcp_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = 16384;
	cfg->sndbuf = 256 * 1024;
	cfg->rcvbuf = 256 * 1024;
	cfg->time_wait_ns = 60ULL * 1000000000;
	cfg->rto_initial_ms = 1000;
	cfg->rto_min_ms = 200;
	cfg->rto_max_ms = 60000;
	cfg->max_retries = 15;
	cfg->syn_retries = 6;
	cfg->cc = &tcp_cc_cubic;
	cfg->sack = true;
	cfg->timestamps = true;
	cfg->delack_ms = 40;
	cfg->keepalive_intvl_ms = 75000;	/* as Linux: 75 s, 9 probes */
	cfg->keepalive_probes = 9;
	cfg->challenge_ack_limit = 0;	/* none engine-wide: Linux's INT_MAX */
	cfg->orphan_retries = 8;		/* as Linux's tcp_orphan_retries 0 */
	cfg->reclaim_idle_ms = 30000;
	cfg->blackhole_rtos = 3;	/* as Linux's tcp_retries1 */
	cfg->mss4 = 1460;
	cfg->mss6 = 1440;
	cfg->syn_window = 65535;
	cfg->wscale = 7;
	cfg->ecn = true;
}

/* the hash and ISN keys: random, or from cfg.seed for a replayable run;
 * 0 or the negative errno of getrandom */
static int engine_keys(struct tcp_engine *e)
{
	uint64_t x = e->cfg.seed;

	if (!x) {
		if (getrandom(e->hkey, sizeof(e->hkey), 0) != sizeof(e->hkey) ||
		    getrandom(e->iss_key, sizeof(e->iss_key), 0) != sizeof(e->iss_key))
			return errno ? -errno : -EIO;
		return 0;
	}
	e->hkey[0] = splitmix64(&x);
	e->hkey[1] = splitmix64(&x);
	e->iss_key[0] = splitmix64(&x);
	e->iss_key[1] = splitmix64(&x);
	return 0;
}

int tcp_engine_new(const struct tcp_cfg *cfg, struct tcp_engine **out)
{
	struct tcp_engine *e;
	uint32_t i;
	int err;

	if (!cfg->max_conns || !cfg->io.tx_buf || !cfg->io.tx_send ||
	    cfg->rcvbuf < cfg->syn_window || cfg->wscale > XTCP_WSCALE_MAX)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	e->st = cfg->stats ? cfg->stats : &e->own_stats;
	e->conn_size = (sizeof(struct tcp_conn) +
			(cfg->app ? cfg->app->ctx_size : 0) + 63) & ~(size_t)63;
	for (e->nbuckets = 64; e->nbuckets < cfg->max_conns * 2; e->nbuckets <<= 1)
		;
	e->pool = calloc(cfg->max_conns, e->conn_size);
	e->buckets = calloc(e->nbuckets, sizeof(*e->buckets));
	e->heap = calloc(cfg->max_conns, sizeof(*e->heap));
	err = !e->pool || !e->buckets || !e->heap ? -ENOMEM : engine_keys(e);
	if (err) {
		tcp_engine_free(e);
		return err;
	}
	for (i = cfg->max_conns; i-- > 0;) {
		struct tcp_conn *c = (void *)(e->pool + (size_t)i * e->conn_size);

		c->hnext = e->free_list;
		e->free_list = c;
	}
	*out = e;
	return 0;
}

void tcp_engine_free(struct tcp_engine *e)
{
	struct tcp_conn *c, *next;
	uint32_t i;

	if (!e)
		return;
	/* the apps hold resources per connection (the proxy's backend
	 * socket): the engine going away ends every live one for them.
	 * conn_event marks each app_gone, so the list is walked once; the
	 * next is taken first: an app that aborts its connection in the
	 * call unlinks it, and its idle_next with it */
	for (c = e->idle_head; c; c = next) {
		next = c->idle_next;
		conn_event(c, TCP_EV_RESET);
	}
	if (e->pool) {
		for (i = 0; i < e->cfg.max_conns; i++) {
			c = (void *)(e->pool + (size_t)i * e->conn_size);
			ring_release(&c->snd);
			ring_release(&c->rcv);
		}
	}
	free(e->pool);
	free(e->buckets);
	free(e->heap);
	free(e);
}

void tcp_listen(struct tcp_engine *e, uint16_t port)
{
	e->listen[port / 8] |= (uint8_t)(1U << (port % 8));
}

/* The engine's clock never steps back: a driver may hand it a time taken
 * before a later one it already passed (the queue loop's top of loop,
 * after an app's descriptor moved it on), and send times, pacing and
 * rate samples must not see time run backwards. */
static void clock_set(struct tcp_engine *e, uint64_t now_ns)
{
	if (now_ns > e->now)
		e->now = now_ns;
}

void tcp_input(struct tcp_engine *e, const uint8_t *frame, size_t len,
	       const struct xtcp_meta *meta, uint64_t now_ns)
{
	struct tcp_seg s;
	struct tcp_conn *c;
	int r;

	clock_set(e, now_ns);
	if (meta && (meta->flags & XTCP_META_ICMP)) {
		pmtu_icmp_input(e, frame, len);
		return;
	}
	ST(e, segs_in)++;
	r = wire_parse(frame, len, &s);
	if (r) {
		if (r == WIRE_CSUM)
			ST(e, drop_csum)++;
		else
			ST(e, drop_malformed)++;
		return;
	}
	c = conn_lookup(e, &s.t.key);
	/* RFC 9293 3.10.7.4 (and RFC 6191): a SYN above RCV.NXT may reopen a
	 * 4-tuple in TIME-WAIT; the cookie path answers it afresh */
	if (c && c->state == TCPS_TIME_WAIT &&
	    (s.flags & (TCPHDR_SYN | TCPHDR_ACK | TCPHDR_RST)) == TCPHDR_SYN &&
	    seq_gt(s.seq, c->rcv_nxt)) {
		conn_close(c);
		c = NULL;
		meta = NULL;
	}
	if (c) {
		conn_touch(c);
		conn_input(c, &s);
		return;
	}
	if (meta && (meta->flags & XTCP_META_NEW)) {
		conn_accept(e, &s, meta);
		return;
	}
	if (meta && listen_reborn(e, &s))
		return;
	if (meta) {
		/* XDP knows the flow, we do not, and its cookie does not
		 * prove it (freed while this was queued, forged, or the
		 * client's third ACK and first segment were both lost):
		 * refused and its flow given back, with no RST. A live
		 * client retransmits from ISN + 1, which XDP then validates
		 * as a third ACK; anything else earns no answer, as XDP's
		 * own bad ACKs do (--bad-ack drop) */
		ST(e, drop_no_conn)++;
		if (e->cfg.io.flow_gone)
			e->cfg.io.flow_gone(e->cfg.io.ctx, &s.t.key);
		return;
	}
	listen_input(e, &s);
}

void tcp_flush(struct tcp_engine *e)
{
	while (e->pending) {
		struct tcp_conn *c = e->pending;

		e->pending = c->pnext;
		c->pending = 0;
		if (c->state == TCPS_CLOSED) {
			conn_free(c);
		} else {
			pmtu_flush(c);
			tcp_output(c);
		}
	}
}

/* RFC 6298 5.4-5.7, with the retry limit of RFC 9293 3.8.3 (R2). */
static void rto_fire(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;

	ST(e, rto_expiries)++;
	c->rtt_start_ns = 0;	/* Karn: no sample across a retransmit */
	if (++c->retries > (c->state == TCPS_SYN_SENT ? e->cfg.syn_retries
						      : e->cfg.max_retries)) {
		ST(e, retry_aborts)++;
		conn_reset(c, c->state != TCPS_SYN_SENT);
		return;
	}
	c->rto_ms = c->rto_ms * 2 > e->cfg.rto_max_ms ? e->cfg.rto_max_ms
						      : c->rto_ms * 2;
	if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED) {
		send_syn(c);
		return;
	}
	if (!c->snd_wnd && c->snd_una != c->snd_end) {
		/* the lost zero-window probe: again, with backoff only;
		 * the network is not congested for it */
		c->snd_nxt = c->snd_una;
		tcp_output_probe(c);
		return;
	}
	pmtu_rto(c);
	recovery_rto(c);
	/* the flight is deemed gone: the rate clock restarts now, so the
	 * timeout's retransmission is not held behind a release a slow
	 * rate put far ahead (while held, each expiry would back off and
	 * count a retry for a segment never sent) */
	c->pace_at = e->now;
	conn_mark(c);
}

/* Probe an idle peer; the timer moves lazily to last_rcv_ns + idle. */
static void keepalive_fire(struct tcp_conn *c)
{
	const struct tcp_cfg *cfg = &c->e->cfg;
	uint64_t now = c->e->now;

	if (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT)
		return;
	if (now - c->last_rcv_ns < (uint64_t)cfg->keepalive_idle_ms * 1000000) {
		c->ka_probes = 0;
		keepalive_arm(c);
		return;
	}
	if (c->ka_probes >= cfg->keepalive_probes) {
		ST(c->e, keepalive_aborts)++;
		conn_reset(c, true);
		return;
	}
	/* with data unacknowledged the retransmission timer is the probe */
	if (c->snd_max == c->snd_una) {
		c->ka_probes++;
		send_keepalive(c);
	}
	timer_set(c, TIMER_KEEPALIVE, now + (uint64_t)cfg->keepalive_intvl_ms * 1000000);
}

/*
 * A closing connection nobody holds any more (the app let go) must not
 * outlive a peer that vanished or keeps its window shut: once
 * orphan_retries timeouts passed without SND.UNA moving, answered or not,
 * it is aborted. The timeouts count from the last progress, not from the
 * app's close, as Linux bounds an orphan by its backoff against
 * tcp_orphan_retries: a connection that was already stuck when its app let
 * go is not given the whole count again at the longest RTO. True: aborted.
 */
static bool orphan_spent(struct tcp_conn *c)
{
	uint32_t limit = c->e->cfg.orphan_retries;

	if (c->stall_una != c->snd_una) {	/* progress: count afresh */
		c->stall_una = c->snd_una;
		c->stalls = 0;
	}
	if (c->stalls < UINT8_MAX)
		c->stalls++;
	if (!limit || !c->app_gone || c->stalls <= limit ||
	    (c->state != TCPS_FIN_WAIT_1 && c->state != TCPS_CLOSING &&
	     c->state != TCPS_LAST_ACK))
		return false;
	ST(c->e, orphan_aborts)++;
	conn_reset(c, true);
	return true;
}

static void timer_fire(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;
	uint64_t now = e->now;

	if (c->main_at && c->main_at <= now) {
		enum tcp_timer kind = c->timer_kind;

		timer_stop(c);
		if ((kind == TIMER_RTO || kind == TIMER_PERSIST) && orphan_spent(c))
			return;
		switch (kind) {
		case TIMER_CLOSE:
			if (c->state == TCPS_FIN_WAIT_2)
				ST(e, aborted)++;
			conn_close(c);
			return;
		case TIMER_PERSIST:
			/* RFC 9293 3.8.6.1: probe with one byte of new data;
			 * its loss is then retransmission's, with backoff */
			tcp_output_probe(c);
			break;
		case TIMER_RTO:
			rto_fire(c);
			break;
		case TIMER_RACK:
			rack_reo_fire(c);
			break;
		case TIMER_TLP:
			tcp_output_tlp(c);
			break;
		default:
			break;
		}
		if (c->state == TCPS_CLOSED)
			return;
	}
	if (c->delack_at && c->delack_at <= now) {
		timer_clear(c, TIMER_DELACK);
		if (c->last_ack_sent != c->rcv_nxt) {
			ST(e, delayed_acks)++;
			c->ack_now = 1;
			conn_mark(c);
		}
	}
	if (c->ka_at && c->ka_at <= now) {
		timer_clear(c, TIMER_KEEPALIVE);
		keepalive_fire(c);
		if (c->state == TCPS_CLOSED)
			return;
	}
	if (c->pace_wake_at && c->pace_wake_at <= now) {
		timer_clear(c, TIMER_PACE);
		conn_mark(c);		/* the held segment goes at the flush */
	}
	if (c->app_at && c->app_at <= now) {
		timer_clear(c, TIMER_APP);
		conn_event(c, TCP_EV_TIMER);	/* nothing once the app let go */
	}
}

uint64_t tcp_timers(struct tcp_engine *e, uint64_t now_ns)
{
	clock_set(e, now_ns);
	while (e->nheap && e->heap[0]->timer_at <= e->now)
		timer_fire(e->heap[0]);
	tcp_flush(e);
	return e->nheap ? e->heap[0]->timer_at : 0;
}

int tcp_connect(struct tcp_engine *e, const struct tcp_tuple *t,
		const struct tcp_app *app, uint64_t now_ns,
		struct tcp_conn **out)
{
	__u64 m[5] = {};
	struct tcp_conn *c;

	clock_set(e, now_ns);
	if (conn_lookup(e, &t->key))
		return -EADDRINUSE;
	c = conn_alloc(e, t, app ? app : e->cfg.app);
	if (!c)
		return -ENOBUFS;
	/* RFC 6528: ISN = clock + keyed hash of the 4-tuple */
	memcpy(m, &t->key, sizeof(t->key));
	c->iss = (uint32_t)xtcp_siphash(e->iss_key, m, 5) + (uint32_t)(now_ns / 4000);
	c->snd_una = c->snd_max = c->iss;
	c->snd_nxt = c->snd_end = c->iss + 1;
	c->rcv_wscale = e->cfg.wscale;
	c->mss = our_mss(e, t->v6);
	conn_set_state(c, TCPS_SYN_SENT);
	send_syn(c);
	if (out)
		*out = c;
	return 0;
}

bool tcp_flow_owned(struct tcp_engine *e, const struct xtcp_flow_key *key)
{
	return conn_lookup(e, key) != NULL;
}

uint32_t tcp_conn_count(const struct tcp_engine *e)
{
	return e->nconns;
}

const struct xtcp_engine_stats *tcp_stats(const struct tcp_engine *e)
{
	return e->st;
}

/* ---- the application interface (app.h) ---- */

static bool can_send(const struct tcp_conn *c)
{
	return c->state == TCPS_ESTABLISHED || c->state == TCPS_CLOSE_WAIT ||
	       c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED;
}

ssize_t tcp_send(struct tcp_conn *c, const void *buf, size_t len)
{
	uint32_t n;

	if (c->fin_queued)
		return -EPIPE;
	if (!can_send(c))
		return -ENOTCONN;
	if (c->cc)
		rate_app_check(c);	/* before the new bytes count as unsent */
	n = ring_write(&c->snd, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	c->snd_end += n;
	if (n)
		conn_mark(c);
	return n;
}

size_t tcp_recv(struct tcp_conn *c, void *buf, size_t len)
{
	uint32_t before = rcv_window(c), after, n;

	if (!c->rcv.cap)
		return 0;
	n = ring_peek(&c->rcv, 0, buf, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
	ring_consume(&c->rcv, n);
	/* rcv_window already holds back small gains (RFC 9293 3.8.6.2.2); a
	 * pure update goes only when the window was nearly closed or grew by
	 * half the buffer: otherwise the next ACK carries it */
	after = rcv_window(c);
	if (after > before &&
	    (before < c->mss || after - before >= c->rcv.cap / 2)) {
		c->ack_now = 1;
		conn_mark(c);
	}
	return n;
}

size_t tcp_send_space(const struct tcp_conn *c)
{
	return can_send(c) && !c->fin_queued ? ring_free(&c->snd) : 0;
}

size_t tcp_recv_avail(const struct tcp_conn *c)
{
	return c->rcv.cap ? ring_used(&c->rcv) : 0;
}

int tcp_shutdown(struct tcp_conn *c)
{
	if (c->fin_queued)
		return 0;
	switch (c->state) {
	case TCPS_ESTABLISHED:
		conn_set_state(c, TCPS_FIN_WAIT_1);
		break;
	case TCPS_CLOSE_WAIT:
		conn_set_state(c, TCPS_LAST_ACK);
		break;
	case TCPS_SYN_SENT:
		/* nothing was said yet (RFC 9293 3.10.4): gone, and the
		 * app is told so, as for any connection that ends */
		conn_event(c, TCP_EV_CLOSED);
		conn_close(c);
		return 0;
	default:
		return -ENOTCONN;
	}
	c->fin_queued = 1;
	conn_mark(c);
	return 0;
}

void tcp_abort(struct tcp_conn *c)
{
	c->app_gone = 1;
	timer_clear(c, TIMER_APP);
	if (c->state == TCPS_SYN_SENT)
		conn_close(c);
	else
		conn_reset(c, true);
}

void tcp_close(struct tcp_conn *c)
{
	if (c->app_gone)
		return;
	if (tcp_recv_avail(c)) {	/* RFC 2525 2.17: unread data means RST */
		tcp_abort(c);
		return;
	}
	c->app_gone = 1;
	timer_clear(c, TIMER_APP);
	tcp_shutdown(c);
	conn_orphan_bound(c);
}

void tcp_set_app_timer(struct tcp_conn *c, uint32_t ms)
{
	if (c->app_gone || c->state == TCPS_CLOSED)
		return;
	if (ms)
		timer_set(c, TIMER_APP, c->e->now + (uint64_t)ms * 1000000);
	else
		timer_clear(c, TIMER_APP);
}

void tcp_set_nodelay(struct tcp_conn *c, bool on)
{
	c->nodelay = on;
	if (on)
		conn_mark(c);	/* what Nagle held goes now */
}

void *tcp_ctx(const struct tcp_conn *c)
{
	return c->ctx;
}

struct xtcp_engine_stats *tcp_app_stats(const struct tcp_conn *c)
{
	return c->e->st;
}

void tcp_conn_key(const struct tcp_conn *c, struct xtcp_flow_key *key, bool *v6)
{
	*key = c->t.key;
	*v6 = c->t.v6;
}

/* ---- introspection ---- */

int tcp_conn_describe(const struct tcp_conn *c, char *buf, size_t len)
{
	if (!len)
		return 0;
	buf[0] = 0;
	if (c->app_gone || !c->app || !c->app->describe)
		return 0;
	return c->app->describe(c, c->ctx, buf, len);
}

const char *tcp_state_name(enum tcp_state state)
{
	static const char *const names[TCPS__COUNT] = {
		"CLOSED", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
		"CLOSE-WAIT", "LAST-ACK", "FIN-WAIT-1", "FIN-WAIT-2",
		"CLOSING", "TIME-WAIT",
	};

	return (unsigned)state < TCPS__COUNT ? names[state] : "?";
}

void tcp_conn_get_info(const struct tcp_conn *c, struct tcp_conn_info *i)
{
	i->t = c->t;
	i->state = c->state;
	i->snd_una = c->snd_una;
	i->snd_nxt = c->snd_nxt;
	i->snd_wnd = c->snd_wnd;
	i->rcv_nxt = c->rcv_nxt;
	i->rcv_wnd = rcv_window(c);
	i->srtt_us = c->srtt_us;
	i->rttvar_us = c->rttvar_us;
	i->rto_ms = c->rto_ms;
	i->retransmits = c->retransmits;
	i->mss = c->mss;
	i->cwnd = c->cwnd;
	i->ssthresh = c->ssthresh;
	i->fast_rexmits = c->fast_rexmits;
	i->rto_count = c->rto_count;
	i->dsacks_in = c->dsacks_in;
	i->sacked = range_bytes(c->sb, c->nsb);
	i->min_rtt_us = c->rack.min_rtt_us;
	i->reo_wnd_us = c->rack.reo_wnd_us;
	i->tlp_probes = c->tlp_probes;
	i->undos = c->undos;
	i->pacing_rate = c->pacing_rate;
	i->delivery_rate = c->rate.last.interval_us ?
			   c->rate.last.delivered * 1000000 / c->rate.last.interval_us : 0;
	i->delivery_app_limited = c->rate.last.is_app_limited;
	i->in_recovery = c->in_recovery;
	i->ts_ok = c->ts_ok;
	i->sack_ok = c->sack_ok;
	i->ws_ok = c->ws_ok;
	i->cc = c->cc ? c->cc->name : "-";
	i->bbr_mode = NULL;
	if (c->cc == &tcp_cc_bbr)
		bbr_get_info(c, i);
	i->snd_queued = c->snd.cap ? ring_used(&c->snd) : 0;
	i->rcv_queued = c->rcv.cap ? ring_used(&c->rcv) : 0;
}

int tcp_conn_foreach(struct tcp_engine *e,
		     int (*fn)(struct tcp_conn *c, void *arg), void *arg)
{
	uint32_t b;
	int r;

	for (b = 0; b < e->nbuckets; b++)
		for (struct tcp_conn *c = e->buckets[b], *n; c; c = n) {
			n = c->hnext;
			r = fn(c, arg);
			if (r)
				return r;
		}
	return 0;
}
