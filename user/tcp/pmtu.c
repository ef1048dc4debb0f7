// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The path changes under a connection. An ICMP "fragmentation needed" or
 * "packet too big" quoting data in flight (RFC 1191, RFC 8201; validated as
 * RFC 5927 4.1 advises) lowers the connection's MSS and sends again from
 * SND.UNA at the new size, which is no sign of congestion. Timeouts in a
 * row with full-sized segments in flight mean a path that drops big packets
 * and says nothing (an ICMP black hole, RFC 4821 / RFC 8899): the MSS falls
 * back to the floor, as Linux does with tcp_mtu_probing=1, and the old size
 * is tried again later, in case it was only loss. An interface
 * MTU change lowers what new connections advertise and what live ones send.
 */
#include "conn.h"

/* No path MTU below this is believed: RFC 9293 3.7.1's 536 for IPv4 (576
 * minus headers), IPv6's minimum link MTU of 1280 less 60 (RFC 8200 5). */
#define PMTU_MSS4_MIN 536
#define PMTU_MSS6_MIN 1220

/*
 * The black-hole fallback (RFC 4821 2; a crude form of its search back up,
 * 7.2, as Linux's tcp_mtu_probing=1): NONE -> LOWERED on the blackhole_rtos-th timeout in a
 * row with full-sized segments in flight; LOWERED -> PROBING when the old
 * size is tried again, 1 s after the first fallback, doubling with each
 * one up to about 9 minutes (Linux probes every 10); PROBING -> NONE once
 * data sent at the old size is acknowledged: random loss, not a black
 * hole, and it costs a second at the floor. A real black hole costs
 * blackhole_rtos timeouts per trial, ever rarer.
 */
enum { PMTU_NONE, PMTU_LOWERED, PMTU_PROBING };
#define PMTU_PROBE_NS 1000000000ULL
#define PMTU_PROBE_SHIFT_MAX 9

static uint32_t mss_floor(int v6)
{
	return v6 ? PMTU_MSS6_MIN : PMTU_MSS4_MIN;
}

/* The MSS (header-free, as a SYN states it) that a path MTU leaves. */
static uint32_t mtu_to_mss(int v6, uint32_t mtu)
{
	uint32_t hdr = v6 ? 60 : 40;
	uint32_t mss = mtu > hdr ? mtu - hdr : 0;

	return mss < mss_floor(v6) ? mss_floor(v6) : mss;
}

/* RFC 1191 7: a router that gives no next-hop MTU (an old one, RFC 1191
 * 4) leaves the sender to guess the plateau below what it sent. */
static uint32_t plateau_below(uint32_t len)
{
	static const uint16_t plateaus[] = {
		32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
	};

	for (size_t i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < len)
			return plateaus[i];
	return 68;
}

/*
 * Segments of c carry at most hdr_mss bytes (options not yet taken off)
 * from now on; true when that lowered them. What is in flight was sent too
 * big and is gone: go back to SND.UNA and send it again at the new size,
 * leaving cwnd and ssthresh alone (RFC 1191 6.5; Linux's
 * tcp_simple_retransmit). Duplicate ACKs for the old segments start no fast
 * retransmit: recover moves to SND.MAX (RFC 6582 3.2 step 2).
 */
static bool conn_mss_lower(struct tcp_conn *c, uint32_t hdr_mss)
{
	uint32_t mss = hdr_mss - (c->ts_ok ? 12 : 0);

	if (mss >= c->mss)
		return false;
	c->mss = (uint16_t)mss;
	if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED ||
	    c->snd_una == c->snd_max)
		return true;
	c->snd_nxt = c->snd_una;
	c->high_rxt = c->snd_una;
	c->recover = c->snd_max;
	c->in_recovery = 0;
	c->rexmit_una = 0;
	c->dupacks = 0;
	c->rtt_start_ns = 0;	/* Karn: no sample across a resend */
	conn_mark(c);
	return true;
}

