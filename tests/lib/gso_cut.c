// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* A super-segment cut into frames, as the kernel's GSO would: gso_cut.h. */
#include <string.h>
#include <arpa/inet.h>

#include "gso_cut.h"

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* n bytes at off of the payload's two pieces, into dst */
static void gather(const struct tcp_gso *g, uint32_t off, uint32_t n, uint8_t *dst)
{
	uint32_t len0 = g->data_len[0], k;

	if (off < len0) {
		k = len0 - off < n ? len0 - off : n;
		memcpy(dst, g->data[0] + off, k);
		if (n > k)	/* data[1] is NULL when there is no second piece */
			memcpy(dst + k, g->data[1], n - k);
	} else {
		memcpy(dst, g->data[1] + (off - len0), n);
	}
}

int gso_cut(const struct tcp_gso *g,
	    void (*out)(void *arg, uint8_t *frame, uint32_t len), void *arg)
{
	static uint8_t f[GSO_CUT_FRAME];
	uint32_t plen = g->data_len[0] + g->data_len[1], thl, tot, off, n, seq;
	uint16_t partial;
	const uint8_t *th;
	int k = 0;

	if (!g->seg || g->hdr_len > 128 || g->l4_off + 20u > g->hdr_len)
		return -1;
	th = g->hdr + g->l4_off;
	thl = (uint32_t)(th[12] >> 4) * 4;
	if (g->l4_off + thl != g->hdr_len || g->hdr_len + (size_t)g->seg > sizeof(f))
		return -1;
	/* the lengths the engine wrote are the whole run's */
	tot = thl + plen;
	if ((g->v6 ? get16(g->hdr + g->l3_off + 4) : get16(g->hdr + g->l3_off + 2) - 20u) != (unsigned)tot)
		return -1;
	memcpy(&partial, th + 16, 2);
	seq = get32(th + 4);
	for (off = 0; off < plen; off += n, k++) {
		uint8_t *ip = f + g->l3_off, *t = f + g->l4_off;
		uint64_t sum;

		n = plen - off < g->seg ? plen - off : g->seg;
		memcpy(f, g->hdr, g->hdr_len);
		gather(g, off, n, f + g->hdr_len);
		if (g->v6) {
			put16(ip + 4, (uint16_t)(thl + n));
		} else {
			put16(ip + 2, (uint16_t)(20 + thl + n));
			ip[10] = ip[11] = 0;
			put16(ip + 10, ntohs(wire_csum_fold(wire_csum_add(ip, 20, 0))));
		}
		put32(t + 4, seq + off);
		if (off)
			t[13] &= (uint8_t)~TCPHDR_CWR;
		if (off + n < plen)
			t[13] &= (uint8_t)~(TCPHDR_FIN | TCPHDR_PSH);
		/* the pseudo-header's length, the whole's out, this one's in
		 * (one's complement: adding ~x takes x away) */
		sum = partial;
		sum += (uint32_t)~htonl(tot);
		sum += htonl(thl + n);
		{
			uint16_t fixed = (uint16_t)~wire_csum_fold(sum);

			memcpy(t + 16, &fixed, 2);
		}
		/* then the checksum over the segment, the field included */
		{
			uint16_t c = wire_csum_fold(wire_csum_add(t, thl + n, 0));

			memcpy(t + 16, &c, 2);
		}
		out(arg, f, g->hdr_len + n);
	}
	return k;
}
