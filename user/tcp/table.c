// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Connections: a fixed pool (memory bounded by --max-conns), a hash table
 * keyed by the flow key under a random SipHash key, and the state gauges.
 */
#include <string.h>

#include "xtcp/siphash.h"
#ifdef XTCP_TRACE
#include <stdio.h>
#include <arpa/inet.h>
#endif

#include "conn.h"

static uint32_t key_hash(const struct tcp_engine *e,
			 const struct xtcp_flow_key *k)
{
	__u64 m[5] = {};

	memcpy(m, k, sizeof(*k));
	return (uint32_t)xtcp_siphash(e->hkey, m, 5) & (e->nbuckets - 1);
}

struct tcp_conn *conn_lookup(struct tcp_engine *e,
			     const struct xtcp_flow_key *k)
{
	struct tcp_conn *c = e->buckets[key_hash(e, k)];

	while (c && memcmp(&c->t.key, k, sizeof(*k)))
		c = c->hnext;
	return c;
}

static void conn_unlink(struct tcp_conn *c);

static void tw_unlink(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;

	*(c->tw_prev ? &c->tw_prev->tw_next : &e->tw_head) = c->tw_next;
	*(c->tw_next ? &c->tw_next->tw_prev : &e->tw_tail) = c->tw_prev;
	c->tw_prev = c->tw_next = NULL;
}

/*
 * Enter TIME-WAIT, or restart its 2*MSL (RFC 9293 3.10.7.4); the list is
 * oldest first, as every stay is as long.
 */
void conn_time_wait(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;

	if (c->state == TCPS_TIME_WAIT)
		tw_unlink(c);
	conn_set_state(c, TCPS_TIME_WAIT);
	timer_clear(c, TIMER_DELACK);
	timer_clear(c, TIMER_KEEPALIVE);
	c->tw_prev = e->tw_tail;
	c->tw_next = NULL;
	*(e->tw_tail ? &e->tw_tail->tw_next : &e->tw_head) = c;
	e->tw_tail = c;
	timer_set(c, TIMER_CLOSE, e->now + e->cfg.time_wait_ns);
}

/*
 * Nobody will close a FIN-WAIT-2 whose application let go: bound it by the
 * TIME-WAIT length, as Linux's tcp_fin_timeout does.
 */
void conn_orphan_bound(struct tcp_conn *c)
{
	if (c->state == TCPS_FIN_WAIT_2 && c->app_gone)
		timer_set(c, TIMER_CLOSE, c->e->now + c->e->cfg.time_wait_ns);
}

/*
 * The pool is full: end the oldest TIME-WAIT early rather than refuse a
 * live peer (Linux does the same when its TIME-WAIT table overflows). A
 * connection with a segment in this very batch is left alone.
 */
static struct tcp_conn *tw_recycle(struct tcp_engine *e)
{
	struct tcp_conn *c = e->tw_head;

	if (!c || c->pending)
		return NULL;
	conn_unlink(c);
	ST(e, time_wait_recycled)++;
	conn_free(c);
	return e->free_list;
}

static void idle_unlink(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;

	*(c->idle_prev ? &c->idle_prev->idle_next : &e->idle_head) = c->idle_next;
	*(c->idle_next ? &c->idle_next->idle_prev : &e->idle_tail) = c->idle_prev;
	c->idle_prev = c->idle_next = NULL;
}

static void idle_append(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;

	c->idle_prev = e->idle_tail;
	c->idle_next = NULL;
	*(e->idle_tail ? &e->idle_tail->idle_next : &e->idle_head) = c;
	e->idle_tail = c;
}

static bool idle_linked(const struct tcp_conn *c)
{
	return c->idle_prev || c->e->idle_head == c;
}

/* A segment from the peer: c goes to the young end of the idle list. */
void conn_touch(struct tcp_conn *c)
{
	if (c->e->idle_tail == c || !idle_linked(c))
		return;
	idle_unlink(c);
	idle_append(c);
}

#define RECLAIM_SCAN 32	/* connections looked at per refused newcomer */

/*
 * The pool is full and no TIME-WAIT is left: abort the connection whose
 * peer has been silent longest, if that is over reclaim_idle_ms and it has
 * nothing unacknowledged (a vanished client, an idle keep-alive) or its app
 * let go of it (an orphan still retransmitting to nobody, which Linux
 * kills first too when orphans run short, tcp_out_of_resources), with RST
 * and TCP_EV_RESET, rather than refuse a client that just proved itself.
 * The list is in order of the last segment received, so the scan stops at
 * the first connection not idle long enough; it skips at most RECLAIM_SCAN
 * busy ones, so a full pool costs a newcomer O(1).
 */
