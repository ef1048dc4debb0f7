// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <string.h>

#include "wire.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8

static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

uint64_t wire_csum_add(const void *p, size_t len, uint64_t sum)
{
	const uint8_t *b = p;
	uint64_t w, a0 = 0, a1 = 0, c0 = 0, c1 = 0;
	uint32_t w4;

	/*
	 * 64-bit words into two accumulators, each counting its carries:
	 * 2^64 and 2^32 are 1 modulo 2^16 - 1, so a carry is worth 1 and a
	 * 64-bit word is its two halves (RFC 1071 2(B)). Two chains keep
	 * the adds independent; the halves go into sum, far from overflow.
	 */
	while (len >= 16) {
		memcpy(&w, b, 8);
		a0 += w;
		c0 += a0 < w;
		memcpy(&w, b + 8, 8);
		a1 += w;
		c1 += a1 < w;
		b += 16;
		len -= 16;
	}
	sum += (a0 & 0xffffffff) + (a0 >> 32) + c0 + (a1 & 0xffffffff) + (a1 >> 32) + c1;
	while (len >= 4) {
		memcpy(&w4, b, 4);
		sum += w4;
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, b, 2);
		sum += h;
		b += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = { b[0], 0 };
		uint16_t h;

		memcpy(&h, last, 2);
		sum += h;
	}
	return sum;
}

/* Fold to 16 bits and complement; the result is in network byte order. */
uint16_t wire_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t pseudo_sum(int v6, const void *src, const void *dst,
			   uint32_t tcp_len)
{
	uint64_t sum = wire_csum_add(src, v6 ? 16 : 4, 0);

	sum = wire_csum_add(dst, v6 ? 16 : 4, sum);
	return sum + htonl(tcp_len) + htonl(6);
}

static void map4(__be32 a[4], const uint8_t *v4)
{
	a[0] = 0;
	a[1] = 0;
	a[2] = htonl(0xffff);
	memcpy(&a[3], v4, 4);
}

/* RFC 9293 3.1 option kinds; unknown kinds are skipped by their length. */
static int parse_opts(const uint8_t *p, size_t n, struct tcp_seg *s)
{
	size_t i = 0;

	while (i < n) {
		uint8_t kind = p[i], len;

		if (kind == TCPO_EOL)
			break;
		if (kind == TCPO_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n)
			return -1;
		len = p[i + 1];
		if (len < 2 || i + len > n)
			return -1;
		switch (kind) {
		case TCPO_MSS:
			if (len == TCPO_MSS_LEN)
				s->mss = get16(p + i + 2);
			break;
		case TCPO_WSCALE:
			if (len == TCPO_WSCALE_LEN)
				s->wscale = p[i + 2];
			break;
		case TCPO_SACK_PERM:
			if (len == TCPO_SACK_PERM_LEN)
				s->sack_ok = 1;
			break;
		case TCPO_SACK:
			for (int k = 0; k + 8 <= len - 2 && s->nsack < WIRE_MAX_SACK; k += 8) {
				s->sack[s->nsack][0] = get32(p + i + 2 + k);
				s->sack[s->nsack][1] = get32(p + i + 6 + k);
				s->nsack++;
			}
			break;
		case TCPO_TS:
			if (len == TCPO_TS_LEN) {
				s->ts = 1;
				s->tsval = get32(p + i + 2);
				s->tsecr = get32(p + i + 6);
			}
			break;
		}
		i += len;
	}
	return 0;
}

