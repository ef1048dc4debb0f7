/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The SYN cookie: one definition, compiled into the XDP program (which makes
 * and checks cookies) and into the host (the engine decodes with it, the
 * tests check it). No state is kept for a SYN: everything the engine needs
 * to rebuild the connection rides in the SYN-ACK's sequence number and, when
 * the client uses timestamps, in the low bits of its TSval.
 *
 * Sequence number (ISN) of every SYN-ACK:
 *
 *   31                                             5 4   3 2      0
 *  +-----------------------------------------------+-------+--------+
 *  | MAC: low 27 bits of SipHash-2-4 under K[p] of |  p&3  |  MSS   |
 *  | (server addr, server port, MSS index, family, |       | index  |
 *  |  client addr, client port, client ISN)        |       |        |
 *  +-----------------------------------------------+-------+--------+
 *
 *  p     the cookie period: CLOCK_TAI / 60 s. A cookie of period p is
 *        accepted during p and p+1 (an age of at most two minutes) and
 *        refused after, as Linux bounds its own cookies.
 *  K[p]  the period key, derived rather than stored:
 *          K[p] = SipHash(master, p || 0) || SipHash(master, p || 1)
 *        so the XDP program rotates its own keys without a daemon, two CPUs
 *        deriving at once agree, and machines sharing the master (ECMP,
 *        anycast) accept each other's cookies.
 *  MSS   index into a per-family table of common MSS values, rounded down.
 *
 * TSval of a SYN-ACK whose SYN carried timestamps (as Linux does):
 *
 *   31                                 6   5     4    3         0
 *  +------------------------------------+-----+------+-----------+
 *  | milliseconds of CLOCK_TAI          | ECN | SACK | wscale    |
 *  +------------------------------------+-----+------+-----------+
 *  wscale 0xf means "no window scaling". The client echoes the TSval in the
 *  third ACK's TSecr. Without timestamps there is nowhere to keep these, so
 *  the SYN-ACK offers no window scaling, SACK or ECN (again as Linux does).
 */
#ifndef XTCP_COOKIE_H
#define XTCP_COOKIE_H

#include <linux/types.h>
#include "xtcp/abi.h"
#include "xtcp/siphash.h"

#define XTCP_COOKIE_PERIOD_NS 60000000000ULL
#define XTCP_COOKIE_MAC_BITS 27
#define XTCP_COOKIE_MSS_BITS 3
#define XTCP_COOKIE_MSS_SLOTS (1U << XTCP_COOKIE_MSS_BITS)

#define XTCP_TS_WSCALE_MASK 0x0fU
#define XTCP_TS_SACK 0x10U
#define XTCP_TS_ECN 0x20U
#define XTCP_TS_OPT_BITS 6
#define XTCP_TS_OPT_MASK ((1U << XTCP_TS_OPT_BITS) - 1)

enum xtcp_cookie_result {
	XTCP_COOKIE_OK = 0,
	XTCP_COOKIE_BAD,	/* MAC does not match: forged or altered */
	XTCP_COOKIE_EXPIRED,	/* genuine, but older than the previous period */
};

/* What a SYN negotiated, as the cookie and TSval carry it back. */
struct xtcp_syn_opts {
	__u16 mss;	/* client MSS, rounded down to a table value */
	__u8 wscale;	/* client shift, XTCP_WSCALE_NONE when not offered */
	__u8 sack;
	__u8 ts;
	__u8 ecn;
};

/*
 * MSS tables: index 0 is the RFC 9293 3.7.1 default the peer must assume
 * without an MSS option; the rest are what common paths produce
 * (PPPoE, tunnels, Ethernet, jumbo frames).
 */
XTCP_INLINE __u16 xtcp_mss_value(int v6, __u32 idx)
{
	/*
	 * A switch, not a static table: clang 14 emits a function-scope
	 * static array into .rodata.cst32 with BTF the kernel refuses
	 * ("DATASEC .rodata ... Invalid size").
	 */
	switch (idx & (XTCP_COOKIE_MSS_SLOTS - 1)) {
	case 0: return v6 ? 1220 : 536;
	case 1: return v6 ? 1280 : 1220;
	case 2: return v6 ? 1340 : 1300;
	case 3: return v6 ? 1380 : 1360;
	case 4: return 1400;
	case 5: return v6 ? 1420 : 1440;
	case 6: return v6 ? 1440 : 1460;
	default: return v6 ? 8940 : 8960;
	}
}

