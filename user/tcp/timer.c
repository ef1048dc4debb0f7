// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Each connection has a main timer (retransmission, persist or close) and
 * four of its own (delayed ACK, keepalive, the application's, pacing's
 * release); the connection sits in one binary min-heap at the earliest of them, so finding the next deadline is
 * O(1) and arming is O(log n).
 */
#include "conn.h"

static void heap_swap(struct tcp_engine *e, uint32_t a, uint32_t b)
{
	struct tcp_conn *t = e->heap[a];

	e->heap[a] = e->heap[b];
	e->heap[b] = t;
	e->heap[a]->heap_idx = a + 1;	/* stored + 1: 0 means "not armed" */
	e->heap[b]->heap_idx = b + 1;
}

static void sift(struct tcp_engine *e, uint32_t i)
{
	while (i && e->heap[i]->timer_at < e->heap[(i - 1) / 2]->timer_at) {
		heap_swap(e, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < e->nheap && e->heap[l]->timer_at < e->heap[m]->timer_at)
			m = l;
		if (r < e->nheap && e->heap[r]->timer_at < e->heap[m]->timer_at)
			m = r;
		if (m == i)
			return;
		heap_swap(e, i, m);
		i = m;
	}
}

static void heap_remove(struct tcp_engine *e, struct tcp_conn *c)
{
	uint32_t i = c->heap_idx - 1;

	c->heap_idx = 0;
	e->nheap--;
	if (i != e->nheap) {
		e->heap[i] = e->heap[e->nheap];
		e->heap[i]->heap_idx = i + 1;
		sift(e, i);
	}
}

static uint64_t earliest(uint64_t a, uint64_t b)
{
	return !a ? b : !b ? a : a < b ? a : b;
}

/* Put c in the heap at its earliest deadline, or take it out. */
static void reschedule(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;
	uint64_t at = earliest(earliest(earliest(c->main_at, c->delack_at),
					earliest(c->ka_at, c->app_at)),
			       c->pace_wake_at);

	if (!at) {
		if (c->heap_idx)
			heap_remove(e, c);
		c->timer_at = 0;
		return;
	}
	if (c->heap_idx && at == c->timer_at)
		return;
	c->timer_at = at;
	/* heap_idx is the index + 1, so a zeroed conn is "not armed" */
	if (c->heap_idx) {
		sift(e, c->heap_idx - 1);
		return;
	}
	e->heap[e->nheap] = c;
	c->heap_idx = e->nheap + 1;
	e->nheap++;
	sift(e, e->nheap - 1);
}

void timer_set(struct tcp_conn *c, enum tcp_timer kind, uint64_t at)
{
	if (!at)
		at = 1;		/* 0 means "not armed" */
	switch (kind) {
	case TIMER_DELACK:
		c->delack_at = at;
		break;
	case TIMER_KEEPALIVE:
		c->ka_at = at;
		break;
	case TIMER_APP:
		c->app_at = at;
		break;
	case TIMER_PACE:
		c->pace_wake_at = at;
		break;
	default:
		c->timer_kind = (uint8_t)kind;
		c->main_at = at;
		break;
	}
	reschedule(c);
}

void timer_clear(struct tcp_conn *c, enum tcp_timer kind)
{
	switch (kind) {
	case TIMER_DELACK:
		if (!c->delack_at)
			return;
		c->delack_at = 0;
		break;
	case TIMER_KEEPALIVE:
		if (!c->ka_at)
			return;
		c->ka_at = 0;
		break;
	case TIMER_APP:
		if (!c->app_at)
			return;
		c->app_at = 0;
		break;
	case TIMER_PACE:
		if (!c->pace_wake_at)
			return;
		c->pace_wake_at = 0;
		break;
	default:
		if (c->timer_kind != kind)
			return;
		c->timer_kind = TIMER_NONE;
		c->main_at = 0;
		break;
	}
	reschedule(c);
}

void timer_stop(struct tcp_conn *c)
{
	if (c->timer_kind != TIMER_NONE)
		timer_clear(c, (enum tcp_timer)c->timer_kind);
}

void timer_stop_all(struct tcp_conn *c)
{
	c->timer_kind = TIMER_NONE;
	c->main_at = c->delack_at = c->ka_at = c->app_at = c->pace_wake_at = 0;
	reschedule(c);
}

/* RFC 6298 2.2-2.4; G, the clock granularity, is 1 ms. */
void rtt_sample(struct tcp_conn *c, uint32_t r)
{
	uint32_t rto;

	if (!c->srtt_us) {
		c->srtt_us = r ? r : 1;
		c->rttvar_us = r / 2;
	} else {
		uint32_t d = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + d) / 4;	/* beta 1/4 */
		c->srtt_us = (7 * c->srtt_us + r) / 8;		/* alpha 1/8 */
	}
	rto = (c->srtt_us + (4 * c->rttvar_us > 1000 ? 4 * c->rttvar_us : 1000)) / 1000;
	if (rto < c->e->cfg.rto_min_ms)
		rto = c->e->cfg.rto_min_ms;
	if (rto > c->e->cfg.rto_max_ms)
		rto = c->e->cfg.rto_max_ms;
	c->rto_ms = rto;
}

uint64_t rto_ns(const struct tcp_conn *c)
{
	return (uint64_t)c->rto_ms * 1000000;
}

/* RFC 6298 5.1-5.3: the timer runs while anything is unacknowledged. */
void rto_rearm(struct tcp_conn *c)
{
	if (c->snd_max != c->snd_una)
		timer_set(c, TIMER_RTO, c->e->now + rto_ns(c));
	else
		timer_clear(c, TIMER_RTO);
}

/* RFC 9293 3.8.4: probe after keepalive_idle without a segment from the
 * peer; the timer is armed once and moves lazily (see engine.c). */
void keepalive_arm(struct tcp_conn *c)
{
	const struct tcp_cfg *cfg = &c->e->cfg;

	if (cfg->keepalive_idle_ms)
		timer_set(c, TIMER_KEEPALIVE,
			  c->last_rcv_ns + (uint64_t)cfg->keepalive_idle_ms * 1000000);
}