int wire_parse(const uint8_t *f, size_t len, struct tcp_seg *s)
{
	size_t l3 = 14, l4, iph, tcp_len, doff;
	uint16_t proto;
	uint64_t sum;
	int v6;

	memset(s, 0, offsetof(struct tcp_seg, sack));
	s->wscale = WIRE_NO_WSCALE;
	if (len < 14)
		return WIRE_MALFORMED;
	proto = get16(f + 12);
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) &&
	       l3 + 4 <= WIRE_L2_MAX) {
		if (len < l3 + 4)
			return WIRE_MALFORMED;
		proto = get16(f + l3 + 2);
		l3 += 4;
	}
	if (proto == ETH_P_IP) {
		v6 = 0;
		if (len < l3 + 20 || f[l3] >> 4 != 4)
			return WIRE_MALFORMED;
		iph = (size_t)(f[l3] & 0xf) * 4;
		if (iph < 20 || len < l3 + iph || f[l3 + 9] != 6)
			return WIRE_MALFORMED;
		if (get16(f + l3 + 2) < iph || l3 + get16(f + l3 + 2) > len)
			return WIRE_MALFORMED;
		if (get16(f + l3 + 6) & 0x3fff)	/* MF or offset: a fragment */
			return WIRE_MALFORMED;
		if (wire_csum_fold(wire_csum_add(f + l3, iph, 0)))
			return WIRE_CSUM;
		tcp_len = get16(f + l3 + 2) - iph;
		s->tos = f[l3 + 1];
		map4(s->t.key.client, f + l3 + 12);
		map4(s->t.key.server, f + l3 + 16);
	} else if (proto == ETH_P_IPV6) {
		v6 = 1;
		iph = 40;
		if (len < l3 + 40 || f[l3] >> 4 != 6 || f[l3 + 6] != 6)
			return WIRE_MALFORMED;	/* extension headers: XDP drops them */
		tcp_len = get16(f + l3 + 4);
		if (l3 + 40 + tcp_len > len)
			return WIRE_MALFORMED;
		s->tos = (uint8_t)(get16(f + l3) >> 4);
		memcpy(s->t.key.client, f + l3 + 8, 16);
		memcpy(s->t.key.server, f + l3 + 24, 16);
	} else {
		return WIRE_MALFORMED;
	}
	l4 = l3 + iph;
	if (tcp_len < 20)
		return WIRE_MALFORMED;
	doff = (size_t)(f[l4 + 12] >> 4) * 4;
	if (doff < 20 || doff > tcp_len)
		return WIRE_MALFORMED;
	sum = pseudo_sum(v6, v6 ? f + l3 + 8 : f + l3 + 12,
			 v6 ? f + l3 + 24 : f + l3 + 16, (uint32_t)tcp_len);
	if (wire_csum_fold(wire_csum_add(f + l4, tcp_len, sum)))
		return WIRE_CSUM;

	s->t.v6 = (uint8_t)v6;
	/* the reply's L2 header: this one with the MACs swapped */
	s->t.l2_len = (uint8_t)l3;
	memcpy(s->t.l2, f + 6, 6);
	memcpy(s->t.l2 + 6, f, 6);
	memcpy(s->t.l2 + 12, f + 12, l3 - 12);
	memcpy(&s->t.key.client_port, f + l4, 2);
	memcpy(&s->t.key.server_port, f + l4 + 2, 2);
	s->seq = get32(f + l4 + 4);
	s->ack = get32(f + l4 + 8);
	s->flags = f[l4 + 13];
	s->wnd = get16(f + l4 + 14);
	if (parse_opts(f + l4 + 20, doff - 20, s))
		return WIRE_MALFORMED;
	s->data = f + l4 + doff;
	s->len = (uint32_t)(tcp_len - doff);
	return WIRE_OK;
}

/*
 * ICMP errors carrying a path MTU. The outer IP header and the ICMP
 * checksum (RFC 792; RFC 4443 2.3 with the pseudo-header) are checked; the
 * quote must hold an IP header of ours for TCP and the first 8 bytes of the
 * TCP header, the least RFC 792 promises (RFC 1812 4.3.2.3 asks for more).
 */