/* The largest table entry not above the client's MSS (never round up). */
XTCP_INLINE __u32 xtcp_mss_index(int v6, __u32 mss)
{
	__u32 idx = 0, i;

#ifdef __bpf__
#pragma unroll
#endif
	for (i = 1; i < XTCP_COOKIE_MSS_SLOTS; i++)
		if (xtcp_mss_value(v6, i) <= mss)
			idx = i;
	return idx;
}

XTCP_INLINE __u32 xtcp_cookie_period(__u64 tai_ns)
{
	return (__u32)(tai_ns / XTCP_COOKIE_PERIOD_NS);
}

/* K[period], see the top of this file. */
XTCP_INLINE void xtcp_cookie_key(const __u64 master[2], __u32 period,
				 __u64 key[2])
{
	__u64 m0 = period, m1 = (__u64)period | (1ULL << 32);

	key[0] = xtcp_siphash(master, &m0, 1);
	key[1] = xtcp_siphash(master, &m1, 1);
}

/*
 * The message a cookie's MAC is taken over, in little-endian 64-bit words:
 * first the server side (address, port, MSS index, family), the same for
 * every SYN to one service, so that the XDP program can keep SipHash's
 * state after those words and start each SYN from it; then the client's
 * (address, port, ISN). XTCP_COOKIE_SERVER_WORDS(v6) words of the first
 * kind; XTCP_COOKIE_WORDS(v6) in all. Every field has its own bits and the
 * family is in the message, so no two inputs give the same words.
 */
#define XTCP_COOKIE_SERVER_WORDS(v6) ((v6) ? 3 : 1)
#define XTCP_COOKIE_WORDS(v6) ((v6) ? 6 : 3)
#define XTCP_COOKIE_MSG_MAX 6

XTCP_INLINE void xtcp_cookie_msg(const struct xtcp_flow_key *fk, int v6,
				 __u32 client_isn, __u32 mss_idx,
				 __u64 m[XTCP_COOKIE_MSG_MAX])
{
	/* port, MSS index and family: 16, 8 (of which 3 used) and 8 bits */
	__u64 side = (__u64)fk->server_port | (__u64)(mss_idx & 0xff) << 16 |
		     (v6 ? 6ULL : 4ULL) << 24;

	if (v6) {
		m[0] = (__u64)fk->server[0] | (__u64)fk->server[1] << 32;
		m[1] = (__u64)fk->server[2] | (__u64)fk->server[3] << 32;
		m[2] = side;
		m[3] = (__u64)fk->client[0] | (__u64)fk->client[1] << 32;
		m[4] = (__u64)fk->client[2] | (__u64)fk->client[3] << 32;
		m[5] = (__u64)fk->client_port | (__u64)client_isn << 32;
	} else {
		m[0] = (__u64)fk->server[3] | side << 32;
		m[1] = (__u64)fk->client[3] | (__u64)fk->client_port << 32;
		m[2] = client_isn;
		m[3] = m[4] = m[5] = 0;
	}
}

#define XTCP_COOKIE_MAC_MASK ((1U << XTCP_COOKIE_MAC_BITS) - 1)

/* The 27-bit MAC of one cookie. */
XTCP_INLINE __u32 xtcp_cookie_mac(const __u64 key[2],
				  const struct xtcp_flow_key *fk, int v6,
				  __u32 client_isn, __u32 mss_idx)
{
	__u64 m[XTCP_COOKIE_MSG_MAX];

	xtcp_cookie_msg(fk, v6, client_isn, mss_idx, m);
	if (v6)
		return (__u32)xtcp_siphash(key, m, 6) & XTCP_COOKIE_MAC_MASK;
	return (__u32)xtcp_siphash(key, m, 3) & XTCP_COOKIE_MAC_MASK;
}

/* The ISN that carries a MAC made in `period` with MSS index mss_idx. */
XTCP_INLINE __u32 xtcp_cookie_from_mac(__u32 mac, __u32 period, __u32 mss_idx)
{
	return mac << (32 - XTCP_COOKIE_MAC_BITS) | (period & 3) << 3 |
	       (mss_idx & (XTCP_COOKIE_MSS_SLOTS - 1));
}

