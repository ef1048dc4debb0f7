// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Each connection has at most one timer armed (retransmission, persist, or
 * close); all of an engine's timers sit in one binary min-heap, so finding
 * the next deadline is O(1) and arming is O(log n).
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

void timer_set(struct tcp_conn *c, enum tcp_timer kind, uint64_t at)
{
	struct tcp_engine *e = c->e;

	c->timer_kind = (uint8_t)kind;
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

void timer_stop(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;
	uint32_t i;

	if (!c->heap_idx)
		return;
	i = c->heap_idx - 1;
	c->heap_idx = 0;
	c->timer_kind = TIMER_NONE;
	e->nheap--;
	if (i != e->nheap) {
		e->heap[i] = e->heap[e->nheap];
		e->heap[i]->heap_idx = i + 1;
		sift(e, i);
	}
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

/* RFC 6298 5.1-5.3: the timer runs while anything is unacknowledged. */
void rto_rearm(struct tcp_conn *c)
{
	if (c->snd_max != c->snd_una)
		timer_set(c, TIMER_RTO, c->e->now + (uint64_t)c->rto_ms * 1000000);
	else if (c->timer_kind == TIMER_RTO)
		timer_stop(c);
}