int wire_parse_icmp(const uint8_t *f, size_t len, struct wire_icmp *ic)
{
	size_t l3 = 14, l4, iph, icmp_len, qh;
	const uint8_t *q;
	uint16_t proto;
	uint64_t sum;

	memset(ic, 0, sizeof(*ic));
	if (len < 14)
		return WIRE_MALFORMED;
	proto = get16(f + 12);
	while ((proto == ETH_P_8021Q || proto == ETH_P_8021AD) &&
	       l3 + 4 <= WIRE_L2_MAX) {
		if (len < l3 + 4)
			return WIRE_MALFORMED;
		proto = get16(f + l3 + 2);
		l3 += 4;
	}
	if (proto == ETH_P_IP) {
		if (len < l3 + 20 || f[l3] >> 4 != 4)
			return WIRE_MALFORMED;
		iph = (size_t)(f[l3] & 0xf) * 4;
		if (iph < 20 || len < l3 + iph || f[l3 + 9] != 1)
			return WIRE_MALFORMED;
		if (get16(f + l3 + 2) < iph || l3 + get16(f + l3 + 2) > len)
			return WIRE_MALFORMED;
		if (get16(f + l3 + 6) & 0x3fff)
			return WIRE_MALFORMED;
		if (wire_csum_fold(wire_csum_add(f + l3, iph, 0)))
			return WIRE_CSUM;
		l4 = l3 + iph;
		icmp_len = get16(f + l3 + 2) - iph;
		if (icmp_len < 8 + 20 + 8)
			return WIRE_MALFORMED;
		if (wire_csum_fold(wire_csum_add(f + l4, icmp_len, 0)))
			return WIRE_CSUM;
		if (f[l4] != 3 || f[l4 + 1] != 4)	/* RFC 1191 4 */
			return WIRE_MALFORMED;
		ic->mtu = get16(f + l4 + 6);
		q = f + l4 + 8;
		qh = (size_t)(q[0] & 0xf) * 4;
		if (q[0] >> 4 != 4 || qh < 20 || q[9] != 6 ||
		    8 + qh + 8 > icmp_len)
			return WIRE_MALFORMED;
		ic->quoted_len = get16(q + 2);
		map4(ic->key.server, q + 12);
		map4(ic->key.client, q + 16);
	} else if (proto == ETH_P_IPV6) {
		if (len < l3 + 40 || f[l3] >> 4 != 6 || f[l3 + 6] != 58)
			return WIRE_MALFORMED;
		icmp_len = get16(f + l3 + 4);
		if (l3 + 40 + icmp_len > len || icmp_len < 8 + 40 + 8)
			return WIRE_MALFORMED;
		l4 = l3 + 40;
		sum = wire_csum_add(f + l3 + 8, 32, 0);
		sum += htonl((uint32_t)icmp_len);	/* apart: 32 bits overflow */
		sum += htonl(58);
		if (wire_csum_fold(wire_csum_add(f + l4, icmp_len, sum)))
			return WIRE_CSUM;
		if (f[l4] != 2 || f[l4 + 1] != 0)	/* RFC 4443 3.2 */
			return WIRE_MALFORMED;
		ic->v6 = 1;
		ic->mtu = get32(f + l4 + 4);
		q = f + l4 + 8;
		qh = 40;
		if (q[0] >> 4 != 6 || q[6] != 6)
			return WIRE_MALFORMED;
		ic->quoted_len = 40 + (uint32_t)get16(q + 4);
		memcpy(ic->key.server, q + 8, 16);
		memcpy(ic->key.client, q + 24, 16);
	} else {
		return WIRE_MALFORMED;
	}
	memcpy(&ic->key.server_port, q + qh, 2);
	memcpy(&ic->key.client_port, q + qh + 2, 2);
	ic->seq = get32(q + qh + 4);
	return WIRE_OK;
}

void wire_opt_mss(struct wire_opts *o, uint16_t mss)
{
	o->b[o->len] = TCPO_MSS;
	o->b[o->len + 1] = TCPO_MSS_LEN;
	put16(o->b + o->len + 2, mss);
	o->len += 4;
}

void wire_opt_wscale(struct wire_opts *o, uint8_t shift)
{
	o->b[o->len] = TCPO_NOP;	/* as Linux aligns it */
	o->b[o->len + 1] = TCPO_WSCALE;
	o->b[o->len + 2] = TCPO_WSCALE_LEN;
	o->b[o->len + 3] = shift;
	o->len += 4;
}

void wire_opt_sack_ok(struct wire_opts *o)
{
	o->b[o->len] = TCPO_NOP;
	o->b[o->len + 1] = TCPO_NOP;
	o->b[o->len + 2] = TCPO_SACK_PERM;
	o->b[o->len + 3] = TCPO_SACK_PERM_LEN;
	o->len += 4;
}

void wire_opt_ts(struct wire_opts *o, uint32_t tsval, uint32_t tsecr)
{
	o->b[o->len] = TCPO_NOP;
	o->b[o->len + 1] = TCPO_NOP;
	o->b[o->len + 2] = TCPO_TS;
	o->b[o->len + 3] = TCPO_TS_LEN;
	put32(o->b + o->len + 4, tsval);
	put32(o->b + o->len + 8, tsecr);
	o->len += 12;
}

void wire_opt_sack(struct wire_opts *o, const uint32_t (*blocks)[2], int n)
{
	int i, room = (40 - o->len - 4) / 8;

	if (n > room)
		n = room;
	if (n <= 0)
		return;
	o->b[o->len] = TCPO_NOP;
	o->b[o->len + 1] = TCPO_NOP;
	o->b[o->len + 2] = TCPO_SACK;
	o->b[o->len + 3] = (uint8_t)(2 + 8 * n);
	o->len += 4;
	for (i = 0; i < n; i++) {
		put32(o->b + o->len, blocks[i][0]);
		put32(o->b + o->len + 4, blocks[i][1]);
		o->len += 8;
	}
}