/* The SYN-ACK ISN for a SYN with sequence number client_isn. */
XTCP_INLINE __u32 xtcp_cookie_make(const __u64 key[2], __u32 period,
				   const struct xtcp_flow_key *fk, int v6,
				   __u32 client_isn, __u32 mss_idx)
{
	return xtcp_cookie_from_mac(xtcp_cookie_mac(key, fk, v6, client_isn,
						    mss_idx),
				    period, mss_idx);
}

/*
 * Check the cookie of a third ACK: cookie = SEG.ACK - 1 and client_isn =
 * SEG.SEQ - 1. k0 is K[now], k1 K[now - 1]; k2 and k3, K[now - 2] and
 * K[now - 3], may be NULL. On XTCP_COOKIE_OK, *mss_idx is the MSS index
 * the SYN-ACK was built with. XTCP_COOKIE_EXPIRED only for a cookie whose
 * MAC verifies under the older key its period bits name: anything else,
 * including a forged cookie whose (random) period bits look old, is
 * XTCP_COOKIE_BAD, so the two counters say what they mean.
 */
XTCP_INLINE int xtcp_cookie_check_aged(const __u64 *k0, const __u64 *k1,
				       const __u64 *k2, const __u64 *k3,
				       __u32 now, const struct xtcp_flow_key *fk,
				       int v6, __u32 client_isn, __u32 cookie,
				       __u32 *mss_idx)
{
	__u32 age = (now - (cookie >> 3)) & 3;
	__u32 idx = cookie & (XTCP_COOKIE_MSS_SLOTS - 1);
	const __u64 *key = age == 0 ? k0 : age == 1 ? k1 : age == 2 ? k2 : k3;

	if (!key)
		return XTCP_COOKIE_BAD;		/* not proven, so not "expired" */
	if (xtcp_cookie_mac(key, fk, v6, client_isn, idx) !=
	    cookie >> (32 - XTCP_COOKIE_MAC_BITS))
		return XTCP_COOKIE_BAD;
	if (age > 1)
		return XTCP_COOKIE_EXPIRED;
	*mss_idx = idx;
	return XTCP_COOKIE_OK;
}

/* The same with only the two keys that can validate: a cookie older than
 * the previous period is XTCP_COOKIE_BAD. */
XTCP_INLINE int xtcp_cookie_check(const __u64 key_cur[2],
				  const __u64 key_prev[2], __u32 now,
				  const struct xtcp_flow_key *fk, int v6,
				  __u32 client_isn, __u32 cookie, __u32 *mss_idx)
{
	return xtcp_cookie_check_aged(key_cur, key_prev, (const __u64 *)0,
				      (const __u64 *)0, now, fk, v6, client_isn,
				      cookie, mss_idx);
}

/*
 * When a cookie that validated at tai_ns stops validating: it was made in
 * the current period or the one before (its age, from its low period bits)
 * and is accepted until its period + 2 begins. The replay guard keeps an
 * ended handshake until then.
 */
XTCP_INLINE __u64 xtcp_cookie_expiry_ns(__u32 cookie, __u64 tai_ns)
{
	__u32 now = xtcp_cookie_period(tai_ns);
	__u32 age = (now - (cookie >> 3)) & 3;

	return (__u64)(now - age + 2) * XTCP_COOKIE_PERIOD_NS;
}

/*
 * TSval for the SYN-ACK: the clock with the options in its low bits,
 * never ahead of the clock (a peer's PAWS would reject a TSval from the
 * future once the engine's own TSvals follow).
 */
XTCP_INLINE __u32 xtcp_ts_encode(__u32 now_ms, __u8 wscale, int sack, int ecn)
{
	__u32 opts = (wscale & XTCP_TS_WSCALE_MASK) |
		     (sack ? XTCP_TS_SACK : 0) | (ecn ? XTCP_TS_ECN : 0);
	__u32 tsval = (now_ms & ~XTCP_TS_OPT_MASK) | opts;

	if ((__s32)(tsval - now_ms) > 0)
		tsval -= 1U << XTCP_TS_OPT_BITS;
	return tsval;
}

/*
 * Rebuild what the SYN negotiated from the cookie's MSS index and, when the
 * third ACK carries timestamps, its TSecr.
 */