void pmtu_icmp_input(struct tcp_engine *e, const uint8_t *frame, size_t len)
{
	struct wire_icmp ic;
	struct tcp_conn *c;
	uint32_t mtu;

	ST(e, icmp_in)++;
	if (wire_parse_icmp(frame, len, &ic)) {
		ST(e, drop_icmp)++;
		return;
	}
	c = conn_lookup(e, &ic.key);
	/* RFC 5927 4.1: only a quote of what is in flight can be one of ours;
	 * anything else may be a blind attack on the connection */
	if (!c || c->state == TCPS_TIME_WAIT || c->state == TCPS_CLOSED ||
	    c->t.v6 != ic.v6 || seq_lt(ic.seq, c->snd_una) ||
	    seq_gt(ic.seq, c->snd_max)) {
		ST(e, drop_icmp)++;
		return;
	}
	mtu = ic.mtu;
	if (!ic.v6 && !mtu)
		mtu = plateau_below(ic.quoted_len);
	/* a "too big" for a packet that fits says nothing (RFC 8201 4 asks a
	 * node not to raise its estimate from one) */
	if (mtu >= ic.quoted_len) {
		ST(e, drop_icmp)++;
		return;
	}
	if (conn_mss_lower(c, mtu_to_mss(ic.v6, mtu))) {
		c->pmtu_state = PMTU_NONE;	/* the path said so: no trial */
		ST(e, pmtu_updates)++;
	}
}

void pmtu_rto(struct tcp_conn *c)
{
	struct tcp_engine *e = c->e;
	uint32_t floor = mss_floor(c->t.v6);
	uint16_t hi = c->mss;

	if (!e->cfg.blackhole_rtos || c->retries != e->cfg.blackhole_rtos)
		return;
	/* only full-sized segments can be what the path refuses */
	if (c->snd_max - c->snd_una <= floor - (c->ts_ok ? 12 : 0))
		return;
	if (!conn_mss_lower(c, floor))
		return;
	if (c->pmtu_state == PMTU_NONE)
		c->pmtu_mss_hi = hi;
	c->pmtu_state = PMTU_LOWERED;
	c->pmtu_probe_at = e->now + (PMTU_PROBE_NS << (c->pmtu_tries < PMTU_PROBE_SHIFT_MAX
						       ? c->pmtu_tries : PMTU_PROBE_SHIFT_MAX));
	if (c->pmtu_tries < 255)
		c->pmtu_tries++;
	ST(e, pmtu_blackholes)++;
}

/* Before output: time to try the old size again, or proof that it passes. */
void pmtu_flush(struct tcp_conn *c)
{
	if (c->pmtu_state == PMTU_LOWERED && c->e->now >= c->pmtu_probe_at) {
		if (c->pmtu_mss_hi > c->mss) {
			c->mss = c->pmtu_mss_hi;
			/* RFC 5681 3.1: a window of at least one segment,
			 * ssthresh of at least two, in the new size */
			if (c->cwnd < c->mss)
				c->cwnd = c->mss;
			if (c->ssthresh < 2u * c->mss)
				c->ssthresh = 2u * c->mss;
			ST(c->e, pmtu_raised)++;
		}
		c->pmtu_state = PMTU_PROBING;
		c->pmtu_mark = c->snd_max;
	} else if (c->pmtu_state == PMTU_PROBING &&
		   seq_ge(c->snd_una, c->pmtu_mark + c->mss)) {
		c->pmtu_state = PMTU_NONE;
		c->pmtu_tries = 0;
	}
}

void tcp_set_mss(struct tcp_engine *e, uint16_t mss4, uint16_t mss6)
{
	e->cfg.mss4 = mss4;
	e->cfg.mss6 = mss6;
	for (uint32_t b = 0; b < e->nbuckets; b++)
		for (struct tcp_conn *c = e->buckets[b]; c; c = c->hnext) {
			uint16_t m = c->t.v6 ? mss6 : mss4;

			if (c->state == TCPS_TIME_WAIT)
				continue;
			if (conn_mss_lower(c, m))
				ST(e, pmtu_if_mtu)++;
			/* a trial never goes above what the interface takes */
			if (c->pmtu_mss_hi > m - (c->ts_ok ? 12 : 0))
				c->pmtu_mss_hi = (uint16_t)(m - (c->ts_ok ? 12 : 0));
		}
}