/*
 * Ethernet, IP and TCP headers with options for a segment of plen payload
 * bytes; the TCP checksum field is left zero. Returns the header length, 0
 * if the headers won't fit in cap; *src and *dst are the addresses in buf.
 */
static size_t build_headers(uint8_t *buf, size_t cap, const struct tcp_tuple *t,
			    const struct wire_out *o, uint32_t plen,
			    const void **src, const void **dst)
{
	size_t optlen = o->opts ? o->opts->len : 0;
	size_t l3 = t->l2_len, l4 = l3 + (t->v6 ? 40 : 20);
	size_t tcp_len = 20 + optlen + plen;
	uint8_t *th;

	if (l4 + 20 + optlen > cap)
		return 0;
	memcpy(buf, t->l2, l3);
	if (t->v6) {
		uint8_t *ip = buf + l3;

		put32(ip, 0x60000000U | (uint32_t)o->tos << 20);
		put16(ip + 4, (uint16_t)tcp_len);
		ip[6] = 6;
		ip[7] = 64;
		memcpy(ip + 8, t->key.server, 16);
		memcpy(ip + 24, t->key.client, 16);
		*src = ip + 8;
		*dst = ip + 24;
	} else {
		uint8_t *ip = buf + l3;

		ip[0] = 0x45;
		ip[1] = o->tos;
		put16(ip + 2, (uint16_t)(20 + tcp_len));
		put32(ip + 4, 0x4000);	/* ID 0, DF (RFC 6864 4.1) */
		ip[8] = 64;
		ip[9] = 6;
		ip[10] = ip[11] = 0;
		memcpy(ip + 12, &t->key.server[3], 4);
		memcpy(ip + 16, &t->key.client[3], 4);
		put16(ip + 10, ntohs(wire_csum_fold(wire_csum_add(ip, 20, 0))));
		*src = ip + 12;
		*dst = ip + 16;
	}
	th = buf + l4;
	memcpy(th, &t->key.server_port, 2);
	memcpy(th + 2, &t->key.client_port, 2);
	put32(th + 4, o->seq);
	put32(th + 8, o->ack);
	th[12] = (uint8_t)((20 + optlen) / 4) << 4;
	th[13] = o->flags;
	put16(th + 14, o->wnd);
	th[16] = th[17] = th[18] = th[19] = 0;
	if (optlen)
		memcpy(th + 20, o->opts->b, optlen);
	return l4 + 20 + optlen;
}

size_t wire_build(uint8_t *buf, size_t cap, const struct tcp_tuple *t,
		  const struct wire_out *o)
{
	uint32_t plen = o->data_len[0] + o->data_len[1];
	size_t l4 = t->l2_len + (t->v6 ? 40 : 20), hlen;
	const void *src, *dst;
	uint8_t *th = buf + l4;

	hlen = build_headers(buf, cap, t, o, plen, &src, &dst);
	if (!hlen || hlen + plen > cap)
		return 0;
	if (o->data_len[0])
		memcpy(buf + hlen, o->data[0], o->data_len[0]);
	if (o->data_len[1])
		memcpy(buf + hlen + o->data_len[0], o->data[1], o->data_len[1]);
	put16(th + 16, ntohs(wire_csum_fold(wire_csum_add(
		th, hlen - l4 + plen,
		pseudo_sum(t->v6, src, dst, (uint32_t)(hlen - l4 + plen))))));
	return hlen + plen;
}

size_t wire_build_gso(uint8_t *buf, size_t cap, const struct tcp_tuple *t,
		      const struct wire_out *o)
{
	uint32_t plen = o->data_len[0] + o->data_len[1];
	size_t l4 = t->l2_len + (t->v6 ? 40 : 20), hlen;
	const void *src, *dst;

	/* IPv4 total length and IPv6 payload length are 16 bits */
	if (plen > WIRE_GSO_MAX)
		return 0;
	hlen = build_headers(buf, cap, t, o, plen, &src, &dst);
	if (!hlen)
		return 0;
	/* a partial checksum: the pseudo-header's sum, folded, not
	 * complemented; the rest is summed in by whoever cuts the segments */
	put16(buf + l4 + 16, ntohs((uint16_t)~wire_csum_fold(
		pseudo_sum(t->v6, src, dst, (uint32_t)(hlen - l4 + plen)))));
	return hlen;
}