XTCP_INLINE void xtcp_syn_opts_decode(int v6, __u32 mss_idx, int ts,
				      __u32 tsecr, struct xtcp_syn_opts *o)
{
	o->mss = xtcp_mss_value(v6, mss_idx);
	o->ts = ts ? 1 : 0;
	o->wscale = ts ? (__u8)(tsecr & XTCP_TS_WSCALE_MASK) : XTCP_WSCALE_NONE;
	if (o->wscale > XTCP_WSCALE_MAX && o->wscale != XTCP_WSCALE_NONE)
		o->wscale = XTCP_WSCALE_MAX;	/* RFC 7323 2.3: clamp */
	o->sack = ts && (tsecr & XTCP_TS_SACK) ? 1 : 0;
	o->ecn = ts && (tsecr & XTCP_TS_ECN) ? 1 : 0;
}

/*
 * Bring a cache of period keys to K[period] .. K[period - 3] of master
 * (generation names the master: another generation empties the cache;
 * the two oldest only tell an expired cookie from a forged one). Derived
 * only when the period moves: by one, each key moves down a place. The XDP program keeps a cache per CPU, an engine its own;
 * two caches refreshed at once agree, since derivation is deterministic.
 */
XTCP_INLINE void xtcp_keycache_refresh(struct xtcp_keycache *kc,
				       const __u64 master[2], __u64 generation,
				       __u32 period)
{
	if (kc->generation == generation && kc->period == period)
		return;
	if (kc->generation == generation && kc->period + 1 == period) {
		kc->old3[0] = kc->old2[0];
		kc->old3[1] = kc->old2[1];
		kc->old2[0] = kc->prev[0];
		kc->old2[1] = kc->prev[1];
		kc->prev[0] = kc->cur[0];
		kc->prev[1] = kc->cur[1];
	} else {
		xtcp_cookie_key(master, period - 3, kc->old3);
		xtcp_cookie_key(master, period - 2, kc->old2);
		xtcp_cookie_key(master, period - 1, kc->prev);
	}
	xtcp_cookie_key(master, period, kc->cur);
	kc->period = period;
	kc->generation = generation;
}

/*
 * Fill the metadata of a frame that completed the handshake (cookie
 * valid): ISNs, the client's TSval and TSecr, and what the SYN negotiated.
 * `kernel` marks it for the tc program rather than the engine. Written
 * field by field: in BPF m points into the packet's metadata area (and
 * clang 14 dropped most stores of a stack struct copied there whole).
 */
XTCP_INLINE void xtcp_meta_fill(struct xtcp_meta *m,
				const struct xtcp_syn_opts *so, __u32 iss,
				__u32 irs, __u32 tsval, __u32 tsecr,
				__u8 our_wscale, int kernel)
{
	m->iss = iss;
	m->irs = irs;
	m->ts_val = tsval;
	m->ts_ecr = tsecr;
	m->mss = so->mss;
	m->snd_wscale = so->wscale;
	m->rcv_wscale = so->wscale == XTCP_WSCALE_NONE ? XTCP_WSCALE_NONE :
							 our_wscale;
	m->flags = XTCP_META_NEW | (so->sack ? XTCP_META_SACK : 0) |
		   (so->ts ? XTCP_META_TS : 0) | (so->ecn ? XTCP_META_ECN : 0) |
		   (kernel ? XTCP_META_KERNEL : 0);
	m->pad = 0;
	m->magic = XTCP_META_MAGIC;
}

/*
 * The metadata of a connection born from a third ACK whose cookie checked
 * out (seq and ack are the ACK's, mss_idx what xtcp_cookie_check found):
 * what the XDP program hands the engine, and what the engine rebuilds by
 * itself when the third ACK reached it without metadata.
 */
XTCP_INLINE void xtcp_meta_from_cookie(struct xtcp_meta *m, int v6, __u32 seq,
				       __u32 ack, __u32 mss_idx, int ts,
				       __u32 tsval, __u32 tsecr, __u8 our_wscale)
{
	struct xtcp_syn_opts so;

	xtcp_syn_opts_decode(v6, mss_idx, ts, tsecr, &so);
	xtcp_meta_fill(m, &so, ack - 1, seq - 1, tsval, tsecr, our_wscale, 0);
}

#endif /* XTCP_COOKIE_H */
