// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The shared pieces of congestion control, and NewReno's window rules
 * (RFC 5681 3.1 with RFC 3465 byte counting). NewReno's loss recovery
 * itself, RFC 6582, is the engine's (recovery.c), as it is for CUBIC.
 */
#include <stdio.h>
#include <string.h>

#include "conn.h"

static const struct tcp_cc *const algorithms[] = {
	&tcp_cc_newreno, &tcp_cc_cubic, &tcp_cc_bbr,
};

const struct tcp_cc *tcp_cc_find(const char *name)
{
	for (size_t i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		if (!strcmp(algorithms[i]->name, name))
			return algorithms[i];
	return NULL;
}

/* "newreno, cubic, bbr", built once from the table. */
const char *tcp_cc_names(void)
{
	static char names[64];
	size_t i, n = 0;

	if (names[0])
		return names;
	for (i = 0; i < sizeof(algorithms) / sizeof(algorithms[0]); i++)
		n += (size_t)snprintf(names + n, n < sizeof(names) ? sizeof(names) - n : 0,
				      "%s%s", i ? ", " : "", algorithms[i]->name);
	return names;
}

uint32_t cc_slow_start(struct tcp_conn *c, uint32_t acked)
{
	uint32_t room, inc;

	if (c->cwnd >= c->ssthresh)
		return acked;
	inc = acked < 2u * c->mss ? acked : 2u * c->mss;	/* RFC 3465 L */
	room = c->ssthresh - c->cwnd;
	if (inc > room)
		inc = room;
	c->cwnd += inc;
	return c->cwnd >= c->ssthresh ? acked - inc : 0;
}

uint32_t cc_half_flight(const struct tcp_conn *c)
{
	uint32_t half = (c->snd_max - c->snd_una) / 2;

	return half > 2u * c->mss ? half : 2u * c->mss;
}

static void newreno_init(struct tcp_conn *c)
{
	c->ca_bytes = 0;
}

/* Congestion avoidance: one SMSS per cwnd of bytes acknowledged. */
static void newreno_ack(struct tcp_conn *c, uint32_t acked)
{
	acked = cc_slow_start(c, acked);
	if (!acked)
		return;
	c->ca_bytes += acked;
	if (c->ca_bytes >= c->cwnd) {
		c->ca_bytes -= c->cwnd;
		c->cwnd += c->mss;
	}
}

static uint32_t newreno_loss(struct tcp_conn *c)
{
	c->ca_bytes = 0;
	return cc_half_flight(c);
}

const struct tcp_cc tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.ack = newreno_ack,
	.loss = newreno_loss,
};