static struct tcp_conn *idle_reclaim(struct tcp_engine *e)
{
	uint64_t bound = (uint64_t)e->cfg.reclaim_idle_ms * 1000000;
	struct tcp_conn *c = e->idle_head;
	int n;

	if (!bound)
		return NULL;
	for (n = 0; c && n < RECLAIM_SCAN; c = c->idle_next, n++) {
		if (e->now - c->last_rcv_ns < bound)
			return NULL;
		if (c->state != TCPS_TIME_WAIT && !c->pending &&
		    (c->app_gone ||
		     (c->snd_una == c->snd_max && c->snd_una == c->snd_end)))
			break;
	}
	if (!c || n == RECLAIM_SCAN)
		return NULL;
	ST(e, idle_reclaimed)++;
	ST(e, aborted)++;
	send_ctl(e, &c->t, c->snd_nxt, c->rcv_nxt, TCPHDR_RST | TCPHDR_ACK);
	/* out of every list before the app hears: nothing it does in its
	 * callback can find this connection again */
	conn_unlink(c);
	conn_event(c, TCP_EV_RESET);
	conn_free(c);
	return e->free_list;
}

struct tcp_conn *conn_alloc(struct tcp_engine *e, const struct tcp_tuple *t,
			    const struct tcp_app *app)
{
	struct tcp_conn *c = e->free_list;
	uint32_t b;

	if (!c)
		c = tw_recycle(e);
	if (!c)
		c = idle_reclaim(e);
	if (!c)
		return NULL;
	if (ring_init(&c->snd, e->cfg.sndbuf))
		return NULL;
	if (ring_init(&c->rcv, e->cfg.rcvbuf)) {
		ring_release(&c->snd);
		return NULL;
	}
	e->free_list = c->hnext;
	{
		struct ring snd = c->snd, rcv = c->rcv;

		memset(c, 0, e->conn_size);
		c->snd = snd;
		c->rcv = rcv;
	}
	c->e = e;
	c->t = *t;
	c->app = app;
	c->ctx = (uint8_t *)c + sizeof(*c);
	c->rto_ms = e->cfg.rto_initial_ms;
	b = key_hash(e, &t->key);
	c->hnext = e->buckets[b];
	e->buckets[b] = c;
	c->hashed = 1;
	c->last_rcv_ns = e->now;
	idle_append(c);
	e->nconns++;
	return c;
}

static __u64 *gauge(struct tcp_engine *e, enum tcp_state s)
{
	return &((__u64 *)e->st)[TCPS_GAUGE(s)];
}

/* The one place a connection changes state (RFC 9293 3.3.2). */
void conn_set_state(struct tcp_conn *c, enum tcp_state s)
{
#ifdef XTCP_TRACE
	/* compiled in with make TRACE=1, as smoltcp's set_state logs */
	fprintf(stderr, "xtcp: conn %08x:%u <- %u %s => %s\n",
		ntohl(c->t.key.client[3]), ntohs(c->t.key.client_port),
		ntohs(c->t.key.server_port), tcp_state_name((enum tcp_state)c->state),
		tcp_state_name(s));
#endif
	if (c->state != TCPS_CLOSED)
		(*gauge(c->e, c->state))--;
	if (s != TCPS_CLOSED)
		(*gauge(c->e, s))++;
	c->state = (uint8_t)s;
}

static void unhash(struct tcp_conn *c)
{
	struct tcp_conn **pp = &c->e->buckets[key_hash(c->e, &c->t.key)];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	c->hashed = 0;
}

/* Make c CLOSED: nothing finds it any more, no timer runs for it. */
static void conn_unlink(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;

	if (c->state == TCPS_TIME_WAIT)
		tw_unlink(c);
	if (idle_linked(c))
		idle_unlink(c);
	conn_set_state(c, TCPS_CLOSED);
	timer_stop_all(c);
	if (c->hashed) {
		unhash(c);
		/* before the flow goes: no gap for a replay to slip through */
		if (c->born_ns)
			conn_guard(e, &c->t.key, c->irs, c->iss, c->born_ns);
		if (e->cfg.io.flow_gone)
			e->cfg.io.flow_gone(e->cfg.io.ctx, &c->t.key);
	}
	ST(e, closed)++;
}

/* CLOSED now; the flush frees it, so callers may still look at it. */
void conn_close(struct tcp_conn *c)
{
	if (c->state == TCPS_CLOSED && !c->hashed)
		return;
	conn_unlink(c);
	conn_mark(c);
}

void conn_free(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;

	ring_release(&c->snd);
	ring_release(&c->rcv);
	c->hnext = e->free_list;
	e->free_list = c;
	e->nconns--;
}

/* Put c on the flush list once. */
void conn_mark(struct tcp_conn *c)
{
	if (c->pending)
		return;
	c->pending = 1;
	c->pnext = c->e->pending;
	c->e->pending = c;
}
